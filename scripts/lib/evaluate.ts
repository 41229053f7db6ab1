/**
 * One evaluation of the real program for a stack under the mock engine, through the test
 * harness (`installMocks` once, then `runStack`). A config error (the program's `RunError`,
 * which names each bad key) is returned, not thrown, so callers can print it and exit.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../config";
import { installMocks } from "../../test/harness/engine";
import { readStackValues, runStack, secretsFor, StackName, STACKS } from "../../test/harness/stack";
import type { Evaluation } from "./plan";

export type EvaluationResult = { ok: true; run: Evaluation } | { ok: false; configError: string };

let installed = false;

async function ensureMocks(): Promise<void> {
  if (!installed) {
    await installMocks();
    installed = true;
  }
}

/**
 * Validates the stack's config exactly as the program does first (`parseStackConfig`), without
 * evaluating anything: the config error message, or undefined when the config is valid.
 */
export async function checkConfig(stack: StackName, stackFile?: string): Promise<string | undefined> {
  await ensureMocks();
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(readStackValues(stack, stackFile))) {
    if (value !== undefined) {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  const secrets = secretsFor(stack);
  try {
    parseStackConfig(stack, { values: { ...values, ...secrets }, secretKeys: new Set(Object.keys(secrets)) });
    return undefined;
  } catch (e) {
    if (pulumi.RunError.isInstance(e)) {
      return (e as Error).message;
    }
    throw e;
  }
}

export function isStackName(value: string): value is StackName {
  return (STACKS as readonly string[]).includes(value);
}

/**
 * Evaluates `index.ts` for `stack`, from its `Pulumi.<stack>.yaml` or from `stackFile` (an
 * edited copy), with the external secrets replaced by placeholders that stay secret.
 */
export async function evaluateStack(stack: StackName, stackFile?: string): Promise<EvaluationResult> {
  await ensureMocks();
  const values = readStackValues(stack, stackFile);
  try {
    const result = await runStack(stack, values, secretsFor(stack));
    return { ok: true, run: { resources: result.capture.resources, outputs: result.outputs } };
  } catch (e) {
    if (pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e)) {
      return { ok: false, configError: (e as Error).message };
    }
    throw e;
  }
}
