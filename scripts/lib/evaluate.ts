/**
 * One evaluation of the real program for a stack under the mock engine, through the test
 * harness (`installMocks` once, then `runStack`). A config error (the program's `RunError`,
 * which names each bad key) is returned, not thrown, so callers can print it and exit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { parseStackConfig } from "../../config";
import { installMocks } from "../../test/harness/engine";
import {
  readStackValues,
  ROOT,
  runStack,
  secretsFor,
  StackName,
  StackValues,
} from "../../test/harness/stack";
import type { Evaluation } from "./plan";

export type EvaluationResult = { ok: true; run: Evaluation } | { ok: false; configError: string };

let installed = false;

async function ensureMocks(): Promise<void> {
  if (!installed) {
    await installMocks();
    installed = true;
  }
}

/** Why `file` is not a readable YAML stack or project file, or undefined when it is. */
function fileProblem(file: string): string | undefined {
  const relative = path.relative(process.cwd(), file);
  const name = relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return `${name} cannot be read: ${(e as Error).message}`;
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    return `${name} is not valid YAML: ${(e as Error).message.split("\n")[0].replace(/:$/, "")}`;
  }
  const isMap = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(doc) || (doc.config !== undefined && !isMap(doc.config))) {
    return `${name}: expected a mapping whose \`config:\` is a mapping of keys to values`;
  }
  return undefined;
}

/**
 * Reads `Pulumi.yaml` and the stack file as the CLI would. A file that cannot be read, is not
 * valid YAML or has no `config:` mapping is a config error (seed §4.6's first check, the
 * syntax check `docker compose config` did), named with the file and, for YAML, line and column.
 */
export function readValues(
  stack: StackName,
  stackFile?: string,
): { ok: true; values: StackValues } | { ok: false; configError: string } {
  for (const file of [path.join(ROOT, "Pulumi.yaml"), stackFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`)]) {
    const problem = fileProblem(file);
    if (problem !== undefined) {
      return { ok: false, configError: problem };
    }
  }
  return { ok: true, values: readStackValues(stack, stackFile) };
}

/**
 * Validates the stack's config exactly as the program does first (`parseStackConfig`), without
 * evaluating anything: the config error message, or undefined when the config is valid.
 */
export async function checkConfig(stack: StackName, stackFile?: string): Promise<string | undefined> {
  const read = readValues(stack, stackFile);
  if (!read.ok) {
    return read.configError;
  }
  await ensureMocks();
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(read.values)) {
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

/**
 * Evaluates `index.ts` for `stack`, from its `Pulumi.<stack>.yaml` or from `stackFile` (an
 * edited copy), with the external secrets replaced by placeholders that stay secret.
 */
export async function evaluateStack(stack: StackName, stackFile?: string): Promise<EvaluationResult> {
  const read = readValues(stack, stackFile);
  if (!read.ok) {
    return read;
  }
  await ensureMocks();
  try {
    const result = await runStack(stack, read.values, secretsFor(stack));
    return { ok: true, run: { resources: result.capture.resources, outputs: result.outputs } };
  } catch (e) {
    if (pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e)) {
      return { ok: false, configError: (e as Error).message };
    }
    throw e;
  }
}
