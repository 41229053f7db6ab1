/**
 * Runs the real program (`index.ts`) for a stack under the mock engine: the stack's
 * `Pulumi.<stack>.yaml` plus the project defaults of `Pulumi.yaml`, external secrets replaced by
 * placeholders that are set as secrets, exactly as the CLI would hand them to the program.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { StackName } from "./constants";
import { Capture, capture, PROJECT, resolve, useStack } from "./engine";

export const ROOT = path.resolve(__dirname, "..", "..");

export { STACKS } from "./constants";
export type { StackName };

/** Placeholder values for the external secrets; tests look for them outside secrets. */
export const SECRET_PLACEHOLDERS: Record<string, string> = {
  [`${PROJECT}:sendgridApiKey`]: "SG.placeholder-sendgrid-api-key-0123456789",
  [`${PROJECT}:cloudflareApiToken`]: "cf-placeholder-api-token-0123456789abcdef",
  [`${PROJECT}:mailDbRootPassword`]: "placeholder-mail-root-pw-0123",
  [`${PROJECT}:mailDbAppPassword`]: "placeholder-roundcube-pw-0123",
  [`${PROJECT}:usermgmtDbPassword`]: "placeholder-usermgmt-pw-0123",
};

/** The external secrets a stack holds: staging's relay is unauthenticated, so no SendGrid key. */
export function secretsFor(stack: string): Record<string, string> {
  if (stack === "production") {
    return { ...SECRET_PLACEHOLDERS };
  }
  return Object.fromEntries(
    Object.entries(SECRET_PLACEHOLDERS).filter(([key]) => key !== `${PROJECT}:sendgridApiKey`),
  );
}

/** A stack's config as plain data: `namespace:key` -> value (objects as objects). */
export type StackValues = Record<string, unknown>;

/**
 * Reads `Pulumi.yaml` defaults and `Pulumi.<stack>.yaml` (or `stackFile`, an edited copy) into
 * one map of full keys to values.
 */
export function readStackValues(
  stack: string,
  stackFile: string = path.join(ROOT, `Pulumi.${stack}.yaml`),
): StackValues {
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, unknown>;
  };
  const values: StackValues = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as Record<string, unknown>;
      if ("value" in d) {
        values[fullKey] = d.value;
      } else if ("default" in d) {
        values[fullKey] = d.default;
      }
    } else {
      values[fullKey] = decl;
    }
  }
  const file = parse(fs.readFileSync(stackFile, "utf8")) as {
    config?: Record<string, unknown>;
  };
  Object.assign(values, file.config ?? {});
  return values;
}

/** Installs config values into the runtime as the CLI does: JSON text for objects, plus secrets. */
export function installConfig(
  values: StackValues,
  secrets: Record<string, string> = SECRET_PLACEHOLDERS,
): void {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) {
      continue;
    }
    flat[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  Object.assign(flat, secrets);
  pulumi.runtime.setAllConfig(flat, Object.keys(secrets));
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
 * Evaluates `index.ts` for `stack` with `values` (default: the stack file) and returns what it
 * registered and exported.
 */
export async function runStack(
  stack: StackName,
  values: StackValues = readStackValues(stack),
  secrets: Record<string, string> = secretsFor(stack),
): Promise<StackRun> {
  useStack(stack);
  installConfig(values, secrets);
  const entry = require.resolve(path.join(ROOT, "index.ts"));
  delete require.cache[entry];
  let exported: Record<string, unknown> = {};
  const result = await capture(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(entry) as Record<string, unknown>;
  });
  const outputs: StackOutputs = {};
  for (const [name, value] of Object.entries(exported)) {
    outputs[name] = await resolve(value as pulumi.Input<unknown>);
  }
  return { capture: result, outputs };
}
