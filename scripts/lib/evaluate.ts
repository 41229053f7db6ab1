/**
 * One evaluation of the real program for a stack under the mock engine, through the test
 * harness (`installMocks` once, then `runStack`). A config error (the program's `RunError`,
 * which names each bad key) is returned, not thrown, so callers can print it and exit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../config";
import { CapturedResource, installMocks, onRegistration } from "../../test/harness/engine";
import { readProjectConfig } from "../../test/harness/cli-config";
import { parseYaml } from "../../test/harness/yaml";
import {
  CliConfigError,
  cliConfigProblems,
  readProject,
  readStackValues,
  ROOT,
  runStack,
  runtimeConfig,
  secretsFor,
  StackName,
  StackRun,
  StackValues,
  unsetSecrets,
} from "../../test/harness/stack";
import type { Evaluation } from "./plan";

export type EvaluationResult = { ok: true; run: Evaluation } | { ok: false; configError: string };

/** A file as messages name it: relative to the working directory when inside it, else absolute. */
export function displayName(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

let installed = false;

async function ensureMocks(): Promise<void> {
  if (!installed) {
    await installMocks();
    installed = true;
  }
}

/** Why `file` is not a readable YAML stack or project file, or undefined when it is. */
function fileProblem(file: string): string | undefined {
  const name = displayName(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return `${name} cannot be read: ${(e as Error).message}`;
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return `${name} is not valid YAML: ${(e as Error).message.split("\n")[0].replace(/:$/, "")}`;
  }
  const isMap = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(doc) || (doc.config !== undefined && !isMap(doc.config))) {
    return `${name}: expected a mapping whose \`config:\` is a mapping of keys to values`;
  }
  if (path.basename(file) === "Pulumi.yaml") {
    const { problems } = readProjectConfig(doc);
    if (problems.length > 0) {
      return `${name}: the Pulumi CLI refuses this project:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
    }
  }
  return undefined;
}

/**
 * Reads `Pulumi.yaml` and the stack file as the CLI would. A file that cannot be read, is not
 * valid YAML or has no `config:` mapping is a config error (the design document §4.6's first check, the
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
 * Validates the stack's config as `pulumi preview` does before anything is evaluated: first the
 * CLI's own project-config rules, then the program's `parseStackConfig`, both naming the file
 * read (`stackFile`, an edited copy, or `Pulumi.<stack>.yaml`). The external secrets the stack
 * holds are placeholders, set as secrets. The config error message, or undefined when valid.
 */
export async function checkConfig(stack: StackName, stackFile?: string): Promise<string | undefined> {
  const read = readValues(stack, stackFile);
  if (!read.ok) {
    return read.configError;
  }
  const file = displayName(stackFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`));
  const secrets = secretsFor(stack, read.values);
  const refused = cliConfigProblems(stack, read.values, secrets, readProject());
  if (refused.length > 0) {
    return `The Pulumi CLI refuses ${file} with Pulumi.yaml's config declarations:\n${refused.map((p) => `  - ${p}`).join("\n")}`;
  }
  await ensureMocks();
  try {
    parseStackConfig(stack, { ...runtimeConfig(read.values, secrets), stackFile: file });
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
export async function evaluateStack(
  stack: StackName,
  stackFile?: string,
  each?: (resource: CapturedResource) => void,
): Promise<EvaluationResult> {
  const read = readValues(stack, stackFile);
  if (!read.ok) {
    return read;
  }
  await ensureMocks();
  try {
    const secrets = secretsFor(stack, read.values);
    onRegistration(each);
    let result: StackRun;
    try {
      result = await runStack(stack, read.values, secrets);
    } finally {
      onRegistration(undefined);
    }
    // Valid by now (the program ran): the backup settings, for the phase report.
    const { backup } = parseStackConfig(stack, runtimeConfig(read.values, secrets));
    return {
      ok: true,
      run: {
        backup,
        resources: result.capture.resources,
        outputs: result.outputs,
        stackFile: displayName(stackFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`)),
        externalSecrets: { held: Object.keys(secrets), unset: unsetSecrets(read.values) },
      },
    };
  } catch (e) {
    if (pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e) || e instanceof CliConfigError) {
      return { ok: false, configError: (e as Error).message };
    }
    throw e;
  }
}
