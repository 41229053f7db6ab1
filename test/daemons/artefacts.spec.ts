/**
 * The extraction itself: every rendered artefact of every stack is claimed by a daemon check (or
 * listed as unchecked with its reason), and each component renders the kinds kinds.ts expects.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, STACKS } from "../harness/stack";
import { Rendered, allRendered, contentHash, nameOf } from "./artefacts";
import { debianPackages, need, say, which } from "./daemon";
import { EXPECTED_KINDS, KINDS, KNOWN_RENDER_BUGS, Kind, ONLY_IN, UNCHECKED, kindsOf } from "./kinds";

describe("daemons: what the program renders", () => {
  let all: Rendered[];
  before(async () => {
    all = await allRendered();
  });

  it("extracts artefacts from both stacks", () => {
    for (const stack of STACKS) {
      const mine = all.filter((r) => r.stack === stack);
      say(`${stack}: ${mine.length} artefacts`);
      assert.ok(mine.length > 0, `${stack}: nothing extracted`);
    }
  });

  it("claims every artefact with a daemon check (or says why not)", () => {
    // Shipped build-context files (a Dockerfile, say) are checked where a kind claims them.
    const unclaimed = all
      .filter((r) => kindsOf(r).length === 0 && !(r.shape === "file" && r.shippedIn))
      .map(nameOf);
    assert.deepEqual(
      unclaimed,
      [],
      `no daemon check claims these artefacts: add a kind to KINDS (or an UNCHECKED entry with its reason) in test/daemons/kinds.ts`,
    );
    for (const u of UNCHECKED) {
      const n = all.filter((r) => u.matches(r)).length;
      say(`unchecked: ${u.what} (${n}): ${u.reason}`);
    }
  });

  for (const [component, expected] of Object.entries(EXPECTED_KINDS)) {
    it(`finds every kind ${component} must render, in both stacks`, () => {
      for (const stack of STACKS) {
        const found = new Set<Kind>(
          all.filter((r) => r.stack === stack && r.component === component).flatMap(kindsOf),
        );
        const missing = expected.filter(
          (k) => !found.has(k) && (ONLY_IN[component]?.[k]?.includes(stack) ?? true),
        );
        say(`${stack} ${component}: ${[...found].sort().join(", ")}`);
        assert.deepEqual(missing, [], `${stack} ${component}: no artefact of these kinds was extracted`);
      }
    });
  }

  it("fails on a missing daemon under CI=true, and skips it elsewhere with the install command", () => {
    const saved = process.env.CI;
    const skipped: string[] = [];
    const ctx = {
      skip: (): never => {
        skipped.push("skip");
        throw new Error("skipped");
      },
    };
    try {
      process.env.CI = "true";
      assert.throws(
        () => need(ctx, "no-such-daemon-of-the-suite", "no-such-package"),
        /no-such-daemon-of-the-suite is not installed: sudo apt-get install no-such-package/,
      );
      assert.deepEqual(skipped, []);
      delete process.env.CI;
      assert.throws(() => need(ctx, "no-such-daemon-of-the-suite", "no-such-package"), /skipped/);
      assert.deepEqual(skipped, ["skip"]);
      assert.equal(need(ctx, "sh", "dash"), which("sh"));
    } finally {
      if (saved === undefined) {
        delete process.env.CI;
      } else {
        process.env.CI = saved;
      }
    }
  });

  it("installs in CI exactly the packages of debian-packages.txt", () => {
    const run = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    assert.match(
      run,
      /apt-get install -y -qq --no-install-recommends \\\n\s+\$\(sed 's\/#\.\*\/\/' test\/daemons\/debian-packages\.txt\)/,
    );
    assert.match(run, /exit 101/);
    assert.match(run, /npm run test:daemons/);
    const packages = debianPackages();
    assert.equal(new Set(packages).size, packages.length, "a package is listed twice");
    for (const needed of [
      "mariadb-server",
      "dovecot-core",
      "postfix",
      "nginx",
      "php-cli",
      "redis-server",
      "rspamd",
      "clamav-daemon",
    ]) {
      assert.ok(packages.includes(needed), `${needed} is missing from test/daemons/debian-packages.txt`);
    }
  });

  it("reports the known render bugs still present, and entries no render matches any more", () => {
    for (const bug of KNOWN_RENDER_BUGS) {
      const hits = all.filter((r) => kindsOf(r).includes(bug.kind) && contentHash(r) === bug.hash);
      say(
        hits.length > 0
          ? `known bug (${hits.length} artefacts): ${bug.reason}`
          : `stale: no ${bug.kind} artefact has hash ${bug.hash} any more (the render changed): remove the entry from KNOWN_RENDER_BUGS`,
      );
    }
    assert.deepEqual(
      KNOWN_RENDER_BUGS.filter((b) => !KINDS.some((k) => k.kind === b.kind)).map((b) => b.kind),
      [],
      "a known bug names no kind",
    );
  });

  it("knows a daemon for every kind", () => {
    assert.deepEqual(
      [...new Set(Object.values(EXPECTED_KINDS).flat())].filter((k) => !KINDS.some((s) => s.kind === k)),
      [],
    );
  });
});
