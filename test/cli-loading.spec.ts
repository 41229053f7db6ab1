/**
 * How the Pulumi CLI loads the program and the policy pack (docs/cli-loading.md), and that the
 * tests, the plan and the bench load them the same way: Pulumi.yaml gives the CLI's language host
 * `typescript: false` (no ts-node, no type check) and `nodeargs: --require ./register.js` (SWC);
 * the program runs under the real `@pulumi/pulumi/cmd/run` so started; the pack's package.json
 * `main` is its JavaScript build, which `cmd/run-policy-pack` requires, and a build that no longer
 * matches its sources is refused.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { cliProgram, loaderProblem, programEntry, splitArgs } from "./harness/cli-program";
import { replayPlan } from "../scripts/lib/replay";
import { CliRegistration, CliRun, runUnderCli } from "./harness/cli-run";
import { PolicyPackAnalyzer } from "./harness/analyzer";
import { packBuildProblem, POLICY_DIR, spawnPolicyPack } from "./harness/pack-process";
import { readStackValues, ROOT, runStack, runtimeConfig, secretsFor } from "./harness/stack";

/** An ANSI colour sequence, as util.inspect writes them. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

interface PackageJson {
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

/** A copy of the pack's sources, build script, manifest and build, without its dependencies. */
function copyPack(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-copy-"));
  for (const file of fs.readdirSync(POLICY_DIR)) {
    if (file !== "node_modules") {
      fs.cpSync(path.join(POLICY_DIR, file), path.join(dir, file), { recursive: true });
    }
  }
  return dir;
}

