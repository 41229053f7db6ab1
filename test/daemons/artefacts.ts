/**
 * What the program hands to daemons, pulled generically out of what it registers: the real
 * program (`index.ts`) runs for every stack under the mock engine (test/harness), and every
 * captured input that a daemon will read becomes one artefact:
 * - each file a container gets written before it starts (`docker.Container` `uploads`),
 * - each container's command and entrypoint (flags, start scripts),
 * - each command the program runs (`command:local` / `command:remote` `create` with its `stdin`,
 *   e.g. SQL fed to the MariaDB client, a shell script fed to `sh -s`),
 * - each Worker module (`cloudflare` `WorkersScript` content and bindings).
 * Nothing here knows the mail or the blog stack: kinds.ts says which artefact goes to which daemon.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, STACKS, StackName, runStack } from "../harness/stack";
import { CapturedResource } from "../harness/engine";
import { COMMAND, CONTAINER, IMAGE, NETWORK, REMOTE_IMAGE, WORKER } from "../harness/types";

export const REMOTE_COMMAND = "command:remote:Command";

/** Where an artefact comes from: stack, owning component and resource. */
export interface Origin {
  stack: StackName;
  /**
   * The module of the nearest component resource above it (`mail` for
   * `onprem:mail:MailserverStack`, `blog`, `tunnel`): the key of kinds.ts' expected kinds.
   */
  component: string;
  /** The registering resource's name, e.g. `mail-dovecot`. */
  resource: string;
}

/** The container an artefact belongs to, and what it sees of its neighbours. */
export interface ContainerInfo {
  /** Docker container name, e.g. `mailserver-dovecot`. */
  name: string;
  hostname: string;
  /** The image reference it runs (e.g. `nginx:1.26.2-alpine`), or "" when unknown. */
  image: string;
  /** Every name this container can resolve on its networks: container names, hostnames, aliases. */
  reachableNames: string[];
  /** Its `extra_hosts` entries (`name` -> address), as the container's hosts file maps them. */
  extraHosts: { host: string; ip: string }[];
  command: string[];
  entrypoint: string[];
  envs: string[];
}

/** A file written into a container before it starts. */
export interface RenderedFile extends Origin {
  shape: "file";
  container: ContainerInfo;
  /** The in-container path. */
  path: string;
  content: string;
  /** Set when a script writes the file (a here-document) rather than the provider: that script. */
  writtenBy?: string;
  /**
   * Set for a file of an image's build context (shipped in the image, not rendered): the
   * context directory. Checked where a kind claims it; not every shipped file is a daemon's.
   */
  shippedIn?: string;
}

/** A container's start command or entrypoint. */
export interface RenderedArgv extends Origin {
  shape: "argv";
  container: ContainerInfo;
  which: "command" | "entrypoint";
  argv: string[];
}

/** A command the program runs, with what it feeds on stdin. */
export interface RenderedExec extends Origin {
  shape: "exec";
  create: string;
  stdin: string;
  /** Names of the exec resources this one depends on (order of application). */
  after: string[];
}

/** A Worker module as uploaded, with its bindings. */
export interface RenderedWorker extends Origin {
  shape: "worker";
  scriptName: string;
  mainModule: string;
  content: string;
  compatibilityDate: string;
  bindings: { name: string; type: string; text?: string }[];
}

export type Rendered = RenderedFile | RenderedArgv | RenderedExec | RenderedWorker;

/** One line naming an artefact, for test titles and failure messages. */
export function nameOf(r: Rendered): string {
  const where = `${r.stack} ${r.resource}`;
  switch (r.shape) {
    case "file":
      return r.shippedIn
        ? `${r.path} (shipped in the image of ${r.container.name}, ${where})`
        : `${r.path} of ${r.container.name} (${where}${r.writtenBy ? `, written by its script` : ""})`;
    case "argv":
      return `${r.which} of ${r.container.name} (${where})`;
    case "exec":
      return `\`${r.create}\` (${where})`;
    case "worker":
      return `Worker ${r.scriptName} module ${r.mainModule} (${where})`;
  }
}

/** The text a daemon reads of an artefact (for hashing and known-bug matching). */
export function contentOf(r: Rendered): string {
  switch (r.shape) {
    case "file":
      return r.content;
    case "argv":
      return JSON.stringify(r.argv);
    case "exec":
      return `${r.create}\n${r.stdin}`;
    case "worker":
      return r.content;
  }
}

