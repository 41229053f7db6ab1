/**
 * The one place that reads stack config. `loadStackConfig()` reads every key of the current
 * stack (`Pulumi.<stack>.yaml`), validates all of it against the component schemas and returns
 * one typed object, or throws a single `RunError` naming the stack file and each bad key before
 * any resource is registered. Components never read config; `index.ts` hands them what they need.
 */
import * as pulumi from "@pulumi/pulumi";
import * as v from "valibot";
import { CommonFacts } from "./components/common/labels";
import {
  defaultMessage,
  findPortClash,
  isoDate,
  portClaims,
  Problem,
  withCrossCheck,
} from "./components/common/schema";
import { mailConfigSchema } from "./components/mail/schema";
import { backupConfigSchema } from "./components/backup/schema";
import {
  ConditionalSecretId,
  EXTERNAL_SECRETS,
  ExternalSecretId,
  externalSecretsHeld,
} from "./components/secrets/inventory";
import { rotationProblems, rotationsSchema } from "./components/secrets/schema";
import { blogConfigSchema, isNewWordPress } from "./components/blog/schema";
import { edgeProblems, tunnelConfigSchema } from "./components/tunnel/schema";

export const PROJECT = "onprem-infra";

/** What a taken-over database password may contain: it goes into SQL literals, DSNs and env files unquoted. */
const TAKEN_OVER_PASSWORD = /^[A-Za-z0-9_-]{12,}$/;

const stackFields = v.strictObject({
  /** Must equal the stack name, so a stack file copied to the other stack is caught. */
  environment: v.pipe(v.string(), v.minLength(1, "must not be empty")),
  /** The estate's owner, carried as the `Owner` tag and label. */
  owner: v.pipe(v.string(), v.minLength(1, "must not be empty")),
  mail: mailConfigSchema,
  /** The offsite backup bucket, its access and its cost alarms; see components/backup. */
  backup: backupConfigSchema,
  /** When each secret was last rotated; see components/secrets. */
  rotations: rotationsSchema,
  /** The WordPress stack and its sites; see components/blog. */
  blog: blogConfigSchema,
  /** The Cloudflare Tunnel, its DNS records and inbound mail; see components/tunnel. */
  tunnel: tunnelConfigSchema,
});

/** The project-namespace keys of the stack settings (each declared in `Pulumi.yaml`). */
export const STACK_KEYS = Object.keys(stackFields.entries);

/** Cross-checks between the components: host ports, then hostnames, zones, mail routing, subnets. */
function stackProblems(cfg: v.InferOutput<typeof stackFields>): Problem[] {
  const problems: Problem[] = [];
  const clash = findPortClash([
    ...portClaims(cfg.mail.services, "mail.services"),
    ...portClaims(cfg.blog.services, "blog.services"),
  ]);
  if (clash) {
    problems.push({
      path: clash.second.key.split("."),
      message: `host port ${clash.second.bind}:${clash.second.host} is already published by ${clash.first.key}`,
    });
  }
  return [...problems, ...edgeProblems(cfg)];
}

/** Every non-secret key of the project namespace, and its schema. */
export const stackConfigSchema = withCrossCheck(stackFields, stackProblems);

export type StackSettings = v.InferOutput<typeof stackConfigSchema>;

/**
 * Secrets held in config (set with `pulumi config set --secret`), by key: the external entries of
 * the secrets inventory (components/secrets/inventory.ts), the one registry to append to.
 */
export const EXTERNAL_SECRET_KEYS: readonly ExternalSecretId[] = EXTERNAL_SECRETS.map((s) => s.id);
export type ExternalSecretKey = ExternalSecretId;

/** The external secrets as secret Outputs: those every stack holds, and those only some do. */
export type ExternalSecrets = {
  [K in Exclude<ExternalSecretId, ConditionalSecretId>]: pulumi.Output<string>;
} & {
  [K in ConditionalSecretId]?: pulumi.Output<string>;
};

/** The validated config of one stack. */
export interface StackConfig extends StackSettings {
  stack: string;
  /** `Pulumi.<stack>.yaml` (or the copy the offline plan was given): where every error points. */
  stackFile: string;
  /** The Docker host the provider talks to (`docker:host`). */
  dockerHost: string;
  /** The AWS region of the main provider (`aws:region`). */
  awsRegion: string;
  facts: CommonFacts;
  /** The external secrets this stack holds, as secret Outputs (`sendgridApiKey` only where the relay authenticates). */
  secrets: ExternalSecrets;
  /** The ids of the external secrets this stack holds. */
  heldSecrets: readonly ExternalSecretKey[];
  /** "Today" for the rotation report: `ONPREM_TODAY` (YYYY-MM-DD) when set, else the clock. */
  today: Date;
}

