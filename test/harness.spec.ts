/**
 * The harness's own parts that the plan leans on: registrations handed over as the engine
 * receives them (for the policy pack, beside the evaluation), and YAML parsed once per text.
 */
import { strict as assert } from "node:assert";
import * as random from "@pulumi/random";
import { capture, type CapturedResource, onRegistration } from "./harness/engine";
import { parseYaml } from "./harness/yaml";

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
