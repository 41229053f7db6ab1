/**
 * WordPress sites as config: every config error of the blog and tunnel keys names its key and
 * the stack file; adding or removing a site changes exactly that site's resources plus the
 * config-carrying inputs (wordpress's environment, nginx's virtual hosts, the tunnel's ingress).
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../config";
import { Capture } from "./harness/engine";
import { cloneValues, readStackValues, runStack, secretsFor, StackName, StackValues } from "./harness/stack";

const BLOG = "onprem-infra:blog";
const TUNNEL = "onprem-infra:tunnel";
const MAIL = "onprem-infra:mail";

interface Site {
  kind: string;
  name: string;
  domain: string;
  aliases?: string[];
  documentRoot: string;
  database: string;
  takenOver?: boolean;
  install?: Record<string, string>;
}
interface Blog {
  subnet: string;
  network: { gateway: string };
  coTenantAddresses?: string[];
  sites: Site[];
  services: Record<string, Record<string, unknown>>;
}
interface TunnelCfg {
  name: string;
  zones: Record<string, string>;
  webmailHostname?: string;
  mailApiHostname: string;
  email: { workerName: string; catchAll?: string[]; addresses?: string[] };
}

function raw(values: StackValues, stack: string) {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  const secrets = secretsFor(stack);
  return { values: { ...flat, ...secrets }, secretKeys: new Set(Object.keys(secrets)) };
}

/** Parses `stack`'s file after `edit`, and returns the error lines (none when it parses). */
function problems(
  stack: StackName,
  edit: (v: { blog: Blog; tunnel: TunnelCfg; values: StackValues }) => void,
): string[] {
  const values = cloneValues(readStackValues(stack));
  edit({ blog: values[BLOG] as Blog, tunnel: values[TUNNEL] as TunnelCfg, values });
  try {
    parseStackConfig(stack, raw(values, stack));
    return [];
  } catch (err) {
    const message = (err as Error).message;
    assert.match(message, new RegExp(`^Invalid stack config in Pulumi\\.${stack}\\.yaml:`));
    return message
      .split("\n")
      .slice(1)
      .map((l) => l.replace(/^\s+- /, ""));
  }
}

/** Asserts exactly one problem, for `key`, whose message matches. */
function expectOne(found: string[], key: string, message: RegExp): void {
  assert.equal(found.length, 1, found.join("\n"));
  assert.ok(found[0].startsWith(`onprem-infra:${key}: `), found[0]);
  assert.match(found[0], message);
}

