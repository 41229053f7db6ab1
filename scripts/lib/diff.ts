/**
 * The offline diff of two evaluations (`npm run plan -- --against <ref>`): per resource what
 * `pulumi up` would do going from the old to the new one, by the replacement table
 * (replacements.ts) and the resource options, with the changed properties (secrets as
 * `[secret]` on both sides), the reason for each replacement, and which running containers
 * restart, in which waves, for about how long. Pure over `CapturedResource`s.
 */
import type { CapturedResource } from "../../test/harness/engine";
import { startWaves, waitTimeoutSeconds } from "../../components/common/startup";
import { containers, pathParts, SECRET, shortType, TYPES } from "./model";
import { policyLines } from "./plan";
import type { PolicyReport } from "./policy";
import { inputEffect, REPLACEMENTS } from "./replacements";

export type Op = "create" | "import" | "update" | "replace" | "delete";

export interface PropertyChange {
  /** Dotted path of the changed input, e.g. `memory`, `uploads[2].content`. */
  path: string;
  /** Old and new values as printed (`[secret]` when either side is secret; absent: not set). */
  old?: string;
  new?: string;
  /** The new value is known only after the apply (it comes from a resource that changes). */
  computed?: boolean;
  /** What this change does by the table: replace, update, or nothing that runs (state only). */
  effect: "replace" | "update" | "state-only";
}

export interface ResourceChange {
  op: Op;
  type: string;
  name: string;
  urn: string;
  /** For a replace: the old one is deleted before the new one is created. */
  deleteFirst?: boolean;
  /** Why it is replaced (or, for a rename, that it is). */
  reasons: string[];
  properties: PropertyChange[];
  /** Notes an operator must read: protected, retained on delete, not in the table. */
  notes: string[];
}

export interface Restart {
  /** Docker container name. */
  container: string;
  /** `replace` (stopped and started again), `create` (new), `delete` (stopped for good). */
  op: "replace" | "create" | "delete";
  /** Estimated seconds from the start of the apply until it is healthy again (0: not stopped). */
  downSeconds: number;
  /**
   * The most it can take before `pulumi up` gives up waiting (each health wait's start period
   * plus every allowed failed check, along the same chain): the downtime when a start fails.
   */
  maxDownSeconds: number;
}

export interface StartConsequences {
  /** The restarted or new containers in the order they come up (a wave waits for the earlier ones). */
  waves: string[][];
  restarts: Restart[];
  /** Running containers that are not restarted but need one that is: degraded meanwhile. */
  affected: { container: string; needs: string[] }[];
}

export interface PlanDiff {
  changes: ResourceChange[];
  summary: {
    create: number;
    import: number;
    update: number;
    replace: number;
    delete: number;
    unchanged: number;
  };
  startOrder: StartConsequences;
}

type Json = unknown;

