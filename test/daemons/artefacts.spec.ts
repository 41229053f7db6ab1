/**
 * The extraction itself: every rendered artefact of every stack is claimed by a daemon check (or
 * listed as unchecked with its reason), and each component renders the kinds kinds.ts expects.
 */
import * as assert from "node:assert/strict";
import { STACKS } from "../harness/stack";
import { Rendered, allRendered, nameOf } from "./artefacts";
import { say } from "./daemon";
import { EXPECTED_KINDS, KINDS, Kind, ONLY_IN, UNCHECKED, kindsOf } from "./kinds";

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

  it("knows a daemon for every kind", () => {
    assert.deepEqual(
      [...new Set(Object.values(EXPECTED_KINDS).flat())].filter((k) => !KINDS.some((s) => s.kind === k)),
      [],
    );
  });
});
