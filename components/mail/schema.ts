/**
 * The mail stack's stack config (`onprem-infra:mail`): what differs between production and
 * staging, and the facts of the running Compose estate the program takes over (network, spool
 * volume, host directories, certificate, databases, addresses). What every mail stack shares
 * (roles, health checks, needs, rendered config files) lives in `services.ts`.
 */
import * as v from "valibot";
import {
  absolutePath,
  bindAddress,
  containerPrefix,
  gatewayProblems,
  hostname,
  ipv4,
  namedVolumeSpec,
  networkIdentity,
  port,
  Problem,
  runtimeSettings,
  serviceAddressProblems,
  serviceSettings,
  subnet,
  versionTag,
  withCrossCheck,
} from "../common/schema";
import { DB_IDENTIFIER } from "../common/mariadb";

/** The nine mail services, in the running estate's order. */
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

/** A service built from a build context on the machine that runs Pulumi (a checkout's folder). */
export const builtServiceSettings = v.strictObject({
  build: v.strictObject({
    /** Absolute path of the build context on the machine running Pulumi, e.g. `<checkout>/services/mailserver/api`. */
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

/** A MariaDB database or user name this program may name in SQL. */
const dbIdentifier = v.pipe(
  v.string("must be a database identifier"),
  v.regex(DB_IDENTIFIER, "must be letters, digits and underscores, starting with a letter"),
);

/** A file name inside a directory (no slashes). */
const fileName = v.pipe(
  v.string("must be a file name"),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a file name without a directory"),
);

/** An IPv4 CIDR block (not necessarily a /16../29 subnet): `100.64.0.0/10`. */
const cidrBlock = v.pipe(
  v.string("must be an IPv4 CIDR block like 100.64.0.0/10"),
  v.regex(
    /^(?:[0-9]{1,3}\.){3}[0-9]{1,3}\/(?:3[0-2]|[12]?[0-9])$/,
    "must be an IPv4 CIDR block like 100.64.0.0/10",
  ),
);

/** Every key of the mail section; `mailConfigSchema` adds the cross-checks. */
const mailFields = v.strictObject({
  /** Container name prefix: `mailserver` (production), `mailserver-staging` (staging). */
  containerPrefix,
  /** The stack's bridge network's subnet (Compose: `networks.mailserver_network.ipam`). */
  subnet,
  /** The network's Docker name, gateway and (to adopt the Compose-made one) id. */
  network: v.strictObject(networkIdentity),
  /** The Postfix queue: the Compose volume `<project>_postfix_spool`, adopted by name. */
  spool: namedVolumeSpec,
  /**
   * Host directories of the Compose checkout, used as they are (never created): `data` holds
   * `mail`, `db`, `rspamd`, `clamav` (Compose's bind volumes), `config` holds Dovecot's
   * passwd-file users (`dovecot/users`), `logs` the per-service log directories the host's
   * monitoring reads.
   */
  hostPaths: v.strictObject({ data: absolutePath, config: absolutePath, logs: absolutePath }),
  /** The host's tailnet address: every published port is bound to it. */
  tailnetAddress: bindAddress,
  /** `mydomain`: the primary mail domain. */
  mailDomain: hostname,
  /** Postfix's `myhostname` and the webmail's server name. */
  mailHostname: hostname,
  /** Every mail domain Postfix accepts and Dovecot stores (`virtual_mailbox_domains`). */
  domains: v.pipe(v.array(hostname), v.minLength(1, "must list at least one mail domain")),
  /**
   * Further domains Postfix delivers to Dovecot (`virtual_mailbox_domains`) whose inbound mail
   * the tunnel does not route: still local for mail sent from the stack itself.
   */
  localOnlyDomains: v.optional(v.array(hostname), () => []),
  /** The Tailscale certificate: its name, its host directory and file names inside it. */
  certificate: v.strictObject({
    /** The name on the certificate, which clients (and Roundcube) connect to. */
    hostname,
    /** Host directory, mounted read-only at the same path in every container that serves TLS. */
    dir: absolutePath,
    certFile: fileName,
    keyFile: fileName,
  }),
  /** The management site's own server name, tailnet-only (`/admin` and this name). */
  adminHostname: hostname,
  /** Clients allowed to reach `/admin` and the admin site (the tailnet). */
  adminAllowedCidr: cidrBlock,
  /** Postfix's `message_size_limit` in bytes; nginx and Roundcube accept the same size. */
  messageSizeLimit: v.pipe(
    v.number("must be a number of bytes"),
    v.integer("must be whole bytes"),
    v.minValue(1048576, "must be at least 1 MiB"),
  ),
  /** The IMAPS and submission ports Roundcube uses at the certificate's name (published on the tailnet address). */
  roundcube: v.strictObject({ imapPort: port, smtpPort: port }),
  /** The databases and users the applications use today. */
  databases: v.strictObject({
    /** usermgmt's and Dovecot's SQL auth database (`mailserver_usermgmt`). */
    usermgmt: dbIdentifier,
    /** The user usermgmt, Dovecot and the unified-portal log in as (`usermgmt`). */
    usermgmtUser: dbIdentifier,
    /** Further databases the usermgmt user holds (the unified-portal's `unified_portal`). */
    usermgmtAlso: v.optional(v.array(dbIdentifier), () => []),
    /** Roundcube's database (`MYSQL_DATABASE` of the Compose `.env`). */
    roundcube: dbIdentifier,
    /** Roundcube's user (`MYSQL_USER` of the Compose `.env`). */
    roundcubeUser: dbIdentifier,
  }),
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

/**
 * Addresses inside the subnet and unique; the gateway inside the subnet; each mail domain once
 * and the primary among them; every published port bound to the tailnet address; Roundcube's
 * ports published.
 */
function mailProblems(mail: v.InferOutput<typeof mailFields>): Problem[] {
  const problems = [
    ...serviceAddressProblems(mail.services, mail.subnet),
    ...gatewayProblems(mail.network.gateway, mail.subnet, ["network"]),
  ];
  mail.domains.forEach((d, i) => {
    if (mail.domains.indexOf(d) !== i) {
      problems.push({ path: ["domains", i], message: `${d} is listed twice` });
    }
  });
  mail.localOnlyDomains.forEach((d, i) => {
    if (mail.domains.includes(d) || mail.localOnlyDomains.indexOf(d) !== i) {
      problems.push({ path: ["localOnlyDomains", i], message: `${d} is listed twice` });
    }
  });
  if (!mail.domains.includes(mail.mailDomain)) {
    problems.push({ path: ["mailDomain"], message: `${mail.mailDomain} is not one of domains` });
  }
  for (const [svc, settings] of Object.entries(mail.services)) {
    settings.ports.forEach((p, i) => {
      if (p.bind !== mail.tailnetAddress) {
        problems.push({
          path: ["services", svc, "ports", i, "bind"],
          message: `${p.bind} is not the tailnet address ${mail.tailnetAddress}`,
        });
      }
    });
  }
  const published = (svc: "dovecot" | "postfix", host: number, container: number) =>
    mail.services[svc].ports.some((p) => p.host === host && p.container === container);
  if (!published("dovecot", mail.roundcube.imapPort, 993)) {
    problems.push({
      path: ["roundcube", "imapPort"],
      message: `Roundcube reaches IMAPS at ${mail.certificate.hostname}:${mail.roundcube.imapPort}, which dovecot does not publish (-> 993)`,
    });
  }
  if (!published("postfix", mail.roundcube.smtpPort, 587)) {
    problems.push({
      path: ["roundcube", "smtpPort"],
      message: `Roundcube reaches submission at ${mail.certificate.hostname}:${mail.roundcube.smtpPort}, which postfix does not publish (-> 587)`,
    });
  }
  return problems;
}

export const mailConfigSchema = withCrossCheck(mailFields, mailProblems);

export type MailConfig = v.InferOutput<typeof mailConfigSchema>;

/** The IPv4 address type, re-exported for the stack's outputs. */
export { ipv4 };
