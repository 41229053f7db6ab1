/**
 * PHP (Debian's php-cli, the pinned WordPress image's 8.2 series): `php -l` on every PHP file
 * the program renders (uploads, files its scripts write) or ships in an image it builds.
 */
import * as assert from "node:assert/strict";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import { failure, need, run, tempDir, version, writeUnder } from "./daemon";
import { checkEach } from "./check";
import { ofKind } from "./kinds";

describe("daemons: php -l on every PHP file rendered or shipped", () => {
  let all: Rendered[];
  let php: string;
  before(async function () {
    php = need(this, "php", "php-cli");
    version([php, "-v"]);
    all = await allRendered();
  });

  it("refuses PHP with a syntax error (the check itself)", () => {
    const file = ofKind(all, "php")[0] as RenderedFile;
    assert.throws(
      () => checkPhp(php, { ...file, content: `${file.content}\n$broken = ;\n` }),
      /php -l refuses it[\s\S]*syntax error/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: php -l finds no syntax error`, async () => {
      await checkEach(all, "php", stack, (r) => checkPhp(php, r as RenderedFile));
    });
  }
});

/** php -l on one file. */
function checkPhp(php: string, f: RenderedFile): void {
  const file = writeUnder(tempDir("php"), f.path.startsWith("/") ? f.path : `/${f.path}`, f.content);
  const result = run([php, "-n", "-l", file]);
  if (result.code !== 0 || !/No syntax errors detected/.test(result.stdout)) {
    throw failure(`${f.path}: php -l refuses it`, result);
  }
}
