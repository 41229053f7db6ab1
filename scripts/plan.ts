/**
 * `npm run plan -- --stack <production|staging> [--json] [--diagram <file>] [--stack-file <file>]
 *   [--against <git-ref>] [--policy-config <file.json>] [--policy-pack <dir>]`
 *
 * The offline plan: evaluates the real program for one stack under Pulumi's mock engine (no
 * Pulumi CLI, no Docker host, no cloud account) and prints the resource tree by component, the
 * start order as waves with the critical path, the policy report, the secret rotation status and
 * the design document's §4.6 pre-deploy checklist. `--json` prints the same as one JSON document on stdout
 * (run it as `npm run --silent plan -- …`: npm prints its banner on stdout otherwise);
 * `--diagram` also writes a Mermaid diagram of the estate; `--stack-file` plans an edited copy of
 * the stack file instead of `Pulumi.<stack>.yaml`; `--policy-config` is the policy pack's config
 * as `pulumi preview --policy-pack-config` takes it, by default the stack's own
 * `policy/config/<stack>.json`; `--policy-pack` the pack's directory (`policy`).
 *
 * `--against <git-ref>` prints what changes instead of the whole estate: the stack as of the ref
 * (its own program and stack file) against the working tree (with `--stack-file` when given),
 * per resource create / import / update / replace (delete first or not) / delete with the changed
 * properties and why each replacement happens (scripts/lib/replacements.ts), which containers
 * restart in which waves and for about how long, then the policy report. A ref that cannot be
 * read is bad usage.
 *
 * Exit codes: 0 fine; 1 a mandatory policy violation; 2 a config error (the message names the
 * key, or the file that is not valid YAML, or the policy config that cannot be read or that the
 * pack refuses); 4 the policy pack did not run (not installed, failed); 64 bad usage.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { isStackName, policyConfigFile, STACKS } from "../test/harness/constants";
import { spawnPolicyPack } from "../test/harness/pack-process";
import { materialize, RefError, Tree } from "./lib/gitref";
import { PLAN_OPTIONS } from "./lib/plan-options";
import type { ChangeReport, PlanDiff } from "./lib/diff";
import type { Plan } from "./lib/plan";
import type { PolicyPackConfig } from "./lib/policy";

export const EXIT = { ok: 0, mandatoryViolation: 1, configError: 2, policyNotRun: 4, usage: 64 } as const;

const USAGE = `usage: npm run --silent plan -- --stack <${STACKS.join("|")}> [--json] [--diagram <file.mmd>] [--stack-file <file>] [--against <git-ref>] [--policy-config <file.json>] [--policy-pack <dir>]`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: PLAN_OPTIONS,
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const stack = args.stack ?? "";
  if (!isStackName(stack)) {
    process.stderr.write(
      `--stack must be one of ${STACKS.join(", ")}${stack ? `, got "${stack}"` : ""}\n${USAGE}\n`,
    );
    return EXIT.usage;
  }
  const stackFile = args["stack-file"] ? path.resolve(args["stack-file"]) : undefined;
  // The ref is read before anything else: one that cannot be read is bad usage.
  let tree: Tree | undefined;
  if (args.against !== undefined) {
    try {
      tree = materialize(args.against);
    } catch (e) {
      if (e instanceof RefError) {
        process.stderr.write(`${e.message}\n${USAGE}\n`);
        return EXIT.usage;
      }
      throw e;
    }
  }

  const timings: [string, number][] = [];
  let mark = performance.now();
  const lap = (phase: string) => {
    const now = performance.now();
    timings.push([phase, now - mark]);
    mark = now;
  };
  const configError = (message: string): number => {
    process.stderr.write(`${message}\n`);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ stack, ok: false, configError: message }, null, 2)}\n`);
    }
    return EXIT.configError;
  };

  // The stack's own policy-pack config unless another is given, as CI and the README pass it.
  const root = path.resolve(__dirname, "..");
  const policyConfigName = args["policy-config"] ?? policyConfigFile(stack);
  const policyConfigPath = args["policy-config"]
    ? path.resolve(args["policy-config"])
    : path.join(root, policyConfigName);
  let policyConfig: PolicyPackConfig;
  try {
    policyConfig = JSON.parse(fs.readFileSync(policyConfigPath, "utf8")) as PolicyPackConfig;
    if (policyConfig === null || typeof policyConfig !== "object" || Array.isArray(policyConfig)) {
      throw new Error("must be a JSON object of policy names to levels or settings");
    }
  } catch (e) {
    return configError(`policy config ${policyConfigName}: ${(e as Error).message.split("\n")[0]}`);
  }
  const packDir = path.resolve(args["policy-pack"] ?? path.join(root, "policy"));
  // The pack's process starts first, before this script loads the program, the mock engine and
  // the gRPC client: it starts as the CLI starts it (its JavaScript build, policy/bin), beside the
  // evaluation, and shares no state with it. A missing or stale build is refused (exit 4).
  const abort = new AbortController();
  let spawned: ChildProcess | Error;
  try {
    spawned = spawnPolicyPack(packDir, abort.signal);
  } catch (e) {
    spawned = e instanceof Error ? e : new Error(String(e)); // e.g. not installed: the report says so
  }
  // The pack serves in well under a second from its JavaScript build, before this process has
  // evaluated the stack: the evaluation is the critical path, so this process keeps its priority.
  const { checkConfig, evaluateStack } = await import("./lib/evaluate");
  const { diagramTitle, mermaidDiagram } = await import("./lib/diagram");
  const { buildPlan, renderText } = await import("./lib/plan");
  const { diffResources, renderChangeReport } = await import("./lib/diff");
  const { evaluateTree } = await import("./lib/against");
  const { attachPolicyPack, startPolicyAnalysis, stopPolicyPack } = await import("./lib/policy");
  const pack = spawned instanceof Error ? Promise.resolve(spawned) : attachPolicyPack(spawned);
  // A bad key fails fast: the pack is killed, not waited for.
  const invalid = await checkConfig(stack, stackFile);
  if (invalid !== undefined) {
    abort.abort();
    await stopPolicyPack(pack);
    return configError(invalid);
  }
  lap("config");

  let plan: Plan;
  let diagram: string;
  let changes: ChangeReport | undefined;
  try {
    // The pack analyzes each resource as it registers, as in a preview: on the other core,
    // beside the evaluation; the stack as a whole once the evaluation is complete. The
    // evaluation does not wait for the pack to start and take its config: what registers before
    // then is handed over once it has.
    const analysis = startPolicyAnalysis(stack, policyConfig, pack);
    const evaluation = await evaluateStack(stack, stackFile, analysis.resource);
    lap("evaluate");
    // A policy config the pack refuses is a config error, whatever the evaluation found.
    const refused = await analysis.ready;
    if (refused?.status === "invalid-config") {
      return configError(`policy config ${policyConfigName}: ${refused.reason ?? "refused"}`);
    }
    if (!evaluation.ok) {
      return configError(evaluation.configError);
    }
    // The ref and the working tree once more the same way (secret placeholders from their
    // ciphertext), while the pack is still starting.
    let diff: PlanDiff | undefined;
    if (tree) {
      const before = await evaluateTree(tree.root, stack);
      if (!before.ok) {
        return configError(`${tree.ref} (${tree.commit.slice(0, 12)}): ${before.configError}`);
      }
      const after = await evaluateTree(root, stack, stackFile);
      if (!after.ok) {
        return configError(after.configError);
      }
      diff = diffResources(before.resources, after.resources);
      lap("diff against the ref");
    }
    const policy = { ...(await analysis.finish(evaluation.run.resources)) };
    policy.configFile = policyConfigName;
    lap("policy pack");
    if (policy.status === "invalid-config") {
      return configError(`policy config ${policyConfigName}: ${policy.reason ?? "refused"}`);
    }
    plan = buildPlan(stack, evaluation.run, policy);
    diagram = mermaidDiagram(evaluation.run.resources, diagramTitle(stack));
    if (tree && diff) {
      changes = {
        stack,
        ok: plan.ok,
        against: { ref: tree.ref, commit: tree.commit },
        ...(stackFile ? { stackFile: evaluation.run.stackFile } : {}),
        diff,
        policy: plan.policy,
      };
    }
  } finally {
    await stopPolicyPack(pack);
  }

  if (args.diagram) {
    const file = path.resolve(args.diagram);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, diagram);
    process.stderr.write(`diagram written to ${path.relative(process.cwd(), file) || file}\n`);
  }
  if (changes) {
    process.stdout.write(args.json ? `${JSON.stringify(changes, null, 2)}\n` : renderChangeReport(changes));
  } else {
    process.stdout.write(args.json ? `${JSON.stringify(plan, null, 2)}\n` : renderText(plan));
  }
  lap("report");
  if (process.env.ONPREM_PLAN_TIMINGS) {
    process.stderr.write(`timings: ${timings.map(([p, ms]) => `${p} ${Math.round(ms)} ms`).join(", ")}\n`);
  }
  return plan.policy.status !== "ran" ? EXIT.policyNotRun : plan.ok ? EXIT.ok : EXIT.mandatoryViolation;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The mock engine keeps handles open; the plan is done once its output is flushed.
    process.stdout.write("", () => process.exit(code));
  },
  (e: unknown) => {
    process.stderr.write(`plan failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  },
);
