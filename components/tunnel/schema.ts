/**
 * The tunnel's stack config (`onprem-infra:tunnel`): the Cloudflare account and zones, the
 * tunnel's name, the webmail and mail API hostnames and the inbound-mail path. Plus the
 * cross-checks between the blog, the tunnel and the mail stack that `config.ts` runs over the
 * whole stack config (shared hostnames, zones, mail domains, staging isolation, subnets).
 */
import * as v from "valibot";
import { BlogConfig, hasHosts, siteHostnames } from "../blog/schema";
import { hostname, ipToInt, Problem } from "../common/schema";
import { zoneFor } from "./ingress";

/** A Cloudflare account or zone id: 32 hex digits. */
export const cloudflareId = v.pipe(
  v.string(),
  v.regex(/^[0-9a-f]{32}$/, "must be a Cloudflare id (32 lower-case hex digits)"),
);

/** A tunnel or Worker name: lower-case letters, digits and dashes. */
const resourceName = v.pipe(
  v.string(),
  v.regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be lower-case letters, digits and dashes (at most 63)",
  ),
);

export const tunnelConfigSchema = v.strictObject({
  /** The Cloudflare account holding the tunnel and the Worker. */
  accountId: cloudflareId,
  /** The tunnel's name in Cloudflare: one per stack (`onprem-production`, `onprem-staging`). */
  name: resourceName,
  /** The DNS zones the public hostnames live in: zone name -> zone id. */
  zones: v.pipe(
    v.record(hostname, cloudflareId),
    v.check((zones) => Object.keys(zones).length > 0, "must list at least one zone"),
  ),
  /**
   * Webmail's public hostname (the mail stack's nginx), if the stack routes webmail through the
   * tunnel. The estate does not (webmail is reached on the tailnet): production sets none.
   */
  webmailHostname: v.optional(hostname),
  /** The mail API's public hostname (mailserver-api), which the Email Worker posts to. */
  mailApiHostname: hostname,
  /** Inbound mail: Email Routing -> the Worker -> the mail API through the tunnel. */
  email: v.strictObject({
    /** The Email Worker's script name: one per stack. */
    workerName: resourceName,
    /** Mail domains (each a zone of `zones`) whose every address goes to the Worker (zone catch-all). */
    catchAll: v.optional(v.array(hostname), () => []),
    /** Single addresses routed to the Worker by their own rule (for domains without a catch-all). */
    addresses: v.optional(v.array(v.pipe(v.string(), v.email("must be an email address"))), () => []),
  }),
});

export type TunnelConfig = v.InferOutput<typeof tunnelConfigSchema>;

/** Whether a name carries the stack name as one of its dash-separated words (`staging-blog`, `webmail-staging`). */
export function carriesStack(name: string, stack: string): boolean {
  return name.split("-").includes(stack);
}

