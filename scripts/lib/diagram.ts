/**
 * A Mermaid flowchart of the estate, generated from what the program registered: components as
 * boxes, their networks inside with the containers attached to them, the start-order arrows
 * (`a --> b`: b waits until a is healthy), the tunnel with its public hostnames and origins, and
 * the backup bucket with the user, roles and alarms around it. Deterministic: sorted, no dates,
 * no generated values, no image tags, so the committed copy can be compared byte for byte and
 * changes only when the estate's shape does.
 */
import type { CapturedResource } from "../../test/harness/engine";
import { componentOf, containers, ContainerView, indexByUrn, networks, TYPES } from "./model";
import { formatMb } from "./tree";

function id(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** Mermaid label text: quotes and angle brackets escaped; `<br/>` is added by the caller. */
function esc(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

/** The verbs an IAM policy document allows, and whether it denies deletes: `get/list/put, no delete`. */
export function policyVerbs(policy: unknown): string {
  let doc: unknown = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return "";
    }
  }
  const statements = (doc as { Statement?: unknown } | undefined)?.Statement;
  const verbs: Record<string, Set<string>> = { Allow: new Set(), Deny: new Set() };
  for (const st of Array.isArray(statements) ? statements : []) {
    const s = st as { Effect?: string; Action?: unknown };
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    for (const action of actions) {
      const a = str(action);
      if (!a || !s.Effect || !(s.Effect in verbs)) {
        continue;
      }
      const op = a.split(":")[1] ?? a;
      const verb = op === "*" ? "*" : (/^[A-Z][a-z]+/.exec(op)?.[0] ?? op).toLowerCase();
      verbs[s.Effect].add(a.startsWith("sts:") ? `assume` : verb);
    }
  }
  const parts: string[] = [];
  if (verbs.Allow.size > 0) {
    parts.push([...verbs.Allow].sort().join("/"));
  }
  if (verbs.Deny.has("delete")) {
    parts.push("no delete");
  }
  return parts.join(", ");
}

function containerLabel(c: ContainerView): string {
  const ports = c.ports.map((p) => `${p.bind}:${p.host}`).join(" ");
  // The image without its tag: a routine image bump (a Renovate PR) leaves the diagram as it is.
  const image = c.image.replace(/(@sha256:[a-f0-9]+|:[^:/@]+)+$/, "");
  const lines = [c.name, image, `${c.cpus ?? "-"} cpu, ${formatMb(c.memoryMb)}`];
  if (ports) {
    lines.push(ports);
  }
  return lines.map(esc).join("<br/>");
}

/** Host part of an origin URL such as `http://blog-nginx:80`. */
function originHost(service: string): string | undefined {
  return /^[a-z]+:\/\/([^/:]+)/.exec(service)?.[1];
}

export function mermaidDiagram(resources: readonly CapturedResource[], title: string): string {
  const byUrn = indexByUrn(resources);
  const views = containers(resources);
  const nets = networks(resources);
  const lines: string[] = [`---`, `title: ${JSON.stringify(title)}`, `---`, "flowchart LR"];
  const edges: string[] = [];

  // Components with their networks and containers.
  const components = [
    ...new Set(resources.filter((r) => !r.custom && componentOf(r, byUrn) === r.name).map((r) => r.name)),
  ].sort();
  const containerByHost = new Map<string, ContainerView>();
  for (const c of views) {
    containerByHost.set(c.name, c);
  }
  // A bare hostname (`nginx`) is an origin only where exactly one container answers to it.
  for (const c of views) {
    if (
      c.hostname &&
      !containerByHost.has(c.hostname) &&
      views.filter((x) => x.hostname === c.hostname).length === 1
    ) {
      containerByHost.set(c.hostname, c);
    }
  }

  for (const component of components) {
    const type = resources.find((r) => r.name === component && !r.custom)?.type ?? "";
    const mine = views.filter((c) => c.component === component);
    const myNets = nets.filter((n) => n.component === component);
    const body: string[] = [];
    for (const net of myNets) {
      body.push(
        `    subgraph ${id("net", net.name)}["network ${esc(net.name)}${net.subnet ? ` ${net.subnet}` : ""}"]`,
      );
      for (const c of mine.filter((x) => x.networks[0]?.name === net.name)) {
        body.push(`      ${id("c", c.name)}["${containerLabel(c)}"]`);
      }
      body.push("    end");
    }
    for (const c of mine.filter((x) => !myNets.some((n) => n.name === x.networks[0]?.name))) {
      body.push(`    ${id("c", c.name)}["${containerLabel(c)}"]`);
    }
    body.push(...componentExtras(component, resources, byUrn, containerByHost, edges));
    if (body.length === 0) {
      continue;
    }
    lines.push(`  subgraph ${id("cmp", component)}["${esc(component)} (${esc(type)})"]`);
    lines.push(...body);
    lines.push("  end");
  }

  // Start order: `needed --> dependant`.
  for (const c of views) {
    for (const dep of c.needs) {
      edges.push(`  ${id("c", dep)} --> ${id("c", c.name)}`);
    }
    // Attachments to other networks than the container's own.
    for (const n of c.networks.slice(1)) {
      if (nets.some((x) => x.name === n.name)) {
        edges.push(`  ${id("c", c.name)} -. joins .-> ${id("net", n.name)}`);
      }
    }
  }
  lines.push(...[...new Set(edges)].sort());
  return `${lines.join("\n")}\n`;
}

