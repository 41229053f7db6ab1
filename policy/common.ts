/**
 * Shared machinery of the pack: waivers, config defaults, preview-safe checks and small readers
 * for the shapes the policies look at. No policy lives here.
 *
 * Preview safety: the policy SDK hands every policy its properties behind a proxy that throws the
 * SDK's `UnknownValueError` when a value unknown during preview is read. The SDK turns that error
 * into an *advisory* diagnostic "can't run policy … during preview: <path> can't be known". The
 * pack relies on that, on purpose, and never swallows it: every rule of a policy runs in its own
 * `check`, so one unknown field does not hide a violation in a known one; after all rules ran, the
 * first unknown is rethrown, so the engine always says which policy could not verify what.
 */
import type { Resource } from "@pulumi/pulumi";
import { validateResourceOfType } from "@pulumi/policy";
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/**
 * A stand-in for the provider SDK class of one resource type: SDK-generated classes carry their
 * type token as `__pulumiType`, and `validateResourceOfType` attaches it to the validation, so the
 * policy SDK's server skips the policy for every other type before it deserializes the resource's
 * properties (its "fast check"; otherwise it deserializes them once per policy for every resource).
 * The pack needs no provider SDK for it.
 */
function resourceClassOf(type: string): new (name: string, args: Record<string, unknown>) => Resource {
  return class {
    static readonly __pulumiType = type;
  } as unknown as new (name: string, args: Record<string, unknown>) => Resource;
}

/** The SDK's own proxy module, so a rethrown unknown is recognised by the analyzer server. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkProxy = require("@pulumi/policy/proxy") as {
  UnknownValueError: new (sentinel: string, path: string[]) => Error;
};

/** The engine's sentinels for values unknown during preview (one per value kind). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (the engine sends this one for every kind)
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** Whether `e` is the SDK's "value unknown during preview" error. */
export function isUnknownError(e: unknown): e is Error {
  return e instanceof sdkProxy.UnknownValueError;
}

/**
 * Returns `value`, or throws the SDK's unknown error when it is a raw unknown sentinel. Needed for
 * values the proxy cannot see, e.g. a provider's `defaultTags`, which arrive as a JSON string.
 */
export function known<T>(value: T, path: string): T {
  if (typeof value === "string" && UNKNOWN_SENTINELS.has(value)) {
    throw new sdkProxy.UnknownValueError(value, path.split("."));
  }
  return value;
}

/**
 * Runs every rule; a rule that meets an unknown value stops only itself. Rethrows the first
 * unknown after all rules ran (the SDK reports it as advisory), and any other error at once.
 */
export function runChecks(rules: ReadonlyArray<() => void>): void {
  let firstUnknown: Error | undefined;
  for (const rule of rules) {
    try {
      rule();
    } catch (e) {
      if (!isUnknownError(e)) {
        throw e;
      }
      firstUnknown ??= e;
    }
  }
  if (firstUnknown) {
    throw firstUnknown;
  }
}

/** One exemption: `resource` (a URN or a resource name) is exempt from the policy, because `reason`. */
export interface Waiver {
  resource: string;
  reason: string;
}

/** Config every policy accepts. */
export interface BaseConfig {
  waivers: Waiver[];
}

type JsonSchema = PolicyConfigSchema["properties"][string];

const WAIVERS_SCHEMA: JsonSchema = {
  type: "array",
  description:
    "Resources exempt from this policy: each entry names a resource by URN or by name, and must say why.",
  items: {
    type: "object",
    properties: {
      resource: { type: "string", minLength: 1, description: "The resource's URN or name." },
      reason: { type: "string", minLength: 1, description: "Why the exemption is acceptable." },
    },
    required: ["resource", "reason"],
    additionalProperties: false,
  },
  default: [],
};

/** A config schema with the common `waivers` property added; every property must have a default. */
export function configSchema(properties: Record<string, JsonSchema> = {}): PolicyConfigSchema {
  for (const [key, prop] of Object.entries(properties)) {
    if (typeof prop !== "object" || prop.default === undefined) {
      throw new Error(`config property "${key}" needs a default`);
    }
  }
  return { properties: { ...properties, waivers: WAIVERS_SCHEMA } };
}

