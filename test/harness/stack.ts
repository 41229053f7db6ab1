/**
 * Runs the real program (`index.ts`) for a stack under the mock engine: the stack's
 * `Pulumi.<stack>.yaml` plus the project defaults of `Pulumi.yaml`, checked first by the CLI's own
 * project-config rules (cli-config.ts), then handed to the program as the CLI would: every
 * external secret the stack holds as a secret, with a placeholder value, since nothing can decrypt
 * the stack file's `secure:` ciphertext offline (and a secret the operator has not set yet gets one
 * too; the plan says which).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseYaml } from "./yaml";
import { EXTERNAL_SECRETS, externalSecretsHeld } from "../../components/secrets/inventory";
import { isSecureNode, ProjectConfig, readProjectConfig, stackConfigProblems } from "./cli-config";
import { programEntry } from "./cli-program";
import { StackName } from "./constants";
import { Capture, capture, PROJECT, resolve, useStack } from "./engine";

export const ROOT = path.resolve(__dirname, "..", "..");

export { STACKS } from "./constants";
export type { StackName };

// Two placeholders keep the values they always had (suites compare them); the rest are derived.
const PLACEHOLDER_VALUES: Record<string, string> = {
  sendgridApiKey: "SG.placeholder-sendgrid-api-key-0123456789",
  cloudflareApiToken: "cf-placeholder-api-token-0123456789abcdef",
};

/**
 * Placeholder values for every external secret of the registry (the inventory's external
 * entries), by full key; tests look for them outside secrets.
 */
export const SECRET_PLACEHOLDERS: Record<string, string> = Object.fromEntries(
  EXTERNAL_SECRETS.map((s) => [
    `${PROJECT}:${s.id}`,
    PLACEHOLDER_VALUES[s.id] ?? `placeholder-${s.id}-0123456789abcdef`,
  ]),
);

/** A stack's config as plain data: `namespace:key` -> value (objects as objects). */
export type StackValues = Record<string, unknown>;

/** The project-namespace keys of `values`, unprefixed, as the inventory's `heldWhen` reads them. */
function ownConfig(values: StackValues): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith(`${PROJECT}:`)) {
      own[key.slice(PROJECT.length + 1)] = value;
    }
  }
  return own;
}

/**
 * The external secrets a stack holds, as placeholders set as secrets (full key -> value): those
 * its own config says it holds (e.g. a SendGrid key only where the relay authenticates), never
 * one it must not set. `values`: the stack's values (default: its committed file).
 */
export function secretsFor(
  stack: string,
  values: StackValues = readStackValues(stack),
): Record<string, string> {
  const { held } = externalSecretsHeld(ownConfig(values));
  return Object.fromEntries(held.map((id) => [`${PROJECT}:${id}`, SECRET_PLACEHOLDERS[`${PROJECT}:${id}`]]));
}

/** The full keys of the external secrets a stack holds that its file does not set yet (placeholders only). */
export function unsetSecrets(values: StackValues): string[] {
  const { held } = externalSecretsHeld(ownConfig(values));
  return held.map((id) => `${PROJECT}:${id}`).filter((key) => values[key] === undefined);
}

