/**
 * `npm run bench [-- --repeat <n>] [--sites <n>] [--skip-test]`
 *
 * Measures, in one run on this machine, each figure as a fresh process started the way the Pulumi
 * CLI starts it (scripts/bench-child.ts; what each figure is: docs/benchmarks.md):
 *
 * - the floor: `@pulumi/pulumi/cmd/run` started as the CLI's language host starts it (Pulumi.yaml's
 *   `nodeargs`, its loader), running a program that loads the SDK and the provider SDK classes the
 *   program uses and registers nothing;
 * - each stack's replay: under that same runner, a program with no logic of its own that
 *   registers the very resources the stack's evaluation registers (scripts/bench-replay.ts), the
 *   registration floor: what the SDK charges for those resources, whoever registers them;
 * - each stack's evaluation, the program under that same runner against the mock providers, in
 *   turns with the floor and the replay; the program's own cost is the median over the turns of an
 *   evaluation minus the replay of its turn, and the SDK's registration cost the replay minus the
 *   floor (in the harness, which has no replay, the evaluation minus the floor);
 * - the policy pack's start as the CLI starts it (`cmd/run-policy-pack`, its JavaScript build),
 *   until it serves;
 * - `npm run plan -- --stack <stack>` end to end;
 * - with `--sites <n>` (default 400; 0 skips it), the production stack grown to n WordPress sites:
 *   its evaluation and its plan, per resource, beside the same figures for the stack as it is
 *   (at most 3 runs each: they take ten times as long);
 * - the whole `npm test` (unless `--skip-test`).
 *
 * Times are of the measured process (spawn to exit, or to serving), medians of `--repeat` runs;
 * peak RSS is that process's own. Prints a table with the ratios against the targets and a
 * Markdown copy for docs/benchmarks.md. It asserts nothing and fails only when a measured command
 * fails: timings belong here, never in a test.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, STACKS } from "../test/harness/stack";
import { writeManySitesStackFile } from "./lib/many-sites";

const TIME = "/usr/bin/time";
const NODE_TS = ["--require", path.join(ROOT, "register.js")];
const CHILD = path.join("scripts", "bench-child.ts");

export const TARGETS = {
  programCostSeconds: 0.5,
  packStartSeconds: 1,
  planSeconds: 3,
  msPerResource: 5,
  testSeconds: 60,
} as const;

interface Sample {
  seconds: number;
  /** Peak resident set of the largest process, MiB; undefined when not measurable. */
  peakMiB?: number;
  /** CPU seconds (user + system) of the measured process(es); undefined when not measurable. */
  cpuSeconds?: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs one command as a child process, timed from here. */
function measure(command: string, args: string[]): Promise<Sample> {
  const hasTime = fs.existsSync(TIME);
  const rssFile = path.join(os.tmpdir(), `bench-${process.pid}-${Date.now()}-${Math.random()}.rss`);
  const [cmd, argv] = hasTime ? [TIME, ["-f", "%M %U %S", "-o", rssFile, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - start) / 1000;
      let peakMiB: number | undefined;
      let cpuSeconds: number | undefined;
      if (hasTime && fs.existsSync(rssFile)) {
        const m = /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(fs.readFileSync(rssFile, "utf8"));
        peakMiB = m ? Number(m[1]) / 1024 : undefined;
        cpuSeconds = m ? Number(m[2]) + Number(m[3]) : undefined;
        fs.rmSync(rssFile, { force: true });
      }
      resolve({ seconds, peakMiB, cpuSeconds, exitCode: code ?? 1, stdout, stderr });
    });
  });
}

interface ChildReport {
  ms: number;
  cpuMs?: number;
  maxRssKiB?: number;
  resources?: number;
  classes?: string[];
}

function childReport(sample: Sample, what: string): ChildReport {
  const line = sample.stdout.trim().split("\n").pop() ?? "";
  if (sample.exitCode !== 0 || !line.startsWith("{")) {
    throw new Error(`${what} failed (exit ${sample.exitCode}):\n${sample.stderr.slice(-2000)}`);
  }
  return JSON.parse(line) as ChildReport;
}

