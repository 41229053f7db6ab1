/**
 * Building blocks for the stack-config schemas of every component: addresses, images, limits,
 * ports. The component schemas (`components/<area>/schema.ts`) compose these; `config.ts` reads
 * the stack file and validates it against them before any resource is registered.
 */
import { z } from "zod";
import { MEMORY_PATTERN } from "./units";

/** `host`, `host/path`, `host:port/path` + optional `:tag` and/or `@sha256:` digest. */
const IMAGE_PATTERN =
  /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Splits an image reference into repository, tag and digest; the tag is the part after the last
 * `:` that follows the last `/`, so a registry port (`registry:5000/app`) is never a tag. */
export function parseImageRef(ref: string): { repository: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = ref.split("@");
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  if (colon > slash) {
    return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  }
  return { repository: withoutDigest, digest };
}

/** An image reference pinned to an explicit tag other than `latest`, or to a digest. */
export const pinnedImage = z
  .string()
  .regex(IMAGE_PATTERN, "must be an image reference like nginx:1.26-alpine")
  .refine((ref) => {
    const { tag, digest } = parseImageRef(ref);
    return digest !== undefined || (tag !== undefined && tag !== "latest");
  }, "must be pinned to a version tag (not latest) or a sha256 digest");

/** A version tag for images this program builds: `1.4.2`, `2026.11.0`, never `latest`. */
export const versionTag = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a Docker tag")
  .refine((t) => t !== "latest", "must be a pinned version, not latest");

export const ipv4 = z.ipv4({ message: "must be an IPv4 address" });

/** A stack's container name prefix (`mailserver`, `blog-staging`): names its containers, network and volumes. */
export const containerPrefix = z
  .string()
  .regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, "must be lower-case letters, digits and dashes");

/** A host address to bind a published port to: a specific address, never all interfaces. */
export const bindAddress = ipv4.refine((ip) => ip !== "0.0.0.0", "must be a specific address, not 0.0.0.0");

export const port = z
  .number({ message: "must be a port number" })
  .int("must be a whole number")
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

/** A /16 to /29 private IPv4 subnet in CIDR form, e.g. `172.20.0.0/24`. */
export const subnet = z
  .cidrv4({ message: "must be an IPv4 subnet like 172.20.0.0/24" })
  .refine((cidr) => {
    const [ip, bits] = cidr.split("/");
    return ipToInt(ip) === (ipToInt(ip) & maskBits(Number(bits))) >>> 0;
  }, "must name the network address (host bits zero)")
  .refine((cidr) => {
    const bits = Number(cidr.split("/")[1]);
    return bits >= 16 && bits <= 29;
  }, "must be between /16 and /29");

export const cpus = z
  .number({ message: "must be a number of CPUs" })
  .positive("must be a positive number")
  .max(64);

export const memory = z.string().regex(MEMORY_PATTERN, "must be a size like 512M or 2G");

export const absolutePath = z
  .string()
  .regex(/^\/[^\s]*$/, "must be an absolute path without spaces")
  .refine((p) => !p.split("/").includes(".."), "must not contain ..");

export const hostname = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "must be a lower-case DNS name like mail.example.com",
  );

export const isoDate = z.iso.date({ message: "must be a date like 2026-11-01" });

/** A published port: host port -> container port, bound to one host address. */
export const publishedPort = z.strictObject({
  host: port,
  container: port,
  bind: bindAddress,
  protocol: z.enum(["tcp", "udp"]).optional(),
});

/** Common shape of one service's per-stack settings. */
export const serviceSettings = z.strictObject({
  image: pinnedImage,
  cpus,
  memory,
  memoryReservation: memory.optional(),
  ip: ipv4,
  ports: z.array(publishedPort).default([]),
});
export type ServiceSettings = z.infer<typeof serviceSettings>;

export function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function maskBits(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Whether `ip` lies inside `cidr` and is neither its network, gateway (.1) nor broadcast address. */
export function isUsableHostIn(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const mask = maskBits(bits);
  const base = (ipToInt(net) & mask) >>> 0;
  const addr = ipToInt(ip);
  const broadcast = (base | (~mask >>> 0)) >>> 0;
  return (addr & mask) >>> 0 === base >>> 0 && addr !== base && addr !== base + 1 && addr !== broadcast;
}

/** The gateway of a subnet: its first host address. */
export function gatewayOf(cidr: string): string {
  const [net] = cidr.split("/");
  const n = ipToInt(net) + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * Cross-checks a map of services on one network: every fixed address inside the subnet and
 * unique, and no two published ports on the same host address and port.
 */
export function checkServiceAddresses(
  services: Record<string, { ip: string }>,
  net: string,
  ctx: z.RefinementCtx,
  pathPrefix: (string | number)[],
): void {
  const seenIp = new Map<string, string>();
  for (const [name, svc] of Object.entries(services)) {
    if (!isUsableHostIn(svc.ip, net)) {
      ctx.addIssue({
        code: "custom",
        path: [...pathPrefix, name, "ip"],
        message: `${svc.ip} is not a usable host address in ${net}`,
      });
    }
    const other = seenIp.get(svc.ip);
    if (other) {
      ctx.addIssue({
        code: "custom",
        path: [...pathPrefix, name, "ip"],
        message: `${svc.ip} is already the address of ${other}`,
      });
    }
    seenIp.set(svc.ip, name);
  }
}

/** A published host port, for the estate-wide check that no two services share one. */
export interface HostPortClaim {
  key: string;
  bind: string;
  host: number;
  protocol: string;
}

/** Claims of every published port of a service map, keyed by their config path. */
export function portClaims(
  services: Record<string, { ports: z.infer<typeof publishedPort>[] }>,
  keyPrefix: string,
): HostPortClaim[] {
  return Object.entries(services).flatMap(([name, svc]) =>
    svc.ports.map((p, i) => ({
      key: `${keyPrefix}.${name}.ports[${i}]`,
      bind: p.bind,
      host: p.host,
      protocol: p.protocol ?? "tcp",
    })),
  );
}

/** The first clash between two claims on one host port (same address, or one of them all-interfaces). */
export function findPortClash(
  claims: HostPortClaim[],
): { first: HostPortClaim; second: HostPortClaim } | undefined {
  for (let i = 0; i < claims.length; i++) {
    for (let j = i + 1; j < claims.length; j++) {
      const a = claims[i];
      const b = claims[j];
      if (a.host === b.host && a.protocol === b.protocol && a.bind === b.bind) {
        return { first: a, second: b };
      }
    }
  }
  return undefined;
}
