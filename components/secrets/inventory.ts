/**
 * The estate's secrets inventory (the estate's secrets table, the design document §6): every secret, where it is used,
 * where it comes from and how often it is rotated. Nothing secret is read from anywhere else:
 * generated secrets are made from these entries, external ones are read from config by key.
 *
 * The external entries are the one registry of secrets set with `pulumi config set --secret`:
 * config.ts reads and requires them from it (per stack, by `heldWhen`), the offline harness makes
 * its placeholders from it, and a test holds `Pulumi.yaml`'s declarations to it. A new external
 * secret is one entry appended here.
 */

/** Where a secret's value comes from. */
export type SecretSource = "generated" | "external";

export interface SecretSpec {
  /** The secret's id, also its rotation-stamp key under `onprem-infra:rotations`. */
  id: string;
  description: string;
  /** Who consumes it (services, providers). */
  usedBy: readonly string[];
  source: SecretSource;
  /** Rotation period in days: 90 for database passwords, 365 for API keys (the design document §6.3). */
  periodDays: number;
  /** For generated secrets: exact length. */
  length?: number;
  /**
   * External secrets only: whether a stack holds it, judged from that stack's own config (the
   * `onprem-infra:` keys, not yet validated); `undefined` while the key it depends on is itself
   * invalid (its own message says so). Absent: every stack holds it, so `Pulumi.yaml` declares it
   * (`type: string`, `secret: true`, no default) and the CLI itself requires it, encrypted. A
   * secret only some stacks hold cannot be declared there: the CLI requires every declared key
   * without a default in every stack.
   */
  heldWhen?: HeldWhen;
  /**
   * External database passwords taken over from the running estate: config refuses a value
   * outside `[A-Za-z0-9_-]{12,}` (it goes into SQL literals, DSNs and env files unquoted).
   */
  takenOverPassword?: boolean;
}

/** Which stacks hold an external secret: a test over the stack's config, and those stacks in words. */
export interface HeldWhen {
  /** e.g. "stacks whose mail relay authenticates (mail.relay.authenticated: true)". */
  stacks: string;
  test: (config: Readonly<Record<string, unknown>>) => boolean | undefined;
}

/** Whether the stack's mail relay authenticates (`mail.relay.authenticated`); undefined when that is no boolean. */
export function relayAuthenticates(config: Readonly<Record<string, unknown>>): boolean | undefined {
  const mail = config.mail as { relay?: { authenticated?: unknown } } | undefined;
  const value = mail?.relay?.authenticated;
  return typeof value === "boolean" ? value : undefined;
}

/** Database passwords: 90 days. */
export const DB_PASSWORD_DAYS = 90;
/** API keys and keys derived for services: 365 days. */
export const API_KEY_DAYS = 365;

/**
 * The fixed secrets of the estate. Each new WordPress site's database and administrator passwords
 * are added by `siteSecretSpec` and `siteAdminSecretSpec`.
 */
