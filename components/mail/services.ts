/**
 * What every mail stack shares, as data and pure functions: each service's hostname, health
 * check, needs (start order), environment, mounts and rendered config files. MailserverStack
 * turns these into resources; the plan and the tests read them directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { HealthCheckSpec } from "../common/startup";
import { MailConfig, MailService } from "./schema";

/**
 * What each service needs healthy before it starts (the running estate's depends_on, by real need): Postfix uses
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

/** The running estate's health checks; timings default to the design document §2.4 unless a service needs more. */
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

/** The Docker container name of a service: `mailserver-dovecot`, `mailserver-api`, `mailserver-staging-api`. */
export function mailContainerName(prefix: string, service: MailService): string {
  return `${prefix}-${service.replace(/^mailserver-/, "")}`;
}

/**
 * In-container paths, as the running Compose estate has them (the fixture in
 * test/estate/mail.ts cites each): mailboxes, spool, database, scanner and filter data, the
 * certificate directory (mounted at its host path), Dovecot's passwd-file.
 */
export const MAIL_PATHS = {
  maildir: "/var/mail/vhosts",
  spool: "/var/spool/postfix",
  mysql: "/var/lib/mysql",
  clamav: "/var/lib/clamav",
  rspamd: "/var/lib/rspamd",
  dovecotUsers: "/etc/dovecot/users",
  dovecotConf: "/etc/dovecot/dovecot.conf",
  dovecotSql: "/etc/dovecot/dovecot-sql.conf.ext",
  postfixMain: "/etc/postfix/main.cf",
  postfixSasl: "/etc/postfix/sasl_passwd",
} as const;

/** The uid and gid that own every Maildir (Dovecot's static userdb and SQL user_query). */
export const MAILBOX_OWNER = { uid: 1000, gid: 1000 } as const;

/** Host sub-directories of `hostPaths.data` (Compose's bind volumes) and where each is mounted. */
export const MAIL_DATA_DIRS = {
  db: { dir: "db", target: MAIL_PATHS.mysql, services: ["mariadb"] },
  mail: { dir: "mail", target: MAIL_PATHS.maildir, services: ["dovecot"] },
  rspamd: { dir: "rspamd", target: MAIL_PATHS.rspamd, services: ["rspamd"] },
  clamav: { dir: "clamav", target: "/var/lib/clamav", services: ["clamav"] },
} as const;

/** Each service's log directory under `hostPaths.logs`, and where the service writes it. */
export const MAIL_LOG_DIRS: Readonly<Record<MailService, { dir: string; target: string } | undefined>> = {
  mariadb: undefined,
  postfix: { dir: "postfix", target: "/var/log" },
  dovecot: { dir: "dovecot", target: "/var/log" },
  rspamd: { dir: "rspamd", target: "/var/log/rspamd" },
  clamav: { dir: "clamav", target: "/var/log/clamav" },
  "mailserver-api": { dir: "mailserver-api", target: "/var/log/mailserver-api" },
  roundcube: { dir: "roundcube", target: "/var/log/roundcube" },
  usermgmt: { dir: "usermgmt", target: "/var/log/usermgmt" },
  nginx: { dir: "nginx", target: "/var/log/nginx" },
};

/** The certificate's two files as every TLS-serving container sees them (the host path). */
export function certPaths(cert: MailConfig["certificate"]): { cert: string; key: string } {
  return { cert: `${cert.dir}/${cert.certFile}`, key: `${cert.dir}/${cert.keyFile}` };
}

/** Postfix's `mynetworks`: loopback and the mail network (Roundcube, WordPress, the API relay without auth). */
export function postfixMynetworks(subnet: string): string[] {
  return ["127.0.0.0/8", subnet];
}