/** What `loadStackConfig` reads: every config key (`namespace:key`) as the engine passes it. */
export interface RawConfig {
  values: Record<string, string>;
  secretKeys: ReadonlySet<string>;
  /** The file the values came from, as errors name it; `Pulumi.<stack>.yaml` when absent. */
  stackFile?: string;
  /** The date rotation ages are measured against; the real clock when absent. */
  today?: Date;
  /** `ONPREM_TODAY` as given (`YYYY-MM-DD`): pins `today`; validated like a stamp. */
  todayText?: string;
}

/**
 * The latest day a rotation stamp may name: the given day, else today in the earliest time zone
 * (UTC+14), so a stamp written this morning anywhere is never "in the future".
 */
function latestToday(today: Date | undefined): string {
  return (today ?? new Date(Date.now() + 14 * 60 * 60 * 1000)).toISOString().slice(0, 10);
}

/** Formats a key path the way a user writes it in the stack file: `onprem-infra:mail.services.nginx.cpus`. */
function keyName(path: readonly unknown[]): string {
  const [head, ...rest] = path;
  let out = `${PROJECT}:${String(head)}`;
  for (const part of rest) {
    out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  }
  return out;
}

/**
 * The sites whose passwords the program generates, so each needs its rotation stamp
 * (`rotations.siteDbPasswords.<site>`): only WordPress-kind sites, and of those the new ones it
 * installs (their database user and administrator). A taken-over site keeps its wp-config.php and
 * the shared `wordpress` user (blogDbWordpressPassword); redirect, proxy and subdirectory sites
 * have no password of their own.
 */
export function passwordSites(settings: Pick<StackSettings, "blog">): string[] {
  return settings.blog.sites.filter(isNewWordPress).map((s) => s.name);
}

/** The stacks that hold an external secret, in words. */
function heldWhere(key: ExternalSecretKey): string {
  return EXTERNAL_SECRETS.find((s) => s.id === key)?.heldWhen?.stacks ?? "every stack";
}

function fail(stackFile: string, problems: string[]): never {
  throw new pulumi.RunError(
    `Invalid stack config in ${stackFile}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
  );
}

/** Parses a config value: objects and lists arrive as JSON text, scalars as plain text. */
function parseValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * Validates raw config for `stack`. Pure apart from wrapping secrets in `pulumi.secret`, so
 * tests call it directly with edited config.
 */
export function parseStackConfig(stack: string, raw: RawConfig): StackConfig {
  const stackFile = raw.stackFile ?? `Pulumi.${stack}.yaml`;
  const problems: string[] = [];
  const own: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(raw.values)) {
    const [namespace, key] = fullKey.split(":");
    if (namespace !== PROJECT || (EXTERNAL_SECRET_KEYS as readonly string[]).includes(key)) {
      continue;
    }
    own[key] = parseValue(text);
  }

  const parsed = v.safeParse(stackConfigSchema, own, { message: defaultMessage });
  if (!parsed.success) {
    for (const issue of parsed.issues) {
      const path = issue.path?.map((item) => item.key) ?? [];
      problems.push(`${keyName(path.length > 0 ? path : ["(root)"])}: ${issue.message}`);
    }
  }

  const dockerHost = raw.values["docker:host"];
  if (!dockerHost) {
    problems.push("docker:host: is required (e.g. ssh://deploy@workstation or unix:///var/run/docker.sock)");
  } else if (!/^(ssh|unix|tcp):\/\/\S+$/.test(dockerHost)) {
    problems.push(`docker:host: must be an ssh://, unix:// or tcp:// URL, got "${dockerHost}"`);
  }
  const awsRegion = raw.values["aws:region"];
  if (!awsRegion) {
    problems.push("aws:region: is required (the backups live in ap-northeast-1)");
  }

  // Which external secrets this stack holds follows from its own config (e.g. SendGrid credentials
  // only where the relay authenticates). A secret whose condition is itself invalid is not
  // reported on: that key's own message says why, and whether the secret belongs is unknown.
  const { held, undecided } = externalSecretsHeld(own);
  const secrets: Partial<Record<ExternalSecretKey, pulumi.Output<string>>> = {};
  for (const key of EXTERNAL_SECRET_KEYS) {
    const fullKey = `${PROJECT}:${key}`;
    const value = raw.values[fullKey];
    const command = `pulumi config set --secret ${fullKey} <value> --stack ${stack}`;
    if (undecided.includes(key)) {
      continue;
    }
    if (!held.includes(key)) {
      if (value !== undefined) {
        problems.push(
          `${fullKey}: must not be set: only ${heldWhere(key)} hold it; remove it with \`pulumi config rm ${fullKey} --stack ${stack}\``,
        );
      }
    } else if (value === undefined || value === "") {
      problems.push(`${fullKey}: is required; set it with \`${command}\``);
    } else if (!raw.secretKeys.has(fullKey)) {
      problems.push(`${fullKey}: is stored in plain text; set it again with \`${command}\``);
    } else if (
      EXTERNAL_SECRETS.find((spec) => spec.id === key)?.takenOverPassword &&
      !TAKEN_OVER_PASSWORD.test(value)
    ) {
      problems.push(
        `${fullKey}: must be at least 12 of A-Z a-z 0-9 - _ (it goes into SQL, DSNs and env files unquoted); rotate the running password first (docs/takeover-mail.md, "Passwords")`,
      );
    } else {
      secrets[key] = pulumi.secret(value);
    }
  }
  let today = raw.today;
  if (raw.todayText !== undefined) {
    const pinned = v.safeParse(isoDate, raw.todayText);
    if (pinned.success) {
      today = new Date(`${pinned.output}T00:00:00Z`);
    } else {
      problems.push(
        `ONPREM_TODAY: must be a day of the calendar as YYYY-MM-DD (e.g. 2026-11-29), got "${raw.todayText}"`,
      );
    }
  }
  if (parsed.success && (raw.todayText === undefined || today !== undefined)) {
    const found = rotationProblems(parsed.output.rotations, {
      sites: passwordSites(parsed.output),
      heldSecrets: held,
      undecidedSecrets: undecided,
      today: latestToday(today),
    });
    problems.push(...found.map((p) => `${keyName(p.path)}: ${p.message}`));
  }

  if (parsed.success) {
    if (parsed.output.environment !== stack) {
      problems.push(
        `${PROJECT}:environment: must equal the stack name "${stack}", got "${parsed.output.environment}"`,
      );
    }
    if (stack !== "production" && !/^\[(127\.[0-9.]+|localhost)\]:/.test(parsed.output.mail.relay.host)) {
      problems.push(
        `${PROJECT}:mail.relay.host: a ${stack} stack must use an unusable loopback relay such as [127.0.0.1]:9999, got ${parsed.output.mail.relay.host}`,
      );
    }
  }

  if (problems.length > 0 || !parsed.success) {
    fail(stackFile, problems);
  }
  return {
    ...parsed.output,
    stack,
    stackFile,
    dockerHost: dockerHost!,
    awsRegion: awsRegion!,
    facts: { project: PROJECT, environment: parsed.output.environment, owner: parsed.output.owner },
    secrets: secrets as ExternalSecrets,
    heldSecrets: held,
    today: today ?? new Date(),
  };
}

