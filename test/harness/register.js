// Loads TypeScript for mocha, the plan, the bench and the diagram script: each `.ts` file is
// transpiled by SWC on require, nothing more. Type checking is `npm run typecheck`'s job (part of
// `npm test`); here only speed matters. Not ts-node: its registration loads the TypeScript
// compiler just to read tsconfig.json (about 0.4 s per process) and hooks every module
// resolution for source maps. The options below mirror tsconfig.json (ES2022, CommonJS,
// esModuleInterop). Each file carries an inline source map; a process that wants stack traces
// mapped back to the sources turns Node's own support on (mocha's setup file does, the plan and
// the bench do not, since mapping costs time on every captured stack).
// (`pulumi preview` / `pulumi up` load the program through Pulumi's own ts-node registration.)
"use strict";
const fs = require("node:fs");
const { transformSync } = require("@swc/core");

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
require.extensions[".ts"] = function loadTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, "utf8"), { ...options, filename });
  module._compile(code, filename);
};
