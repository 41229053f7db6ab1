/**
 * Starts the policy pack's process the way the Pulumi CLI does: `node` running `@pulumi/pulumi`'s
 * `cmd/run-policy-pack` (the copy in `policy/node_modules`) in the pack's directory, which requires
 * the pack's package.json `main`, the JavaScript build in `policy/bin` (`policy/build.js`, run on
 * install), and prints the port of its Analyzer gRPC server. Only the process: `analyzer.ts`
 * connects to it. Kept free of heavy imports so `npm run plan` can start the pack first thing,
 * while it loads everything else.
 *
 * A build that is missing or stale (its sources changed since) is refused here, with the command
 * that rebuilds it: the CLI would run that old build, and the tests and the plan must not pass on
 * policies that are no longer in the sources.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT } from "./constants";

export const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

interface PackBuild {
  buildProblem(dir: string): string | undefined;
}

/**
 * Why the pack in `packDir` cannot be started as built (not built, or built from other sources),
 * or undefined when its build is current. A pack without `build.js` (not this project's) is not checked.
 */
export function packBuildProblem(packDir: string = POLICY_DIR): string | undefined {
  const builder = path.join(packDir, "build.js");
  if (!fs.existsSync(builder)) {
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(builder) as PackBuild).buildProblem(packDir);
}

/**
 * Spawns the pack in `packDir`; `signal` kills it (e.g. when the plan stops on a config error).
 * `env` changes this process's environment for it: a variable set to undefined is left out.
 */
export function spawnPolicyPack(
  packDir: string = POLICY_DIR,
  signal?: AbortSignal,
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const entry = path.join(packDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
  if (!fs.existsSync(entry)) {
    throw new Error(`the policy pack's dependencies are not installed: run npm ci --prefix ${packDir}`);
  }
  const stale = packBuildProblem(packDir);
  if (stale !== undefined) {
    throw new Error(stale);
  }
  return spawn(process.execPath, [entry, "127.0.0.1:0", "."], {
    cwd: packDir,
    env: {
      ...Object.fromEntries(
        Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined),
      ),
      PULUMI_NODEJS_PROJECT: PROJECT,
      PULUMI_PROJECT: PROJECT,
      PULUMI_NODEJS_DRY_RUN: "true",
      PULUMI_DRY_RUN: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
    signal,
  });
}
