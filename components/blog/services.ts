/**
 * What every blog stack shares, as data and pure functions: each service's health check, needs
 * (start order), command, paths, the wordpress image reference, the nginx configuration (the
 * base file, a default server, one file per site by kind), MariaDB's tuning, the mail relay
 * file of the wordpress image, and a new site's installation. BlogStack turns these into
 * resources; the tests read them directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { HealthCheckSpec } from "../common/startup";
import {
  BlogService,
  BlogSite,
  HostSite,
  PathRedirect,
  ProxySite,
  RedirectSite,
  siteServerNames,
  SubdirectorySite,
  WordPressSite,
} from "./schema";

/**
 * What each service needs healthy before it starts (the running estate's depends_on, by real need). The tunnel's
 * remote configuration is a further need of cloudflared, added by BlogStack.
 */
export const BLOG_NEEDS: Readonly<Record<BlogService, readonly BlogService[]>> = {
  mariadb: [],
  redis: [],
  wordpress: ["mariadb", "redis"],
  nginx: ["wordpress"],
  cloudflared: ["nginx"],
};

/** cloudflared's metrics listener inside its container, which serves `/ready`. */
export const CLOUDFLARED_METRICS = "127.0.0.1:2000";

/** The running estate's health checks; timings default to the design document §2.4. */
export const BLOG_HEALTHCHECKS: Readonly<Record<BlogService, HealthCheckSpec>> = {
  // Password-less: the official image's script authenticates over the unix socket.
  mariadb: { test: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"] },
  redis: { test: ["CMD", "redis-cli", "ping"] },
  wordpress: { test: ["CMD", "php-fpm", "-t"] },
  nginx: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"] },
  // Healthy once the tunnel holds a connection to Cloudflare's edge (the image has no shell).
  cloudflared: { test: ["CMD", "cloudflared", "tunnel", "--metrics", CLOUDFLARED_METRICS, "ready"] },
};

/** Seconds to let a service stop cleanly before it is killed. */
export const BLOG_STOP_GRACE_SECONDS: Partial<Record<BlogService, number>> = {
  mariadb: 120,
  redis: 60,
};

/** In-container paths, as the running Compose file mounts them. */
export const BLOG_PATHS = {
  mysql: "/var/lib/mysql",
  redis: "/data",
  /** Every site's files; the same path in wordpress and nginx, so SCRIPT_FILENAME matches. */
  sites: "/var/www/html",
  /** The one log volume, mounted at each service's own log directory. */
  nginxLogs: "/var/log/nginx",
  phpLogs: "/var/log/php",
  mysqlLogs: "/var/log/mysql",
  /** MariaDB's tuning file (the image reads /etc/mysql/conf.d/*.cnf). */
  mariadbConf: "/etc/mysql/conf.d/custom.cnf",
  nginxConf: "/etc/nginx/nginx.conf",
  /** The mail relay the image's sendmail (ssmtp) reads. */
  ssmtpConf: "/etc/ssmtp/ssmtp.conf",
  /** The PHP helper a new site's wp-config.php loads (baked into the wordpress image). */
  siteHelper: "/usr/local/etc/onprem/onprem-site.php",
  /** WordPress core shipped in the image, copied into a new site's document root. */
  wordpressSource: "/usr/src/wordpress",
} as const;

/** The containers' time zone (`TZ`), as the running Compose file sets it (PHP's is in the image's ini). */
export const BLOG_TIMEZONE = "Asia/Tokyo";

/** The uid and gid that own the sites' files: Alpine's `www-data` (82), as today. */
export const WWW_DATA_UID = 82;

/** The shared database user every taken-over site's wp-config.php logs in as. */
export const SHARED_DB_USER = "wordpress";

/** The database host the taken-over wp-config.php files name: the service alias on the blog network. */
export const SHARED_DB_HOST = "mariadb";

/** The port Postfix takes submissions on (WP Mail SMTP and sendmail send there). */
export const SUBMISSION_PORT = 587;

/** The build context of the wordpress image, relative to the project directory. */
export const WORDPRESS_BUILD_CONTEXT = "components/blog/wordpress";

/** The Docker container name of a service: `blog-nginx`, `blog-staging-wordpress`. */
export function blogContainerName(prefix: string, service: BlogService): string {
  return `${prefix}-${service}`;
}

/**
 * The blog nginx as the tunnel reaches it: by container name, which is unique on every network
 * cloudflared joins (the mail network has an `nginx` of its own).
 */
export function blogNginxOrigin(prefix: string): string {
  return `http://${blogContainerName(prefix, "nginx")}:80`;
}

/** The wordpress image this stack builds: `onprem-infra/blog-wordpress:6.8.3-1`. */
export function wordpressImageName(prefix: string, version: string): string {
  return `onprem-infra/${blogContainerName(prefix, "wordpress")}:${version}`;
}

/** MariaDB server options, as the running Compose command gives them. */
export function mariadbCommand(): string[] {
  return [
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
    "--max_connections=200",
    "--innodb_buffer_pool_size=1G",
  ];
}

/** MariaDB's tuning file: the running my.cnf's settings, logs on the log volume. */
export function renderMariadbConf(): string {
  return `# Rendered by onprem-infra (components/blog/services.ts); do not edit on the host.
[mysqld]
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
innodb_buffer_pool_size = 1G
innodb_log_file_size = 256M
innodb_flush_log_at_trx_commit = 2
innodb_flush_method = O_DIRECT
innodb_file_per_table = 1
max_connections = 200
wait_timeout = 600
interactive_timeout = 600
slow_query_log = 1
slow_query_log_file = ${BLOG_PATHS.mysqlLogs}/slow-query.log
long_query_time = 2
log_error = ${BLOG_PATHS.mysqlLogs}/error.log
skip-log-bin
table_open_cache = 2000
table_definition_cache = 1000
thread_cache_size = 50
tmp_table_size = 64M
max_heap_table_size = 64M
sort_buffer_size = 2M
read_buffer_size = 1M
read_rnd_buffer_size = 2M
join_buffer_size = 2M

[mysql]
default-character-set = utf8mb4

[client]
default-character-set = utf8mb4
`;
}

/** Redis as WordPress's object cache: persistent (AOF), bounded, evicting least-recently-used keys. */
export function redisCommand(maxMemory: string): string[] {
  return [
    "redis-server",
    "--appendonly",
    "yes",
    "--maxmemory",
    maxMemory,
    "--maxmemory-policy",
    "allkeys-lru",
  ];
}

/** cloudflared runs the remotely configured tunnel; the token comes from `TUNNEL_TOKEN`. */
export function cloudflaredCommand(): string[] {
  return ["tunnel", "--no-autoupdate", "--metrics", CLOUDFLARED_METRICS, "run"];
}

/**
 * The file the image's sendmail (ssmtp) reads: Postfix's submission port by the certificate's
 * name (which `extra_hosts` maps to Postfix's address), STARTTLS, the sender as given.
 */
export function renderSsmtpConf(mailHostname: string): string {
  return `# Rendered by onprem-infra (components/blog/services.ts); do not edit on the host.
mailhub=${mailHostname}:${SUBMISSION_PORT}
FromLineOverride=YES
UseTLS=YES
UseSTARTTLS=YES
hostname=${mailHostname}
`;
}

/** A site's key in environment variable names: `fx-trader-life` -> `FX_TRADER_LIFE`. */
export function siteEnvKey(site: string): string {
  return site.toUpperCase().replace(/-/g, "_");
}

/** The environment variable names carrying one new site's database settings. */
export function siteEnvNames(site: string): { name: string; user: string; password: string } {
  const key = siteEnvKey(site);
  return { name: `SITE_${key}_DB_NAME`, user: `SITE_${key}_DB_USER`, password: `SITE_${key}_DB_PASSWORD` };
}

export interface WordpressEnvArgs {
  prefix: string;
  /** The shared `wordpress` user's running password (taken over). */
  sharedPassword: pulumi.Input<string>;
  /** The new sites, each with its own database user. */
  newSites: readonly Pick<WordPressSite, "name" | "database">[];
  /** Each new site's database password, by site name. */
  passwords: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * The wordpress container's environment: the time zone and the official image's database
 * variables as the running container has them (database `mariadb:3306`, the shared `wordpress`
 * user and its password); then, for the helper new sites load, the database and Redis hosts by
 * container name and per new site its database, user and password. Password entries are secret.
 */
export function wordpressEnv(args: WordpressEnvArgs): pulumi.Input<string>[] {
  const env: pulumi.Input<string>[] = [
    `TZ=${BLOG_TIMEZONE}`,
    `WORDPRESS_DB_HOST=${SHARED_DB_HOST}:3306`,
    `WORDPRESS_DB_USER=${SHARED_DB_USER}`,
    pulumi.secret(pulumi.interpolate`WORDPRESS_DB_PASSWORD=${args.sharedPassword}`),
    `ONPREM_DB_HOST=${blogContainerName(args.prefix, "mariadb")}`,
    `ONPREM_REDIS_HOST=${blogContainerName(args.prefix, "redis")}`,
  ];
  for (const site of args.newSites) {
    const names = siteEnvNames(site.name);
    env.push(`${names.name}=${site.database}`, `${names.user}=${site.database}`);
    env.push(pulumi.secret(pulumi.interpolate`${names.password}=${args.passwords[site.name]}`));
  }
  return env;
}

/** The nginx file name of a site's server blocks. */
export function siteConfFile(site: string): string {
  return `/etc/nginx/conf.d/site-${site}.conf`;
}

/** The nginx file of the default server. */
export const DEFAULT_SERVER_FILE = "/etc/nginx/conf.d/default.conf";

/**
 * nginx's main file, as the running one: worker and event settings, the access log formats,
 * sendfile, the 64 MB body size, gzip for text types; plus the client address from Cloudflare's
 * header, trusted only from cloudflared; then every file of conf.d.
 */
export function renderNginxConf(cloudflaredIp: string): string {
  return `# Rendered by onprem-infra (components/blog/services.ts); do not edit on the host.
user nginx;
worker_processes auto;
error_log ${BLOG_PATHS.nginxLogs}/error.log warn;
pid /var/run/nginx.pid;

events {
    worker_connections 1024;
    use epoll;
    multi_accept on;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;

    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log ${BLOG_PATHS.nginxLogs}/access.log main;

    set_real_ip_from ${cloudflaredIp};
    real_ip_header CF-Connecting-IP;

    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    types_hash_max_size 2048;
    server_tokens off;
    client_max_body_size 64M;

    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_comp_level 6;
    gzip_types text/plain text/css text/xml text/javascript
               application/json application/javascript application/xml+rss
               application/rss+xml font/truetype font/opentype
               application/vnd.ms-fontobject image/svg+xml;

    include /etc/nginx/conf.d/*.conf;
}
`;
}

/**
 * The default server: answers the health check at `/` and nothing else, so a hostname no site
 * claims (or a new site not yet installed) never reaches a site.
 */
export function renderDefaultServer(): string {
  return `# Rendered by onprem-infra (components/blog/services.ts); do not edit on the host.
server {
    listen 80 default_server;
    server_name _;
    location = / {
        access_log off;
        default_type text/plain;
        return 200 "ok\\n";
    }
    location / {
        return 404;
    }
}
`;
}

/** A path redirect's location block. */
function redirectLocation(r: PathRedirect): string {
  return `    location ^~ ${r.path} {
        return 301 ${r.to}${r.keepPath ? "$request_uri" : ""};
    }
`;
}

/** PHP through FastCGI to wordpress:9000, HTTPS as behind the tunnel. */
function fastcgiLines(indent: string, scriptFilename: string): string {
  return [
    `fastcgi_pass wordpress:9000;`,
    `fastcgi_index index.php;`,
    `include fastcgi_params;`,
    `fastcgi_param SCRIPT_FILENAME ${scriptFilename};`,
    `fastcgi_param HTTPS on;`,
    `fastcgi_param HTTP_X_FORWARDED_PROTO https;`,
    `fastcgi_read_timeout 300s;`,
  ]
    .map((l) => `${indent}${l}`)
    .join("\n");
}

/** A subdirectory site inside its parent's server block. */
function subdirectoryLocations(sub: SubdirectorySite): string {
  const root = `${BLOG_PATHS.sites}/${sub.documentRoot}`;
  const path = sub.path.replace(/\/$/, "");
  return `    # Subdirectory site ${sub.name}: ${path}/ from ${root}
    location ^~ ${path}/ {
        alias ${root}/;
        index index.php index.html;
        try_files $uri $uri/ @${sub.name};
        location ~ \\.php$ {
${fastcgiLines("            ", "$request_filename")}
        }
    }
    location = ${path} {
        return 301 ${path}/;
    }
    location @${sub.name} {
        rewrite ^${path}/(.*)$ ${path}/index.php?/$1 last;
    }
`;
}

/** The opening of a host's server block: who rendered it, then port 80 and the host's names. */
function serverHead(site: HostSite): string {
  return `# Site ${site.name} (${site.kind}): rendered by onprem-infra (components/blog/services.ts); do not edit on the host.
server {
    listen 80;
    server_name ${siteServerNames(site).join(" ")};`;
}

/**
 * A WordPress site's server block: its names, document root, path redirects and subdirectory
 * sites first, then the WordPress rules (permalinks, no PHP from uploads, no dotfiles, no
 * xmlrpc, long-lived static files) and PHP over FastCGI.
 */
export function renderWordPressSite(
  site: WordPressSite,
  subdirectories: readonly SubdirectorySite[] = [],
): string {
  return `${serverHead(site)}
    root ${BLOG_PATHS.sites}/${site.documentRoot};
    index index.php index.html;
    access_log ${BLOG_PATHS.nginxLogs}/${site.name}-access.log main;
    error_log ${BLOG_PATHS.nginxLogs}/${site.name}-error.log;

${site.redirects.map(redirectLocation).join("")}${subdirectories.map(subdirectoryLocations).join("")}    location = /favicon.ico {
        log_not_found off;
        access_log off;
    }
    location = /robots.txt {
        try_files $uri /index.php?$args;
        access_log off;
    }
    location ^~ /.well-known/ {
        try_files $uri =404;
    }
    location ~ /\\. {
        deny all;
    }
    location = /xmlrpc.php {
        deny all;
    }
    location ~* ^/wp-content/uploads/.*\\.(?:php[0-9]?|phtml|phar)$ {
        deny all;
    }
    location ~* \\.(?:css|js|mjs|jpe?g|png|gif|webp|avif|svg|ico|woff2?|ttf|eot)$ {
        try_files $uri =404;
        expires max;
        log_not_found off;
    }
    location / {
        try_files $uri $uri/ /index.php?$args;
    }
    location ~ \\.php$ {
        try_files $uri =404;
        fastcgi_split_path_info ^(.+\\.php)(/.+)$;
${fastcgiLines("        ", "$document_root$fastcgi_script_name")}
    }
}
`;
}

/** A redirect-only host: path redirects first, then everything to the target. */
export function renderRedirectSite(site: RedirectSite): string {
  return `${serverHead(site)}
    access_log ${BLOG_PATHS.nginxLogs}/${site.name}-access.log main;

${site.redirects.map(redirectLocation).join("")}    location / {
        return 301 ${site.to}${site.keepPath ? "$request_uri" : ""};
    }
}
`;
}

/** One proxied location: the original host and client, WebSocket upgrades, 60 s timeouts. */
function proxyLocation(path: string, upstream: string): string {
  return `    location ${path} {
        proxy_pass ${upstream};
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_connect_timeout 60s;
        proxy_send_timeout 60s;
        proxy_read_timeout 60s;
    }
`;
}

/** A proxy host (the admin portal): `/` and each extra path to its upstream. */
export function renderProxySite(site: ProxySite): string {
  return `${serverHead(site)}
    access_log ${BLOG_PATHS.nginxLogs}/${site.name}-access.log main;

${site.paths.map((p) => proxyLocation(p.path, p.upstream)).join("")}${proxyLocation("/", site.upstream)}}
`;
}

/** The nginx file of one site with hosts; subdirectory sites render inside their parent's. */
export function renderSiteConf(site: HostSite, sites: readonly BlogSite[]): string {
  switch (site.kind) {
    case "wordpress":
      return renderWordPressSite(
        site,
        sites.filter((s): s is SubdirectorySite => s.kind === "subdirectory" && s.parent === site.name),
      );
    case "redirect":
      return renderRedirectSite(site);
    case "proxy":
      return renderProxySite(site);
  }
}

/** The wp-config.php a new site starts with: database and Redis settings come from the helper. */
export function renderWpConfig(site: string): string {
  return `<?php
// Created by onprem-infra for the site ${site}. Database and Redis settings come from the
// container's environment through onprem_site(); never write a password into this file.
require_once '${BLOG_PATHS.siteHelper}';
onprem_site('${site}');

$table_prefix = 'wp_';

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`;
}

/**
 * The script (run as root inside the wordpress container, on stdin) that installs a new site:
 * its document root, WordPress core from the image and a wp-config.php, each only where missing;
 * then `wp core install` with the generated administrator password (read from stdin by WP-CLI's
 * `--prompt`, never on a command line), or, once installed, the administrator's password set to
 * the current one (a rotation). Files end up owned by www-data (82). nginx serves the site only
 * after this has succeeded. The script itself arrives on the shell's stdin, so every command that
 * could read stdin gets /dev/null or its own pipe instead.
 */
export function renderInstallScript(site: WordPressSite, adminPassword: string): string {
  if (site.install === undefined) {
    throw new Error(`site ${site.name} is taken over: the program never installs it`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(adminPassword)) {
    throw new Error("admin password contains characters outside [A-Za-z0-9_-]");
  }
  const dir = `${BLOG_PATHS.sites}/${site.documentRoot}`;
  const wp = `wp --allow-root --path="$d"`;
  const { title, adminUser, adminEmail } = site.install;
  return `set -eu
d='${dir}'
mkdir -p "$d"
if [ ! -e "$d/wp-includes/version.php" ]; then
  cp -a ${BLOG_PATHS.wordpressSource}/. "$d/" </dev/null
fi
if [ ! -e "$d/wp-config.php" ]; then
  cat > "$d/wp-config.php" <<'ONPREM_WP_CONFIG'
${renderWpConfig(site.name)}ONPREM_WP_CONFIG
  chmod 640 "$d/wp-config.php"
fi
if ${wp} core is-installed </dev/null 2>/dev/null; then
  printf '%s\\n' '${adminPassword}' | ${wp} user update '${adminUser}' --prompt=user_pass >/dev/null
else
  printf '%s\\n' '${adminPassword}' | ${wp} core install --url='https://${site.domain}' --title='${title}' --admin_user='${adminUser}' --admin_email='${adminEmail}' --skip-email --prompt=admin_password >/dev/null
fi
chown -R ${WWW_DATA_UID}:${WWW_DATA_UID} "$d" </dev/null
${wp} core is-installed </dev/null
echo installed
`;
}
