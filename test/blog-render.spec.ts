/**
 * The blog stack's pure parts, without mocks: nginx virtual hosts, the wordpress environment,
 * image references, commands, health checks, start order, the site-files script and the
 * wordpress Dockerfile.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { startWaves } from "../components/common/startup";
import * as v from "valibot";
import { blogHostnames, BlogSite, redisSizeToMb, siteSchema, WordPressSite } from "../components/blog/schema";
import {
  BLOG_HEALTHCHECKS,
  BLOG_NEEDS,
  blogContainerName,
  blogNginxOrigin,
  cloudflaredCommand,
  mariadbCommand,
  redisCommand,
  renderDefaultServer,
  renderInstallScript,
  renderMariadbConf,
  renderNginxConf,
  renderSiteConf,
  renderSsmtpConf,
  renderWpConfig,
  siteConfFile,
  siteEnvKey,
  siteEnvNames,
  WORDPRESS_BUILD_CONTEXT,
  wordpressEnv,
  wordpressImageName,
} from "../components/blog/services";
import { resolve } from "./harness/engine";
import { ROOT } from "./harness/stack";

/** A site as the config schema parses it (defaults filled in). */
function site(input: Record<string, unknown>): BlogSite {
  return v.parse(siteSchema, input);
}

const SITE = site({
  kind: "wordpress",
  name: "fx-trader-life",
  domain: "fx-trader-life.com",
  aliases: ["www.fx-trader-life.com"],
  localNames: ["old.example.jp"],
  documentRoot: "fx-trader-life",
  database: "wp_fx_trader_life",
  takenOver: true,
  redirects: [
    { path: "/MFKC", to: "https://mfkc.fx-trader-life.com" },
    { path: "/old", to: "https://new.fx-trader-life.com", keepPath: true },
  ],
}) as WordPressSite;
const SUB = site({
  kind: "subdirectory",
  name: "fx-test",
  parent: "fx-trader-life",
  path: "/test",
  documentRoot: "fx-test",
  database: "wp_fx_test",
  takenOver: true,
});
const REDIRECT = site({
  kind: "redirect",
  name: "fx-blog",
  domain: "blog.fx-trader-life.com",
  to: "https://fx-trader-life.com",
  redirects: [{ path: "/lp", to: "https://lp.fx-trader-life.com" }],
});
const PROXY = site({
  kind: "proxy",
  name: "admin",
  domain: "admin.kuma8088.com",
  upstream: "http://172.20.0.91:80",
  paths: [{ path: "/api/", upstream: "http://172.22.0.92:8000/api/" }],
});
const NEW_SITE = site({
  kind: "wordpress",
  name: "new-site",
  domain: "new.kuma8088.com",
  documentRoot: "new-site",
  database: "wp_new_site",
  install: { title: "New site", adminUser: "owner", adminEmail: "owner@kuma8088.com" },
}) as WordPressSite;
const SITES = [SITE, SUB, REDIRECT, PROXY, NEW_SITE];

/** The directives of one server block (lines ending in `;` at block depth 1), trimmed. */
function serverDirectives(conf: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const raw of conf.split("\n")) {
    const line = raw.trim();
    if (line.endsWith("{")) {
      depth++;
      continue;
    }
    if (line === "}") {
      depth--;
      continue;
    }
    if (depth === 1 && line.endsWith(";")) {
      out.push(line);
    }
  }
  return out;
}

/** The directives nginx accepts where these files use them (http, server and location level). */
const NGINX_DIRECTIVES = new Set([
  "error_log",
  "alias",
  "rewrite",
  "proxy_pass",
  "proxy_http_version",
  "proxy_set_header",
  "proxy_connect_timeout",
  "proxy_send_timeout",
  "proxy_read_timeout",
  "set_real_ip_from",
  "real_ip_header",
  "server_tokens",
  "listen",
  "server_name",
  "root",
  "index",
  "client_max_body_size",
  "log_not_found",
  "access_log",
  "default_type",
  "return",
  "try_files",
  "deny",
  "expires",
  "fastcgi_split_path_info",
  "fastcgi_pass",
  "fastcgi_index",
  "include",
  "fastcgi_param",
  "fastcgi_read_timeout",
]);

