/**
 * The backup infrastructure's stack config (`onprem-infra:backup`): the bucket's name, retention
 * and lifecycle, the cost alarms, optional physical-name overrides and extra tags, and the ids of
 * existing resources to adopt. Cross-checks (thresholds, prefixes, import ids against names) run
 * here, so a bad stack file fails before any resource is registered.
 */
import * as v from "valibot";
import { COMMON_TAG_KEYS } from "../common/labels";
import { Problem, withCrossCheck } from "../common/schema";
import {
  ARCHIVE_STORAGE_CLASSES,
  archiveProblems,
  COST_ALARM_IMPORT_KEYS,
  COST_ALARM_NAME_KEYS,
  costAlarmProblems,
  IMPORT_ID_KEYS,
  NAME_KEYS,
  importIdProblems,
  nameProblems,
  resolveBackupNames,
  s3BucketNameProblem,
} from "./policies";
import { BACKUP_PHASES, BackupPhase, BILLING_CURRENCY } from "./spec";
import { LATE_IMPORT_KEYS, TERRAFORM_RESOURCES } from "./terraform";

/** A bucket name S3 accepts. */
export const s3BucketName = v.pipe(
  v.string("must be an S3 bucket name"),
  v.check(
    (name) => s3BucketNameProblem(name) === undefined,
    (issue) => `"${issue.input}" is not a valid S3 bucket name: ${s3BucketNameProblem(issue.input)}`,
  ),
);

const days = (min: number, max: number) =>
  v.pipe(
    v.number("must be a number of days"),
    v.integer("must be a whole number of days"),
    v.minValue(min, `must be between ${min} and ${max} days`),
    v.maxValue(max, `must be between ${min} and ${max} days`),
  );

/** A key prefix of long-lived backups, e.g. `weekly/`. */
const keyPrefix = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*\/$/, "must be a key prefix like weekly/"),
);

/** A positive amount of money. */
const threshold = v.pipe(v.number("must be an amount"), v.gtValue(0, "must be a positive amount"));

const optionalText = v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty")));

/** An object of optional, non-empty texts under exactly `keys`. */
function textsUnder<const K extends string>(keys: readonly K[]) {
  return v.strictObject(
    Object.fromEntries(keys.map((k) => [k, optionalText])) as Record<K, typeof optionalText>,
  );
}

/** Characters AWS allows in tag keys and values. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The first problem with an extra tag (key and value), or undefined. */
export function tagProblem(key: string, value: string): string | undefined {
  if (key.length === 0 || key.length > 128 || !TAG_TEXT.test(key)) {
    return "tag keys must be 1-128 letters, digits, spaces or _.:/=+-@";
  }
  if (key.toLowerCase().startsWith("aws:")) {
    return "tag keys must not begin with aws:";
  }
  if ((COMMON_TAG_KEYS as readonly string[]).includes(key)) {
    return "the common tags come from environment and owner, not from backup.tags";
  }
  if (value.trim().length === 0) {
    return "must not be empty";
  }
  if (value.length > 256 || !TAG_TEXT.test(value)) {
    return "must be at most 256 letters, digits, spaces or _.:/=+-@";
  }
  return undefined;
}

