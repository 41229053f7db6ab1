/**
 * The backup infrastructure's stack config (`onprem-infra:backup`): the bucket's name, retention
 * and lifecycle, the cost alarms, optional physical-name overrides and extra tags, and the ids of
 * existing resources to adopt. Cross-checks (thresholds, prefixes, import ids against names) run
 * here, so a bad stack file fails before any resource is registered.
 */
import { z } from "zod";
import { COMMON_TAG_KEYS } from "../common/labels";
import {
  ARCHIVE_STORAGE_CLASSES,
  archiveProblems,
  COST_ALARM_IMPORT_KEYS,
  COST_ALARM_NAME_KEYS,
  costAlarmProblems,
  IMPORT_ID_KEYS,
  importIdProblems,
  nameProblems,
  resolveBackupNames,
  s3BucketNameProblem,
} from "./policies";

/** A bucket name S3 accepts. */
export const s3BucketName = z.string().superRefine((name, ctx) => {
  const problem = s3BucketNameProblem(name);
  if (problem) {
    ctx.addIssue({ code: "custom", message: `"${name}" is not a valid S3 bucket name: ${problem}` });
  }
});

const days = (min: number, max: number) =>
  z
    .number({ message: "must be a number of days" })
    .int("must be a whole number of days")
    .min(min, `must be between ${min} and ${max} days`)
    .max(max, `must be between ${min} and ${max} days`);

/** A key prefix of long-lived backups, e.g. `weekly/`. */
const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*\/$/, "must be a key prefix like weekly/");

/** A positive amount of money. */
const threshold = z.number({ message: "must be an amount" }).positive("must be a positive amount");

const nonEmptyName = z.string().min(1, "must not be empty");

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

const importId = z.string().min(1, "must not be empty");

export const backupConfigSchema = z
  .strictObject({
    /** The backup bucket's globally unique name. */
    bucketName: s3BucketName,
    /** Default Object Lock retention (COMPLIANCE mode), in days. */
    retentionDays: days(1, 3650).default(30),
    /** Days after which `daily/` objects expire. */
    dailyExpirationDays: days(1, 365).default(7),
    /** Long-lived prefixes that move to a colder storage class. */
    archivePrefixes: z
      .array(keyPrefix)
      .min(1, "must list at least one prefix")
      .default(["weekly/", "monthly/"]),
    /** Days after which the long-lived prefixes move to `archiveStorageClass`. */
    archiveAfterDays: days(1, 3650).default(30),
    archiveStorageClass: z.enum(ARCHIVE_STORAGE_CLASSES).default("GLACIER_IR"),
    /** Days after which an incomplete multipart upload is aborted. */
    abortIncompleteUploadDays: days(1, 365).default(7),
    /** A customer-managed KMS key in the bucket's region; AES256 when absent. */
    kmsKeyArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/,
        "must be a KMS key ARN like arn:aws:kms:ap-northeast-1:123456789012:key/<uuid>",
      )
      .optional(),
    /**
     * Whether this stack creates the cost alarms, their SNS topic and its key. `EstimatedCharges`
     * is account-wide, so only one stack per AWS account (production) creates them; the alarm
     * settings below are then required, and a stack with `costAlarms: false` must leave them out.
     */
    costAlarms: z.boolean({ message: "must be true or false" }).default(true),
    /** The administrator who receives the cost alarms. */
    alarmEmail: z.email({ message: "must be an email address" }).optional(),
    /** Estimated monthly S3 charges that raise the warning alarm. */
    warningThreshold: threshold.optional(),
    /** Estimated monthly S3 charges that raise the critical alarm. */
    criticalThreshold: threshold.optional(),
    /** Currency of the billing metric; USD when absent. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be a three-letter currency code like USD")
      .optional(),
    /** Physical names, when they must match existing resources; otherwise derived from bucketName. */
    names: z
      .strictObject({
        user: nonEmptyName.optional(),
        userPolicy: nonEmptyName.optional(),
        uploaderRole: nonEmptyName.optional(),
        uploaderPolicy: nonEmptyName.optional(),
        restoreRole: nonEmptyName.optional(),
        restorePolicy: nonEmptyName.optional(),
        topic: nonEmptyName.optional(),
        warningAlarm: nonEmptyName.optional(),
        criticalAlarm: nonEmptyName.optional(),
      })
      .default({}),
    /** Extra tags on every backup resource, beyond the common ones. */
    tags: z.record(z.string(), z.string()).default({}),
    /** Ids of existing resources to adopt instead of creating them (README, "Backups"). */
    importIds: z
      .strictObject(
        Object.fromEntries(IMPORT_ID_KEYS.map((k) => [k, importId.optional()])) as Record<
          (typeof IMPORT_ID_KEYS)[number],
          z.ZodOptional<typeof importId>
        >,
      )
      .default({}),
  })
  .superRefine((backup, ctx) => {
    for (const [key, value] of Object.entries(backup.tags)) {
      const problem = tagProblem(key, value);
      if (problem) {
        ctx.addIssue({ code: "custom", path: ["tags", key], message: problem });
      }
    }
    for (const problem of costAlarmProblems(backup)) {
      ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    }
    if (
      backup.warningThreshold !== undefined &&
      backup.criticalThreshold !== undefined &&
      backup.warningThreshold > 0 &&
      backup.criticalThreshold > 0 &&
      backup.criticalThreshold <= backup.warningThreshold
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["criticalThreshold"],
        message: `must be greater than warningThreshold (${backup.warningThreshold})`,
      });
    }
    for (const problem of archiveProblems(backup)) {
      ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    }
    if (s3BucketNameProblem(backup.bucketName) !== undefined) {
      return; // already reported; the derived names would only repeat it
    }
    const names = resolveBackupNames(backup.bucketName, backup.names);
    // Without cost alarms their names are never used (and setting one is reported above).
    const unused: readonly string[] = backup.costAlarms ? [] : COST_ALARM_NAME_KEYS;
    for (const problem of nameProblems(names).filter((p) => !unused.includes(p.key))) {
      const explicit = backup.names[problem.key] !== undefined;
      ctx.addIssue({
        code: "custom",
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
    for (const problem of importIdProblems(backup.bucketName, names, ids)) {
      ctx.addIssue({ code: "custom", path: ["importIds", problem.key], message: problem.message });
    }
  });

export type BackupConfig = z.infer<typeof backupConfigSchema>;
