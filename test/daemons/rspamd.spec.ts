/**
 * Rspamd (Debian's rspamd): per Rspamd container, the package's configuration with the rendered
 * local.d/override.d files in place, through `rspamadm configtest -s` (strict: any error fails),
 * the names the configuration resolves (its upstreams, e.g. `clamav`) resolving only when the
 * container reaches them; `configdump` must show the rendered files changed the configuration.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import { failure, need, run, say, tempDir, version, withHosts, writeUnder } from "./daemon";
import { ofKind } from "./kinds";

/** Names the package's own configuration resolves at load (its fuzzy storage), not the program's. */
const PACKAGE_NAMES = ["fuzzy1.rspamd.com", "fuzzy2.rspamd.com"];

describe("daemons: Rspamd loads the rendered configuration", () => {
  let all: Rendered[];
  let rspamadm: string;
  before(async function () {
    rspamadm = need(this, "rspamadm", "rspamd");
    version([rspamadm, "--version"]);
    all = await allRendered();
  });

  it("refuses a rendered file with a syntax error (the check itself)", () => {
    const file = ofKind(all, "rspamd-conf")[0] as RenderedFile;
    assert.throws(
      () => checkRspamd(rspamadm, [{ ...file, content: `${file.content}\nunbalanced_of_the_suite {\n` }]),
      /rspamadm configtest refuses them/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: rspamadm configtest -s accepts each Rspamd container's files`, () => {
      const files = (ofKind(all, "rspamd-conf") as RenderedFile[]).filter((f) => f.stack === stack);
      assert.ok(files.length > 0, `${stack}: no Rspamd file`);
      for (const name of [...new Set(files.map((f) => f.container.name))]) {
        checkRspamd(
          rspamadm,
          files.filter((f) => f.container.name === name),
        );
      }
    });
  }
});

/** The package's configuration with one container's rendered files in place: configtest -s, and they change it. */
function checkRspamd(rspamadm: string, mine: RenderedFile[]): void {
  const name = mine[0].container.name;
  say(`- ${name}: ${mine.map((f) => f.path).join(", ")}`);
  /** `rspamadm <command> <args> -c <dir>/etc/rspamd/rspamd.conf`, with `dir` as its whole configuration. */
  const rspamadmIn = (dir: string, command: string[]) =>
    run(
      withHosts(
        dir,
        [...mine[0].container.reachableNames, ...PACKAGE_NAMES],
        [
          rspamadm,
          `--var=CONFDIR=${dir}/etc/rspamd`,
          `--var=LOCAL_CONFDIR=${dir}/etc/rspamd`,
          ...command,
          "-c",
          `${dir}/etc/rspamd/rspamd.conf`,
        ],
      ),
    );
  const dump = (dir: string) => rspamadmIn(dir, ["configdump"]);
  const stockDir = tempDir("rspamd-stock");
  fs.cpSync("/etc/rspamd", `${stockDir}/etc/rspamd`, { recursive: true });
  const dir = tempDir("rspamd");
  fs.cpSync("/etc/rspamd", `${dir}/etc/rspamd`, { recursive: true });
  for (const f of mine) {
    writeUnder(dir, f.path, f.content);
  }
  const test = rspamadmIn(dir, ["configtest", "-s"]);
  if (test.code !== 0 || !/syntax OK/.test(test.stdout)) {
    throw failure(`${mine.map((f) => f.path).join(", ")} of ${name}: rspamadm configtest refuses them`, test);
  }
  const stock = dump(stockDir);
  const rendered = dump(dir);
  assert.equal(rendered.code, 0, rendered.stderr);
  assert.notEqual(rendered.stdout, stock.stdout, `${name}: the rendered files change nothing Rspamd loads`);
  say(`  configtest: syntax OK; configdump differs from the package's`);
}
