/**
 * The resource tree by component, like `pulumi preview` prints it: each resource's type, name and
 * key settings, children under their parent. Secret inputs are read through `maskedInputs`, so
 * they print as `[secret]`.
 */
import type { CapturedResource } from "../../test/harness/engine";
import { ContainerView, containers, indexByUrn, maskedInputs, SECRET, shortType, TYPES } from "./model";

export interface TreeNode {
  type: string;
  name: string;
  /** `key: value` lines describing the resource. */
  settings: Record<string, string>;
  /** Resource options worth knowing before an apply. */
  flags: string[];
  /**
   * What the first `pulumi up` of the stack does with it: `adopt` when its options carry an
   * `import` id (the existing one is taken over), `create` otherwise; none for a component.
   */
  action?: "adopt" | "create";
  children: TreeNode[];
}

function text(value: unknown): string {
  if (value === undefined || value === null) {
    return "";
  }
  if (typeof value === "string") {
    return value;
  }
  return JSON.stringify(value);
}

function clip(value: string, max = 96): string {
  const oneLine = value.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Formats MB as Docker writes limits: `512M`, `1G`, `1536M`. */
export function formatMb(mb: number | undefined): string {
  if (mb === undefined) {
    return "-";
  }
  return mb % 1024 === 0 ? `${mb / 1024}G` : `${mb}M`;
}

export function containerSettings(c: ContainerView): Record<string, string> {
  const s: Record<string, string> = {};
  s.container = c.name;
  s.image = c.imageSource === "build" ? `${c.image} (built from ${c.buildContext ?? "?"})` : c.image;
  s.limits = `cpus ${c.cpus ?? "-"}, memory ${formatMb(c.memoryMb)}${
    c.memoryReservationMb !== undefined ? ` (reservation ${formatMb(c.memoryReservationMb)})` : ""
  }`;
  s.ports =
    c.ports.length === 0
      ? "none published"
      : c.ports.map((p) => `${p.bind}:${p.host}->${p.container}/${p.protocol}`).join(", ");
  s.networks = c.networks.map((n) => `${n.name}${n.ip ? ` ${n.ip}` : ""}`).join(", ");
  if (c.health) {
    const h = c.health;
    s.health = `${clip(h.test, 60)} (every ${h.intervalSeconds}s, timeout ${h.timeoutSeconds}s, ${h.retries} retries, start period ${h.startPeriodSeconds}s; ~${h.estimatedSecondsToHealthy}s to healthy)`;
  } else {
    s.health = "none";
  }
  if (c.mounts.length > 0) {
    s.volumes = c.mounts
      .map((m) => {
        const host = m.hostPath && m.hostPath !== m.source ? `${m.source} (${m.hostPath})` : m.source;
        return `${host} -> ${m.target}${m.readOnly ? " (ro)" : ""}`;
      })
      .join(", ");
  }
  s.env = c.env === SECRET ? SECRET : c.env.length === 0 ? "none" : c.env.join(", ");
  if (c.files.length > 0) {
    s.files = c.files.map((f) => (f.secret ? `${f.path} ${SECRET}` : f.path)).join(", ");
  }
  if (c.command && c.command.length > 0) {
    s.command = clip(c.command.join(" "));
  }
  if (c.needs.length > 0) {
    s.waits_for = c.needs.join(", ");
  }
  return s;
}

/** Key settings of a non-container resource, by type, from masked inputs. */
function settingsOf(r: CapturedResource): Record<string, string> {
  const i = maskedInputs(r);
  const s: Record<string, string> = {};
  const put = (key: string, value: unknown, max?: number) => {
    const t = text(value);
    if (t !== "") {
      s[key] = clip(t, max);
    }
  };
  switch (r.type) {
    case TYPES.network: {
      const ipam = Array.isArray(i.ipamConfigs) ? (i.ipamConfigs[0] as Record<string, unknown>) : {};
      put("network", i.name);
      put("driver", i.driver);
      put("subnet", ipam?.subnet);
      put("gateway", ipam?.gateway);
      break;
    }
    case TYPES.volume: {
      const opts = (i.driverOpts ?? {}) as Record<string, unknown>;
      put("volume", i.name);
      put("host path", opts.device ?? "(docker-managed)");
      break;
    }
    case TYPES.remoteImage:
      put("image", i.name);
      break;
    case TYPES.image: {
      const build = (i.build ?? {}) as Record<string, unknown>;
      put("image", i.imageName);
      put("context", build.context);
      break;
    }
    case "command:local:Command":
    case "command:remote:Command":
      put("create", i.create);
      if (i.stdin !== undefined) {
        put("stdin", i.stdin === SECRET ? SECRET : "(given)");
      }
      break;
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomBytes:RandomBytes":
      put("length", i.length);
      put("keepers", i.keepers);
      s.result = SECRET;
      break;
    case TYPES.bucket:
      put("bucket", i.bucket);
      put("object lock", i.objectLockEnabled);
      break;
    case TYPES.objectLock:
      put("rule", i.rule);
      break;
    case TYPES.role:
      put("role", i.name);
      put("max session", i.maxSessionDuration !== undefined ? `${text(i.maxSessionDuration)}s` : undefined);
      break;
    case TYPES.user:
      put("user", i.name);
      break;
    case TYPES.rolePolicy:
    case TYPES.userPolicy:
      put("policy", i.name);
      break;
    case TYPES.topic:
      put("topic", i.name);
      break;
    case TYPES.subscription:
      put("protocol", i.protocol);
      put("endpoint", i.endpoint);
      break;
    case TYPES.alarm:
      put("alarm", i.name);
      put("threshold", i.threshold);
      put("metric", `${text(i.namespace)}/${text(i.metricName)}`);
      break;
    case TYPES.tunnel:
      put("tunnel", i.name);
      put("config source", i.configSrc);
      put("secret", i.tunnelSecret);
      break;
    case TYPES.tunnelConfig: {
      const cfg = (i.config ?? {}) as Record<string, unknown>;
      const rules = Array.isArray(cfg.ingresses) ? (cfg.ingresses as Record<string, unknown>[]) : [];
      s.ingress = rules.map((rule) => `${text(rule.hostname) || "*"} -> ${text(rule.service)}`).join(", ");
      break;
    }
    case TYPES.dnsRecord:
      put(
        "record",
        `${text(i.type)} ${text(i.name)} -> ${text(i.content)}${i.proxied === true ? " (proxied)" : ""}`,
      );
      break;
    default: {
      if (r.type.startsWith("pulumi:providers:")) {
        for (const [k, v] of Object.entries(i)) {
          if (k !== "version" && k !== "pluginDownloadURL") {
            put(k, v, 80);
          }
        }
      } else if (r.custom) {
        for (const key of ["name", "bucket", "hostname", "zoneId", "scriptName", "type"]) {
          put(key, i[key]);
        }
      }
    }
  }
  return s;
}

function flagsOf(r: CapturedResource): string[] {
  const flags: string[] = [];
  if (r.options.protect) {
    flags.push("protected");
  }
  if (r.options.retainOnDelete) {
    flags.push("retained on delete");
  }
  if (r.options.importId) {
    flags.push(`import ${r.options.importId}`);
  }
  return flags;
}

/** The tree: providers and top-level components as roots, children sorted by type then name. */
export function resourceTree(resources: readonly CapturedResource[]): TreeNode[] {
  const byUrn = indexByUrn(resources);
  const views = new Map(containers(resources).map((c) => [c.resource, c]));
  const nodes = new Map<string, TreeNode>();
  for (const r of resources) {
    const view = r.type === TYPES.container ? views.get(r.name) : undefined;
    nodes.set(r.urn, {
      type: shortType(r.type),
      name: r.name,
      settings: view ? containerSettings(view) : settingsOf(r),
      flags: flagsOf(r),
      ...(r.custom ? { action: r.options.importId ? ("adopt" as const) : ("create" as const) } : {}),
      children: [],
    });
  }
  const roots: TreeNode[] = [];
  for (const r of resources) {
    const node = nodes.get(r.urn)!;
    const parent = r.parent ? nodes.get(r.parent) : undefined;
    if (parent && byUrn.has(r.parent)) {
      parent.children.push(node);
    } else {
      roots.push(node);
    }
  }
  const order = (a: TreeNode, b: TreeNode) => {
    const pa = a.type.startsWith("pulumi:providers:") ? 0 : a.children.length > 0 ? 2 : 1;
    const pb = b.type.startsWith("pulumi:providers:") ? 0 : b.children.length > 0 ? 2 : 1;
    return pa - pb || a.type.localeCompare(b.type) || a.name.localeCompare(b.name);
  };
  const sortDeep = (list: TreeNode[]) => {
    list.sort(order);
    list.forEach((n) => sortDeep(n.children));
  };
  sortDeep(roots);
  return roots;
}
