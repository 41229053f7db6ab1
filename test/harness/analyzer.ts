/**
 * Runs the policy pack against a captured stack the way the Pulumi engine does during a preview,
 * over the real Analyzer gRPC protocol:
 *
 * 1. starts the pack as the CLI's `pulumi-analyzer-policy` shim does: `node` running
 *    `@pulumi/pulumi/cmd/run-policy-pack <engine-address> .` (the copy in `policy/node_modules`)
 *    with the pack directory as working directory, and reads the port it prints on stdout;
 * 2. `Handshake` (tolerating Unimplemented), `ConfigureStack` (stack, project, organization,
 *    dry run), `GetAnalyzerInfo`, then `Configure` with every policy's config: its schema
 *    defaults, overlaid with the policy-pack config file, as the CLI reconciles them;
 * 3. `Analyze` once per custom resource, in registration order: its inputs, options, URN, name,
 *    type and its provider resource's inputs;
 * 4. `AnalyzeStack` once with every resource: outputs, parent, dependencies, property
 *    dependencies and provider (its request encoded a slice of resources at a time, so a large
 *    stack's few megabytes do not hold off the `Analyze` calls still queued).
 *
 * Properties are marshalled as the engine marshals them for analyzers (KeepUnknowns,
 * KeepSecrets, SkipInternalKeys; no resource or output values): secrets stay secret values,
 * unknowns become the unknown sentinel, resource references become their id (or URN), output
 * values become their value (or the sentinel), keys starting with `__` are dropped.
 *
 * `npm run plan` can reuse `analyzeStack()`.
 */
import { ChildProcess } from "node:child_process";
import { setImmediate as nextTurn } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { BinaryWriter } from "google-protobuf";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PROJECT } from "./constants";
import { CapturedResource, UNKNOWN } from "./engine";
import { POLICY_DIR, spawnPolicyPack } from "./pack-process";

export { POLICY_DIR };

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

/** One diagnostic, as the engine would show it. */
export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  enforcementLevel: EnforcementLevel;
  /** The message as the engine shows it: the policy's description, a newline, the violation. */
  message: string;
  /** The violation alone (the message without the description). */
  detail: string;
  /** The resource at fault ("" for the stack as a whole). */
  urn: string;
  /** Whether it came from `Analyze` (one resource) or `AnalyzeStack`. */
  phase: "resource" | "stack";
}

/** A policy-pack config file (`--policy-pack-config`): policy name -> level, or level plus properties. */
export type PolicyPackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  configSchema: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

const LEVELS: Record<number, EnforcementLevel> = {
  [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
};

/** A policy-pack config the CLI (or, stricter, this harness) refuses: the pack never analyzes. */
export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigError";
  }
}

function levelToProto(level: EnforcementLevel): analyzerPb.EnforcementLevel {
  const found = Object.entries(LEVELS).find(([, l]) => l === level);
  if (!found) {
    throw new PolicyConfigError(`invalid enforcement level "${String(level)}"`);
  }
  return Number(found[0]) as analyzerPb.EnforcementLevel;
}

// ---------------------------------------------------------------------------------------------
// Marshalling, as the engine does for analyzers.

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Marshals one value from the SDK's wire form into the form the engine sends analyzers. */
export function marshalValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => marshalValue(v));
  }
  if (!isObject(value)) {
    return value;
  }
  const sig = value[SIG_KEY];
  if (sig === SECRET_SIG) {
    return { [SIG_KEY]: SECRET_SIG, value: marshalValue(value.value) };
  }
  if (sig === RESOURCE_SIG) {
    // No KeepResources: a reference becomes its id, or its URN when it has none.
    if (value.id === undefined) {
      return value.urn;
    }
    return value.id === "" ? UNKNOWN : value.id;
  }
  if (sig === OUTPUT_SIG) {
    // No KeepOutputValues: an output value becomes its element (or unknown), secret if it was.
    const element = "value" in value ? marshalValue(value.value) : UNKNOWN;
    return value.secret === true ? { [SIG_KEY]: SECRET_SIG, value: element } : element;
  }
  if (typeof sig === "string") {
    return value; // assets and archives pass through
  }
  return marshalProperties(value);
}

/** Marshals a property map: internal keys (`__…`) dropped, values marshalled. */
export function marshalProperties(props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith("__") || value === undefined) {
      continue;
    }
    out[key] = marshalValue(value);
  }
  return out;
}

