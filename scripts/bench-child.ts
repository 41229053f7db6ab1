/**
 * One measured process of `npm run bench` (scripts/bench.ts), run as a child so each figure is a
 * fresh process with its own peak memory:
 *
 * - `floor --modules aws.s3.Bucket,docker.Container,...`: does everything an evaluation does
 *   except run the program: installs the mock engine, reads and installs a stack's config as the
 *   harness does, and loads the very SDK classes the program's resources use (the SDKs load
 *   their resource modules lazily, on first use); registers nothing;
 * - `stack <production|staging>`: installs the mock engine and evaluates the real program for
 *   the stack (test/harness `runStack`).
 *
 * Prints one JSON line: the in-process milliseconds, the peak RSS (KiB) and, for `stack`, the
 * SDK classes the program's resources came from (so the floor loads exactly those).
 */
import { installMocks } from "../test/harness/engine";

interface ChildResult {
  mode: string;
  /** Milliseconds spent in the measured part (SDK loading, or the evaluation). */
  ms: number;
  maxRssKiB: number;
  resources?: number;
  modules?: string[];
}

/**
 * The SDK class of a resource type: `aws:s3/bucket:Bucket` -> `aws.s3.Bucket`,
 * `docker:index/container:Container` -> `docker.Container`, `pulumi:providers:aws` -> `aws.Provider`.
 */
function classOf(type: string): string | undefined {
  const [pkg, mod, name] = type.split(":");
  if (pkg === "pulumi") {
    return mod === "providers" ? `${name}.Provider` : undefined;
  }
  if (mod === undefined || name === undefined) {
    return undefined;
  }
  const sub = mod.split("/")[0];
  return sub === "index" ? `${pkg}.${name}` : `${pkg}.${sub}.${name}`;
}

/** Loads each class by walking its path from the package (which triggers the lazy module loads). */
function loadClasses(classes: readonly string[]): void {
  for (const c of classes) {
    const [pkg, ...path] = c.split(".");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    let value = require(`@pulumi/${pkg}`) as Record<string, unknown>;
    for (const key of path) {
      value = value[key] as Record<string, unknown>;
      if (value === undefined) {
        throw new Error(`@pulumi/${pkg} has no ${path.join(".")}`);
      }
    }
  }
}

async function main(argv: string[]): Promise<ChildResult> {
  const [mode, arg, value] = argv;
  await installMocks();
  const start = performance.now();
  if (mode === "floor") {
    const modules = arg === "--modules" && value ? value.split(",") : [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const harness = require("../test/harness/stack") as typeof import("../test/harness/stack");
    harness.installConfig(harness.readStackValues("production"));
    loadClasses(modules);
    return { mode, ms: performance.now() - start, maxRssKiB: process.resourceUsage().maxRSS, modules };
  }
  if (mode === "stack" && (arg === "production" || arg === "staging")) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runStack } = require("../test/harness/stack") as typeof import("../test/harness/stack");
    const run = await runStack(arg);
    const modules = [
      ...new Set(
        run.capture.resources
          .filter((r) => r.custom)
          .map((r) => classOf(r.type))
          .filter((m): m is string => m !== undefined),
      ),
    ].sort();
    return {
      mode: `${mode} ${arg}`,
      ms: performance.now() - start,
      maxRssKiB: process.resourceUsage().maxRSS,
      resources: run.capture.resources.length,
      modules,
    };
  }
  throw new Error(`usage: bench-child.ts floor [--modules a,b] | stack <production|staging>`);
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
