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
import { parse } from "yaml";
import type { ProjectConfig } from "../../test/harness/cli-config";
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
function valuesAt(root: string, project: ProjectConfig, stack: StackName): StackValues {
  const values: StackValues = {};
  for (const [key, decl] of Object.entries(project.config)) {
    const given = decl.value ?? decl.default;
    if (given !== undefined && given !== null) {
      values[key.includes(":") ? key : `${PROJECT}:${key}`] = given;
    }
  }
  const file = parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  return Object.assign(values, file?.config ?? {});
}

interface Inventory {
  externalSecretsHeld(config: Record<string, unknown>): { held: string[] };
}

/**
 * The external secrets the tree's own registry says the stack holds, as placeholders; a tree
 * from before the registry existed gets the working tree's.
 */
function secretsAt(root: string, stack: StackName, values: StackValues): Record<string, string> {
  const registry = path.join(root, "components", "secrets", "inventory.ts");
  if (!fs.existsSync(registry)) {
    return secretsFor(stack, values);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const inventory = require(registry) as Inventory;
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith(`${PROJECT}:`)) {
      own[key.slice(PROJECT.length + 1)] = value;
    }
  }
  return Object.fromEntries(
    inventory.externalSecretsHeld(own).held.map((id) => {
      const key = `${PROJECT}:${id}`;
      return [key, SECRET_PLACEHOLDERS[key] ?? `placeholder-${id}-0123456789abcdef`];
    }),
  );
}

export type TreeEvaluation =
  { ok: true; resources: CapturedResource[]; outputs: StackOutputs } | { ok: false; configError: string };

/**
 * Evaluates the program of the tree at `root` for `stack` (its own stack file), with the mocks
 * installed. A config error (the tree's project or stack file unreadable, or refused by the CLI's
 * rules or the program's) is returned, not thrown.
 */
export async function evaluateTree(root: string, stack: StackName): Promise<TreeEvaluation> {
  let project: ProjectConfig;
  let values: StackValues;
  const firstLine = (e: unknown) => (e as Error).message.split("\n")[0].replace(/:$/, "");
  try {
    project = readProject(path.join(root, "Pulumi.yaml"));
  } catch (e) {
    return { ok: false, configError: `Pulumi.yaml cannot be read: ${firstLine(e)}` };
  }
  try {
    values = valuesAt(root, project, stack);
  } catch (e) {
    const unreadable = (e as NodeJS.ErrnoException).syscall !== undefined; // fs, not YAML
    return {
      ok: false,
      configError: `Pulumi.${stack}.yaml ${unreadable ? "cannot be read" : "is not valid YAML"}: ${firstLine(e)}`,
    };
  }
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