function isSecretWire(value: unknown): boolean {
  return (
    isObject(value) &&
    (value[SIG_KEY] === SECRET_SIG || (value[SIG_KEY] === OUTPUT_SIG && value.secret === true))
  );
}

/**
 * A resource's outputs for `AnalyzeStack`: its inputs (with their secrecy) plus what the provider
 * computed, with `additionalSecretOutputs` made secret. Components: their registered outputs.
 */
export function outputsOf(resource: CapturedResource): Record<string, unknown> {
  if (!resource.custom) {
    return marshalProperties(resource.state);
  }
  const outputs = marshalProperties(resource.wire);
  for (const [key, value] of Object.entries(resource.state)) {
    if (!(key in outputs) && !key.startsWith("__") && value !== undefined) {
      outputs[key] = value;
    }
  }
  for (const key of resource.options.additionalSecretOutputs) {
    if (key in outputs && !isSecretWire(outputs[key])) {
      outputs[key] = { [SIG_KEY]: SECRET_SIG, value: outputs[key] };
    }
  }
  return outputs;
}

function struct(props: Record<string, unknown>): Struct {
  // Struct holds JSON: an object round-trip drops undefined and keeps nulls, as the engine does.
  return Struct.fromJavaScript(
    JSON.parse(JSON.stringify(props)) as Parameters<typeof Struct.fromJavaScript>[0],
  );
}

/** Go's duration string (`10m`, `1h30m0s`, `45s`) in seconds, as the engine sends custom timeouts. */
export function durationSeconds(text: string): number {
  if (text === "") {
    return 0;
  }
  let total = 0;
  const re = /([0-9.]+)(h|ms|m|s)/g;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(text)) !== null) {
    const n = Number(match[1]);
    total += match[2] === "h" ? n * 3600 : match[2] === "m" ? n * 60 : match[2] === "s" ? n : n / 1000;
    consumed += match[0].length;
  }
  if (consumed !== text.length) {
    throw new Error(`not a duration: "${text}"`);
  }
  return total;
}

function resourceOptions(r: CapturedResource): analyzerPb.AnalyzerResourceOptions {
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setProtect(r.options.protect);
  opts.setIgnorechangesList(r.options.ignoreChanges);
  opts.setDeletebeforereplace(r.options.deleteBeforeReplace);
  opts.setDeletebeforereplacedefined(r.options.deleteBeforeReplace);
  opts.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
  opts.setAliasesList([]);
  const timeouts = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts();
  timeouts.setCreate(durationSeconds(r.options.customTimeouts?.create ?? ""));
  timeouts.setUpdate(durationSeconds(r.options.customTimeouts?.update ?? ""));
  timeouts.setDelete(durationSeconds(r.options.customTimeouts?.delete ?? ""));
  opts.setCustomtimeouts(timeouts);
  opts.setParent(r.parent);
  return opts;
}

/** Each provider as the engine hands it over, built once: every resource of that provider shares it. */
const providerMessages = new WeakMap<CapturedResource, analyzerPb.AnalyzerProviderResource>();

/** The provider resource a provider reference (`<urn>::<id>`) names, as the engine hands it over. */
function providerResource(
  r: CapturedResource,
  byUrn: ReadonlyMap<string, CapturedResource>,
): analyzerPb.AnalyzerProviderResource | undefined {
  if (r.provider === "") {
    return undefined;
  }
  const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
  const provider = byUrn.get(urn);
  if (!provider) {
    throw new Error(`${r.urn}: provider ${r.provider} was never registered`);
  }
  let p = providerMessages.get(provider);
  if (p === undefined) {
    p = new analyzerPb.AnalyzerProviderResource();
    p.setUrn(provider.urn);
    p.setType(provider.type);
    p.setName(provider.name);
    p.setProperties(struct(marshalProperties(provider.wire)));
    providerMessages.set(provider, p);
  }
  return p;
}

