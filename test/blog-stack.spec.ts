/**
 * The blog stack and the tunnel inside the real program (`index.ts`) for both stack files: the
 * wiring between components (mail network, origins, token, secrets, providers), the stack
 * outputs, and how staging differs from production.
 */
import { strict as assert } from "node:assert";
import { BLOG_SERVICES } from "../components/blog/schema";
import { Capture, CapturedResource, fakeValue } from "./harness/engine";
import { readStackValues, runStack, SECRET_PLACEHOLDERS, StackOutputs } from "./harness/stack";
import {
  CATCH_ALL,
  COMMAND,
  CONTAINER,
  DNS,
  RANDOM_PASSWORD as PASSWORD,
  RULE,
  TUNNEL,
  TUNNEL_CONFIG as CONFIG,
  WORKER,
} from "./harness/types";

interface SiteCfg {
  kind: string;
  name: string;
  domain?: string;
  aliases?: string[];
  database?: string;
  takenOver?: boolean;
}

/** The public hostnames of the sites with hosts of their own, in order. */
function hostnamesOf(sites: SiteCfg[]): string[] {
  return sites.flatMap((s) => (s.domain === undefined ? [] : [s.domain, ...(s.aliases ?? [])]));
}

function sitesOf(stack: "production" | "staging"): SiteCfg[] {
  return (readStackValues(stack)["onprem-infra:blog"] as { sites: SiteCfg[] }).sites;
}

function envs(r: CapturedResource): string[] {
  return (r.inputs.envs as string[] | undefined) ?? [];
}

function envValue(r: CapturedResource, key: string): string | undefined {
  return envs(r)
    .find((e) => e.startsWith(`${key}=`))
    ?.slice(key.length + 1);
}

function providerName(r: CapturedResource): string {
  // `urn::id`; the URN ends in `::<name>`.
  return r.provider.split("::")[3] ?? "";
}