/** The defaults of a schema, as an object. */
export function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
    if (typeof prop === "object" && prop.default !== undefined) {
      out[key] = structuredClone(prop.default);
    }
  }
  return out;
}

/** The resource name at the end of a URN (`urn:pulumi:stack::project::type::name`). */
export function nameOfUrn(urn: string): string {
  const at = urn.lastIndexOf("::");
  return at < 0 ? urn : urn.slice(at + 2);
}

/** Whether a waiver with a non-empty reason names this resource. */
export function isWaived(waivers: readonly Waiver[], urn: string, name: string = nameOfUrn(urn)): boolean {
  return waivers.some(
    (w) =>
      typeof w.reason === "string" && w.reason.trim() !== "" && (w.resource === urn || w.resource === name),
  );
}

/** `value` with everything in it made read-only. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) {
      deepFreeze(inner);
    }
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads a policy's config: what the pack was given over the schema's defaults. The defaults are
 * built once per policy, read-only, not once per resource.
 */
function configReader<C extends BaseConfig>(
  schema: PolicyConfigSchema | undefined,
): (getConfig: () => object) => C {
  const defaults = deepFreeze(schemaDefaults(schema));
  return (getConfig) => {
    const given = { ...(getConfig() as Record<string, unknown>) };
    for (const key of Object.keys(given)) {
      if (given[key] === undefined || given[key] === null) {
        delete given[key];
      }
    }
    return { ...defaults, ...given } as unknown as C;
  };
}

/**
 * Reports the policy not applicable to this resource: the SDK's `notApplicable` throws an error
 * its server only reads the reason of, so no stack is captured for it (one per resource and
 * policy that does not apply, the pack's commonest answer).
 */
function notApplicable(args: ResourceValidationArgs, reason: string): never {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return args.notApplicable(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** What a policy definition states about itself. */
interface PolicyMeta {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  /** Extra config properties (each with a default); `waivers` is always added. */
  config?: Record<string, JsonSchema>;
  remediationSteps?: string;
}

/** A policy over single resources of the listed types. */
export interface ResourcePolicySpec<C extends BaseConfig> extends PolicyMeta {
  /** Type tokens the policy applies to, e.g. `docker:index/container:Container`; empty: any type. */
  types: readonly string[];
  /** Narrows further: returns why the policy does not apply to this resource, or undefined. */
  notApplicableReason?: (args: ResourceValidationArgs, config: C) => string | undefined;
  /** The rules; each runs on its own (see `runChecks`). */
  rules: (args: ResourceValidationArgs, config: C, report: (message: string) => void) => Array<() => void>;
}

/** Builds a resource policy: type filter, config defaults, waivers, preview-safe rules. */
export function resourcePolicy<C extends BaseConfig>(spec: ResourcePolicySpec<C>): ResourceValidationPolicy {
  const schema = configSchema(spec.config);
  const readConfig = configReader<C>(schema);
  const validate = (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
    if (spec.types.length > 0 && !spec.types.includes(args.type)) {
      notApplicable(args, `applies to ${spec.types.join(", ")}`);
    }
    const config = readConfig(() => args.getConfig<object>());
    const reason = spec.notApplicableReason?.(args, config);
    if (reason !== undefined) {
      notApplicable(args, reason);
    }
    if (isWaived(config.waivers, args.urn, args.name)) {
      notApplicable(args, `waived for ${args.name}`);
    }
    runChecks(spec.rules(args, config, (message) => reportViolation(message)));
  };
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: spec.enforcementLevel,
    configSchema: schema,
    remediationSteps: spec.remediationSteps,
    validateResource:
      spec.types.length === 1
        ? validateResourceOfType(resourceClassOf(spec.types[0]), (_props, args, report) =>
            validate(args, report),
          )
        : validate,
  };
}

/** A policy over the whole stack (joins resources). */
export interface StackPolicySpec<C extends BaseConfig> extends PolicyMeta {
  /**
   * Returns one rule per thing to check; `report(message, urn)` names the resource at fault.
   * Violations against a waived resource are dropped.
   */
  rules: (
    args: StackValidationArgs,
    config: C,
    report: (message: string, urn: string) => void,
  ) => Array<() => void>;
}

export function stackPolicy<C extends BaseConfig>(spec: StackPolicySpec<C>): StackValidationPolicy {
  const schema = configSchema(spec.config);
  const readConfig = configReader<C>(schema);
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: spec.enforcementLevel,
    configSchema: schema,
    remediationSteps: spec.remediationSteps,
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const config = readConfig(() => args.getConfig<object>());
      const report = (message: string, urn: string): void => {
        if (!isWaived(config.waivers, urn)) {
          reportViolation(message, urn);
        }
      };
      runChecks(spec.rules(args, config, report));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Readers

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Reads a property that a provider may hand over as JSON text (provider config does). */
export function jsonValue(value: unknown, path: string): unknown {
  const v = known(value, path);
  if (typeof v === "string") {
    const trimmed = v.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return JSON.parse(trimmed) as unknown;
      } catch {
        return v;
      }
    }
  }
  return v;
}