/** One resource of `AnalyzeStack`: its outputs, options, provider, parent and dependencies. */
function analyzerResource(
  r: CapturedResource,
  byUrn: ReadonlyMap<string, CapturedResource>,
): analyzerPb.AnalyzerResource {
  const ar = new analyzerPb.AnalyzerResource();
  ar.setUrn(r.urn);
  ar.setType(r.type);
  ar.setName(r.name);
  ar.setProperties(struct(outputsOf(r)));
  ar.setOptions(resourceOptions(r));
  const provider = providerResource(r, byUrn);
  if (provider) {
    ar.setProvider(provider);
  }
  ar.setParent(r.parent);
  ar.setDependenciesList(r.dependencies);
  const deps = ar.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(r.propertyDependencies)) {
    if (urns.length > 0) {
      const pd = new analyzerPb.AnalyzerPropertyDependencies();
      pd.setUrnsList(urns);
      deps.set(key, pd);
    }
  }
  return ar;
}

/** How many resources `encodeAnalyzeStackRequest` encodes between two turns of the event loop. */
export const STACK_REQUEST_SLICE = 100;

/**
 * The `AnalyzeStackRequest` of these resources, encoded: the very bytes the message built whole
 * would serialize to (its one field, `resources = 1`, is each resource encoded as a
 * length-delimited field, in order), encoded `slice` resources at a time with a turn of the
 * event loop between slices, so that other I/O of this process is not held off meanwhile.
 */
export async function encodeAnalyzeStackRequest(
  resources: readonly CapturedResource[],
  slice: number = STACK_REQUEST_SLICE,
): Promise<Uint8Array> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const writer = new BinaryWriter();
  for (let from = 0; from < resources.length; from += slice) {
    if (from > 0) {
      await nextTurn();
    }
    for (const r of resources.slice(from, from + slice)) {
      writer.writeBytes(1, analyzerResource(r, byUrn).serializeBinary());
    }
  }
  return writer.getResultBuffer();
}

// ---------------------------------------------------------------------------------------------
// The pack process and its client.

/** One unary call as a promise. */
function call<Res>(start: (cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((err, res) => (err ? reject(err) : resolve(res)));
  });
}

