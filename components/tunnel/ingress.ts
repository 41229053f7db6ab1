/**
 * The tunnel as data: its ingress rules, its DNS records, its secret encoding, the Email
 * Worker's source and settings. Pure functions, no resources; Tunnel turns them into resources.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The final rule: anything no hostname rule matched gets a 404 from cloudflared itself. */
export const CATCH_ALL_SERVICE = "http_status:404";

/** The Workers runtime date the Email Worker is written against. */
export const WORKER_COMPATIBILITY_DATE = "2025-01-01";

/** The Email Worker's module name (its file in `worker/`). */
export const WORKER_MODULE = "inbound-mail.mjs";

/** One ingress rule of the tunnel's remote configuration; the catch-all has no hostname. */
export interface IngressRule {
  hostname?: string;
  service: string;
}

/** The mail API's inbound path (services/mailserver/api/app/main.py of the estate). */
export const INBOUND_MAIL_PATH = "/api/v1/inbound-mail";

export interface IngressArgs {
  /** Every blog hostname (sites' domains and aliases), in order. */
  blogHostnames: readonly string[];
  blogOrigin: string;
  /** Webmail's public hostname, where the stack routes webmail through the tunnel (none in the estate). */
  webmailHostname?: string;
  webmailOrigin: string;
  mailApiHostname: string;
  apiOrigin: string;
}

/** Every public hostname the tunnel serves, in rule order. */
export function tunnelHostnames(
  args: Pick<IngressArgs, "blogHostnames" | "webmailHostname" | "mailApiHostname">,
): string[] {
  return [
    ...args.blogHostnames,
    ...(args.webmailHostname === undefined ? [] : [args.webmailHostname]),
    args.mailApiHostname,
  ];
}

/**
 * The ingress list: one rule per blog hostname to the blog nginx, webmail (where routed) to the
 * mail nginx, the mail API to mailserver-api, then the catch-all 404. Rejects a hostname listed
 * twice.
 */
export function ingressRules(args: IngressArgs): IngressRule[] {
  const hosts = tunnelHostnames(args);
  const dup = hosts.find((h, i) => hosts.indexOf(h) !== i);
  if (dup !== undefined) {
    throw new Error(`hostname ${dup} is listed twice`);
  }
  return [
    ...args.blogHostnames.map((hostname) => ({ hostname, service: args.blogOrigin })),
    ...(args.webmailHostname === undefined
      ? []
      : [{ hostname: args.webmailHostname, service: args.webmailOrigin }]),
    { hostname: args.mailApiHostname, service: args.apiOrigin },
    { service: CATCH_ALL_SERVICE },
  ];
}

/** The zone (by name) a hostname belongs to: the longest zone name it equals or ends in. */
export function zoneFor(hostname: string, zones: Readonly<Record<string, string>>): string | undefined {
  return Object.keys(zones)
    .filter((zone) => hostname === zone || hostname.endsWith(`.${zone}`))
    .sort((a, b) => b.length - a.length)[0];
}

/** One proxied CNAME to the tunnel. */
export interface TunnelDnsRecord {
  hostname: string;
  zone: string;
  zoneId: string;
}

/** A DNS record per public hostname, each in its zone. Rejects a hostname without a zone. */
export function dnsRecords(
  hostnames: readonly string[],
  zones: Readonly<Record<string, string>>,
): TunnelDnsRecord[] {
  return hostnames.map((hostname) => {
    const zone = zoneFor(hostname, zones);
    if (zone === undefined) {
      throw new Error(`${hostname} lies in no configured zone (${Object.keys(zones).join(", ")})`);
    }
    return { hostname, zone, zoneId: zones[zone] };
  });
}

/** The CNAME target of a tunnel. */
export function cnameTarget(tunnelId: string): string {
  return `${tunnelId}.cfargotunnel.com`;
}

/** The tunnel secret as Cloudflare takes it: base64 of at least 32 bytes. */
export function tunnelSecretBase64(secret: string): string {
  const bytes = Buffer.from(secret, "utf8");
  if (bytes.length < 32) {
    throw new Error(`the tunnel secret must be at least 32 bytes, got ${bytes.length}`);
  }
  return bytes.toString("base64");
}

/** The URL the Email Worker posts each message to: the mail API's inbound path on its public hostname. */
export function deliveryUrl(mailApiHostname: string): string {
  return `https://${mailApiHostname}${INBOUND_MAIL_PATH}`;
}

/** The Email Worker's source (an ES module), as uploaded. */
export function workerSource(): string {
  return fs.readFileSync(path.join(__dirname, "worker", WORKER_MODULE), "utf8");
}
