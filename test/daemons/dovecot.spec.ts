/**
 * Dovecot (Debian's dovecot-core 2.3 with the imapd, pop3d, lmtpd, mysql and sieve plugins):
 * `doveconf -n` on each complete rendered configuration, its certificate paths pointing at a
 * throwaway self-signed pair and its companion files (e.g. the SQL passdb's) written beside it;
 * every companion file must be referenced by the configuration.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import { failure, need, run, say, selfSignedPair, tempDir, version, writeUnder } from "./daemon";
import { checkEach } from "./check";
import { ofKind } from "./kinds";

const MAIN = /\/dovecot\.conf$/;

describe("daemons: Dovecot reads every rendered configuration", () => {
  let all: Rendered[];
  let doveconf: string;
  before(async function () {
    doveconf = need(this, "doveconf", "dovecot-core");
    version([need(this, "dovecot", "dovecot-core"), "--version"], "Dovecot ");
    all = await allRendered();
  });

  it("refuses a dovecot.conf with an unknown setting (the check itself)", () => {
    const files = ofKind(all, "dovecot-conf") as RenderedFile[];
    const main = files.find((f) => MAIN.test(f.path)) as RenderedFile;
    const broken = { ...main, content: `${main.content}bogus_setting_of_the_suite = yes\n` };
    assert.throws(
      () => checkDovecot(doveconf, broken, [broken, ...files.filter((f) => f !== main)]),
      /doveconf refuses it[\s\S]*bogus_setting_of_the_suite/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: doveconf -n accepts each dovecot.conf with its companions`, async () => {
      const files = ofKind(all, "dovecot-conf") as RenderedFile[];
      await checkEach(all, "dovecot-conf", stack, (r) => checkDovecot(doveconf, r as RenderedFile, files));
    });
  }
});

/** doveconf -n on one dovecot.conf (its companions beside it); a companion must be referenced. */
function checkDovecot(doveconf: string, f: RenderedFile, files: RenderedFile[]): void {
  const siblings = files.filter((o) => o.stack === f.stack && o.container.name === f.container.name);
  if (!MAIN.test(f.path)) {
    const main = siblings.find((o) => MAIN.test(o.path));
    assert.ok(main, `${f.path}: no dovecot.conf in ${f.container.name} to read it`);
    assert.ok(main.content.includes(f.path), `${f.path} is not referenced by ${main.path}`);
    say(`  referenced by ${main.path}`);
    return;
  }
  const dir = tempDir("dovecot");
  const pair = selfSignedPair(dir);
  let content = f.content
    .replace(/^(\s*ssl_cert\s*=\s*<).*$/gm, `$1${pair.cert}`)
    .replace(/^(\s*ssl_key\s*=\s*<).*$/gm, `$1${pair.key}`);
  for (const s of siblings.filter((o) => o !== f)) {
    content = content.split(s.path).join(writeUnder(dir, s.path, s.content));
  }
  const conf = writeUnder(dir, f.path, content);
  say(`  certificate paths -> a throwaway self-signed pair in ${dir}`);
  const result = run([doveconf, "-n", "-c", conf]);
  if (result.code !== 0 || /warning|error/i.test(result.stderr)) {
    throw failure(`${f.path} (written to ${path.relative(dir, conf)}): doveconf refuses it`, result);
  }
}
