/**
 * The Pulumi CLI's own rules for project-level config, reproduced for the offline harness: what
 * `pulumi preview` and `pulumi up` refuse before the program runs. From pulumi/pulumi:
 *
 * - `Pulumi.yaml` (sdk/go/common/workspace/project.go `Project.Validate`, `project.json`,
 *   `RewriteShorthandConfigValues`): a declaration takes `type` (string, integer, boolean, array,
 *   object), `items` (required for an array), `description`, `secret`, and `default` or `value`
 *   (not both); a default must have the declared type; a key outside the project's namespace
 *   (`pulumi:…`, `aws:…`) takes neither type nor default, only a `value`; a bare scalar or list is
 *   shorthand for a project key's `default` (another namespace's `value`).
 * - each stack (pkg/workspace/config.go `mergeConfig`, `validateStackConfigValue`): a project key
 *   declared without `default` or `value` must be set in every stack (one error lists them all);
 *   a typed key must hold its type, checked on the decrypted value (a scalar arrives as text: any
 *   scalar is a `string`, `integer` takes whole-number text, `boolean` takes `true`/`false`; an
 *   `object` must be a mapping; an `array` a list whose items have the `items` type); a typed key
 *   declared `secret: true` must be encrypted (`secure:`). Untyped keys are not checked (not even
 *   `secret: true`).
 *
 * The messages are the CLI's own. Pure functions over parsed YAML.
 */

export const CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

export interface ItemsType {
  type: ConfigType;
  items?: ItemsType;
}

/** One `config:` entry of `Pulumi.yaml`, after shorthand values are rewritten. */
export interface ConfigDeclaration {
  type?: ConfigType;
  items?: ItemsType;
  description?: string;
  secret?: boolean;
  default?: unknown;
  value?: unknown;
}

export interface ProjectConfig {
  name: string;
  /** By key as written in `Pulumi.yaml` (`environment`, `pulumi:disable-default-providers`). */
  config: Record<string, ConfigDeclaration>;
}

const DECLARATION_KEYS = new Set(["type", "items", "description", "secret", "default", "value"]);

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `ssh-key` is the project's own; `aws:region` is the project's only with its prefix. */
export function isProjectKey(projectName: string, key: string): boolean {
  return !key.includes(":") || key.startsWith(`${projectName}:`);
}

/** `namespace:key` as the CLI keys stack config (`environment` -> `onprem-infra:environment`). */
export function fullConfigKey(projectName: string, key: string): string {
  return key.includes(":") ? key : `${projectName}:${key}`;
}

/** `array<string>`, as the CLI names a type in its messages. */
export function fullTypeName(type: string, items?: ItemsType): string {
  return items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/**
 * Whether `value` holds `type` (the CLI's `ValidateConfigValue`). A stack's scalar arrives as
 * text; values inside objects and lists keep their JSON types.
 */
export function holdsType(type: string, items: ItemsType | undefined, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return (
        (typeof value === "number" && Number.isInteger(value)) ||
        (typeof value === "string" && /^[+-]?\d+$/.test(value))
      );
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return isMap(value);
    default:
      // array (and any other name): a list whose every item has the items type
      return (
        Array.isArray(value) &&
        items !== undefined &&
        value.every((v) => holdsType(items.type, items.items, v))
      );
  }
}

function itemsProblems(key: string, items: unknown, where: string): string[] {
  if (!isMap(items)) {
    return [`config.${key}: ${where} must be a mapping with a type`];
  }
  if (!(CONFIG_TYPES as readonly unknown[]).includes(items.type)) {
    return [
      `config.${key}: ${where}.type must be one of ${CONFIG_TYPES.join(", ")}, got ${JSON.stringify(items.type)}`,
    ];
  }
  if (items.type === "array") {
    return items.items === undefined
      ? [`config.${key}: ${where} is an array and needs its own items`]
      : itemsProblems(key, items.items, `${where}.items`);
  }
  return [];
}

/**
 * Reads `Pulumi.yaml`'s `config:` as the CLI does: shorthand values rewritten, each declaration
 * checked against the project schema and `Project.Validate`. Problems are in the CLI's words
 * where it has its own (schema problems name the key).
 */
