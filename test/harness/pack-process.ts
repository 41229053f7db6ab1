/**
 * Starts the policy pack's process the way the Pulumi CLI does: `node` running `@pulumi/pulumi`'s
 * `cmd/run-policy-pack` (the copy in `policy/node_modules`) in the pack's directory, which
 * type-checks the pack under ts-node and prints the port of its Analyzer gRPC server. Only the
 * process: `analyzer.ts` connects to it. Kept free of heavy imports so `npm run plan` can start
 * the pack first thing, while it loads everything else.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT } from "./constants";

export const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

/** Spawns the pack in `packDir`; `signal` kills it (e.g. when the plan stops on a config error). */
export function spawnPolicyPack(packDir: string = POLICY_DIR, signal?: AbortSignal): ChildProcess {
  const entry = path.join(packDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
  if (!fs.existsSync(entry)) {
    throw new Error(`the policy pack's dependencies are not installed: run npm ci --prefix ${packDir}`);
  }
  return spawn(process.execPath, [entry, "127.0.0.1:0", "."], {
    cwd: packDir,
    env: {
      ...process.env,
      PULUMI_NODEJS_PROJECT: PROJECT,
      PULUMI_PROJECT: PROJECT,
      PULUMI_NODEJS_DRY_RUN: "true",
      PULUMI_DRY_RUN: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
    signal,
  });
}
