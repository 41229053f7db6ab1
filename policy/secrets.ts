/**
 * Secrets: no secret-looking environment variable is stored in plain text, every generated
 * password carries its rotation stamp as a keeper, and overdue rotations are flagged.
 *
 * The policy SDK hands policies plain values (the engine's secret markers are unwrapped), so
 * "given as plain text" is judged by what a policy can see: a secret-looking variable with a value
 * must sit in a property the resource declares in `additionalSecretOutputs`, so that neither the
 * state nor a diff ever shows it. (The mock-engine secret scan of the secrets issue checks the
 * inputs' own secrecy.)
 */
import { arrayOf, BaseConfig, globMatch, isRecord, resourcePolicy, stringMap } from "./common";

export const SECRET_TYPES = {
  container: "docker:index/container:Container",
  service: "docker:index/service:Service",
  command: "command:local:Command",
  randomPassword: "random:index/randomPassword:RandomPassword",
} as const;

export interface PlaintextEnvConfig extends BaseConfig {
  secretKeyPatterns: string[];
  allowedKeyPatterns: string[];
}

/** Environment variables of a resource, and the property that holds them. */
function environmentOf(
  type: string,
  props: Record<string, unknown>,
): { property: string; env: Record<string, string> } {
  switch (type) {
    case SECRET_TYPES.container: {
      const env: Record<string, string> = {};
      for (const entry of arrayOf(props.envs).map(String)) {
        const eq = entry.indexOf("=");
        if (eq > 0) {
          env[entry.slice(0, eq)] = entry.slice(eq + 1);
        }
      }
      return { property: "envs", env };
    }
    case SECRET_TYPES.service: {
      const taskSpec: unknown = props.taskSpec;
      const spec = isRecord(taskSpec) && isRecord(taskSpec.containerSpec) ? taskSpec.containerSpec : {};
      return { property: "taskSpec", env: stringMap(spec.env, "taskSpec.containerSpec.env") };
    }
    default:
      return { property: "environment", env: stringMap(props.environment, "environment") };
  }
}

/** Whether `key` names a secret by the configured patterns. */
export function isSecretKey(key: string, config: PlaintextEnvConfig): boolean {
  return (
    config.secretKeyPatterns.some((p) => globMatch(p, key)) &&
    !config.allowedKeyPatterns.some((p) => globMatch(p, key))
  );
}

export const noPlaintextSecretEnv = resourcePolicy<PlaintextEnvConfig>({
  name: "no-plaintext-secret-env",
  description:
    "No secret-looking environment variable (*PASSWORD*, *SECRET*, *TOKEN*, *_KEY) of a container, service or local command is stored in plain text: its property must be an additionalSecretOutputs entry.",
  enforcementLevel: "mandatory",
  types: [SECRET_TYPES.container, SECRET_TYPES.service, SECRET_TYPES.command],
  config: {
    secretKeyPatterns: {
      type: "array",
      items: { type: "string" },
      default: ["*PASSWORD*", "*SECRET*", "*TOKEN*", "*_KEY"],
      description: "Globs (case-insensitive) of variable names that hold secrets.",
    },
    allowedKeyPatterns: {
      type: "array",
      items: { type: "string" },
      default: ["*_FILE", "*ALLOW_EMPTY*PASSWORD*", "*RANDOM_ROOT_PASSWORD"],
      description: "Globs of names that look secret but are not (paths to secret files, yes/no switches).",
    },
  },
  remediationSteps:
    "Pass the value as a secret Output (pulumi.secret / a RandomPassword's result) and list the property in additionalSecretOutputs.",
  rules: (args, config, report) => [
    () => {
      const { property, env } = environmentOf(args.type, args.props);
      const secretKeys = Object.entries(env)
        .filter(([key, value]) => value !== "" && isSecretKey(key, config))
        .map(([key]) => key);
      if (secretKeys.length > 0 && !args.opts.additionalSecretOutputs.includes(property)) {
        report(
          `${property} carries ${secretKeys.sort().join(", ")} but "${property}" is not in additionalSecretOutputs: the value would be stored and shown in plain text`,
        );
      }
    },
  ],
});

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date, or undefined when it is not a real date. */
export function dayNumber(date: string): number | undefined {
  const m = ISO_DATE.exec(date);
  if (!m) {
    return undefined;
  }
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === date ? ms / 86_400_000 : undefined;
}