/** sha256 of `contentOf`, first 16 hex digits. */
export function contentHash(r: Rendered): string {
  return createHash("sha256").update(contentOf(r)).digest("hex").slice(0, 16);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => String(v)) : [];
}

/** The module part of a component type token: `onprem:mail:MailserverStack` -> `mail`. */
function componentOf(resource: CapturedResource, byUrn: Map<string, CapturedResource>): string {
  let parent = byUrn.get(resource.parent);
  while (parent && parent.custom) {
    parent = byUrn.get(parent.parent);
  }
  if (!parent) {
    return "(top)";
  }
  const parts = parent.type.split(":");
  return parts.length === 3 ? parts[1] : parent.type;
}

/** Everything one stack's evaluation renders for daemons. */
export function extract(stack: StackName, resources: CapturedResource[]): Rendered[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const origin = (r: CapturedResource): Origin => ({
    stack,
    component: componentOf(r, byUrn),
    resource: r.name,
  });

  // Image ids (as the mocks derive them) back to the references they were pulled or built as.
  const imageRefs = new Map<string, string>();
  for (const r of resources) {
    // Containers run an image's id or its repo digest (a local build's id).
    const ids = [String(r.state.imageId), String(r.state.repoDigest)];
    if (r.type === REMOTE_IMAGE) {
      ids.forEach((id) => imageRefs.set(id, String(r.inputs.name)));
    } else if (r.type === IMAGE) {
      const build = (r.inputs.build ?? {}) as { args?: Record<string, string> };
      const base = Object.values(build.args ?? {}).join(",");
      ids.forEach((id) => imageRefs.set(id, base === "" ? String(r.inputs.imageName) : base));
    }
  }
  // Network names as the containers reference them (the network's name input or its resource).
  const networkNames = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === NETWORK)) {
    networkNames.set(r.urn, String(r.inputs.name));
  }
  const containers = resources.filter((r) => r.type === CONTAINER);
  interface Attached {
    resource: CapturedResource;
    networks: { name: string; aliases: string[] }[];
  }
  const attached: Attached[] = containers.map((c) => ({
    resource: c,
    networks: ((c.inputs.networksAdvanced ?? []) as { name: string; aliases?: string[] }[]).map((n) => ({
      name: networkNames.get(n.name) ?? n.name,
      aliases: n.aliases ?? [],
    })),
  }));
  const infoOf = (a: Attached): ContainerInfo => {
    const mine = new Set(a.networks.map((n) => n.name));
    const names = new Set<string>();
    for (const other of attached) {
      for (const net of other.networks.filter((n) => mine.has(n.name))) {
        names.add(String(other.resource.inputs.name));
        names.add(String(other.resource.inputs.hostname));
        net.aliases.forEach((alias) => names.add(alias));
      }
    }
    const c = a.resource;
    return {
      name: String(c.inputs.name),
      hostname: String(c.inputs.hostname ?? ""),
      image: imageRefs.get(String(c.inputs.image)) ?? "",
      reachableNames: [...names].filter((n) => n !== "" && n !== "undefined").sort(),
      extraHosts: ((c.inputs.hosts ?? []) as { host: string; ip: string }[]).map((h) => ({
        host: String(h.host),
        ip: String(h.ip),
      })),
      command: strings(c.inputs.command),
      entrypoint: strings(c.inputs.entrypoints),
      envs: strings(c.inputs.envs),
    };
  };

  const out: Rendered[] = [];
  for (const a of attached) {
    const c = a.resource;
    const container = infoOf(a);
    for (const upload of (c.inputs.uploads ?? []) as { file: string; content?: string }[]) {
      out.push({
        ...origin(c),
        shape: "file",
        container,
        path: upload.file,
        content: String(upload.content ?? ""),
      });
    }
    if (container.command.length > 0) {
      out.push({ ...origin(c), shape: "argv", container, which: "command", argv: container.command });
    }
    if (container.entrypoint.length > 0) {
      out.push({ ...origin(c), shape: "argv", container, which: "entrypoint", argv: container.entrypoint });
    }
  }
  const execs = resources.filter((r) => r.type === COMMAND || r.type === REMOTE_COMMAND);
  const execUrns = new Set(execs.map((r) => r.urn));
  for (const r of execs) {
    out.push({
      ...origin(r),
      shape: "exec",
      create: String(r.inputs.create ?? ""),
      stdin: String(r.inputs.stdin ?? ""),
      after: r.dependencies.filter((u) => execUrns.has(u)).map((u) => byUrn.get(u)?.name ?? u),
    });
  }
  out.push(...out.flatMap((r) => heredocFiles(r, attached.map(infoOf))));
  // Files shipped in locally built images: their build context, as the container running it sees it.
  for (const r of resources.filter((x) => x.type === IMAGE)) {
    const context = String((r.inputs.build as { context?: string } | undefined)?.context ?? "");
    const runner = attached.find(
      (a) => a.resource.inputs.image === r.state.imageId || a.resource.inputs.image === r.state.repoDigest,
    );
    // A context outside the repository (an estate path on the host) is not here to read.
    if (context === "" || !runner || !fs.existsSync(path.resolve(ROOT, context))) {
      continue;
    }
    for (const rel of listFiles(path.resolve(ROOT, context))) {
      out.push({
        ...origin(r),
        shape: "file",
        container: infoOf(runner),
        path: `${context}/${rel}`,
        content: fs.readFileSync(path.resolve(ROOT, context, rel), "utf8"),
        shippedIn: context,
      });
    }
  }
  for (const r of resources.filter((x) => x.type === WORKER)) {
    out.push({
      ...origin(r),
      shape: "worker",
      scriptName: String(r.inputs.scriptName),
      mainModule: String(r.inputs.mainModule),
      content: String(r.inputs.content),
      compatibilityDate: String(r.inputs.compatibilityDate ?? ""),
      bindings: (r.inputs.bindings ?? []) as RenderedWorker["bindings"],
    });
  }
  return out;
}

