/**
 * Postfix (Debian's postfix): each rendered main.cf (with the rendered master.cf, or the
 * package's where the program renders none) in a temporary config directory, through
 * `postconf -c` (which warns about every unknown or misspelt parameter) and `postfix check`; each
 * rendered lookup table built with `postmap` in the table type main.cf names, and every key found.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import {
  asRoot,
  failure,
  need,
  run,
  say,
  selfSignedPair,
  tempDir,
  version,
  which,
  writeUnder,
} from "./daemon";
import { checkEach } from "./check";
import { ofKind } from "./kinds";

/** A config directory with the container's rendered Postfix files; paths in main.cf follow them. */
function configDir(f: RenderedFile, all: Rendered[]): { dir: string; files: Map<string, string> } {
  const dir = tempDir("postfix");
  const siblings = (ofKind(all, "postfix-conf") as RenderedFile[])
    .concat(ofKind(all, "postfix-map") as RenderedFile[])
    .filter((o) => o.stack === f.stack && o.container.name === f.container.name);
  const files = new Map<string, string>();
  for (const s of siblings) {
    files.set(s.path, writeUnder(dir, `/files${s.path}`, s.content));
  }
  const main = siblings.find((s) => s.path.endsWith("/main.cf"));
  assert.ok(main, `${f.container.name}: no main.cf rendered`);
  const pair = selfSignedPair(dir);
  let content = main.content
    .replace(/^(smtpd?_tls_cert_file\s*=).*$/gm, `$1 ${pair.cert}`)
    .replace(/^(smtpd?_tls_key_file\s*=).*$/gm, `$1 ${pair.key}`);
  for (const [p, local] of files) {
    content = content.split(p).join(local);
  }
  fs.writeFileSync(path.join(dir, "main.cf"), content);
  const master = siblings.find((s) => s.path.endsWith("/master.cf"));
  if (master) {
    fs.writeFileSync(path.join(dir, "master.cf"), master.content);
  } else {
    fs.copyFileSync("/etc/postfix/master.cf", path.join(dir, "master.cf"));
    say(`  master.cf: not rendered by the program (the image's own); the package's is used`);
  }
  say(`  TLS certificate and key -> a throwaway self-signed pair; config directory ${dir}`);
  return { dir, files };
}

describe("daemons: Postfix reads every rendered configuration", () => {
  let all: Rendered[];
  let postconf: string;
  let postmap: string;
  before(async function () {
    postconf = need(this, "postconf", "postfix");
    need(this, "postfix", "postfix");
    postmap = need(this, "postmap", "postfix");
    version([postconf, "-h", "mail_version"], "Postfix ");
    all = await allRendered();
  });

  it("refuses a main.cf with an unknown parameter (the check itself)", () => {
    const main = (ofKind(all, "postfix-conf") as RenderedFile[]).find((f) => f.path.endsWith("/main.cf"));
    assert.ok(main);
    const broken = { ...main, content: `${main.content}bogus_parameter_of_the_suite = yes\n` };
    assert.throws(
      () =>
        checkMain(
          broken,
          all.map((r) => (r === main ? broken : r)),
        ),
      /postconf refuses it[\s\S]*unused parameter: bogus_parameter_of_the_suite/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: postconf -c knows every parameter and postfix check passes`, async () => {
      await checkEach(all, "postfix-conf", stack, (r) => checkMain(r as RenderedFile, all));
    });

    it(`${stack}: postmap builds every rendered lookup table and finds each key`, async () => {
      await checkEach(all, "postfix-map", stack, (r) => {
        const f = r as RenderedFile;
        const main = (ofKind(all, "postfix-conf") as RenderedFile[]).find(
          (o) => o.stack === f.stack && o.container.name === f.container.name && o.path.endsWith("/main.cf"),
        );
        assert.ok(main, `${f.path}: no main.cf in ${f.container.name}`);
        const ref = new RegExp(`(\\$?[A-Za-z_]+):${f.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).exec(
          main.content,
        );
        assert.ok(ref, `${f.path} is not used by ${main.path}`);
        const { dir, files } = configDir(main, all);
        const type = ref[1].startsWith("$")
          ? run([postconf, "-c", dir, "-h", ref[1].slice(1)], { quiet: true }).stdout.trim()
          : ref[1];
        const table = `${type}:${files.get(f.path)}`;
        const built = run([postmap, "-c", dir, table]);
        if (built.code !== 0 || built.stderr.trim() !== "") {
          throw failure(`${f.path}: postmap cannot build it`, built);
        }
        for (const line of f.content.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"))) {
          const [key, ...value] = line.trim().split(/\s+/);
          const found = run([postmap, "-c", dir, "-q", key, table], { quiet: true });
          assert.equal(found.stdout.trim(), value.join(" "), `${f.path}: postmap -q ${key} ${table}`);
        }
        say(`  ${table}: every key found`);
      });
    });
  }
});

/** postconf -c (no warning) and postfix check on one main.cf, in a config directory of its own. */
function checkMain(f: RenderedFile, all: Rendered[]): void {
  const postconf = which("postconf") ?? "postconf";
  const postfix = which("postfix") ?? "postfix";
  const { dir } = configDir(f, all);
  for (const argv of [
    [postconf, "-c", dir, "-n"],
    [postconf, "-c", dir, "-M"],
  ]) {
    const result = run(argv);
    if (result.code !== 0 || /warning|fatal|error/i.test(result.stderr)) {
      throw failure(`${f.path}: postconf refuses it`, result);
    }
  }
  const check = run(asRoot([postfix, "-c", dir, "check"]));
  if (check.code !== 0) {
    throw failure(`${f.path}: postfix check fails`, check);
  }
}
