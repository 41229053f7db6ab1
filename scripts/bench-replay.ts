/**
 * The bench's registration floor under the Pulumi CLI's runner (`npm run bench`): started by
 * `@pulumi/pulumi/cmd/run` exactly as the program is (same node arguments, same loader, same
 * engine), it registers the very resources a stack's evaluation registered, read from the plan in
 * ONPREM_BENCH_REPLAY (scripts/lib/replay.ts): each through the same provider SDK class, with the
 * same name, parent, provider, dependencies, inputs (secrets as secrets) and options, and each
 * component with its registered outputs. It has no logic of its own: no config, no components'
 * code, no renderers. The evaluation minus this is the program's own cost; this minus the empty
 * floor (scripts/bench-floor.ts) is what the SDK charges to register those resources.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { ReplayEntry } from "./lib/replay";
import { classOf, loadClass } from "./lib/sdk-classes";

type CustomClass = new (
  name: string,
  args: Record<string, unknown>,
  opts: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** A component as the program registered it: its type, name and options, then its outputs. */
class ReplayedComponent extends pulumi.ComponentResource {
  finish(outputs: Record<string, unknown>): void {
    this.registerOutputs(outputs);
  }
}

const file = process.env.ONPREM_BENCH_REPLAY;
if (file === undefined) {
  throw new Error("ONPREM_BENCH_REPLAY names no replay plan");
}
const plan = JSON.parse(fs.readFileSync(file, "utf8")) as ReplayEntry[];
const registered: pulumi.Resource[] = [];
const components: [ReplayedComponent, Record<string, unknown>][] = [];

for (const entry of plan) {
  const inputs: Record<string, unknown> = { ...entry.inputs };
  for (const key of entry.secretInputs) {
    inputs[key] = pulumi.secret(inputs[key]);
  }
  const opts: pulumi.CustomResourceOptions = {
    ...entry.options,
    parent: entry.parent === undefined ? undefined : registered[entry.parent],
    dependsOn: entry.dependsOn.map((i) => registered[i]),
    provider:
      entry.provider === undefined ? undefined : (registered[entry.provider] as pulumi.ProviderResource),
  };
  if (entry.custom) {
    const name = classOf(entry.type);
    if (name === undefined) {
      throw new Error(`no SDK class for ${entry.type}`);
    }
    const Class = loadClass(name) as CustomClass;
    registered.push(new Class(entry.name, inputs, opts));
  } else {
    const component = new ReplayedComponent(entry.type, entry.name, {}, opts);
    components.push([component, entry.outputs ?? {}]);
    registered.push(component);
  }
}
for (const [component, outputs] of components) {
  component.finish(outputs);
}
