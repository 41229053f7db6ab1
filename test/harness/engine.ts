/**
 * The mock engine every test runs under. `test/setup.ts` installs it once (calling `setMocks`
 * from several spec files would silently replace the monitor); tests then use `capture()` or
 * `runStack()` to evaluate a component or the whole program and read back exactly what was
 * registered: type, name, inputs (with their secrecy), parent, dependencies, property
 * dependencies, provider and resource options, as the engine receives them.
 */
import { createHash } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./constants";

// Pulumi's wire markers for special values inside a registration's object.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export { PROJECT };

/** One registration, as the engine would see it. */
export interface CapturedResource {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  /** The parent's URN, or "" at the top. */
  parent: string;
  /** The provider reference (`urn::id`), or "" for the default provider. */
  provider: string;
  /** URNs this resource depends on (dependsOn and input dependencies). */
  dependencies: string[];
  /** Per input property, the URNs it came from. */
  propertyDependencies: Record<string, string[]>;
  /** Inputs with secrets unwrapped: easy to assert on. */
  inputs: Record<string, unknown>;
  /** Inputs exactly as sent, with Pulumi's secret/resource markers: what the analyzer receives. */
  wire: Record<string, unknown>;
  /** Dotted paths of the inputs that are secret (e.g. `envs`, `result`). */
  secretPaths: string[];
  options: {
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    replaceOnChanges: string[];
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    importId: string;
    customTimeouts?: { create: string; update: string; delete: string };
  };
  /** The outputs the mock returned (for outputs of components: their registered outputs). */
  state: Record<string, unknown>;
}

/**
 * A captured resource made by hand, for the tests of pure functions that read captures (the
 * plan's model and diff): no parent, no provider, every option at the engine's default.
 */
export function fakeResource(
  name: string,
  type: string,
  fields: Partial<Omit<CapturedResource, "options">> & {
    options?: Partial<CapturedResource["options"]>;
  } = {},
): CapturedResource {
  const { options, ...rest } = fields;
  return {
    type,
    name,
    urn: `urn:${name}`,
    custom: true,
    parent: "",
    provider: "",
    dependencies: [],
    propertyDependencies: {},
    inputs: {},
    wire: {},
    secretPaths: [],
    state: {},
    ...rest,
    options: {
      protect: false,
      retainOnDelete: false,
      deleteBeforeReplace: false,
      replaceOnChanges: [],
      ignoreChanges: [],
      additionalSecretOutputs: [],
      importId: "",
      ...options,
    },
  };
}

/**
 * Defines `key` on `target` as an own, enumerable property computed on first read (and settable),
 * so copies (`structuredClone`, JSON) still see it. Returns the getter.
 */
function lazyField<T>(target: object, key: string, compute: () => T): () => T {
  let value: T | undefined;
  let done = false;
  const get = (): T => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value as T;
  };
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get,
    set: (v: T) => {
      value = v;
      done = true;
    },
  });
  return get;
}

/** Decodes wire values: unwraps secrets (recording their paths), resources and output values. */
export function unwire(value: unknown, path: string, secretPaths: string[]): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => unwire(v, `${path}[${i}]`, secretPaths));
  }
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const sig = obj[SIG_KEY];
    if (sig === SECRET_SIG) {
      secretPaths.push(path);
      return unwire(obj.value, path, []);
    }
    if (sig === RESOURCE_SIG) {
      return obj.urn;
    }
    if (sig === OUTPUT_SIG) {
      if (obj.secret === true) {
        secretPaths.push(path);
      }
      return unwire(obj.value, path, []);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      out[k] = unwire(v, path === "" ? k : `${path}.${k}`, secretPaths);
    }
    return out;
  }
  return value;
}

const captured: CapturedResource[] = [];
let inFlight = 0;
let listener: ((resource: CapturedResource) => void) | undefined;

/**
 * A gate that lets callers through a few per turn of the event loop, in the order they came: the
 * promise `next()` returns resolves in a later turn, at most `perTurn` of them in one turn. The
 * registrations of a whole stack arrive within a turn or two; let through all at once, they would
 * run one after another in microtasks and hold off any I/O until the last was answered.
 */
export function turnGate(perTurn: number): () => Promise<void> {
  if (!Number.isInteger(perTurn) || perTurn < 1) {
    throw new RangeError(`perTurn must be a positive integer, got ${perTurn}`);
  }
  const waiting: (() => void)[] = [];
  const release = (): void => {
    for (const pass of waiting.splice(0, perTurn)) {
      pass();
    }
    if (waiting.length > 0) {
      setImmediate(release);
    }
  };
  return () =>
    new Promise<void>((resolve) => {
      if (waiting.push(resolve) === 1) {
        setImmediate(release);
      }
    });
}

