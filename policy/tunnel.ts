/**
 * Tunnel: the Cloudflare Tunnel's ingress ends in a catch-all, never skips TLS verification,
 * every public hostname has a proxied DNS record, and every record pointing at a tunnel is routed
 * by an ingress rule.
 */
import type { PolicyResource } from "@pulumi/policy";
import { arrayOf, BaseConfig, isRecord, ofTypes, resourcePolicy, stackPolicy } from "./common";

export const CLOUDFLARE = {
  tunnel: "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared",
  tunnelConfig: "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
} as const;

type NoConfig = BaseConfig;

/** The ingress rules of a tunnel config's properties. */
export function ingressRules(props: Record<string, unknown>): Record<string, unknown>[] {
  const config: unknown = props.config;
  return isRecord(config) ? arrayOf(config.ingresses).filter(isRecord) : [];
}

export const tunnelIngressCatchAll = resourcePolicy<NoConfig>({
  name: "tunnel-ingress-catch-all",
  description:
    "A tunnel's ingress rules end with a catch-all rule (no hostname, no path), e.g. http_status:404.",
  enforcementLevel: "advisory",
  types: [CLOUDFLARE.tunnelConfig],
  rules: (args, _config, report) => [
    () => {
      const rules = ingressRules(args.props);
      const last = rules[rules.length - 1];
      if (!last || (last.hostname ?? "") !== "" || (last.path ?? "") !== "") {
        report(
          "the last ingress rule is not a catch-all (no hostname, no path), e.g. service http_status:404",
        );
      }
      rules.slice(0, -1).forEach((r, i) => {
        if ((r.hostname ?? "") === "" && (r.path ?? "") === "") {
          report(`ingress rule ${i} is a catch-all before the end: the rules after it never match`);
        }
      });
    },
  ],
});

export const tunnelTlsVerify = resourcePolicy<NoConfig>({
  name: "tunnel-tls-verify",
  description:
    "No tunnel ingress rule (or the tunnel's default origin request) turns off TLS verification (noTlsVerify).",
  enforcementLevel: "advisory",
  types: [CLOUDFLARE.tunnelConfig],
  rules: (args, _config, report) => [
    () => {
      const config: unknown = args.props.config;
      const origin = isRecord(config) ? config.originRequest : undefined;
      if (isRecord(origin) && origin.noTlsVerify === true) {
        report("config.originRequest.noTlsVerify is true for every rule");
      }
      ingressRules(args.props).forEach((r, i) => {
        if (isRecord(r.originRequest) && r.originRequest.noTlsVerify === true) {
          report(`ingress rule ${i} (${String(r.hostname ?? "catch-all")}) sets noTlsVerify`);
        }
      });
    },
  ],
});

/** A DNS record's name as compared with hostnames: lower case, without the root's dot. */
export function recordKey(recordName: string): string {
  return recordName.toLowerCase().replace(/\.$/, "");
}

/**
 * The record names (as `recordKey` gives them) that answer for `hostname`: the full name, then
 * each run of its leading labels (a name relative to the record's zone, e.g. `blog` in the zone
 * `example.com` for `blog.example.com`). A record answers for a hostname when its key is among
 * these: looked up, not compared with every record, so a stack policy's cost grows with the
 * records and hostnames, not with their product.
 */
export function recordKeysFor(hostname: string): string[] {
  const host = hostname.toLowerCase();
  const keys = [host];
  for (let dot = host.indexOf("."); dot >= 0; dot = host.indexOf(".", dot + 1)) {
    keys.push(host.slice(0, dot));
  }
  return keys;
}

export const tunnelDnsProxied = stackPolicy<NoConfig>({
  name: "tunnel-dns-proxied",
  description:
    "Every public hostname of a tunnel's ingress has a proxied DNS record (a CNAME to <tunnel-id>.cfargotunnel.com).",
  enforcementLevel: "advisory",
  rules: (args, _config, report) => {
    // The records by name, read once for every hostname (a name unknown during preview stops the
    // rule that reads it, as it would stop a scan of the records), in stack order.
    const records = ofTypes(args.resources, [CLOUDFLARE.dnsRecord]);
    const position = new Map(records.map((r, i) => [r, i]));
    let byKey: Map<string, PolicyResource[]> | undefined;
    const recordsByKey = (): Map<string, PolicyResource[]> => {
      if (byKey === undefined) {
        const index = new Map<string, PolicyResource[]>();
        for (const r of records) {
          if (typeof r.props.name === "string") {
            const key = recordKey(r.props.name);
            const named = index.get(key);
            if (named) {
              named.push(r);
            } else {
              index.set(key, [r]);
            }
          }
        }
        byKey = index;
      }
      return byKey;
    };
    return ofTypes(args.resources, [CLOUDFLARE.tunnelConfig]).map((cfg) => () => {
      for (const rule of ingressRules(cfg.props)) {
        const hostname = typeof rule.hostname === "string" ? rule.hostname : "";
        if (hostname === "" || hostname.startsWith("*")) {
          continue;
        }
        const index = recordsByKey();
        const matching = recordKeysFor(hostname)
          .flatMap((key) => index.get(key) ?? [])
          .sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
        if (matching.length === 0) {
          report(`tunnel hostname ${hostname} has no DNS record`, cfg.urn);
        }
        for (const r of matching) {
          if (r.props.proxied !== true) {
            report(`DNS record ${r.name} for tunnel hostname ${hostname} is not proxied`, r.urn);
          }
        }
      }
    });
  },
});

/** Whether a DNS record's content points at a Cloudflare Tunnel. */
export function pointsAtTunnel(content: string): boolean {
  return /\.cfargotunnel\.com\.?$/i.test(content);
}

export const tunnelDnsRouted = stackPolicy<NoConfig>({
  name: "tunnel-dns-routed",
  description:
    "Every DNS record pointing at a tunnel (<tunnel-id>.cfargotunnel.com) names a hostname some tunnel's ingress routes; otherwise it only ever gets the catch-all (e.g. a record adopted from the dashboard tunnel for a site since removed).",
  enforcementLevel: "advisory",
  rules: (args, _config, report) => {
    // The record names each tunnel config's ingress routes, read once for every record (an
    // ingress unknown during preview stops each record's rule that reads it, as before).
    const configs = ofTypes(args.resources, [CLOUDFLARE.tunnelConfig]);
    const routedKeys = new Map<PolicyResource, Set<string>>();
    const routes = (cfg: PolicyResource): Set<string> => {
      let keys = routedKeys.get(cfg);
      if (keys === undefined) {
        keys = new Set(
          ingressRules(cfg.props).flatMap((rule) =>
            typeof rule.hostname === "string" ? recordKeysFor(rule.hostname) : [],
          ),
        );
        routedKeys.set(cfg, keys);
      }
      return keys;
    };
    return ofTypes(args.resources, [CLOUDFLARE.dnsRecord]).map((r) => () => {
      const content = r.props.content;
      const name = r.props.name;
      if (typeof content !== "string" || !pointsAtTunnel(content) || typeof name !== "string") {
        return;
      }
      const routed = configs.some((cfg) => routes(cfg).has(recordKey(name)));
      if (!routed) {
        report(
          `DNS record ${r.name} (${name}) points at a tunnel, but no ingress rule routes ${name}`,
          r.urn,
        );
      }
    });
  },
});
