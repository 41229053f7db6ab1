/**
 * What every daemon check shares: finding the daemon (failing under CI=true when it is missing,
 * skipping with the install command otherwise), running it and printing what ran and its
 * version, temporary directories, free ports, a throwaway certificate, and a hosts file that the
 * daemon alone sees (a private mount namespace, `unshare`).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const PACKAGES_FILE = path.join(__dirname, "debian-packages.txt");

/** The Debian packages of debian-packages.txt, in order. */
export function debianPackages(): string[] {
  return fs
    .readFileSync(PACKAGES_FILE, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

/** Whether the suite runs in CI (`CI=true`), where a missing daemon fails instead of skipping. */
export function inCi(): boolean {
  return process.env.CI === "true";
}

const SBIN = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"];

/** The absolute path of an executable on PATH or in the sbin directories, or undefined. */
export function which(binary: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), ...SBIN];
  for (const dir of dirs) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * The daemon's executable. Missing: fails under CI=true (the suite must not pass without its
 * daemons), otherwise skips the test with the command that installs it.
 */
export function need(ctx: Pick<Mocha.Context, "skip">, binary: string, debianPackage: string): string {
  const found = which(binary);
  if (found) {
    return found;
  }
  const message = `${binary} is not installed: sudo apt-get install ${debianPackage} (or every package: sudo apt-get install $(grep -v '^#' test/daemons/debian-packages.txt))`;
  if (inCi()) {
    throw new Error(message);
  }
  console.log(`      SKIPPED: ${message}`);
  ctx.skip();
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command line as printed. */
  line: string;
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** Prints one indented line of what a check did. */
export function say(text: string): void {
  console.log(`      ${text}`);
}

/** Runs a command to completion, prints it (`ran: ...`) and returns its exit code and output. */
export function run(
  argv: string[],
  opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
): RunResult {
  const line = argv.map(quote).join(" ");
  const result = spawnSync(argv[0], argv.slice(1), {
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: 60000,
  });
  if (!opts.quiet) {
    say(`ran: ${line}${opts.input !== undefined ? " < (stdin)" : ""}`);
  }
  return {
    code: result.status ?? -1,
    stdout: result.stdout ?? "",
    stderr: (result.stderr ?? "") + (result.error ? String(result.error) : ""),
    line,
  };
}

/** Prints and returns the daemon's version, the first line `argv` prints (after `label`, if given). */
export function version(argv: string[], label = ""): string {
  const r = run(argv, { quiet: true });
  const text = `${r.stdout}\n${r.stderr}`
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  const v = `${label}${text ?? "(no version printed)"}`;
  say(`version: ${v}`);
  return v;
}

/** A failure naming the rendered file and the daemon's own message. */
export function failure(what: string, result: RunResult, extra = ""): Error {
  const output = `${result.stderr}\n${result.stdout}`.trim();
  return new Error(
    `${what}\n  ran: ${result.line}\n  exit code ${result.code}${extra ? `\n  ${extra}` : ""}\n  daemon says:\n${output
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n")}`,
  );
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `onprem-daemons-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

process.on("exit", () => {
  for (const dir of tempDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Files a daemon wrote as root (run through sudo) stay; the system's tmp cleaning takes them.
    }
  }
});

/** Writes `content` at `dir` + `file` (an absolute in-container path), creating directories. */
export function writeUnder(dir: string, file: string, content: string): string {
  const target = path.join(dir, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
  return target;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway self-signed certificate and key (PEM) in `dir`. */
export function selfSignedPair(dir: string, commonName = "daemons.test"): { cert: string; key: string } {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  const r = run(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${commonName}`,
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { quiet: true },
  );
  if (r.code !== 0) {
    throw failure("openssl could not make a throwaway certificate", r);
  }
  return { cert, key };
}

/** Whether this process is root (the daemons that need it run directly). */
export const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;

/**
 * `argv` run with `names` resolving to 127.0.0.1 through a hosts file only it sees: a private
 * mount namespace (`unshare`, as root or through a user namespace) with the file bound over
 * /etc/hosts.
 */
export function withHosts(dir: string, names: string[], argv: string[]): string[] {
  const hosts = path.join(dir, "hosts");
  const lines = ["127.0.0.1 localhost", ...[...new Set(names)].sort().map((n) => `127.0.0.1 ${n}`)];
  fs.writeFileSync(hosts, `${lines.join("\n")}\n`);
  const script = `mount --bind ${quote(hosts)} /etc/hosts && exec "$@"`;
  // Unprivileged user namespaces (`unshare -r`) are often restricted (Ubuntu 24.04's AppArmor):
  // root, or password-less sudo, where there is one.
  const unshare = IS_ROOT
    ? ["unshare", "-m"]
    : canSudo()
      ? ["sudo", "-n", "unshare", "-m"]
      : ["unshare", "-r", "-m"];
  return [...unshare, "sh", "-c", script, "sh", ...argv];
}

let sudoWorks: boolean | undefined;

/** Whether password-less sudo works here (checked once). */
export function canSudo(): boolean {
  sudoWorks ??= spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  return sudoWorks;
}

/** `argv` as root: directly when root, through password-less sudo otherwise. */
export function asRoot(argv: string[]): string[] {
  return IS_ROOT ? argv : ["sudo", "-n", ...argv];
}

/** Starts a long-running daemon; its output is collected for failure messages. */
export function start(argv: string[]): { child: ChildProcess; output: () => string; line: string } {
  const line = argv.map(quote).join(" ");
  say(`started: ${line}`);
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  return { child, output: () => output, line };
}

/** Stops a started daemon and waits for it to exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Polls `ready` every 50 ms until it is true, failing with `what` after `seconds`. */
export async function waitFor(what: string, ready: () => boolean, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(`${what} did not come up within ${seconds}s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