export const SECRET_INVENTORY = [
  {
    id: "mailDbRootPassword",
    description:
      "Mail MariaDB root password, taken over from the running estate (the host's backup job logs in as root with ~/.my.cnf)",
    usedBy: ["mail/mariadb", "host/backup-mailserver.sh"],
    source: "external",
    periodDays: DB_PASSWORD_DAYS,
    takenOverPassword: true,
  },
  {
    id: "mailDbAppPassword",
    description:
      "Roundcube's database user (MYSQL_PASSWORD of the Compose .env), taken over (the host's monitoring reads it)",
    usedBy: ["mail/mariadb", "mail/roundcube", "host/monitor-health.sh"],
    source: "external",
    periodDays: DB_PASSWORD_DAYS,
    takenOverPassword: true,
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
    takenOverPassword: true,
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
    description:
      "Mail API key (API_KEY of the Compose .env), taken over: the program's Email Worker and the dashboard-made Worker mailserver-inbound-relay, which still serves the zones the program does not route, post with it",
    usedBy: ["mail/mailserver-api", "tunnel/email-worker", "cloudflare/mailserver-inbound-relay"],
    source: "external",
    periodDays: API_KEY_DAYS,
    takenOverPassword: true,
  },
  {
    id: "blogDbRootPassword",
    description:
      "Blog MariaDB root password (MYSQL_ROOT_PASSWORD of the blog's Compose .env), taken over: the unified-portal logs in to the blog database as root with it",
    usedBy: ["blog/mariadb", "unified-portal/backend"],
    source: "external",
    periodDays: DB_PASSWORD_DAYS,
    takenOverPassword: true,
  },
  {
    id: "blogDbWordpressPassword",
    description:
      "The shared `wordpress` database user's password (MYSQL_PASSWORD of the blog's Compose .env), taken over: every taken-over site's wp-config.php logs in with it",
    usedBy: ["blog/mariadb", "blog/wordpress", "blog/sites wp-config.php"],
    source: "external",
    periodDays: DB_PASSWORD_DAYS,
    takenOverPassword: true,
  },
  {
    id: "sendgridApiKey",
    description: "SendGrid API key (Postfix relay credentials)",
    usedBy: ["mail/postfix"],
    source: "external",
    periodDays: API_KEY_DAYS,
    // Only where the relay authenticates: staging's is an unusable loopback and holds no key.
    heldWhen: {
      stacks: "stacks whose mail relay authenticates (mail.relay.authenticated: true)",
      test: relayAuthenticates,
    },
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
] as const satisfies readonly SecretSpec[];

type InventoryEntry = (typeof SECRET_INVENTORY)[number];

/** Ids of the generated fixed secrets. */
export type GeneratedSecretId = Extract<InventoryEntry, { source: "generated" }>["id"];
/** Ids (and config keys, under `onprem-infra:`) of the external secrets. */
export type ExternalSecretId = Extract<InventoryEntry, { source: "external" }>["id"];
/** The external secrets only some stacks hold (those with `heldWhen`). */
export type ConditionalSecretId = Extract<InventoryEntry, { source: "external"; heldWhen: unknown }>["id"];

/** The external secrets, in inventory order: the registry of `pulumi config set --secret` keys. */
export const EXTERNAL_SECRETS = SECRET_INVENTORY.filter(
  (s): s is Extract<InventoryEntry, { source: "external" }> => s.source === "external",
) as readonly (SecretSpec & { id: ExternalSecretId })[];

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

/** The generated secret id of one new WordPress site's administrator password. */
export function siteAdminSecretId(site: string): string {
  return `siteAdminPassword.${site}`;
}

/**
 * The inventory entry of one new WordPress site's administrator password: generated, set by the
 * install step (`wp core install`, later `wp user update`), rotated with the site's stamp.
 */
export function siteAdminSecretSpec(site: string): SecretSpec {
  return {
    id: siteAdminSecretId(site),
    description: `WordPress site ${site}: its administrator's password (read it with pulumi stack output --show-secrets siteAdminPasswords)`,
    usedBy: ["blog/wordpress (wp core install)"],
    source: "generated",
    periodDays: DB_PASSWORD_DAYS,
    length: 32,
  };
}

/** The full inventory for a list of new WordPress sites: each has a database and an administrator password. */
export function inventoryFor(sites: readonly string[]): SecretSpec[] {
  return [...SECRET_INVENTORY, ...sites.flatMap((site) => [siteSecretSpec(site), siteAdminSecretSpec(site)])];
}

/** Which external secrets a stack holds, from its own config; `undecided`: those whose condition is itself invalid. */
export function externalSecretsHeld(config: Readonly<Record<string, unknown>>): {
  held: ExternalSecretId[];
  undecided: ExternalSecretId[];
} {
  const held: ExternalSecretId[] = [];
  const undecided: ExternalSecretId[] = [];
  for (const spec of EXTERNAL_SECRETS) {
    const holds = spec.heldWhen ? spec.heldWhen.test(config) : true;
    if (holds === undefined) {
      undecided.push(spec.id);
    } else if (holds) {
      held.push(spec.id);
    }
  }
  return { held, undecided };
}
