// The program's TypeScript loader, for every process that runs it: the Pulumi CLI (Pulumi.yaml's
// `runtime.options`: `typescript: false`, so the CLI registers no ts-node and never loads the
// TypeScript compiler, and `nodeargs: --require ./register.js`), mocha, `npm run plan`, the bench
// and the diagram script (`node --require ./register.js …`). One loader, so what the tests and the
// plan evaluate is what `pulumi preview` evaluates. See docs/cli-loading.md.
//
// Each `.ts` file is transpiled by SWC on require, nothing more: no type check (that is
// `npm run typecheck`'s job, the first step of `npm test`, which CI runs before any preview). The
// options mirror tsconfig.json (ES2022, CommonJS, esModuleInterop).
//
// Stack traces point at the TypeScript sources: this file formats them (Error.prepareStackTrace),
// mapping each frame in a transpiled `.ts` file through SWC's source map of that file and leaving
// every other frame as V8 writes it. The Pulumi CLI's runner (`@pulumi/pulumi/cmd/run`) would
// install source-map-support instead, which cannot see these maps (it reads the `.ts` file from
// disk) and maps every frame of the stack the SDK captures for each resource and each of its
// promises, through the SDK's own maps: about a third of an evaluation's CPU. So the SDK's copy of
// source-map-support is installed here first (its uncaught-exception handling left to the runner's
// own install, as before) and this formatter put in its place; the runner's
// `require("source-map-support/register")` then finds it installed and changes nothing. The maps
// are also inlined in the transpiled code, for a debugger and Node's own `--enable-source-maps`.
//
// Node's compile cache (V8 code for every module loaded after this line: the provider SDKs, the
// SDK, the transpiled program) is kept in `node-compile-cache` under the system's temporary
// directory, or in NODE_COMPILE_CACHE when set; a changed file is compiled afresh.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const nodeModule = require("node:module");

// The SDK turns V8's --allow-natives-syntax on as it loads (its closure serialization,
// @pulumi/pulumi/runtime/closure/v8.js). V8 then rejects the cached code of every module loaded
// before that (cached at exit, under the changed flags), and compiles them afresh on every run:
// turned on here, before the compile cache, the flags are the same from start to exit.
require("node:v8").setFlagsFromString("--allow-natives-syntax");

if (
  typeof nodeModule.enableCompileCache === "function" &&
  process.env.NODE_DISABLE_COMPILE_CACHE === undefined
) {
  nodeModule.enableCompileCache();
}

const options = {
  swcrc: false,
  configFile: false,
  sourceMaps: true,
  module: { type: "commonjs", noInterop: false, strictMode: true },
  jsc: {
    parser: { syntax: "typescript" },
    target: "es2022",
    keepClassNames: true,
    transform: { useDefineForClassFields: true },
  },
};

/** SWC's source map of each transpiled file, by file name; decoded on the first frame in it. */
const sourceMaps = new Map();

/** The position in the `.ts` source of a 1-based line and column of its transpiled code, if mapped. */
function originalPosition(file, line, column) {
  let map = sourceMaps.get(file);
  if (map === undefined) {
    return undefined;
  }
  if (typeof map === "string") {
    map = new nodeModule.SourceMap(JSON.parse(map));
    sourceMaps.set(file, map);
  }
  const entry = map.findEntry(line - 1, column - 1);
  return entry.originalLine === undefined
    ? undefined
    : { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

/** One frame as V8 writes it, with a transpiled file's position replaced by its source's. */
function formatFrame(frame) {
  const text = String(frame);
  const file = frame.getFileName();
  if (!file || !sourceMaps.has(file)) {
    return text;
  }
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  const at = `${file}:${line}:${column}`;
  const index = text.lastIndexOf(at);
  const original = index < 0 ? undefined : originalPosition(file, line, column);
  return original === undefined
    ? text
    : `${text.slice(0, index)}${file}:${original.line}:${original.column}${text.slice(index + at.length)}`;
}

/** The SDK's runtime/debuggable.js, whose `debuggablePromise` records a stack for every promise. */
const debuggable = path.join("@pulumi", "pulumi", "runtime", "debuggable.js");

/**
 * Whether these frames are the stack the SDK records for each of its promises, which it prints
 * only for a promise left pending at exit and only with PULUMI_DEBUG_PROMISE_LEAKS set.
 */
function isPromiseStack(frames) {
  const top = frames[0];
  return (
    top !== undefined &&
    top.getFunctionName() === "debuggablePromise" &&
    (top.getFileName() ?? "").endsWith(debuggable) &&
    !process.env.PULUMI_DEBUG_PROMISE_LEAKS
  );
}

/** Error.prepareStackTrace: V8's own format (https://v8.dev/docs/stack-trace-api), `.ts` positions. */
function prepareStackTrace(error, frames) {
  let header;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = "Error";
  }
  let text = header;
  // The stack of every promise the SDK makes, never printed unless PULUMI_DEBUG_PROMISE_LEAKS is
  // set: its first frame only, unformatted beyond that (most of the formatting an evaluation does).
  for (const frame of isPromiseStack(frames) ? frames.slice(0, 1) : frames) {
    text += `\n    at ${formatFrame(frame)}`;
  }
  return text;
}

/** Installs the formatter, first making the runner's source-map-support install a no-op. */
function installStackFormatter() {
  let sourceMapSupport;
  try {
    const runner = path.dirname(require.resolve("@pulumi/pulumi/cmd/run", { paths: [__dirname] }));
    sourceMapSupport = require(require.resolve("source-map-support", { paths: [runner] }));
  } catch {
    // No Pulumi SDK or no source-map-support next to it: nothing would replace the formatter.
  }
  sourceMapSupport?.install({ environment: "node", handleUncaughtExceptions: false });
  Error.prepareStackTrace = prepareStackTrace;
}

installStackFormatter();

let swc;
function loadTypeScript(module, filename) {
  // SWC's native binding loads on the first `.ts` file, not before.
  swc ??= require("@swc/core");
  const { code, map } = swc.transformSync(fs.readFileSync(filename, "utf8"), { ...options, filename });
  sourceMaps.set(filename, map);
  const inline = Buffer.from(map).toString("base64");
  module._compile(`${code}\n//# sourceMappingURL=data:application/json;base64,${inline}\n`, filename);
}

require.extensions[".ts"] = loadTypeScript;

module.exports = { loadTypeScript, prepareStackTrace };
