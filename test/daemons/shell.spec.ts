/**
 * Shell scripts the program runs in containers (`sh -c` commands and entrypoints, scripts fed to
 * `sh -s`): `sh -n` (Debian's dash, a POSIX shell like the images' ash) parses each.
 */
import * as assert from "node:assert/strict";
import { STACKS } from "../harness/stack";
import { Rendered, allRendered, shellScript } from "./artefacts";
import { failure, need, run, say } from "./daemon";
import { checkEach } from "./check";

describe("daemons: sh parses every rendered script", () => {
  let all: Rendered[];
  let sh: string;
  before(async function () {
    sh = need(this, "dash", "dash");
    say(
      `version: dash (Debian ${run(["dpkg-query", "-W", "-f=${Version}", "dash"], { quiet: true }).stdout})`,
    );
    all = await allRendered();
  });

  it("refuses a script with a syntax error (the check itself)", () => {
    assert.throws(() => checkScript(sh, "if true; then\n  echo unterminated\n"), /sh -n refuses the script/);
  });

  for (const stack of STACKS) {
    it(`${stack}: sh -n accepts each script`, async () => {
      await checkEach(all, "shell-script", stack, (r) => checkScript(sh, shellScript(r) ?? ""));
    });
  }
});

/** sh -n on one script. */
function checkScript(sh: string, script: string): void {
  const result = run([sh, "-n"], { input: script });
  if (result.code !== 0) {
    throw failure("sh -n refuses the script", result);
  }
}