function isRecord(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function equal(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A value as the diff prints it: one line, long text summarized. */
export function show(value: Json): string {
  if (value === undefined) {
    return "(none)";
  }
  if (typeof value === "string") {
    if (value.includes("\n")) {
      return `<text, ${value.split("\n").length} lines>`;
    }
    return JSON.stringify(clip(value));
  }
  return clip(JSON.stringify(value));
}

/** `+2 -1 lines`: the lines only the new text has, and only the old one. */
function lineChanges(oldText: string, newText: string): string {
  const count = (lines: string[]) => {
    const m = new Map<string, number>();
    lines.forEach((l) => m.set(l, (m.get(l) ?? 0) + 1));
    return m;
  };
  const before = count(oldText.split("\n"));
  const after = count(newText.split("\n"));
  let added = 0;
  let removed = 0;
  for (const [line, n] of after) {
    added += Math.max(0, n - (before.get(line) ?? 0));
  }
  for (const [line, n] of before) {
    removed += Math.max(0, n - (after.get(line) ?? 0));
  }
  return `+${added} -${removed} lines`;
}

function isSecretPath(secretPaths: readonly string[], path: string): boolean {
  return secretPaths.some(
    (s) => s === "" || s === path || path.startsWith(`${s}.`) || path.startsWith(`${s}[`),
  );
}

/** A secret path at or above `path`, or one below it (the value holds a secret somewhere). */
function holdsSecret(secretPaths: readonly string[], path: string): boolean {
  return (
    isSecretPath(secretPaths, path) ||
    secretPaths.some((s) => s.startsWith(`${path}.`) || s.startsWith(`${path}[`))
  );
}

/** The leaf-level differences of two input trees, secrets masked (not descended into). */
function leafChanges(
  oldValue: Json,
  newValue: Json,
  path: string,
  oldSecret: readonly string[],
  newSecret: readonly string[],
  out: { path: string; old?: string; new?: string }[],
): void {
  if (equal(oldValue, newValue)) {
    return;
  }
  const secretOld = oldValue !== undefined && isSecretPath(oldSecret, path);
  const secretNew = newValue !== undefined && isSecretPath(newSecret, path);
  if (secretOld || secretNew) {
    out.push({
      path,
      old: oldValue === undefined ? undefined : secretOld ? SECRET : show(oldValue),
      new: newValue === undefined ? undefined : secretNew ? SECRET : show(newValue),
    });
    return;
  }
  const join = (key: string | number) =>
    typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
  if (Array.isArray(oldValue) && Array.isArray(newValue)) {
    for (let i = 0; i < Math.max(oldValue.length, newValue.length); i++) {
      leafChanges(oldValue[i], newValue[i], join(i), oldSecret, newSecret, out);
    }
    return;
  }
  if (isRecord(oldValue) && isRecord(newValue)) {
    for (const key of [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])].sort()) {
      leafChanges(oldValue[key], newValue[key], join(key), oldSecret, newSecret, out);
    }
    return;
  }
  // A structure that appears or goes: its leaves, each from or to nothing (secrets masked above).
  const container = (v: Json) => isRecord(v) || Array.isArray(v);
  if ((oldValue === undefined && container(newValue)) || (newValue === undefined && container(oldValue))) {
    const present = (oldValue ?? newValue) as Record<string, Json> | Json[];
    const keys: (string | number)[] = Array.isArray(present)
      ? present.map((_, i) => i)
      : Object.keys(present).sort();
    for (const key of keys) {
      const pick = (v: Json) =>
        v === undefined ? undefined : (v as Record<string | number, Json>)[key as keyof typeof v];
      leafChanges(pick(oldValue), pick(newValue), join(key), oldSecret, newSecret, out);
    }
    return;
  }
  if (typeof oldValue === "string" && typeof newValue === "string" && (oldValue + newValue).includes("\n")) {
    out.push({
      path,
      old: show(oldValue),
      new: `${show(newValue).slice(0, -1)}: ${lineChanges(oldValue, newValue)}>`,
    });
    return;
  }
  // A scalar that changes, appears or goes; or a value that holds a secret below (masked whole).
  const oldHolds = oldValue !== undefined && holdsSecret(oldSecret, path);
  const newHolds = newValue !== undefined && holdsSecret(newSecret, path);
  out.push({
    path,
    old: oldValue === undefined ? undefined : oldHolds ? SECRET : show(oldValue),
    new: newValue === undefined ? undefined : newHolds ? SECRET : show(newValue),
  });
}

function topKey(path: string): string {
  const first = pathParts(path)[0];
  return typeof first === "string" ? first : path;
}

/** `triggers[*]` / `envs` / `*` of replaceOnChanges, matched against a changed top-level input. */
function replaceOnChangesMatch(patterns: readonly string[], key: string): string | undefined {
  return patterns.find((p) => p === "*" || topKey(p.replace(/\[\*\]/g, "")) === key);
}

/** The physical name a rename keeps: Docker's `name`, a bucket's `bucket`. */
function physicalName(r: CapturedResource): string | undefined {
  const n = r.inputs.name ?? r.inputs.bucket;
  return typeof n === "string" ? n : undefined;
}

function describe(r: CapturedResource): string {
  return `${shortType(r.type)} ${r.name}`;
}

/**
 * What `pulumi up` does going from `before` to `after` (two evaluations of the program), by the
 * replacement table and each resource's options. Resources are matched by URN; a resource whose
 * URN changed but whose physical name did not is a rename.
 */