/** Every key of the backup section, with its default; `backupConfigSchema` adds the cross-checks. */
const backupFields = v.strictObject({
  /**
   * `adopt` (phase 1): the Terraform-made resources are imported with Terraform's settings, so the
   * first `pulumi up` changes nothing; `harden` (phase 2): the program's settings, applied as
   * updates. docs/backups.md says how to switch.
   */
  phase: v.optional(v.picklist(BACKUP_PHASES, `must be one of ${BACKUP_PHASES.join(", ")}`), "harden"),
  /** The AWS account id: the providers refuse any other account, and ARNs are formatted from it. */
  accountId: v.pipe(
    v.string("must be a 12-digit AWS account id"),
    v.regex(/^\d{12}$/, "must be a 12-digit AWS account id"),
  ),
  /** The backup bucket's globally unique name. */
  bucketName: s3BucketName,
  /** Default Object Lock retention (COMPLIANCE mode), in days. */
  retentionDays: v.optional(days(1, 3650), 30),
  /** Days after which `daily/` objects expire. */
  dailyExpirationDays: v.optional(days(1, 365), 7),
  /** Long-lived prefixes that move to a colder storage class. */
  archivePrefixes: v.optional(
    v.pipe(v.array(keyPrefix), v.minLength(1, "must list at least one prefix")),
    () => ["weekly/", "monthly/"],
  ),
  /** Days after which the long-lived prefixes move to `archiveStorageClass`. */
  archiveAfterDays: v.optional(days(1, 3650), 30),
  archiveStorageClass: v.optional(
    v.picklist(ARCHIVE_STORAGE_CLASSES, `must be one of ${ARCHIVE_STORAGE_CLASSES.join(", ")}`),
    "GLACIER_IR",
  ),
  /** Days after which an incomplete multipart upload is aborted. */
  abortIncompleteUploadDays: v.optional(days(1, 365), 7),
  /** A customer-managed KMS key in the bucket's region; AES256 when absent. */
  kmsKeyArn: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/,
        "must be a KMS key ARN like arn:aws:kms:ap-northeast-1:123456789012:key/<uuid>",
      ),
    ),
  ),
  /**
   * Whether this stack creates the cost alarms, their SNS topic and its key. `EstimatedCharges`
   * is account-wide, so only one stack per AWS account (production) creates them; the alarm
   * settings below are then required, and a stack with `costAlarms: false` must leave them out.
   */
  costAlarms: v.optional(v.boolean("must be true or false"), true),
  /** The administrator who receives the cost alarms. */
  alarmEmail: v.optional(v.pipe(v.string(), v.email("must be an email address"))),
  /** Estimated monthly S3 charges that raise the warning alarm. */
  warningThreshold: v.optional(threshold),
  /** Estimated monthly S3 charges that raise the critical alarm. */
  criticalThreshold: v.optional(threshold),
  /** Currency of the billing metric: USD, the only one AWS publishes it in (USD when absent). */
  currency: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, "must be a three-letter currency code like USD")),
  ),
  /** Physical names, when they must match existing resources; otherwise derived from bucketName. */
  names: v.optional(textsUnder(NAME_KEYS), () => ({})),
  /** Extra tags on every backup resource, beyond the common ones. */
  tags: v.optional(v.record(v.string(), v.string("must be text")), () => ({})),
  /** Ids of existing resources to adopt instead of creating them (docs/backups.md). */
  importIds: v.optional(textsUnder(IMPORT_ID_KEYS), () => ({})),
});

/** The backup settings as the cross-checks read them (defaults applied). */
type BackupSettings = v.InferOutput<typeof backupFields>;

/**
 * Cross-checks of the backup settings: extra tags, the cost-alarm settings as a whole, the
 * thresholds' order, the archive rules, the physical names (given or derived from the bucket
 * name) and the import ids against those names.
 */