/** A string-to-string map from a property (tags, labels given as a map, env maps). */
export function stringMap(value: unknown, path: string): Record<string, string> {
  const v = jsonValue(value, path);
  const out: Record<string, string> = {};
  if (isRecord(v)) {
    for (const [k, item] of Object.entries(v)) {
      if (item !== undefined && item !== null) {
        out[k] = String(known(item, `${path}.${k}`));
      }
    }
  }
  return out;
}

/** An array property, or `[]` when absent. */
export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Resources of a stack whose type is one of `types`. */
export function ofTypes(resources: readonly PolicyResource[], types: readonly string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

/**
 * Whether `dependent.props[property]` comes from `target`: by its property dependencies when it
 * has any, else by value (a literal name), so an unknown-during-preview name is read only then.
 */
export function refersTo(
  dependent: PolicyResource,
  property: string,
  target: PolicyResource,
  targetValues: () => readonly unknown[],
): boolean {
  const deps = dependent.propertyDependencies[property] ?? [];
  if (deps.length > 0) {
    return deps.some((d) => d.urn === target.urn);
  }
  // No recorded dependency (e.g. a literal bucket name): compare values, read only now.
  const value: unknown = dependent.props[property];
  return value !== undefined && targetValues().some((t) => t !== undefined && t === value);
}

/** Glob match in IAM's style: `*` any run, `?` one character, case-insensitive. */
export function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i").test(value);
}

// ---------------------------------------------------------------------------------------------
// Adoption (phase adopt of the backups; policy/adoption.ts)

/** The `ManagedBy` tag of resources adopted as they are (the default of `adoptingManagedBy`). */
export const ADOPTING_MANAGED_BY = "Terraform";

/** The config property the phase-aware policies share. */
export const ADOPTING_MANAGED_BY_SCHEMA: JsonSchema = {
  type: "string",
  default: ADOPTING_MANAGED_BY,
  description:
    "The ManagedBy default tag of an AWS provider whose resources are adopted as they are (phase adopt); empty: no adoption.",
};

/** The default tags of a provider's inputs (sent as JSON text). */
export function providerDefaultTags(
  providerProps: Record<string, unknown> | undefined,
): Record<string, string> {
  if (providerProps === undefined) {
    return {};
  }
  const defaultTags = jsonValue(providerProps.defaultTags, "provider.defaultTags");
  return isRecord(defaultTags) ? stringMap(defaultTags.tags, "provider.defaultTags.tags") : {};
}

/** Whether a resource is adopted as it is: its provider's default `ManagedBy` tag is `managedBy`. */
export function isAdopted(
  provider: { props: Record<string, unknown> } | undefined,
  managedBy: string,
): boolean {
  return managedBy !== "" && providerDefaultTags(provider?.props).ManagedBy === managedBy;
}
