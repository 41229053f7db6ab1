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
  portClaims,
  Problem,
  withCrossCheck,
} from "./components/common/schema";
import { mailConfigSchema } from "./components/mail/schema";
import { backupConfigSchema } from "./components/backup/schema";
import { rotationsSchema } from "./components/secrets/schema";
import { blogConfigSchema } from "./components/blog/schema";
import { edgeProblems, tunnelConfigSchema } from "./components/tunnel/schema";

export const PROJECT = "onprem-infra";

/**
 * Mail database passwords that consumers outside the program use (the host's backup and
 * monitoring jobs, the unified-portal): their running values are taken over into config as
 * secrets, and only a coordinated rotation changes them (docs/takeover-mail.md).
 */
export const TAKEN_OVER_MAIL_SECRETS = [
  "mailDbRootPassword",
  "mailDbAppPassword",
  "usermgmtDbPassword",
] as const;
export type TakenOverMailSecret = (typeof TAKEN_OVER_MAIL_SECRETS)[number];

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

/** Secrets held in config (set with `pulumi config set --secret`), by key. */
export const EXTERNAL_SECRET_KEYS = [
  "sendgridApiKey",
  "cloudflareApiToken",
  // Mail database passwords taken over from the running estate (docs/takeover-mail.md).
  ...TAKEN_OVER_MAIL_SECRETS,
] as const;
export type ExternalSecretKey = (typeof EXTERNAL_SECRET_KEYS)[number];

/** The validated config of one stack. */
export interface StackConfig extends StackSettings {
  stack: string;
  /** `Pulumi.<stack>.yaml`: where every error points. */
  stackFile: string;
  /** The Docker host the provider talks to (`docker:host`). */
  dockerHost: string;
  /** The AWS region of the main provider (`aws:region`). */
  awsRegion: string;
  facts: CommonFacts;
  /** The external secrets, as secret Outputs; `sendgridApiKey` only where the relay authenticates. */
  secrets: {
    cloudflareApiToken: pulumi.Output<string>;
    sendgridApiKey?: pulumi.Output<string>;
  } & Record<TakenOverMailSecret, pulumi.Output<string>>;
  /** "Today" for the rotation report: `ONPREM_TODAY` (YYYY-MM-DD) when set, else the clock. */
  today: Date;
}

/** What `loadStackConfig` reads: every config key (`namespace:key`) as the engine passes it. */
export interface RawConfig {
  values: Record<string, string>;
  secretKeys: ReadonlySet<string>;
  /** The date rotation ages are measured against; the real clock when absent. */
  today?: Date;
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
  const stackFile = `Pulumi.${stack}.yaml`;
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

  // SendGrid credentials exist only where the relay authenticates (never in staging). When
  // relay.authenticated is missing or not a boolean, the schema has said so, and whether the key
  // belongs here is unknown: nothing more is reported about it.
  const rawRelay = (own.mail as { relay?: { authenticated?: unknown } } | undefined)?.relay?.authenticated;
  const relayKnown = typeof rawRelay === "boolean";
  const relayAuthenticated = rawRelay === true;
  const secrets = {
    cloudflareApiToken: pulumi.secret(""),
    mailDbRootPassword: pulumi.secret(""),
    mailDbAppPassword: pulumi.secret(""),
    usermgmtDbPassword: pulumi.secret(""),
  } as StackConfig["secrets"];
  for (const key of EXTERNAL_SECRET_KEYS) {
    const fullKey = `${PROJECT}:${key}`;
    const value = raw.values[fullKey];
    const command = `pulumi config set --secret ${fullKey} <value> --stack ${stack}`;
    if (key === "sendgridApiKey" && !relayKnown) {
      continue;
    }
    const wanted = key !== "sendgridApiKey" || relayAuthenticated;
    if (!wanted) {
      if (value !== undefined) {
        problems.push(
          `${fullKey}: must not be set: this stack's relay is unauthenticated; remove it with \`pulumi config rm ${fullKey} --stack ${stack}\``,
        );
      }
    } else if (value === undefined || value === "") {
      problems.push(`${fullKey}: is required; set it with \`${command}\``);
    } else if (!raw.secretKeys.has(fullKey)) {
      problems.push(`${fullKey}: is stored in plain text; set it again with \`${command}\``);
    } else if (
      (TAKEN_OVER_MAIL_SECRETS as readonly string[]).includes(key) &&
      !TAKEN_OVER_PASSWORD.test(value)
    ) {
      problems.push(
        `${fullKey}: must be at least 12 of A-Z a-z 0-9 - _ (it goes into SQL, DSNs and env files unquoted); rotate the running password first (docs/takeover-mail.md, "Passwords")`,
      );
    } else {
      secrets[key] = pulumi.secret(value);
    }
  }
  if (parsed.success && relayAuthenticated && parsed.output.rotations.sendgridApiKey === undefined) {
    problems.push(`${PROJECT}:rotations.sendgridApiKey: is required when the relay authenticates`);
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
    secrets,
    today: raw.today ?? new Date(),
  };
}

/** Reads and validates the current stack's config. */
export function loadStackConfig(stack: string = pulumi.getStack()): StackConfig {
  const values = pulumi.runtime.allConfig();
  // The runtime knows which keys were set with --secret; it exports the check untyped.
  const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = new Set(Object.keys(values).filter((k) => isConfigSecret(k)));
  const pinned = process.env.ONPREM_TODAY;
  return parseStackConfig(stack, {
    values,
    secretKeys,
    today: pinned ? new Date(`${pinned}T00:00:00Z`) : undefined,
  });
}