/** A sample whose time and peak RSS are the measured process's own, as its bench child reports them. */
function asMeasured(sample: Sample, what: string): Sample {
  const report = childReport(sample, what);
  return {
    ...sample,
    seconds: report.ms / 1000,
    peakMiB: report.maxRssKiB !== undefined ? report.maxRssKiB / 1024 : undefined,
    cpuSeconds: report.cpuMs !== undefined ? report.cpuMs / 1000 : undefined,
  };
}

interface Figure {
  name: string;
  samples: Sample[];
  /** Median seconds. */
  seconds: number;
  /** Peak RSS MiB (max over samples). */
  peakMiB?: number;
  /** Median CPU seconds. */
  cpuSeconds?: number;
  target?: string;
  /** measured / target. */
  ratio?: number;
  note?: string;
  exitCode: number;
}

/** The median of per-turn CPU differences (samples[i] − floor[i]), when every sample has its CPU time. */
function cpuCost(samples: readonly Sample[], floor: readonly Sample[]): number | undefined {
  const diffs = samples.map((s, i) =>
    s.cpuSeconds !== undefined && floor[i]?.cpuSeconds !== undefined
      ? s.cpuSeconds - floor[i].cpuSeconds
      : NaN,
  );
  return diffs.length > 0 && diffs.every((d) => Number.isFinite(d)) ? median(diffs) : undefined;
}

/** Per-turn differences of two series of samples: their median, CPU median and range. */
interface Difference {
  seconds: number;
  cpuSeconds?: number;
  min: number;
  max: number;
  /** Resources of the measured evaluation, for the per-resource note. */
  count: number;
}

function difference(samples: readonly Sample[], base: readonly Sample[], count: number): Difference {
  const perTurn = samples.map((s, i) => s.seconds - base[i].seconds);
  return {
    seconds: median(perTurn),
    cpuSeconds: cpuCost(samples, base),
    min: Math.min(...perTurn),
    max: Math.max(...perTurn),
    count,
  };
}

/** A derived row: a difference, with its per-turn range and its cost per resource. */
function costFigure(name: string, d: Difference, extra: Partial<Figure> = {}): Figure {
  const perResource = (d.seconds * 1000) / (d.count || 1);
  const cpu =
    d.cpuSeconds === undefined
      ? ""
      : `; CPU ${((d.cpuSeconds * 1000) / (d.count || 1)).toFixed(1)} ms/resource`;
  return {
    name,
    samples: [],
    seconds: d.seconds,
    cpuSeconds: d.cpuSeconds,
    exitCode: 0,
    note: `per turn ${d.min.toFixed(2)}–${d.max.toFixed(2)} s; ${perResource.toFixed(1)} ms/resource${cpu}`,
    ...extra,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function figure(name: string, samples: Sample[], extra: Partial<Figure> = {}): Figure {
  const peaks = samples.map((s) => s.peakMiB).filter((p): p is number => p !== undefined);
  const cpus = samples.map((s) => s.cpuSeconds).filter((c): c is number => c !== undefined);
  return {
    name,
    samples,
    seconds: median(samples.map((s) => s.seconds)),
    peakMiB: peaks.length > 0 ? Math.max(...peaks) : undefined,
    cpuSeconds: cpus.length === samples.length && cpus.length > 0 ? median(cpus) : undefined,
    exitCode: Math.max(...samples.map((s) => s.exitCode)),
    ...extra,
  };
}

async function repeat(n: number, command: string, args: string[]): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    samples.push(await measure(command, args));
  }
  return samples;
}

function fmt(seconds: number): string {
  return `${seconds.toFixed(2)} s`;
}

function range(f: Figure): string {
  if (f.samples.length < 2) {
    return "";
  }
  const s = f.samples.map((x) => x.seconds);
  return `${Math.min(...s).toFixed(2)}–${Math.max(...s).toFixed(2)}`;
}