export function diffResources(
  before: readonly CapturedResource[],
  after: readonly CapturedResource[],
): PlanDiff {
  const oldByUrn = new Map(before.map((r) => [r.urn, r]));
  const newUrns = new Set(after.map((r) => r.urn));
  const changes: ResourceChange[] = [];
  /** URN -> what happens to it, for the resources that depend on it. */
  const fate = new Map<string, { op: Op; outputsChange: boolean; what: string }>();
  let unchanged = 0;

  // Renames: a new URN whose type and physical name an old, vanished URN had.
  const vanished = before.filter((r) => !newUrns.has(r.urn));
  const renamedFrom = new Map<string, CapturedResource>();
  for (const r of after) {
    if (oldByUrn.has(r.urn) || !r.custom) {
      continue;
    }
    const name = physicalName(r);
    const match = vanished.find(
      (o) =>
        o.type === r.type &&
        name !== undefined &&
        physicalName(o) === name &&
        ![...renamedFrom.values()].includes(o),
    );
    if (match) {
      renamedFrom.set(r.urn, match);
    }
  }
  const renamedOld = new Set([...renamedFrom.values()].map((o) => o.urn));

  // Registration order: every resource comes after what its inputs depend on.
  for (const r of after) {
    const old = oldByUrn.get(r.urn);
    const rule = REPLACEMENTS[r.type];
    const notes: string[] = [];
    if (r.custom && !rule && !r.type.startsWith("pulumi:providers:")) {
      notes.push(
        `${r.type} is not in the replacement table (scripts/lib/replacements.ts): every change is shown as an update`,
      );
    }
    const renamed = renamedFrom.get(r.urn);
    if (!old && !renamed) {
      const op: Op = r.options.importId ? "import" : "create";
      changes.push({
        op,
        type: r.type,
        name: r.name,
        urn: r.urn,
        reasons: op === "import" ? [`adopts ${r.options.importId}`] : [],
        properties: [],
        notes,
      });
      fate.set(r.urn, { op, outputsChange: true, what: describe(r) });
      continue;
    }
    const base = old ?? renamed!;
    const leaves: { path: string; old?: string; new?: string }[] = [];
    const keys = [...new Set([...Object.keys(base.inputs), ...Object.keys(r.inputs)])].sort();
    const ignored = new Set(r.options.ignoreChanges.map(topKey));
    for (const key of keys) {
      if (ignored.has(key)) {
        continue;
      }
      leafChanges(base.inputs[key], r.inputs[key], key, base.secretPaths, r.secretPaths, leaves);
    }
    // Inputs that come from a resource that changes: known only after the apply.
    const computed = new Map<string, string>();
    for (const [key, urns] of Object.entries(r.propertyDependencies)) {
      if (ignored.has(key)) {
        continue;
      }
      for (const urn of urns) {
        const f = fate.get(urn);
        if (f && f.outputsChange && f.op !== "create" && f.op !== "import") {
          computed.set(key, `${f.what} is ${f.op === "replace" ? "replaced" : "updated"}`);
        }
      }
    }
    const properties: PropertyChange[] = [];
    const reasons: string[] = [];
    const effectOf = (key: string): PropertyChange["effect"] => {
      if (replaceOnChangesMatch(r.options.replaceOnChanges, key)) {
        return "replace";
      }
      const e = inputEffect(r.type, key);
      return e === "untabled" ? "update" : e;
    };
    const reasonFor = (key: string): string => {
      const byOption = replaceOnChangesMatch(r.options.replaceOnChanges, key);
      if (byOption) {
        return `replaceOnChanges: ${byOption}`;
      }
      return `the provider replaces on ${key}`;
    };
    for (const leaf of leaves) {
      const key = topKey(leaf.path);
      properties.push({ ...leaf, effect: effectOf(key) });
    }
    for (const key of computed.keys()) {
      if (!leaves.some((l) => topKey(l.path) === key)) {
        const value = r.inputs[key];
        const shown = isSecretPath(r.secretPaths, key) ? SECRET : show(value);
        properties.push({
          path: key,
          old: shown,
          new: "(known after apply)",
          computed: true,
          effect: effectOf(key),
        });
      }
    }
    for (const key of [...new Set(properties.map((p) => topKey(p.path)))]) {
      const effect = effectOf(key);
      if (effect !== "replace") {
        continue;
      }
      const imageFrom = key === "image" ? computed.get(key) : undefined;
      const imageChanged = key === "image" && r.type === TYPES.container;
      reasons.push(
        imageChanged
          ? `changed image id${imageFrom ? ` (${imageFrom})` : ""}: ${reasonFor(key)}`
          : computed.has(key) && !leaves.some((l) => topKey(l.path) === key)
            ? `${key} changes (${computed.get(key)!}): ${reasonFor(key)}`
            : reasonFor(key),
      );
    }
    if (renamed) {
      reasons.unshift(
        `renamed resource (was ${renamed.name}): without an alias Pulumi creates the new one and then deletes ${renamed.name}`,
      );
    }
    properties.sort((a, b) => a.path.localeCompare(b.path, "en"));
    const replace = renamed !== undefined || properties.some((p) => p.effect === "replace");
    const update = !replace && properties.length > 0;
    if (!replace && !update) {
      unchanged++;
      continue;
    }
    if (replace && r.options.protect) {
      notes.push("protected: pulumi up stops before replacing it (unprotect it first)");
    }
    if (update && rule?.updateChangesOutputs && properties.some((p) => p.effect !== "state-only")) {
      notes.push("rebuilt: a new image id, which replaces every container that runs it");
    }
    if (update && properties.every((p) => p.effect === "state-only")) {
      notes.push("nothing that runs changes: the provider only records it in its state");
    }
    const op: Op = replace ? "replace" : "update";
    const outputsChange =
      replace || (rule?.updateChangesOutputs === true && properties.some((p) => p.effect !== "state-only"));
    fate.set(r.urn, { op, outputsChange, what: describe(r) });
    changes.push({
      op,
      type: r.type,
      name: r.name,
      urn: r.urn,
      ...(replace ? { deleteFirst: renamed === undefined && r.options.deleteBeforeReplace } : {}),
      reasons,
      properties,
      notes,
    });
  }
  for (const o of vanished) {
    if (renamedOld.has(o.urn)) {
      continue;
    }
    const notes: string[] = [];
    if (o.options.protect) {
      notes.push("protected: pulumi up stops before deleting it");
    }
    if (o.options.retainOnDelete) {
      notes.push("retained on delete: removed from the state, left running");
    }
    changes.push({
      op: "delete",
      type: o.type,
      name: o.name,
      urn: o.urn,
      reasons: [],
      properties: [],
      notes,
    });
  }
  const count = (op: Op) => changes.filter((c) => c.op === op).length;
  return {
    changes,
    summary: {
      create: count("create"),
      import: count("import"),
      update: count("update"),
      replace: count("replace"),
      delete: count("delete"),
      unchanged,
    },
    startOrder: startConsequences(before, after, changes),
  };
}