describe("blog and tunnel in the production program", () => {
  let cap: Capture;
  let outputs: StackOutputs;
  const sites = sitesOf("production");
  before(async () => {
    ({ capture: cap, outputs } = await runStack("production"));
  });

  it("registers the BlogStack and Tunnel components at the top, with the blog's five containers", () => {
    const blog = cap.get("blog", "onprem:blog:BlogStack");
    const tunnel = cap.get("tunnel", "onprem:tunnel:Tunnel");
    assert.equal(blog.parent, tunnel.parent);
    const containers = cap.childrenOf(blog).filter((r) => r.type === CONTAINER);
    assert.deepEqual(
      containers.map((c) => c.inputs.name).sort(),
      BLOG_SERVICES.map((s) => `blog-${s}`).sort(),
    );
    assert.ok(sites.length >= 6, "a realistic site list");
    assert.ok(sites.filter((s) => (s.aliases ?? []).length > 0).length >= 4, "several sites with aliases");
  });

  it("uses the docker and command providers for the blog, the cloudflare provider for the tunnel", () => {
    for (const r of cap.childrenOf(cap.get("blog", "onprem:blog:BlogStack"))) {
      assert.equal(providerName(r), r.type.startsWith("command:") ? "command" : "docker", r.name);
    }
    for (const r of cap.childrenOf(cap.get("tunnel", "onprem:tunnel:Tunnel"))) {
      assert.equal(providerName(r), "cloudflare", r.name);
    }
    const provider = cap.get("cloudflare", "pulumi:providers:cloudflare");
    assert.equal(provider.inputs.apiToken, "cf-placeholder-api-token-0123456789abcdef");
    assert.deepEqual(provider.secretPaths, ["apiToken"]);
  });

  it("feeds cloudflared the tunnel's token, as a secret, after the tunnel and its configuration", () => {
    const cf = cap.get("blog-cloudflared", CONTAINER);
    const tunnel = cap.get("tunnel-tunnel", TUNNEL);
    const token = fakeValue(
      `tunnel-token|${JSON.stringify({ accountId: "5d1f0c3b8a2e4f6d9b7c1a0e3f5d7b9c", tunnelId: "tunnel-tunnel-id" })}`,
      120,
    );
    assert.deepEqual(envs(cf), [`TUNNEL_TOKEN=${token}`]);
    assert.deepEqual(cf.secretPaths, ["envs"]);
    assert.ok(
      cf.dependencies.includes(cap.get("tunnel-config", CONFIG).urn),
      "after the ingress configuration",
    );
    assert.ok(cf.propertyDependencies.envs.includes(tunnel.urn), "the token comes from the tunnel");
    assert.ok(cf.dependencies.includes(cap.get("blog-nginx", CONTAINER).urn));
  });

  it("routes the tunnel to the blog nginx and to the mail stack's nginx and API over the mail network", () => {
    const ingresses = (
      cap.get("tunnel-config", CONFIG).inputs.config as {
        ingresses: { hostname?: string; service: string }[];
      }
    ).ingresses;
    const hostnames = hostnamesOf(sites);
    assert.equal(hostnames.length, 27);
    assert.deepEqual(ingresses, [
      ...hostnames.map((hostname) => ({ hostname, service: "http://blog-nginx:80" })),
      { hostname: "mail-api.kuma8088.com", service: "http://mailserver-api:8080" },
      { service: "http_status:404" },
    ]);
    const mailNet = cap.get("mail-network", "docker:index/network:Network");
    for (const svc of ["wordpress", "cloudflared"]) {
      const c = cap.get(`blog-${svc}`, CONTAINER);
      const nets = c.inputs.networksAdvanced as { name: string }[];
      assert.deepEqual(
        nets.map((n) => n.name),
        ["blog_blog_network", "mailserver_mailserver_network"],
        svc,
      );
      assert.ok(c.dependencies.includes(mailNet.urn), `${svc} depends on the mail network`);
    }
  });

  it("publishes exactly one proxied CNAME per public hostname, each to the tunnel", () => {
    const records = cap.ofType(DNS);
    const expected = [...hostnamesOf(sites), "mail-api.kuma8088.com"];
    assert.equal(expected.length, 28);
    assert.deepEqual(records.map((r) => r.inputs.name).sort(), [...expected].sort());
    for (const r of records) {
      assert.equal(r.inputs.type, "CNAME");
      assert.equal(r.inputs.proxied, true);
      assert.equal(r.inputs.content, "tunnel-tunnel-id.cfargotunnel.com");
    }
  });

  it("uses the generated tunnel secret, the taken-over API key and the taken-over blog passwords", () => {
    const result = (name: string) => String(cap.get(name, PASSWORD).state.result);
    const tunnelSecret = cap.get("tunnel-tunnel", TUNNEL).inputs.tunnelSecret;
    assert.equal(tunnelSecret, Buffer.from(result("secrets-tunnelSecret")).toString("base64"));

    const apiKey = SECRET_PLACEHOLDERS["onprem-infra:mailApiKey"];
    const bindings = cap.get("tunnel-inbound-mail-worker", WORKER).inputs.bindings as {
      name: string;
      text: string;
    }[];
    assert.equal(bindings.find((b) => b.name === "MAIL_API_KEY")?.text, apiKey);
    assert.equal(envValue(cap.get("mail-mailserver-api", CONTAINER), "API_KEY"), apiKey);

    const mariadb = cap.get("blog-mariadb", CONTAINER);
    assert.equal(
      envValue(mariadb, "MARIADB_ROOT_PASSWORD"),
      SECRET_PLACEHOLDERS["onprem-infra:blogDbRootPassword"],
    );
    const wp = cap.get("blog-wordpress", CONTAINER);
    assert.equal(
      envValue(wp, "WORDPRESS_DB_PASSWORD"),
      SECRET_PLACEHOLDERS["onprem-infra:blogDbWordpressPassword"],
    );
    assert.ok(
      String(cap.get("blog-db-shared-user", COMMAND).inputs.stdin).includes(
        `IDENTIFIED BY '${SECRET_PLACEHOLDERS["onprem-infra:blogDbWordpressPassword"]}'`,
      ),
    );
    // Every production site is taken over: no site password is generated, none is installed.
    assert.deepEqual(
      cap.ofType(PASSWORD).filter((r) => /site|blogDb/.test(r.name)),
      [],
    );
    assert.ok(sites.every((s) => s.kind === "redirect" || s.kind === "proxy" || s.takenOver === true));
    assert.equal(cap.ofType(COMMAND).filter((c) => /-install$/.test(c.name)).length, 0);
  });

  it("routes every address of the production mail domains to the Email Worker", () => {
    const zones = cap
      .ofType(CATCH_ALL)
      .map((r) => r.name)
      .sort();
    assert.deepEqual(zones, [
      "tunnel-email-catch-all-fx-trader-life.com",
      "tunnel-email-catch-all-kuma8088.com",
      "tunnel-email-catch-all-webmakeprofit.org",
    ]);
    assert.equal(cap.ofType(RULE).length, 0);
  });

  it("exports the blog's and the tunnel's outputs, none of them secret", () => {
    assert.deepEqual(outputs.blogNetwork, { value: "blog_blog_network", secret: false });
    assert.deepEqual(outputs.blogEndpoints, {
      value: [
        "100.110.222.53:3307 -> mariadb:3306",
        "100.110.222.53:6379 -> redis:6379",
        "100.110.222.53:8080 -> nginx:80",
      ],
      secret: false,
    });
    assert.deepEqual(outputs.blogInstalledSites, { value: [], secret: false });
    assert.deepEqual(outputs.siteAdminPasswords, { value: {}, secret: true });
    assert.deepEqual(
      outputs.blogContainers.value,
      Object.fromEntries(BLOG_SERVICES.map((s) => [s, `blog-${s}`])),
    );
    assert.deepEqual(outputs.tunnelId, { value: "tunnel-tunnel-id", secret: false });
    assert.deepEqual(outputs.tunnelCnameTarget, {
      value: "tunnel-tunnel-id.cfargotunnel.com",
      secret: false,
    });
    assert.deepEqual(outputs.inboundMailWorker, { value: "onprem-production-inbound-mail", secret: false });
    assert.equal((outputs.tunnelHostnames.value as string[]).length, cap.ofType(DNS).length);
    assert.equal(outputs.blogHostnamesServed.secret, false);
    assert.equal(
      Object.keys(outputs).some((k) => /token/i.test(k)),
      false,
      "the token is never a stack output",
    );
  });
});

