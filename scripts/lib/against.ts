/**
 * The program as of a git ref, for `npm run plan -- --against <ref>`: the ref's tree (gitref.ts)
 * evaluated in this process under the same mock engine, with the ref's own `index.ts`,
 * `Pulumi.yaml`, stack file and secrets registry. Its `node_modules` is a link to this
 * checkout's, which Node resolves to the same `@pulumi/pulumi`, so both evaluations register
 * with one engine.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseYaml } from "../../test/harness/yaml";
import { isSecureNode, ProjectConfig } from "../../test/harness/cli-config";
import type { CapturedResource } from "../../test/harness/engine";
import { capture, PROJECT, resolve, useStack } from "../../test/harness/engine";
import {
  CliConfigError,
  cliConfigProblems,
  installConfig,
  readProject,
  SECRET_PLACEHOLDERS,
  secretsFor,
  StackName,
  StackOutputs,
  StackValues,
} from "../../test/harness/stack";
import { TYPES } from "./model";

/** `Pulumi.yaml` defaults and the stack file's config, as the CLI merges them. */
function valuesAt(project: ProjectConfig, stackFile: string): StackValues {
  const values: StackValues = {};
  for (const [key, decl] of Object.entries(project.config)) {
    const given = decl.value ?? decl.default;
    if (given !== undefined && given !== null) {
      values[key.includes(":") ? key : `${PROJECT}:${key}`] = given;
    }
  }
  const file = parseYaml(fs.readFileSync(stackFile, "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  return Object.assign(values, file?.config ?? {});
}

interface Inventory {
  externalSecretsHeld(config: Record<string, unknown>): { held: string[] };
}

/**
 * The external secrets the tree's own registry says the stack holds, as placeholders; a tree
 * from before the registry existed gets the working tree's. A secret the stack file holds
 * encrypted gets a placeholder derived from its ciphertext, so a secret set to a new value
 * (`pulumi config set --secret`) differs between the two sides of a diff, as its value does.
 */
export function secretsAt(root: string, stack: StackName, values: StackValues): Record<string, string> {
  const registry = path.join(root, "components", "secrets", "inventory.ts");
  let held: string[];
  if (fs.existsSync(registry)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const inventory = require(registry) as Inventory;
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      if (key.startsWith(`${PROJECT}:`)) {
        own[key.slice(PROJECT.length + 1)] = value;
      }
    }
    held = inventory.externalSecretsHeld(own).held.map((id) => `${PROJECT}:${id}`);
  } else {
    held = Object.keys(secretsFor(stack, values));
  }
  return Object.fromEntries(
    held.map((key) => {
      const base =
        SECRET_PLACEHOLDERS[key] ?? `placeholder-${key.slice(PROJECT.length + 1)}-0123456789abcdef`;
      const node = values[key];
      return [
        key,
        isSecureNode(node)
          ? `${base}-${createHash("sha256").update(node.secure).digest("hex").slice(0, 12)}`
          : base,
      ];
    }),
  );
}

export type TreeEvaluation =
  { ok: true; resources: CapturedResource[]; outputs: StackOutputs } | { ok: false; configError: string };

/**
 * Evaluates the program of the tree at `root` for `stack`, from its own stack file (or
 * `stackFile`), with the mocks installed. A config error (the project or stack file unreadable,
 * or refused by the CLI's rules or the program's) is returned, not thrown.
 */
export async function evaluateTree(
  root: string,
  stack: StackName,
  stackFile?: string,
): Promise<TreeEvaluation> {
  const file = stackFile ?? path.join(root, `Pulumi.${stack}.yaml`);
  const firstLine = (e: unknown) => (e as Error).message.split("\n")[0].replace(/:$/, "");
  let project: ProjectConfig;
  try {
    project = readProject(path.join(root, "Pulumi.yaml"));
  } catch (e) {
    return { ok: false, configError: `Pulumi.yaml cannot be read: ${firstLine(e)}` };
  }
  let values: StackValues;
  try {
    values = valuesAt(project, file);
  } catch (e) {
    const unreadable = (e as NodeJS.ErrnoException).syscall !== undefined; // fs, not YAML
    return {
      ok: false,
      configError: `${path.basename(file)} ${unreadable ? "cannot be read" : "is not valid YAML"}: ${firstLine(e)}`,
    };
  }
  return evaluateValues(root, stack, values, project);
}

/** Evaluates the program of the tree at `root` for `stack` with these config values. */
export async function evaluateValues(
  root: string,
  stack: StackName,
  values: StackValues,
  project: ProjectConfig = readProject(path.join(root, "Pulumi.yaml")),
): Promise<TreeEvaluation> {
  try {
    const secrets = secretsAt(root, stack, values);
    const refused = cliConfigProblems(stack, values, secrets, project);
    if (refused.length > 0) {
      throw new CliConfigError(stack, refused);
    }
    useStack(stack);
    installConfig(values, secrets);
    const entry = require.resolve(path.join(root, "index.ts"));
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
    return { ok: true, resources: withContextDigests(result.resources, root), outputs };
  } catch (e) {
    if (pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e) || e instanceof CliConfigError) {
      return { ok: false, configError: (e as Error).message };
    }
    throw e;
  }
}

/** sha256 over the files of a directory (sorted relative paths and contents), or undefined. */
export function directoryDigest(dir: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) {
    return undefined;
  }
  const hash = createHash("sha256");
  const walk = (rel: string) => {
    const entries = fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.isFile()) {
        hash
          .update(`${child}\0`)
          .update(fs.readFileSync(path.join(dir, child)))
          .update("\0");
      }
    }
  };
  walk("");
  return `sha256:${hash.digest("hex")}`;
}

/**
 * The resources with each `docker.Image`'s `build.contextDigest` added, as pulumi-docker's Check
 * adds it (a hash of the build context): a relative context is read from `root`, the directory
 * `pulumi` runs in. A context not on this machine gets none.
 */
export function withContextDigests(resources: CapturedResource[], root: string): CapturedResource[] {
  return resources.map((r) => {
    const build = r.type === TYPES.image ? r.inputs.build : undefined;
    if (build === null || typeof build !== "object" || Array.isArray(build)) {
      return r;
    }
    const context = (build as Record<string, unknown>).context;
    const digest = typeof context === "string" ? directoryDigest(path.resolve(root, context)) : undefined;
    if (digest === undefined) {
      return r;
    }
    return {
      ...r,
      inputs: { ...r.inputs, build: { ...(build as Record<string, unknown>), contextDigest: digest } },
    };
  });
}
