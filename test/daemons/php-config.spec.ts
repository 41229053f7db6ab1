/**
 * PHP's own configuration (Debian's php-cli and php-fpm 8.2; the pinned WordPress image
 * runs 8.3, and the constants the rendered files use exist in both): each php.ini fragment
 * rendered or shipped is loaded by `php` (no syntax warning) and every setting it names reads
 * back as written (a misspelt name reads back empty; a constant expression such as
 * `E_ALL & ~E_DEPRECATED & ~E_STRICT` as the same php evaluates it, so a misspelt constant fails); each PHP-FPM
 * pool file is loaded by `php-fpm -t` after a pool like the image's own `www` (user, listen),
 * which it overrides.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import { failure, freePort, need, run, say, tempDir, version, writeUnder } from "./daemon";
import { checkEach } from "./check";
import { ofKind } from "./kinds";

/**
 * Settings the CLI SAPI forces whatever the ini says (PHP manual, "Using PHP from the command
 * line"): only their names are checked.
 */
const CLI_FORCED = new Set([
  "display_errors",
  "html_errors",
  "implicit_flush",
  "max_execution_time",
  "max_input_time",
  "output_buffering",
  "register_argc_argv",
]);

/** The `name=value` settings of an ini text. */
function settings(ini: string): [string, string][] {
  return ini
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith(";") && !l.startsWith("[") && l.includes("="))
    .map((l) => {
      const at = l.indexOf("=");
      return [
        l.slice(0, at).trim(),
        l
          .slice(at + 1)
          .trim()
          .replace(/^"(.*)"$/, "$1"),
      ];
    });
}

/** How PHP reads back a boolean-looking value from an ini file. */
function asRead(value: string): string {
  if (/^(on|yes|true)$/i.test(value)) {
    return "1";
  }
  if (/^(off|no|false|none)$/i.test(value)) {
    return "";
  }
  return value;
}

/**
 * A value PHP's ini parser evaluates as an expression of constants (`E_ALL & ~E_DEPRECATED`):
 * constant names (one with an underscore at least) and the operators `& | ^ ~ !` and brackets.
 */
function isConstantExpression(value: string): boolean {
  return /^[A-Z0-9_&|^~!()\s]+$/.test(value) && /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/.test(value);
}

/** The value the same php gives a constant expression (`php -r 'echo E_ALL & ~E_STRICT;'`). */
export function evaluated(php: string, expression: string): string {
  const result = run([php, "-n", "-r", `echo ${expression};`], { quiet: true });
  if (result.code !== 0 || !/^-?\d+$/.test(result.stdout)) {
    throw failure(`php cannot evaluate ${expression}`, result);
  }
  return result.stdout;
}

/** php loads one ini fragment without a warning and reads every setting back as written. */
function checkIni(php: string, f: RenderedFile): void {
  const file = writeUnder(tempDir("php-ini"), "/zz.ini", f.content);
  const pairs = settings(f.content);
  assert.ok(pairs.length > 0, `${f.path}: no setting`);
  const opcache = pairs.some(([k]) => k.startsWith("opcache."));
  const script = `foreach (json_decode($argv[1]) as $k) { echo json_encode([$k, ini_get($k)]), "\\n"; }`;
  const result = run([
    php,
    "-n",
    ...(opcache ? ["-d", "zend_extension=opcache"] : []),
    "-c",
    file,
    "-r",
    script,
    JSON.stringify(pairs.map(([k]) => k)),
  ]);
  if (result.code !== 0 || /warning|error/i.test(result.stderr + result.stdout.replace(/^\[.*\]$/gm, ""))) {
    throw failure(`${f.path}: php refuses it`, result);
  }
  const read = new Map(
    result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as [string, string | false]),
  );
  for (const [key, value] of pairs) {
    const got = read.get(key);
    assert.notEqual(got, false, `${f.path}: PHP knows no setting ${key}`);
    if (CLI_FORCED.has(key)) {
      say(`  ${key}: known (the CLI forces its value; php-fpm takes the ini's)`);
      continue;
    }
    if (isConstantExpression(value)) {
      const expected = evaluated(php, value);
      assert.equal(
        String(got),
        expected,
        `${f.path}: ${key} reads back as ${String(got)}, ${value} is ${expected}`,
      );
      say(`  ${key}: ${value} = ${expected} (evaluated by the same php), read back as ${String(got)}`);
      continue;
    }
    assert.equal(asRead(String(got)), asRead(value), `${f.path}: ${key} reads back as ${String(got)}`);
  }
  say(`  ${pairs.length} settings read back as written`);
}

/** php-fpm -t with an image-like `www` pool, then the rendered pool file over it. */
async function checkPool(fpm: string, f: RenderedFile): Promise<void> {
  const dir = tempDir("php-fpm");
  writeUnder(dir, "/pool.d/zz-rendered.conf", f.content);
  const main = writeUnder(
    dir,
    "/php-fpm.conf",
    `[global]
error_log = ${dir}/php-fpm.log
pid = ${dir}/php-fpm.pid
daemonize = no
; The image's own pool (php-fpm.d/www.conf, docker.conf, zz-docker.conf), which the rendered file overrides.
[www]
user = www-data
group = www-data
listen = 127.0.0.1:${await freePort()}
pm = dynamic
pm.max_children = 5
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
include = ${dir}/pool.d/*.conf
`,
  );
  const result = run([fpm, "-t", "-y", main]);
  const log = fs.existsSync(`${dir}/php-fpm.log`) ? fs.readFileSync(`${dir}/php-fpm.log`, "utf8") : "";
  if (result.code !== 0 || !/test is successful/.test(result.stderr + result.stdout + log)) {
    throw failure(`${f.path}: php-fpm -t refuses it`, { ...result, stderr: `${result.stderr}\n${log}` });
  }
}

/** Debian's php-fpm binary (`php-fpm8.2`). */
function fpmBinary(ctx: Mocha.Context): string {
  const found = fs.readdirSync("/usr/sbin").find((f) => /^php-fpm\d/.test(f));
  return found ? `/usr/sbin/${found}` : need(ctx, "php-fpm", "php-fpm");
}

describe("daemons: PHP loads every rendered or shipped ini and FPM pool", () => {
  let all: Rendered[];
  let php: string;
  let fpm: string;
  before(async function () {
    php = need(this, "php", "php-cli");
    fpm = fpmBinary(this);
    version([fpm, "-v"]);
    all = await allRendered();
  });

  it("refuses an ini with an unknown setting and a pool with a bad value (the check itself)", async () => {
    const ini = ofKind(all, "php-ini")[0] as RenderedFile;
    assert.throws(
      () => checkIni(php, { ...ini, content: "memory_limt=256M\n" }),
      /PHP knows no setting memory_limt/,
    );
    assert.throws(
      () => checkIni(php, { ...ini, content: "error_reporting = E_ALL & ~E_DEPRECATD\n" }),
      /php cannot evaluate E_ALL & ~E_DEPRECATD/,
    );
    const pool = ofKind(all, "php-fpm-pool")[0] as RenderedFile;
    await assert.rejects(
      checkPool(fpm, { ...pool, content: `${pool.content}pm = not-a-process-manager\n` }),
      /php-fpm -t refuses it/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: php loads each ini and reads every setting back`, async () => {
      await checkEach(all, "php-ini", stack, (r) => checkIni(php, r as RenderedFile));
    });

    it(`${stack}: php-fpm -t accepts each pool file`, async () => {
      await checkEach(all, "php-fpm-pool", stack, (r) => checkPool(fpm, r as RenderedFile));
    });
  }
});
