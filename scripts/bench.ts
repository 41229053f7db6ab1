/**
 * `npm run bench [-- --repeat <n>] [--skip-test]`
 *
 * Measures, in one run on this machine, each figure as a fresh child process (wall time from
 * here, peak RSS from `/usr/bin/time` when present, else, for the floor and the evaluations, from
 * the child itself):
 *
 * - the floor: a process that installs the mock engine and loads the provider SDK modules the
 *   program uses, and registers nothing;
 * - evaluating each stack under the mock engine, in turns with the floor; the program's own cost
 *   is the median over the turns of an evaluation minus the floor of its turn;
 * - `npm run plan -- --stack <stack>` end to end;
 * - the whole `npm test`.
 *
 * Prints a table with the ratios against the targets (program's own cost < 0.5 s per stack,
 * plan < 5 s per stack, `npm test` < 60 s) and a Markdown copy for the README. It asserts nothing
 * and fails only when a measured command fails: timings belong here, never in a test.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, STACKS } from "../test/harness/stack";

const TIME = "/usr/bin/time";
const NODE_TS = ["--require", path.join(ROOT, "register.js")];
const CHILD = path.join("scripts", "bench-child.ts");

export const TARGETS = { programCostSeconds: 0.5, planSeconds: 5, testSeconds: 60 } as const;

interface Sample {
  seconds: number;
  /** Peak resident set of the largest process, MiB; undefined when not measurable. */
  peakMiB?: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs one command as a child process, timed from here. */
function measure(command: string, args: string[]): Promise<Sample> {
  const hasTime = fs.existsSync(TIME);
  const rssFile = path.join(os.tmpdir(), `bench-${process.pid}-${Date.now()}-${Math.random()}.rss`);
  const [cmd, argv] = hasTime ? [TIME, ["-f", "%M", "-o", rssFile, command, ...args]] : [command, args];
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
      if (hasTime && fs.existsSync(rssFile)) {
        const kib = Number(/(\d+)\s*$/.exec(fs.readFileSync(rssFile, "utf8"))?.[1]);
        peakMiB = Number.isFinite(kib) ? kib / 1024 : undefined;
        fs.rmSync(rssFile, { force: true });
      }
      resolve({ seconds, peakMiB, exitCode: code ?? 1, stdout, stderr });
    });
  });
}

interface ChildReport {
  ms: number;
  maxRssKiB: number;
  resources?: number;
  modules?: string[];
}

function childReport(sample: Sample, what: string): ChildReport {
  const line = sample.stdout.trim().split("\n").pop() ?? "";
  if (sample.exitCode !== 0 || !line.startsWith("{")) {
    throw new Error(`${what} failed (exit ${sample.exitCode}):\n${sample.stderr.slice(-2000)}`);
  }
  return JSON.parse(line) as ChildReport;
}

/** Without `/usr/bin/time`, a child's own peak RSS (its JSON line) stands in for the measured one. */
function withChildRss(samples: Sample[]): Sample[] {
  return samples.map((s) => {
    if (s.peakMiB !== undefined || s.exitCode !== 0) {
      return s;
    }
    const line = s.stdout.trim().split("\n").pop() ?? "";
    const kib = line.startsWith("{") ? (JSON.parse(line) as ChildReport).maxRssKiB : undefined;
    return { ...s, peakMiB: kib !== undefined ? kib / 1024 : undefined };
  });
}

interface Figure {
  name: string;
  samples: Sample[];
  /** Median seconds. */
  seconds: number;
  /** Peak RSS MiB (max over samples). */
  peakMiB?: number;
  target?: string;
  /** measured / target. */
  ratio?: number;
  note?: string;
  exitCode: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function figure(name: string, samples: Sample[], extra: Partial<Figure> = {}): Figure {
  const peaks = samples.map((s) => s.peakMiB).filter((p): p is number => p !== undefined);
  return {
    name,
    samples,
    seconds: median(samples.map((s) => s.seconds)),
    peakMiB: peaks.length > 0 ? Math.max(...peaks) : undefined,
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
    f.peakMiB !== undefined ? `${f.peakMiB.toFixed(0)} MiB` : "n/a",
    f.target ?? "",
    f.ratio !== undefined ? `${(f.ratio * 100).toFixed(0)}%${f.ratio < 1 ? " ok" : " OVER"}` : "",
    f.exitCode === 0 ? (f.note ?? "") : `exit ${f.exitCode}${f.note ? `; ${f.note}` : ""}`,
  ]);
}