function rows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    f.name,
    fmt(f.seconds),
    range(f),
    f.cpuSeconds !== undefined ? fmt(f.cpuSeconds) : "",
    f.peakMiB !== undefined ? `${f.peakMiB.toFixed(0)} MiB` : "n/a",
    f.target ?? "",
    f.ratio !== undefined ? `${(f.ratio * 100).toFixed(0)}%${f.ratio < 1 ? " ok" : " OVER"}` : "",
    f.exitCode === 0 ? (f.note ?? "") : `exit ${f.exitCode}${f.note ? `; ${f.note}` : ""}`,
  ]);
}

const HEADER = ["measurement", "median", "range", "CPU", "peak RSS", "target", "of target", "note"];

function textTable(body: string[][]): string {
  const all = [HEADER, ...body];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function markdownTable(body: string[][]): string {
  return [
    `| ${HEADER.join(" | ")} |`,
    `|${HEADER.map(() => "---").join("|")}|`,
    ...body.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

async function main(): Promise<number> {
  const { values: opts } = parseArgs({
    args: process.argv.slice(2),
    options: {
      repeat: { type: "string", default: "5" },
      sites: { type: "string", default: "400" },
      "skip-test": { type: "boolean", default: false },
    },
  });
  const n = Math.max(1, Number(opts.repeat) || 5);
  const sites = Math.max(0, Number(opts.sites) || 0);
  const node = process.execPath;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const startLoad = load();
  log(`bench: ${os.cpus().length} CPUs, node ${process.version}, load ${startLoad}, ${n} runs per figure`);
  const child = (args: string[]) => measure(node, [...NODE_TS, CHILD, ...args]);

  // Which SDK classes the program uses: from one evaluation, so the floor loads the same.
  log("bench: warm-up evaluations (not counted)");
  const classes = new Set<string>();
  const resources = new Map<string, number>();
  for (const stack of STACKS) {
    const warm = childReport(await child(["stack", stack]), `evaluate ${stack}`);
    warm.classes?.forEach((c) => classes.add(c));
    resources.set(stack, warm.resources ?? 0);
  }
  const floorArgs = ["floor", "--classes", [...classes].sort().join(",")];

  // The floor and the evaluations take turns, so a drift in the machine's load weighs on all
  // of them alike instead of on whichever ran last; each evaluation is set against the floor of
  // its own turn. Under cmd/run (what `pulumi preview` runs), then in the harness (what the tests
  // and `npm run plan` run).
  const figures: Figure[] = [];
  const costs = new Map<string, number>();
  const runners = [
    {
      runner: "cli",
      what: "under cmd/run",
      floorName: "floor: cmd/run as the CLI starts it, the SDK classes used; no resources",
    },
    {
      runner: "harness",
      what: "in the harness",
      floorName: "floor: the harness's mock engine, stack config, the SDK classes used",
    },
  ] as const;
  for (const { runner, what, floorName } of runners) {
    // Under cmd/run, each turn also replays each stack's registrations with no program logic
    // (the registration floor): what the SDK charges for those resources, whoever registers them.
    const replays = runner === "cli";
    log(
      `bench: the floor${replays ? ", each stack's replay" : ""} and each stack's evaluation ${what}, in turns`,
    );
    const floorSamples: Sample[] = [];
    const stackSamples = new Map<string, Sample[]>(STACKS.map((s) => [s, []]));
    const replaySamples = new Map<string, Sample[]>(STACKS.map((s) => [s, []]));
    for (let i = 0; i < n; i++) {
      floorSamples.push(asMeasured(await child([...floorArgs, "--runner", runner]), "floor"));
      for (const stack of STACKS) {
        if (replays) {
          replaySamples.get(stack)?.push(asMeasured(await child(["replay", stack]), `replay ${stack}`));
        }
        const sample = await child(["stack", stack, "--runner", runner]);
        stackSamples.get(stack)?.push(asMeasured(sample, `evaluate ${stack}`));
      }
    }
    figures.push(figure(floorName, floorSamples));
    for (const stack of STACKS) {
      const samples = stackSamples.get(stack) ?? [];
      const count = resources.get(stack) ?? 0;
      figures.push(figure(`evaluate ${stack} ${what} (${count} resources)`, samples));
      if (!replays) {
        const own = difference(samples, floorSamples, count);
        costs.set(`${runner} ${stack}`, own.seconds);
        figures.push(
          costFigure(`  program's own cost, ${stack} ${what} (evaluate − floor, per turn)`, own, {
            target: `< ${TARGETS.programCostSeconds} s`,
            ratio: own.seconds / TARGETS.programCostSeconds,
          }),
        );
        continue;
      }
      const replayed = replaySamples.get(stack) ?? [];
      const own = difference(samples, replayed, count);
      const sdk = difference(replayed, floorSamples, count);
      const all = difference(samples, floorSamples, count);
      costs.set(`${runner} ${stack}`, own.seconds);
      figures.push(
        figure(`replay ${stack} ${what}: the same registrations, no program logic`, replayed),
        costFigure(`  program's own cost, ${stack} ${what} (evaluate − replay, per turn)`, own, {
          target: `< ${TARGETS.programCostSeconds} s`,
          ratio: own.seconds / TARGETS.programCostSeconds,
        }),
        costFigure(`  the SDK's registration cost, ${stack} ${what} (replay − floor, per turn)`, sdk),
        costFigure(`  evaluate − floor, ${stack} ${what} (the two above together)`, all),
      );
    }
  }

  log("bench: the policy pack's start as the CLI starts it");
  const packSamples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    packSamples.push(asMeasured(await child(["pack"]), "policy pack start"));
  }
  const pack = figure(
    "policy pack start: cmd/run-policy-pack, its JavaScript build, until it serves",
    packSamples,
  );
  figures.push({
    ...pack,
    target: `< ${TARGETS.packStartSeconds} s`,
    ratio: pack.seconds / TARGETS.packStartSeconds,
  });

  for (const stack of STACKS) {
    log(`bench: npm run plan -- --stack ${stack}`);
    const samples = await repeat(n, "npm", ["run", "-s", "plan", "--", "--stack", stack]);
    const f = figure(`npm run plan -- --stack ${stack}`, samples);
    figures.push({ ...f, target: `< ${TARGETS.planSeconds} s`, ratio: f.seconds / TARGETS.planSeconds });
  }

  if (sites > 0) {
    let bigCount = 0;
    // The grown stack takes ten times as long: at most 3 runs of each of its figures.
    const bigRuns = Math.min(n, 3);
    for (const { runner, what } of runners) {
      const replays = runner === "cli";
      log(`bench: production grown to ${sites} sites: evaluation ${what}, in turns with the floor`);
      const bigSamples: Sample[] = [];
      const bigFloor: Sample[] = [];
      const bigReplay: Sample[] = [];
      const grown = ["production", "--sites", String(sites)];
      let bigResources = 0;
      for (let i = 0; i < bigRuns; i++) {
        bigFloor.push(asMeasured(await child([...floorArgs, "--runner", runner]), "floor"));
        if (replays) {
          bigReplay.push(asMeasured(await child(["replay", ...grown]), `replay production --sites ${sites}`));
        }
        const sample = await child(["stack", ...grown, "--runner", runner]);
        bigResources = childReport(sample, `evaluate production --sites ${sites}`).resources ?? 0;
        bigSamples.push(asMeasured(sample, `evaluate production --sites ${sites}`));
      }
      bigCount = bigResources;
      const own = difference(bigSamples, replays ? bigReplay : bigFloor, bigResources);
      const perResource = (own.seconds * 1000) / bigResources;
      const basePerResource =
        ((costs.get(`${runner} production`) ?? 0) * 1000) / (resources.get("production") || 1);
      const target = {
        target: `< ${TARGETS.msPerResource} ms/resource`,
        ratio: perResource / TARGETS.msPerResource,
      };
      figures.push(
        figure(`evaluate production with ${sites} sites ${what} (${bigResources} resources)`, bigSamples),
      );
      if (!replays) {
        const row = costFigure(`  program's own cost with ${sites} sites ${what}, per resource`, own, target);
        figures.push({
          ...row,
          note: `${row.note ?? ""} (the stack as it is: ${basePerResource.toFixed(1)})`,
        });
        continue;
      }
      const row = costFigure(
        `  program's own cost with ${sites} sites ${what} (evaluate − replay), per resource`,
        own,
        target,
      );
      figures.push(
        figure(
          `replay production with ${sites} sites ${what}: the same registrations, no program logic`,
          bigReplay,
        ),
        { ...row, note: `${row.note ?? ""} (the stack as it is: ${basePerResource.toFixed(1)})` },
        costFigure(
          `  the SDK's registration cost with ${sites} sites ${what} (replay − floor)`,
          difference(bigReplay, bigFloor, bigResources),
        ),
        costFigure(
          `  evaluate − floor with ${sites} sites ${what} (the two above together)`,
          difference(bigSamples, bigFloor, bigResources),
        ),
      );
    }
    log(`bench: npm run plan, production grown to ${sites} sites`);
    const stackFile = writeManySitesStackFile("production", path.join(ROOT, "Pulumi.production.yaml"), sites);
    try {
      const planSamples = await repeat(bigRuns, "npm", [
        ...["run", "-s", "plan", "--", "--stack", "production", "--stack-file", stackFile],
      ]);
      const plan = figure(`npm run plan, production with ${sites} sites`, planSamples);
      const planPerResource = (plan.seconds * 1000) / bigCount;
      const planBase = figures.find((f) => f.name === "npm run plan -- --stack production");
      const planBasePerResource = ((planBase?.seconds ?? 0) * 1000) / (resources.get("production") || 1);
      figures.push({
        ...plan,
        target: `< ${TARGETS.msPerResource} ms/resource`,
        ratio: planPerResource / TARGETS.msPerResource,
        note: `${planPerResource.toFixed(1)} ms/resource (the stack as it is: ${planBasePerResource.toFixed(1)}; marginal: ${(((plan.seconds - (planBase?.seconds ?? 0)) * 1000) / Math.max(1, bigCount - (resources.get("production") ?? 0))).toFixed(1)})`,
      });
    } finally {
      fs.rmSync(stackFile, { force: true });
    }
  }

  if (!opts["skip-test"]) {
    log("bench: npm test (once)");
    const samples = [await measure("npm", ["test"])];
    const f = figure("npm test (typecheck + every suite)", samples);
    const passing = /(\d+) passing/.exec(samples[0].stdout)?.[1];
    const failing = /(\d+) failing/.exec(samples[0].stdout)?.[1];
    figures.push({
      ...f,
      target: `< ${TARGETS.testSeconds} s`,
      ratio: f.seconds / TARGETS.testSeconds,
      note: passing ? `${passing} passing${failing ? `, ${failing} failing` : ""}` : undefined,
    });
  }

  const body = rows(figures);
  const endLoad = load();
  process.stdout.write(
    [
      "",
      textTable(body),
      "",
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; load average at start ${startLoad}, at end ${endLoad}.`,
      `Times are medians of ${n} fresh processes (npm test: one run): the measured process's own, spawn to exit (the pack: to serving); the plans and npm test from here, with peak RSS and CPU from ${fs.existsSync(TIME) ? "/usr/bin/time (%M, %U + %S: the plan's pack included)" : "nowhere (no /usr/bin/time)"}. CPU is the median CPU time (user + system) of the measured process: on a busy machine wall times stretch, CPU times much less.`,
      "",
      "Markdown:",
      "",
      markdownTable(body),
      "",
    ].join("\n"),
  );
  return figures.some((f) => f.exitCode !== 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
