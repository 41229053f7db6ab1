/**
 * Building blocks for the stack-config schemas of every component: addresses, images, limits,
 * ports. The component schemas (`components/<area>/schema.ts`) compose these; `config.ts` reads
 * the stack file and validates it against them before any resource is registered.
 */
import * as v from "valibot";
import { cpusString, MEMORY_PATTERN } from "./units";

/** A problem a cross-check found: the key path below the object it checked, and what is wrong. */
export interface Problem {
  path: (string | number)[];
  message: string;
}

/**
 * `schema`, then `check` over what it parsed, each problem reported at its own key. The check
 * stays silent while a field is invalid: that field's message says why, and the cross-check
 * would only guess.
 */
export function withCrossCheck<const S extends v.GenericSchema>(
  schema: S,
  check: (value: v.InferOutput<S>) => Problem[],
) {
  return v.pipe(
    schema,
    v.rawCheck<v.InferOutput<S>>(({ dataset, addIssue }) => {
      if (!dataset.typed) {
        return;
      }
      for (const problem of check(dataset.value)) {
        const [first, ...rest] = problem.path.map((key): v.IssuePathItem => ({
          type: "unknown",
          origin: "value",
          input: undefined,
          key,
          value: undefined,
        }));
        addIssue({ message: problem.message, path: first === undefined ? undefined : [first, ...rest] });
      }
    }),
  );
}

/** How `defaultMessage` names the types valibot expects. */
const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  boolean: "true or false",
  Object: "a mapping of keys to values",
  Array: "a list",
};

/**
 * The message of an issue whose schema names none: a missing key is required, an unknown key is
 * not known, anything else says what was expected and what came.
 */
export function defaultMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.kind === "schema" && issue.input === undefined) {
    return "is required";
  }
  if (issue.type === "strict_object" && issue.expected === "never") {
    return "is not a known key";
  }
  const expected = issue.expected ?? "";
  return `must be ${EXPECTED[expected] ?? (expected || "valid")}, got ${issue.received}`;
}

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
export const pinnedImage = v.pipe(
  v.string("must be an image reference"),
  v.regex(IMAGE_PATTERN, "must be an image reference like nginx:1.26-alpine"),
  v.check((ref) => {
    const { tag, digest } = parseImageRef(ref);
    return digest !== undefined || (tag !== undefined && tag !== "latest");
  }, "must be pinned to a version tag (not latest) or a sha256 digest"),
);

/** A version tag for images this program builds: `1.4.2`, `2026.11.0`, never `latest`. */
export const versionTag = v.pipe(
  v.string("must be a Docker tag"),
  v.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a Docker tag"),
  v.check((t) => t !== "latest", "must be a pinned version, not latest"),
);

export const ipv4 = v.pipe(v.string("must be an IPv4 address"), v.ipv4("must be an IPv4 address"));

/** A stack's container name prefix (`mailserver`, `blog-staging`): names its containers, network and volumes. */
export const containerPrefix = v.pipe(
  v.string("must be lower-case letters, digits and dashes"),
  v.regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, "must be lower-case letters, digits and dashes"),
);

/** A host address to bind a published port to: a specific address, never all interfaces. */
export const bindAddress = v.pipe(
  ipv4,
  v.check((ip) => ip !== "0.0.0.0", "must be a specific address, not 0.0.0.0"),
);

export const port = v.pipe(
  v.number("must be a port number"),
  v.integer("must be a whole number"),
  v.minValue(1, "must be between 1 and 65535"),
  v.maxValue(65535, "must be between 1 and 65535"),
);

/** An IPv4 address and prefix length: `172.20.0.0/24`. */
const CIDR_V4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\/(?:3[0-2]|[12]?[0-9])$/;

/** A /16 to /29 private IPv4 subnet in CIDR form, e.g. `172.20.0.0/24`. */
export const subnet = v.pipe(
  v.string("must be an IPv4 subnet like 172.20.0.0/24"),
  v.regex(CIDR_V4, "must be an IPv4 subnet like 172.20.0.0/24"),
  v.check((cidr) => {
    const [ip, bits] = cidr.split("/");
    return ipToInt(ip) === (ipToInt(ip) & maskBits(Number(bits))) >>> 0;
  }, "must name the network address (host bits zero)"),
  v.check((cidr) => {
    const bits = Number(cidr.split("/")[1]);
    return bits >= 16 && bits <= 29;
  }, "must be between /16 and /29"),
);

export const cpus = v.pipe(
  v.number("must be a number of CPUs"),
  v.gtValue(0, "must be a positive number"),
  v.maxValue(64, "must be at most 64"),
  v.check((n) => {
    try {
      cpusString(n);
      return true;
    } catch {
      return false;
    }
  }, "must be a count Docker stores as written, like 0.5, 0.25 or 2 (not 0.05)"),
);

export const memory = v.pipe(
  v.string("must be a size like 512M or 2G"),
  v.regex(MEMORY_PATTERN, "must be a size like 512M or 2G"),
);

export const absolutePath = v.pipe(
  v.string("must be an absolute path"),
  v.regex(/^\/[^\s]*$/, "must be an absolute path without spaces"),
  v.check((p) => !p.split("/").includes(".."), "must not contain .."),
);

export const hostname = v.pipe(
  v.string("must be a DNS name"),
  v.regex(
    /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "must be a lower-case DNS name like mail.example.com",
  ),
);

