/**
 * Facts of the running blog and tunnel estate (kuma8088/project-root-infra: services/blog,
 * services/unified-portal, services/mailserver/api, cloudflare/) that the blog stack and the
 * tunnel must keep, each with the file and line it comes from. Written in our own words;
 * test/blog-estate.spec.ts holds both stacks' captured resources against them. The estate has no
 * blog staging: a staging value is what the separate, harmless copy must be instead.
 */
import { EstateFact } from "./mail";

const C = "services/blog/docker-compose.yml";
const D = "services/blog/config/nginx/conf.d";
const P = "services/unified-portal/docker-compose.yml";

/** Compose project `blog` (the directory's name) prefixes its networks and volumes. */
export const NETWORK = {
  name: {
    fact: "the blog network as Compose names it, which the unified-portal joins by that name",
    production: "blog_blog_network",
    staging: "blog-staging-network",
    source: `${C}:7; ${P}:24`,
  },
  subnet: {
    fact: "the network's subnet (staging: its own 172.23.0.0/24)",
    production: "172.22.0.0/24",
    staging: "172.23.0.0/24",
    source: `${C}:11`,
  },
  gateway: {
    fact: "the network's gateway",
    production: "172.22.0.1",
    staging: "172.23.0.1",
    source: `${C}:12`,
  },
} satisfies Record<string, EstateFact<string>>;

/** Container names, hostnames and the fixed addresses others hard-code (Redis 172.22.0.60 in every wp-config.php). */
export const CONTAINERS: EstateFact<Record<string, { name: string; ip: string }>> = {
  fact: "container names and fixed addresses of the five services",
  production: {
    cloudflared: { name: "blog-cloudflared", ip: "172.22.0.10" },
    nginx: { name: "blog-nginx", ip: "172.22.0.20" },
    wordpress: { name: "blog-wordpress", ip: "172.22.0.30" },
    mariadb: { name: "blog-mariadb", ip: "172.22.0.50" },
    redis: { name: "blog-redis", ip: "172.22.0.60" },
  },
  staging: {
    cloudflared: { name: "blog-staging-cloudflared", ip: "172.23.0.10" },
    nginx: { name: "blog-staging-nginx", ip: "172.23.0.20" },
    wordpress: { name: "blog-staging-wordpress", ip: "172.23.0.30" },
    mariadb: { name: "blog-staging-mariadb", ip: "172.23.0.50" },
    redis: { name: "blog-staging-redis", ip: "172.23.0.60" },
  },
  source: `${C}:35,40,59,64,93,98,130,135,167,172; services/blog/scripts/setup-redis-object-cache.sh:49`,
};

/** The co-tenant on the blog network: its address must stay free. */
export const CO_TENANT: EstateFact<string[]> = {
  fact: "the unified-portal backend's address on the blog network",
  production: ["172.22.0.92"],
  staging: [],
  source: `${P}:24-25`,
};

/** Which services also join the mail network (no fixed address there). */
export const MAIL_NETWORK_MEMBERS: EstateFact<string[]> = {
  fact: "cloudflared and wordpress also join the mail network",
  production: ["wordpress", "cloudflared"],
  staging: ["wordpress", "cloudflared"],
  source: `${C}:41,99`,
};

/** The named volumes Compose made (`blog_` + key), and where each is mounted. */
export const VOLUMES: EstateFact<Record<string, { name: string; mounts: Record<string, string> }>> = {
  fact: "Docker-managed named volumes (adopted by name in production; staging's are its own, created)",
  production: {
    db: { name: "blog_blog_db_data", mounts: { mariadb: "/var/lib/mysql" } },
    redis: { name: "blog_redis_data", mounts: { redis: "/data" } },
    logs: {
      name: "blog_blog_logs",
      mounts: { nginx: "/var/log/nginx", wordpress: "/var/log/php", mariadb: "/var/log/mysql" },
    },
  },
  staging: {
    db: { name: "blog-staging_db_data", mounts: { mariadb: "/var/lib/mysql" } },
    redis: { name: "blog-staging_redis_data", mounts: { redis: "/data" } },
    logs: {
      name: "blog-staging_logs",
      mounts: { nginx: "/var/log/nginx", wordpress: "/var/log/php", mariadb: "/var/log/mysql" },
    },
  },
  source: `${C}:18-20,28-29,71,111,142,145,176`,
};

