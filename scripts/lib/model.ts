/**
 * Reads an evaluation captured under the mock engine (test/harness) back as the estate a person
 * reasons about: components and their resources, containers with their key settings, networks,
 * volumes, the start order derived from the captured dependency edges, the tunnel and the backup
 * resources. Pure functions over `CapturedResource`s: nothing here knows a service by name.
 */
import type { CapturedResource } from "../../test/harness/engine";
import {
  criticalPath,
  estimatedSecondsToHealthy,
  NeedsMap,
  startWaves,
} from "../../components/common/startup";

/** What a secret input is printed as. */
export const SECRET = "[secret]";

export const TYPES = {
  container: "docker:index/container:Container",
  network: "docker:index/network:Network",
  volume: "docker:index/volume:Volume",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  image: "docker:index/image:Image",
  bucket: "aws:s3/bucket:Bucket",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  user: "aws:iam/user:User",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  tunnel: "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared",
  tunnelConfig: "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
} as const;

type Json = unknown;

function isRecord(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function str(value: Json): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

function num(value: Json): number | undefined {
  if (typeof value === "number") {
    return value;
  }
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  return undefined;
}

function list(value: Json): Json[] {
  return Array.isArray(value) ? value : [];
}

/** Splits a captured secret path (`uploads[1].content`) into keys and indexes. */
export function pathParts(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  }
  return parts;
}

/**
 * A resource's inputs with every secret input replaced by `[secret]`, so nothing printed from
 * here can leak a secret value. The whole input object is `[secret]` when its root is.
 */
export function maskedInputs(resource: CapturedResource): Record<string, Json> {
  if (resource.secretPaths.includes("")) {
    return Object.fromEntries(Object.keys(resource.inputs).map((k) => [k, SECRET]));
  }
  const copy = JSON.parse(JSON.stringify(resource.inputs)) as Record<string, Json>;
  for (const path of resource.secretPaths) {
    const parts = pathParts(path);
    let node: Json = copy;
    for (let i = 0; i < parts.length - 1; i++) {
      node = (node as Record<string | number, Json> | undefined)?.[parts[i]];
    }
    const last = parts[parts.length - 1];
    if (node !== null && typeof node === "object" && last !== undefined) {
      (node as Record<string | number, Json>)[last] = SECRET;
    }
  }
  return copy;
}

/** `aws:s3/bucket:Bucket` -> `aws:s3:Bucket`, as `pulumi preview` prints types. */
export function shortType(type: string): string {
  const [pkg, mod, name] = type.split(":");
  if (name === undefined) {
    return type;
  }
  return `${pkg}:${mod.split("/")[0]}:${name}`;
}

/** Go duration (`30s`, `5m0s`, `1h0m0s`, `1.5s`) to seconds. */
export function parseGoDuration(text: string): number {
  let total = 0;
  let matched = "";
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    const amount = Number(m[1]);
    total +=
      m[2] === "h" ? amount * 3600 : m[2] === "m" ? amount * 60 : m[2] === "s" ? amount : amount / 1000;
    matched += m[0];
  }
  if (matched !== text || text === "") {
    throw new Error(`not a Go duration: "${text}"`);
  }
  return total;
}

export interface PortView {
  bind: string;
  host: number;
  container: number;
  protocol: string;
}

export interface HealthView {
  test: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
  /** startup.estimatedSecondsToHealthy of these settings. */
  estimatedSecondsToHealthy: number;
}

export interface MountView {
  /** Volume name or host path. */
  source: string;
  /** The volume's host path (bind-backed local volumes), when known. */
  hostPath?: string;
  target: string;
  readOnly: boolean;
}

export interface ContainerView {
  /** Pulumi resource name, e.g. `mail-dovecot`. */
  resource: string;
  /** Top-level component name, e.g. `mail`. */
  component: string;
  /** Docker container name, e.g. `mailserver-dovecot`. */
  name: string;
  hostname?: string;
  image: string;
  /** `registry` for a pulled image, `build` for one built from a context. */
  imageSource: "registry" | "build" | "unknown";
  buildContext?: string;
  cpus?: string;
  memoryMb?: number;
  memoryReservationMb?: number;
  ports: PortView[];
  networks: { name: string; ip?: string; aliases: string[] }[];
  health?: HealthView;
  mounts: MountView[];
  /** Environment variable names, or `[secret]` when the list is secret. */
  env: string[] | typeof SECRET;
  /** Uploaded files, secret contents masked. */
  files: { path: string; secret: boolean }[];
  command?: string[];
  /** Docker container names this one waits for (healthy) before it starts. */
  needs: string[];
  protect: boolean;
}

