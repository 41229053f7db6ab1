// Builds the policy pack into JavaScript, `bin/` (package.json `main`: bin/index.js), so the Pulumi
// CLI's `run-policy-pack` finds nothing to type-check when `pulumi preview --policy-pack policy`
// starts it (it always registers ts-node with type checking). Runs on every install (`prepare`:
// `npm ci` at the root installs this pack and so builds it) and by hand: `npm run build --prefix policy`.
//
// `tsc` type-checks the pack once here and emits it. `bin/build-stamp.json` then records a digest
// of the sources the build came from (every `*.ts` here and tsconfig.json): the test harness
// refuses to start a pack whose stamp no longer matches its sources, so a stale build fails
// `npm test` and `npm run plan` instead of silently checking old policies. See docs/cli-loading.md.
"use strict";
const { createHash } = require("node:crypto");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const STAMP = path.join("bin", "build-stamp.json");

/** The files a build is made from, sorted: every `*.ts` of the pack's directory and its tsconfig.json. */
function sourceFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f === "tsconfig.json")
    .sort();
}

/** A digest of the sources: each file's name and content. */
function sourceDigest(dir) {
  const hash = createHash("sha256");
  for (const file of sourceFiles(dir)) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(dir, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Why the built pack in `dir` is not the build of its current sources (not built, or built from
 * other sources), or undefined when it is.
 */
function buildProblem(dir) {
  const fix = `run npm run build --prefix ${path.relative(process.cwd(), dir) || "."}`;
  const main = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main;
  if (typeof main !== "string" || !fs.existsSync(path.join(dir, main))) {
    return `the policy pack is not built (${main} is missing): ${fix}`;
  }
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(dir, STAMP), "utf8"));
  } catch {
    return `the policy pack's build has no ${STAMP}: ${fix}`;
  }
  if (stamp.sources !== sourceDigest(dir)) {
    return `the policy pack's build is stale (its sources changed since it was built): ${fix}`;
  }
  return undefined;
}

/** Removes the previous build, compiles with the pack's own TypeScript, writes the stamp. */
function build(dir) {
  fs.rmSync(path.join(dir, "bin"), { recursive: true, force: true });
  const tsc = require.resolve("typescript/bin/tsc", { paths: [dir] });
  execFileSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], {
    cwd: dir,
    stdio: "inherit",
  });
  fs.writeFileSync(
    path.join(dir, STAMP),
    `${JSON.stringify({ sources: sourceDigest(dir), files: sourceFiles(dir) }, null, 2)}\n`,
  );
}

module.exports = { STAMP, sourceFiles, sourceDigest, buildProblem, build };

if (require.main === module) {
  build(__dirname);
}
