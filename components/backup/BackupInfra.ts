/**
 * `BackupInfra`: the offsite backup bucket for the mail and blog archives, the IAM identities the
 * on-prem host uses to write and read it, and the cost alarms that watch it. Replaces the design
 * document's Terraform `s3-backup` root module (and its `s3-bucket`, `iam-role` and `cloudwatch` modules).
 *
 * - Main provider (from `opts.providers`, the backup region): the bucket with Object Lock
 *   (COMPLIANCE), versioning, encryption, public-access block, TLS-only bucket policy and
 *   lifecycle; the operator user and the uploader and restore roles.
 * - `monitoringProvider` (us-east-1, where billing metrics live): the KMS key, the encrypted SNS
 *   topic with the administrator's email subscription, and the two `EstimatedCharges` alarms.
 *   `EstimatedCharges` is account-wide (per service, not per bucket), so only one stack per AWS
 *   account creates them; the others set `costAlarms: false` and get none of the four.
 *
 * Every resource can adopt an existing one (`importIds`); the bucket is protected unless
 * `protectBucket` is false and is never force-destroyed.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  archiveProblems,
  BackupImportIds,
  COST_ALARM_IMPORT_KEYS,
  COST_ALARM_NAME_KEYS,
  costAlarmProblems,
  importIdProblems,
  nameProblems,
  resolveBackupNames,
  s3BucketNameProblem,
} from "./policies";
import {
  BackupPhase,
  backupArns,
  BackupSettingsInput,
  backupSpec,
  backupSpecArgs,
  TOPIC_KEY_ARN,
} from "./spec";

export { BILLING_PERIOD_SECONDS } from "./spec";

/** The component's arguments: the settings (stack config) plus what only the program gives. */
export interface BackupInfraArgs extends BackupSettingsInput {
  /** An AWS provider in us-east-1 for the billing alarms, their topic and its key; required with them. */
  monitoringProvider?: aws.Provider;
  /** Existing resources to adopt, by resource. */
  importIds?: BackupImportIds;
  /** Protect the bucket from deletion by Pulumi; default true (production). */
  protectBucket?: boolean;
}

export class BackupInfra extends pulumi.ComponentResource {
  /** The phase the backups are in: `adopt` (Terraform's settings) or `harden`. */
  readonly phase: BackupPhase;
  /** The backup bucket's name. */
  readonly bucketName: pulumi.Output<string>;
  /** The backup bucket's ARN. */
  readonly bucketArn: pulumi.Output<string>;
  /** The role the host assumes to upload backups. */
  readonly uploaderRoleArn: pulumi.Output<string>;
  /** The role the host assumes to restore backups. */
  readonly restoreRoleArn: pulumi.Output<string>;
  /** The operator user on the on-prem host (its access key is created outside Pulumi). */
  readonly userName: pulumi.Output<string>;
  /** The SNS topic the cost alarms notify; undefined when `costAlarms` is false. */
  readonly topicArn: pulumi.Output<string | undefined>;

