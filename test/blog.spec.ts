/**
 * BlogStack under the mock engine, with literal inputs: exactly its children, their inputs,
 * options, start order and secrecy, for the production and staging stack files' blog config.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as v from "valibot";
import { BlogStack, BlogStackArgs } from "../components/blog/BlogStack";
import { BLOG_SERVICES, blogConfigSchema, BlogConfig } from "../components/blog/schema";
import { renderNginxBaseConf, renderNginxSite, renderSiteFilesScript } from "../components/blog/services";
import { REPLACE_ON_CHANGES } from "../components/common/container";
import { COMMON_LABEL_KEYS } from "../components/common/labels";
import { renderRootSql, renderUserSql } from "../components/common/mariadb";
import { memoryToMb } from "../components/common/units";
import { capture, Capture, CapturedResource } from "./harness/engine";
import { readStackValues } from "./harness/stack";
import { COMMAND, CONTAINER, IMAGE, NETWORK, REMOTE_IMAGE, VOLUME } from "./harness/types";

const COMPONENT = "onprem:blog:BlogStack";

const MAIL_NETWORK = "mailserver-network";
const TOKEN = "tunnel-token-literal-0123456789";
const ROOT_PW = "blog-root-Aa11";

export function blogConfig(stack: "production" | "staging"): BlogConfig {
  return v.parse(blogConfigSchema, readStackValues(stack)["onprem-infra:blog"]);
}

export function sitePassword(site: string): string {
  return `pw-${site}-Aa11`;
}

/** A stand-in for the tunnel's configuration resource cloudflared waits for. */
class FakeTunnelConfig extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:TunnelConfig", name, {}, {});
  }
}

export function blogArgs(
  stack: "production" | "staging",
  over: Partial<BlogStackArgs> = {},
  cfg: BlogConfig = blogConfig(stack),
): BlogStackArgs {
  return {
    ...cfg,
    facts: { project: "onprem-infra", environment: stack, owner: "kuma8088" },
    dockerHost: "ssh://deploy@workstation",
    mailNetworkName: MAIL_NETWORK,
    protectData: stack === "production",
    dbRootPassword: pulumi.secret(ROOT_PW),
    sitePasswords: Object.fromEntries(cfg.sites.map((s) => [s.name, pulumi.secret(sitePassword(s.name))])),
    tunnelToken: pulumi.secret(TOKEN),
    ...over,
  };
}

/** Container and command names a resource depends on (images, network, volumes left out). */
function startDeps(cap: Capture, r: CapturedResource): string[] {
  return r.dependencies
    .map((urn) => cap.byUrn(urn))
    .filter((d) => d.type === CONTAINER || d.type === COMMAND || d.type === "test:index:TunnelConfig")
    .map((d) => d.name)
    .sort();
}

function envs(r: CapturedResource): string[] {
  return (r.inputs.envs as string[] | undefined) ?? [];
}