/** Variables nginx itself provides that the virtual hosts use. */
const NGINX_VARIABLES = new Set([
  "request_uri",
  "request_filename",
  "host",
  "remote_addr",
  "proxy_add_x_forwarded_for",
  "http_upgrade",
  "uri",
  "args",
  "document_root",
  "fastcgi_script_name",
  "http_x_forwarded_proto",
]);

/**
 * A structural check of one conf.d file as nginx reads it inside `http { }`: every line a comment,
 * a directive ending in `;`, a block opener or `}`; blocks only where nginx allows them (`server`
 * and `map` at the top, `location` inside `server`); braces never close more than they open;
 * quotes paired; only known directives. Returns the variables it uses and the ones `map` defines.
 */
function checkNginxFile(conf: string): { used: Set<string>; defined: Set<string> } {
  const stack: string[] = [];
  const used = new Set<string>();
  const defined = new Set<string>();
  conf.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const where = `line ${i + 1}: ${line}`;
    if (line === "" || line.startsWith("#")) {
      return;
    }
    assert.equal((line.match(/"/g) ?? []).length % 2, 0, `unpaired quote, ${where}`);
    for (const m of line.matchAll(/\$([a-z_][a-z0-9_]*)/g)) {
      used.add(m[1]);
    }
    if (line === "}") {
      assert.ok(stack.pop() !== undefined, `} without a block, ${where}`);
      return;
    }
    const parent = stack[stack.length - 1];
    if (line.endsWith("{")) {
      const block = line.split(/\s+/)[0];
      const allowed =
        parent === undefined
          ? ["server", "map"]
          : parent === "server" || parent === "location"
            ? ["location"]
            : [];
      assert.ok(allowed.includes(block), `${block} block inside ${parent ?? "http"}, ${where}`);
      if (block === "map") {
        assert.match(line, /^map \$[a-z_]+ \$[a-z_]+ \{$/, where);
        defined.add(line.split(/\s+/)[2].slice(1));
      }
      if (block === "location") {
        assert.match(line, /^location (?:= |\^~ |~\*? )?\S+ \{$|^location @[a-z0-9-]+ \{$/, where);
      }
      stack.push(block);
      return;
    }
    assert.ok(line.endsWith(";"), `a directive must end in ;, ${where}`);
    if (parent !== "map") {
      const directive = line.split(/\s+/)[0].replace(/;$/, "");
      assert.ok(NGINX_DIRECTIVES.has(directive), `unknown directive ${directive}, ${where}`);
    }
  });
  assert.deepEqual(stack, [], "every block is closed");
  return { used, defined };
}

describe("blog nginx files", () => {
  const confs = SITES.filter((s) => s.kind !== "subdirectory").map((s) =>
    renderSiteConf(s as Exclude<BlogSite, { kind: "subdirectory" }>, SITES),
  );
  const [wp, redirect, proxy, fresh] = confs;

  it("are valid nginx structure, using only variables nginx defines", () => {
    for (const conf of [...confs, renderDefaultServer()]) {
      const { used } = checkNginxFile(conf);
      for (const name of used) {
        assert.ok(NGINX_VARIABLES.has(name), `unknown variable $${name}`);
      }
    }
  });

  it("serves a WordPress site's public names, then its local names, from its document root", () => {
    const d = serverDirectives(wp);
    assert.ok(d.includes("server_name fx-trader-life.com www.fx-trader-life.com old.example.jp;"));
    assert.ok(d.includes("root /var/www/html/fx-trader-life;"));
    assert.ok(d.includes("index index.php index.html;"));
  });

  it("answers path redirects first, with the request's path only where asked", () => {
    assert.ok(wp.indexOf("location ^~ /MFKC {") < wp.indexOf("location / {"));
    assert.match(wp, /location \^~ \/MFKC \{\n\s+return 301 https:\/\/mfkc\.fx-trader-life\.com;/);
    assert.match(wp, /location \^~ \/old \{\n\s+return 301 https:\/\/new\.fx-trader-life\.com\$request_uri;/);
  });

  it("passes PHP to wordpress:9000 with HTTPS on, as behind the tunnel today", () => {
    for (const conf of [wp, fresh]) {
      assert.match(conf, /fastcgi_pass wordpress:9000;/);
      assert.match(conf, /fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;/);
      assert.match(conf, /fastcgi_param HTTPS on;/);
      assert.match(conf, /fastcgi_param HTTP_X_FORWARDED_PROTO https;/);
    }
  });

  it("serves a subdirectory site under its parent's hosts, from its own root, with its own PHP", () => {
    assert.match(wp, /location \^~ \/test\/ \{\n\s+alias \/var\/www\/html\/fx-test\/;/);
    assert.match(wp, /fastcgi_param SCRIPT_FILENAME \$request_filename;/);
    assert.match(wp, /location @fx-test \{\n\s+rewrite \^\/test\/\(\.\*\)\$ \/test\/index\.php\?\/\$1 last;/);
    assert.ok(wp.indexOf("location ^~ /test/") < wp.indexOf("location ~ \\.php$ {\n        try_files"));
    assert.ok(!proxy.includes("fx-test") && !redirect.includes("fx-test"));
  });

  it("redirects a redirect-only host, keeping the path by default, after its path redirects", () => {
    const d = serverDirectives(redirect);
    assert.ok(d.includes("server_name blog.fx-trader-life.com;"));
    assert.ok(!redirect.includes("root "));
    assert.match(redirect, /location \^~ \/lp \{\n\s+return 301 https:\/\/lp\.fx-trader-life\.com;/);
    assert.match(redirect, /location \/ \{\n\s+return 301 https:\/\/fx-trader-life\.com\$request_uri;/);
  });

  it("proxies the admin host: / to the frontend, /api/ to the backend, with the original host", () => {
    assert.match(proxy, /location \/api\/ \{\n\s+proxy_pass http:\/\/172\.22\.0\.92:8000\/api\/;/);
    assert.match(proxy, /location \/ \{\n\s+proxy_pass http:\/\/172\.20\.0\.91:80;/);
    assert.match(proxy, /proxy_set_header Host \$host;/);
    assert.match(proxy, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.ok(!proxy.includes("fastcgi"));
  });

  it("names each site's file by the site", () => {
    assert.equal(siteConfFile("fx-trader-life"), "/etc/nginx/conf.d/site-fx-trader-life.conf");
  });

  it("has a base file with the running gzip and body size, and a default server that answers only the health check", () => {
    const base = renderNginxConf("172.22.0.10");
    for (const line of [
      "client_max_body_size 64M;",
      "gzip on;",
      "gzip_comp_level 6;",
      "include /etc/nginx/conf.d/*.conf;",
    ]) {
      assert.ok(base.includes(line), line);
    }
    assert.match(base, /set_real_ip_from 172\.22\.0\.10;\n\s+real_ip_header CF-Connecting-IP;/);
    const def = renderDefaultServer();
    assert.match(def, /listen 80 default_server;/);
    assert.match(def, /location \/ \{\n\s+return 404;/);
  });
});

describe("blog hostnames", () => {
  it("lists each site's public names in site order, never local names or subdirectories", () => {
    assert.deepEqual(blogHostnames(SITES), [
      "fx-trader-life.com",
      "www.fx-trader-life.com",
      "blog.fx-trader-life.com",
      "admin.kuma8088.com",
      "new.kuma8088.com",
    ]);
  });
});

describe("wordpress environment and mail relay", () => {
  it("derives each site's environment keys from its name", () => {
    assert.equal(siteEnvKey("fx-trader-life"), "FX_TRADER_LIFE");
    assert.deepEqual(siteEnvNames("a-b"), {
      name: "SITE_A_B_DB_NAME",
      user: "SITE_A_B_DB_USER",
      password: "SITE_A_B_DB_PASSWORD",
    });
  });

  it("carries the running database variables, then per new site its database, user and password, secret", async () => {
    const env = wordpressEnv({
      prefix: "blog",
      sharedPassword: "shared-Aa11",
      newSites: [NEW_SITE],
      passwords: { "new-site": "pw-Aa11" },
    });
    const resolved = await Promise.all(env.map((e) => resolve(e)));
    assert.deepEqual(
      resolved.map((r) => r.value),
      [
        "TZ=Asia/Tokyo",
        "WORDPRESS_DB_HOST=mariadb:3306",
        "WORDPRESS_DB_USER=wordpress",
        "WORDPRESS_DB_PASSWORD=shared-Aa11",
        "ONPREM_DB_HOST=blog-mariadb",
        "ONPREM_REDIS_HOST=blog-redis",
        "SITE_NEW_SITE_DB_NAME=wp_new_site",
        "SITE_NEW_SITE_DB_USER=wp_new_site",
        "SITE_NEW_SITE_DB_PASSWORD=pw-Aa11",
      ],
    );
    // Exactly the password entries are secret.
    assert.deepEqual(
      resolved.map((r) => r.secret),
      [false, false, false, true, false, false, false, false, true],
    );
  });

  it("points sendmail at Postfix's submission port by the certificate's name, with STARTTLS", () => {
    assert.equal(
      renderSsmtpConf("dell-workstation.tail67811d.ts.net"),
      "# Rendered by onprem-infra (components/blog/services.ts); do not edit on the host.\nmailhub=dell-workstation.tail67811d.ts.net:587\nFromLineOverride=YES\nUseTLS=YES\nUseSTARTTLS=YES\nhostname=dell-workstation.tail67811d.ts.net\n",
    );
  });

  it("tunes MariaDB as the running my.cnf, logging on the log volume", () => {
    const cnf = renderMariadbConf();
    for (const line of [
      "innodb_buffer_pool_size = 1G",
      "max_connections = 200",
      "slow_query_log_file = /var/log/mysql/slow-query.log",
      "skip-log-bin",
    ]) {
      assert.ok(cnf.split("\n").includes(line), line);
    }
    assert.match(cnf, /^\[mysqld\]$/m);
  });
});

describe("blog images, commands, health checks and start order", () => {
  it("names containers, the nginx origin and the wordpress image per stack", () => {
    assert.equal(blogContainerName("blog", "cloudflared"), "blog-cloudflared");
    assert.equal(blogContainerName("blog-staging", "nginx"), "blog-staging-nginx");
    assert.equal(blogNginxOrigin("blog"), "http://blog-nginx:80");
    assert.equal(blogNginxOrigin("blog-staging"), "http://blog-staging-nginx:80");
    assert.equal(wordpressImageName("blog", "6.8.3-1"), "onprem-infra/blog-wordpress:6.8.3-1");
    assert.equal(
      wordpressImageName("blog-staging", "6.6.2-2"),
      "onprem-infra/blog-staging-wordpress:6.6.2-2",
    );
  });

  it("runs redis persistent, bounded and LRU-evicting, mariadb in utf8mb4, cloudflared remotely configured", () => {
    assert.deepEqual(redisCommand("512mb"), [
      "redis-server",
      "--appendonly",
      "yes",
      "--maxmemory",
      "512mb",
      "--maxmemory-policy",
      "allkeys-lru",
    ]);
    assert.deepEqual(mariadbCommand(), [
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_unicode_ci",
      "--max_connections=200",
      "--innodb_buffer_pool_size=1G",
    ]);
    assert.deepEqual(cloudflaredCommand(), [
      "tunnel",
      "--no-autoupdate",
      "--metrics",
      "127.0.0.1:2000",
      "run",
    ]);
    assert.equal(redisSizeToMb("512mb"), 512);
    assert.equal(redisSizeToMb("1gb"), 1024);
  });

  it("checks health as the running estate does, never with a password on a command line", () => {
    assert.deepEqual(BLOG_HEALTHCHECKS.mariadb.test, [
      "CMD",
      "healthcheck.sh",
      "--connect",
      "--innodb_initialized",
    ]);
    assert.deepEqual(BLOG_HEALTHCHECKS.redis.test, ["CMD", "redis-cli", "ping"]);
    assert.deepEqual(BLOG_HEALTHCHECKS.wordpress.test, ["CMD", "php-fpm", "-t"]);
    assert.deepEqual(BLOG_HEALTHCHECKS.nginx.test, [
      "CMD",
      "wget",
      "-q",
      "-O",
      "/dev/null",
      "http://127.0.0.1/",
    ]);
    assert.deepEqual(BLOG_HEALTHCHECKS.cloudflared.test, [
      "CMD",
      "cloudflared",
      "tunnel",
      "--metrics",
      "127.0.0.1:2000",
      "ready",
    ]);
    for (const hc of Object.values(BLOG_HEALTHCHECKS)) {
      assert.ok(!hc.test.join(" ").match(/-p|password/i), hc.test.join(" "));
    }
  });

  it("starts in four waves by real needs", () => {
    assert.deepEqual(startWaves(BLOG_NEEDS), [
      ["mariadb", "redis"],
      ["wordpress"],
      ["nginx"],
      ["cloudflared"],
    ]);
  });
});

describe("a new site's installation", () => {
  const script = renderInstallScript(NEW_SITE, "Admin-pw_0123456789");

  it("copies core and a wp-config.php only where missing", () => {
    assert.match(script, /^set -eu$/m);
    assert.match(script, /^d='\/var\/www\/html\/new-site'$/m);
    assert.match(
      script,
      /^if \[ ! -e "\$d\/wp-includes\/version\.php" \]; then\n\s+cp -a \/usr\/src\/wordpress\/\. "\$d\/" <\/dev\/null$/m,
    );
    assert.match(script, /^if \[ ! -e "\$d\/wp-config\.php" \]; then/m);
    assert.ok(script.includes(`<<'ONPREM_WP_CONFIG'\n${renderWpConfig("new-site")}ONPREM_WP_CONFIG\n`));
  });

  it("installs with WP-CLI, the admin password on stdin only, and sets it again once installed (rotation)", () => {
    assert.match(
      script,
      /printf '%s\\n' 'Admin-pw_0123456789' \| wp --allow-root --path="\$d" core install --url='https:\/\/new\.kuma8088\.com' --title='New site' --admin_user='owner' --admin_email='owner@kuma8088\.com' --skip-email --prompt=admin_password/,
    );
    assert.match(
      script,
      /printf '%s\\n' 'Admin-pw_0123456789' \| wp --allow-root --path="\$d" user update 'owner' --prompt=user_pass/,
    );
    assert.doesNotMatch(script, /--admin_password=/);
    assert.match(script, /^chown -R 82:82 "\$d" <\/dev\/null$/m);
    // The script is the shell's stdin: no command may read the rest of it.
    assert.match(
      script,
      /^if wp --allow-root --path="\$d" core is-installed <\/dev\/null 2>\/dev\/null; then$/m,
    );
    // The last word is the check: nginx gets the site only from a script that ended installed.
    assert.match(script, /wp --allow-root --path="\$d" core is-installed <\/dev\/null\necho installed\n$/);
  });

  it("refuses a taken-over site and a password outside the safe characters", () => {
    assert.throws(
      () => renderInstallScript(SITE, "Admin-pw_0123456789"),
      /site fx-trader-life is taken over/,
    );
    assert.throws(() => renderInstallScript(NEW_SITE, "it's"), /outside \[A-Za-z0-9_-\]/);
  });

  it("gives wp-config.php the site's name and no password", () => {
    const wp = renderWpConfig("new-site");
    assert.match(wp, /^require_once '\/usr\/local\/etc\/onprem\/onprem-site\.php';$/m);
    assert.match(wp, /^onprem_site\('new-site'\);$/m);
    assert.doesNotMatch(wp, /DB_PASSWORD|define\(\s*'DB_/);
  });
});

describe("the wordpress Dockerfile", () => {
  const dir = path.join(ROOT, WORDPRESS_BUILD_CONTEXT);
  const dockerfile = fs.readFileSync(path.join(dir, "Dockerfile"), "utf8");
  const froms = dockerfile.split("\n").filter((l) => /^FROM /.test(l));

  it("is multi-stage on a pinned wordpress php8.3-fpm-alpine base, sendmail being ssmtp, www-data uid 82", () => {
    assert.equal(froms.length, 2);
    assert.match(froms[0], /^FROM \$\{WORDPRESS_BASE\} AS build$/);
    assert.equal(froms[1], "FROM ${WORDPRESS_BASE}");
    const base = /^ARG WORDPRESS_BASE=(\S+)$/m.exec(dockerfile)?.[1];
    assert.equal(base, "wordpress:6.8.3-php8.3-fpm-alpine");
    assert.match(dockerfile, /apk add --no-cache ssmtp;/);
    assert.match(dockerfile, /ln -sf \/usr\/sbin\/ssmtp \/usr\/sbin\/sendmail;/);
    assert.match(dockerfile, /test "\$\(id -u www-data\)" = 82;/);
  });

  it("carries the running PHP settings and the HTTPS fix, prepended to every script", () => {
    const ini = fs.readFileSync(path.join(dir, "php", "zz-onprem-php.ini"), "utf8").split("\n");
    for (const line of [
      "memory_limit = 256M",
      "max_execution_time = 300",
      "upload_max_filesize = 64M",
      "post_max_size = 64M",
      "date.timezone = Asia/Tokyo",
      "auto_prepend_file = /usr/local/etc/php/conf.d/https-fix.php",
    ]) {
      assert.ok(ini.includes(line), line);
    }
    assert.match(dockerfile, /^COPY php\/https-fix\.php \/usr\/local\/etc\/php\/conf\.d\/https-fix\.php$/m);
    const fix = fs.readFileSync(path.join(dir, "php", "https-fix.php"), "utf8");
    assert.match(fix, /\$_SERVER\['HTTP_X_FORWARDED_PROTO'\] \?\? ''\) === 'https'/);
    assert.match(fix, /\$_SERVER\['HTTPS'\] = 'on';/);
  });

  it("adds the Redis extension (built in the build stage), WP-CLI (checksum-verified) and OPcache settings", () => {
    assert.match(dockerfile, /pecl install "redis-\$\{PHPREDIS_VERSION\}"/);
    assert.match(dockerfile, /^ARG PHPREDIS_VERSION=\d+\.\d+\.\d+$/m);
    assert.match(dockerfile, /^ARG WP_CLI_VERSION=\d+\.\d+\.\d+$/m);
    assert.match(dockerfile, /sha512sum -c -/);
    assert.match(dockerfile, /^COPY --from=build \/out\/redis\.so /m);
    assert.match(dockerfile, /^COPY --from=build \/out\/wp \/usr\/local\/bin\/wp$/m);
    assert.match(dockerfile, /docker-php-ext-enable redis/);
    const ini = fs.readFileSync(path.join(dir, "php", "zz-onprem-php.ini"), "utf8");
    assert.match(ini, /^opcache\.enable = 1$/m);
    // Only PHP-FPM: the base entrypoint would copy core into the directory holding every site.
    assert.match(dockerfile, /^ENTRYPOINT \["docker-php-entrypoint"\]$/m);
    assert.match(dockerfile, /^CMD \["php-fpm"\]$/m);
  });

  it("keeps the container environment in PHP-FPM and ships the site helper every wp-config.php loads", () => {
    const pool = fs.readFileSync(path.join(dir, "php", "zz-onprem-pool.conf"), "utf8");
    assert.match(pool, /^clear_env = no$/m);
    const helper = fs.readFileSync(path.join(dir, "onprem-site.php"), "utf8");
    assert.match(dockerfile, /^COPY onprem-site\.php \/usr\/local\/etc\/onprem\/onprem-site\.php$/m);
    for (const suffix of ["DB_NAME", "DB_USER", "DB_PASSWORD"]) {
      assert.ok(helper.includes(`"SITE_{$key}_${suffix}"`), suffix);
    }
    assert.ok(helper.includes("getenv('ONPREM_DB_HOST')") || helper.includes("$env('ONPREM_DB_HOST')"));
    assert.match(helper, /strtoupper\(str_replace\('-', '_', \$site\)\)/);
  });
});
