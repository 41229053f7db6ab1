/**
 * Runs one policy's validation the way the policy SDK's analyzer server does, without a server:
 * properties behind the SDK's unknown-checking proxy, `notApplicable` as an exception, an unknown
 * value turned into a "cannot verify during preview" outcome. Policy modules are imported
 * directly, never `policy/index.ts` (constructing a pack starts a server).
 */
import * as path from "node:path";
import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isUnknownError } from "../../policy/common";

const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

// The proxy module the policies themselves load (policy/node_modules first), so its unknown
// error is the one `isUnknownError` recognises.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy, UnknownValueError } = require(
  require.resolve("@pulumi/policy/proxy", { paths: [POLICY_DIR] }),
) as {
  unknownCheckingProxy<T extends object>(value: T): T;
  UnknownValueError: new (sentinel: string, path: string[]) => Error;
};

/** The error the SDK's proxy throws when a policy reads a value unknown during preview. */
export function unknownValueError(path: string): Error {
  return new UnknownValueError("04da6b54-80e4-46f7-96ec-b56ff0331ba9", path.split("."));
}

/** The engine's sentinel for a value unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const STACK = "test";
export const PROJECT = "onprem-infra";

/**
 * `isType` and `asType` as the SDK's server answers them: a provider SDK's class (or the pack's
 * stand-in for one) carries its type token as `__pulumiType`.
 */
function typeChecks(type: string, props: Record<string, unknown>) {
  const isType = (resourceClass: unknown): boolean =>
    (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType === type;
  return {
    isType,
    asType: (resourceClass: unknown) => (isType(resourceClass) ? props : undefined),
  } as Pick<ResourceValidationArgs, "isType" | "asType">;
}

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

class NotApplicable extends Error {}

/** What one validation produced. */
export interface Outcome {
  violations: string[];
  /** Set when the policy does not apply (type filter, a waiver, …). */
  notApplicable?: string;
  /** Set when a value unknown during preview stopped a rule (the SDK reports it as advisory). */
  unknown?: string;
}

export interface FakeResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
  provider?: { type: string; name: string; props: Record<string, unknown> };
  opts?: Partial<PolicyResourceOptions>;
  /** Property -> names of the resources it came from. */
  propertyDependencies?: Record<string, string[]>;
}

function options(opts: Partial<PolicyResourceOptions> = {}): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    additionalSecretOutputs: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    ...opts,
  };
}

function run<O extends Outcome>(body: () => void, outcome: O): O {
  try {
    body();
  } catch (e) {
    if (e instanceof NotApplicable) {
      outcome.notApplicable = e.message;
    } else if (isUnknownError(e)) {
      outcome.unknown = e.message;
    } else {
      throw e;
    }
  }
  return outcome;
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "not applicable");
};

/** Runs a resource policy on one resource with the given policy config. */
export function checkResource(
  policy: ResourceValidationPolicy,
  resource: FakeResource,
  config: Record<string, unknown> = {},
): Outcome {
  const props = unknownCheckingProxy(structuredClone(resource.props));
  const args: ResourceValidationArgs = {
    type: resource.type,
    props,
    urn: urnOf(resource.type, resource.name),
    name: resource.name,
    opts: options(resource.opts),
    provider: resource.provider && {
      type: resource.provider.type,
      name: resource.provider.name,
      urn: urnOf(resource.provider.type, resource.provider.name),
      props: unknownCheckingProxy(structuredClone(resource.provider.props)),
    },
    stackTags: new Map(),
    ...typeChecks(resource.type, props),
    getConfig: <T extends object>() => structuredClone(config) as T,
    notApplicable,
  };
  const outcome: Outcome = { violations: [] };
  const report: ReportViolation = (message) => {
    outcome.violations.push(message);
  };
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : [policy.validateResource];
  return run(() => {
    for (const validate of validations) {
      void validate?.(args, report);
    }
  }, outcome);
}

/** A violation of a stack policy, with the name of the resource it names. */
export interface StackViolation {
  message: string;
  resource: string;
}

/** Runs a stack policy over the resources; dependencies refer to resources by name. */
export function checkStack(
  policy: StackValidationPolicy,
  resources: FakeResource[],
  config: Record<string, unknown> = {},
): Outcome & { at: StackViolation[] } {
  const built = new Map<string, PolicyResource>();
  for (const r of resources) {
    const props = unknownCheckingProxy(structuredClone(r.props));
    built.set(r.name, {
      type: r.type,
      name: r.name,
      urn: urnOf(r.type, r.name),
      props,
      opts: options(r.opts),
      provider: r.provider && {
        type: r.provider.type,
        name: r.provider.name,
        urn: urnOf(r.provider.type, r.provider.name),
        props: unknownCheckingProxy(structuredClone(r.provider.props)),
      },
      dependencies: [],
      propertyDependencies: {},
      ...typeChecks(r.type, props),
    });
  }
  for (const r of resources) {
    const self = built.get(r.name)!;
    for (const [prop, names] of Object.entries(r.propertyDependencies ?? {})) {
      self.propertyDependencies[prop] = names.map((n) => {
        const dep = built.get(n);
        if (!dep) {
          throw new Error(`fixture: ${r.name}.${prop} depends on unknown resource ${n}`);
        }
        return dep;
      });
      self.dependencies.push(...self.propertyDependencies[prop]);
    }
  }
  const args: StackValidationArgs = {
    resources: [...built.values()],
    stackTags: new Map(),
    getConfig: <T extends object>() => structuredClone(config) as T,
    notApplicable,
  };
  const outcome = { violations: [] as string[], at: [] as StackViolation[] };
  const byUrn = new Map([...built.values()].map((r) => [r.urn, r.name]));
  const report: ReportViolation = (message, urn) => {
    outcome.violations.push(message);
    outcome.at.push({ message, resource: urn === undefined ? "(stack)" : (byUrn.get(urn) ?? urn) });
  };
  return run(() => void policy.validateStack(args, report), outcome);
}

/** A copy of `base` with `path` (dotted, numeric segments index arrays) set to `value`; undefined deletes. */
export function withField<T extends object>(base: T, fieldPath: string, value: unknown): T {
  const copy = structuredClone(base) as Record<string, unknown>;
  const parts = fieldPath.split(".");
  let node: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    if (node[part] === undefined) {
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) {
    if (Array.isArray(node)) {
      node.splice(Number(last), 1);
    } else {
      delete node[last];
    }
  } else {
    node[last] = value;
  }
  return copy as T;
}