/**
 * With a listener, each registration waits for its turn: the in-process engine answers in
 * microtasks, which would hold off the I/O the listener starts (the plan's gRPC calls to the pack)
 * until the whole evaluation ends, where a real engine answers over the network. Four a turn (one
 * to eight measured alike): with 400 sites the pack analyzes about a third of the resources while
 * the rest of the stack is still being evaluated, instead of almost none.
 */
const registrationTurn = turnGate(4);

/**
 * Hands each registration to `fn` as the engine receives it (its inputs and options; its outputs
 * come later), as the engine hands each resource to the policy packs during a preview; `undefined`
 * stops. The plan analyzes each resource this way while the rest of the stack is evaluated.
 */
export function onRegistration(fn: ((resource: CapturedResource) => void) | undefined): void {
  listener = fn;
}

/** A stable fake value derived from a resource's name and the inputs that should change it. */
export function fakeValue(
  seed: string,
  length: number,
  alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789",
): string {
  let out = "";
  let block = createHash("sha256").update(seed).digest();
  while (out.length < length) {
    for (const byte of block) {
      if (out.length < length) {
        out += alphabet[byte % alphabet.length];
      }
    }
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

/** What the mock providers return: inputs plus the computed outputs the program reads. */
function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  const state: Record<string, unknown> = { ...inputs };
  switch (args.type) {
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomBytes:RandomBytes": {
      const length = Number(inputs.length ?? 32);
      const seed = `${args.name}|${JSON.stringify(inputs.keepers ?? {})}`;
      const value = fakeValue(seed, length);
      state.result = value;
      state.base64 = Buffer.from(fakeValue(seed, length)).toString("base64");
      state.hex = Buffer.from(fakeValue(seed, length)).toString("hex");
      break;
    }
    case "docker:index/remoteImage:RemoteImage":
      state.imageId = `sha256:${createHash("sha256").update(String(inputs.name)).digest("hex")}`;
      state.repoDigest = `${String(inputs.name).split(":")[0]}@sha256:${createHash("sha256").update(String(inputs.name)).digest("hex")}`;
      break;
    case "docker:index/image:Image":
      state.imageId = `sha256:${createHash("sha256").update(String(inputs.imageName)).digest("hex")}`;
      state.repoDigest = `${String(inputs.imageName).split(":")[0]}@sha256:${createHash("sha256").update(String(inputs.imageName)).digest("hex")}`;
      break;
    case "docker:index/network:Network":
      state.name = inputs.name ?? args.name;
      break;
    default:
      break;
  }
  if (args.type.startsWith("aws:")) {
    const physical = String(inputs.bucket ?? inputs.name ?? args.name);
    state.arn = state.arn ?? `arn:aws:${args.type.split(":")[1].split("/")[0]}:::${physical}`;
  }
  return state;
}

/** The mock providers every evaluation runs against (also behind cli-run.ts's engine). */
export const mocks: pulumi.runtime.Mocks = {
  newResource: (args) => ({
    id: args.id || `${args.name}-id`,
    state: mockState(args),
  }),
  call: (args) => {
    if (
      args.token === "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken"
    ) {
      return { ...args.inputs, token: fakeValue(`tunnel-token|${JSON.stringify(args.inputs)}`, 120) };
    }
    if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
      return {
        accountId: "123456789012",
        arn: "arn:aws:iam::123456789012:user/test",
        userId: "AIDTEST",
        id: "123456789012",
      };
    }
    if (args.token === "aws:index/getPartition:getPartition") {
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    }
    return args.inputs;
  },
};