function toDiagnostics(
  list: analyzerPb.AnalyzeDiagnostic[],
  phase: Diagnostic["phase"],
  urn?: string,
): Diagnostic[] {
  return list.map((d) => ({
    policyName: d.getPolicyname(),
    policyPackName: d.getPolicypackname(),
    policyPackVersion: d.getPolicypackversion(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
    message: d.getMessage(),
    detail: d.getMessage().startsWith(`${d.getDescription()}\n`)
      ? d.getMessage().slice(d.getDescription().length + 1)
      : d.getMessage(),
    // The engine always attributes a resource diagnostic to the resource analyzed.
    urn: urn ?? d.getUrn(),
    phase,
  }));
}

export interface StackIdentity {
  stack: string;
  project?: string;
  organization?: string;
  dryRun?: boolean;
}

/** A running policy pack and a client connected to it. */
export class PolicyPackAnalyzer {
  private policies: PolicyInfo[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: analyzerRpc.AnalyzerClient,
    private readonly stderr: () => string,
  ) {}

  /** Starts the pack in `packDir` as the CLI does and connects to it; `signal` kills it early. */
  static async start(packDir: string = POLICY_DIR, signal?: AbortSignal): Promise<PolicyPackAnalyzer> {
    return PolicyPackAnalyzer.attach(spawnPolicyPack(packDir, signal), packDir);
  }

  /** Connects to a pack process started with `spawnPolicyPack`, once it prints its port. */
  static async attach(child: ChildProcess, packDir: string = POLICY_DIR): Promise<PolicyPackAnalyzer> {
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const onData = (d: Buffer): void => {
        out += d.toString();
        const line = out.split("\n")[0];
        if (out.includes("\n") && /^\d+$/.test(line.trim())) {
          child.stdout!.off("data", onData);
          resolve(Number(line.trim()));
        }
      };
      child.stdout!.on("data", onData);
      child.once("exit", (code) =>
        reject(new Error(`the policy pack exited (${code}) before serving:\n${err}`)),
      );
      child.once("error", reject);
    });
    child.stdout!.resume();
    const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    const analyzer = new PolicyPackAnalyzer(child, client, () => err);
    await analyzer.handshake(packDir);
    return analyzer;
  }

  private async handshake(packDir: string): Promise<void> {
    const req = new analyzerPb.AnalyzerHandshakeRequest();
    req.setEngineAddress("127.0.0.1:0");
    req.setRootDirectory(packDir);
    req.setProgramDirectory(packDir);
    try {
      await call<analyzerPb.AnalyzerHandshakeResponse>((cb) => this.client.handshake(req, cb));
    } catch (e) {
      if ((e as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED) {
        throw e;
      }
    }
  }

  /** `GetAnalyzerInfo`: the pack's name, version and policies. */
  async info(): Promise<{ name: string; version: string; supportsConfig: boolean; policies: PolicyInfo[] }> {
    const info = await call<analyzerPb.AnalyzerInfo>((cb) => this.client.getAnalyzerInfo(new Empty(), cb));
    this.policies = info.getPoliciesList().map((p) => {
      const schema = p.getConfigschema();
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: LEVELS[p.getEnforcementlevel()],
        configSchema: {
          properties: (schema?.getProperties()?.toJavaScript() ?? {}) as Record<
            string,
            Record<string, unknown>
          >,
          required: schema?.getRequiredList() ?? [],
        },
      };
    });
    return {
      name: info.getName(),
      version: info.getVersion(),
      supportsConfig: info.getSupportsconfig(),
      policies: this.policies,
    };
  }

  /** `ConfigureStack`, as the engine sends it before analyzing a stack. */
  async configureStack(id: StackIdentity): Promise<void> {
    const req = new analyzerPb.AnalyzerStackConfigureRequest();
    req.setStack(id.stack);
    req.setProject(id.project ?? PROJECT);
    req.setOrganization(id.organization ?? "organization");
    req.setDryRun(id.dryRun ?? true);
    await call<analyzerPb.AnalyzerStackConfigureResponse>((cb) => this.client.configureStack(req, cb));
  }

  /**
   * `Configure` with every policy's full config, as the CLI reconciles it: the policy's own level
   * and schema defaults, overlaid with `config` (an `all` key sets every level). Validates the
   * properties against the schema the way the CLI refuses a bad config file.
   */
  async configure(config: PolicyPackConfig = {}): Promise<void> {
    if (this.policies.length === 0) {
      await this.info();
    }
    const known = new Set(this.policies.map((p) => p.name));
    for (const [name, given] of Object.entries(config)) {
      if (typeof given !== "string" && !isObject(given)) {
        throw new PolicyConfigError(
          `parsing "${name}": ${JSON.stringify(given)} is not a valid value; must be a string or object`,
        );
      }
      if (name !== "all" && !known.has(name)) {
        // The CLI ignores such an entry; here it is a typo that would silently leave a policy at its defaults.
        throw new PolicyConfigError(`policy-pack config names an unknown policy "${name}"`);
      }
    }
    const all = config.all;
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    for (const policy of this.policies) {
      const given = config[policy.name];
      const entry = typeof given === "string" ? { enforcementLevel: given } : { ...(given ?? {}) };
      const level =
        entry.enforcementLevel ??
        (typeof all === "string" ? all : all?.enforcementLevel) ??
        policy.enforcementLevel;
      delete entry.enforcementLevel;
      const properties: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(policy.configSchema.properties)) {
        if (schema.default !== undefined) {
          properties[key] = schema.default;
        }
      }
      Object.assign(properties, entry);
      validateConfig(policy, properties);
      const pc = new analyzerPb.PolicyConfig();
      pc.setEnforcementlevel(levelToProto(level));
      pc.setProperties(struct(properties));
      req.getPolicyconfigMap().set(policy.name, pc);
    }
    await call<Empty>((cb) => this.client.configure(req, cb));
  }

  /** `Analyze` for every custom resource, then `AnalyzeStack` once; every diagnostic. */
  async analyze(resources: readonly CapturedResource[]): Promise<Diagnostic[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    // The engine analyzes each resource as it registers, many at once; so do these calls.
    const perResource = resources.filter((x) => x.custom).map((r) => this.analyzeResource(r, byUrn));
    const diagnostics: Diagnostic[] = (await Promise.all(perResource)).flat();
    diagnostics.push(...(await this.analyzeStack(resources)));
    return diagnostics;
  }

  /**
   * `Analyze` for one custom resource, with its inputs, as the engine sends it when the resource
   * registers; `byUrn` holds the resources registered so far (its provider among them).
   */
  async analyzeResource(
    r: CapturedResource,
    byUrn: ReadonlyMap<string, CapturedResource>,
  ): Promise<Diagnostic[]> {
    const req = new analyzerPb.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(r.name);
    req.setProperties(struct(marshalProperties(r.wire)));
    req.setOptions(resourceOptions(r));
    const provider = providerResource(r, byUrn);
    if (provider) {
      req.setProvider(provider);
    }
    const res = await call<analyzerPb.AnalyzeResponse>((cb) => this.client.analyze(req, cb));
    return toDiagnostics(res.getDiagnosticsList(), "resource", r.urn);
  }

  /**
   * `AnalyzeStack` once, with every resource's outputs, as the engine sends it at the end. The
   * request, megabytes for a large stack, is encoded by `encodeAnalyzeStackRequest` a slice at a
   * time, so the `Analyze` calls still queued on this connection keep going out meanwhile.
   */
  async analyzeStack(resources: readonly CapturedResource[]): Promise<Diagnostic[]> {
    const request = await encodeAnalyzeStackRequest(resources);
    const method = analyzerRpc.AnalyzerService.analyzeStack;
    const res = await call<analyzerPb.AnalyzeResponse | undefined>((cb) =>
      this.client.makeUnaryRequest(
        method.path,
        (bytes: Uint8Array) => Buffer.from(bytes),
        method.responseDeserialize,
        request,
        cb,
      ),
    );
    if (res === undefined) {
      throw new Error("AnalyzeStack answered with no response");
    }
    return toDiagnostics(res.getDiagnosticsList(), "stack");
  }

  /** Closes the connection and ends the pack process. */
  async close(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
  }

  /** What the pack wrote to stderr so far (for failure messages). */
  get log(): string {
    return this.stderr();
  }
}

