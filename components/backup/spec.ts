/**
 * The backup resources of each phase as plain data: for every resource of `BackupInfra`, the
 * inputs it declares in phase 1 (`adopt`: Terraform's resources exactly as they are) or phase 2
 * (`harden`: the program's stronger settings). Every reference between resources is written as
 * the name or ARN it will have, formatted from the account id, partition and physical names, so
 * each IAM document is known at preview and the mandatory policies can check it there.
 * Pure functions: the component registers what these return, tests and the plan compare phases.
 */
import type * as aws from "@pulumi/aws";
import {
  ArchiveStorageClass,
  BackupNameOverrides,
  BackupNames,
  BILLING_REGION,
  bucketPolicyDocument,
  lifecycleRules,
  LifecycleArgs,
  operatorPolicyDocument,
  PolicyDocument,
  resolveBackupNames,
  RESTORE_SESSION_SECONDS,
  restorePolicyDocument,
  topicKeyPolicyDocument,
  trustPolicyDocument,
  UPLOADER_SESSION_SECONDS,
  uploaderPolicyDocument,
} from "./policies";
import {
  TERRAFORM_ALARMS,
  TERRAFORM_DENIED_ACTIONS,
  TERRAFORM_LIFECYCLE_RULE,
  TERRAFORM_RESTORE_ACTIONS,
  TERRAFORM_TAGS,
  TERRAFORM_UPLOADER_ACTIONS,
  TERRAFORM_UPLOADER_SESSION_SECONDS,
} from "./terraform";

/** The two phases of the take-over (docs/backups.md). */
export const BACKUP_PHASES = ["adopt", "harden"] as const;
export type BackupPhase = (typeof BACKUP_PHASES)[number];

/** Billing metrics are published every few hours; a 6-hour period sees each update. */
export const BILLING_PERIOD_SECONDS = 21600;

/** The currency AWS publishes `EstimatedCharges` in (the only one the metric has data for). */
export const BILLING_CURRENCY = "USD";

/** Stands for the alert key's ARN, which exists only once the key is created (phase 2). */
export const TOPIC_KEY_ARN = "<topicKey.arn>";

/** Every input of the backup resources, defaults applied; the lifecycle's settings as `lifecycleRules` takes them. */
export interface BackupSpecArgs extends LifecycleArgs {
  phase: BackupPhase;
  /** The AWS account the resources live in (ARNs are formatted from it). */
  accountId: string;
  /** The AWS partition (`aws` outside China and GovCloud). */
  partition: string;
  bucketName: string;
  names: BackupNames;
  /** Whether the cost alarms, their topic (and in phase 2 its key) exist in this stack. */
  costAlarms: boolean;
  alarmEmail?: string;
  /** Phase-2 thresholds, in `currency`. */
  warningThreshold?: number;
  criticalThreshold?: number;
  currency: string;
  kmsKeyArn?: string;
  /** Extra tags on every taggable resource (phase 2 only: adopted resources keep Terraform's). */
  tags: Record<string, string>;
}

/** Every resource's inputs, by the component's resource key; absent keys are not declared. */
export interface BackupSpec {
  bucket: aws.s3.BucketArgs;
  versioning?: aws.s3.BucketVersioningArgs;
  objectLock?: aws.s3.BucketObjectLockConfigurationArgs;
  encryption: aws.s3.BucketServerSideEncryptionConfigurationArgs;
  publicAccessBlock: aws.s3.BucketPublicAccessBlockArgs;
  bucketPolicy?: aws.s3.BucketPolicyArgs;
  lifecycle: aws.s3.BucketLifecycleConfigurationArgs;
  user: aws.iam.UserArgs;
  userPolicy: aws.iam.UserPolicyArgs;
  uploaderRole: aws.iam.RoleArgs;
  uploaderPolicy: aws.iam.RolePolicyArgs;
  restoreRole: aws.iam.RoleArgs;
  restorePolicy: aws.iam.RolePolicyArgs;
  topicKey?: aws.kms.KeyArgs;
  topic?: aws.sns.TopicArgs;
  subscription?: aws.sns.TopicSubscriptionArgs;
  warningAlarm?: aws.cloudwatch.MetricAlarmArgs;
  criticalAlarm?: aws.cloudwatch.MetricAlarmArgs;
}
export type BackupResourceKey = keyof BackupSpec;

/** The ARNs of the resources, formatted from what is known before they exist. */
export function backupArns(args: Pick<BackupSpecArgs, "accountId" | "partition" | "bucketName" | "names">) {
  const { partition: p, accountId: a, names } = args;
  return {
    bucket: `arn:${p}:s3:::${args.bucketName}`,
    user: `arn:${p}:iam::${a}:user/${names.user}`,
    uploaderRole: `arn:${p}:iam::${a}:role/${names.uploaderRole}`,
    restoreRole: `arn:${p}:iam::${a}:role/${names.restoreRole}`,
    topic: `arn:${p}:sns:${BILLING_REGION}:${a}:${names.topic}`,
  };
}

