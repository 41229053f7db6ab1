/**
 * The mail stack's stack config (`onprem-infra:mail`): what differs between production and
 * staging. What every mail stack shares (roles, health checks, needs, environment) lives in
 * `services.ts`.
 */
import * as v from "valibot";
import {
  absolutePath,
  containerPrefix,
  hostname,
  Problem,
  runtimeSettings,
  serviceAddressProblems,
  serviceSettings,
  subnet,
  versionTag,
  withCrossCheck,
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
export const builtServiceSettings = v.strictObject({
  build: v.strictObject({
    /** Absolute path of the build context on the machine running Pulumi. */
    context: absolutePath,
    /** Dockerfile path relative to the context. */
    dockerfile: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty")), "Dockerfile"),
    /** The tag the image is built as: a pinned version, never latest. */
    version: versionTag,
  }),
  ...runtimeSettings,
});
export type BuiltServiceSettings = v.InferOutput<typeof builtServiceSettings>;

/** The outbound relay: `[host]:port`. */
const relayHost = v.pipe(
  v.string(),
  v.regex(/^\[[A-Za-z0-9.-]+\]:[0-9]{1,5}$/, "must look like [smtp.sendgrid.net]:587"),
);

/** Every key of the mail section; `mailConfigSchema` adds the cross-checks. */
const mailFields = v.strictObject({
  /** Container name prefix: `mailserver` (production), `mailserver-staging` (staging). */
  containerPrefix,
  /** The stack's private bridge network. */
  subnet,
  /** Postfix's and Dovecot's own name (`myhostname`). */
  mailHostname: hostname,
  /** The mail domains this server accepts and sends for. */
  domains: v.pipe(v.array(hostname), v.minLength(1, "must list at least one mail domain")),
  /** Host directory with the Tailscale TLS certificates, mounted read-only. */
  tlsCertDir: absolutePath,
  /** File name (without .crt/.key) of the certificate in `tlsCertDir`. */
  tlsCertName: hostname,
  /** Host data roots: database on the SSD, mail/rspamd/clamav on the HDD. */
  dataPaths: v.strictObject({ ssd: absolutePath, hdd: absolutePath }),
  /** Outbound relay; staging uses an unusable one. */
  relay: v.strictObject({
    host: relayHost,
    /** Send with the SendGrid API key as SMTP credentials. */
    authenticated: v.boolean("must be true or false"),
  }),
  services: v.strictObject({
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
});

/** Addresses inside the subnet and unique; each mail domain once. */
function mailProblems(mail: v.InferOutput<typeof mailFields>): Problem[] {
  const problems = serviceAddressProblems(mail.services, mail.subnet);
  mail.domains.forEach((d, i) => {
    if (mail.domains.indexOf(d) !== i) {
      problems.push({ path: ["domains", i], message: `${d} is listed twice` });
    }
  });
  return problems;
}

export const mailConfigSchema = withCrossCheck(mailFields, mailProblems);

export type MailConfig = v.InferOutput<typeof mailConfigSchema>;
