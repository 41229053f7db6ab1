/**
 * The harness's own parts that the plan leans on: registrations handed over as the engine
 * receives them (for the policy pack, beside the evaluation) and let through a few per turn of the
 * event loop, and YAML parsed once per text.
 */
import { strict as assert } from "node:assert";
import { setImmediate as nextTurn } from "node:timers/promises";
import * as random from "@pulumi/random";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { encodeAnalyzeStackRequest, outputsOf } from "./harness/analyzer";
import { capture, type CapturedResource, onRegistration, turnGate } from "./harness/engine";
import { runStack } from "./harness/stack";
import { parseYaml } from "./harness/yaml";

/** Counts the turns of the event loop from now until `stop()`. */
function countTurns(): { readonly count: number; stop(): void } {
  let count = 0;
  let ticking = true;
  const tick = (): void => {
    count++;
    if (ticking) {
      setImmediate(tick);
    }
  };
  setImmediate(tick);
  return {
    get count() {
      return count;
    },
    stop() {
      ticking = false;
    },
  };
}

describe("the harness", () => {
  describe("onRegistration", () => {
    afterEach(() => onRegistration(undefined));

    it("hands over each registration as the engine receives it, its inputs already readable", async () => {
      const seen: { name: string; length: unknown; secretPaths: string[] }[] = [];
      onRegistration((r: CapturedResource) =>
        seen.push({ name: r.name, length: r.inputs.length, secretPaths: r.secretPaths }),
      );
      const run = await capture(() => {
        const first = new random.RandomPassword("first", { length: 20 });
        new random.RandomPassword("second", { length: 21 }, { dependsOn: [first] });
      });
      assert.deepEqual(seen, [
        { name: "first", length: 20, secretPaths: [] },
        { name: "second", length: 21, secretPaths: [] },
      ]);
      assert.deepEqual(
        run.resources.map((r) => r.name),
        ["first", "second"],
      );
    });

    it("hands over nothing once unset", async () => {
      const seen: string[] = [];
      onRegistration((r) => seen.push(r.name));
      onRegistration(undefined);
      const run = await capture(() => new random.RandomPassword("alone", { length: 8 }));
      assert.deepEqual(seen, []);
      assert.equal(run.resources.length, 1);
    });

    /** For each of 30 independent registrations, the turn of the event loop it was answered in. */
    async function answeredTurns(): Promise<Map<number, number>> {
      const turns = countTurns();
      const answered = new Map<number, number>();
      await capture(() => {
        for (let i = 0; i < 30; i++) {
          new random.RandomPassword(`p-${i}`, { length: 8 }).urn.apply(() =>
            answered.set(turns.count, (answered.get(turns.count) ?? 0) + 1),
          );
        }
      });
      turns.stop();
      return answered;
    }

    it("with a listener, lets registrations through four a turn, so I/O goes on beside the evaluation", async () => {
      onRegistration(() => undefined);
      const answered = await answeredTurns();
      assert.equal(
        [...answered.values()].reduce((a, b) => a + b, 0),
        30,
      );
      assert.deepEqual([...answered.values()], [4, 4, 4, 4, 4, 4, 4, 2]);
    });

    it("without one, answers them all in one go, as before", async () => {
      const answered = await answeredTurns();
      assert.deepEqual([...answered.values()], [30]);
    });
  });

  describe("turnGate", () => {
    /** Lets `n` turns of the event loop pass. */
    async function turns(n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        await nextTurn();
      }
    }

    it("lets at most perTurn through a turn, in the order they came, later ones behind", async () => {
      const next = turnGate(2);
      const passed: number[] = [];
      const wait = (i: number) => void next().then(() => passed.push(i));
      [0, 1, 2, 3, 4].forEach(wait);
      assert.deepEqual(passed, [], "none before a turn");
      await turns(1);
      assert.deepEqual(passed, [0, 1]);
      wait(5);
      await turns(1);
      assert.deepEqual(passed, [0, 1, 2, 3]);
      await turns(2);
      assert.deepEqual(passed, [0, 1, 2, 3, 4, 5]);
      wait(6);
      await turns(1);
      assert.deepEqual(
        passed,
        [0, 1, 2, 3, 4, 5, 6],
        "an idle gate lets the next one through at the next turn",
      );
    });

    it("refuses a count of zero, a negative or a fraction", () => {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => turnGate(bad), /perTurn must be a positive integer/);
      }
    });
  });

  describe("encodeAnalyzeStackRequest", () => {
    it("encodes the stack's request in slices, a turn between them, to the bytes the SDK's message writes", async function () {
      this.timeout(60_000);
      const { resources } = (await runStack("production")).capture;
      const whole = await encodeAnalyzeStackRequest(resources, resources.length);
      const turns = countTurns();
      const sliced = await encodeAnalyzeStackRequest(resources, 10);
      turns.stop();
      assert.ok(
        turns.count >= Math.ceil(resources.length / 10) - 1,
        `${turns.count} turns for ${resources.length} resources`,
      );
      assert.deepEqual(Buffer.from(sliced), Buffer.from(whole));
      // The bytes the SDK's message writes: decoded and encoded again by it, they are the same.
      const message = analyzerPb.AnalyzeStackRequest.deserializeBinary(sliced);
      assert.deepEqual(Buffer.from(message.serializeBinary()), Buffer.from(sliced));
      // Every resource, in order, each with its outputs.
      const decoded = message.getResourcesList();
      assert.deepEqual(
        decoded.map((r) => r.getUrn()),
        resources.map((r) => r.urn),
      );
      const last = resources[resources.length - 1];
      assert.deepEqual(
        decoded[decoded.length - 1].getProperties()?.toJavaScript(),
        JSON.parse(JSON.stringify(outputsOf(last))),
      );
    });
  });

  describe("parseYaml", () => {
    it("gives each caller its own copy of the same document", () => {
      const text = "config:\n  onprem-infra:sites:\n    - name: blog\n";
      const a = parseYaml(text) as { config: Record<string, { name: string }[]> };
      a.config["onprem-infra:sites"][0].name = "changed";
      assert.deepEqual(parseYaml(text), { config: { "onprem-infra:sites": [{ name: "blog" }] } });
    });

    it("throws the yaml package's error for invalid YAML, every time", () => {
      for (let i = 0; i < 2; i++) {
        assert.throws(() => parseYaml("config:\n  a: [1, 2\n"), /Flow sequence|flow collection|Missing/i);
      }
    });
  });
});
