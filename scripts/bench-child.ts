/**
 * One measured figure of `npm run bench` (scripts/bench.ts), run as a child so each is a fresh
 * process. Each measures a process started the way the Pulumi CLI starts it:
 *
 * - `stack <production|staging> [--sites <n>]`: the program's evaluation for the stack, under
 *   `@pulumi/pulumi/cmd/run` started as the CLI's language host starts it (Pulumi.yaml's
 *   `nodeargs`, its loader, the entry point `cmd/run` resolves; test/harness/cli-run.ts), against
 *   the mock providers behind a gRPC engine served from this process; with `--sites`, on a copy of
 *   the stack file grown to that many WordPress sites;
 * - `floor --classes aws.s3.Bucket,docker.Container,...`: the same runner, same arguments and
 *   engine, with a program that only loads the SDK and those provider classes (the SDKs load
 *   their resource modules lazily) and registers nothing (scripts/bench-floor.ts);
 * - `replay <production|staging> [--sites <n>]`: the same runner, arguments and engine, with a
 *   program that registers the very resources the stack's evaluation registers (captured here
 *   by the harness first) and does nothing else (scripts/bench-replay.ts): the registration
 *   floor, what the SDK charges for those resources whatever program registers them;
 * - `pack`: the policy pack's start as the CLI starts it (`cmd/run-policy-pack` in `policy/`,
 *   its JavaScript build; test/harness/pack-process.ts), until it prints its port;
 * - with `--runner harness`, `stack` and `floor` measure this process instead: the evaluation the
 *   tests and `npm run plan` make (test/harness `runStack`: the same entry point and loader, the
 *   mock engine in this process), and a floor that installs the mock engine and the stack's config
 *   and loads the same SDK classes.
 *
 * Prints one JSON line: the milliseconds of the measured process (spawn to exit, or to the port),
 * its peak RSS (KiB) when known, and for `stack` the registrations and the SDK classes they came
 * from (so the floor loads exactly those).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { runUnderCli } from "../test/harness/cli-run";
import { isStackName } from "../test/harness/constants";
import { installMocks, useStack } from "../test/harness/engine";
import { spawnPolicyPack } from "../test/harness/pack-process";
import {
  installConfig,
  readStackValues,
  ROOT,
  runStack,
  runtimeConfig,
  secretsFor,
  StackValues,
} from "../test/harness/stack";
import { writeManySitesStackFile } from "./lib/many-sites";
import { replayPlan } from "./lib/replay";
import { classesOf, loadClasses } from "./lib/sdk-classes";

interface ChildResult {
  mode: string;
  /** Milliseconds of the measured process. */
  ms: number;
  maxRssKiB?: number;
  /** CPU milliseconds (user + system) of the measured process (or, in the harness, of the measured part). */
  cpuMs?: number;
  resources?: number;
  classes?: string[];
}