/** Which containers stop and start again, in which waves, and for about how long. */
export function startConsequences(
  before: readonly CapturedResource[],
  after: readonly CapturedResource[],
  changes: readonly ResourceChange[],
): StartConsequences {
  const views = containers(after);
  const byResource = new Map(views.map((v) => [v.resource, v]));
  const oldViews = new Map(containers(before).map((v) => [v.resource, v]));
  const ops = new Map<string, Restart["op"]>();
  for (const c of changes) {
    if (c.type !== TYPES.container) {
      continue;
    }
    if (c.op === "replace" || c.op === "create") {
      const v = byResource.get(c.name);
      if (v) {
        ops.set(v.name, c.op);
      }
    } else if (c.op === "delete") {
      const v = oldViews.get(c.name);
      if (v) {
        ops.set(v.name, "delete");
      }
    }
  }
  const starting = views.filter((v) => ops.get(v.name) === "replace" || ops.get(v.name) === "create");
  const names = new Set(starting.map((v) => v.name));
  const needs: Record<string, string[]> = {};
  for (const v of starting) {
    needs[v.name] = v.needs.filter((n) => names.has(n));
  }
  const waves = startWaves(needs);
  const chain = (own: (name: string) => number) => {
    const memo = new Map<string, number>();
    const total = (name: string): number => {
      const known = memo.get(name);
      if (known !== undefined) {
        return known;
      }
      const value = own(name) + Math.max(0, ...needs[name].map(total));
      memo.set(name, value);
      return value;
    };
    return total;
  };
  const health = (name: string) => views.find((x) => x.name === name)?.health;
  const down = chain((name) => health(name)?.estimatedSecondsToHealthy ?? 0);
  const maxDown = chain((name) => {
    const h = health(name);
    return h
      ? waitTimeoutSeconds({
          test: [h.test],
          intervalSeconds: h.intervalSeconds,
          timeoutSeconds: h.timeoutSeconds,
          retries: h.retries,
          startPeriodSeconds: h.startPeriodSeconds,
        })
      : 0;
  });
  const waveOf = new Map(waves.flatMap((w, i) => w.map((name) => [name, i] as const)));
  const restarts: Restart[] = [
    ...starting
      .map((v) => ({
        container: v.name,
        op: ops.get(v.name)!,
        downSeconds: down(v.name),
        maxDownSeconds: maxDown(v.name),
      }))
      .sort(
        (a, b) =>
          waveOf.get(a.container)! - waveOf.get(b.container)! || a.container.localeCompare(b.container),
      ),
    ...[...ops]
      .filter(([, op]) => op === "delete")
      .map(([container]) => ({ container, op: "delete" as const, downSeconds: 0, maxDownSeconds: 0 }))
      .sort((a, b) => a.container.localeCompare(b.container)),
  ];
  const stopped = new Set([...ops].filter(([, op]) => op !== "create").map(([n]) => n));
  const affected = views
    .filter((v) => !ops.has(v.name))
    .map((v) => ({ container: v.name, needs: v.needs.filter((n) => stopped.has(n)) }))
    .filter((a) => a.needs.length > 0);
  return { waves, restarts, affected };
}