const HEADER = ["measurement", "median", "range", "peak RSS", "target", "of target", "note"];

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
      repeat: { type: "string", default: "7" },
      "skip-test": { type: "boolean", default: false },
    },
  });
  const n = Math.max(1, Number(opts.repeat) || 7);
  const node = process.execPath;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const startLoad = load();
  log(`bench: ${os.cpus().length} CPUs, node ${process.version}, load ${startLoad}, ${n} runs per figure`);

  // Which SDK classes the program uses: from one evaluation, so the floor loads the same.
  log("bench: warm-up evaluation (not counted)");
  const modules = new Set<string>();
  for (const stack of STACKS) {
    const warm = childReport(await measure(node, [...NODE_TS, CHILD, "stack", stack]), `evaluate ${stack}`);
    warm.modules?.forEach((m) => modules.add(m));
  }
  const moduleList = [...modules].sort();

  // The floor and the evaluations take turns, so a drift in the machine's load weighs on all
  // of them alike instead of on whichever ran last.
  const floorArgs = [...NODE_TS, CHILD, "floor", "--modules", moduleList.join(",")];
  log(`bench: floor (${moduleList.join(", ")}) and each stack's evaluation, in turns`);
  const floorSamples: Sample[] = [];
  const stackSamples = new Map<string, Sample[]>(STACKS.map((s) => [s, []]));
  for (let i = 0; i < n; i++) {
    floorSamples.push(await measure(node, floorArgs));
    for (const stack of STACKS) {
      stackSamples.get(stack)?.push(await measure(node, [...NODE_TS, CHILD, "stack", stack]));
    }
  }
  const figures: Figure[] = [];
  const floor = figure(
    "floor: mock engine, stack config, the SDK classes used; no resources",
    withChildRss(floorSamples),
  );
  childReport(floor.samples[0], "floor");
  figures.push(floor);

  for (const stack of STACKS) {
    const samples = withChildRss(stackSamples.get(stack) ?? []);
    const report = childReport(samples[0], `evaluate ${stack}`);
    const evaluation = figure(`evaluate ${stack} (${report.resources ?? "?"} resources)`, samples);
    // Each evaluation against the floor of its own turn: the load of that moment cancels out.
    const costs = samples.map((s, i) => s.seconds - floorSamples[i].seconds);
    const cost = median(costs);
    figures.push(evaluation, {
      name: `  program's own cost, ${stack} (evaluate − floor, per turn)`,
      samples: [],
      seconds: cost,
      exitCode: 0,
      target: `< ${TARGETS.programCostSeconds} s`,
      ratio: cost / TARGETS.programCostSeconds,
      note: `per turn ${Math.min(...costs).toFixed(2)}–${Math.max(...costs).toFixed(2)} s`,
    });
  }
  for (const stack of STACKS) {
    log(`bench: npm run plan -- --stack ${stack}`);
    const samples = await repeat(n, "npm", ["run", "-s", "plan", "--", "--stack", stack]);
    const f = figure(`npm run plan -- --stack ${stack}`, samples);
    figures.push({ ...f, target: `< ${TARGETS.planSeconds} s`, ratio: f.seconds / TARGETS.planSeconds });
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
      `Times are medians of ${n} fresh processes (npm test: one run); peak RSS is the largest single process (${fs.existsSync(TIME) ? "/usr/bin/time %M" : "no /usr/bin/time: the evaluations' own maxRSS only"}).`,
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