export interface NetworkView {
  resource: string;
  component: string;
  name: string;
  subnet?: string;
  gateway?: string;
}

/** The component a resource belongs to: its top-most non-provider ancestor, or `(providers)`. */
export function componentOf(
  resource: CapturedResource,
  byUrn: ReadonlyMap<string, CapturedResource>,
): string {
  let current: CapturedResource | undefined = resource;
  let top: CapturedResource | undefined;
  while (current) {
    if (!current.custom) {
      top = current;
    }
    current = current.parent ? byUrn.get(current.parent) : undefined;
  }
  if (top) {
    return top.name;
  }
  return resource.type.startsWith("pulumi:providers:") ? "(providers)" : "(stack)";
}

export function indexByUrn(resources: readonly CapturedResource[]): Map<string, CapturedResource> {
  return new Map(resources.map((r) => [r.urn, r]));
}

/**
 * The containers each container waits for: the containers reachable over its captured dependency
 * edges without passing through another container (a container that needs a database user
 * command, which needs the database container, waits for the database).
 */
export function containerNeeds(resources: readonly CapturedResource[]): Map<string, string[]> {
  const byUrn = indexByUrn(resources);
  const needs = new Map<string, string[]>();
  for (const r of resources) {
    if (r.type !== TYPES.container) {
      continue;
    }
    const found = new Set<string>();
    const seen = new Set<string>();
    const stack = [...r.dependencies];
    while (stack.length > 0) {
      const urn = stack.pop()!;
      if (seen.has(urn)) {
        continue;
      }
      seen.add(urn);
      const dep = byUrn.get(urn);
      if (!dep) {
        continue;
      }
      if (dep.type === TYPES.container) {
        found.add(containerName(dep));
      } else {
        stack.push(...dep.dependencies);
      }
    }
    needs.set(containerName(r), [...found].sort());
  }
  return needs;
}

function containerName(r: CapturedResource): string {
  return str(r.inputs.name) ?? r.name;
}

function imageOf(
  r: CapturedResource,
  byUrn: ReadonlyMap<string, CapturedResource>,
): Pick<ContainerView, "image" | "imageSource" | "buildContext"> {
  for (const urn of r.propertyDependencies.image ?? []) {
    const img = byUrn.get(urn);
    if (img?.type === TYPES.remoteImage) {
      return { image: str(img.inputs.name) ?? "?", imageSource: "registry" };
    }
    if (img?.type === TYPES.image) {
      const build = isRecord(img.inputs.build) ? img.inputs.build : {};
      return {
        image: str(img.inputs.imageName) ?? "?",
        imageSource: "build",
        buildContext: str(build.context),
      };
    }
  }
  return { image: str(r.inputs.image) ?? "?", imageSource: "unknown" };
}

function healthOf(inputs: Record<string, Json>): HealthView | undefined {
  const hc = inputs.healthcheck;
  if (!isRecord(hc)) {
    return undefined;
  }
  const tests = list(hc.tests).map((t) => str(t) ?? "?");
  const intervalSeconds = parseGoDuration(str(hc.interval) ?? "30s");
  const timeoutSeconds = parseGoDuration(str(hc.timeout) ?? "30s");
  const startPeriodSeconds = parseGoDuration(str(hc.startPeriod) ?? "0s");
  const retries = num(hc.retries) ?? 3;
  const test = tests[0] === "CMD" || tests[0] === "CMD-SHELL" ? tests.slice(1) : tests;
  return {
    test: test.join(" "),
    intervalSeconds,
    timeoutSeconds,
    retries,
    startPeriodSeconds,
    estimatedSecondsToHealthy: estimatedSecondsToHealthy({
      test: tests,
      intervalSeconds,
      timeoutSeconds,
      retries,
      startPeriodSeconds,
    }),
  };
}