describe("how the CLI loads the program", () => {
  it("Pulumi.yaml runs it without ts-node, through ./register.js, from package.json's main", () => {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      main?: string;
      runtime: { name: string; options: Record<string, unknown> };
    };
    assert.deepEqual(project.runtime, {
      name: "nodejs",
      options: { typescript: false, nodeargs: "--require ./register.js", packagemanager: "npm" },
    });
    assert.equal(project.main, undefined);
    const program = cliProgram();
    assert.deepEqual(program, {
      root: ROOT,
      typescript: false,
      nodeArgs: ["--require", "./register.js"],
      loader: path.join(ROOT, "register.js"),
      entry: path.join(ROOT, "index.ts"),
    });
    assert.equal(programEntry(), path.join(ROOT, "index.ts"));
  });

  it("this process loads TypeScript through that very loader", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loader = require(path.join(ROOT, "register.js")) as { loadTypeScript: unknown };
    assert.equal(typeof loader.loadTypeScript, "function");
    assert.equal(require.extensions[".ts"], loader.loadTypeScript);
  });

  it("the loader's SWC is a runtime dependency, the type checker only a development one", () => {
    const pkg = readJson<PackageJson>(path.join(ROOT, "package.json"));
    // Pinned exactly, as every dependency here (renovate bumps it).
    assert.match(pkg.dependencies?.["@swc/core"] ?? "", /^\d+\.\d+\.\d+$/);
    assert.equal(pkg.devDependencies?.["@swc/core"], undefined);
    assert.equal(pkg.dependencies?.typescript, undefined);
    assert.equal(pkg.dependencies?.["ts-node"], undefined);
    // Type errors stop `npm test` before any suite runs, and CI runs it before any preview.
    assert.match(pkg.scripts?.test ?? "", /^npm run typecheck && /);
    assert.match(pkg.scripts?.typecheck ?? "", /tsc -p tsconfig\.json --noEmit/);
    assert.match(pkg.scripts?.typecheck ?? "", /tsc -p policy\/tsconfig\.json --noEmit/);
    for (const script of ["plan", "bench", "diagram"]) {
      assert.match(pkg.scripts?.[script] ?? "", /^node --require \.\/register\.js scripts\//, script);
    }
  });

  it("in CI, every job that runs the CLI waits for the type check (npm test)", () => {
    const jobsRunningPulumi: string[] = [];
    for (const file of ["preview.yml", "deploy.yml"]) {
      const doc = parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", file), "utf8")) as {
        jobs: Record<string, { needs?: string | string[]; steps: { run?: string; uses?: string }[] }>;
      };
      const typeChecked = new Set(
        Object.entries(doc.jobs)
          .filter(([, job]) => job.steps.some((s) => s.run === "npm test"))
          .map(([name]) => name),
      );
      assert.ok(typeChecked.size > 0, file);
      const waitsForCheck = (name: string): boolean => {
        const needs = doc.jobs[name].needs;
        const list = needs === undefined ? [] : Array.isArray(needs) ? needs : [needs];
        return list.some((n) => typeChecked.has(n) || waitsForCheck(n));
      };
      for (const [name, job] of Object.entries(doc.jobs)) {
        if (job.steps.some((s) => s.uses?.startsWith("pulumi/actions@"))) {
          jobsRunningPulumi.push(`${file} ${name}`);
          assert.ok(waitsForCheck(name), `${file} ${name} runs the CLI before npm test passed`);
        }
      }
    }
    assert.deepEqual(jobsRunningPulumi, [
      "preview.yml preview",
      "deploy.yml staging",
      "deploy.yml production",
    ]);
  });

  it("splits nodeargs as the language host does", () => {
    assert.deepEqual(splitArgs("--require ./register.js"), ["--require", "./register.js"]);
    assert.deepEqual(splitArgs(`  -r "./a b.js"  --x='y z' c\\ d `), ["-r", "./a b.js", "--x=y z", "c d"]);
    assert.deepEqual(splitArgs(""), []);
    assert.throws(() => splitArgs(`--require "x`), /unterminated " quote/);
  });

  it("refuses a project that would have the CLI type-check, or names no loader, or an unloaded loader", () => {
    const cases: [string, { typescript: boolean; loader?: string }, RegExp | undefined][] = [
      ["runtime: nodejs", { typescript: true }, /typescript: false and nodeargs/],
      [
        "runtime:\n  name: nodejs\n  options:\n    typescript: true\n    nodeargs: --require ./register.js",
        { typescript: true, loader: "register.js" },
        /typescript: false and nodeargs/,
      ],
      [
        "runtime:\n  name: nodejs\n  options:\n    typescript: false",
        { typescript: false },
        /typescript: false and nodeargs/,
      ],
      [
        "runtime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: -r ./register.js",
        { typescript: false, loader: "register.js" },
        /start this process with --require .*register\.js/,
      ],
    ];
    for (const [runtime, expected, problem] of cases) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "project-"));
      try {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: x\n${runtime}\n`);
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ main: "main.ts" }));
        fs.writeFileSync(path.join(dir, "main.ts"), "");
        fs.writeFileSync(path.join(dir, "register.js"), "");
        const program = cliProgram(dir);
        assert.equal(program.typescript, expected.typescript, runtime);
        assert.equal(program.loader, expected.loader && path.join(dir, expected.loader), runtime);
        assert.equal(program.entry, path.join(dir, "main.ts"));
        assert.match(loaderProblem(program) ?? "", problem ?? /^$/, runtime);
        if (program.loader !== undefined && !program.typescript) {
          assert.equal(loaderProblem(program, { [program.loader]: {} }), undefined);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.equal(loaderProblem(cliProgram()), undefined);
  });

  it("stack traces in this process point at the TypeScript lines (register.js's formatter)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loader = require(path.join(ROOT, "register.js")) as { prepareStackTrace: unknown };
    assert.equal(Error.prepareStackTrace, loader.prepareStackTrace);
    const source = fs.readFileSync(__filename, "utf8").split("\n");
    const line = source.findIndex((l) => l.trimStart().startsWith("const here: Error =")) + 1;
    const column = source[line - 1].indexOf("new Error") + 1;
    const here: Error = new Error("here");
    assert.ok(line > 0);
    assert.match(here.stack ?? "", /^Error: here\n {4}at /);
    assert.ok(here.stack?.includes(`(${__filename}:${line}:${column})`), here.stack);
  });

  it("the stacks the SDK records for its promises keep their first frame, unless PULUMI_DEBUG_PROMISE_LEAKS", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loader = require(path.join(ROOT, "register.js")) as {
      prepareStackTrace: (error: Error, frames: unknown[]) => string;
    };
    const frame = (fn: string, file: string, line: number) => ({
      getFunctionName: () => fn,
      getFileName: () => file,
      getLineNumber: () => line,
      getColumnNumber: () => 5,
      toString: () => `${fn} (${file}:${line}:5)`,
    });
    const sdk = path.join(ROOT, "node_modules", "@pulumi", "pulumi");
    const promise = [
      frame("debuggablePromise", path.join(sdk, "runtime", "debuggable.js"), 253),
      frame("registerResource", path.join(sdk, "runtime", "resource.js"), 420),
      frame("Resource", path.join(sdk, "resource.js"), 300),
    ];
    const elsewhere = [frame("debuggablePromise", path.join(ROOT, "debuggable.js"), 1), ...promise.slice(1)];
    const leaks = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    try {
      delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
      assert.equal(
        loader.prepareStackTrace(new Error(), promise),
        `Error\n    at debuggablePromise (${promise[0].getFileName()}:253:5)`,
      );
      assert.equal(loader.prepareStackTrace(new Error("x"), elsewhere).split("\n").length, 4);
      process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
      assert.equal(
        loader.prepareStackTrace(new TypeError("y"), promise),
        ["TypeError: y", ...promise.map((f) => `    at ${String(f)}`)].join("\n"),
      );
    } finally {
      if (leaks === undefined) {
        delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
      } else {
        process.env.PULUMI_DEBUG_PROMISE_LEAKS = leaks;
      }
    }
  });

  describe("under the real cmd/run, started as the language host starts it", () => {
    let run: CliRun;
    before(async function () {
      this.timeout(300_000);
      const values = readStackValues("production");
      const config = runtimeConfig(values, secretsFor("production", values));
      run = await runUnderCli("production", config.values, [...config.secretKeys]);
    });

    it("starts node with Pulumi.yaml's nodeargs before the runner, in the project directory", () => {
      assert.deepEqual(run.args.slice(0, 2), ["--require", "./register.js"]);
      assert.equal(run.args[4], require.resolve("@pulumi/pulumi/cmd/run", { paths: [ROOT] }));
      assert.equal(run.args.at(-1), ".");
    });

    it("evaluates the program and exits 0, registering what the harness registers", async () => {
      assert.equal(
        run.exitCode,
        0,
        `${run.stderr}\n${run.logs.filter((l) => !l.startsWith("0 ")).join("\n")}`,
      );
      const inProcess = await runStack("production");
      const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
      const underCli = run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack").map(key);
      assert.equal(run.registrations.filter((r) => r.type === "pulumi:pulumi:Stack").length, 1);
      assert.deepEqual(underCli.sort(), inProcess.capture.resources.map(key).sort());
      assert.ok(underCli.length >= 90, `${underCli.length} resources`);
    });

    it("loads index.ts through register.js, with neither ts-node nor a TypeScript compile", () => {
      const files = run.modules.map((m) => m.file);
      assert.ok(files.includes(path.join(ROOT, "register.js")));
      assert.ok(files.includes(path.join(ROOT, "index.ts")));
      assert.deepEqual(
        files.filter((f) => /[\\/]node_modules[\\/](ts-node|@swc[\\/]register|@cspotcode)[\\/]/.test(f)),
        [],
      );
      // The SDK itself requires the TypeScript library, for its function serialization's parser
      // (runtime/closure/parseFunction.js, through typescript-shim.js); nothing else may.
      const typescript = run.modules.filter((m) => /[\\/]node_modules[\\/]typescript[\\/]/.test(m.file));
      assert.deepEqual(
        typescript.map((m) => path.relative(ROOT, m.parent ?? "")),
        [path.join("node_modules", "@pulumi", "pulumi", "typescript-shim.js")],
      );
    });
    describe("the bench's registration floor, replayed under that same runner", () => {
      let replay: CliRun;
      const planFile = path.join(os.tmpdir(), `replay-plan-${process.pid}.json`);
      before(async function () {
        this.timeout(300_000);
        const values = readStackValues("production");
        const config = runtimeConfig(values, secretsFor("production", values));
        const captured = await runStack("production", values);
        fs.writeFileSync(planFile, JSON.stringify(replayPlan(captured.capture.resources)));
        replay = await runUnderCli("production", config.values, [...config.secretKeys], {
          program: path.join(ROOT, "scripts", "bench-replay.ts"),
          env: { ONPREM_BENCH_REPLAY: planFile },
        });
      });
      after(() => fs.rmSync(planFile, { force: true }));

      it("registers what the program registers: types, names, parents, kinds, in the engine's terms", () => {
        assert.equal(
          replay.exitCode,
          0,
          `${replay.stderr}\n${replay.logs.filter((l) => !l.startsWith("0 ")).join("\n")}`,
        );
        const key = (r: CliRegistration) => `${r.type} ${r.name} ${r.parent} ${r.custom}`;
        assert.deepEqual(replay.registrations.map(key).sort(), run.registrations.map(key).sort());
        assert.ok(replay.registrations.length >= 90, `${replay.registrations.length} registrations`);
      });

      it("runs none of the program's code: no entry point, config or component module is loaded", () => {
        const project = replay.modules
          .map((m) => path.relative(ROOT, m.file))
          .filter((f) => !f.startsWith("node_modules") && !f.startsWith(".."));
        assert.deepEqual(project.sort(), [
          "register.js",
          path.join("scripts", "bench-replay.ts"),
          path.join("scripts", "lib", "sdk-classes.ts"),
          path.join("test", "harness", "module-probe.js"),
        ]);
        assert.ok(
          run.modules.some((m) => m.file === path.join(ROOT, "components", "mail", "MailserverStack.ts")),
        );
      });
    });
  });
  describe("a program that throws, under the real cmd/run", () => {
    // TypeScript-only lines (an interface, a type, annotations) before the throw, so that the
    // transpiled lines differ from the source's: the stack must give the source's.
    const lib = [
      "export interface Site {",
      "  readonly name: string;",
      "  readonly aliases?: readonly string[];",
      "}",
      "",
      "type Lookup = Record<string, Site | undefined>;",
      "",
      "export function requireSite(sites: Lookup, name: string): Site {",
      "  const site: Site | undefined = sites[name];",
      "  if (site === undefined) {",
      "    throw new Error(`no site named ${name}`);",
      "  }",
      "  return site;",
      "}",
      "",
    ];
    const main = [
      'import { requireSite, type Site } from "./lib";',
      "",
      "const sites: Record<string, Site> = {};",
      'export const site: Site = requireSite(sites, "blog");',
      "",
    ];
    const position = (lines: string[], text: string): string => {
      const index = lines.findIndex((l) => l.includes(text));
      return `${index + 1}:${lines[index].indexOf(text) + 1}`;
    };
    let dir: string;
    let run: CliRun;
    before(async function () {
      this.timeout(300_000);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "throwing-program-"));
      fs.writeFileSync(path.join(dir, "lib.ts"), lib.join("\n"));
      fs.writeFileSync(path.join(dir, "main.ts"), main.join("\n"));
      run = await runUnderCli("production", {}, [], { program: path.join(dir, "main.ts") });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("fails, and its error's stack names the .ts files at the lines and columns of the sources", () => {
      assert.notEqual(run.exitCode, 0);
      // The runner logs the error through util.inspect, which colours parts of each frame.
      const text = `${run.logs.join("\n")}\n${run.stderr}`.replace(ANSI_COLOUR, "");
      assert.match(text, /Error: no site named blog\n/);
      const throwAt = position(lib, "new Error");
      assert.equal(throwAt, "11:11");
      assert.ok(text.includes(`at requireSite (${path.join(dir, "lib.ts")}:${throwAt})`), text);
      // The call of the imported function: line 4, from `requireSite` (column 27) to its `(` (38).
      const mainAt = `(${path.join(dir, "main.ts")}:`;
      const from = text.indexOf(mainAt) + mainAt.length;
      const [line, column] = text.slice(from, text.indexOf(")", from)).split(":");
      assert.equal(line, "4", text);
      assert.ok(Number(column) >= 27 && Number(column) <= 38, text);
    });
  });
});

describe("how the CLI starts the policy pack", () => {
  it("its package.json main is the JavaScript build, made on install", () => {
    const pkg = readJson<PackageJson>(path.join(POLICY_DIR, "package.json"));
    assert.equal(pkg.main, "bin/index.js");
    assert.deepEqual(pkg.scripts, { build: "node build.js", prepare: "node build.js" });
    // run-policy-pack requires the pack's directory: Node resolves it through `main`.
    assert.equal(require.resolve(POLICY_DIR), path.join(POLICY_DIR, "bin", "index.js"));
    const root = readJson<PackageJson>(path.join(ROOT, "package.json"));
    assert.match(root.scripts?.postinstall ?? "", /^npm ci --prefix policy\b/);
  });

  it("the build in policy/bin is the build of the current sources", () => {
    assert.equal(packBuildProblem(), undefined);
    for (const file of fs.readdirSync(POLICY_DIR).filter((f) => f.endsWith(".ts"))) {
      assert.ok(fs.existsSync(path.join(POLICY_DIR, "bin", file.replace(/\.ts$/, ".js"))), file);
    }
  });

  it("a changed source, a changed tsconfig, a missing stamp or a missing build is refused", () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ["source", (d) => fs.appendFileSync(path.join(d, "tags.ts"), "\n// changed\n"), /build is stale/],
      ["new source", (d) => fs.writeFileSync(path.join(d, "extra.ts"), "export {};\n"), /build is stale/],
      ["tsconfig", (d) => fs.appendFileSync(path.join(d, "tsconfig.json"), "\n"), /build is stale/],
      ["stamp", (d) => fs.rmSync(path.join(d, "bin", "build-stamp.json")), /has no bin\/build-stamp\.json/],
      [
        "build",
        (d) => fs.rmSync(path.join(d, "bin"), { recursive: true }),
        /is not built \(bin\/index\.js is missing\)/,
      ],
    ];
    for (const [what, change, message] of cases) {
      const dir = copyPack();
      try {
        assert.equal(packBuildProblem(dir), undefined, `${what}: the unchanged copy`);
        change(dir);
        const problem = packBuildProblem(dir);
        assert.match(problem ?? "", message, what);
        assert.match(problem ?? "", /run npm run build --prefix /, what);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("keeps V8's code for what loads after its entry (the compile cache), written though it is killed", async () => {
    const entry = fs.readFileSync(path.join(POLICY_DIR, "bin", "index.js"), "utf8");
    const requires = [...entry.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.equal(requires[0], "./compile-cache", "the cache is on before the policy SDK loads");
    assert.ok(requires.includes("@pulumi/policy"));
    // Node keeps the cache under os.tmpdir() (TMPDIR) unless NODE_COMPILE_CACHE names a directory.
    const startAndKill = async (env: NodeJS.ProcessEnv): Promise<string> => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pack-cache-"));
      const pack = await PolicyPackAnalyzer.attach(
        spawnPolicyPack(POLICY_DIR, undefined, {
          TMPDIR: tmp,
          NODE_COMPILE_CACHE: undefined,
          NODE_DISABLE_COMPILE_CACHE: undefined,
          ...env,
        }),
      );
      await pack.close();
      return tmp;
    };
    /** The bytes of every file under `dir` (none when it does not exist). */
    const size = (dir: string): number =>
      fs.existsSync(dir)
        ? fs
            .readdirSync(dir, { recursive: true, encoding: "utf8" })
            .map((f) => fs.statSync(path.join(dir, f)))
            .filter((st) => st.isFile())
            .reduce((total, st) => total + st.size, 0)
        : 0;
    const kept = await startAndKill({});
    const off = await startAndKill({ NODE_DISABLE_COMPILE_CACHE: "1" });
    // Set in the environment, Node caches from the process's start: the runner's modules too.
    const named = fs.mkdtempSync(path.join(os.tmpdir(), "pack-cache-named-"));
    const fromStart = await startAndKill({ NODE_COMPILE_CACHE: named });
    try {
      const entryOnly = size(path.join(kept, "node-compile-cache"));
      assert.ok(entryOnly > 0, "cache written");
      assert.equal(size(path.join(off, "node-compile-cache")), 0, "NODE_DISABLE_COMPILE_CACHE=1");
      const whole = size(named);
      assert.ok(whole > 2 * entryOnly, `NODE_COMPILE_CACHE: ${whole} bytes, the entry's own ${entryOnly}`);
    } finally {
      for (const dir of [kept, off, fromStart, named]) {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("the harness (tests, plan, bench) will not start a stale build", () => {
    const dir = copyPack();
    try {
      fs.symlinkSync(path.join(POLICY_DIR, "node_modules"), path.join(dir, "node_modules"));
      fs.appendFileSync(path.join(dir, "images.ts"), "\n// changed\n");
      assert.throws(() => spawnPolicyPack(dir), /the policy pack's build is stale/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