/** A calendar date, `YYYY-MM-DD`: one that exists (no 2026-02-30, which `Date` would roll over). */
export const isoDate = v.pipe(
  v.string("must be a date like 2026-11-01"),
  v.isoDate("must be a date like 2026-11-01"),
  v.check(
    (d) => {
      const time = Date.parse(`${d}T00:00:00Z`);
      return Number.isNaN(time) || new Date(time).toISOString().startsWith(d); // NaN: the format is at fault
    },
    (issue) => `${issue.input} is not a day of the calendar`,
  ),
);

/** A published port: host port -> container port, bound to one host address. */
export const publishedPort = v.strictObject({
  host: port,
  container: port,
  bind: bindAddress,
  protocol: v.optional(v.picklist(["tcp", "udp"], "must be tcp or udp")),
});
export type PublishedPort = v.InferOutput<typeof publishedPort>;

/** The per-stack settings every service has: limits, its fixed address, its published ports. */
export const runtimeSettings = {
  cpus,
  memory,
  memoryReservation: v.optional(memory),
  ip: ipv4,
  ports: v.optional(v.array(publishedPort, "must be a list of ports"), () => []),
};

/** Common shape of one service's per-stack settings. */
export const serviceSettings = v.strictObject({ image: pinnedImage, ...runtimeSettings });
export type ServiceSettings = v.InferOutput<typeof serviceSettings>;

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
 * unique. Problems are reported at `services.<name>.ip`.
 */
export function serviceAddressProblems(services: Record<string, { ip: string }>, net: string): Problem[] {
  const problems: Problem[] = [];
  const seenIp = new Map<string, string>();
  for (const [name, svc] of Object.entries(services)) {
    const path = ["services", name, "ip"];
    if (!isUsableHostIn(svc.ip, net)) {
      problems.push({ path, message: `${svc.ip} is not a usable host address in ${net}` });
    }
    const other = seenIp.get(svc.ip);
    if (other) {
      problems.push({ path, message: `${svc.ip} is already the address of ${other}` });
    }
    seenIp.set(svc.ip, name);
  }
  return problems;
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
  services: Record<string, { ports: PublishedPort[] }>,
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

/** Whether `ip` lies inside `cidr` and is neither its network nor its broadcast address. */
export function isHostIn(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const mask = maskBits(Number(bitsText));
  const base = (ipToInt(net) & mask) >>> 0;
  const addr = ipToInt(ip);
  return (addr & mask) >>> 0 === base && addr !== base && addr !== (base | (~mask >>> 0)) >>> 0;
}

/** A Docker object name as the engine accepts it: `mailserver_mailserver_network`, `blog_db_data`. */
const DOCKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A Docker network's name. */
export const dockerNetworkName = v.pipe(
  v.string("must be a Docker network name"),
  v.regex(DOCKER_NAME, "must be a Docker network name (letters, digits, _ . -)"),
);

/** A Docker network's id, its import id: 64 lower-case hex digits. */
export const dockerNetworkId = v.pipe(
  v.string("must be a Docker network id"),
  v.regex(
    /^[0-9a-f]{64}$/,
    "must be the network's full id, 64 lower-case hex digits (docker network inspect -f '{{.Id}}' <name>)",
  ),
);

/** A Docker volume's name, which is also its import id. */
export const dockerVolumeName = v.pipe(
  v.string("must be a Docker volume name"),
  v.regex(DOCKER_NAME, "must be a Docker volume name (letters, digits, _ . -)"),
);

/**
 * The identity of a stack's Docker network besides its subnet: `name`, `gateway` as
 * `docker network inspect` reports it (Docker picks the subnet's first address when Compose names
 * none) and, to adopt an existing network instead of creating one, its id as `importId`.
 */
export const networkIdentity = {
  /** Docker's name; Compose names a network `<project>_<key>` unless the file sets `name:`. */
  name: dockerNetworkName,
  gateway: ipv4,
  /** The existing network's id: adopt it instead of creating one. */
  importId: v.optional(dockerNetworkId),
};

/** The gateway must be a host address of the subnet; reported at `<at>.gateway`. */
export function gatewayProblems(gateway: string, net: string, at: (string | number)[] = []): Problem[] {
  return isHostIn(gateway, net)
    ? []
    : [{ path: [...at, "gateway"], message: `${gateway} is not a host address in ${net}` }];
}

/** A stack's Docker network (`stackNetwork`): created when `importId` is absent, else adopted. */
export const networkSpec = withCrossCheck(v.strictObject({ ...networkIdentity, subnet }), (n) =>
  gatewayProblems(n.gateway, n.subnet),
);
export type NetworkSpec = v.InferOutput<typeof networkSpec>;

/**
 * A Docker-managed named volume (`namedVolume`): created when `importId` is absent, else adopted.
 * A volume's import id is its name, so the two must be equal: a different name would be a
 * different (empty) volume.
 */
export const namedVolumeSpec = withCrossCheck(
  v.strictObject({
    /** Docker's name; Compose names a volume `<project>_<key>` unless the file sets `name:`. */
    name: dockerVolumeName,
    /** The existing volume's name: adopt it instead of creating one. */
    importId: v.optional(dockerVolumeName),
  }),
  (vol): Problem[] =>
    vol.importId === undefined || vol.importId === vol.name
      ? []
      : [
          {
            path: ["importId"],
            message: `must equal name (${vol.name}): a volume is imported by its name, and another name is another volume; moving data between volumes is a documented step, not a config change`,
          },
        ],
);
export type NamedVolumeSpec = v.InferOutput<typeof namedVolumeSpec>;