/** Every container, with its settings read back from what was registered. */
export function containers(resources: readonly CapturedResource[]): ContainerView[] {
  const byUrn = indexByUrn(resources);
  const needs = containerNeeds(resources);
  const volumesByName = new Map(
    resources.filter((r) => r.type === TYPES.volume).map((v) => [str(v.inputs.name) ?? v.name, v]),
  );
  const out: ContainerView[] = [];
  for (const r of resources.filter((x) => x.type === TYPES.container)) {
    const inputs = maskedInputs(r);
    const name = containerName(r);
    const env = inputs.envs === SECRET ? SECRET : list(inputs.envs).map((e) => (str(e) ?? "").split("=")[0]);
    out.push({
      resource: r.name,
      component: componentOf(r, byUrn),
      name,
      hostname: str(inputs.hostname),
      ...imageOf(r, byUrn),
      cpus: str(inputs.cpus),
      memoryMb: num(inputs.memory),
      memoryReservationMb: num(inputs.memoryReservation),
      ports: list(inputs.ports)
        .filter(isRecord)
        .map((p) => ({
          bind: str(p.ip) ?? "0.0.0.0",
          host: num(p.external) ?? 0,
          container: num(p.internal) ?? 0,
          protocol: str(p.protocol) ?? "tcp",
        })),
      networks: list(inputs.networksAdvanced)
        .filter(isRecord)
        .map((n) => ({
          name: str(n.name) ?? "?",
          ip: str(n.ipv4Address),
          aliases: list(n.aliases).map((a) => str(a) ?? "?"),
        })),
      health: healthOf(inputs),
      mounts: list(inputs.mounts)
        .filter(isRecord)
        .map((m) => {
          const source = str(m.source) ?? "?";
          const volume = m.type === "volume" ? volumesByName.get(source) : undefined;
          const opts = volume && isRecord(volume.inputs.driverOpts) ? volume.inputs.driverOpts : {};
          return {
            source,
            hostPath: m.type === "bind" ? source : str(opts.device),
            target: str(m.target) ?? "?",
            readOnly: m.readOnly === true,
          };
        }),
      env,
      files:
        inputs.uploads === SECRET
          ? [{ path: SECRET, secret: true }]
          : list(inputs.uploads)
              .filter(isRecord)
              .map((u) => ({ path: str(u.file) ?? "?", secret: u.content === SECRET })),
      command: inputs.command === SECRET ? [SECRET] : list(inputs.command).map((c) => str(c) ?? "?"),
      needs: needs.get(name) ?? [],
      protect: r.options.protect,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function networks(resources: readonly CapturedResource[]): NetworkView[] {
  const byUrn = indexByUrn(resources);
  return resources
    .filter((r) => r.type === TYPES.network)
    .map((r) => {
      const ipam = list(r.inputs.ipamConfigs).filter(isRecord)[0] ?? {};
      return {
        resource: r.name,
        component: componentOf(r, byUrn),
        name: str(r.inputs.name) ?? r.name,
        subnet: str(ipam.subnet),
        gateway: str(ipam.gateway),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface StartOrder {
  /** Docker container names per wave; a wave starts once what it needs from earlier waves is healthy. */
  waves: string[][];
  criticalPath: { path: string[]; seconds: number; steps: { container: string; seconds: number }[] };
  needs: Record<string, string[]>;
  secondsToHealthy: Record<string, number>;
}

/** Waves and critical path from the captured container edges and health-check settings. */
export function startOrder(views: readonly ContainerView[]): StartOrder {
  const needs: Record<string, string[]> = {};
  const seconds: Record<string, number> = {};
  for (const c of views) {
    needs[c.name] = c.needs;
    seconds[c.name] = c.health?.estimatedSecondsToHealthy ?? 0;
  }
  const needsMap: NeedsMap = needs;
  const path = criticalPath(needsMap, seconds);
  return {
    waves: startWaves(needsMap),
    criticalPath: { ...path, steps: path.path.map((c) => ({ container: c, seconds: seconds[c] })) },
    needs,
    secondsToHealthy: seconds,
  };
}

/** Stable, unique: sorted by component order of first registration, then type, then name. */
export function sortedResources(resources: readonly CapturedResource[]): CapturedResource[] {
  return [...resources].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}
