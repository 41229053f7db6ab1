/**
 * Facts of the running mail estate (kuma8088/project-root-infra, services/mailserver) that the
 * mail stack must keep, each with the file and line it comes from. Written in our own words;
 * test/mail-estate.spec.ts holds both stacks' captured resources against them.
 */

/** One fact: what it says, its value per stack, and where the repository states it. */
export interface EstateFact<T> {
  fact: string;
  production: T;
  staging: T;
  source: string;
}

const C = "services/mailserver/docker-compose.yml";
const S = "services/mailserver/docker-compose.staging.yml";

/** The host checkout of the repository (the cron files name it). */
export const CHECKOUT: EstateFact<string> = {
  fact: "the mail stack's Compose directory on the host",
  production: "/opt/onprem-infra-system/project-root-infra/services/mailserver",
  staging: "/opt/onprem-infra-system/project-root-infra/services/mailserver",
  source: "services/mailserver/config/cron/mailserver-monitoring.cron:13",
};

export const NETWORK = {
  name: {
    fact: "Compose's network name (project mailserver; staging runs with -p staging)",
    production: "mailserver_mailserver_network",
    staging: "staging_mailserver_network",
    source: `services/unified-portal/docker-compose.yml:22; ${S}:7`,
  },
  subnet: {
    fact: "the network's subnet",
    production: "172.20.0.0/24",
    staging: "172.21.0.0/24",
    source: `${C}:10; ${S}:25`,
  },
} satisfies Record<string, EstateFact<string>>;

export const SPOOL_VOLUME: EstateFact<string> = {
  fact: "the Postfix spool: a Docker-managed volume named by Compose",
  production: "mailserver_postfix_spool",
  staging: "staging_postfix_spool",
  source: `${C}:13; ${S}:8`,
};

/** Data directories (Compose's bind volumes, relative to the checkout) and their in-container paths. */
export const DATA_DIRS: EstateFact<Record<string, { host: string; target: string }>> = {
  fact: "data directories bind-mounted into mariadb, dovecot, rspamd and clamav",
  production: {
    mariadb: { host: "data/db", target: "/var/lib/mysql" },
    dovecot: { host: "data/mail", target: "/var/mail/vhosts" },
    rspamd: { host: "data/rspamd", target: "/var/lib/rspamd" },
    clamav: { host: "data/clamav", target: "/var/lib/clamav" },
  },
  staging: {
    mariadb: { host: "data-staging/db", target: "/var/lib/mysql" },
    dovecot: { host: "data-staging/mail", target: "/var/mail/vhosts" },
    rspamd: { host: "data-staging/rspamd", target: "/var/lib/rspamd" },
    clamav: { host: "data-staging/clamav", target: "/var/lib/clamav" },
  },
  source: `${C}:20,26,32,38,58,136,162,192; ${S}:35,41,47,53`,
};

export const MAILDIR = {
  location: {
    fact: "Dovecot's mail_location",
    production: "maildir:/var/mail/vhosts/%d/%n",
    staging: "maildir:/var/mail/vhosts/%d/%n",
    source: "services/mailserver/config/dovecot/dovecot.conf:16",
  },
  owner: {
    fact: "the uid/gid that own the Maildirs (static userdb; SQL user_query overrides to the same)",
    production: "uid=1000 gid=1000",
    staging: "uid=1000 gid=1000",
    source:
      "services/mailserver/config/dovecot/dovecot.conf:38; services/mailserver/config/dovecot/dovecot-sql.conf.ext.example:18",
  },
  usersFile: {
    fact: "Dovecot's passwd-file users, host file mounted read-only",
    production: "config/dovecot/users:/etc/dovecot/users",
    staging: "config-staging/dovecot/users:/etc/dovecot/users",
    source: `${C}:135; ${S}:139; services/mailserver/config/dovecot/dovecot.conf:33`,
  },
} satisfies Record<string, EstateFact<string>>;

