/**
 * The estate's secrets inventory (ESTATE.md "Secrets", seed §6): every secret, where it is used,
 * where it comes from and how often it is rotated. Nothing secret is read from anywhere else:
 * generated secrets are made from these entries, external ones are read from config by key.
 */

/** Where a secret's value comes from. */
export type SecretSource = "generated" | "external";

export interface SecretSpec {
  /** The secret's id, also its rotation-stamp key under `onprem-infra:rotations`. */
  id: string;
  description: string;
  /** Who consumes it (services, providers). */
  usedBy: string[];
  source: SecretSource;
  /** Rotation period in days: 90 for database passwords, 365 for API keys (seed §6.3). */
  periodDays: number;
  /** For generated secrets: exact length. */
  length?: number;
}

/** Database passwords: 90 days. */
export const DB_PASSWORD_DAYS = 90;
/** API keys and keys derived for services: 365 days. */
export const API_KEY_DAYS = 365;

/** The fixed secrets of the estate. Per-site WordPress database passwords are added by `siteSecretSpec`. */
export const SECRET_INVENTORY: readonly SecretSpec[] = [
  {
    id: "mailDbRootPassword",
    description:
      "Mail MariaDB root password, taken over from the running estate (the host's backup job logs in as root with ~/.my.cnf)",
    usedBy: ["mail/mariadb", "host/backup-mailserver.sh"],
    source: "external",
    periodDays: DB_PASSWORD_DAYS,
  },
  {
    id: "mailDbAppPassword",
    description:
      "Roundcube's database user (MYSQL_PASSWORD of the Compose .env), taken over (the host's monitoring reads it)",
    usedBy: ["mail/mariadb", "mail/roundcube", "host/monitor-health.sh"],
    source: "external",
    periodDays: DB_PASSWORD_DAYS,
  },
  {
    id: "usermgmtDbPassword",
    description:
      "The usermgmt database user (USERMGMT_DB_PASSWORD of the Compose .env), taken over: the unified-portal, Dovecot's SQL auth and the host's monitoring log in with it",
    usedBy: [
      "mail/mariadb",
      "mail/usermgmt",
      "mail/dovecot",
      "unified-portal/backend",
      "host/monitor-health.sh",
    ],
    source: "external",
    periodDays: DB_PASSWORD_DAYS,
  },
  {
    id: "usermgmtSecretKey",
    description: "usermgmt's Flask session secret key",
    usedBy: ["mail/usermgmt"],
    source: "generated",
    periodDays: DB_PASSWORD_DAYS,
    length: 48,
  },
  {
    id: "roundcubeDesKey",
    description: "Roundcube DES key (exactly 24 characters)",
    usedBy: ["mail/roundcube"],
    source: "generated",
    periodDays: API_KEY_DAYS,
    length: 24,
  },
  {
    id: "mailApiKey",
    description: "Mail API key (Email Worker -> mailserver-api)",
    usedBy: ["mail/mailserver-api", "tunnel/email-worker"],
    source: "generated",
    periodDays: API_KEY_DAYS,
    length: 48,
  },
  {
    id: "blogDbRootPassword",
    description: "Blog MariaDB root password",
    usedBy: ["blog/mariadb"],
    source: "generated",
    periodDays: DB_PASSWORD_DAYS,
    length: 32,
  },
  {
    id: "sendgridApiKey",
    description: "SendGrid API key (Postfix relay credentials)",
    usedBy: ["mail/postfix"],
    source: "external",
    periodDays: API_KEY_DAYS,
  },
  {
    id: "cloudflareApiToken",
    description: "Cloudflare API token (tunnel, DNS, Email Routing, Worker)",
    usedBy: ["provider/cloudflare"],
    source: "external",
    periodDays: API_KEY_DAYS,
  },
  {
    id: "tunnelSecret",
    description: "Cloudflare Tunnel secret; the tunnel token cloudflared runs with derives from it",
    usedBy: ["tunnel/tunnel", "blog/cloudflared"],
    source: "generated",
    periodDays: API_KEY_DAYS,
    length: 48,
  },
];

/** The generated secret id of one WordPress site's database password. */
export function siteSecretId(site: string): string {
  return `siteDbPassword.${site}`;
}

/** The inventory entry of one WordPress site's database password. */
export function siteSecretSpec(site: string): SecretSpec {
  return {
    id: siteSecretId(site),
    description: `WordPress site ${site}: its database user's password`,
    usedBy: ["blog/wordpress", "blog/mariadb"],
    source: "generated",
    periodDays: DB_PASSWORD_DAYS,
    length: 32,
  };
}

/** Ids of the generated fixed secrets. */
export type GeneratedSecretId =
  "usermgmtSecretKey" | "roundcubeDesKey" | "mailApiKey" | "blogDbRootPassword" | "tunnelSecret";

/** The full inventory for a site list. */
export function inventoryFor(sites: readonly string[]): SecretSpec[] {
  return [...SECRET_INVENTORY, ...sites.map(siteSecretSpec)];
}
