/**
 * What every blog stack shares, as data and pure functions: each service's health check, needs
 * (start order), command, paths, the wordpress image reference, the nginx virtual hosts and the
 * environment that carries each site's database credentials. BlogStack turns these into
 * resources; the tests read them directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { HealthCheckSpec } from "../common/startup";
import { BlogService, BlogSite, siteHostnames } from "./schema";

/**
 * What each service needs healthy before it starts (ESTATE.md's "needs" column). The tunnel's
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

/** ESTATE.md's health checks; timings default to seed §2.4. */
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

/** In-container paths. */
export const BLOG_PATHS = {
  mysql: "/var/lib/mysql",
  redis: "/data",
  /** Every site's files; the same path in wordpress and nginx, so SCRIPT_FILENAME matches. */
  sites: "/var/www/html",
  /** The PHP helper each site's wp-config.php loads (baked into the wordpress image). */
  siteHelper: "/usr/local/etc/onprem/onprem-site.php",
  /** WordPress core shipped in the image, copied into a new site's document root. */
  wordpressSource: "/usr/src/wordpress",
} as const;

/** The blog's data volumes: host disk and sub-directory. */
export const BLOG_VOLUMES = {
  db: { disk: "ssd", dir: "mysql", target: BLOG_PATHS.mysql },
  redis: { disk: "ssd", dir: "redis", target: BLOG_PATHS.redis },
  sites: { disk: "hdd", dir: "wordpress", target: BLOG_PATHS.sites },
} as const;
export type BlogVolume = keyof typeof BLOG_VOLUMES;

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

/** The wordpress image this stack builds: `onprem-infra/blog-wordpress:6.6.2-1`. */
export function wordpressImageName(prefix: string, version: string): string {
  return `onprem-infra/${blogContainerName(prefix, "wordpress")}:${version}`;
}

/** MariaDB server options: utf8mb4 throughout. */
export function mariadbCommand(): string[] {
  return ["--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"];
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

/** A site's key in environment variable names: `fx-trader-life` -> `FX_TRADER_LIFE`. */
export function siteEnvKey(site: string): string {
  return site.toUpperCase().replace(/-/g, "_");
}

/** The environment variable names carrying one site's database settings. */
export function siteEnvNames(site: string): { name: string; user: string; password: string } {
  const key = siteEnvKey(site);
  return { name: `SITE_${key}_DB_NAME`, user: `SITE_${key}_DB_USER`, password: `SITE_${key}_DB_PASSWORD` };
}

/**
 * The wordpress container's environment: the shared database and Redis hosts (by container
 * name: wordpress also sits on the mail network, which has a `mariadb` of its own), then per
 * site its database, user and password. Password entries are secret.
 */
export function wordpressEnv(
  prefix: string,
  sites: readonly Pick<BlogSite, "name" | "database">[],
  passwords: Readonly<Record<string, pulumi.Input<string>>>,
): pulumi.Input<string>[] {
  const env: pulumi.Input<string>[] = [
    `ONPREM_DB_HOST=${blogContainerName(prefix, "mariadb")}`,
    `ONPREM_REDIS_HOST=${blogContainerName(prefix, "redis")}`,
  ];
  for (const site of sites) {
    const names = siteEnvNames(site.name);
    env.push(`${names.name}=${site.database}`, `${names.user}=${site.database}`);
    env.push(pulumi.secret(pulumi.interpolate`${names.password}=${passwords[site.name]}`));
  }
  return env;
}

/** The nginx file name of a site's virtual host. */
export function siteConfFile(site: string): string {
  return `/etc/nginx/conf.d/site-${site}.conf`;
}

/**
 * The http-level settings and the default server: the client address from Cloudflare's header
 * (trusted only from cloudflared), HTTPS as the tunnel saw it, and a default server that answers
 * the health check at `/` and nothing else, so unknown hostnames never reach a site.
 */
export function renderNginxBaseConf(cloudflaredIp: string): string {
  return `# Rendered by onprem-infra (components/blog/services.ts); do not edit on the host.
set_real_ip_from ${cloudflaredIp};
real_ip_header CF-Connecting-IP;
map $http_x_forwarded_proto $onprem_https {
    default "";
    https on;
}
server_tokens off;
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

/**
 * One site's virtual host: its primary domain and aliases, its document root, PHP through
 * FastCGI to wordpress:9000, and the usual WordPress rules (pretty permalinks, no PHP from
 * uploads, no dotfiles, no xmlrpc, long-lived static assets).
 */
export function renderNginxSite(
  site: Pick<BlogSite, "name" | "domain" | "aliases" | "documentRoot">,
): string {
  return `# Site ${site.name}: rendered by onprem-infra (components/blog/services.ts); do not edit on the host.
server {
    listen 80;
    server_name ${siteHostnames(site).join(" ")};
    root ${BLOG_PATHS.sites}/${site.documentRoot};
    index index.php;
    client_max_body_size 64m;

    location = /favicon.ico {
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
        expires 30d;
        access_log off;
    }
    location / {
        try_files $uri $uri/ /index.php?$args;
    }
    location ~ \\.php$ {
        try_files $uri =404;
        fastcgi_split_path_info ^(.+\\.php)(/.+)$;
        fastcgi_pass wordpress:9000;
        fastcgi_index index.php;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_param HTTPS $onprem_https if_not_empty;
        fastcgi_read_timeout 300s;
    }
}
`;
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
 * The script (run as root inside the wordpress container) that gives a new site its files:
 * the document root, WordPress core from the image and a wp-config.php, each only when missing,
 * so an existing site's files are never touched.
 */
export function renderSiteFilesScript(site: Pick<BlogSite, "name" | "documentRoot">): string {
  const dir = `${BLOG_PATHS.sites}/${site.documentRoot}`;
  return `set -eu
d='${dir}'
mkdir -p "$d"
if [ ! -e "$d/wp-includes/version.php" ]; then
  cp -a ${BLOG_PATHS.wordpressSource}/. "$d/"
  chown -R www-data:www-data "$d"
fi
if [ ! -e "$d/wp-config.php" ]; then
  cat > "$d/wp-config.php" <<'ONPREM_WP_CONFIG'
${renderWpConfig(site.name)}ONPREM_WP_CONFIG
  chown www-data:www-data "$d/wp-config.php"
  chmod 640 "$d/wp-config.php"
fi
`;
}