/** Tunnel and backup pieces of a component, and the edges they add. */
function componentExtras(
  component: string,
  resources: readonly CapturedResource[],
  byUrn: ReadonlyMap<string, CapturedResource>,
  containerByHost: ReadonlyMap<string, ContainerView>,
  edges: string[],
): string[] {
  const mine = resources.filter((r) => r.custom && componentOf(r, byUrn) === component);
  const body: string[] = [];
  const of = (type: string) =>
    mine.filter((r) => r.type === type).sort((a, b) => a.name.localeCompare(b.name));
  const depOfType = (r: CapturedResource, type: string) =>
    r.dependencies.map((u) => byUrn.get(u)).filter((d): d is CapturedResource => d?.type === type);

  // Tunnel: the tunnel, every public hostname routed to it, and the origin each reaches.
  for (const t of of(TYPES.tunnel)) {
    body.push(`    ${id("tun", t.name)}{{"tunnel ${esc(str(t.inputs.name) ?? t.name)}"}}`);
  }
  for (const cfg of of(TYPES.tunnelConfig)) {
    const tunnel = cfg.dependencies.map((u) => byUrn.get(u)).find((d) => d?.type === TYPES.tunnel);
    const tunnelId = tunnel ? id("tun", tunnel.name) : id("tun", cfg.name);
    const config = (cfg.inputs.config ?? {}) as { ingresses?: { hostname?: string; service?: string }[] };
    for (const rule of config.ingresses ?? []) {
      const service = rule.service ?? "";
      const host = originHost(service);
      const target = host ? containerByHost.get(host) : undefined;
      const from = rule.hostname ? id("host", rule.hostname) : id("fallback", cfg.name);
      body.push(
        rule.hostname
          ? `    ${from}(["${esc(rule.hostname)}"])`
          : `    ${from}["catch-all: ${esc(service)}"]`,
      );
      if (target) {
        edges.push(`  ${from} --> ${id("c", target.name)}`);
      }
      if (!rule.hostname) {
        edges.push(`  ${tunnelId} --> ${from}`);
      }
    }
  }
  // The container that runs a tunnel is the one whose inputs come from the tunnel.
  for (const t of of(TYPES.tunnel)) {
    for (const c of resources.filter((r) => r.type === TYPES.container && r.dependencies.includes(t.urn))) {
      const name = typeof c.inputs.name === "string" ? c.inputs.name : c.name;
      edges.push(`  ${id("c", name)} -. runs .-> ${id("tun", t.name)}`);
    }
  }
  for (const rec of of(TYPES.dnsRecord)) {
    const name = str(rec.inputs.name) ?? rec.name;
    if (!body.some((l) => l.includes(`${id("host", name)}(`))) {
      body.push(`    ${id("host", name)}(["${esc(name)}"])`);
    }
  }

  // Backup: bucket, user, roles (with what their policies allow), topic, alarms, subscription.
  for (const b of of(TYPES.bucket)) {
    const lock = mine.find((r) => r.type === TYPES.objectLock && depOfType(r, TYPES.bucket).includes(b));
    const rule = lock?.inputs.rule as { defaultRetention?: { mode?: string; days?: number } } | undefined;
    const retention = rule?.defaultRetention
      ? `<br/>Object Lock ${esc(rule.defaultRetention.mode ?? "")} ${rule.defaultRetention.days ?? "?"}d`
      : "";
    body.push(`    ${id("bucket", b.name)}[("S3 ${esc(str(b.inputs.bucket) ?? b.name)}${retention}")]`);
  }
  for (const u of of(TYPES.user)) {
    body.push(`    ${id("user", u.name)}[/"IAM user ${esc(str(u.inputs.name) ?? u.name)}"/]`);
  }
  for (const r of of(TYPES.role)) {
    body.push(`    ${id("role", r.name)}["role ${esc(str(r.inputs.name) ?? r.name)}"]`);
  }
  for (const p of of(TYPES.rolePolicy)) {
    const verbs = policyVerbs(p.inputs.policy);
    for (const role of depOfType(p, TYPES.role)) {
      for (const bucket of depOfType(p, TYPES.bucket)) {
        edges.push(`  ${id("role", role.name)} -->|"${esc(verbs)}"| ${id("bucket", bucket.name)}`);
      }
    }
  }
  for (const p of of(TYPES.userPolicy)) {
    for (const user of depOfType(p, TYPES.user)) {
      for (const role of depOfType(p, TYPES.role)) {
        edges.push(`  ${id("user", user.name)} -. assume .-> ${id("role", role.name)}`);
      }
    }
  }
  for (const t of of(TYPES.topic)) {
    body.push(`    ${id("topic", t.name)}>"SNS ${esc(str(t.inputs.name) ?? t.name)}"]`);
  }
  for (const a of of(TYPES.alarm)) {
    body.push(
      `    ${id("alarm", a.name)}["alarm ${esc(str(a.inputs.name) ?? a.name)} ≥ ${str(a.inputs.threshold) ?? "?"}"]`,
    );
    for (const t of depOfType(a, TYPES.topic)) {
      edges.push(`  ${id("alarm", a.name)} --> ${id("topic", t.name)}`);
    }
  }
  for (const s of of(TYPES.subscription)) {
    body.push(
      `    ${id("sub", s.name)}(["${esc(`${str(s.inputs.protocol) ?? ""} ${str(s.inputs.endpoint) ?? ""}`.trim())}"])`,
    );
    for (const t of depOfType(s, TYPES.topic)) {
      edges.push(`  ${id("topic", t.name)} --> ${id("sub", s.name)}`);
    }
  }
  return body;
}

