/**
 * Shell scripts the program runs in containers (`sh -c` commands and entrypoints, scripts fed to
 * `sh -s`): `sh -n` (Debian's dash, a POSIX shell like the images' ash) parses each.
 */
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

  for (const stack of STACKS) {
    it(`${stack}: sh -n accepts each script`, async () => {
      await checkEach(all, "shell-script", stack, (r) => {
        const result = run([sh, "-n"], { input: shellScript(r) });
        if (result.code !== 0) {
          throw failure("sh -n refuses the script", result);
        }
      });
    });
  }
});