/** What `renderPostfixMain` needs. */
export interface PostfixSettings {
  mailHostname: string;
  mailDomain: string;
  domains: readonly string[];
  subnet: string;
  relayHost: string;
  /** Whether the relay takes the SendGrid credentials (production). */
  relayAuthenticated: boolean;
  messageSizeLimit: number;
  certificate: MailConfig["certificate"];
}

/**
 * Postfix's complete main.cf, as the running entrypoint leaves it (its template plus the
 * `postconf -e` overrides): relay for mynetworks and SASL-authenticated clients (through
 * Dovecot's socket in the shared spool), TLS required on submission, virtual domains delivered to
 * Dovecot over LMTP, Rspamd as milter, the SendGrid relay (credentials only where it
 * authenticates).
 */
export function renderPostfixMain(s: PostfixSettings): string {
  const cert = certPaths(s.certificate);
  const lines = [
    "# Rendered by onprem-infra (components/mail/services.ts); do not edit on the host.",
    `myhostname = ${s.mailHostname}`,
    `mydomain = ${s.mailDomain}`,
    "myorigin = $mydomain",
    "mydestination =",
    "inet_interfaces = all",
    "inet_protocols = ipv4",
    `mynetworks = ${postfixMynetworks(s.subnet).join(", ")}`,
    `relayhost = ${s.relayHost}`,
    `smtp_sasl_auth_enable = ${s.relayAuthenticated ? "yes" : "no"}`,
    // The image's own map type (lmdb on Alpine, hash elsewhere), as postmap builds it.
    ...(s.relayAuthenticated
      ? [`smtp_sasl_password_maps = $default_database_type:${MAIL_PATHS.postfixSasl}`]
      : []),
    "smtp_sasl_security_options = noanonymous",
    "smtp_tls_security_level = encrypt",
    "smtp_tls_note_starttls_offer = yes",
    `virtual_mailbox_domains = ${s.domains.join(", ")}`,
    "virtual_transport = lmtp:unix:private/dovecot-lmtp",
    `message_size_limit = ${s.messageSizeLimit}`,
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    "smtpd_sasl_type = dovecot",
    "smtpd_sasl_path = private/auth",
    "smtpd_sasl_auth_enable = yes",
    "smtpd_tls_security_level = encrypt",
    `smtpd_tls_cert_file = ${cert.cert}`,
    `smtpd_tls_key_file = ${cert.key}`,
    "milter_default_action = accept",
    "milter_protocol = 6",
    "smtpd_milters = inet:rspamd:11332",
    "non_smtpd_milters = $smtpd_milters",
    "milter_mail_macros = i {mail_name} {mail_version} {instance} {queue_id} {client_addr} {client_name} {auth_type} {auth_authen}",
    "milter_connect_macros = j {daemon_name} v",
  ];
  return `${lines.join("\n")}\n`;
}

/** The SendGrid credentials file (`relayhost username:password`); secret. */
export function renderPostfixSasl(relayHost: string, apiKey: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.interpolate`${relayHost} apikey:${apiKey}\n`);
}

/**
 * Postfix's entrypoint: build the credentials map when there is one, log to the host's log
 * directory through rsyslog (the monitoring reads `mail.log`), then run Postfix in the foreground.
 * The image's own start script is not used: it would rewrite main.cf from its variables.
 */
export const POSTFIX_ENTRYPOINT: readonly string[] = [
  "/bin/sh",
  "-c",
  [
    "set -eu",
    `if [ -f ${MAIL_PATHS.postfixSasl} ]; then chmod 600 ${MAIL_PATHS.postfixSasl}; postmap ${MAIL_PATHS.postfixSasl}; fi`,
    "touch /var/log/mail.log /var/log/mail.err /var/log/mail.warn",
    "printf 'mail.* /var/log/mail.log\\nmail.err /var/log/mail.err\\nmail.warning /var/log/mail.warn\\n' > /etc/rsyslog.d/50-onprem-mail.conf",
    "rsyslogd || echo 'rsyslogd did not start; mail logs go to stdout only' >&2",
    "exec postfix start-fg",
  ].join("\n"),
];

