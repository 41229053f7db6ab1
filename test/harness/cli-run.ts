/**
 * Runs the program under the real `@pulumi/pulumi/cmd/run`, started as the Pulumi CLI's Node.js
 * language host starts it for `pulumi preview`: `node <nodeargs from Pulumi.yaml> <cmd/run>
 * --monitor … --engine … --organization … --project … --root-directory … --stack … --pwd <project>
 * --dry-run --parallel … .` in the project directory, with the stack's config in PULUMI_CONFIG and
 * PULUMI_CONFIG_SECRET_KEYS, and PULUMI_NODEJS_TYPESCRIPT=true only when Pulumi.yaml asks for
 * TypeScript. The engine side is a gRPC server here: the resource monitor answers with the mock
 * providers every suite uses (engine.ts `mocks`, through the SDK's own MockMonitor), and records
 * each registration. A probe, required after the loader, lists the modules the process loaded, so
 * a test can tell whether the TypeScript compiler or ts-node ever came in.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as resourceRpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { cliProgram } from "./cli-program";
import { mocks, PROJECT, useStack } from "./engine";

const PROBE = path.join(__dirname, "module-probe.js");

/** One registration as the engine received it. */
export interface CliRegistration {
  type: string;
  name: string;
  parent: string;
  custom: boolean;
}

export interface CliRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** What the engine's `Log` received, `<severity> <message>`. */
  logs: string[];
  registrations: CliRegistration[];
  /** Every CommonJS module file the program's process loaded, with the module that loaded it first. */
  modules: { file: string; parent?: string }[];
  /** The program process's peak resident set, KiB (from the probe). */
  maxRssKiB?: number;
  /** The program process's CPU time (user + system), milliseconds (from the probe). */
  cpuMs?: number;
  /** Milliseconds from spawning the program's process to its exit. */
  ms: number;
  /** The command line, after `node`. */
  args: string[];
}

export interface CliRunOptions {
  /** The program argument instead of `.` (the bench's floor runs a program that registers nothing). */
  program?: string;
  /** More environment for the program's process. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

type Handler = (request: unknown) => unknown;

/** A service whose every method answers through `handle`, or with an empty response. */
function service(
  definition: grpc.ServiceDefinition,
  handlers: Record<string, Handler>,
): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, def] of Object.entries(definition)) {
    const responseType = (def as unknown as { responseType: new () => unknown }).responseType;
    impl[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      Promise.resolve()
        .then(() => handlers[method]?.(call.request))
        .then(
          (response) => {
            const usable =
              response !== undefined &&
              typeof (response as { serializeBinary?: unknown }).serializeBinary === "function";
            callback(null, usable ? response : new responseType());
          },
          (err: unknown) => callback({ code: grpc.status.UNKNOWN, details: String(err) }),
        );
    };
  }
  return impl;
}

/** Calls a MockMonitor method (callback style) as a promise. */
function viaMock(monitor: MockMonitor, method: string): Handler {
  return (request) =>
    new Promise((resolve, reject) => {
      const fn = (
        monitor as unknown as Record<string, (req: unknown, cb: (err: unknown, res: unknown) => void) => void>
      )[method];
      fn.call(monitor, request, (err, res) => (err ? reject(err) : resolve(res)));
    });
}

/**
 * Runs the program for `stack` under `cmd/run` as the CLI does, with `config` (full keys to the
 * strings the CLI hands over) and the keys among them that are secret; resolves once it exits.
 */
export async function runUnderCli(
  stack: string,
  config: Record<string, string>,
  secretKeys: readonly string[],
  options: CliRunOptions = {},
): Promise<CliRun> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const program = cliProgram();
  // The mock monitor below names each resource's URN after this process's stack setting.
  useStack(stack);
  const registrations: CliRegistration[] = [];
  const logs: string[] = [];
  let rootUrn = "";
  const monitor = new MockMonitor(mocks);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });
  server.addService(resourceRpc.ResourceMonitorService, {
    ...service(resourceRpc.ResourceMonitorService, {
      getDeploymentInfo: viaMock(monitor, "getDeploymentInfo"),
      invoke: viaMock(monitor, "invoke"),
      readResource: viaMock(monitor, "readResource"),
      existsResource: viaMock(monitor, "existsResource"),
      registerResource: (request) => {
        const req = request as resourcePb.RegisterResourceRequest;
        registrations.push({
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          custom: req.getCustom(),
        });
        return viaMock(monitor, "registerResource")(request);
      },
      registerResourceOutputs: viaMock(monitor, "registerResourceOutputs"),
      registerPackage: viaMock(monitor, "registerPackage"),
      supportsFeature: (request) => {
        // As the mock monitor: every feature but output values (so inputs arrive as plain values).
        const res = new resourcePb.SupportsFeatureResponse();
        res.setHassupport((request as resourcePb.SupportsFeatureRequest).getId() !== "outputValues");
        return res;
      },
    }),
  });
  server.addService(
    engineRpc.EngineService,
    service(engineRpc.EngineService, {
      log: (request) => {
        const req = request as enginePb.LogRequest;
        logs.push(`${req.getSeverity()} ${req.getMessage()}`);
      },
      getRootResource: () => {
        const res = new enginePb.GetRootResourceResponse();
        res.setUrn(rootUrn);
        return res;
      },
      setRootResource: (request) => {
        rootUrn = (request as enginePb.SetRootResourceRequest).getUrn();
        return new enginePb.SetRootResourceResponse();
      },
    }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const probeOut = path.join(os.tmpdir(), `cli-run-${process.pid}-${Date.now()}.json`);
  // The language host resolves the runner from the program's directory.
  const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [program.root] });
  const args = [
    ...program.nodeArgs,
    "--require",
    PROBE,
    runPath,
    ...["--monitor", address, "--engine", address, "--organization", "organization", "--project", PROJECT],
    ...[
      "--root-directory",
      program.root,
      "--stack",
      stack,
      "--pwd",
      program.root,
      "--dry-run",
      "--parallel",
      "4",
    ],
    options.program ?? ".",
  ];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("PULUMI_")) {
      delete env[key];
    }
  }
  Object.assign(env, {
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
    ONPREM_MODULE_PROBE: probeOut,
    ...options.env,
  });
  if (program.typescript) {
    env.PULUMI_NODEJS_TYPESCRIPT = "true";
  }
  try {
    const start = performance.now();
    const { exitCode, stdout, stderr } = await new Promise<{
      exitCode: number | null;
      stdout: string;
      stderr: string;
    }>((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: program.root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        timeout: timeoutMs,
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ exitCode: code, stdout: out, stderr: err }));
    });
    const ms = performance.now() - start;
    const probe = fs.existsSync(probeOut)
      ? (JSON.parse(fs.readFileSync(probeOut, "utf8")) as {
          modules: CliRun["modules"];
          maxRssKiB: number;
          cpuMs: number;
        })
      : { modules: [], maxRssKiB: undefined, cpuMs: undefined };
    return {
      exitCode,
      stdout,
      stderr,
      logs,
      registrations,
      modules: probe.modules,
      maxRssKiB: probe.maxRssKiB,
      cpuMs: probe.cpuMs,
      ms,
      args,
    };
  } finally {
    fs.rmSync(probeOut, { force: true });
    server.forceShutdown();
  }
}