function typeOk(value: unknown, type: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case "string":
        return typeof value === "string";
      case "integer":
        return Number.isInteger(value);
      case "number":
        return typeof value === "number";
      case "boolean":
        return typeof value === "boolean";
      case "array":
        return Array.isArray(value);
      case "object":
        return isObject(value);
      case "null":
        return value === null;
      default:
        return true;
    }
  });
}

/** The checks the CLI's JSON-schema validation makes that matter here: types, required keys, waiver reasons. */
function validateConfig(policy: PolicyInfo, properties: Record<string, unknown>): void {
  for (const key of policy.configSchema.required) {
    if (properties[key] === undefined) {
      throw new PolicyConfigError(`${policy.name}: config property "${key}" is required`);
    }
  }
  for (const [key, value] of Object.entries(properties)) {
    const schema = policy.configSchema.properties[key];
    if (!schema) {
      throw new PolicyConfigError(`${policy.name}: unknown config property "${key}"`);
    }
    if (schema.type !== undefined && !typeOk(value, schema.type)) {
      throw new PolicyConfigError(
        `${policy.name}: config property "${key}" must be of type ${JSON.stringify(schema.type)}`,
      );
    }
  }
  for (const [i, w] of ((properties.waivers as unknown[] | undefined) ?? []).entries()) {
    if (
      !isObject(w) ||
      typeof w.resource !== "string" ||
      w.resource === "" ||
      typeof w.reason !== "string" ||
      w.reason.trim() === ""
    ) {
      throw new PolicyConfigError(`${policy.name}: waivers[${i}] needs a resource and a reason`);
    }
  }
}

/**
 * Analyzes one captured stack with the pack: starts it (unless `analyzer` is given, which is then
 * left running), configures it for `stack` with `config`, and returns every diagnostic.
 */
export async function analyzeStack(
  stack: string,
  resources: readonly CapturedResource[],
  config: PolicyPackConfig = {},
  analyzer?: PolicyPackAnalyzer,
): Promise<Diagnostic[]> {
  const pack = analyzer ?? (await PolicyPackAnalyzer.start());
  try {
    await pack.configureStack({ stack });
    await pack.info();
    await pack.configure(config);
    return await pack.analyze(resources);
  } finally {
    if (!analyzer) {
      await pack.close();
    }
  }
}

/** Mandatory diagnostics only (remediate counts as mandatory once analysis still reports it). */
export function mandatory(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.enforcementLevel === "mandatory" || d.enforcementLevel === "remediate");
}

/** One line per diagnostic: `[level] policy  resource: message`. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map(
      (d) =>
        `[${d.enforcementLevel}] ${d.policyName}  ${d.urn.slice(d.urn.lastIndexOf("::") + 2) || "(stack)"}: ${d.detail}`,
    )
    .join("\n");
}