/** The sites' directory: Compose's `blog_wordpress_sites` is a bind of this host directory. */
export const SITES_DIR: EstateFact<{ host: string; target: string; readOnlyIn: string[] }> = {
  fact: "every site's files, bound from the host (read-only in nginx)",
  production: { host: "/mnt/backup-hdd/blog/sites", target: "/var/www/html", readOnlyIn: ["nginx"] },
  staging: { host: "/mnt/backup-hdd/blog-staging/sites", target: "/var/www/html", readOnlyIn: ["nginx"] },
  source: `${C}:22-27,70,108`,
};

export const WORDPRESS = {
  baseFamily: {
    fact: "the WordPress image's base family: PHP 8.3 FPM on Alpine",
    production: "php8.3-fpm-alpine",
    staging: "php8.3-fpm-alpine",
    source: "services/blog/Dockerfile:1",
  },
  owner: {
    fact: "the sites' files belong to www-data, uid 82 on Alpine",
    production: "82",
    staging: "82",
    source: "services/blog/docker-entrypoint-custom.sh:8-9",
  },
  mailHost: {
    fact: "sendmail (ssmtp) and WP Mail SMTP reach Postfix's submission port by the certificate's name",
    production: "dell-workstation.tail67811d.ts.net:587",
    staging: "dell-workstation.tail67811d.ts.net:587",
    source: "services/blog/Dockerfile:7-11; services/blog/scripts/setup-wp-mail-smtp.sh:21-22",
  },
  extraHosts: {
    fact: "that name resolves to Postfix's address on the mail network (extra_hosts)",
    production: "dell-workstation.tail67811d.ts.net:172.20.0.20",
    staging: "dell-workstation.tail67811d.ts.net:172.21.0.20",
    source: `${C}:100-101`,
  },
  dbEnv: {
    fact: "the database variables the running container carries",
    production: "WORDPRESS_DB_HOST=mariadb:3306 WORDPRESS_DB_USER=wordpress",
    staging: "WORDPRESS_DB_HOST=mariadb:3306 WORDPRESS_DB_USER=wordpress",
    source: `${C}:104-106; docs/application/blog/deployment.md:325`,
  },
  sharedUser: {
    fact: "every existing wp-config.php logs in as the shared wordpress user at host mariadb",
    production: "wordpress@mariadb",
    staging: "wordpress@mariadb",
    source: "services/blog/scripts/create-new-wp-site.sh:321,323",
  },
  timezone: {
    fact: "the containers' time zone and PHP's",
    production: "Asia/Tokyo",
    staging: "Asia/Tokyo",
    source: `${C}:103,140; services/blog/config/php/php.ini:25`,
  },
  php: {
    fact: "PHP limits: memory, execution time, request size",
    production: "memory_limit = 256M|max_execution_time = 300|post_max_size = 64M|upload_max_filesize = 64M",
    staging: "memory_limit = 256M|max_execution_time = 300|post_max_size = 64M|upload_max_filesize = 64M",
    source: "services/blog/config/php/php.ini:6-10",
  },
  httpsFix: {
    fact: "HTTPS restored from X-Forwarded-Proto before every script (auto_prepend_file)",
    production: "HTTP_X_FORWARDED_PROTO",
    staging: "HTTP_X_FORWARDED_PROTO",
    source: "services/blog/config/php/php.ini:41; services/blog/config/php/https-fix.php:10-13",
  },
} satisfies Record<string, EstateFact<string>>;

export const MARIADB = {
  command: {
    fact: "MariaDB's server options on the command line",
    production:
      "--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --max_connections=200 --innodb_buffer_pool_size=1G",
    staging:
      "--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --max_connections=200 --innodb_buffer_pool_size=1G",
    source: `${C}:146-150`,
  },
  tuning: {
    fact: "my.cnf tuning mounted into conf.d",
    production:
      "innodb_log_file_size = 256M|innodb_flush_log_at_trx_commit = 2|innodb_flush_method = O_DIRECT|wait_timeout = 600|slow_query_log = 1|long_query_time = 2|skip-log-bin|table_open_cache = 2000|tmp_table_size = 64M",
    staging:
      "innodb_log_file_size = 256M|innodb_flush_log_at_trx_commit = 2|innodb_flush_method = O_DIRECT|wait_timeout = 600|slow_query_log = 1|long_query_time = 2|skip-log-bin|table_open_cache = 2000|tmp_table_size = 64M",
    source: `services/blog/config/mariadb/my.cnf:10-43; ${C}:144`,
  },
} satisfies Record<string, EstateFact<string>>;

