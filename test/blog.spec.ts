/**
 * BlogStack under the mock engine, with literal inputs: exactly its children, their inputs,
 * options, start order and secrecy, for the production (every site taken over) and staging (one
 * new site) stack files' blog config.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as v from "valibot";
import { BlogStack, BlogStackArgs } from "../components/blog/BlogStack";
import {
  BLOG_SERVICES,
  blogConfigSchema,
  BlogConfig,
  blogHostnames,
  hasHosts,
  isNewWordPress,
} from "../components/blog/schema";
import {
  renderDefaultServer,
  renderInstallScript,
  renderMariadbConf,
  renderNginxConf,
  renderSiteConf,
  renderSsmtpConf,
} from "../components/blog/services";
import { REPLACE_ON_CHANGES } from "../components/common/container";
import { renderRootSql, renderUserSql } from "../components/common/mariadb";
import { capture, Capture, CapturedResource } from "./harness/engine";
import { readStackValues } from "./harness/stack";
import { COMMAND, CONTAINER, IMAGE, NETWORK, REMOTE_IMAGE, VOLUME } from "./harness/types";

const COMPONENT = "onprem:blog:BlogStack";

const MAIL_NETWORK = "mailserver-network";
const MAIL_HOST = "dell-workstation.tail67811d.ts.net";
const TOKEN = "tunnel-token-literal-0123456789";
const ROOT_PW = "blog-root-Aa11";
const SHARED_PW = "blog-shared-Aa11";

export function blogConfig(stack: "production" | "staging"): BlogConfig {
  return v.parse(blogConfigSchema, readStackValues(stack)["onprem-infra:blog"]);
}

export function sitePassword(site: string): string {
  return `pw-${site}-Aa11`;
}

export function adminPassword(site: string): string {
  return `admin-${site}-Aa11`;
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
  const fresh = cfg.sites.filter(isNewWordPress).map((s) => s.name);
  return {
    containerPrefix: cfg.containerPrefix,
    subnet: cfg.subnet,
    network: cfg.network,
    data: cfg.data,
    services: cfg.services,
    sites: cfg.sites,
    facts: { project: "onprem-infra", environment: stack, owner: "kuma8088" },
    dockerHost: "ssh://deploy@workstation",
    mailNetworkName: MAIL_NETWORK,
    mailHostname: MAIL_HOST,
    postfixAddress: stack === "production" ? "172.20.0.20" : "172.21.0.20",
    protectData: stack === "production",
    dbRootPassword: pulumi.secret(ROOT_PW),
    sharedDbPassword: pulumi.secret(SHARED_PW),
    sitePasswords: Object.fromEntries(fresh.map((s) => [s, pulumi.secret(sitePassword(s))])),
    siteAdminPasswords: Object.fromEntries(fresh.map((s) => [s, pulumi.secret(adminPassword(s))])),
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

type Mount = { type: string; source: string; target: string; readOnly: boolean };
const mounts = (r: CapturedResource) => r.inputs.mounts as Mount[];

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

describe("BlogStack (production: every site taken over)", () => {
  const cfg = blogConfig("production");
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
      [VOLUME]: 3,
      // root SQL and the shared user's SQL; no site is new, so no install
      [COMMAND]: 2,
      [REMOTE_IMAGE]: 4,
      [IMAGE]: 1,
      [CONTAINER]: 5,
    });
    assert.equal(cap.resources.length, 2 + 1 + 3 + 2 + 4 + 1 + 5);
  });

  it("names every child from the component's name", () => {
    const names = cap
      .childrenOf(component)
      .map((r) => r.name)
      .sort();
    const expected = [
      "blog-network",
      "blog-db-volume",
      "blog-redis-volume",
      "blog-logs-volume",
      "blog-db-root",
      "blog-db-shared-user",
      "blog-wordpress-image",
      ...["mariadb", "redis", "nginx", "cloudflared"].map((s) => `blog-${s}-image`),
      ...BLOG_SERVICES.map((s) => `blog-${s}`),
    ].sort();
    assert.deepEqual(names, expected);
  });

  it("adopts the Compose network by name and subnet, protected and kept on delete when an id is given", async () => {
    const net = cap.get("blog-network", NETWORK);
    assert.equal(net.inputs.name, "blog_blog_network");
    assert.deepEqual(net.inputs.ipamConfigs, [{ subnet: "172.22.0.0/24", gateway: "172.22.0.1" }]);
    assert.equal(net.options.protect, true);
    // The committed file leaves importId for the operator (docs/takeover-blog-tunnel.md): with it, adopted.
    const id = "a".repeat(64);
    const adopted = await capture(
      () => new BlogStack("blog", blogArgs("production", { network: { ...cfg.network, importId: id } })),
    );
    const n = adopted.get("blog-network", NETWORK);
    assert.equal(n.options.importId, id);
    assert.equal(n.options.retainOnDelete, true);
  });

  it("adopts the database, Redis and log volumes by their Compose names, protected and retained", () => {
    const want = { db: "blog_blog_db_data", redis: "blog_redis_data", logs: "blog_blog_logs" };
    for (const [key, name] of Object.entries(want)) {
      const vol = cap.get(`blog-${key}-volume`, VOLUME);
      assert.equal(vol.inputs.name, name);
      assert.equal(vol.inputs.driverOpts, undefined, "a Docker-managed volume, no bind options");
      assert.equal(vol.options.importId, name);
      assert.equal(vol.options.protect, true);
      assert.equal(vol.options.retainOnDelete, true);
    }
  });

  it("mounts the volumes and the sites' host directory as Compose does (nginx read-only)", () => {
    const vol = (source: string, target: string): Mount => ({
      type: "volume",
      source,
      target,
      readOnly: false,
    });
    const sites = (readOnly: boolean): Mount => ({
      type: "bind",
      source: "/mnt/backup-hdd/blog/sites",
      target: "/var/www/html",
      readOnly,
    });
    assert.deepEqual(mounts(cap.get("blog-mariadb", CONTAINER)), [
      vol("blog_blog_db_data", "/var/lib/mysql"),
      vol("blog_blog_logs", "/var/log/mysql"),
    ]);
    assert.deepEqual(mounts(cap.get("blog-redis", CONTAINER)), [vol("blog_redis_data", "/data")]);
    assert.deepEqual(mounts(cap.get("blog-wordpress", CONTAINER)), [
      sites(false),
      vol("blog_blog_logs", "/var/log/php"),
    ]);
    assert.deepEqual(mounts(cap.get("blog-nginx", CONTAINER)), [
      sites(true),
      vol("blog_blog_logs", "/var/log/nginx"),
    ]);
    assert.equal(cap.get("blog-cloudflared", CONTAINER).inputs.mounts, undefined);
  });

  it("builds wordpress from the repo's Dockerfile on the configured php8.3-fpm-alpine base", () => {
    const img = cap.get("blog-wordpress-image", IMAGE);
    assert.equal(img.inputs.imageName, "onprem-infra/blog-wordpress:6.8.3-1");
    const build = img.inputs.build as { context: string; args: Record<string, string> };
    assert.equal(build.context, "components/blog/wordpress");
    assert.deepEqual(build.args, { WORDPRESS_BASE: "wordpress:6.8.3-php8.3-fpm-alpine" });
  });

  it("keeps each container's name, hostname and fixed address; only wordpress and cloudflared join the mail network", () => {
    const want = {
      cloudflared: "172.22.0.10",
      nginx: "172.22.0.20",
      wordpress: "172.22.0.30",
      mariadb: "172.22.0.50",
      redis: "172.22.0.60",
    };
    for (const [svc, ip] of Object.entries(want)) {
      const c = cap.get(`blog-${svc}`, CONTAINER);
      assert.equal(c.inputs.name, `blog-${svc}`);
      assert.equal(c.inputs.hostname, svc);
      const nets = c.inputs.networksAdvanced as { name: string; ipv4Address?: string; aliases: string[] }[];
      assert.deepEqual(nets[0], { name: "blog_blog_network", ipv4Address: ip, aliases: [svc] });
      if (svc === "wordpress" || svc === "cloudflared") {
        assert.deepEqual(nets.slice(1), [{ name: MAIL_NETWORK, aliases: [`blog-${svc}`] }]);
      } else {
        assert.equal(nets.length, 1, svc);
      }
    }
  });

  it("resolves the certificate's name to Postfix in wordpress only, and points sendmail at it", () => {
    const wp = cap.get("blog-wordpress", CONTAINER);
    assert.deepEqual(wp.inputs.hosts, [{ host: MAIL_HOST, ip: "172.20.0.20" }]);
    for (const svc of ["mariadb", "redis", "nginx", "cloudflared"]) {
      assert.equal(cap.get(`blog-${svc}`, CONTAINER).inputs.hosts, undefined, svc);
    }
    assert.deepEqual(wp.inputs.uploads, [
      { file: "/etc/ssmtp/ssmtp.conf", content: renderSsmtpConf(MAIL_HOST) },
    ]);
  });

  it("publishes mariadb, redis and nginx on the tailnet address only", () => {
    assert.deepEqual(component.state.endpoints, [
      "100.110.222.53:3307 -> mariadb:3306",
      "100.110.222.53:6379 -> redis:6379",
      "100.110.222.53:8080 -> nginx:80",
    ]);
  });

  it("tunes MariaDB as today: command-line options and my.cnf in conf.d", () => {
    const db = cap.get("blog-mariadb", CONTAINER);
    assert.deepEqual(db.inputs.command, [
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_unicode_ci",
      "--max_connections=200",
      "--innodb_buffer_pool_size=1G",
    ]);
    assert.deepEqual(db.inputs.uploads, [
      { file: "/etc/mysql/conf.d/custom.cnf", content: renderMariadbConf() },
    ]);
    assert.ok(REPLACE_ON_CHANGES.includes("uploads"));
  });

  it("sets root's and the shared user's running passwords, granting but never creating the taken-over databases", () => {
    const root = cap.get("blog-db-root", COMMAND);
    assert.equal(
      root.inputs.create,
      "docker exec -i blog-mariadb mariadb --protocol=socket --user=root --batch",
    );
    assert.equal(root.inputs.stdin, renderRootSql(ROOT_PW));
    assert.deepEqual(root.secretPaths, ["stdin"]);
    const shared = cap.get("blog-db-shared-user", COMMAND);
    const dbs = cfg.sites.flatMap((s) =>
      s.kind === "wordpress" || s.kind === "subdirectory" ? [s.database] : [],
    );
    assert.equal(dbs.length, 17);
    assert.equal(
      shared.inputs.stdin,
      renderUserSql({ user: "wordpress", databases: dbs }, SHARED_PW, { createDatabases: false }),
    );
    assert.ok(!(shared.inputs.stdin as string).includes("CREATE DATABASE"));
    assert.deepEqual(shared.secretPaths, ["stdin"]);
    assert.deepEqual(startDeps(cap, shared), ["blog-mariadb"]);
    assert.deepEqual(shared.inputs.triggers, ["blog-mariadb-id"]);
  });

  it("gives wordpress the running container's database variables, the password secret, and no site of its own", () => {
    const wp = cap.get("blog-wordpress", CONTAINER);
    assert.deepEqual(envs(wp), [
      "TZ=Asia/Tokyo",
      "WORDPRESS_DB_HOST=mariadb:3306",
      "WORDPRESS_DB_USER=wordpress",
      `WORDPRESS_DB_PASSWORD=${SHARED_PW}`,
      "ONPREM_DB_HOST=blog-mariadb",
      "ONPREM_REDIS_HOST=blog-redis",
    ]);
    assert.deepEqual(wp.secretPaths, ["envs"]);
  });

  it("starts by real needs: wordpress after the database users, nginx after wordpress, cloudflared after nginx and the tunnel", () => {
    const deps = (svc: string) => startDeps(cap, cap.get(`blog-${svc}`, CONTAINER));
    assert.deepEqual(deps("mariadb"), []);
    assert.deepEqual(deps("redis"), []);
    assert.deepEqual(deps("wordpress"), ["blog-db-shared-user", "blog-mariadb", "blog-redis"]);
    assert.deepEqual(deps("nginx"), ["blog-wordpress"]);
    assert.deepEqual(deps("cloudflared"), ["blog-nginx", "tunnel-config"]);
  });

  it("delivers nginx's base file, the default server and one file per site with hosts", () => {
    const uploads = cap.get("blog-nginx", CONTAINER).inputs.uploads as { file: string; content: string }[];
    const hostSites = cfg.sites.filter(hasHosts);
    assert.equal(hostSites.length, 22);
    assert.deepEqual(uploads, [
      { file: "/etc/nginx/nginx.conf", content: renderNginxConf("172.22.0.10") },
      { file: "/etc/nginx/conf.d/default.conf", content: renderDefaultServer() },
      ...hostSites.map((s) => ({
        file: `/etc/nginx/conf.d/site-${s.name}.conf`,
        content: renderSiteConf(s, cfg.sites),
      })),
    ]);
  });

  it("keeps secrets out of plain text and exposes its outputs", () => {
    for (const r of cap.resources) {
      const plain = plainStrings(r).join("\n");
      for (const s of [TOKEN, ROOT_PW, SHARED_PW]) {
        assert.ok(!plain.includes(s), `${r.name} carries a secret in plain text`);
      }
    }
    assert.deepEqual(component.state.hostnames, blogHostnames(cfg.sites));
    assert.equal((component.state.hostnames as string[]).length, 27);
    assert.deepEqual(component.state.installedSites, []);
    assert.equal(component.state.networkName, "blog_blog_network");
  });
});

describe("BlogStack (staging: one new site)", () => {
  const cfg = blogConfig("staging");
  const site = cfg.sites.filter(isNewWordPress)[0];
  let cap: Capture;
  before(async () => {
    cap = await capture(() => new BlogStack("blog", blogArgs("staging")));
  });

  it("creates its own network and volumes, unprotected, adopting nothing", () => {
    const net = cap.get("blog-network", NETWORK);
    assert.equal(net.inputs.name, "blog-staging-network");
    assert.deepEqual(net.inputs.ipamConfigs, [{ subnet: "172.23.0.0/24", gateway: "172.23.0.1" }]);
    assert.ok(!net.options.importId);
    for (const r of cap.ofType(VOLUME)) {
      assert.ok(!r.options.importId, r.name);
      assert.equal(r.options.protect, false, r.name);
      assert.match(r.inputs.name as string, /^blog-staging_/);
    }
    assert.equal(cap.ofType(VOLUME).length, 3);
  });

  it("gives the new site its own database user, then installs it with WP-CLI after wordpress, as a secret", () => {
    const db = cap.get(`blog-site-${site.name}-db`, COMMAND);
    assert.equal(
      db.inputs.stdin,
      renderUserSql({ user: site.database, databases: [site.database] }, sitePassword(site.name)),
    );
    assert.deepEqual(db.secretPaths, ["stdin"]);
    const install = cap.get(`blog-site-${site.name}-install`, COMMAND);
    assert.equal(install.inputs.create, "docker exec -i blog-staging-wordpress sh -s");
    assert.equal(install.inputs.stdin, renderInstallScript(site, adminPassword(site.name)));
    assert.deepEqual(install.secretPaths, ["stdin"]);
    assert.deepEqual(startDeps(cap, install), ["blog-wordpress"]);
    // Not re-run when wordpress is replaced (a rebuilt image): the install outlives the container.
    assert.equal(install.inputs.triggers, undefined);
    assert.equal(
      cap.ofType(COMMAND).length,
      3,
      "root, the site's user, its install; no shared user without taken-over sites",
    );
  });

  it("serves the new site only after its installation: nginx waits for it", () => {
    const nginx = cap.get("blog-nginx", CONTAINER);
    assert.deepEqual(startDeps(cap, nginx), [`blog-site-${site.name}-install`, "blog-wordpress"].sort());
  });

  it("hands wordpress the new site's credentials, secret", () => {
    const env = envs(cap.get("blog-wordpress", CONTAINER));
    assert.ok(env.includes("SITE_STAGING_BLOG_DB_NAME=wp_staging_blog"));
    assert.ok(env.includes("SITE_STAGING_BLOG_DB_USER=wp_staging_blog"));
    assert.ok(env.includes(`SITE_STAGING_BLOG_DB_PASSWORD=${sitePassword(site.name)}`));
    for (const r of cap.resources) {
      const plain = plainStrings(r).join("\n");
      for (const s of [sitePassword(site.name), adminPassword(site.name)]) {
        assert.ok(!plain.includes(s), `${r.name} carries a secret in plain text`);
      }
    }
  });

  it("publishes no port", () => {
    for (const r of cap.ofType(CONTAINER)) {
      assert.deepEqual(r.inputs.ports, [], r.name);
    }
  });
});

describe("BlogStack argument checks", () => {
  it("rejects passwords that do not match the new sites exactly", async () => {
    const base = blogArgs("staging");
    await assert.rejects(
      capture(() => new BlogStack("blog", { ...base, sitePasswords: {} })),
      /sitePasswords must hold exactly the new WordPress sites' passwords \(missing: staging-blog; unknown: none\)/,
    );
    await assert.rejects(
      capture(
        () =>
          new BlogStack("blog", { ...base, siteAdminPasswords: { ...base.siteAdminPasswords, ghost: "x" } }),
      ),
      /siteAdminPasswords must hold exactly the new WordPress sites' passwords \(missing: none; unknown: ghost\)/,
    );
  });

  it("rejects conflicting sites before any resource", async () => {
    const base = blogArgs("production");
    await assert.rejects(
      capture(() => new BlogStack("blog", { ...base, sites: [...base.sites, base.sites[0]] })),
      /sites\[23\]\.name: fx-trader-life-4line is already the name of sites\[0\]/,
    );
  });
});