/** `Pulumi.yaml`'s config declarations, as the CLI reads them; throws on what the CLI refuses. */
export function readProject(file: string = path.join(ROOT, "Pulumi.yaml")): ProjectConfig {
  const { project, problems } = readProjectConfig(parseYaml(fs.readFileSync(file, "utf8")));
  if (problems.length > 0) {
    throw new Error(
      `${path.basename(file)}: the Pulumi CLI refuses this project:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  return project;
}

/**
 * Reads `Pulumi.yaml` defaults and `Pulumi.<stack>.yaml` (or `stackFile`, an edited copy) into
 * one map of full keys to values; encrypted values stay `{ secure: <ciphertext> }`.
 */
export function readStackValues(
  stack: string,
  stackFile: string = path.join(ROOT, `Pulumi.${stack}.yaml`),
): StackValues {
  const project = readProject();
  const values: StackValues = {};
  for (const [key, decl] of Object.entries(project.config)) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    const given = decl.value ?? decl.default;
    if (given !== undefined && given !== null) {
      values[fullKey] = given;
    }
  }
  const file = parseYaml(fs.readFileSync(stackFile, "utf8")) as {
    config?: Record<string, unknown>;
  };
  Object.assign(values, file.config ?? {});
  return values;
}

/**
 * What the Pulumi CLI refuses in this stack's config before the program runs (cli-config.ts),
 * with `secrets` counted as set with `pulumi config set --secret`; empty when it runs.
 */
export function cliConfigProblems(
  stack: string,
  values: StackValues,
  secrets: Record<string, string> = {},
  project: ProjectConfig = readProject(),
): string[] {
  const asSet: StackValues = { ...values };
  for (const key of Object.keys(secrets)) {
    asSet[key] = isSecureNode(values[key]) ? values[key] : { secure: "placeholder" };
  }
  return stackConfigProblems(stack, project, asSet, () => "placeholder");
}

/** Placeholder text for a secret the harness cannot decrypt. */
function placeholderFor(key: string): string {
  return SECRET_PLACEHOLDERS[key] ?? `placeholder-${key.replace(/[^A-Za-z0-9]+/g, "-")}-0123456789abcdef`;
}

/** `value` with every encrypted node replaced by `placeholder`, and whether it held one. */
function decryptedOffline(value: unknown, placeholder: string): { value: unknown; secret: boolean } {
  if (isSecureNode(value)) {
    return { value: placeholder, secret: true };
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => decryptedOffline(v, placeholder));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, decryptedOffline(v, placeholder)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, i]) => [k, i.value])),
      secret: entries.some(([, i]) => i.secret),
    };
  }
  return { value, secret: false };
}

/**
 * Config values as the CLI hands them to the program: JSON text for objects; a value the stack
 * file holds encrypted (or that holds an encrypted part) as a secret, with a placeholder for what
 * cannot be decrypted here; `secrets` (placeholders) set as secrets over the values.
 */
export function runtimeConfig(
  values: StackValues,
  secrets: Record<string, string> = SECRET_PLACEHOLDERS,
): { values: Record<string, string>; secretKeys: Set<string> } {
  const flat: Record<string, string> = {};
  const secretKeys = new Set(Object.keys(secrets));
  for (const [key, raw] of Object.entries(values)) {
    if (raw === undefined) {
      continue;
    }
    const { value, secret } = decryptedOffline(raw, placeholderFor(key));
    flat[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) {
      secretKeys.add(key);
    }
  }
  return { values: { ...flat, ...secrets }, secretKeys };
}

/** Installs config values into the runtime as the CLI does (`runtimeConfig`). */
export function installConfig(
  values: StackValues,
  secrets: Record<string, string> = SECRET_PLACEHOLDERS,
): void {
  const config = runtimeConfig(values, secrets);
  pulumi.runtime.setAllConfig(config.values, [...config.secretKeys]);
}

/** The CLI's refusal of a stack's config, before the program runs: its messages, one per line. */
export class CliConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    super(`the Pulumi CLI stops before the program runs:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "CliConfigError";
  }
}

/** The program's stack outputs, resolved, with their secrecy. */
export type StackOutputs = Record<string, { value: unknown; secret: boolean }>;

export interface StackRun {
  capture: Capture;
  outputs: StackOutputs;
}

/** Deep-copies stack values so a test can edit them. */
export function cloneValues(values: StackValues): StackValues {
  return JSON.parse(JSON.stringify(values)) as StackValues;
}

/**
 * Evaluates the program for `stack` with `values` (default: the stack file) and returns what it
 * registered and exported. The program is the module the Pulumi CLI runs (package.json `main`,
 * `index.ts`), loaded through the loader Pulumi.yaml gives the CLI (`register.js`); see
 * cli-program.ts.
 */
export async function runStack(
  stack: StackName,
  values: StackValues = readStackValues(stack),
  secrets: Record<string, string> = secretsFor(stack, values),
): Promise<StackRun> {
  useStack(stack);
  installConfig(values, secrets);
  // The entry point and loader the Pulumi CLI uses (Pulumi.yaml, package.json): cli-program.ts.
  const entry = programEntry();
  delete require.cache[entry];
  let exported: Record<string, unknown> = {};
  const result = await capture(() => {
    // The CLI checks the project's config declarations before it starts the program.
    const refused = cliConfigProblems(stack, values, secrets);
    if (refused.length > 0) {
      throw new CliConfigError(stack, refused);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(entry) as Record<string, unknown>;
  });
  const outputs: StackOutputs = {};
  for (const [name, value] of Object.entries(exported)) {
    outputs[name] = await resolve(value as pulumi.Input<unknown>);
  }
  return { capture: result, outputs };
}