/**
 * Dovecot's one complete configuration, replacing the image's own `dovecot.conf` (which carries a
 * static test password). Same listeners as today (IMAP 143/993, POP3 110/995, LMTP 2525 for the
 * mail API), the auth socket Postfix's SASL uses and an LMTP socket for Postfix's virtual
 * transport, both in the shared spool; the passwd-file users first, then SQL; every mailbox
 * under /var/mail/vhosts/<domain>/<user> owned by uid/gid 1000; sieve on LMTP, imap_sieve on IMAP;
 * TLS from the Tailscale certificate; logs in the host's log directory.
 */
export function renderDovecotConf(cert: MailConfig["certificate"]): string {
  const files = certPaths(cert);
  return `# Rendered by onprem-infra (components/mail/services.ts); do not edit on the host.
protocols = imap pop3 lmtp
listen = *
log_path = /var/log/dovecot.log
info_log_path = /var/log/dovecot-info.log
debug_log_path = /var/log/dovecot-debug.log
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
mail_location = maildir:${MAIL_PATHS.maildir}/%d/%n
ssl = required
ssl_cert = <${files.cert}
ssl_key = <${files.key}
ssl_min_protocol = TLSv1.2
ssl_cipher_list = ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384
ssl_prefer_server_ciphers = yes
auth_mechanisms = plain login

# Users: the passwd-file first, then usermgmt's SQL table.
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%u ${MAIL_PATHS.dovecotUsers}
}
passdb {
  driver = sql
  args = ${MAIL_PATHS.dovecotSql}
}
# Every mailbox lives at the same place with the same owner, whichever passdb knew the user.
userdb {
  driver = static
  args = uid=${MAILBOX_OWNER.uid} gid=${MAILBOX_OWNER.gid} home=${MAIL_PATHS.maildir}/%d/%n
}

service lmtp {
  inet_listener lmtp {
    address = *
    port = 2525
  }
  unix_listener ${MAIL_PATHS.spool}/private/dovecot-lmtp {
    mode = 0666
  }
}
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 995
    ssl = yes
  }
}
service auth {
  unix_listener ${MAIL_PATHS.spool}/private/auth {
    mode = 0666
  }
}
protocol lmtp {
  mail_plugins = $mail_plugins sieve
}
protocol imap {
  mail_plugins = $mail_plugins imap_sieve
}
`;
}

/** Dovecot's command: the log files it writes, followed on stdout, then Dovecot in the foreground. */
export const DOVECOT_COMMAND: readonly string[] = [
  "/bin/sh",
  "-c",
  [
    "touch /var/log/dovecot.log /var/log/dovecot-info.log /var/log/dovecot-debug.log",
    "tail -n0 -F /var/log/dovecot.log /var/log/dovecot-info.log /var/log/dovecot-debug.log &",
    `exec /usr/sbin/dovecot -F -c ${MAIL_PATHS.dovecotConf}`,
  ].join("\n"),
];

/** Dovecot's SQL passdb: usermgmt's `users` table, as the running Dovecot queries it; secret. */
export function renderDovecotSql(
  db: Pick<MailConfig["databases"], "usermgmt" | "usermgmtUser">,
  password: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`driver = mysql
connect = host=mariadb dbname=${db.usermgmt} user=${db.usermgmtUser} password=${password}
default_pass_scheme = SHA512-CRYPT
password_query = SELECT email AS user, password_hash AS password FROM users WHERE email = '%u' AND enabled = 1
user_query = SELECT ${MAILBOX_OWNER.uid} AS uid, ${MAILBOX_OWNER.gid} AS gid, maildir AS home FROM users WHERE email = '%u' AND enabled = 1
`,
  );
}