export const NGINX_BASE: EstateFact<string[]> = {
  fact: "nginx's base config: body size and gzip",
  production: [
    "client_max_body_size 64M;",
    "gzip on;",
    "gzip_comp_level 6;",
    "gzip_proxied any;",
    "gzip_vary on;",
  ],
  staging: [
    "client_max_body_size 64M;",
    "gzip on;",
    "gzip_comp_level 6;",
    "gzip_proxied any;",
    "gzip_vary on;",
  ],
  source: "services/blog/config/nginx/nginx.conf:33-43",
};

export const PORTS: EstateFact<string[]> = {
  fact: "published host ports (host -> container); bound to the tailnet address by the program",
  production: ["mariadb:3307->3306", "redis:6379->6379", "nginx:8080->80"],
  staging: [],
  source: `${C}:65-66,136-137,173-174`,
};

/** One site of the running nginx, in the config's words. */
export interface EstateSite {
  kind: "wordpress" | "subdirectory" | "redirect" | "proxy";
  name: string;
  /** Public names (the tunnel carries them). */
  hosts: string[];
  /** Names nginx answers to that lie in no zone of the account. */
  localNames?: string[];
  documentRoot?: string;
  database?: string;
  /** subdirectory: parent site and path. */
  under?: { parent: string; path: string };
  /** redirect: the target; proxy: the upstreams by path. */
  to?: string;
  upstreams?: Record<string, string>;
  /** Path redirects, path -> target. */
  redirects?: Record<string, string>;
  source: string;
}

/**
 * Every virtual host of conf.d (the `.pre-migration` and backup copies are not served: nginx
 * includes only `*.conf`), one entry each. Database names: the unified-portal's mapping of the
 * running databases; learndash-test by its naming rule (checked in the take-over runbook).
 */
