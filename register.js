// The program's TypeScript loader, for every process that runs it: the Pulumi CLI (Pulumi.yaml's
// `runtime.options`: `typescript: false`, so the CLI registers no ts-node and never loads the
// TypeScript compiler, and `nodeargs: --require ./register.js`), mocha, `npm run plan`, the bench
// and the diagram script (`node --require ./register.js …`). One loader, so what the tests and the
// plan evaluate is what `pulumi preview` evaluates. See docs/cli-loading.md.
//
// Each `.ts` file is transpiled by SWC on require, nothing more: no type check (that is
// `npm run typecheck`'s job, the first step of `npm test`, which CI runs before any preview). The
// options mirror tsconfig.json (ES2022, CommonJS, esModuleInterop). Each file carries an inline
// source map: the CLI's runner maps stack traces back to the sources (source-map-support), and
// mocha's setup file turns Node's own mapping on.
//
// Node's compile cache (V8 code for every module loaded after this line: the provider SDKs, the
// SDK, the transpiled program) is kept in `node-compile-cache` under the system's temporary
// directory, or in NODE_COMPILE_CACHE when set; a changed file is compiled afresh.
"use strict";
const fs = require("node:fs");
const nodeModule = require("node:module");

if (
  typeof nodeModule.enableCompileCache === "function" &&
  process.env.NODE_DISABLE_COMPILE_CACHE === undefined
) {
  nodeModule.enableCompileCache();
}

const options = {
  swcrc: false,
  configFile: false,
  sourceMaps: "inline",
  module: { type: "commonjs", noInterop: false, strictMode: true },
  jsc: {
    parser: { syntax: "typescript" },
    target: "es2022",
    keepClassNames: true,
    transform: { useDefineForClassFields: true },
  },
};

let swc;
function loadTypeScript(module, filename) {
  // SWC's native binding loads on the first `.ts` file, not before.
  swc ??= require("@swc/core");
  const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), { ...options, filename });
  module._compile(code, filename);
}

require.extensions[".ts"] = loadTypeScript;

module.exports = { loadTypeScript };