function json(document: PolicyDocument): string {
  return JSON.stringify(document);
}

/** Terraform's documents (iam.tf), statement for statement: no Sid where it had none. */
function terraformDocuments(arns: ReturnType<typeof backupArns>) {
  const denyDeletes = {
    Sid: "DenyDeleteObject",
    Effect: "Deny" as const,
    Action: [...TERRAFORM_DENIED_ACTIONS],
    Resource: "*",
  };
  const onBucket = [arns.bucket, `${arns.bucket}/*`];
  return {
    trust: json({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: arns.user }, Action: "sts:AssumeRole" }],
    }),
    uploader: json({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowS3Upload",
          Effect: "Allow",
          Action: [...TERRAFORM_UPLOADER_ACTIONS],
          Resource: onBucket,
        },
        denyDeletes,
      ],
    }),
    restore: json({
      Version: "2012-10-17",
      Statement: [
        { Sid: "AllowS3Read", Effect: "Allow", Action: [...TERRAFORM_RESTORE_ACTIONS], Resource: onBucket },
        denyDeletes,
      ],
    }),
    operator: json({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "sts:AssumeRole", Resource: [arns.uploaderRole, arns.restoreRole] },
      ],
    }),
  };
}

/** Phase 1: the Terraform module's resources exactly as they are, nothing beside them. */
function adoptSpec(args: BackupSpecArgs): BackupSpec {
  const { names, bucketName: bucket } = args;
  const arns = backupArns(args);
  const docs = terraformDocuments(arns);
  const spec: BackupSpec = {
    bucket: { bucket, forceDestroy: false, tags: { ...TERRAFORM_TAGS.bucket } },
    encryption: { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    publicAccessBlock: {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    lifecycle: {
      bucket,
      rules: [
        {
          id: TERRAFORM_LIFECYCLE_RULE.id,
          status: TERRAFORM_LIFECYCLE_RULE.status,
          filter: { prefix: TERRAFORM_LIFECYCLE_RULE.filter.prefix },
          expiration: { days: TERRAFORM_LIFECYCLE_RULE.expiration.days },
        },
      ],
    },
    user: { name: names.user, forceDestroy: false, tags: { ...TERRAFORM_TAGS.user } },
    userPolicy: { name: names.userPolicy, user: names.user, policy: docs.operator },
    uploaderRole: {
      name: names.uploaderRole,
      assumeRolePolicy: docs.trust,
      maxSessionDuration: TERRAFORM_UPLOADER_SESSION_SECONDS,
      tags: { ...TERRAFORM_TAGS.uploaderRole },
    },
    uploaderPolicy: { name: names.uploaderPolicy, role: names.uploaderRole, policy: docs.uploader },
    restoreRole: {
      name: names.restoreRole,
      assumeRolePolicy: docs.trust,
      maxSessionDuration: RESTORE_SESSION_SECONDS,
      tags: { ...TERRAFORM_TAGS.restoreRole },
    },
    restorePolicy: { name: names.restorePolicy, role: names.restoreRole, policy: docs.restore },
  };
  if (args.costAlarms && args.alarmEmail !== undefined) {
    const alarm = (severity: "warning" | "critical"): aws.cloudwatch.MetricAlarmArgs => ({
      name: severity === "warning" ? names.warningAlarm : names.criticalAlarm,
      alarmDescription: TERRAFORM_ALARMS[severity].alarmDescription,
      namespace: TERRAFORM_ALARMS.namespace,
      metricName: TERRAFORM_ALARMS.metricName,
      dimensions: { ServiceName: "AmazonS3", Currency: TERRAFORM_ALARMS.currency },
      statistic: TERRAFORM_ALARMS.statistic,
      period: TERRAFORM_ALARMS.period,
      evaluationPeriods: TERRAFORM_ALARMS.evaluationPeriods,
      comparisonOperator: TERRAFORM_ALARMS.comparisonOperator,
      threshold: TERRAFORM_ALARMS[severity].threshold,
      alarmActions: [arns.topic],
      tags: { ...TERRAFORM_TAGS[severity === "warning" ? "warningAlarm" : "criticalAlarm"] },
    });
    spec.topic = { name: names.topic, tags: { ...TERRAFORM_TAGS.topic } };
    spec.subscription = { topic: arns.topic, protocol: "email", endpoint: args.alarmEmail };
    spec.warningAlarm = alarm("warning");
    spec.criticalAlarm = alarm("critical");
  }
  return spec;
}

/** Phase 2: the program's settings on the same physical resources, plus what Terraform never made. */
function hardenSpec(args: BackupSpecArgs): BackupSpec {
  const { names, bucketName: bucket } = args;
  const arns = backupArns(args);
  const tags = (purpose: string, more: Record<string, string> = {}) => ({
    ...args.tags,
    Purpose: purpose,
    ...more,
  });
  const trust = json(trustPolicyDocument(arns.user));
  const spec: BackupSpec = {
    // Object Lock is turned on by the lock configuration below: `objectLockEnabled` on the bucket
    // would replace it (the provider's ForceNew), and AWS enables the lock on a versioned bucket.
    bucket: { bucket, forceDestroy: false, tags: tags("backup-archives") },
    versioning: { bucket, versioningConfiguration: { status: "Enabled" } },
    objectLock: {
      bucket,
      objectLockEnabled: "Enabled",
      rule: { defaultRetention: { mode: "COMPLIANCE", days: args.retentionDays } },
    },
    encryption: {
      bucket,
      rules: [
        args.kmsKeyArn === undefined
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
          : {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
              bucketKeyEnabled: true,
            },
      ],
    },
    publicAccessBlock: {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    bucketPolicy: { bucket, policy: json(bucketPolicyDocument(arns.bucket)) },
    lifecycle: { bucket, rules: lifecycleRules(args) },
    user: { name: names.user, forceDestroy: false, tags: tags("backup-operator") },
    userPolicy: {
      name: names.userPolicy,
      user: names.user,
      policy: json(operatorPolicyDocument([arns.uploaderRole, arns.restoreRole])),
    },
    uploaderRole: {
      name: names.uploaderRole,
      description: `Uploads backups to ${bucket}; cannot delete anything.`,
      assumeRolePolicy: trust,
      maxSessionDuration: UPLOADER_SESSION_SECONDS,
      tags: tags("backup-upload"),
    },
    uploaderPolicy: {
      name: names.uploaderPolicy,
      role: names.uploaderRole,
      policy: json(uploaderPolicyDocument(arns.bucket, args.kmsKeyArn)),
    },
    restoreRole: {
      name: names.restoreRole,
      description: `Reads backups from ${bucket} for restores; cannot delete anything.`,
      assumeRolePolicy: trust,
      maxSessionDuration: RESTORE_SESSION_SECONDS,
      tags: tags("backup-restore"),
    },
    restorePolicy: {
      name: names.restorePolicy,
      role: names.restoreRole,
      policy: json(restorePolicyDocument(arns.bucket, args.kmsKeyArn)),
    },
  };
  if (
    args.costAlarms &&
    args.alarmEmail !== undefined &&
    args.warningThreshold !== undefined &&
    args.criticalThreshold !== undefined
  ) {
    const currency = args.currency;
    const alarm = (severity: "warning" | "critical", amount: number): aws.cloudwatch.MetricAlarmArgs => ({
      name: severity === "warning" ? names.warningAlarm : names.criticalAlarm,
      alarmDescription: `${severity}: this month's estimated S3 charges reached ${amount} ${currency} (backups in ${bucket})`,
      namespace: "AWS/Billing",
      metricName: "EstimatedCharges",
      dimensions: { ServiceName: "AmazonS3", Currency: currency },
      statistic: "Maximum",
      period: BILLING_PERIOD_SECONDS,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: amount,
      treatMissingData: "notBreaching",
      actionsEnabled: true,
      alarmActions: [arns.topic],
      tags: tags("backup-cost", { Severity: severity }),
    });
    spec.topicKey = {
      description: `Encrypts the ${names.topic} SNS topic; CloudWatch alarms may use it.`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: json(
        topicKeyPolicyDocument({
          partition: args.partition,
          accountId: args.accountId,
          region: BILLING_REGION,
          alarmNames: [names.warningAlarm, names.criticalAlarm],
        }),
      ),
      tags: tags("backup-alerts-encryption"),
    };
    spec.topic = {
      name: names.topic,
      displayName: "Backup cost alerts",
      kmsMasterKeyId: TOPIC_KEY_ARN,
      tags: tags("backup-alerts"),
    };
    spec.subscription = { topic: arns.topic, protocol: "email", endpoint: args.alarmEmail };
    spec.warningAlarm = alarm("warning", args.warningThreshold);
    spec.criticalAlarm = alarm("critical", args.criticalThreshold);
  }
  return spec;
}

/** The backup settings as stack config or the component's arguments give them (defaults unapplied). */
export interface BackupSettingsInput {
  /**
   * `adopt` (phase 1): declare the Terraform module's resources exactly as they are, so importing
   * them changes nothing; `harden` (phase 2, the default): the program's settings. docs/backups.md.
   */
  phase?: BackupPhase;
  /** The AWS account (12 digits): every ARN in a policy document is formatted from it. */
  accountId: string;
  /** The AWS partition; default `aws`. */
  partition?: string;
  /** The bucket's globally unique name. */
  bucketName: string;
  /**
   * Create the cost alarms, their SNS topic and its KMS key; default true. `EstimatedCharges` is
   * account-wide, so a second stack in the same account sets false instead of repeating the
   * first one's alerts; it then takes none of the alarm arguments below.
   */
  costAlarms?: boolean;
  /** The administrator's address for the alarm emails; required with the cost alarms. */
  alarmEmail?: string;
  /** Estimated monthly S3 charges (in `currency`) that raise the warning alarm; required with them. */
  warningThreshold?: number;
  /** Estimated monthly S3 charges that raise the critical alarm; above `warningThreshold`. */
  criticalThreshold?: number;
  /** Billing currency of the phase-2 alarms; default `USD` (the only one AWS publishes). */
  currency?: string;
  /** Default Object Lock retention in COMPLIANCE mode; default 30 days. */
  retentionDays?: number;
  /** `daily/` objects expire after this many days; default 7. */
  dailyExpirationDays?: number;
  /** Long-lived prefixes; default `weekly/` and `monthly/`. */
  archivePrefixes?: string[];
  /** Days until the long-lived prefixes move to `archiveStorageClass`; default 30. */
  archiveAfterDays?: number;
  /** Default `GLACIER_IR`. */
  archiveStorageClass?: ArchiveStorageClass;
  /** Days until an incomplete multipart upload is aborted; default 7. */
  abortIncompleteUploadDays?: number;
  /** SSE-KMS with this key (bucket keys on); SSE-S3 (AES256) when absent. */
  kmsKeyArn?: string;
  /** Physical names to use instead of those derived from the bucket name. */
  names?: BackupNameOverrides;
  /** Extra tags on every taggable resource (the common tags come from the providers). */
  tags?: Record<string, string>;
}

/** The spec's arguments from the settings, every default applied (the running estate's values). */
export function backupSpecArgs(settings: BackupSettingsInput): BackupSpecArgs {
  const costAlarms = settings.costAlarms ?? true;
  return {
    phase: settings.phase ?? "harden",
    accountId: settings.accountId,
    partition: settings.partition ?? "aws",
    bucketName: settings.bucketName,
    names: resolveBackupNames(settings.bucketName, settings.names),
    costAlarms,
    alarmEmail: costAlarms ? settings.alarmEmail : undefined,
    warningThreshold: costAlarms ? settings.warningThreshold : undefined,
    criticalThreshold: costAlarms ? settings.criticalThreshold : undefined,
    currency: settings.currency ?? BILLING_CURRENCY,
    retentionDays: settings.retentionDays ?? 30,
    dailyExpirationDays: settings.dailyExpirationDays ?? 7,
    archivePrefixes: settings.archivePrefixes ?? ["weekly/", "monthly/"],
    archiveAfterDays: settings.archiveAfterDays ?? 30,
    archiveStorageClass: settings.archiveStorageClass ?? "GLACIER_IR",
    abortIncompleteUploadDays: settings.abortIncompleteUploadDays ?? 7,
    kmsKeyArn: settings.kmsKeyArn,
    tags: settings.tags ?? {},
  };
}

/** The inputs of every resource of `args.phase`. */
export function backupSpec(args: BackupSpecArgs): BackupSpec {
  return args.phase === "adopt" ? adoptSpec(args) : hardenSpec(args);
}

/** One input that differs between two phases: its resource, field and both values. */
export interface SpecChange {
  resource: BackupResourceKey;
  field: string;
  from: unknown;
  to: unknown;
}

/** What moving from one spec to the next does: resources added or removed, fields changed. */
export interface SpecDiff {
  added: BackupResourceKey[];
  removed: BackupResourceKey[];
  changed: SpecChange[];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Compares two specs field by field (top-level input fields; policy documents as parsed JSON). */
export function diffSpecs(from: BackupSpec, to: BackupSpec): SpecDiff {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])] as BackupResourceKey[];
  const diff: SpecDiff = { added: [], removed: [], changed: [] };
  for (const resource of keys) {
    const a = from[resource] as Record<string, unknown> | undefined;
    const b = to[resource] as Record<string, unknown> | undefined;
    if (a === undefined) {
      diff.added.push(resource);
      continue;
    }
    if (b === undefined) {
      diff.removed.push(resource);
      continue;
    }
    for (const field of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
      if (!same(a[field], b[field])) {
        diff.changed.push({ resource, field, from: a[field], to: b[field] });
      }
    }
  }
  return diff;
}
