/**
 * How the Pulumi CLI starts this program, read from the same files the CLI reads: Pulumi.yaml's
 * `runtime.options` (as the Node.js language host parses them: `typescript`, default true, and
 * `nodeargs`, split like a shell line and put before `@pulumi/pulumi/cmd/run`), and the entry
 * point `cmd/run` requires (Pulumi.yaml `main`, else package.json `exports` or `main`, else
 * `index.js`). The harness loads the program exactly so (`runStack`), and `cli-run.ts` starts it
 * under the real `cmd/run`. A module with few imports: scripts read it before anything heavy.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseYaml } from "./yaml";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface CliProgram {
  /** The project directory (Pulumi.yaml's): the CLI's working directory for the program. */
  root: string;
  /** `runtime.options.typescript`: true makes `cmd/run` register ts-node (and type-check). */
  typescript: boolean;
  /** `runtime.options.nodeargs`, split as the language host splits it. */
  nodeArgs: string[];
  /** The absolute path of the file `nodeargs` requires first (`--require <file>`), if any. */
  loader?: string;
  /** The absolute path of the module `cmd/run` requires as the program. */
  entry: string;
}

/** Splits a line as Go's shlex does for plain words, single and double quotes and backslashes. */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) {
        quote = undefined;
      } else if (c === "\\" && quote === '"' && i + 1 < line.length) {
        current += line[++i];
      } else {
        current += c;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        args.push(current);
        current = "";
        inWord = false;
      }
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) {
    throw new Error(`nodeargs: unterminated ${quote} quote in "${line}"`);
  }
  if (inWord) {
    args.push(current);
  }
  return args;
}

interface ProjectFile {
  main?: string;
  runtime?: string | { name?: string; options?: Record<string, unknown> };
}

/** The program as the CLI starts it from the project in `root`. */
export function cliProgram(root: string = PROJECT_ROOT): CliProgram {
  const project = parseYaml(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as ProjectFile;
  const options = (typeof project.runtime === "object" ? project.runtime.options : undefined) ?? {};
  if (options.typescript !== undefined && typeof options.typescript !== "boolean") {
    throw new Error("Pulumi.yaml: runtime.options.typescript must be a boolean");
  }
  if (options.nodeargs !== undefined && typeof options.nodeargs !== "string") {
    throw new Error("Pulumi.yaml: runtime.options.nodeargs must be a string");
  }
  const nodeArgs = splitArgs((options.nodeargs as string | undefined) ?? "");
  const requireAt = nodeArgs.findIndex((a) => a === "--require" || a === "-r");
  const required =
    requireAt >= 0
      ? nodeArgs[requireAt + 1]
      : nodeArgs.find((a) => a.startsWith("--require="))?.slice("--require=".length);
  return {
    root,
    typescript: (options.typescript as boolean | undefined) ?? true,
    nodeArgs,
    loader: required === undefined ? undefined : require.resolve(path.resolve(root, required)),
    entry: entryPoint(root, project.main),
  };
}

/** The module `cmd/run` requires, as it resolves `.` (or Pulumi.yaml's `main`). */
function entryPoint(root: string, main: string | undefined): string {
  const programDir = main === undefined ? root : path.resolve(root, main);
  if (main !== undefined && fs.existsSync(programDir) && fs.statSync(programDir).isFile()) {
    return programDir;
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(programDir, "package.json"), "utf8")) as {
    main?: string;
    exports?: string | Record<string, unknown>;
  };
  const exported =
    typeof pkg.exports === "string"
      ? pkg.exports
      : typeof pkg.exports?.["."] === "string"
        ? (pkg.exports["."] as string)
        : undefined;
  const chosen = exported ?? pkg.main;
  if (chosen !== undefined && fs.existsSync(path.join(programDir, chosen))) {
    return require.resolve(path.join(programDir, chosen));
  }
  return require.resolve(path.join(programDir, "index.js"));
}

/**
 * Why a process that loaded the modules in `loaded` would not evaluate `program` as the CLI does:
 * Pulumi.yaml asks the CLI for ts-node or names no loader, or the process did not start with that
 * loader (`node --require ./register.js …`). Undefined when it would.
 */
export function loaderProblem(
  program: CliProgram,
  loaded: Readonly<Record<string, unknown>> = require.cache,
): string | undefined {
  if (program.typescript || program.loader === undefined) {
    return "Pulumi.yaml must run the program as the harness does: runtime.options typescript: false and nodeargs --require <loader>";
  }
  if (loaded[program.loader] === undefined) {
    return `the CLI loads the program through ${path.relative(program.root, program.loader)} (Pulumi.yaml nodeargs): start this process with --require ${program.loader}`;
  }
  return undefined;
}

let checked: CliProgram | undefined;

/** The program's entry point, once this process is known to load it as the CLI does (`loaderProblem`). */
export function programEntry(): string {
  if (!checked) {
    const program = cliProgram();
    const problem = loaderProblem(program);
    if (problem !== undefined) {
      throw new Error(problem);
    }
    checked = program;
  }
  return checked.entry;
}