/** Reads and validates the current stack's config. */
export function loadStackConfig(stack: string = pulumi.getStack()): StackConfig {
  const values = pulumi.runtime.allConfig();
  // The runtime knows which keys were set with --secret; it exports the check untyped.
  const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = new Set(Object.keys(values).filter((k) => isConfigSecret(k)));
  const pinned = process.env.ONPREM_TODAY;
  return parseStackConfig(stack, { values, secretKeys, todayText: pinned || undefined });
}

// ---------------------------------------------------------------------------------------------
// Reaching the Docker host

/**
 * SSH options for the Docker provider (`sshOpts`) on an `ssh://` host: every connection it opens
 * (one `ssh … docker system dial-stdio` per Docker API connection) shares one SSH connection,
 * the OpenSSH ControlMaster, instead of each logging in again; the master outlives the run by
 * `ControlPersist`. The same `ControlPath` is set for the host in `~/.ssh/config`
 * (docs/operator-setup.md, the CI setup action), so the `docker exec` commands, whose Docker CLI
 * reads only that file, share the same master. Undefined for other hosts.
 */
export function dockerSshOpts(dockerHost: string): string[] | undefined {
  if (!dockerHost.startsWith("ssh://")) {
    return undefined;
  }
  return ["-o", "ControlMaster=auto", "-o", `ControlPath=${SSH_CONTROL_PATH}`, "-o", "ControlPersist=10m"];
}

/**
 * `pulumi preview`/`up --parallel` for this estate (the CLI's default is 4 per CPU). Each
 * operation on the Docker host holds at most two sessions on the shared SSH connection (a
 * `docker exec` command: its API connection and the exec stream; a provider call: one), and
 * sshd allows `MaxSessions` 10 per connection by default: 4 x 2 stays below it. Sessions beyond
 * it are not lost (OpenSSH's client then logs in on its own), but each such login counts against
 * sshd's `MaxStartups` (10 unauthenticated at once, then refused at random). docs/operator-setup.md.
 */
export const PULUMI_PARALLEL = 4;

/** Where the shared SSH connection's socket lives: `%C` is OpenSSH's hash of host, port and user. */
export const SSH_CONTROL_PATH = "~/.ssh/onprem-%C";