  constructor(name: string, args: BackupInfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem:backup:BackupInfra", name, {}, opts);

    const phase = args.phase ?? "harden";
    if (!/^\d{12}$/.test(args.accountId)) {
      throw new pulumi.ResourceError(`accountId must be 12 digits, got "${args.accountId}"`, this);
    }
    const costAlarms = args.costAlarms ?? true;
    const retentionDays = args.retentionDays ?? 30;
    const dailyExpirationDays = args.dailyExpirationDays ?? 7;
    const archive = {
      archivePrefixes: args.archivePrefixes ?? ["weekly/", "monthly/"],
      archiveAfterDays: args.archiveAfterDays ?? 30,
      archiveStorageClass: args.archiveStorageClass ?? "GLACIER_IR",
    };
    const abortIncompleteUploadDays = args.abortIncompleteUploadDays ?? 7;
    const importIds = args.importIds ?? {};
    const names = resolveBackupNames(args.bucketName, args.names);

    const bucketProblem = s3BucketNameProblem(args.bucketName);
    if (bucketProblem) {
      throw new pulumi.ResourceError(`bucketName "${args.bucketName}" ${bucketProblem}`, this);
    }
    const alarmProblems = costAlarmProblems({ ...args, costAlarms });
    if (costAlarms && args.monitoringProvider === undefined) {
      alarmProblems.push({ path: ["monitoringProvider"], message: "is required while costAlarms is true" });
    }
    if (alarmProblems.length > 0) {
      throw new pulumi.ResourceError(
        alarmProblems.map((p) => `${p.path.join(".")} ${p.message}`).join("; "),
        this,
      );
    }
    // The validated alarm arguments, present exactly when the alarms are created.
    const alarms =
      costAlarms &&
      args.monitoringProvider !== undefined &&
      args.alarmEmail !== undefined &&
      args.warningThreshold !== undefined &&
      args.criticalThreshold !== undefined
        ? {
            provider: args.monitoringProvider,
            email: args.alarmEmail,
            warning: args.warningThreshold,
            critical: args.criticalThreshold,
            currency: args.currency ?? "USD",
          }
        : undefined;
    if (alarms !== undefined && !(alarms.warning > 0 && alarms.critical > alarms.warning)) {
      throw new pulumi.ResourceError(
        `thresholds must satisfy 0 < warningThreshold < criticalThreshold, got ${alarms.warning} and ${alarms.critical}`,
        this,
      );
    }
    const days: [string, number][] = [
      ["retentionDays", retentionDays],
      ["dailyExpirationDays", dailyExpirationDays],
      ["archiveAfterDays", archive.archiveAfterDays],
      ["abortIncompleteUploadDays", abortIncompleteUploadDays],
    ];
    for (const [key, value] of days) {
      if (!Number.isInteger(value) || value < 1) {
        throw new pulumi.ResourceError(`${key} must be a whole number of days >= 1, got ${value}`, this);
      }
    }
    // Without cost alarms, their names and import ids are unused (and giving one is reported above).
    const unused: readonly string[] = costAlarms ? [] : [...COST_ALARM_NAME_KEYS, ...COST_ALARM_IMPORT_KEYS];
    const problems = [
      ...archiveProblems(archive).map((p) => ({ key: p.path.join("."), message: p.message })),
      ...nameProblems(names),
      ...importIdProblems(args.bucketName, names, importIds),
    ].filter((p) => !unused.includes(p.key));
    if (problems.length > 0) {
      throw new pulumi.ResourceError(problems.map((p) => `${p.key}: ${p.message}`).join("; "), this);
    }
    const adopt = (key: keyof BackupImportIds): { import?: string } =>
      importIds[key] === undefined ? {} : { import: importIds[key] };
    // The same defaults as above; the plan computes the next phase from the same function.
    const specArgs = backupSpecArgs({ ...args, phase });
    const spec = backupSpec(specArgs);
    const arns = backupArns(specArgs);
    const main = { parent: this };

    // --- The bucket -------------------------------------------------------------------------
    // Its settings name the bucket (a known string, so every document is known at preview) and
    // depend on it explicitly.
    const bucket = new aws.s3.Bucket(`${name}-bucket`, spec.bucket, {
      ...main,
      protect: args.protectBucket ?? true,
      ...adopt("bucket"),
    });
    const onBucket = { ...main, dependsOn: [bucket] };

    const versioning =
      spec.versioning &&
      new aws.s3.BucketVersioning(`${name}-versioning`, spec.versioning, {
        ...onBucket,
        ...adopt("versioning"),
      });

    if (spec.objectLock && versioning) {
      // Object Lock can be enabled on an existing bucket once versioning is on.
      new aws.s3.BucketObjectLockConfiguration(`${name}-object-lock`, spec.objectLock, {
        ...main,
        dependsOn: [bucket, versioning],
        ...adopt("objectLock"),
      });
    }

    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, spec.encryption, {
      ...onBucket,
      ...adopt("encryption"),
    });

    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      spec.publicAccessBlock,
      { ...onBucket, ...adopt("publicAccessBlock") },
    );

    if (spec.bucketPolicy) {
      // S3 rejects concurrent changes to a bucket's policy and its public-access block.
      new aws.s3.BucketPolicy(`${name}-bucket-policy`, spec.bucketPolicy, {
        ...main,
        dependsOn: [bucket, publicAccessBlock],
        ...adopt("bucketPolicy"),
      });
    }

    // Noncurrent-version rules need versioning in place first.
    new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, spec.lifecycle, {
      ...main,
      dependsOn: versioning ? [bucket, versioning] : [bucket],
      ...adopt("lifecycle"),
    });

    // --- Access: one user that may only assume the two roles -------------------------------
    const user = new aws.iam.User(`${name}-operator`, spec.user, { ...main, ...adopt("user") });
    const onUser = { ...main, dependsOn: [user] };
    const uploaderRole = new aws.iam.Role(`${name}-uploader`, spec.uploaderRole, {
      ...onUser,
      ...adopt("uploaderRole"),
    });
    new aws.iam.RolePolicy(`${name}-uploader-policy`, spec.uploaderPolicy, {
      ...main,
      dependsOn: [uploaderRole, bucket],
      ...adopt("uploaderPolicy"),
    });
    const restoreRole = new aws.iam.Role(`${name}-restore`, spec.restoreRole, {
      ...onUser,
      ...adopt("restoreRole"),
    });
    new aws.iam.RolePolicy(`${name}-restore-policy`, spec.restorePolicy, {
      ...main,
      dependsOn: [restoreRole, bucket],
      ...adopt("restorePolicy"),
    });
    new aws.iam.UserPolicy(`${name}-operator-policy`, spec.userPolicy, {
      ...main,
      dependsOn: [user, uploaderRole, restoreRole],
      ...adopt("userPolicy"),
    });

    // --- Cost alarms in us-east-1 (one stack per account) ----------------------------------
    let topicArn: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (alarms !== undefined && spec.topic && spec.subscription && spec.warningAlarm && spec.criticalAlarm) {
      const monitoring = { parent: this, provider: alarms.provider };
      const topicKey =
        spec.topicKey &&
        new aws.kms.Key(`${name}-alerts-key`, spec.topicKey, { ...monitoring, ...adopt("topicKey") });
      const topic = new aws.sns.Topic(
        `${name}-alerts`,
        {
          ...spec.topic,
          kmsMasterKeyId:
            spec.topic.kmsMasterKeyId === TOPIC_KEY_ARN ? topicKey?.arn : spec.topic.kmsMasterKeyId,
        },
        { ...monitoring, ...adopt("topic") },
      );
      topicArn = topic.arn;
      const onTopic = { ...monitoring, dependsOn: [topic] };
      // While adopting, the subscription Terraform made is declared only with its import id (its
      // ARN ends in an id AWS chose; docs/backups.md): without it, it stays as it is, unmanaged,
      // rather than a second subscribe beside it.
      if (phase !== "adopt" || importIds.subscription !== undefined) {
        new aws.sns.TopicSubscription(`${name}-alerts-email`, spec.subscription, {
          ...onTopic,
          ...adopt("subscription"),
        });
      }
      new aws.cloudwatch.MetricAlarm(`${name}-charges-warning`, spec.warningAlarm, {
        ...onTopic,
        ...adopt("warningAlarm"),
      });
      new aws.cloudwatch.MetricAlarm(`${name}-charges-critical`, spec.criticalAlarm, {
        ...onTopic,
        ...adopt("criticalAlarm"),
      });
    }

    this.phase = phase;
    this.bucketName = bucket.bucket;
    this.bucketArn = pulumi.output(arns.bucket);
    this.uploaderRoleArn = pulumi.output(arns.uploaderRole);
    this.restoreRoleArn = pulumi.output(arns.restoreRole);
    this.userName = user.name;
    this.topicArn = topicArn;
    this.registerOutputs({
      phase: this.phase,
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      uploaderRoleArn: this.uploaderRoleArn,
      restoreRoleArn: this.restoreRoleArn,
      userName: this.userName,
      topicArn: this.topicArn,
    });
  }
}
