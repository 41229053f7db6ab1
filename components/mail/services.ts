/**
 * What every mail stack shares, as data and pure functions: each service's hostname, health
 * check, needs (start order), environment, mounts and rendered config files. MailserverStack
 * turns these into resources; the plan and the tests read them directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { HealthCheckSpec } from "../common/startup";
import { MailService } from "./schema";

/**
 * What each service needs healthy before it starts (ESTATE.md's "needs" column): Postfix uses
 * Rspamd as its milter and hands mail to Dovecot, Rspamd uses ClamAV, and so on. Services that
 * need nothing of each other start in parallel; the longest chain is
 * clamav -> rspamd -> postfix -> roundcube -> nginx.
 */
export const MAIL_NEEDS: Readonly<Record<MailService, readonly MailService[]>> = {
  mariadb: [],
  dovecot: ["mariadb"],
  clamav: [],
  rspamd: ["clamav"],
  postfix: ["rspamd", "dovecot"],
  roundcube: ["mariadb", "dovecot", "postfix"],
  "mailserver-api": ["dovecot"],
  usermgmt: ["mariadb"],
  nginx: ["roundcube", "usermgmt", "mailserver-api"],
};

/** Python one-liner probe for the slim custom images, which ship no curl or wget. */
function pythonHttpProbe(port: number, path: string): string[] {
  return [
    "CMD",
    "python",
    "-c",
    `import urllib.request; urllib.request.urlopen("http://127.0.0.1:${port}${path}", timeout=5)`,
  ];
}