describe("sites and tunnel config errors", () => {
  it("accepts both stack files as committed", () => {
    assert.deepEqual(
      problems("production", () => undefined),
      [],
    );
    assert.deepEqual(
      problems("staging", () => undefined),
      [],
    );
  });

  it("rejects a domain used by two sites", () => {
    const found = problems("production", ({ blog }) => {
      blog.sites[2].domain = blog.sites[0].domain;
    });
    expectOne(
      found,
      "blog.sites[2].domain",
      /4line\.fx-trader-life\.com is already used by blog\.sites\[0\]\.domain/,
    );
  });

  it("rejects an alias that is another site's hostname", () => {
    const found = problems("production", ({ blog }) => {
      blog.sites[13].aliases = ["www.kuma8088.com"];
    });
    expectOne(
      found,
      "blog.sites[13].aliases[0]",
      /www\.kuma8088\.com is already used by blog\.sites\[11\]\.aliases\[0\]/,
    );
  });

  it("rejects an invalid hostname", () => {
    const found = problems("production", ({ blog }) => {
      blog.sites[1].domain = "Tech_Blog.kuma8088.com";
    });
    expectOne(found, "blog.sites[1].domain", /must be a lower-case DNS name/);
  });

  it("rejects an invalid database name", () => {
    const found = problems("production", ({ blog }) => {
      blog.sites[2].database = "wp-kuma8088-tech";
    });
    expectOne(found, "blog.sites[2].database", /must be a MariaDB name/);
  });

  it("rejects a database shared by two sites", () => {
    const found = problems("production", ({ blog }) => {
      blog.sites[4].database = blog.sites[3].database;
    });
    expectOne(
      found,
      "blog.sites[4].database",
      /wp_webmakeprofit_coconala is already the database of sites\[3\]/,
    );
  });

  it("rejects two sites on one document root, and one inside another", () => {
    expectOne(
      problems("production", ({ blog }) => {
        blog.sites[2].documentRoot = "fx-trader-life-4line";
      }),
      "blog.sites[2].documentRoot",
      /fx-trader-life-4line is already the document root of sites\[0\] \(fx-trader-life-4line\)/,
    );
    expectOne(
      problems("production", ({ blog }) => {
        blog.sites[2].documentRoot = "fx-trader-life-4line/camp";
      }),
      "blog.sites[2].documentRoot",
      /fx-trader-life-4line\/camp and the document root fx-trader-life-4line of sites\[0\] \(fx-trader-life-4line\) lie inside one another/,
    );
  });

  it("rejects a document root that climbs out or is absolute", () => {
    for (const root of ["../etc", "/var/www/html/x"]) {
      expectOne(
        problems("production", ({ blog }) => {
          blog.sites[0].documentRoot = root;
        }),
        "blog.sites[0].documentRoot",
        /must be a relative directory/,
      );
    }
  });

  it("rejects a site name used twice or unusable in names", () => {
    expectOne(
      problems("production", ({ blog }) => {
        blog.sites[5].name = blog.sites[0].name;
      }),
      "blog.sites[5].name",
      /fx-trader-life-4line is already the name of sites\[0\]/,
    );
    expectOne(
      problems("production", ({ blog }) => {
        blog.sites[5].name = "Web_Make";
      }),
      "blog.sites[5].name",
      /lower-case letters, digits and dashes/,
    );
  });

  it("accepts an empty site list: nothing public but the mail API", () => {
    assert.deepEqual(
      problems("staging", ({ blog, values }) => {
        blog.sites = [];
        (values["onprem-infra:rotations"] as { siteDbPasswords: Record<string, string> }).siteDbPasswords =
          {};
      }),
      [],
    );
  });

  it("rejects a bad subnet, one overlapping the mail network, and an address outside it", () => {
    expectOne(
      problems("production", ({ blog }) => {
        blog.subnet = "172.22.0.1/24";
      }),
      "blog.subnet",
      /must name the network address/,
    );
    expectOne(
      problems("production", ({ blog, values }) => {
        // The mail network spans 172.20.0.0/16; the blog moves into it, addresses and all.
        (values[MAIL] as { subnet: string }).subnet = "172.20.0.0/16";
        blog.subnet = "172.20.128.0/24";
        blog.network.gateway = "172.20.128.1";
        blog.coTenantAddresses = [];
        for (const svc of Object.values(blog.services)) {
          svc.ip = String(svc.ip).replace("172.22.0.", "172.20.128.");
        }
      }),
      "blog.subnet",
      /172\.20\.128\.0\/24 overlaps the mail network's subnet 172\.20\.0\.0\/16/,
    );
    expectOne(
      problems("production", ({ blog }) => {
        blog.services.nginx.ip = "172.23.0.40";
      }),
      "blog.services.nginx.ip",
      /172\.23\.0\.40 is not a usable host address in 172\.22\.0\.0\/24/,
    );
  });

  it("rejects a blog port that the mail stack already publishes", () => {
    expectOne(
      problems("production", ({ blog }) => {
        blog.services.nginx.ports = [{ host: 80, container: 80, bind: "100.110.222.53" }];
      }),
      "blog.services.nginx.ports[0]",
      /host port 100\.110\.222\.53:80 is already published by mail\.services\.nginx\.ports\[0\]/,
    );
  });

  it("rejects limits that do not fit: reservation above the limit, Redis above its container, an unpinned or wrong base image", () => {
    expectOne(
      problems("production", ({ blog }) => {
        blog.services.nginx.memoryReservation = "1G";
      }),
      "blog.services.nginx.memoryReservation",
      /1G is more than the memory limit 512M/,
    );
    expectOne(
      problems("production", ({ blog }) => {
        blog.services.redis.maxMemory = "1gb";
      }),
      "blog.services.redis.maxMemory",
      /1gb is more than the container's memory limit 512M/,
    );
    expectOne(
      problems("production", ({ blog }) => {
        (blog.services.wordpress.build as Record<string, string>).baseImage = "wordpress:6.6.2-php8.3-fpm";
      }),
      "blog.services.wordpress.build.baseImage",
      /wordpress:<version>-php8\.3-fpm-alpine/,
    );
    expectOne(
      problems("production", ({ blog }) => {
        blog.services.cloudflared.image = "cloudflare/cloudflared:latest";
      }),
      "blog.services.cloudflared.image",
      /must be pinned/,
    );
  });

  it("rejects webmail or the mail API on a hostname already in use", () => {
    expectOne(
      problems("production", ({ tunnel }) => {
        tunnel.webmailHostname = "www.kuma8088.com";
      }),
      "tunnel.webmailHostname",
      /www\.kuma8088\.com is already used by blog\.sites\[11\]\.aliases\[0\]/,
    );
    expectOne(
      problems("production", ({ tunnel }) => {
        tunnel.webmailHostname = "webmail.kuma8088.com";
        tunnel.mailApiHostname = "webmail.kuma8088.com";
      }),
      "tunnel.mailApiHostname",
      /webmail\.kuma8088\.com is already used by tunnel\.webmailHostname/,
    );
  });

  it("rejects a hostname in no configured zone, and a malformed zone id", () => {
    expectOne(
      problems("production", ({ blog }) => {
        blog.sites[8].aliases = ["www.toyota-phv.com"];
      }),
      "blog.sites[8].aliases[0]",
      /www\.toyota-phv\.com lies in no zone of tunnel\.zones/,
    );
    expectOne(
      problems("production", ({ tunnel }) => {
        tunnel.zones["kuma8088.com"] = "not-an-id";
      }),
      "tunnel.zones.kuma8088.com",
      /must be a Cloudflare id/,
    );
  });

  it("rejects inbound mail that misses a mail domain or routes a foreign one", () => {
    expectOne(
      problems("production", ({ tunnel }) => {
        tunnel.email.catchAll = ["kuma8088.com", "fx-trader-life.com"];
      }),
      "mail.domains[2]",
      /webmakeprofit\.org receives no mail/,
    );
    const found = problems("production", ({ tunnel }) => {
      tunnel.email.catchAll = [...(tunnel.email.catchAll ?? []), "toyota-phv.jp"];
    });
    expectOne(found, "tunnel.email.catchAll[3]", /toyota-phv\.jp is not a mail domain/);
    expectOne(
      problems("production", ({ tunnel }) => {
        tunnel.email.addresses = ["info@toyota-phv.jp"];
      }),
      "tunnel.email.addresses[0]",
      /info@toyota-phv\.jp is not in a mail domain/,
    );
  });

  describe("staging never touches production", () => {
    it("rejects a staging hostname without the stack in its first label", () => {
      expectOne(
        problems("staging", ({ blog }) => {
          blog.sites[0].domain = "fx-trader-life.com";
        }),
        "blog.sites[0].domain",
        /a staging hostname's first label must carry "staging"/,
      );
      expectOne(
        problems("staging", ({ tunnel }) => {
          tunnel.webmailHostname = "webmail.kuma8088.com";
        }),
        "tunnel.webmailHostname",
        /first label must carry "staging"/,
      );
    });

    it("rejects a zone catch-all, which production owns", () => {
      const found = problems("staging", ({ tunnel, values }) => {
        (values[MAIL] as { domains: string[] }).domains = ["staging.kuma8088.com", "kuma8088.com"];
        tunnel.email.catchAll = ["kuma8088.com"];
      });
      expectOne(found, "tunnel.email.catchAll[0]", /must route single addresses/);
    });

    it("rejects production's tunnel or Worker name", () => {
      expectOne(
        problems("staging", ({ tunnel }) => {
          tunnel.name = "onprem-production";
        }),
        "tunnel.name",
        /onprem-production must carry "staging"/,
      );
      expectOne(
        problems("staging", ({ tunnel }) => {
          tunnel.email.workerName = "onprem-inbound-mail";
        }),
        "tunnel.email.workerName",
        /must carry "staging"/,
      );
    });

    it("rejects a published blog port", () => {
      expectOne(
        problems("staging", ({ blog }) => {
          blog.services.nginx.ports = [{ host: 18080, container: 80, bind: "100.64.0.10" }];
        }),
        "blog.services.nginx.ports",
        /a staging stack publishes no blog ports/,
      );
    });
  });
});