/** Installs the mock engine once, with a monitor that records every registration. */
export async function installMocks(): Promise<void> {
  await pulumi.runtime.setMocks(mocks, PROJECT, "production", false);
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, resp: unknown) => void): Promise<void>;
    registerResourceOutputs(
      req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined },
      cb: (err: unknown, resp: unknown) => void,
    ): void;
    newUrn(parent: string, type: string, name: string): string;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = async (req, cb) => {
    inFlight++;
    const object = req.getObject();
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    const timeouts = req.getCustomtimeouts();
    const entry = {
      type: req.getType(),
      name: req.getName(),
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      custom: req.getCustom(),
      parent: req.getParent(),
      provider: req.getProvider(),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      options: {
        protect: req.getProtect() === true,
        retainOnDelete: req.getRetainondelete() === true,
        deleteBeforeReplace: req.getDeletebeforereplace(),
        replaceOnChanges: req.getReplaceonchangesList(),
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        importId: req.getImportid(),
        customTimeouts: timeouts
          ? { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() }
          : undefined,
      },
    } as CapturedResource;
    // Decoding is deferred until a test reads it: most evaluations read a few resources closely.
    const wire = lazyField(entry, "wire", () => (object?.toJavaScript() ?? {}) as Record<string, unknown>);
    let decoded: { inputs: Record<string, unknown>; secretPaths: string[] } | undefined;
    const decode = () => {
      if (!decoded) {
        const secretPaths: string[] = [];
        decoded = { inputs: unwire(wire(), "", secretPaths) as Record<string, unknown>, secretPaths };
      }
      return decoded;
    };
    lazyField(entry, "inputs", () => decode().inputs);
    lazyField(entry, "secretPaths", () => decode().secretPaths);
    let response: { toJavaScript(): Record<string, unknown> } | undefined;
    lazyField(entry, "state", () =>
      response ? (unwire(response.toJavaScript(), "", []) as Record<string, unknown>) : {},
    );
    captured.push(entry);
    try {
      if (listener) {
        listener(entry);
        await registrationTurn();
      }
      await register(req, (err, resp) => {
        response = (
          resp as { getObject?: () => { toJavaScript(): Record<string, unknown> } } | undefined
        )?.getObject?.();
        cb(err, resp);
      });
    } finally {
      inFlight--;
    }
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    const entry = captured.find((r) => r.urn === req.getUrn());
    if (entry) {
      entry.state = unwire(req.getOutputs()?.toJavaScript() ?? {}, "", []) as Record<string, unknown>;
    }
    registerOutputs(req, cb);
  };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): { toJavaScript(): unknown } | undefined;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void;
  };
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getImportid(): string;
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getTransformsList(): unknown[];
}

/** Waits until no registration is in flight for a few consecutive turns of the event loop. */
async function settle(): Promise<void> {
  let quiet = 0;
  while (quiet < 5) {
    await nextTurn();
    quiet = inFlight === 0 ? quiet + 1 : 0;
  }
}

/** Sets the stack name the program sees (`pulumi.getStack()`), without replacing the monitor. */
export function useStack(stack: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const state = require("@pulumi/pulumi/runtime/state") as {
    getStore(): { settings: { options: { stack?: string } } };
  };
  state.getStore().settings.options.stack = stack;
}

/** The result of one evaluation: what was registered, in registration order. */
export class Capture {
  constructor(readonly resources: CapturedResource[]) {}

  /** All resources of a type token, e.g. `docker:index/container:Container`. */
  ofType(type: string): CapturedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource with this name (and type, when given); fails when there is not exactly one. */
  get(name: string, type?: string): CapturedResource {
    const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
    if (found.length !== 1) {
      throw new Error(
        `expected one resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length}`,
      );
    }
    return found[0];
  }

  /** The resource with this URN. */
  byUrn(urn: string): CapturedResource {
    const found = this.resources.find((r) => r.urn === urn);
    if (!found) {
      throw new Error(`no resource with URN ${urn}`);
    }
    return found;
  }

  /** Direct children of a resource. */
  childrenOf(parent: CapturedResource): CapturedResource[] {
    return this.resources.filter((r) => r.parent === parent.urn);
  }

  /** How many direct children of a resource there are of each type. */
  childTypeCounts(parent: CapturedResource): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.childrenOf(parent)) {
      counts[r.type] = (counts[r.type] ?? 0) + 1;
    }
    return counts;
  }

  /** Names of the resources a resource depends on (its `dependencies`), sorted. */
  dependencyNames(resource: CapturedResource): string[] {
    return resource.dependencies.map((urn) => this.byUrn(urn).name).sort();
  }
}

/**
 * Evaluates `body` (which registers resources) and returns everything it registered once all
 * registrations have completed. Runs one evaluation at a time.
 */
export async function capture(body: () => unknown): Promise<Capture> {
  captured.length = 0;
  // Pulumi captures a stack trace for every promise it creates, which is most of an
  // evaluation's cost; none is read unless a promise leaks, so capture none meanwhile.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    await body();
    await settle();
  } finally {
    Error.stackTraceLimit = limit;
  }
  return new Capture([...captured]);
}

/** How many registrations the current (or last) evaluation made so far. */
export function registeredCount(): number {
  return captured.length;
}

/** Resolves an Output (or plain value) to its value and whether it is secret. */
export async function resolve<T>(value: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
  const out = pulumi.output(value);
  const [v, secret] = await Promise.all([
    (out as unknown as { promise(): Promise<T> }).promise(),
    pulumi.isSecret(out),
  ]);
  return { value: v, secret };
}
