import { strict as assert } from "node:assert";
import { parseStackConfig } from "../config";
import { readStackValues, secretsFor, StackValues, STACKS } from "./harness/stack";

/** Builds the raw config the runtime would hold for these values. */
function raw(values: StackValues, secrets: Record<string, string>) {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return { values: { ...flat, ...secrets }, secretKeys: new Set(Object.keys(secrets)) };
}

describe("stack config", () => {
  for (const stack of STACKS) {
    it(`accepts Pulumi.${stack}.yaml as committed`, () => {
      const cfg = parseStackConfig(stack, raw(readStackValues(stack), secretsFor(stack)));
      assert.equal(cfg.environment, stack);
      assert.equal(cfg.stackFile, `Pulumi.${stack}.yaml`);
    });
  }
});