/** The stack's config as the CLI hands it to the program (placeholders for the secrets). */
function cliConfig(
  stack: string,
  stackFile?: string,
  values: StackValues = readStackValues(stack, stackFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`)),
): { values: Record<string, string>; secretKeys: string[] } {
  const config = runtimeConfig(values, secretsFor(stack, values));
  return { values: config.values, secretKeys: [...config.secretKeys] };
}

/** Removes the grown copy of the stack file, once read. */
function removeCopy(stackFile: string | undefined): void {
  if (stackFile !== undefined) {
    fs.rmSync(stackFile, { force: true });
  }
}

function failed(what: string, run: { exitCode: number | null; stderr: string; logs: string[] }): Error {
  const errors = run.logs.filter((l) => !l.startsWith("0 ")).join("\n");
  return new Error(`${what} exited ${run.exitCode}:\n${run.stderr.slice(-2000)}\n${errors.slice(-2000)}`);
}

/** A running process's CPU time so far (user + system), from /proc; undefined where there is none. */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime (fields 14 and 15 of stat, 12 and 13 after the command), in clock ticks (100/s).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function pack(): Promise<ChildResult> {
  const start = performance.now();
  const child = spawnPolicyPack();
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const ms = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (/^\d+\n/.test(out)) {
        resolve(performance.now() - start);
      }
    });
    child.once("exit", (code) =>
      reject(new Error(`the policy pack exited (${code}) before serving:\n${err}`)),
    );
  });
  const cpuMs = processCpuMs(child.pid);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  return { mode: "pack", ms, cpuMs };
}

async function main(argv: string[]): Promise<ChildResult> {
  const { values: opts, positionals } = parseArgs({
    args: argv,
    options: {
      classes: { type: "string", default: "" },
      sites: { type: "string" },
      runner: { type: "string", default: "cli" },
    },
    allowPositionals: true,
  });
  const [mode, stack = "production"] = positionals;
  if (mode === "pack") {
    return pack();
  }
  if (!isStackName(stack)) {
    throw new Error(`unknown stack "${stack}"`);
  }
  // The engine's side (this process): the mock monitor names resources after the stack.
  await installMocks();
  useStack(stack);
  const sites = opts.sites === undefined ? undefined : Number(opts.sites);
  const stackFile =
    sites === undefined
      ? undefined
      : writeManySitesStackFile(stack, path.join(ROOT, `Pulumi.${stack}.yaml`), sites);
  const label = `${mode} ${stack}${sites === undefined ? "" : ` --sites ${sites}`}`;
  if (opts.runner === "harness" && mode === "replay") {
    throw new Error("the replay is measured under cmd/run only");
  }
  if (opts.runner === "harness") {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const cpuMs = () => {
      const used = process.cpuUsage(cpuStart);
      return (used.user + used.system) / 1000;
    };
    if (mode === "floor") {
      installConfig(readStackValues(stack));
      loadClasses((opts.classes ?? "").split(",").filter((c) => c !== ""));
      return {
        mode: `${label} (harness)`,
        ms: performance.now() - start,
        cpuMs: cpuMs(),
        maxRssKiB: process.resourceUsage().maxRSS,
      };
    }
    const values = readStackValues(stack, stackFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`));
    removeCopy(stackFile);
    const run = await runStack(stack, values);
    return {
      mode: `${label} (harness)`,
      ms: performance.now() - start,
      cpuMs: cpuMs(),
      maxRssKiB: process.resourceUsage().maxRSS,
      resources: run.capture.resources.length,
      classes: classesOf(run.capture.resources),
    };
  }
  if (mode === "floor") {
    const config = cliConfig(stack);
    const run = await runUnderCli(stack, config.values, config.secretKeys, {
      timeoutMs: 900_000,
      program: path.join(ROOT, "scripts", "bench-floor.ts"),
      env: { ONPREM_BENCH_CLASSES: opts.classes ?? "" },
    });
    if (run.exitCode !== 0) {
      throw failed("the floor", run);
    }
    return {
      mode,
      ms: run.ms,
      cpuMs: run.cpuMs,
      maxRssKiB: run.maxRssKiB,
      resources: run.registrations.length,
    };
  }
  if (mode === "replay") {
    const values = readStackValues(stack, stackFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`));
    const config = cliConfig(stack, stackFile, values);
    removeCopy(stackFile);
    const captured = (await runStack(stack, values)).capture.resources;
    const planFile = path.join(os.tmpdir(), `bench-replay-${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(planFile, JSON.stringify(replayPlan(captured)));
    try {
      const run = await runUnderCli(stack, config.values, config.secretKeys, {
        timeoutMs: 900_000,
        program: path.join(ROOT, "scripts", "bench-replay.ts"),
        env: { ONPREM_BENCH_REPLAY: planFile },
      });
      if (run.exitCode !== 0) {
        throw failed(`the replay (${stack})`, run);
      }
      // The replay must register what the program registers: the same types and names.
      const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
      const replayed = run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack").map(key);
      const expected = captured.map(key);
      if (JSON.stringify([...replayed].sort()) !== JSON.stringify([...expected].sort())) {
        throw new Error(`the replay (${stack}) registered other resources than the program`);
      }
      return {
        mode: `${label}`,
        ms: run.ms,
        cpuMs: run.cpuMs,
        maxRssKiB: run.maxRssKiB,
        resources: run.registrations.length,
      };
    } finally {
      fs.rmSync(planFile, { force: true });
    }
  }
  if (mode === "stack") {
    const config = cliConfig(stack, stackFile);
    removeCopy(stackFile);
    const run = await runUnderCli(stack, config.values, config.secretKeys, { timeoutMs: 900_000 });
    if (run.exitCode !== 0) {
      throw failed(`the program (${stack})`, run);
    }
    return {
      mode: label,
      ms: run.ms,
      cpuMs: run.cpuMs,
      maxRssKiB: run.maxRssKiB,
      resources: run.registrations.length,
      classes: classesOf(run.registrations),
    };
  }
  throw new Error(
    "usage: bench-child.ts stack|replay <production|staging> [--sites <n>] | floor [--classes a,b] | pack",
  );
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