describe("blog and tunnel in the staging program", () => {
  let prod: Capture;
  let staging: Capture;
  before(async () => {
    prod = (await runStack("production")).capture;
    staging = (await runStack("staging")).capture;
  });

  it("names every container blog-staging-* and publishes no port", () => {
    for (const svc of BLOG_SERVICES) {
      const c = staging.get(`blog-${svc}`, CONTAINER);
      assert.equal(c.inputs.name, `blog-staging-${svc}`);
      assert.deepEqual(c.inputs.ports ?? [], [], svc);
    }
    assert.deepEqual(
      (
        staging.get("blog-network", "docker:index/network:Network").inputs.ipamConfigs as { subnet: string }[]
      )[0].subnet,
      "172.23.0.0/24",
    );
  });

  it("keeps its data in volumes and a sites directory of its own, unprotected, adopting nothing", () => {
    const volumes = (c: Capture) =>
      c.ofType("docker:index/volume:Volume").filter((r) => r.name.startsWith("blog-"));
    assert.ok(
      volumes(staging).every((v) => v.inputs.driverOpts === undefined),
      "no bind-backed volume",
    );
    const prodNames = new Set(volumes(prod).map((v) => v.inputs.name));
    assert.equal(volumes(staging).length, 3);
    for (const v of volumes(staging)) {
      assert.ok(!prodNames.has(v.inputs.name), `${String(v.inputs.name)} is production's`);
      assert.match(String(v.inputs.name), /^blog-staging_/);
      assert.equal(v.options.protect, false);
      assert.ok(!v.options.importId, "staging adopts nothing");
    }
    const sitesMount = (c: Capture) =>
      (c.get("blog-wordpress", CONTAINER).inputs.mounts as { source: string; target: string }[]).find(
        (m) => m.target === "/var/www/html",
      )?.source;
    assert.equal(sitesMount(staging), "/mnt/backup-hdd/blog-staging/sites");
    assert.equal(sitesMount(prod), "/mnt/backup-hdd/blog/sites");
  });

  it("has its own tunnel and Worker and touches no production hostname or catch-all", () => {
    assert.equal(staging.get("tunnel-tunnel", TUNNEL).inputs.name, "onprem-staging");
    assert.equal(
      staging.get("tunnel-inbound-mail-worker", WORKER).inputs.scriptName,
      "onprem-staging-inbound-mail",
    );
    const prodHosts = new Set(prod.ofType(DNS).map((r) => r.inputs.name));
    const stagingHosts = staging.ofType(DNS).map((r) => String(r.inputs.name));
    // Its one site and its mail API: no webmail, nothing else public.
    assert.deepEqual(stagingHosts, ["staging-blog.kuma8088.com", "mail-api-staging.kuma8088.com"]);
    for (const host of stagingHosts) {
      assert.ok(!prodHosts.has(host), `${host} is a production record`);
      assert.match(host.split(".")[0], /(^|-)staging(-|$)/);
    }
    assert.equal(staging.ofType(CATCH_ALL).length, 0);
    assert.deepEqual(
      staging
        .ofType(RULE)
        .map((r) => (r.inputs.matchers as { value: string }[])[0].value)
        .sort(),
      ["postmaster@staging.kuma8088.com", "test@staging.kuma8088.com"],
    );
    const ingresses = (
      staging.get("tunnel-config", CONFIG).inputs.config as { ingresses: { service: string }[] }
    ).ingresses;
    assert.deepEqual(
      [...new Set(ingresses.map((r) => r.service))],
      ["http://blog-staging-nginx:80", "http://mailserver-staging-api:8080", "http_status:404"],
    );
  });

  it("joins staging's own mail network", () => {
    for (const svc of ["wordpress", "cloudflared"]) {
      const nets = staging.get(`blog-${svc}`, CONTAINER).inputs.networksAdvanced as { name: string }[];
      assert.deepEqual(
        nets.map((n) => n.name),
        ["blog-staging-network", "staging_mailserver_network"],
      );
    }
  });
});