export const SITES: EstateSite[] = [
  {
    kind: "wordpress",
    name: "fx-trader-life-4line",
    hosts: ["4line.fx-trader-life.com"],
    documentRoot: "fx-trader-life-4line",
    database: "wp_fx_trader_life_4line",
    source: `${D}/4line-fx-trader-life.conf:5,7; services/unified-portal/backend/app/routers/database.py:129`,
  },
  {
    kind: "proxy",
    name: "admin-portal",
    hosts: ["admin.kuma8088.com"],
    upstreams: { "/": "http://172.20.0.91:80", "/api/": "http://172.22.0.92:8000/api/" },
    source: `${D}/admin.kuma8088.com.conf:8,16,37`,
  },
  {
    kind: "wordpress",
    name: "kuma8088-cameramanual",
    hosts: ["camera.kuma8088.com"],
    documentRoot: "kuma8088-cameramanual",
    database: "wp_kuma8088_cameramanual",
    source: `${D}/camera-kuma8088.conf:4,6; services/unified-portal/backend/app/routers/database.py:145`,
  },
  {
    kind: "wordpress",
    name: "webmakeprofit-coconala",
    hosts: ["coconala.webmakeprofit.org"],
    documentRoot: "webmakeprofit-coconala",
    database: "wp_webmakeprofit_coconala",
    source: `${D}/coconala-webmakeprofit.conf:4,6; services/unified-portal/backend/app/routers/database.py:135`,
  },
  {
    kind: "wordpress",
    name: "kuma8088-elementordemo1",
    hosts: ["demo1.kuma8088.com"],
    documentRoot: "kuma8088-elementordemo1",
    database: "wp_kuma8088_elementordemo1",
    source: `${D}/demo1-kuma8088.conf:5,7; services/unified-portal/backend/app/routers/database.py:146`,
  },
  {
    kind: "wordpress",
    name: "kuma8088-elementordemo02",
    hosts: ["demo2.kuma8088.com"],
    documentRoot: "kuma8088-elementordemo02",
    database: "wp_kuma8088_elementordemo02",
    source: `${D}/demo2-kuma8088.conf:4,6; services/unified-portal/backend/app/routers/database.py:147`,
  },
  {
    kind: "wordpress",
    name: "kuma8088-elementor-demo-03",
    hosts: ["demo3.kuma8088.com"],
    documentRoot: "kuma8088-elementor-demo-03",
    database: "wp_kuma8088_elementordemo03",
    source: `${D}/demo3-kuma8088.conf:4,6; services/unified-portal/backend/app/routers/database.py:148`,
  },
  {
    kind: "wordpress",
    name: "kuma8088-elementor-demo-04",
    hosts: ["demo4.kuma8088.com"],
    documentRoot: "kuma8088-elementor-demo-04",
    database: "wp_kuma8088_elementordemo04",
    source: `${D}/demo4-kuma8088.conf:4,6; services/unified-portal/backend/app/routers/database.py:149`,
  },
  {
    kind: "wordpress",
    name: "kuma8088-ec02test",
    hosts: ["ec-test.kuma8088.com"],
    documentRoot: "kuma8088-ec02test",
    database: "wp_kuma8088_ec02",
    source: `${D}/ec-test-kuma8088.conf:4,6; services/unified-portal/backend/app/routers/database.py:150`,
  },
  {
    kind: "wordpress",
    name: "fx-trader-life",
    hosts: ["fx-trader-life.com", "www.fx-trader-life.com"],
    documentRoot: "fx-trader-life",
    database: "wp_fx_trader_life",
    redirects: {
      "/MFKC": "https://mfkc.fx-trader-life.com",
      "/4-line-trade": "https://4line.fx-trader-life.com",
      "/lp": "https://lp.fx-trader-life.com",
    },
    source: `${D}/fx-trader-life.conf:6,8,15-27; services/unified-portal/backend/app/routers/database.py:128`,
  },
  {
    kind: "redirect",
    name: "fx-trader-life-blog",
    hosts: ["blog.fx-trader-life.com"],
    to: "https://fx-trader-life.com$request_uri",
    redirects: {
      "/MFKC": "https://mfkc.fx-trader-life.com",
      "/4-line-trade": "https://4line.fx-trader-life.com",
      "/lp": "https://lp.fx-trader-life.com",
    },
    source: `${D}/fx-trader-life.conf:67,71-85`,
  },
  {
    kind: "wordpress",
    name: "kuma8088",
    hosts: ["kuma8088.com", "www.kuma8088.com"],
    localNames: ["gwpbk492.xsrv.jp"],
    documentRoot: "kuma8088",
    database: "wp_kuma8088",
    redirects: {
      "/cameramanual": "https://camera.kuma8088.com",
      "/elementordemo02": "https://demo2.kuma8088.com",
      "/elementor-demo-03": "https://demo3.kuma8088.com",
      "/elementor-demo-04": "https://demo4.kuma8088.com",
      "/ec02test": "https://ec-test.kuma8088.com",
      "/elementordemo1": "https://demo1.kuma8088.com$request_uri",
    },
    source: `${D}/kuma8088.conf:7,9,16,19-28; ${D}/kuma8088-subdirs-generated.inc:2-24; services/blog/scripts/setup-wp-mail-smtp.sh:45`,
  },
  {
    kind: "subdirectory",
    name: "kuma8088-test",
    hosts: [],
    under: { parent: "kuma8088", path: "/test" },
    documentRoot: "kuma8088-test",
    database: "wp_kuma8088_test",
    source: `${D}/kuma8088-subdirs-generated.inc:27-52; services/unified-portal/backend/app/routers/database.py:151`,
  },
  {
    kind: "redirect",
    name: "kuma8088-blog",
    hosts: ["blog.kuma8088.com"],
    localNames: ["blog.gwpbk492.xsrv.jp"],
    to: "https://kuma8088.com$request_uri",
    source: `${D}/kuma8088.conf:71-75`,
  },
  {
    kind: "wordpress",
    name: "learndash-test",
    hosts: ["ldtest.kuma8088.com"],
    documentRoot: "learndash-test",
    database: "wp_learndash_test",
    source: `${D}/learndash-test.conf:8,10; services/unified-portal/backend/app/routers/database.py:125`,
  },
  {
    kind: "wordpress",
    name: "fx-trader-life-lp",
    hosts: ["lp.fx-trader-life.com"],
    documentRoot: "fx-trader-life-lp",
    database: "wp_fx_trader_life_lp",
    source: `${D}/lp-fx-trader-life.conf:5,7; services/unified-portal/backend/app/routers/database.py:130`,
  },
  {
    kind: "wordpress",
    name: "fx-trader-life-mfkc",
    hosts: ["mfkc.fx-trader-life.com"],
    documentRoot: "fx-trader-life-mfkc",
    database: "wp_fx_trader_life_mfkc",
    source: `${D}/mfkc-fx-trader-life.conf:5,7; services/unified-portal/backend/app/routers/database.py:131`,
  },
  {
    kind: "wordpress",
    name: "toyota-phv",
    hosts: ["toyota-phv.jp", "www.toyota-phv.jp"],
    documentRoot: "toyota-phv",
    database: "wp_toyota_phv",
    source: `${D}/toyota-phv.conf:6,8; services/unified-portal/backend/app/routers/database.py:141`,
  },
  {
    kind: "redirect",
    name: "toyota-phv-blog",
    hosts: ["blog.toyota-phv.jp"],
    to: "https://toyota-phv.jp$request_uri",
    source: `${D}/toyota-phv.conf:49-53`,
  },
  {
    kind: "wordpress",
    name: "webmakeprofit",
    hosts: ["webmakeprofit.org", "www.webmakeprofit.org"],
    documentRoot: "webmakeprofit",
    database: "wp_webmakeprofit",
    redirects: { "/coconala": "https://coconala.webmakeprofit.org" },
    source: `${D}/webmakeprofit.conf:6,8,15-17; services/unified-portal/backend/app/routers/database.py:134`,
  },
  {
    kind: "redirect",
    name: "webmakeprofit-blog",
    hosts: ["blog.webmakeprofit.org"],
    to: "https://webmakeprofit.org$request_uri",
    source: `${D}/webmakeprofit.conf:58-62`,
  },
  {
    kind: "wordpress",
    name: "webmakesprofit",
    hosts: ["webmakesprofit.com", "www.webmakesprofit.com"],
    documentRoot: "webmakesprofit",
    database: "wp_webmakesprofit",
    source: `${D}/webmakesprofit.conf:6,8; services/unified-portal/backend/app/routers/database.py:138`,
  },
  {
    kind: "redirect",
    name: "webmakesprofit-blog",
    hosts: ["blog.webmakesprofit.com"],
    to: "https://webmakesprofit.com$request_uri",
    source: `${D}/webmakesprofit.conf:49-53`,
  },
];