/** Every string input of a resource outside its secret paths. */
export function plainStrings(r: CapturedResource): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (r.secretPaths.includes(path)) {
      return;
    }
    if (typeof v === "string") {
      out.push(v);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`));
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        walk(x, path === "" ? k : `${path}.${k}`);
      }
    }
  };
  walk(r.inputs, "");
  return out;
}

function labelMap(r: CapturedResource): Record<string, string> {
  return Object.fromEntries(
    (r.inputs.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]),
  );
}

describe("BlogStack (production)", () => {
  const cfg = blogConfig("production");
  const siteCount = cfg.sites.length;
  let cap: Capture;
  let component: CapturedResource;
  before(async () => {
    cap = await capture(() => {
      const tunnelConfig = new FakeTunnelConfig("tunnel-config");
      return new BlogStack("blog", blogArgs("production", { tunnelResources: [tunnelConfig] }));
    });
    [component] = cap.ofType(COMPONENT);
  });

  it("registers one component with exactly its children", () => {
    assert.equal(component.name, "blog");
    assert.deepEqual(cap.childTypeCounts(component), {
      [NETWORK]: 1,
      // root SQL, and per site its database and its files
      [COMMAND]: 1 + 2 * siteCount,
      [REMOTE_IMAGE]: 4,
      [IMAGE]: 1,
      [CONTAINER]: 5,
    });
    // The component, the fake tunnel config and the children: nothing else.
    assert.equal(cap.resources.length, 2 + 1 + 1 + 2 * siteCount + 4 + 1 + 5);
  });

  it("names every child from the component's name", () => {
    const names = cap
      .childrenOf(component)
      .map((r) => r.name)
      .sort();
    const expected = [
      "blog-network",
      "blog-db-root",
      "blog-wordpress-image",
      ...["mariadb", "redis", "nginx", "cloudflared"].map((s) => `blog-${s}-image`),
      ...BLOG_SERVICES.map((s) => `blog-${s}`),
      ...cfg.sites.flatMap((s) => [`blog-site-${s.name}-db`, `blog-site-${s.name}-files`]),
    ].sort();
    assert.deepEqual(names, expected);
  });

  it("creates the private bridge network with its subnet, gateway and labels", () => {
    const net = cap.get("blog-network", NETWORK);
    assert.equal(net.inputs.name, "blog-network");
    assert.equal(net.inputs.driver, "bridge");
    assert.deepEqual(net.inputs.ipamConfigs, [{ subnet: "172.22.0.0/24", gateway: "172.22.0.1" }]);
    assert.equal(labelMap(net)["org.onprem-infra.stack"], "blog");
  });

  it("pulls pinned images and builds wordpress from the repo's Dockerfile with the configured base", () => {
    const pulled = Object.fromEntries(cap.ofType(REMOTE_IMAGE).map((r) => [r.name, r.inputs.name]));
    assert.deepEqual(pulled, {
      "blog-mariadb-image": "mariadb:10.11.7",
      "blog-redis-image": "redis:7.2.5-alpine",
      "blog-nginx-image": "nginx:1.26.2-alpine",
      "blog-cloudflared-image": "cloudflare/cloudflared:2025.4.2",
    });
    const wp = cap.get("blog-wordpress-image", IMAGE);
    assert.equal(wp.inputs.imageName, "onprem-infra/blog-wordpress:6.6.2-1");
    assert.equal(wp.inputs.skipPush, true);
    assert.deepEqual(wp.inputs.build, {
      context: "components/blog/wordpress",
      dockerfile: "components/blog/wordpress/Dockerfile",
      args: { WORDPRESS_BASE: "wordpress:6.6.2-php8.2-fpm" },
      platform: "linux/amd64",
    });
  });

  it("runs every container from its image's id, never a tag", () => {
    for (const svc of BLOG_SERVICES) {
      const c = cap.get(`blog-${svc}`, CONTAINER);
      const image = cap.get(`blog-${svc}-image`);
      assert.equal(c.inputs.image, svc === "wordpress" ? image.state.repoDigest : image.state.imageId, svc);
      assert.match(String(c.inputs.image), /sha256:[0-9a-f]{64}$/);
    }
  });

  it("sets the limits, reservations, addresses and names of ESTATE.md's table", () => {
    const expected: Record<string, [string, number, number | undefined, string]> = {
      mariadb: ["1.5", 2048, 1024, "172.22.0.10"],
      redis: ["0.5", 512, 256, "172.22.0.20"],
      wordpress: ["2.0", 2048, 1024, "172.22.0.30"],
      nginx: ["0.5", 512, 256, "172.22.0.40"],
      cloudflared: ["0.25", 256, undefined, "172.22.0.50"],
    };
    for (const [svc, [cpus, memory, reservation, ip]] of Object.entries(expected)) {
      const c = cap.get(`blog-${svc}`, CONTAINER);
      assert.equal(c.inputs.name, `blog-${svc}`);
      assert.equal(c.inputs.hostname, svc);
      assert.equal(c.inputs.cpus, cpus, svc);
      assert.equal(c.inputs.memory, memory, svc);
      assert.equal(c.inputs.memoryReservation, reservation, svc);
      const nets = c.inputs.networksAdvanced as { name: string; ipv4Address?: string; aliases: string[] }[];
      assert.deepEqual(nets[0], { name: "blog-network", ipv4Address: ip, aliases: [svc] }, svc);
    }
  });

  it("attaches wordpress and cloudflared, and only them, to the mail network, by unique name", () => {
    for (const svc of BLOG_SERVICES) {
      const nets = cap.get(`blog-${svc}`, CONTAINER).inputs.networksAdvanced as {
        name: string;
        ipv4Address?: string;
        aliases: string[];
      }[];
      if (svc === "wordpress" || svc === "cloudflared") {
        assert.equal(nets.length, 2, svc);
        assert.deepEqual(nets[1], { name: MAIL_NETWORK, aliases: [`blog-${svc}`] }, svc);
      } else {
        assert.equal(nets.length, 1, svc);
      }
    }
  });

  it("publishes mariadb on 3307 and nginx on 8080, bound to the configured address, and nothing else", () => {
    const ports = Object.fromEntries(
      BLOG_SERVICES.map((svc) => [svc, cap.get(`blog-${svc}`, CONTAINER).inputs.ports ?? []]),
    );
    assert.deepEqual(ports, {
      mariadb: [{ internal: 3306, external: 3307, ip: "100.64.0.10", protocol: "tcp" }],
      redis: [],
      wordpress: [],
      nginx: [{ internal: 80, external: 8080, ip: "100.64.0.10", protocol: "tcp" }],
      cloudflared: [],
    });
  });

  it("checks health as ESTATE.md says and waits for it, with the house options", () => {
    const tests: Record<string, string[]> = {
      mariadb: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"],
      redis: ["CMD", "redis-cli", "ping"],
      wordpress: ["CMD", "php-fpm", "-t"],
      nginx: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"],
      cloudflared: ["CMD", "cloudflared", "tunnel", "--metrics", "127.0.0.1:2000", "ready"],
    };
    for (const [svc, test] of Object.entries(tests)) {
      const c = cap.get(`blog-${svc}`, CONTAINER);
      assert.deepEqual(
        c.inputs.healthcheck,
        { tests: test, interval: "30s", timeout: "10s", retries: 3, startPeriod: "40s" },
        svc,
      );
      assert.equal(c.inputs.wait, true);
      assert.equal(c.inputs.waitTimeout, 40 + 4 * 40);
      assert.equal(c.inputs.restart, "unless-stopped");
      assert.deepEqual(c.inputs.logOpts, { "max-size": "10m", "max-file": "3" });
      assert.equal(c.options.deleteBeforeReplace, true);
      assert.deepEqual(c.options.replaceOnChanges, REPLACE_ON_CHANGES);
      assert.deepEqual(c.options.additionalSecretOutputs, ["envs"]);
      const labels = labelMap(c);
      for (const key of COMMON_LABEL_KEYS) {
        assert.ok(labels[key], `${svc} lacks ${key}`);
      }
      assert.equal(labels["org.onprem-infra.service"], svc);
      assert.equal(labels["org.onprem-infra.environment"], "production");
    }
  });

  it("runs mariadb in utf8mb4, redis bounded and persistent, cloudflared with `tunnel run`", () => {
    assert.deepEqual(cap.get("blog-mariadb", CONTAINER).inputs.command, [
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_unicode_ci",
    ]);
    assert.deepEqual(cap.get("blog-redis", CONTAINER).inputs.command, [
      "redis-server",
      "--appendonly",
      "yes",
      "--maxmemory",
      "512mb",
      "--maxmemory-policy",
      "allkeys-lru",
    ]);
    assert.deepEqual(cap.get("blog-cloudflared", CONTAINER).inputs.command, [
      "tunnel",
      "--no-autoupdate",
      "--metrics",
      "127.0.0.1:2000",
      "run",
    ]);
  });

  it("keeps the database and Redis on the SSD and site files on the HDD, bind-mounting the existing host directories", () => {
    assert.equal(cap.ofType(VOLUME).length, 0);
    const mounts = (svc: string) => cap.get(`blog-${svc}`, CONTAINER).inputs.mounts;
    const bind = (source: string, target: string, readOnly = false) => ({
      type: "bind",
      source,
      target,
      readOnly,
    });
    assert.deepEqual(mounts("mariadb"), [bind("/var/lib/onprem/ssd/blog/mysql", "/var/lib/mysql")]);
    assert.deepEqual(mounts("redis"), [bind("/var/lib/onprem/ssd/blog/redis", "/data")]);
    assert.deepEqual(mounts("wordpress"), [bind("/mnt/backup-hdd/blog/wordpress", "/var/www/html")]);
    assert.deepEqual(mounts("nginx"), [bind("/mnt/backup-hdd/blog/wordpress", "/var/www/html", true)]);
    assert.equal(mounts("cloudflared"), undefined);
  });

  it("starts by real needs only: wordpress after mariadb, redis and every site's database; nginx after wordpress; cloudflared after nginx and the tunnel", () => {
    const deps = (svc: string) => startDeps(cap, cap.get(`blog-${svc}`, CONTAINER));
    assert.deepEqual(deps("mariadb"), []);
    assert.deepEqual(deps("redis"), []);
    assert.deepEqual(
      deps("wordpress"),
      ["blog-mariadb", "blog-redis", ...cfg.sites.map((s) => `blog-site-${s.name}-db`)].sort(),
    );
    assert.deepEqual(deps("nginx"), ["blog-wordpress"]);
    assert.deepEqual(deps("cloudflared"), ["blog-nginx", "tunnel-config"]);
  });

  it("applies root's password and one database and user per site inside the running MariaDB, as secrets", () => {
    const root = cap.get("blog-db-root", COMMAND);
    assert.equal(
      root.inputs.create,
      "docker exec -i blog-mariadb mariadb --protocol=socket --user=root --batch",
    );
    assert.equal(root.inputs.stdin, renderRootSql(ROOT_PW));
    assert.deepEqual(root.inputs.environment, { DOCKER_HOST: "ssh://deploy@workstation" });
    assert.deepEqual(root.secretPaths, ["stdin"]);
    assert.deepEqual(startDeps(cap, root), ["blog-mariadb"]);
    for (const site of cfg.sites) {
      const cmd = cap.get(`blog-site-${site.name}-db`, COMMAND);
      assert.equal(cmd.inputs.create, root.inputs.create);
      assert.equal(
        cmd.inputs.stdin,
        renderUserSql({ user: site.database, databases: [site.database] }, sitePassword(site.name)),
      );
      assert.deepEqual(cmd.secretPaths, ["stdin"]);
      assert.deepEqual(startDeps(cap, cmd), ["blog-mariadb"]);
      // A replaced database container gets its users again.
      assert.deepEqual(cmd.inputs.triggers, ["blog-mariadb-id"]);
    }
  });

  it("gives each new site its files from inside wordpress, after wordpress, without secrets", () => {
    for (const site of cfg.sites) {
      const cmd = cap.get(`blog-site-${site.name}-files`, COMMAND);
      assert.equal(cmd.inputs.create, "docker exec -i blog-wordpress sh -s");
      assert.equal(cmd.inputs.stdin, renderSiteFilesScript(site));
      assert.deepEqual(cmd.secretPaths, []);
      assert.deepEqual(startDeps(cap, cmd), ["blog-wordpress"]);
    }
  });

  it("hands wordpress each site's credentials in its environment, secret", () => {
    const wp = cap.get("blog-wordpress", CONTAINER);
    assert.deepEqual(wp.secretPaths, ["envs"]);
    const env = envs(wp);
    assert.equal(env.length, 2 + 3 * siteCount);
    assert.deepEqual(env.slice(0, 2), ["ONPREM_DB_HOST=blog-mariadb", "ONPREM_REDIS_HOST=blog-redis"]);
    for (const site of cfg.sites) {
      const key = site.name.toUpperCase().replace(/-/g, "_");
      assert.ok(env.includes(`SITE_${key}_DB_NAME=${site.database}`), site.name);
      assert.ok(env.includes(`SITE_${key}_DB_USER=${site.database}`), site.name);
      assert.ok(env.includes(`SITE_${key}_DB_PASSWORD=${sitePassword(site.name)}`), site.name);
    }
  });

  it("gives mariadb its root password and cloudflared its token only as secrets", () => {
    const mariadb = cap.get("blog-mariadb", CONTAINER);
    assert.deepEqual(envs(mariadb), [
      `MARIADB_ROOT_PASSWORD=${ROOT_PW}`,
      "MARIADB_AUTO_UPGRADE=1",
      "TZ=Asia/Tokyo",
    ]);
    assert.deepEqual(mariadb.secretPaths, ["envs"]);
    const cf = cap.get("blog-cloudflared", CONTAINER);
    assert.deepEqual(envs(cf), [`TUNNEL_TOKEN=${TOKEN}`]);
    assert.deepEqual(cf.secretPaths, ["envs"]);
    for (const svc of ["redis", "nginx"]) {
      assert.equal(cap.get(`blog-${svc}`, CONTAINER).inputs.envs, undefined, svc);
    }
    // No secret appears anywhere outside a secret.
    const secrets = [TOKEN, ROOT_PW, ...cfg.sites.map((s) => sitePassword(s.name))];
    for (const r of cap.resources) {
      const plain = plainStrings(r).join("\n");
      for (const s of secrets) {
        assert.ok(!plain.includes(s), `${r.name} carries a secret in plain text`);
      }
    }
  });

  it("delivers the default server and one virtual host per site into nginx", () => {
    const uploads = cap.get("blog-nginx", CONTAINER).inputs.uploads as { file: string; content: string }[];
    assert.deepEqual(uploads, [
      { file: "/etc/nginx/conf.d/default.conf", content: renderNginxBaseConf("172.22.0.50") },
      ...cfg.sites.map((s) => ({
        file: `/etc/nginx/conf.d/site-${s.name}.conf`,
        content: renderNginxSite(s),
      })),
    ]);
  });

  it("exposes its network, container names, endpoints, nginx origin and hostnames", () => {
    assert.deepEqual(component.state, {
      networkName: "blog-network",
      containerNames: Object.fromEntries(BLOG_SERVICES.map((s) => [s, `blog-${s}`])),
      endpoints: ["100.64.0.10:3307 -> mariadb:3306", "100.64.0.10:8080 -> nginx:80"],
      nginxOrigin: "http://blog-nginx:80",
      hostnames: cfg.sites.flatMap((s) => [s.domain, ...s.aliases]),
    });
  });
});

describe("BlogStack (staging)", () => {
  const cfg = blogConfig("staging");
  let cap: Capture;
  before(async () => {
    cap = await capture(() => new BlogStack("blog", blogArgs("staging")));
  });

  it("uses blog-staging names, its own subnet and data directories, and does not protect data", () => {
    for (const svc of BLOG_SERVICES) {
      assert.equal(cap.get(`blog-${svc}`, CONTAINER).inputs.name, `blog-staging-${svc}`);
    }
    assert.equal(cap.get("blog-network", NETWORK).inputs.name, "blog-staging-network");
    assert.deepEqual(cap.get("blog-network", NETWORK).inputs.ipamConfigs, [
      { subnet: "172.23.0.0/24", gateway: "172.23.0.1" },
    ]);
    for (const svc of ["mariadb", "redis", "wordpress", "nginx"]) {
      for (const m of cap.get(`blog-${svc}`, CONTAINER).inputs.mounts as { source: string }[]) {
        assert.match(m.source, /\/blog-staging\//, svc);
      }
    }
    assert.equal(
      cap.get("blog-wordpress-image", IMAGE).inputs.imageName,
      "onprem-infra/blog-staging-wordpress:6.6.2-1",
    );
  });

  it("publishes no port and runs at half the production limits", () => {
    const prod = blogConfig("production");
    for (const svc of BLOG_SERVICES) {
      const c = cap.get(`blog-${svc}`, CONTAINER);
      assert.deepEqual(c.inputs.ports ?? [], [], svc);
      assert.equal(cfg.services[svc].cpus * 2, prod.services[svc].cpus, svc);
      assert.equal(Number(c.inputs.memory) * 2, memoryToMb(prod.services[svc].memory), svc);
      const reservation = prod.services[svc].memoryReservation;
      assert.equal(
        c.inputs.memoryReservation === undefined ? undefined : Number(c.inputs.memoryReservation) * 2,
        reservation === undefined ? undefined : memoryToMb(reservation),
        svc,
      );
    }
    assert.deepEqual((cap.get("blog-redis", CONTAINER).inputs.command as string[]).slice(3, 5), [
      "--maxmemory",
      "192mb",
    ]);
  });

  it("reaches its own database and cache by the staging container names", () => {
    const env = envs(cap.get("blog-wordpress", CONTAINER));
    assert.deepEqual(env.slice(0, 2), [
      "ONPREM_DB_HOST=blog-staging-mariadb",
      "ONPREM_REDIS_HOST=blog-staging-redis",
    ]);
    assert.equal(
      cap.get("blog-db-root", COMMAND).inputs.create,
      "docker exec -i blog-staging-mariadb mariadb --protocol=socket --user=root --batch",
    );
  });

  it("keeps the token and the passwords secret even when handed plain values", async () => {
    const plain = await capture(
      () =>
        new BlogStack(
          "blog",
          blogArgs("staging", {
            tunnelToken: TOKEN,
            dbRootPassword: ROOT_PW,
            sitePasswords: Object.fromEntries(cfg.sites.map((s) => [s.name, sitePassword(s.name)])),
          }),
        ),
    );
    for (const svc of ["mariadb", "wordpress", "cloudflared"]) {
      assert.deepEqual(plain.get(`blog-${svc}`, CONTAINER).secretPaths, ["envs"], svc);
    }
    for (const r of plain
      .ofType(COMMAND)
      .filter((c) => c.name.endsWith("-db") || c.name === "blog-db-root")) {
      assert.deepEqual(r.secretPaths, ["stdin"], r.name);
    }
  });

  it("waits for nginx only when no tunnel resource is given", () => {
    assert.deepEqual(startDeps(cap, cap.get("blog-cloudflared", CONTAINER)), ["blog-nginx"]);
  });
});

describe("BlogStack argument checks", () => {
  it("rejects a site without a password and a password without a site", async () => {
    const base = blogArgs("staging");
    const missing = { ...base.sitePasswords };
    delete missing.kuma8088;
    await assert.rejects(
      capture(() => new BlogStack("blog", { ...base, sitePasswords: missing })),
      /sitePasswords must hold exactly the sites' passwords \(missing: kuma8088; unknown: none\)/,
    );
    await assert.rejects(
      capture(
        () =>
          new BlogStack("blog", {
            ...base,
            sitePasswords: { ...base.sitePasswords, ghost: pulumi.secret("x") },
          }),
      ),
      /missing: none; unknown: ghost/,
    );
  });

  it("rejects a site listed twice and an empty site list", async () => {
    const base = blogArgs("staging");
    await assert.rejects(
      capture(() => new BlogStack("blog", { ...base, sites: [...base.sites, base.sites[0]] })),
      /site kuma8088 is listed twice/,
    );
    await assert.rejects(
      capture(() => new BlogStack("blog", { ...base, sites: [], sitePasswords: {} })),
      /at least one site is required/,
    );
  });

  it("rejects two sites on one database, hostname or document root", async () => {
    const base = blogArgs("staging");
    const [first, second] = base.sites;
    const withSecond = async (over: Partial<typeof second>, message: RegExp) => {
      const sites = [first, { ...second, ...over }, ...base.sites.slice(2)];
      await assert.rejects(
        capture(() => new BlogStack("blog", { ...base, sites })),
        (err: unknown) => err instanceof pulumi.ResourceError && message.test(err.message),
      );
    };
    await withSecond(
      { database: first.database.toUpperCase() },
      /^sites kuma8088 and fx-trader-life share the database WP_KUMA8088$/,
    );
    await withSecond(
      { aliases: [first.domain] },
      /^sites kuma8088 and fx-trader-life share the hostname staging-blog\.kuma8088\.com$/,
    );
    await withSecond(
      { documentRoot: first.documentRoot },
      /^sites kuma8088 and fx-trader-life share the document root kuma8088$/,
    );
    await withSecond(
      { documentRoot: `${first.documentRoot}/fx` },
      /^sites kuma8088 and fx-trader-life share the document root kuma8088 \(kuma8088\/fx nests with it\)$/,
    );
    await withSecond(
      { aliases: ["www.staging.fx-trader-life.com", "www.staging.fx-trader-life.com"] },
      /^site fx-trader-life lists the hostname www\.staging\.fx-trader-life\.com twice$/,
    );
  });

  it("rejects Redis bounded above its container and a reservation above its limit", async () => {
    const base = blogArgs("staging");
    const services = (over: Partial<BlogConfig["services"]>) => ({ ...base.services, ...over });
    await assert.rejects(
      capture(
        () =>
          new BlogStack("blog", {
            ...base,
            services: services({ redis: { ...base.services.redis, maxMemory: "257mb" } }),
          }),
      ),
      /redis maxMemory 257mb is more than its container's memory limit 256M/,
    );
    await assert.rejects(
      capture(
        () =>
          new BlogStack("blog", {
            ...base,
            services: services({ nginx: { ...base.services.nginx, memoryReservation: "512M" } }),
          }),
      ),
      /nginx's memory reservation 512M is more than its limit 256M/,
    );
  });
});
