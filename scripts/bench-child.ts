/**
 * One measured process of `npm run bench` (scripts/bench.ts), run as a child so each figure is a
 * fresh process with its own peak memory:
 *
 * - `floor --modules aws.s3,docker,...`: installs the mock engine and loads the same provider SDK
 *   modules the program uses, registers nothing;
 * - `stack <production|staging>`: installs the mock engine and evaluates the real program for
 *   the stack (test/harness `runStack`).
 *
 * Prints one JSON line: the in-process milliseconds, the peak RSS (KiB) and, for `stack`, the
 * SDK modules the program's resources came from (so the floor loads exactly those).
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

/** `aws:s3/bucket:Bucket` -> `aws.s3`; `docker:index/container:Container` -> `docker`. */
function moduleOf(type: string): string | undefined {
  const [pkg, mod] = type.split(":");
  if (pkg === "pulumi" || mod === undefined) {
    return undefined;
  }
  const sub = mod.split("/")[0];
  return sub === "index" ? pkg : `${pkg}.${sub}`;
}

function loadModules(modules: readonly string[]): void {
  for (const m of modules) {
    const [pkg, sub] = m.split(".");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require(`@pulumi/${pkg}`) as Record<string, unknown>;
    if (sub !== undefined && sdk[sub] === undefined) {
      throw new Error(`@pulumi/${pkg} has no module ${sub}`);
    }
  }
}

async function main(argv: string[]): Promise<ChildResult> {
  const [mode, arg, value] = argv;
  await installMocks();
  const start = performance.now();
  if (mode === "floor") {
    const modules =
      arg === "--modules" && value ? value.split(",") : ["aws", "cloudflare", "command", "docker", "random"];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@pulumi/pulumi");
    loadModules(modules);
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
          .map((r) => moduleOf(r.type))
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