// ---------------------------------------------------------------------------------------------
// Text

const SYMBOL: Record<Op, string> = { create: "+ ", import: "= ", update: "~ ", replace: "+-", delete: "- " };
const VERB: Record<Op, string> = {
  create: "create",
  import: "import",
  update: "update",
  replace: "replace",
  delete: "delete",
};

/** The CLI's summary line: `+ 2 to create, ~ 1 to update, +- 3 to replace, 118 unchanged`. */
export function summaryLine(summary: PlanDiff["summary"]): string {
  const parts: string[] = [];
  const add = (n: number, text: string) => n > 0 && parts.push(text.replace("#", String(n)));
  add(summary.create, "+ # to create");
  add(summary.import, "= # to import");
  add(summary.update, "~ # to update");
  add(summary.replace, "+- # to replace");
  add(summary.delete, "- # to delete");
  parts.push(`${summary.unchanged} unchanged`);
  return parts.join(", ");
}

/** Seconds as `~45s` or `~2m10s`. */
function duration(seconds: number): string {
  return seconds < 60
    ? `~${seconds}s`
    : `~${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

export function renderDiff(diff: PlanDiff): string[] {
  const out: string[] = [];
  if (diff.changes.length === 0) {
    out.push("  no changes");
  }
  for (const c of diff.changes) {
    const first = c.op === "replace" ? ` (${c.deleteFirst ? "delete first" : "create first"})` : "";
    out.push(`  ${SYMBOL[c.op]} ${VERB[c.op].padEnd(7)} ${shortType(c.type)}  ${c.name}${first}`);
    for (const p of c.properties) {
      const arrow = `${p.old ?? "(none)"} -> ${p.new ?? "(none)"}`;
      const mark =
        p.effect === "replace" && c.op === "replace"
          ? "  [replaces]"
          : p.effect === "state-only"
            ? "  [state only]"
            : "";
      out.push(`        ${p.path}: ${arrow}${mark}`);
    }
    for (const r of c.reasons) {
      out.push(`        ${c.op === "replace" ? "replaced: " : ""}${r}`);
    }
    for (const n of c.notes) {
      out.push(`        note: ${n}`);
    }
  }
  out.push("");
  const so = diff.startOrder;
  if (so.restarts.length === 0) {
    out.push("  Containers: none stops or starts.");
  } else {
    out.push("  Containers stopped and started (each wave waits for the earlier ones to be healthy):");
    so.waves.forEach((wave, i) => out.push(`    wave ${i}: ${wave.join(", ")}`));
    for (const r of so.restarts) {
      out.push(
        `    ${r.container}: ${
          r.op === "replace"
            ? `replaced, down ${duration(r.downSeconds)} (at most ${duration(r.maxDownSeconds)}, when a health wait times out)`
            : r.op === "create"
              ? `new, healthy after ${duration(r.downSeconds)} (at most ${duration(r.maxDownSeconds)})`
              : "deleted"
        }`,
      );
    }
    for (const a of so.affected) {
      out.push(`    ${a.container}: keeps running without ${a.needs.join(", ")} meanwhile`);
    }
  }
  out.push("", `  ${summaryLine(diff.summary)}`);
  return out;
}

/** What `npm run plan -- --against <ref>` reports: the diff and the working tree's policy report. */
export interface ChangeReport {
  stack: string;
  /** false when a mandatory policy was violated, or the policy pack did not run. */
  ok: boolean;
  against: { ref: string; commit: string };
  /** The stack file of the working tree's side. */
  stackFile?: string;
  diff: PlanDiff;
  policy: PolicyReport;
}

export function renderChangeReport(report: ChangeReport): string {
  const out = [
    `Changes for stack "${report.stack}" from ${report.against.ref} (${report.against.commit.slice(0, 12)}) to the working tree${
      report.stackFile ? ` with ${report.stackFile}` : ""
    } (offline, mock engine; secrets shown as ${SECRET}; unchanged resources counted, not listed)`,
    "",
    ...renderDiff(report.diff),
    "",
    "Policy report (the working tree)",
    ...policyLines(report.policy),
  ];
  return `${out.join("\n")}\n`;
}