export function readProjectConfig(doc: unknown): { project: ProjectConfig; problems: string[] } {
  const problems: string[] = [];
  const root = isMap(doc) ? doc : {};
  const name = typeof root.name === "string" ? root.name : "";
  if (name === "") {
    problems.push("project is missing a 'name' attribute");
  }
  const config: Record<string, ConfigDeclaration> = {};
  const rawConfig = root.config ?? {};
  if (!isMap(rawConfig)) {
    problems.push("config: must be a mapping of keys to declarations");
  }
  for (const [key, raw] of Object.entries(isMap(rawConfig) ? rawConfig : {})) {
    if (!isMap(raw)) {
      // Shorthand: the project's own key declares a default, another namespace's sets a value.
      if (raw === null || (typeof raw === "object" && !Array.isArray(raw))) {
        problems.push(`config.${key}: must be a declaration, a scalar or a list`);
        continue;
      }
      config[key] = isProjectKey(name, key) ? { default: raw } : { value: raw };
      continue;
    }
    const unknown = Object.keys(raw).filter((k) => !DECLARATION_KEYS.has(k));
    for (const attribute of unknown) {
      problems.push(
        `config.${key}: unknown attribute '${attribute}' (a declaration takes ${[...DECLARATION_KEYS].join(", ")})`,
      );
    }
    if (raw.type !== undefined && !(CONFIG_TYPES as readonly unknown[]).includes(raw.type)) {
      problems.push(
        `config.${key}: type must be one of ${CONFIG_TYPES.join(", ")}, got ${JSON.stringify(raw.type)}`,
      );
      continue;
    }
    if (raw.secret !== undefined && typeof raw.secret !== "boolean") {
      problems.push(`config.${key}: secret must be true or false`);
    }
    if (raw.description !== undefined && typeof raw.description !== "string") {
      problems.push(`config.${key}: description must be text`);
    }
    if (raw.items !== undefined) {
      const found = itemsProblems(key, raw.items, "items");
      problems.push(...found);
      if (found.length > 0) {
        continue;
      }
    }
    config[key] = raw as ConfigDeclaration;
  }

  // Project.Validate, in its words.
  for (const [key, decl] of Object.entries(config)) {
    const hasDefault = decl.default !== undefined && decl.default !== null;
    const hasValue = decl.value !== undefined && decl.value !== null;
    if (hasDefault && hasValue) {
      problems.push(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
      continue;
    }
    if (isProjectKey(name, key)) {
      if (decl.type === "array" && decl.items === undefined) {
        problems.push(
          `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
        );
      } else if (decl.type !== undefined && hasDefault && !holdsType(decl.type, decl.items, decl.default)) {
        problems.push(
          `The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(decl.type, decl.items)}'`,
        );
      }
    } else if (decl.type !== undefined) {
      problems.push(
        `Configuration key '${key}' is not namespaced by the project and should not define a type`,
      );
    } else if (hasDefault) {
      problems.push(
        `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
      );
    } else if (!hasValue) {
      problems.push(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
    }
  }
  return { project: { name, config }, problems };
}

/** A stack-file value `{ secure: <ciphertext> }`: what `pulumi config set --secret` writes. */
export function isSecureNode(value: unknown): value is { secure: string } {
  return isMap(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

/** Whether a stack value is, or holds, an encrypted value (the CLI's `Value.Secure()`). */
export function holdsSecure(value: unknown): boolean {
  if (isSecureNode(value)) {
    return true;
  }
  if (Array.isArray(value)) {
    return value.some(holdsSecure);
  }
  return isMap(value) && Object.values(value).some(holdsSecure);
}

/** A stack value as the CLI type-checks it: scalars as text, objects and lists as JSON, secrets decrypted. */
function checkedContent(value: unknown, decrypt: (ciphertext: string) => string): unknown {
  const plain = (v: unknown): unknown =>
    isSecureNode(v)
      ? decrypt(v.secure)
      : Array.isArray(v)
        ? v.map(plain)
        : isMap(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
          : v;
  const content = plain(value);
  if (content === null || content === undefined) {
    return "";
  }
  return typeof content === "object" ? content : String(content);
}

function quotedList(keys: string[]): string {
  const quoted = [...keys].sort().map((k) => `'${k}'`);
  return quoted.length === 1
    ? quoted[0]
    : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

/**
 * What the CLI refuses in one stack's config (`values`: full key -> the stack file's value, with
 * `{ secure: … }` for encrypted ones), in its own words: missing required keys first (one message),
 * then each typed key's encryption and type. Project defaults need not be merged in first.
 */
export function stackConfigProblems(
  stack: string,
  project: ProjectConfig,
  values: Readonly<Record<string, unknown>>,
  decrypt: (ciphertext: string) => string = () => "",
): string[] {
  const missing: string[] = [];
  const problems: string[] = [];
  for (const key of Object.keys(project.config).sort()) {
    const decl = project.config[key];
    const fullKey = fullConfigKey(project.name, key);
    const found = values[fullKey] !== undefined;
    const hasDefault = decl.default !== undefined && decl.default !== null;
    const hasValue = decl.value !== undefined && decl.value !== null;
    if (!found && !hasDefault && !hasValue && fullKey.startsWith(`${project.name}:`)) {
      missing.push(key);
      continue;
    }
    if (decl.type === undefined) {
      continue;
    }
    const value = found ? values[fullKey] : hasValue ? decl.value : decl.default;
    if (decl.secret === true && !(found && holdsSecure(value))) {
      problems.push(`Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
      continue;
    }
    if (!holdsType(decl.type, decl.items, checkedContent(value, decrypt))) {
      problems.push(
        `Stack '${stack}' with configuration key '${key}' must be of type '${fullTypeName(decl.type, decl.items)}'`,
      );
    }
  }
  if (missing.length > 0) {
    return [
      `Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${quotedList(missing)}`,
      ...problems,
    ];
  }
  return problems;
}