export const CONTAINERS: EstateFact<Record<string, { name: string; ip: string }>> = {
  fact: "container names and fixed addresses (others hard-code them: unified-portal, WordPress extra_hosts)",
  production: {
    nginx: { name: "mailserver-nginx", ip: "172.20.0.10" },
    postfix: { name: "mailserver-postfix", ip: "172.20.0.20" },
    dovecot: { name: "mailserver-dovecot", ip: "172.20.0.30" },
    roundcube: { name: "mailserver-roundcube", ip: "172.20.0.40" },
    mariadb: { name: "mailserver-mariadb", ip: "172.20.0.60" },
    rspamd: { name: "mailserver-rspamd", ip: "172.20.0.70" },
    clamav: { name: "mailserver-clamav", ip: "172.20.0.80" },
    usermgmt: { name: "mailserver-usermgmt", ip: "172.20.0.90" },
    "mailserver-api": { name: "mailserver-api", ip: "172.20.0.100" },
  },
  staging: {
    nginx: { name: "mailserver-staging-nginx", ip: "172.21.0.10" },
    postfix: { name: "mailserver-staging-postfix", ip: "172.21.0.20" },
    dovecot: { name: "mailserver-staging-dovecot", ip: "172.21.0.30" },
    roundcube: { name: "mailserver-staging-roundcube", ip: "172.21.0.40" },
    mariadb: { name: "mailserver-staging-mariadb", ip: "172.21.0.60" },
    rspamd: { name: "mailserver-staging-rspamd", ip: "172.21.0.70" },
    clamav: { name: "mailserver-staging-clamav", ip: "172.21.0.80" },
    usermgmt: { name: "mailserver-staging-usermgmt", ip: "172.21.0.90" },
    // Not set in the staging file (which would clash with production's name): ours.
    "mailserver-api": { name: "mailserver-staging-api", ip: "172.21.0.100" },
  },
  source: `${C}:44,49,68,74,113,125,155,160,185,190,214,219,238,243,282,287,318,323; ${S}:57-234`,
};

/** Addresses of co-tenants on the mail network: they must stay free. */
export const CO_TENANT_ADDRESSES: EstateFact<string[]> = {
  fact: "the unified-portal's frontend and backend on the production mail network",
  production: ["172.20.0.91", "172.20.0.92"],
  staging: [],
  source: "services/unified-portal/docker-compose.yml:23,54",
};

export const TAILNET_ADDRESS: EstateFact<string> = {
  fact: "the host's tailnet address",
  production: "100.110.222.53",
  staging: "100.110.222.53",
  source: `${S}:131`,
};

export const PUBLISHED_PORTS: EstateFact<string[]> = {
  fact: "published host ports (host -> container); staging's 3993/3587 are the ports its Roundcube uses",
  production: [
    "dovecot:2525->2525",
    "dovecot:993->993",
    "dovecot:995->995",
    "postfix:587->587",
    "nginx:80->80",
    "nginx:443->443",
  ],
  staging: ["dovecot:3525->2525", "dovecot:3993->993", "postfix:3587->587"],
  source: `${C}:76,127-129,325-326; ${S}:130,200,202`,
};

export const CERTIFICATE = {
  hostname: {
    fact: "the name on the Tailscale certificate, which Roundcube connects to",
    production: "dell-workstation.tail67811d.ts.net",
    staging: "dell-workstation.tail67811d.ts.net",
    source: `${C}:251,253; ${S}:199`,
  },
  files: {
    fact: "certificate and key files, mounted at their host path",
    production: "/var/lib/tailscale/certs/tls.crt /var/lib/tailscale/certs/tls.key",
    staging: "/var/lib/tailscale/certs/tls.crt /var/lib/tailscale/certs/tls.key",
    source: `services/mailserver/config/dovecot/dovecot.conf:20-21; ${C}:93,331-332; services/mailserver/config/cron/mailserver-monitoring.cron:25`,
  },
} satisfies Record<string, EstateFact<string>>;

export const DATABASES = {
  usermgmt: {
    fact: "usermgmt's database and user (also Dovecot's SQL auth and the unified-portal)",
    production: "mailserver_usermgmt usermgmt",
    staging: "mailserver_usermgmt usermgmt",
    source:
      "services/mailserver/usermgmt/app/__init__.py:64-65; services/unified-portal/backend/app/config.py:29",
  },
  portal: {
    fact: "the unified-portal's own database, reached as the usermgmt user",
    production: "unified_portal",
    staging: "unified_portal",
    source: "services/unified-portal/backend/app/config.py:26",
  },
  roundcube: {
    fact: "Roundcube's database (backed up by the host job)",
    production: "roundcube_mailserver",
    staging: "roundcube_mailserver",
    source: "services/mailserver/scripts/backup-config.sh:36",
  },
  sqlAuth: {
    fact: "Dovecot's SQL passdb: table users, columns email, password_hash, enabled; home from maildir",
    production:
      "SELECT email AS user, password_hash AS password FROM users WHERE email = '%u' AND enabled = 1",
    staging: "SELECT email AS user, password_hash AS password FROM users WHERE email = '%u' AND enabled = 1",
    source:
      "services/mailserver/config/dovecot/dovecot-sql.conf.ext.example:10-13; services/mailserver/usermgmt/app/models/user.py:27,33,36,42",
  },
} satisfies Record<string, EstateFact<string>>;