/** Rspamd's milter proxy for Postfix on 11332, scanning itself (as the running override). */
export function renderRspamdProxy(): string {
  return `# Rendered by onprem-infra (components/mail/services.ts).
enabled = true;
bind_socket = "0.0.0.0:11332";
count = 1;
timeout = 120s;
milter = yes;
upstream "local" {
  default = yes;
  self_scan = yes;
}
`;
}

/** Rspamd's antivirus module: scan through clamd on the clamav container (new: see docs/takeover-mail.md). */
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

/**
 * clamd's settings as the running clamd.conf has them: TCP 3310 for Rspamd, the local socket for
 * freshclam. Without the running file's `AllowSupplementaryGroups`: deprecated and without effect
 * since ClamAV 0.103 (clamd always takes the user's supplementary groups); clamconf flags it.
 */
export function renderClamdConf(): string {
  return `# Rendered by onprem-infra (components/mail/services.ts).
LogFile /var/log/clamav/clamd.log
LogTime yes
LogSyslog no
PidFile /var/run/clamav/clamd.pid
Foreground no
DatabaseDirectory ${MAIL_PATHS.clamav}
LocalSocket /var/run/clamav/clamd.ctl
FixStaleSocket yes
TCPSocket 3310
TCPAddr 0.0.0.0
User clamav
SelfCheck 3600
ReadTimeout 300
MaxQueue 2000
LogClean yes
`;
}

/** Roundcube's local settings: no SMTP authentication (Postfix relays for mynetworks), as today. */
export function renderRoundcubeConf(): string {
  return `<?php
// Rendered by onprem-infra (components/mail/services.ts): submission from the mail network
// needs no login (Postfix relays for mynetworks), as the running estate does.
$config['smtp_user'] = '';
$config['smtp_pass'] = '';
`;
}

/** What `renderMailNginxConf` needs. */
export interface MailNginxSettings {
  mailHostname: string;
  adminHostname: string;
  adminAllowedCidr: string;
  messageSizeLimit: number;
  certificate: MailConfig["certificate"];
}

/** nginx's size for `client_max_body_size`: whole MiB (`25M`). */
export function bodySizeMb(bytes: number): string {
  return `${Math.ceil(bytes / 1048576)}M`;
}

/**
 * The mail nginx, as the running template: HTTP answers with a redirect to HTTPS; webmail on
 * the mail hostname with the security headers; `/admin` and the admin hostname only from the
 * tailnet, proxied to usermgmt.
 */
export function renderMailNginxConf(s: MailNginxSettings): string {
  const cert = certPaths(s.certificate);
  const tls = `    ssl_certificate ${cert.cert};
    ssl_certificate_key ${cert.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers HIGH:!aNULL:!MD5;
    ssl_prefer_server_ciphers on;
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    add_header X-Frame-Options "SAMEORIGIN" always;
    add_header X-Content-Type-Options "nosniff" always;
    add_header X-XSS-Protection "1; mode=block" always;
`;
  const proxy = (upstream: string, timeout: number) => `        proxy_pass http://${upstream};
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout ${timeout};
        proxy_send_timeout ${timeout};
        proxy_read_timeout ${timeout};
`;
  return `# Rendered by onprem-infra (components/mail/services.ts); do not edit on the host.
server {
    listen 80;
    server_name ${s.mailHostname} ${s.adminHostname};
    location / {
        return 301 https://$host$request_uri;
    }
}
server {
    listen 443 ssl;
    http2 on;
    server_name ${s.mailHostname};
${tls}
    location /admin {
        allow ${s.adminAllowedCidr};
        deny all;
${proxy("usermgmt:5000", 300)}    }
    location / {
${proxy("roundcube:80", 600)}        send_timeout 600;
        client_max_body_size ${bodySizeMb(s.messageSizeLimit)};
    }
}
server {
    listen 443 ssl;
    http2 on;
    server_name ${s.adminHostname};
${tls}
    allow ${s.adminAllowedCidr};
    deny all;
    location / {
${proxy("usermgmt:5000", 300)}    }
}
`;
}
