/**
 * What the estate's Terraform module (`services/mailserver/terraform/s3-backup`) declared, as the
 * program must repeat it while adopting (phase 1, `backup.phase: adopt`): the inputs an import
 * must match exactly, or Pulumi stops with "inputs to import do not match the existing resource".
 * The physical names and the operator's email address are stack config (they are facts of the
 * account, not of the module); everything else the module fixed is here. Plain data, no resources.
 */

/** The module's `default_tags` (main.tf), on both of its providers; `Environment` is the stack's. */
export const TERRAFORM_DEFAULT_TAGS = {
  Project: "Mailserver",
  Phase: "11-B",
  Purpose: "S3 Backup Infrastructure",
  ManagedBy: "Terraform",
} as const;

/** The `ManagedBy` tag of the adopted resources while phase 1 lasts. */
export const TERRAFORM_MANAGED_BY = TERRAFORM_DEFAULT_TAGS.ManagedBy;

/** Each resource's own `tags` (they override `Purpose` of the default tags). */
export const TERRAFORM_TAGS = {
  bucket: { Purpose: "Web System S3 Backup - Mail and Blog" },
  uploaderRole: { Purpose: "S3 Backup Upload" },
  restoreRole: { Purpose: "S3 Backup Restore" },
  user: { Purpose: "Dell Mailserver Backup Operations" },
  topic: { Purpose: "S3 Backup Alert Notifications" },
  warningAlarm: { Severity: "WARNING", Purpose: "Cost Monitoring - Expected Threshold" },
  criticalAlarm: { Severity: "CRITICAL", Purpose: "Cost Monitoring - Abnormal Activity Detection" },
} as const;

/** The one lifecycle rule (lifecycle.tf): `daily/` expires after 7 days, nothing else. */
export const TERRAFORM_LIFECYCLE_RULE = {
  id: "daily-backups-lifecycle",
  status: "Enabled",
  filter: { prefix: "daily/" },
  expiration: { days: 7 },
} as const;

/** The uploader's allowed actions (iam.tf), on the bucket and its objects. */
export const TERRAFORM_UPLOADER_ACTIONS = [
  "s3:PutObject",
  "s3:PutObjectRetention",
  "s3:GetObject",
  "s3:ListBucket",
] as const;

/** The restore ("admin") role's allowed actions (iam.tf). */
export const TERRAFORM_RESTORE_ACTIONS = ["s3:GetObject", "s3:ListBucket"] as const;

/** Denied to both roles on every resource (`"*"`). */
export const TERRAFORM_DENIED_ACTIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion"] as const;

/** The uploader role's session limit; the restore role keeps AWS's default (3600). */
export const TERRAFORM_UPLOADER_SESSION_SECONDS = 7200;

/**
 * The cost alarms (cloudwatch.tf). Their thresholds are yen (10 and 100 a month) and their
 * `Currency` dimension is `JPY`; AWS publishes `EstimatedCharges` in USD only, so these alarms
 * watch a metric that has no data and never fire. Adopting keeps them so the import matches;
 * phase 2 moves them to USD on purpose (docs/backups.md, "The currency").
 */
export const TERRAFORM_ALARMS = {
  comparisonOperator: "GreaterThanThreshold",
  evaluationPeriods: 1,
  metricName: "EstimatedCharges",
  namespace: "AWS/Billing",
  period: 86400,
  statistic: "Maximum",
  currency: "JPY",
  warning: {
    threshold: 10,
    alarmDescription: "S3 backup cost exceeded expected threshold (10 JPY/month)",
  },
  critical: {
    threshold: 100,
    alarmDescription: "S3 backup cost critically high - investigation required (100 JPY/month)",
  },
} as const;

/** The resources the module made (14), by the component's import-id key. */
export const TERRAFORM_RESOURCES = [
  "bucket",
  "publicAccessBlock",
  "encryption",
  "lifecycle",
  "uploaderRole",
  "uploaderPolicy",
  "restoreRole",
  "restorePolicy",
  "user",
  "userPolicy",
  "warningAlarm",
  "criticalAlarm",
  "topic",
  "subscription",
] as const;
export type TerraformResourceKey = (typeof TERRAFORM_RESOURCES)[number];

/**
 * The module's resources whose import id the operator may add later: the email subscription's ARN
 * is known only to AWS (`aws sns list-subscriptions-by-topic`); until it is in the stack file the
 * program declares the same subscription, which SNS answers with the existing one.
 */
export const LATE_IMPORT_KEYS: readonly TerraformResourceKey[] = ["subscription"];