/** Resources by `type::name`, with their inputs and start dependencies as comparable text. */
function fingerprint(cap: Capture): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of cap.resources) {
    const deps = r.dependencies.map((u) => cap.byUrn(u).name).sort();
    out.set(`${r.type}::${r.name}`, JSON.stringify({ inputs: r.inputs, deps, secret: r.secretPaths }));
  }
  return out;
}

function diff(a: Capture, b: Capture): { added: string[]; removed: string[]; changed: string[] } {
  const fa = fingerprint(a);
  const fb = fingerprint(b);
  return {
    added: [...fb.keys()].filter((k) => !fa.has(k)).sort(),
    removed: [...fa.keys()].filter((k) => !fb.has(k)).sort(),
    changed: [...fa.keys()].filter((k) => fb.has(k) && fa.get(k) !== fb.get(k)).sort(),
  };
}

/** A record per public hostname of a site. */
function siteRecords(site: Site): string[] {
  return [site.domain, ...(site.aliases ?? [])].map(
    (h) => `cloudflare:index/dnsRecord:DnsRecord::tunnel-dns-${h}`,
  );
}

/**
 * The resources a new site owns: its database user, its installation, its two passwords and a
 * record per hostname. A taken-over site owns only its records.
 */
function newSiteResources(site: Site): string[] {
  return [
    `command:local:Command::blog-site-${site.name}-db`,
    `command:local:Command::blog-site-${site.name}-install`,
    `random:index/randomPassword:RandomPassword::secrets-siteDbPassword-${site.name}`,
    `random:index/randomPassword:RandomPassword::secrets-siteAdminPassword-${site.name}`,
    ...siteRecords(site),
  ].sort();
}