/** The shell script an artefact carries: `sh -s` stdin, or the script of `sh -c`. */
export function shellScript(r: Rendered): string | undefined {
  if (r.shape === "exec" && /\bsh -s\b/.test(r.create)) {
    return r.stdin;
  }
  if (r.shape === "argv") {
    const at = r.argv.findIndex((a, i) => a === "-c" && i > 0 && /(^|\/)(ba|da|a)?sh$/.test(r.argv[i - 1]));
    return at >= 0 ? r.argv[at + 1] : undefined;
  }
  return undefined;
}

/** The container `docker exec [-i] <name>` runs in, if any. */
export function execContainer(create: string): string | undefined {
  return /\bdocker exec(?: -\w+)* ([A-Za-z0-9_.-]+)/.exec(create)?.[1];
}

/**
 * Files a shell script writes with a here-document (`cat > "$d/wp-config.php" <<'EOF'`), as
 * files of the container it runs in; `name='value'` assignments earlier in the script are
 * substituted into the target path.
 */
function heredocFiles(r: Rendered, containers: ContainerInfo[]): RenderedFile[] {
  const script = shellScript(r);
  if (script === undefined) {
    return [];
  }
  const vars = new Map<string, string>();
  for (const m of script.matchAll(
    /^([A-Za-z_][A-Za-z0-9_]*)=(?:'([^']*)'|"([^"$`]*)"|([^\s;'"$`]*))\s*$/gm,
  )) {
    vars.set(m[1], m[2] ?? m[3] ?? m[4] ?? "");
  }
  const expand = (word: string) =>
    word
      .replace(/^["']|["']$/g, "")
      .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (all, name: string) => vars.get(name) ?? all);
  const name =
    r.shape === "exec" ? execContainer(r.create) : r.shape === "argv" ? r.container.name : undefined;
  const container = containers.find((c) => c.name === name);
  if (!container) {
    return [];
  }
  const files: RenderedFile[] = [];
  for (const m of script.matchAll(
    /\bcat >\s*(\S+)\s*<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2\n([\s\S]*?)^\3$/gm,
  )) {
    files.push({
      stack: r.stack,
      component: r.component,
      resource: r.resource,
      shape: "file",
      container,
      path: expand(m[1]),
      content: m[4],
      writtenBy: nameOf(r),
    });
  }
  return files;
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .sort();
}

let cached: Promise<Rendered[]> | undefined;

/** Every stack's artefacts, evaluated once per process (both stacks, in STACKS order). */
export function allRendered(): Promise<Rendered[]> {
  cached ??= (async () => {
    const out: Rendered[] = [];
    for (const stack of STACKS) {
      const { capture } = await runStack(stack);
      out.push(...extract(stack, capture.resources));
    }
    return out;
  })();
  return cached;
}
