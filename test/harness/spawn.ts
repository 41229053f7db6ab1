/** Child processes the tests start as an operator would, with their whole output collected. */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "./stack";

/** A finished child process: its exit code (-1 when killed by a signal) and its output. */
export interface Spawned {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` with `args` in the repository and collects its output. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs a shell command line in the repository as an operator types it (this node and npm on PATH). */
export function runShell(commandLine: string): Promise<Spawned> {
  return run("sh", ["-c", commandLine], {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
  });
}

/** `npm run plan -- <args>` without npm: the script under the project's loader, as package.json runs it. */
export function runPlan(args: string[]): Promise<Spawned> {
  return run(process.execPath, [
    "--require",
    path.join(ROOT, "register.js"),
    path.join(ROOT, "scripts", "plan.ts"),
    ...args,
  ]);
}
