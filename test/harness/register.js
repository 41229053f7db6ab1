// Loads TypeScript for mocha, the plan, the bench and the diagram script: ts-node with the SWC
// transpiler, transpile only. Type checking is `npm run typecheck`'s job (part of `npm test`);
// here only speed matters, and SWC transpiles the program several times faster than TypeScript.
// (`pulumi preview` / `pulumi up` load the program through Pulumi's own ts-node registration.)
"use strict";
const path = require("node:path");

require("ts-node").register({
  transpileOnly: true,
  swc: true,
  project: path.join(__dirname, "..", "..", "tsconfig.json"),
});