function backupProblems(backup: BackupSettings): Problem[] {
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(backup.tags)) {
    const problem = tagProblem(key, value);
    if (problem) {
      problems.push({ path: ["tags", key], message: problem });
    }
  }
  problems.push(...costAlarmProblems(backup));
  // A malformed code is reported by its own schema.
  if (
    backup.currency !== undefined &&
    /^[A-Z]{3}$/.test(backup.currency) &&
    backup.currency !== BILLING_CURRENCY
  ) {
    problems.push({
      path: ["currency"],
      message: `must be ${BILLING_CURRENCY}: AWS publishes EstimatedCharges in ${BILLING_CURRENCY} only, so an alarm in ${backup.currency} never fires (docs/backups.md, "The currency")`,
    });
  }
  if (
    backup.warningThreshold !== undefined &&
    backup.criticalThreshold !== undefined &&
    backup.warningThreshold > 0 &&
    backup.criticalThreshold > 0 &&
    backup.criticalThreshold <= backup.warningThreshold
  ) {
    problems.push({
      path: ["criticalThreshold"],
      message: `must be greater than warningThreshold (${backup.warningThreshold})`,
    });
  }
  problems.push(...archiveProblems(backup));
  if (s3BucketNameProblem(backup.bucketName) !== undefined) {
    return problems; // already reported; the derived names would only repeat it
  }
  const names = resolveBackupNames(backup.bucketName, backup.names);
  // Without cost alarms their names are never used (and setting one is reported above).
  const unused: readonly string[] = backup.costAlarms ? [] : COST_ALARM_NAME_KEYS;
  for (const problem of nameProblems(names).filter((p) => !unused.includes(p.key))) {
    const explicit = backup.names[problem.key] !== undefined;
    problems.push({
      path: explicit ? ["names", problem.key] : ["bucketName"],
      message: explicit
        ? problem.message
        : `gives the derived name ${problem.key} ${problem.message} (or set names.${problem.key})`,
    });
  }
  // Empty ids are reported by their own schema, alarm ids without alarms above.
  const ignored: readonly string[] = backup.costAlarms ? [] : COST_ALARM_IMPORT_KEYS;
  const ids = Object.fromEntries(
    Object.entries(backup.importIds).filter(([key, id]) => id !== "" && !ignored.includes(key)),
  );
  for (const problem of importIdProblems(backup.bucketName, names, ids, backup.accountId)) {
    problems.push({ path: ["importIds", problem.key], message: problem.message });
  }
  if (backup.phase === "adopt") {
    problems.push(...adoptionProblems(backup));
  }
  return problems;
}

/**
 * What phase 1 needs: an import id for every resource Terraform made (but the subscription's,
 * which the operator adds once known), none for what Terraform never made, the cost alarms (the
 * module has them), and no setting the imported resources do not carry.
 */
function adoptionProblems(backup: BackupSettings & { phase: BackupPhase }): Problem[] {
  const problems: Problem[] = [];
  const ids: Record<string, string | undefined> = backup.importIds;
  const adopting = "phase is adopt";
  for (const key of TERRAFORM_RESOURCES) {
    const alarmKey = (COST_ALARM_IMPORT_KEYS as readonly string[]).includes(key);
    if (ids[key] === undefined && !LATE_IMPORT_KEYS.includes(key) && (backup.costAlarms || !alarmKey)) {
      problems.push({
        path: ["importIds", key],
        message: `is required while ${adopting}: Terraform made this resource, and without its id a second one would be created beside it`,
      });
    }
  }
  for (const key of IMPORT_ID_KEYS) {
    if (ids[key] !== undefined && !(TERRAFORM_RESOURCES as readonly string[]).includes(key)) {
      problems.push({
        path: ["importIds", key],
        message: `has nothing to adopt while ${adopting}: Terraform never made it; phase harden creates it`,
      });
    }
  }
  if (!backup.costAlarms) {
    problems.push({
      path: ["costAlarms"],
      message: `must be true while ${adopting}: Terraform made the alarms and their topic`,
    });
  }
  if (Object.keys(backup.tags).length > 0) {
    problems.push({
      path: ["tags"],
      message: `must be empty while ${adopting}: the imported resources carry Terraform's tags`,
    });
  }
  if (backup.kmsKeyArn !== undefined) {
    problems.push({
      path: ["kmsKeyArn"],
      message: `must not be set while ${adopting}: the bucket is encrypted with AES256 until phase harden`,
    });
  }
  return problems;
}

export const backupConfigSchema = withCrossCheck(backupFields, backupProblems);

export type BackupConfig = v.InferOutput<typeof backupConfigSchema>;