/** The committed diagram: which stack, where, and how README.md embeds it. */
export const DIAGRAM_STACK = "production" as const;
export const DIAGRAM_FILE = "docs/estate-production.mmd";
export const REGENERATE_COMMAND = "npm run diagram";
export const README_MARKERS = {
  start: "<!-- estate-diagram:start (generated by `npm run diagram`; do not edit) -->",
  end: "<!-- estate-diagram:end -->",
} as const;

export function diagramTitle(stack: string): string {
  return `onprem-infra: ${stack}`;
}

/** The README's embedded diagram block for `diagram`. */
export function readmeBlock(diagram: string): string {
  return `${README_MARKERS.start}\n\`\`\`mermaid\n${diagram}\`\`\`\n${README_MARKERS.end}`;
}

/** The diagram embedded in README text, or undefined when the markers are missing. */
export function readmeDiagram(readme: string): string | undefined {
  const start = readme.indexOf(README_MARKERS.start);
  const end = readme.indexOf(README_MARKERS.end);
  if (start < 0 || end < start) {
    return undefined;
  }
  const block = readme.slice(start + README_MARKERS.start.length, end);
  const m = /```mermaid\n([\s\S]*?)```/.exec(block);
  return m?.[1];
}

/** README text with its diagram block replaced by `diagram`; undefined when the markers are missing. */
export function withReadmeDiagram(readme: string, diagram: string): string | undefined {
  const start = readme.indexOf(README_MARKERS.start);
  const end = readme.indexOf(README_MARKERS.end);
  if (start < 0 || end < start) {
    return undefined;
  }
  return `${readme.slice(0, start)}${readmeBlock(diagram)}${readme.slice(end + README_MARKERS.end.length)}`;
}