/** The conf.d files that are not served (nginx includes only `*.conf`). */
export const NOT_SERVED: EstateFact<string[]> = {
  fact: "copies in conf.d that nginx does not include",
  production: [
    "fx-trader-life.conf.pre-migration",
    "kuma8088.conf.backup-20251111-161714",
    "kuma8088.conf.pre-migration",
    "toyota-phv.conf.pre-migration",
    "webmakeprofit.conf.pre-migration",
    "webmakesprofit.conf.pre-migration",
  ],
  staging: [],
  source: "services/blog/config/nginx/nginx.conf:46",
};

export const TUNNEL = {
  hostnames: {
    fact: "the tunnel's public hostnames: every site's public names, then the mail API's; no webmail (it is on the tailnet)",
    production: [...SITES.flatMap((s) => s.hosts), "mail-api.kuma8088.com"],
    staging: ["staging-blog.kuma8088.com", "mail-api-staging.kuma8088.com"],
    source: `${D}/*.conf server_name lines (above); docs/application/mailserver/deployment.md:412; services/mailserver/docs/infra/dellsettingforedgeshift.md:97-98,125`,
  },
  count: {
    fact: "how many public blog hostnames that is",
    production: 27,
    staging: 1,
    source: `${D}/*.conf`,
  },
} satisfies { hostnames: EstateFact<string[]>; count: EstateFact<number> };

/** The mail API's inbound contract, which the Email Worker must speak. */
export const MAIL_API = {
  path: {
    fact: "the inbound endpoint",
    production: "POST /api/v1/inbound-mail",
    staging: "POST /api/v1/inbound-mail",
    source: "services/mailserver/api/app/main.py:40",
  },
  body: {
    fact: "the JSON body: from, to (an email address), subject, raw, timestamp, all text",
    production: "from to subject raw timestamp",
    staging: "from to subject raw timestamp",
    source: "services/mailserver/api/app/main.py:27-32",
  },
  key: {
    fact: "the key travels in X-API-Key; a missing or wrong one answers 401",
    production: "X-API-Key",
    staging: "X-API-Key",
    source: "services/mailserver/api/app/main.py:41-44",
  },
  answers: {
    fact: "200 when LMTP took the message; 500 when LMTP failed; 422 for a body it cannot validate (FastAPI)",
    production: "200 401 422 500",
    staging: "200 401 422 500",
    source: "services/mailserver/api/app/main.py:58-64",
  },
  catchAll: {
    fact: "Email Routing's catch-all hands every address to the Worker today (a dashboard rule)",
    production: "catch-all -> Email Worker (mailserver-inbound-relay)",
    staging: "single addresses only",
    source:
      "docs/application/mailserver/deployment.md:404; cloudflare/mailserver-inbound-relay/wrangler.toml:1",
  },
} satisfies Record<string, EstateFact<string>>;
