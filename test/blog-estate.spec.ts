/**
 * Both stacks' captured blog and tunnel resources, held against the running estate's facts
 * (test/estate/blog.ts): network, addresses, volumes, the sites' directory, every site with its
 * kind and hostnames, the WordPress image's contract, MariaDB's tuning, nginx's base config, the
 * published ports, the tunnel's hostnames and the Email Worker's API.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as E from "./estate/blog";
import * as v from "valibot";
import { BlogSite, blogConfigSchema } from "../components/blog/schema";
import { INBOUND_MAIL_PATH } from "../components/tunnel/ingress";
import { CapturedResource } from "./harness/engine";
import { readStackValues, ROOT, runStack, StackName, StackRun } from "./harness/stack";
import { COMMAND, CONTAINER, DNS, IMAGE, NETWORK, TUNNEL_CONFIG, VOLUME, WORKER } from "./harness/types";

type Mount = { type: string; source: string; target: string; readOnly: boolean };
type Upload = { file: string; content: string };

/** A site of the config in the fixture's words. */
function asEstate(site: BlogSite): Omit<E.EstateSite, "source"> {
  const redirects = (list: { path: string; to: string; keepPath: boolean }[]) =>
    list.length === 0
      ? undefined
      : Object.fromEntries(list.map((r) => [r.path, `${r.to}${r.keepPath ? "$request_uri" : ""}`]));
  switch (site.kind) {
    case "wordpress":
      return {
        kind: site.kind,
        name: site.name,
        hosts: [site.domain, ...site.aliases],
        ...(site.localNames.length > 0 ? { localNames: site.localNames } : {}),
        documentRoot: site.documentRoot,
        database: site.database,
        ...(site.redirects.length > 0 ? { redirects: redirects(site.redirects) } : {}),
      };
    case "subdirectory":
      return {
        kind: site.kind,
        name: site.name,
        hosts: [],
        under: { parent: site.parent, path: site.path },
        documentRoot: site.documentRoot,
        database: site.database,
      };
    case "redirect":
      return {
        kind: site.kind,
        name: site.name,
        hosts: [site.domain, ...site.aliases],
        ...(site.localNames.length > 0 ? { localNames: site.localNames } : {}),
        to: `${site.to}${site.keepPath ? "$request_uri" : ""}`,
        ...(site.redirects.length > 0 ? { redirects: redirects(site.redirects) } : {}),
      };
    case "proxy":
      return {
        kind: site.kind,
        name: site.name,
        hosts: [site.domain, ...site.aliases],
        upstreams: Object.fromEntries([["/", site.upstream], ...site.paths.map((p) => [p.path, p.upstream])]),
      };
  }
}