/** ESTATE.md's health checks; timings default to seed §2.4 unless a service needs more. */
export const MAIL_HEALTHCHECKS: Readonly<Record<MailService, HealthCheckSpec>> = {
  // Password-less: the official image's script authenticates over the unix socket.
  mariadb: { test: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"] },
  dovecot: { test: ["CMD", "doveadm", "service", "status", "imap"] },
  // clamd loads ~1 GB of signatures (and downloads them on first start) before it answers.
  clamav: {
    test: ["CMD", "clamdscan", "--no-summary", "/etc/hosts"],
    timeoutSeconds: 30,
    startPeriodSeconds: 300,
  },
  rspamd: { test: ["CMD", "rspamadm", "control", "stat"] },
  postfix: { test: ["CMD", "sh", "-c", "nc -z 127.0.0.1 587"] },
  roundcube: { test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/"] },
  "mailserver-api": { test: pythonHttpProbe(8080, "/health") },
  usermgmt: { test: pythonHttpProbe(5000, "/health") },
  nginx: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"] },
};

/** Services whose images rely on setuid/setgid helpers (postdrop, dovecot-lda), so no `no-new-privileges`. */
export const NEEDS_PRIVILEGE_ESCALATION: ReadonlySet<MailService> = new Set(["postfix", "dovecot"]);

/** Seconds to let a service stop cleanly before it is killed (databases and queues flush). */
export const STOP_GRACE_SECONDS: Partial<Record<MailService, number>> = {
  mariadb: 120,
  dovecot: 60,
  postfix: 60,
};

/** The Docker container name of a service: `mailserver-dovecot`, `mailserver-staging-api`. */
export function mailContainerName(prefix: string, service: MailService): string {
  return `${prefix}-${service.replace(/^mailserver-/, "")}`;
}

/** The database names and users the mail stack uses. */
export const MAIL_DB = {
  /** Virtual users and domains (Dovecot SQL auth, usermgmt). */
  mailDatabase: "mailserver",
  /** Roundcube's own tables. */
  roundcubeDatabase: "roundcube",
  /** Roundcube and Dovecot connect as this user. */
  appUser: "mailuser",
  /** usermgmt connects as this user. */
  usermgmtUser: "usermgmt",
} as const;

/** In-container paths. */
export const MAIL_PATHS = {
  maildir: "/srv/mail",
  spool: "/var/spool/postfix",
  certs: "/etc/ssl/mail",
  mysql: "/var/lib/mysql",
  clamav: "/var/lib/clamav",
  rspamd: "/var/lib/rspamd",
} as const;

/** Postfix's environment (boky/postfix reads `POSTFIX_<param>` as main.cf settings). */
export function postfixEnv(args: {
  mailHostname: string;
  domains: readonly string[];
  relayHost: string;
  tlsCertName: string;
  relayPassword?: pulumi.Input<string>;
}): pulumi.Input<string>[] {
  const env: pulumi.Input<string>[] = [
    `RELAYHOST=${args.relayHost}`,
    `ALLOWED_SENDER_DOMAINS=${args.domains.join(" ")}`,
    `POSTFIX_myhostname=${args.mailHostname}`,
    "POSTFIX_smtpd_milters=inet:rspamd:11332",
    "POSTFIX_non_smtpd_milters=inet:rspamd:11332",
    "POSTFIX_milter_default_action=accept",
    "POSTFIX_smtp_tls_security_level=encrypt",
    `POSTFIX_smtpd_tls_cert_file=${MAIL_PATHS.certs}/${args.tlsCertName}.crt`,
    `POSTFIX_smtpd_tls_key_file=${MAIL_PATHS.certs}/${args.tlsCertName}.key`,
  ];
  if (args.relayPassword !== undefined) {
    env.push("RELAYHOST_USERNAME=apikey");
    env.push(pulumi.secret(pulumi.interpolate`RELAYHOST_PASSWORD=${args.relayPassword}`));
  }
  return env;
}

/** Dovecot's SQL passdb/userdb settings; carries the app password, so the result is secret. */
export function renderDovecotSql(password: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`driver = mysql
connect = host=mariadb dbname=${MAIL_DB.mailDatabase} user=${MAIL_DB.appUser} password=${password}
default_pass_scheme = SHA512-CRYPT
password_query = SELECT email AS user, password FROM users WHERE email = '%u' AND active = 1
user_query = SELECT CONCAT('${MAIL_PATHS.maildir}/', domain, '/', local_part) AS home, 5000 AS uid, 5000 AS gid FROM users WHERE email = '%u' AND active = 1
iterate_query = SELECT email AS user FROM users WHERE active = 1
`,
  );
}

/** Dovecot's local settings: protocols, LMTP on 2525 for Postfix and the mail API, TLS from the host. */
export function renderDovecotConf(tlsCertName: string): string {
  return `# Rendered by onprem-infra (components/mail/services.ts); do not edit on the host.
protocols = imap pop3 lmtp
listen = *
mail_location = maildir:${MAIL_PATHS.maildir}/%d/%n/Maildir
mail_uid = 5000
mail_gid = 5000
first_valid_uid = 5000
ssl = required
ssl_cert = <${MAIL_PATHS.certs}/${tlsCertName}.crt
ssl_key = <${MAIL_PATHS.certs}/${tlsCertName}.key
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
disable_plaintext_auth = yes
passdb {
  driver = sql
  args = /etc/dovecot/dovecot-sql.conf.ext
}
userdb {
  driver = sql
  args = /etc/dovecot/dovecot-sql.conf.ext
}
service lmtp {
  inet_listener lmtp {
    address = *
    port = 2525
  }
}
service imap-login {
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3s {
    port = 995
    ssl = yes
  }
}
`;
}

/** Rspamd's antivirus module: scan through clamd on the clamav container. */
export function renderRspamdAntivirus(): string {
  return `# Rendered by onprem-infra (components/mail/services.ts).
clamav {
  scan_mime_parts = true;
  symbol = "CLAM_VIRUS";
  type = "clamav";
  action = "reject";
  servers = "clamav:3310";
}
`;
}

/** The mail nginx: webmail at /, usermgmt at /admin/, the mail API at /api/, plain HTTP and TLS. */
export function renderMailNginxConf(tlsCertName: string): string {
  const locations = `    client_max_body_size 50m;
    location / {
        proxy_pass http://roundcube:80;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
    location /admin/ {
        proxy_pass http://usermgmt:5000/;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Prefix /admin;
    }
    location /api/ {
        proxy_pass http://mailserver-api:8080/;
        proxy_set_header Host $host;
    }
`;
  return `# Rendered by onprem-infra (components/mail/services.ts); do not edit on the host.
server {
    listen 80;
    server_name _;
${locations}}
server {
    listen 443 ssl;
    http2 on;
    server_name _;
    ssl_certificate ${MAIL_PATHS.certs}/${tlsCertName}.crt;
    ssl_certificate_key ${MAIL_PATHS.certs}/${tlsCertName}.key;
    ssl_protocols TLSv1.2 TLSv1.3;
${locations}}
`;
}