function subnetRange(cidr: string): [number, number] {
  const [ip, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const start = ipToInt(ip);
  return [start, start + size - 1];
}

/** Whether two CIDR subnets share an address. */
export function subnetsOverlap(a: string, b: string): boolean {
  const [a0, a1] = subnetRange(a);
  const [b0, b1] = subnetRange(b);
  return a0 <= b1 && b0 <= a1;
}

/** The parts of the stack config the cross-checks read. */
export interface EdgeConfig {
  environment: string;
  mail: { subnet: string; domains: string[] };
  blog: Pick<BlogConfig, "subnet" | "sites" | "services">;
  tunnel: TunnelConfig;
}

/**
 * Cross-checks over the mail, blog and tunnel config: every public hostname once and in a
 * configured zone; inbound mail routed for exactly the mail domains; separate subnets; and,
 * outside production, names and hostnames that can never touch production's.
 */
export function edgeProblems(cfg: EdgeConfig): Problem[] {
  const problems: Problem[] = [];
  const issue = (path: (string | number)[], message: string) => problems.push({ path, message });
  const { blog, tunnel, mail } = cfg;
  const production = cfg.environment === "production";

  if (subnetsOverlap(blog.subnet, mail.subnet)) {
    issue(["blog", "subnet"], `${blog.subnet} overlaps the mail network's subnet ${mail.subnet}`);
  }

  // Every public hostname, with the key that declares it.
  const hosts: { host: string; path: (string | number)[] }[] = [];
  blog.sites.forEach((site, i) => {
    if (!hasHosts(site)) {
      return;
    }
    siteHostnames(site).forEach((host, j) =>
      hosts.push({
        host,
        path: j === 0 ? ["blog", "sites", i, "domain"] : ["blog", "sites", i, "aliases", j - 1],
      }),
    );
  });
  // A name nginx answers to without a route must not be a name of this account's zones: it would
  // be public without reaching anything (list it in aliases instead).
  blog.sites.forEach((site, i) => {
    if (!hasHosts(site)) {
      return;
    }
    site.localNames.forEach((host, j) => {
      const zone = zoneFor(host, tunnel.zones);
      if (zone !== undefined) {
        issue(
          ["blog", "sites", i, "localNames", j],
          `${host} lies in the zone ${zone} of tunnel.zones: list it in aliases so the tunnel routes it`,
        );
      }
    });
  });
  if (tunnel.webmailHostname !== undefined) {
    hosts.push({ host: tunnel.webmailHostname, path: ["tunnel", "webmailHostname"] });
  }
  hosts.push({ host: tunnel.mailApiHostname, path: ["tunnel", "mailApiHostname"] });
  const keyOf = (path: (string | number)[]) =>
    path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  const seen = new Map<string, (string | number)[]>();
  for (const { host, path } of hosts) {
    const first = seen.get(host);
    // Duplicates among the sites themselves are reported by the blog schema.
    if (first !== undefined && path[0] === "tunnel") {
      issue(path, `${host} is already used by ${keyOf(first)}`);
    }
    if (first === undefined) {
      seen.set(host, path);
    }
    if (zoneFor(host, tunnel.zones) === undefined) {
      issue(path, `${host} lies in no zone of tunnel.zones (${Object.keys(tunnel.zones).join(", ")})`);
    }
    if (!production && !carriesStack(host.split(".")[0], cfg.environment)) {
      issue(
        path,
        `${host}: a ${cfg.environment} hostname's first label must carry "${cfg.environment}" (e.g. ${cfg.environment}.example.com or ${cfg.environment}-blog.example.com), so it never touches a production record`,
      );
    }
  }

  // Inbound mail: exactly the mail domains, each by catch-all or by addresses.
  const routed = new Set<string>();
  tunnel.email.catchAll.forEach((domain, i) => {
    if (!mail.domains.includes(domain)) {
      issue(["tunnel", "email", "catchAll", i], `${domain} is not a mail domain (mail.domains)`);
    }
    if (!(domain in tunnel.zones)) {
      issue(
        ["tunnel", "email", "catchAll", i],
        `${domain} is not a zone of tunnel.zones; a catch-all covers a whole zone`,
      );
    }
    if (!production) {
      issue(
        ["tunnel", "email", "catchAll", i],
        `a ${cfg.environment} stack must route single addresses (tunnel.email.addresses): a zone's catch-all is shared with production`,
      );
    }
    routed.add(domain);
  });
  tunnel.email.addresses.forEach((address, i) => {
    const domain = address.split("@")[1];
    if (!mail.domains.includes(domain)) {
      issue(["tunnel", "email", "addresses", i], `${address} is not in a mail domain (mail.domains)`);
    } else if (zoneFor(domain, tunnel.zones) === undefined) {
      issue(["tunnel", "email", "addresses", i], `${address} lies in no zone of tunnel.zones`);
    }
    routed.add(domain);
  });
  mail.domains.forEach((domain, i) => {
    if (!routed.has(domain)) {
      issue(
        ["mail", "domains", i],
        `${domain} receives no mail: add it to tunnel.email.catchAll or list its addresses in tunnel.email.addresses`,
      );
    }
  });

  if (!production) {
    for (const key of ["name", "workerName"] as const) {
      const value = key === "name" ? tunnel.name : tunnel.email.workerName;
      if (!carriesStack(value, cfg.environment)) {
        issue(
          key === "name" ? ["tunnel", "name"] : ["tunnel", "email", "workerName"],
          `${value} must carry "${cfg.environment}" (e.g. onprem-${cfg.environment}) so it never replaces production's`,
        );
      }
    }
    for (const svc of ["mariadb", "redis", "nginx", "cloudflared"] as const) {
      if (blog.services[svc].ports.length > 0) {
        issue(["blog", "services", svc, "ports"], `a ${cfg.environment} stack publishes no blog ports`);
      }
    }
  }
  return problems;
}
