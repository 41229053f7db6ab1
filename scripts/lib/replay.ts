/**
 * The bench's registration floor (`npm run bench`): the very registrations a stack's evaluation
 * made, as a plan that a program with no logic of its own replays through the same provider SDK
 * classes (scripts/bench-replay.ts). What the replay costs above the empty floor is what the SDK
 * and its runner charge to register those resources, whatever program registers them; what the
 * program costs above the replay is the program's own: its modules, its config validation, its
 * renderers and its output plumbing.
 *
 * The plan is built from the harness's capture, in the order the engine received the
 * registrations: a registration waits for its parent, its provider and its dependencies, so each
 * of those comes before it in the capture, and the replay can refer to it by index.
 */
import type { CapturedResource } from "../../test/harness/engine";

/** One registration to replay. */
export interface ReplayEntry {
  type: string;
  name: string;
  custom: boolean;
  /** Index of the parent in the plan; absent for a child of the stack. */
  parent?: number;
  /** Index of the explicit provider in the plan; absent for the default provider. */
  provider?: number;
  /** Indices of the resources it depends on (dependsOn and its inputs' sources). */
  dependsOn: number[];
  /** Its inputs as the engine received them, secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** The top-level inputs that were secret, to be sent as secrets again. */
  secretInputs: string[];
  /** The resource options that were set (the engine's defaults left out). */
  options: {
    protect?: boolean;
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    replaceOnChanges?: string[];
    ignoreChanges?: string[];
    additionalSecretOutputs?: string[];
    import?: string;
    customTimeouts?: { create: string; update: string; delete: string };
  };
  /** A component's registered outputs. */
  outputs?: Record<string, unknown>;
}

/** The URN part of a provider reference (`urn::id`). */
function providerUrn(reference: string): string {
  const at = reference.lastIndexOf("::");
  return at < 0 ? reference : reference.slice(0, at);
}

/** Whether `urn` is the stack's own, which the runner registers (never in a capture's plan). */
function isStack(urn: string): boolean {
  return urn.includes("::pulumi:pulumi:Stack::");
}

/** The replay plan of a capture; throws when a registration refers to one that came after it. */
export function replayPlan(resources: readonly CapturedResource[]): ReplayEntry[] {
  const index = new Map<string, number>();
  const refer = (urn: string, what: string, of: CapturedResource): number => {
    const at = index.get(urn);
    if (at === undefined) {
      throw new Error(`${of.type} ${of.name}: its ${what} ${urn} was not registered before it`);
    }
    return at;
  };
  return resources.map((r, i) => {
    const o = r.options;
    const entry: ReplayEntry = {
      type: r.type,
      name: r.name,
      custom: r.custom,
      dependsOn: [
        ...new Set(
          r.dependencies
            .filter((urn) => urn !== r.parent && !isStack(urn))
            .map((urn) => refer(urn, "dependency", r)),
        ),
      ],
      inputs: r.inputs,
      secretInputs: [...new Set(r.secretPaths.map((p) => p.split(/[.[]/)[0]))].filter((k) => k in r.inputs),
      options: {
        ...(o.protect && { protect: true }),
        ...(o.retainOnDelete && { retainOnDelete: true }),
        ...(o.deleteBeforeReplace && { deleteBeforeReplace: true }),
        ...(o.replaceOnChanges.length > 0 && { replaceOnChanges: o.replaceOnChanges }),
        ...(o.ignoreChanges.length > 0 && { ignoreChanges: o.ignoreChanges }),
        ...(o.additionalSecretOutputs.length > 0 && { additionalSecretOutputs: o.additionalSecretOutputs }),
        ...(o.importId !== "" && { import: o.importId }),
        ...(o.customTimeouts !== undefined && { customTimeouts: o.customTimeouts }),
      },
    };
    if (r.parent !== "" && !isStack(r.parent)) {
      entry.parent = refer(r.parent, "parent", r);
    }
    if (r.provider !== "") {
      entry.provider = refer(providerUrn(r.provider), "provider", r);
    }
    if (!r.custom) {
      entry.outputs = r.state;
    }
    index.set(r.urn, i);
    return entry;
  });
}
