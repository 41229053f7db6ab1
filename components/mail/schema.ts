/**
 * The mail stack's stack config (`onprem-infra:mail`): what differs between production and
 * staging. What every mail stack shares (roles, health checks, needs, environment) lives in
 * `services.ts`.
 */
import { z } from "zod";
import {
  absolutePath,
  containerPrefix,
  checkServiceAddresses,
  cpus,
  hostname,
  ipv4,
  memory,
  publishedPort,
  serviceSettings,
  subnet,
  versionTag,
} from "../common/schema";

/** The nine mail services, in ESTATE.md's order. */
export const MAIL_SERVICES = [
  "mariadb",
  "dovecot",
  "clamav",
  "rspamd",
  "postfix",
  "roundcube",
  "mailserver-api",
  "usermgmt",
  "nginx",
] as const;
export type MailService = (typeof MAIL_SERVICES)[number];

/** The two services built from source on the Docker host. */
export const BUILT_MAIL_SERVICES = ["mailserver-api", "usermgmt"] as const;

/** A service built on the host from a build context (its multi-stage Dockerfile lives there). */
export const builtServiceSettings = z.strictObject({
  build: z.strictObject({
    /** Absolute path of the build context on the machine running Pulumi. */
    context: absolutePath,
    /** Dockerfile path relative to the context. */
    dockerfile: z.string().min(1).default("Dockerfile"),
    /** The tag the image is built as: a pinned version, never latest. */
    version: versionTag,
  }),
  cpus,
  memory,
  memoryReservation: memory.optional(),
  ip: ipv4,
  ports: z.array(publishedPort).default([]),
});
export type BuiltServiceSettings = z.infer<typeof builtServiceSettings>;

/** The outbound relay: `[host]:port`. */
const relayHost = z
  .string()
  .regex(/^\[[A-Za-z0-9.-]+\]:[0-9]{1,5}$/, "must look like [smtp.sendgrid.net]:587");

export const mailConfigSchema = z
  .strictObject({
    /** Container name prefix: `mailserver` (production), `mailserver-staging` (staging). */
    containerPrefix,
    /** The stack's private bridge network. */
    subnet,
    /** Postfix's and Dovecot's own name (`myhostname`). */
    mailHostname: hostname,
    /** The mail domains this server accepts and sends for. */
    domains: z.array(hostname).min(1, "must list at least one mail domain"),
    /** Host directory with the Tailscale TLS certificates, mounted read-only. */
    tlsCertDir: absolutePath,
    /** File name (without .crt/.key) of the certificate in `tlsCertDir`. */
    tlsCertName: hostname,
    /** Host data roots: database on the SSD, mail/rspamd/clamav on the HDD. */
    dataPaths: z.strictObject({ ssd: absolutePath, hdd: absolutePath }),
    /** Outbound relay; staging uses an unusable one. */
    relay: z.strictObject({
      host: relayHost,
      /** Send with the SendGrid API key as SMTP credentials. */
      authenticated: z.boolean(),
    }),
    services: z.strictObject({
      mariadb: serviceSettings,
      dovecot: serviceSettings,
      clamav: serviceSettings,
      rspamd: serviceSettings,
      postfix: serviceSettings,
      roundcube: serviceSettings,
      "mailserver-api": builtServiceSettings,
      usermgmt: builtServiceSettings,
      nginx: serviceSettings,
    }),
  })
  .superRefine((mail, ctx) => {
    checkServiceAddresses(mail.services, mail.subnet, ctx, ["services"]);
    const domains = new Set<string>();
    mail.domains.forEach((d, i) => {
      if (domains.has(d)) {
        ctx.addIssue({ code: "custom", path: ["domains", i], message: `${d} is listed twice` });
      }
      domains.add(d);
    });
  });

export type MailConfig = z.infer<typeof mailConfigSchema>;
