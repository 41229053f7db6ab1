/**
 * Runs one daemon check over every artefact of a kind in one stack: prints each artefact, runs
 * the check, and fails once at the end naming every artefact that failed with the daemon's
 * message. A known bug (kinds.ts) must still fail; when it passes, the entry is stale.
 */
import { StackName } from "../harness/stack";
import { Rendered, nameOf } from "./artefacts";
import { say } from "./daemon";
import { Kind, knownBug, ofKind } from "./kinds";

export async function checkEach(
  all: readonly Rendered[],
  kind: Kind,
  stack: StackName,
  check: (r: Rendered) => Promise<void> | void,
): Promise<void> {
  const mine = ofKind(all, kind).filter((r) => r.stack === stack);
  const failures: string[] = [];
  for (const r of mine) {
    say(`- ${nameOf(r)}`);
    const bug = knownBug(r, kind);
    let error: unknown;
    try {
      await check(r);
    } catch (e) {
      error = e;
    }
    if (bug) {
      if (error === undefined) {
        failures.push(
          `${nameOf(r)}: recorded as a known bug (${bug.reason}) but the check passes: remove its entry from KNOWN_RENDER_BUGS in test/daemons/kinds.ts`,
        );
      } else {
        say(`  KNOWN BUG, not fixed on this branch: ${bug.reason}`);
        say(`  ${(error instanceof Error ? error.message : String(error)).split("\n").join("\n        ")}`);
      }
    } else if (error !== undefined) {
      failures.push(`${nameOf(r)}:\n${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} of ${mine.length} ${kind} artefact(s) of ${stack} fail:\n\n${failures.join("\n\n")}`,
    );
  }
}
