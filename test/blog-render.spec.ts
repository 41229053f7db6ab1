/**
 * The blog stack's pure parts, without mocks: nginx virtual hosts, the wordpress environment,
 * image references, commands, health checks, start order, the site-files script and the
 * wordpress Dockerfile.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { startWaves } from "../components/common/startup";
import { blogHostnames, redisSizeToMb, siteHostnames } from "../components/blog/schema";
import {
  BLOG_HEALTHCHECKS,
  BLOG_NEEDS,
  blogContainerName,
  blogNginxOrigin,
  cloudflaredCommand,
  mariadbCommand,
  redisCommand,
  renderNginxBaseConf,
  renderNginxSite,
  renderSiteFilesScript,
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

const SITE = {
  name: "fx-trader-life",
  domain: "fx-trader-life.com",
  aliases: ["www.fx-trader-life.com", "old.fx-trader-life.com"],
  documentRoot: "fx-trader-life",
  database: "wp_fx_trader_life",
};

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
      const allowed = parent === undefined ? ["server", "map"] : parent === "server" ? ["location"] : [];
      assert.ok(allowed.includes(block), `${block} block inside ${parent ?? "http"}, ${where}`);
      if (block === "map") {
        assert.match(line, /^map \$[a-z_]+ \$[a-z_]+ \{$/, where);
        defined.add(line.split(/\s+/)[2].slice(1));
      }
      if (block === "location") {
        assert.match(line, /^location (?:= |\^~ |~\*? )?\S+ \{$/, where);
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

describe("blog nginx virtual hosts", () => {
  const conf = renderNginxSite(SITE);

  it("is valid nginx structure, using only variables nginx or the base file defines", () => {
    const base = checkNginxFile(renderNginxBaseConf("172.22.0.50"));
    const site = checkNginxFile(conf);
    for (const v of [...base.used, ...site.used]) {
      assert.ok(NGINX_VARIABLES.has(v) || base.defined.has(v), `$${v} is never defined`);
    }
    assert.deepEqual([...base.defined], ["onprem_https"]);
  });

  it("renders exactly one server block with balanced braces", () => {
    assert.equal(conf.match(/^server \{$/gm)?.length, 1);
    assert.equal(conf.split("{").length, conf.split("}").length);
  });

  it("serves the primary domain first, then every alias, from the site's document root", () => {
    const directives = serverDirectives(conf);
    assert.ok(
      directives.includes("server_name fx-trader-life.com www.fx-trader-life.com old.fx-trader-life.com;"),
      directives.join("\n"),
    );
    assert.ok(directives.includes("root /var/www/html/fx-trader-life;"));
    assert.ok(directives.includes("listen 80;"));
    assert.ok(directives.includes("index index.php;"));
  });

  it("passes PHP to wordpress:9000 over FastCGI with the script path and HTTPS as the tunnel saw it", () => {
    const php = conf.slice(conf.indexOf("location ~ \\.php$ {"));
    assert.match(php, /fastcgi_pass wordpress:9000;/);
    assert.match(php, /fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;/);
    // Only when the tunnel saw HTTPS; an empty HTTPS would still be sent without `if_not_empty`.
    assert.match(php, /fastcgi_param HTTPS \$onprem_https if_not_empty;/);
    assert.match(php, /try_files \$uri =404;/);
    assert.match(php, /include fastcgi_params;/);
  });

  it("has the WordPress rules: permalinks, no PHP from uploads, no dotfiles, no xmlrpc", () => {
    assert.match(conf, /location \/ \{\n\s+try_files \$uri \$uri\/ \/index\.php\?\$args;/);
    assert.match(
      conf,
      /location ~\* \^\/wp-content\/uploads\/\.\*\\\.\(\?:php\[0-9\]\?\|phtml\|phar\)\$ \{\n\s+deny all;/,
    );
    assert.match(conf, /location ~ \/\\\. \{\n\s+deny all;/);
    assert.match(conf, /location = \/xmlrpc\.php \{\n\s+deny all;/);
    // ACME and other well-known paths stay reachable despite the dotfile rule.
    assert.match(conf, /location \^~ \/\.well-known\/ \{/);
  });

  it("names each site's file by the site", () => {
    assert.equal(siteConfFile("fx-trader-life"), "/etc/nginx/conf.d/site-fx-trader-life.conf");
  });

  it("renders a site without aliases with its domain alone", () => {
    const single = renderNginxSite({ ...SITE, aliases: [] });
    assert.ok(serverDirectives(single).includes("server_name fx-trader-life.com;"));
  });

  it("has a default server that answers only the health check and trusts only cloudflared's client header", () => {
    const base = renderNginxBaseConf("172.22.0.50");
    assert.match(base, /^set_real_ip_from 172\.22\.0\.50;$/m);
    assert.match(base, /^real_ip_header CF-Connecting-IP;$/m);
    assert.match(base, /listen 80 default_server;/);
    assert.match(base, /location = \/ \{[^}]*return 200/);
    assert.match(base, /location \/ \{\n\s+return 404;/);
    assert.match(base, /map \$http_x_forwarded_proto \$onprem_https \{\n\s+default "";\n\s+https on;/);
  });
});

describe("blog hostnames", () => {
  it("lists each site's primary domain, then its aliases, in site order", () => {
    assert.deepEqual(siteHostnames(SITE), [
      "fx-trader-life.com",
      "www.fx-trader-life.com",
      "old.fx-trader-life.com",
    ]);
    assert.deepEqual(
      blogHostnames([
        { domain: "a.example.com", aliases: ["b.example.com"] },
        { domain: "c.example.com", aliases: [] },
      ]),
      ["a.example.com", "b.example.com", "c.example.com"],
    );
  });
});

describe("wordpress environment", () => {
  it("derives each site's environment keys from its name", () => {
    assert.equal(siteEnvKey("fx-trader-life"), "FX_TRADER_LIFE");
    assert.deepEqual(siteEnvNames("kuma8088"), {
      name: "SITE_KUMA8088_DB_NAME",
      user: "SITE_KUMA8088_DB_USER",
      password: "SITE_KUMA8088_DB_PASSWORD",
    });
  });

  it("carries the database and Redis hosts by container name, then per site its database, user and password", async () => {
    const env = wordpressEnv("blog", [SITE, { name: "kuma8088", database: "wp_kuma8088" }], {
      "fx-trader-life": pulumi.secret("pw-fx"),
      kuma8088: pulumi.secret("pw-kuma"),
    });
    const resolved = await Promise.all(env.map((e) => resolve(e)));
    assert.deepEqual(
      resolved.map((r) => r.value),
      [
        "ONPREM_DB_HOST=blog-mariadb",
        "ONPREM_REDIS_HOST=blog-redis",
        "SITE_FX_TRADER_LIFE_DB_NAME=wp_fx_trader_life",
        "SITE_FX_TRADER_LIFE_DB_USER=wp_fx_trader_life",
        "SITE_FX_TRADER_LIFE_DB_PASSWORD=pw-fx",
        "SITE_KUMA8088_DB_NAME=wp_kuma8088",
        "SITE_KUMA8088_DB_USER=wp_kuma8088",
        "SITE_KUMA8088_DB_PASSWORD=pw-kuma",
      ],
    );
    // Exactly the password entries are secret.
    assert.deepEqual(
      resolved.map((r) => r.secret),
      [false, false, false, false, true, false, false, true],
    );
  });

  it("uses the staging container names in staging", async () => {
    const env = wordpressEnv("blog-staging", [], {});
    assert.deepEqual(await Promise.all(env.map(async (e) => (await resolve(e)).value)), [
      "ONPREM_DB_HOST=blog-staging-mariadb",
      "ONPREM_REDIS_HOST=blog-staging-redis",
    ]);
  });
});

describe("blog images, commands, health checks and start order", () => {
  it("names containers, the nginx origin and the wordpress image per stack", () => {
    assert.equal(blogContainerName("blog", "cloudflared"), "blog-cloudflared");
    assert.equal(blogContainerName("blog-staging", "nginx"), "blog-staging-nginx");
    assert.equal(blogNginxOrigin("blog"), "http://blog-nginx:80");
    assert.equal(blogNginxOrigin("blog-staging"), "http://blog-staging-nginx:80");
    assert.equal(wordpressImageName("blog", "6.6.2-1"), "onprem-infra/blog-wordpress:6.6.2-1");
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

  it("checks health as ESTATE.md says, never with a password on a command line", () => {
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

describe("new site files", () => {
  const script = renderSiteFilesScript(SITE);

  it("creates the document root and copies core and a wp-config.php only where missing", () => {
    assert.match(script, /^set -eu$/m);
    assert.match(script, /^d='\/var\/www\/html\/fx-trader-life'$/m);
    assert.match(
      script,
      /^if \[ ! -e "\$d\/wp-includes\/version\.php" \]; then\n\s+cp -a \/usr\/src\/wordpress\/\. "\$d\/"/m,
    );
    assert.match(script, /^if \[ ! -e "\$d\/wp-config\.php" \]; then/m);
    // The here-document is quoted, so nothing in wp-config.php is expanded by the shell.
    assert.match(script, /<<'ONPREM_WP_CONFIG'\n/);
    assert.ok(script.includes(`${renderWpConfig("fx-trader-life")}ONPREM_WP_CONFIG\n`));
  });

  it("gives wp-config.php the site's name and no password", () => {
    const wp = renderWpConfig("fx-trader-life");
    assert.match(wp, /^require_once '\/usr\/local\/etc\/onprem\/onprem-site\.php';$/m);
    assert.match(wp, /^onprem_site\('fx-trader-life'\);$/m);
    assert.doesNotMatch(wp, /DB_PASSWORD|define\(\s*'DB_/);
  });
});

describe("the wordpress Dockerfile", () => {
  const dir = path.join(ROOT, WORDPRESS_BUILD_CONTEXT);
  const dockerfile = fs.readFileSync(path.join(dir, "Dockerfile"), "utf8");
  const froms = dockerfile.split("\n").filter((l) => /^FROM /.test(l));

  it("is multi-stage on a pinned wordpress php8.2-fpm base", () => {
    assert.equal(froms.length, 2);
    assert.match(froms[0], /^FROM \$\{WORDPRESS_BASE\} AS build$/);
    assert.equal(froms[1], "FROM ${WORDPRESS_BASE}");
    const base = /^ARG WORDPRESS_BASE=(\S+)$/m.exec(dockerfile)?.[1];
    assert.equal(base, "wordpress:6.6.2-php8.2-fpm");
  });

  it("adds the Redis extension (built in the build stage), WP-CLI (checksum-verified) and OPcache settings", () => {
    assert.match(dockerfile, /pecl install "redis-\$\{PHPREDIS_VERSION\}"/);
    assert.match(dockerfile, /^ARG PHPREDIS_VERSION=\d+\.\d+\.\d+$/m);
    assert.match(dockerfile, /^ARG WP_CLI_VERSION=\d+\.\d+\.\d+$/m);
    assert.match(dockerfile, /sha512sum -c -/);
    assert.match(dockerfile, /^COPY --from=build \/out\/redis\.so /m);
    assert.match(dockerfile, /^COPY --from=build \/out\/wp \/usr\/local\/bin\/wp$/m);
    assert.match(dockerfile, /docker-php-ext-enable redis/);
    const opcache = fs.readFileSync(path.join(dir, "php", "zz-onprem-opcache.ini"), "utf8");
    assert.match(opcache, /^opcache\.enable=1$/m);
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