describe("blog estate fixture", () => {
  it("names a source file:line for every fact and every site", () => {
    const facts = [
      ...Object.values(E.NETWORK),
      E.CONTAINERS,
      E.CO_TENANT,
      E.MAIL_NETWORK_MEMBERS,
      E.VOLUMES,
      E.SITES_DIR,
      ...Object.values(E.WORDPRESS),
      ...Object.values(E.MARIADB),
      E.NGINX_BASE,
      E.PORTS,
      E.NOT_SERVED,
      ...Object.values(E.TUNNEL),
      ...Object.values(E.MAIL_API),
    ];
    for (const f of [...facts, ...E.SITES]) {
      assert.match(f.source, /^[\w./*-]+(:[\d,-]+)?[\w ,:;./*()-]*$/, f.source);
      assert.match(f.source, /(:\d|\*\.conf)/, `${f.source} names a line`);
    }
  });

  it("holds 23 sites of four kinds with 27 public hostnames, none twice", () => {
    assert.equal(E.SITES.length, 23);
    const kinds = E.SITES.reduce<Record<string, number>>(
      (acc, s) => ({ ...acc, [s.kind]: (acc[s.kind] ?? 0) + 1 }),
      {},
    );
    assert.deepEqual(kinds, { wordpress: 16, subdirectory: 1, redirect: 5, proxy: 1 });
    const hosts = E.SITES.flatMap((s) => s.hosts);
    assert.equal(hosts.length, E.TUNNEL.count.production);
    assert.equal(new Set(hosts).size, hosts.length);
  });
});

for (const stack of ["production", "staging"] as StackName[]) {
  describe(`blog and tunnel estate facts (${stack})`, () => {
    let run: StackRun;
    const container = (svc: string): CapturedResource => run.capture.get(`blog-${svc}`, CONTAINER);
    const mounts = (svc: string) => (container(svc).inputs.mounts as Mount[] | undefined) ?? [];
    const upload = (svc: string, file: string) =>
      ((container(svc).inputs.uploads as Upload[]) ?? []).find((u) => u.file === file)?.content ?? "";
    const envs = (svc: string) => (container(svc).inputs.envs as string[]) ?? [];
    before(async () => {
      run = await runStack(stack);
    });

    it("keeps the network's name, subnet and gateway; leaves the co-tenant's address free", () => {
      const net = run.capture.get("blog-network", NETWORK);
      assert.equal(net.inputs.name, E.NETWORK.name[stack]);
      assert.deepEqual(net.inputs.ipamConfigs, [
        { subnet: E.NETWORK.subnet[stack], gateway: E.NETWORK.gateway[stack] },
      ]);
      const ips = Object.keys(E.CONTAINERS[stack]).map(
        (svc) => (container(svc).inputs.networksAdvanced as { ipv4Address?: string }[])[0].ipv4Address,
      );
      for (const ip of E.CO_TENANT[stack]) {
        assert.ok(!ips.includes(ip), ip);
      }
    });

    it("keeps every container's name, hostname and fixed address; the same two join the mail network", () => {
      for (const [svc, want] of Object.entries(E.CONTAINERS[stack])) {
        const c = container(svc);
        assert.equal(c.inputs.name, want.name, svc);
        assert.equal(c.inputs.hostname, svc, svc);
        const nets = c.inputs.networksAdvanced as { name: string; ipv4Address?: string }[];
        assert.equal(nets[0].ipv4Address, want.ip, svc);
        assert.equal(nets.length, E.MAIL_NETWORK_MEMBERS[stack].includes(svc) ? 2 : 1, svc);
      }
      const mailNet = run.capture.get("mail-network", NETWORK).inputs.name;
      for (const svc of E.MAIL_NETWORK_MEMBERS[stack]) {
        assert.equal((container(svc).inputs.networksAdvanced as { name: string }[])[1].name, mailNet, svc);
      }
    });

    it("keeps the data: named volumes by their names (adopted in production), the sites' host directory bound", () => {
      for (const [key, want] of Object.entries(E.VOLUMES[stack])) {
        const vol = run.capture.get(`blog-${key}-volume`, VOLUME);
        assert.equal(vol.inputs.name, want.name, key);
        assert.equal(vol.options.importId || undefined, stack === "production" ? want.name : undefined, key);
        assert.equal(vol.inputs.driverOpts, undefined, key);
        for (const [svc, target] of Object.entries(want.mounts)) {
          assert.ok(
            mounts(svc).some(
              (m) => m.type === "volume" && m.source === want.name && m.target === target && !m.readOnly,
            ),
            `${svc}: ${JSON.stringify(mounts(svc))}`,
          );
        }
      }
      const dir = E.SITES_DIR[stack];
      for (const svc of ["wordpress", "nginx"]) {
        assert.deepEqual(
          mounts(svc).filter((m) => m.target === dir.target),
          [{ type: "bind", source: dir.host, target: dir.target, readOnly: dir.readOnlyIn.includes(svc) }],
          svc,
        );
      }
      // No volume stands in for the sites' directory, and nothing creates it.
      assert.equal(run.capture.ofType(VOLUME).filter((v) => v.name.startsWith("blog-")).length, 3);
      assert.ok(!run.capture.ofType(COMMAND).some((c) => /mkdir -p \/mnt/.test(String(c.inputs.create))));
    });

    it("expresses every real site with its kind, hostnames, root and database, and no other (production)", () => {
      const sites = v.parse(blogConfigSchema, readStackValues(stack)["onprem-infra:blog"]).sites;
      if (stack === "production") {
        assert.deepEqual(
          sites.map(asEstate),
          E.SITES.map(({ source, ...site }) => {
            assert.ok(source);
            return site;
          }),
        );
        assert.ok(sites.every((s) => s.kind === "proxy" || s.kind === "redirect" || s.takenOver === true));
      } else {
        assert.deepEqual(
          sites.map((s) => s.name),
          ["staging-blog"],
        );
      }
      // Every site with hosts has its nginx file; the copies nginx never read are not sites.
      const files = ((container("nginx").inputs.uploads as Upload[]) ?? []).map((u) => u.file);
      for (const site of sites.filter((s) => s.kind !== "subdirectory")) {
        assert.ok(files.includes(`/etc/nginx/conf.d/site-${site.name}.conf`), site.name);
      }
      for (const copy of E.NOT_SERVED[stack]) {
        assert.ok(!files.some((f) => f.endsWith(copy)), copy);
      }
    });

    it("serves each site's names from its root, its redirects and its subdirectory (production)", () => {
      for (const site of stack === "production" ? E.SITES : []) {
        if (site.kind === "subdirectory") {
          const parent = upload("nginx", `/etc/nginx/conf.d/site-${site.under!.parent}.conf`);
          assert.ok(
            parent.includes(
              `location ^~ ${site.under!.path}/ {\n        alias /var/www/html/${site.documentRoot}/;`,
            ),
            site.name,
          );
          continue;
        }
        const conf = upload("nginx", `/etc/nginx/conf.d/site-${site.name}.conf`);
        assert.ok(
          conf.includes(`server_name ${[...site.hosts, ...(site.localNames ?? [])].join(" ")};`),
          site.name,
        );
        if (site.documentRoot) {
          assert.ok(conf.includes(`root /var/www/html/${site.documentRoot};`), site.name);
        }
        for (const [p, to] of Object.entries(site.redirects ?? {})) {
          assert.ok(conf.includes(`location ^~ ${p} {\n        return 301 ${to};`), `${site.name} ${p}`);
        }
        if (site.to) {
          assert.ok(conf.includes(`location / {\n        return 301 ${site.to};`), site.name);
        }
        for (const [p, upstream] of Object.entries(site.upstreams ?? {})) {
          assert.ok(conf.includes(`location ${p} {\n        proxy_pass ${upstream};`), `${site.name} ${p}`);
        }
      }
    });

    it("keeps the WordPress image's contract: base family, uid 82, relay by the certificate's name, database variables", () => {
      const img = run.capture.get("blog-wordpress-image", IMAGE);
      const base = (img.inputs.build as { args: Record<string, string> }).args.WORDPRESS_BASE;
      assert.ok(base.endsWith(`-${E.WORDPRESS.baseFamily[stack]}`), base);
      const dockerfile = fs.readFileSync(path.join(ROOT, "components/blog/wordpress/Dockerfile"), "utf8");
      assert.ok(dockerfile.includes(`test "$(id -u www-data)" = ${E.WORDPRESS.owner[stack]};`));
      assert.ok(
        upload("wordpress", "/etc/ssmtp/ssmtp.conf").includes(`mailhub=${E.WORDPRESS.mailHost[stack]}\n`),
      );
      const [host, ip] = E.WORDPRESS.extraHosts[stack].split(":");
      assert.deepEqual(container("wordpress").inputs.hosts, [{ host, ip }]);
      for (const v of E.WORDPRESS.dbEnv[stack].split(" ")) {
        assert.ok(envs("wordpress").includes(v), v);
      }
      const [user, dbHost] = E.WORDPRESS.sharedUser[stack].split("@");
      assert.ok(envs("wordpress").includes(`WORDPRESS_DB_HOST=${dbHost}:3306`));
      const aliases = (container("mariadb").inputs.networksAdvanced as { aliases: string[] }[])[0].aliases;
      assert.ok(aliases.includes(dbHost), "existing wp-config.php files reach the database as mariadb");
      const shared = run.capture.resources.find((r) => r.name === "blog-db-shared-user");
      if (stack === "production") {
        assert.ok(String(shared?.inputs.stdin).includes(`'${user}'@'%'`));
      } else {
        assert.equal(shared, undefined, "staging has no taken-over site, so no shared user");
      }
      assert.ok(envs("wordpress").includes(`TZ=${E.WORDPRESS.timezone[stack]}`));
      assert.ok(envs("mariadb").includes(`TZ=${E.WORDPRESS.timezone[stack]}`));
      const ini = fs
        .readFileSync(path.join(ROOT, "components/blog/wordpress/php/zz-onprem-php.ini"), "utf8")
        .split("\n");
      for (const line of [
        ...E.WORDPRESS.php[stack].split("|"),
        `date.timezone = ${E.WORDPRESS.timezone[stack]}`,
      ]) {
        assert.ok(ini.includes(line), line);
      }
      const fix = fs.readFileSync(path.join(ROOT, "components/blog/wordpress/php/https-fix.php"), "utf8");
      assert.ok(fix.includes(E.WORDPRESS.httpsFix[stack]));
    });

    it("keeps Redis where every wp-config.php finds it", () => {
      assert.equal(
        (container("redis").inputs.networksAdvanced as { ipv4Address: string }[])[0].ipv4Address,
        E.CONTAINERS[stack].redis.ip,
      );
    });

    it("tunes MariaDB and nginx as today", () => {
      assert.deepEqual(container("mariadb").inputs.command, E.MARIADB.command[stack].split(" "));
      const cnf = upload("mariadb", "/etc/mysql/conf.d/custom.cnf").split("\n");
      for (const line of E.MARIADB.tuning[stack].split("|")) {
        assert.ok(cnf.includes(line), line);
      }
      const base = upload("nginx", "/etc/nginx/nginx.conf");
      for (const line of E.NGINX_BASE[stack]) {
        assert.ok(base.includes(`    ${line}\n`), line);
      }
    });

    it("publishes the same ports (staging none), bound to the tailnet address", () => {
      const published = ["mariadb", "redis", "wordpress", "nginx", "cloudflared"].flatMap((svc) =>
        ((container(svc).inputs.ports as { internal: number; external: number; ip: string }[]) ?? []).map(
          (p) => {
            assert.equal(p.ip, "100.110.222.53", svc);
            return `${svc}:${p.external}->${p.internal}`;
          },
        ),
      );
      assert.deepEqual(published, E.PORTS[stack]);
    });

    it("routes exactly the estate's public hostnames through the tunnel, each with its DNS record", () => {
      const config = run.capture.get("tunnel-config", TUNNEL_CONFIG).inputs.config as {
        ingresses: { hostname?: string; service: string }[];
      };
      const routed = config.ingresses.filter((r) => r.hostname !== undefined).map((r) => r.hostname);
      assert.deepEqual(routed, E.TUNNEL.hostnames[stack]);
      assert.equal(routed.length, E.TUNNEL.count[stack] + 1);
      const records = run.capture.ofType(DNS).map((r) => r.inputs.name);
      assert.deepEqual(records, E.TUNNEL.hostnames[stack]);
      for (const site of stack === "production" ? E.SITES : []) {
        for (const local of site.localNames ?? []) {
          assert.ok(!routed.includes(local) && !records.includes(local), local);
        }
      }
    });

    it("has the Email Worker post to the API's inbound path", () => {
      const w = run.capture.get("tunnel-inbound-mail-worker", WORKER);
      const url = (w.inputs.bindings as { name: string; text: string }[]).find(
        (b) => b.name === "MAIL_API_URL",
      )!.text;
      assert.equal(`POST ${new URL(url).pathname}`, E.MAIL_API.path[stack]);
      assert.equal(`POST ${INBOUND_MAIL_PATH}`, E.MAIL_API.path[stack]);
      const source = String(w.inputs.content);
      assert.ok(source.includes(`"X-API-Key": env.MAIL_API_KEY`));
      for (const field of E.MAIL_API.body[stack].split(" ")) {
        assert.match(source, new RegExp(`^    ${field}: `, "m"), field);
      }
    });
  });
}
