// A test instrument for cli-run.ts: when ONPREM_MODULE_PROBE names a file, writes to it, as the
// process exits, every CommonJS module file the process loaded with the module that loaded it
// first, the process's peak resident set and its CPU time (JSON). Nothing otherwise.
"use strict";
const fs = require("node:fs");

const out = process.env.ONPREM_MODULE_PROBE;
if (out) {
  process.on("exit", () => {
    const modules = Object.values(require.cache).map((m) => ({
      file: m.filename,
      parent: m.parent?.filename,
    }));
    const usage = process.resourceUsage();
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
    fs.writeFileSync(out, JSON.stringify({ modules, maxRssKiB: usage.maxRSS, cpuMs }));
  });
}