export const POSTFIX = {
  mynetworks: {
    fact: "who may relay without login",
    production: "127.0.0.0/8, 172.20.0.0/24",
    staging: "127.0.0.0/8, 172.21.0.0/24",
    source: "services/mailserver/config/postfix/main.cf.tmpl:10",
  },
  relayhost: {
    fact: "the relay",
    production: "[smtp.sendgrid.net]:587",
    staging: "[127.0.0.1]:9999",
    source: `services/mailserver/README.md:53; ${S}:97`,
  },
  sizeLimit: {
    fact: "message_size_limit (25 MB)",
    production: "26214400",
    staging: "26214400",
    source: "services/mailserver/README.md:54",
  },
  transport: {
    fact: "virtual delivery over LMTP",
    production: "lmtp:unix:private/dovecot-lmtp",
    staging: "lmtp:unix:private/dovecot-lmtp",
    source: "services/mailserver/config/postfix/main.cf.tmpl:22",
  },
  sasl: {
    fact: "SASL through Dovecot's socket in the spool",
    production: "private/auth",
    staging: "private/auth",
    source:
      "services/mailserver/scripts/postfix-entrypoint.sh:78-79; services/mailserver/config/dovecot/dovecot.conf:76",
  },
  tls: {
    fact: "TLS required on submission",
    production: "encrypt",
    staging: "encrypt",
    source: "services/mailserver/scripts/postfix-entrypoint.sh:81",
  },
  milter: {
    fact: "Rspamd as milter",
    production: "inet:rspamd:11332",
    staging: "inet:rspamd:11332",
    source: "services/mailserver/scripts/postfix-entrypoint.sh:85",
  },
} satisfies Record<string, EstateFact<string>>;

export const MAIL_DOMAINS: EstateFact<string[]> = {
  fact: "the mail domains Postfix delivers locally (MAIL_DOMAIN + MAIL_ADDITIONAL_DOMAINS)",
  production: [
    "kuma8088.com",
    "fx-trader-life.com",
    "webmakeprofit.org",
    "webmakesprofit.com",
    "edgeshift.tech",
  ],
  staging: ["staging.kuma8088.com"],
  source: "services/mailserver/README.md:46-48",
};

export const APP_ENV = {
  api: {
    fact: "mailserver-api reads API_KEY, LMTP_HOST, LMTP_PORT",
    production: "API_KEY LMTP_HOST=dovecot LMTP_PORT=2525",
    staging: "API_KEY LMTP_HOST=dovecot LMTP_PORT=2525",
    source: "services/mailserver/api/app/main.py:22-24",
  },
  usermgmt: {
    fact: "usermgmt reads SECRET_KEY, DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD",
    production: "SECRET_KEY DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD",
    staging: "SECRET_KEY DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD",
    source: "services/mailserver/usermgmt/app/__init__.py:59-66",
  },
  roundcubeUpload: {
    fact: "Roundcube's upload limit",
    production: "25M",
    staging: "25M",
    source: `${C}:258`,
  },
  roundcubeSmtpAuth: {
    fact: "Roundcube sends without SMTP login (mynetworks)",
    production: "",
    staging: "",
    source: "services/mailserver/config/roundcube/smtp_noauth.inc.php:3-4",
  },
} satisfies Record<string, EstateFact<string>>;

export const NGINX = {
  admin: {
    fact: "/admin and the admin site only from the tailnet",
    production: "allow 100.64.0.0/10; deny all",
    staging: "allow 100.64.0.0/10; deny all",
    source: "services/mailserver/config/nginx/templates/mailserver.conf.template:30-33,86-87",
  },
  redirect: {
    fact: "HTTP answers with a redirect to HTTPS",
    production: "return 301 https://$host$request_uri",
    staging: "return 301 https://$host$request_uri",
    source: "services/mailserver/config/nginx/templates/mailserver.conf.template:6-8",
  },
  headers: {
    fact: "security headers",
    production: "Strict-Transport-Security X-Frame-Options X-Content-Type-Options X-XSS-Protection",
    staging: "Strict-Transport-Security X-Frame-Options X-Content-Type-Options X-XSS-Protection",
    source: "services/mailserver/config/nginx/templates/mailserver.conf.template:24-27",
  },
} satisfies Record<string, EstateFact<string>>;

/** Log directories the host's monitoring reads (relative to the checkout). */
export const LOG_DIRS: EstateFact<string[]> = {
  fact: "log directories scanned by monitor-health.sh",
  production: ["logs/postfix", "logs/dovecot", "logs/nginx", "logs/usermgmt"],
  staging: ["logs-staging/postfix", "logs-staging/dovecot", "logs-staging/nginx", "logs-staging/usermgmt"],
  source: "services/mailserver/scripts/monitor-health.sh:224-227",
};