/** What else adding a new site touches: the config-carrying inputs. */
const CONFIG_CARRIERS = [
  "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig::tunnel-config",
  "docker:index/container:Container::blog-nginx",
  "docker:index/container:Container::blog-wordpress",
];

/** What else removing a taken-over site touches: the routes, nginx's files and the shared user's grants. */
const TAKEN_OVER_CARRIERS = [
  "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig::tunnel-config",
  "command:local:Command::blog-db-shared-user",
  "docker:index/container:Container::blog-nginx",
];

/** What the config carriers hold per site: nginx's files, wordpress's env keys, the tunnel's routes. */
function carriers(cap: Capture): { uploads: string[]; env: string[]; ingress: string[] } {
  const container = (name: string) => cap.get(name, "docker:index/container:Container");
  const config = cap.get("tunnel-config").inputs.config as {
    ingresses: { hostname?: string; service: string }[];
  };
  return {
    uploads: (container("blog-nginx").inputs.uploads as { file: string }[]).map((u) => u.file),
    env: (container("blog-wordpress").inputs.envs as string[]).map((e) => e.split("=")[0]),
    ingress: config.ingresses.map((r) => `${r.hostname ?? "*"} -> ${r.service}`),
  };
}

describe("adding and removing a site", () => {
  const NEW_SITE: Site = {
    kind: "wordpress",
    name: "kuma8088-photo",
    domain: "photo.kuma8088.com",
    aliases: ["photos.kuma8088.com"],
    documentRoot: "kuma8088-photo",
    database: "wp_kuma8088_photo",
    install: { title: "Photos", adminUser: "kuma8088", adminEmail: "admin@kuma8088.com" },
  };
  let baseline: Capture;
  before(async () => {
    baseline = (await runStack("production")).capture;
  });

  /** A site's password stamp under `rotations.siteDbPasswords` (the day it was made). */
  const stamps = (values: StackValues) =>
    (values["onprem-infra:rotations"] as { siteDbPasswords: Record<string, string> }).siteDbPasswords;

  it("adding one config entry (and its password's stamp) adds exactly that site's resources and changes only the config carriers", async () => {
    const values = cloneValues(readStackValues("production"));
    (values[BLOG] as Blog).sites.push(NEW_SITE);
    stamps(values)[NEW_SITE.name] = "2026-11-30";
    const after = (await runStack("production", values)).capture;
    const d = diff(baseline, after);
    assert.deepEqual(d.added, newSiteResources(NEW_SITE));
    assert.deepEqual(d.removed, []);
    assert.deepEqual(d.changed, CONFIG_CARRIERS);
    // Each carrier gained exactly the new site's entries; nothing of the other sites moved.
    const b = carriers(baseline);
    const a = carriers(after);
    assert.deepEqual(a.uploads.slice(0, -1), b.uploads);
    assert.deepEqual(a.uploads.slice(-1), ["/etc/nginx/conf.d/site-kuma8088-photo.conf"]);
    assert.deepEqual(a.env.slice(0, -3), b.env);
    assert.deepEqual(a.env.slice(-3), [
      "SITE_KUMA8088_PHOTO_DB_NAME",
      "SITE_KUMA8088_PHOTO_DB_USER",
      "SITE_KUMA8088_PHOTO_DB_PASSWORD",
    ]);
    // The new routes come after every existing site's and before the API and the catch-all.
    assert.deepEqual(a.ingress, [
      ...b.ingress.slice(0, -2),
      "photo.kuma8088.com -> http://blog-nginx:80",
      "photos.kuma8088.com -> http://blog-nginx:80",
      ...b.ingress.slice(-2),
    ]);
  });

  it("removing one taken-over entry removes exactly its records and changes only the config carriers, never its data", async () => {
    const values = cloneValues(readStackValues("production"));
    const sites = (values[BLOG] as Blog).sites;
    const [gone] = sites.splice(3, 1);
    assert.equal(gone.takenOver, true);
    const after = (await runStack("production", values)).capture;
    const d = diff(baseline, after);
    assert.deepEqual(d.added, []);
    assert.deepEqual(d.removed, siteRecords(gone).sort());
    assert.deepEqual(d.changed, TAKEN_OVER_CARRIERS);
    // Each carrier lost exactly the removed site's entries.
    const b = carriers(baseline);
    const a = carriers(after);
    const goneHosts = [gone.domain, ...(gone.aliases ?? [])];
    assert.deepEqual(
      a.uploads,
      b.uploads.filter((f) => f !== `/etc/nginx/conf.d/site-${gone.name}.conf`),
    );
    assert.deepEqual(a.env, b.env);
    assert.deepEqual(
      a.ingress,
      b.ingress.filter((r) => !goneHosts.some((h) => r.startsWith(`${h} -> `))),
    );
    assert.equal(b.ingress.length - a.ingress.length, goneHosts.length);
  });
});