/** The rotation keepers of a generated password, validated. */
export function rotationKeepers(keepers: unknown): { rotatedOn: string; periodDays: number } | string {
  if (!isRecord(keepers)) {
    return "has no keepers";
  }
  const rotatedOn: unknown = keepers.rotatedOn;
  const period: unknown = keepers.rotationPeriodDays;
  if (typeof rotatedOn !== "string" || dayNumber(rotatedOn) === undefined) {
    return `keepers.rotatedOn is ${rotatedOn === undefined ? "missing" : `"${String(rotatedOn)}"`}, expected a date YYYY-MM-DD`;
  }
  if (typeof period !== "string" || !/^[1-9][0-9]*$/.test(period)) {
    return `keepers.rotationPeriodDays is ${period === undefined ? "missing" : `"${String(period)}"`}, expected a whole number of days as a string`;
  }
  return { rotatedOn, periodDays: Number(period) };
}

export interface RotationKeeperConfig extends BaseConfig {
  types: string[];
}

export const generatedPasswordRotationKeeper = resourcePolicy<RotationKeeperConfig>({
  name: "generated-password-rotation-keeper",
  description:
    'Every generated password carries its rotation stamp as keepers { rotatedOn: YYYY-MM-DD, rotationPeriodDays: "<days>" }, so bumping the stamp rotates it.',
  enforcementLevel: "mandatory",
  types: [],
  notApplicableReason: (args, config) =>
    config.types.includes(args.type) ? undefined : "not a generated password",
  config: {
    types: {
      type: "array",
      items: { type: "string" },
      default: [SECRET_TYPES.randomPassword],
      description: "Type tokens of generated secrets that must carry rotation keepers.",
    },
  },
  rules: (args, _config, report) => [
    () => {
      const result = rotationKeepers(args.props.keepers);
      if (typeof result === "string") {
        report(`${args.name} ${result}`);
      }
    },
  ],
});

export type RotationState = "ok" | "due" | "overdue";

/** ok, due (within `dueSoonDays` of its due date, or on it) or overdue (past its due date). */
export function rotationState(
  rotatedOn: string,
  periodDays: number,
  today: string,
  dueSoonDays: number,
): { state: RotationState; dueOn: string } {
  const rotated = dayNumber(rotatedOn);
  const now = dayNumber(today);
  if (rotated === undefined || now === undefined) {
    throw new Error(`not a date: ${rotated === undefined ? rotatedOn : today}`);
  }
  const due = rotated + periodDays;
  const dueOn = new Date(due * 86_400_000).toISOString().slice(0, 10);
  if (due < now) {
    return { state: "overdue", dueOn };
  }
  return { state: due - now <= dueSoonDays ? "due" : "ok", dueOn };
}

export interface RotationOverdueConfig extends BaseConfig {
  today: string;
  dueSoonDays: number;
  types: string[];
}

/** Today's date in UTC, `YYYY-MM-DD`. */
export function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

export const secretRotationOverdue = resourcePolicy<RotationOverdueConfig>({
  name: "secret-rotation-overdue",
  description:
    "A generated secret whose rotation stamp plus its period lies in the past is overdue for rotation. Due within dueSoonDays is only a note (the stack output shows it), not a violation.",
  enforcementLevel: "advisory",
  types: [],
  notApplicableReason: (args, config) =>
    config.types.includes(args.type) ? undefined : "not a generated secret",
  config: {
    today: {
      type: "string",
      pattern: "^$|^\\d{4}-\\d{2}-\\d{2}$",
      default: "",
      description:
        "The date to judge by (YYYY-MM-DD); empty means today (UTC). For tests and what-if checks.",
    },
    dueSoonDays: {
      type: "integer",
      minimum: 0,
      default: 14,
      description: "How many days before its due date a rotation counts as due (a note, not a violation).",
    },
    types: {
      type: "array",
      items: { type: "string" },
      default: [SECRET_TYPES.randomPassword],
      description: "Type tokens of generated secrets that carry rotation keepers.",
    },
  },
  remediationSteps:
    "Bump the secret's rotation stamp in the stack config (rotations.<id>) and run pulumi up.",
  rules: (args, config, report) => [
    () => {
      const keepers = rotationKeepers(args.props.keepers);
      if (typeof keepers === "string") {
        return; // generated-password-rotation-keeper reports it
      }
      const today = config.today === "" ? utcToday() : config.today;
      const { state, dueOn } = rotationState(
        keepers.rotatedOn,
        keepers.periodDays,
        today,
        config.dueSoonDays,
      );
      if (state === "overdue") {
        report(
          `${args.name} was last rotated on ${keepers.rotatedOn} and was due on ${dueOn} (every ${keepers.periodDays} days)`,
        );
      }
    },
  ],
});
