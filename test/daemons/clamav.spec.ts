/**
 * ClamAV (Debian's clamav-daemon): `clamconf` reads each rendered clamd/freshclam configuration
 * and reports unknown, malformed and deprecated options. (clamd itself cannot start without a
 * signature database, which would have to be downloaded.)
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import { failure, need, run, tempDir, version, writeUnder } from "./daemon";
import { checkEach } from "./check";
import { ofKind } from "./kinds";

describe("daemons: ClamAV reads every rendered configuration", () => {
  let all: Rendered[];
  let clamconf: string;
  before(async function () {
    clamconf = need(this, "clamconf", "clamav-daemon");
    need(this, "clamd", "clamav-daemon");
    version(["clamd", "--version"]);
    all = await allRendered();
  });

  it("refuses a clamd.conf with an unknown option (the check itself)", () => {
    const conf = ofKind(all, "clamav-conf")[0] as RenderedFile;
    assert.throws(
      () => checkClamav(clamconf, { ...conf, content: `${conf.content}BogusOptionOfTheSuite yes\n` }),
      /Unknown option BogusOptionOfTheSuite/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: clamconf accepts each clamd.conf without unknown or deprecated options`, async () => {
      await checkEach(all, "clamav-conf", stack, (r) => checkClamav(clamconf, r as RenderedFile));
    });
  }
});

/** clamconf on one rendered ClamAV configuration: no unknown, malformed or deprecated option. */
function checkClamav(clamconf: string, f: RenderedFile): void {
  const dir = tempDir("clamav");
  writeUnder(dir, path.basename(f.path), f.content);
  const result = run([clamconf, "-n", "-c", dir]);
  const problems = `${result.stdout}\n${result.stderr}`
    .split("\n")
    .filter((l) => /ERROR|DEPRECATED|WARNING/.test(l));
  if (result.code !== 0 || problems.length > 0) {
    const shown = result.code === 0 ? { ...result, stdout: problems.join("\n"), stderr: "" } : result;
    throw failure(`${f.path}: clamconf reports ${problems.join("; ") || "a failure"}`, shown);
  }
}
