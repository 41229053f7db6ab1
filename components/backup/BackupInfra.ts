/**
 * `BackupInfra`: the offsite backup bucket for the mail and blog archives, the IAM identities the
 * on-prem host uses to write and read it, and the cost alarms that watch it. Replaces the seed's
 * Terraform `s3-backup` root module (and its `s3-bucket`, `iam-role` and `cloudwatch` modules).
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
  ArchiveStorageClass,
  BackupImportIds,
  BackupNameOverrides,
  BILLING_REGION,
  bucketPolicyDocument,
  COST_ALARM_IMPORT_KEYS,
  COST_ALARM_NAME_KEYS,
  costAlarmProblems,
  importIdProblems,
  lifecycleRules,
  nameProblems,
  operatorPolicyDocument,
  resolveBackupNames,
  RESTORE_SESSION_SECONDS,
  restorePolicyDocument,
  s3BucketNameProblem,
  topicKeyPolicyDocument,
  trustPolicyDocument,
  UPLOADER_SESSION_SECONDS,
  uploaderPolicyDocument,
} from "./policies";

/** Billing metrics are published every few hours; a 6-hour period sees each update. */
export const BILLING_PERIOD_SECONDS = 21600;

export interface BackupInfraArgs {
  /** The bucket's globally unique name. */
  bucketName: string;
  /**
   * Create the cost alarms, their SNS topic and its KMS key; default true. `EstimatedCharges` is
   * account-wide, so a second stack in the same account sets false instead of repeating the
   * first one's alerts; it then takes none of the alarm arguments below.
   */
  costAlarms?: boolean;
  /** An AWS provider in us-east-1 for the billing alarms, their topic and its key; required with them. */
  monitoringProvider?: aws.Provider;
  /** The administrator's address for the alarm emails; required with the cost alarms. */
  alarmEmail?: string;
  /** Estimated monthly S3 charges (in `currency`) that raise the warning alarm; required with them. */
  warningThreshold?: number;
  /** Estimated monthly S3 charges that raise the critical alarm; above `warningThreshold`. */
  criticalThreshold?: number;
  /** Billing currency; default `USD`. */
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
  /** Existing resources to adopt, by resource. */
  importIds?: BackupImportIds;
  /** Protect the bucket from deletion by Pulumi; default true (production). */
  protectBucket?: boolean;
}

export class BackupInfra extends pulumi.ComponentResource {
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
    const extraTags = args.tags ?? {};
    const tags = (purpose: string, more: Record<string, string> = {}) => ({
      ...extraTags,
      Purpose: purpose,
      ...more,
    });

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
    const main = { parent: this };

    // --- The bucket -------------------------------------------------------------------------
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: args.bucketName,
        // Object Lock can only be turned on when the bucket is created.
        objectLockEnabled: true,
        forceDestroy: false,
        tags: tags("backup-archives"),
      },
      { ...main, protect: args.protectBucket ?? true, ...adopt("bucket") },
    );

    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      { ...main, ...adopt("versioning") },
    );

    new aws.s3.BucketObjectLockConfiguration(
      `${name}-object-lock`,
      {
        bucket: bucket.id,
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: "COMPLIANCE", days: retentionDays } },
      },
      { ...main, dependsOn: [versioning], ...adopt("objectLock") },
    );

    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [
          args.kmsKeyArn === undefined
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
            : {
                applyServerSideEncryptionByDefault: {
                  sseAlgorithm: "aws:kms",
                  kmsMasterKeyId: args.kmsKeyArn,
                },
                bucketKeyEnabled: true,
              },
        ],
      },
      { ...main, ...adopt("encryption") },
    );

    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { ...main, ...adopt("publicAccessBlock") },
    );

    // S3 rejects concurrent changes to a bucket's policy and its public-access block.
    new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(bucketPolicyDocument(arn))) },
      { ...main, dependsOn: [publicAccessBlock], ...adopt("bucketPolicy") },
    );

    // Noncurrent-version rules need versioning in place first.
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: lifecycleRules({ retentionDays, dailyExpirationDays, abortIncompleteUploadDays, ...archive }),
      },
      { ...main, dependsOn: [versioning], ...adopt("lifecycle") },
    );

    // --- Access: one user that may only assume the two roles -------------------------------
    const user = new aws.iam.User(
      `${name}-operator`,
      { name: names.user, forceDestroy: false, tags: tags("backup-operator") },
      { ...main, ...adopt("user") },
    );
    const trustPolicy = user.arn.apply((arn) => JSON.stringify(trustPolicyDocument(arn)));

    const uploaderRole = new aws.iam.Role(
      `${name}-uploader`,
      {
        name: names.uploaderRole,
        description: `Uploads backups to ${args.bucketName}; cannot delete anything.`,
        assumeRolePolicy: trustPolicy,
        maxSessionDuration: UPLOADER_SESSION_SECONDS,
        tags: tags("backup-upload"),
      },
      { ...main, ...adopt("uploaderRole") },
    );
    new aws.iam.RolePolicy(
      `${name}-uploader-policy`,
      {
        name: names.uploaderPolicy,
        role: uploaderRole.name,
        policy: bucket.arn.apply((arn) => JSON.stringify(uploaderPolicyDocument(arn, args.kmsKeyArn))),
      },
      { ...main, ...adopt("uploaderPolicy") },
    );

    const restoreRole = new aws.iam.Role(
      `${name}-restore`,
      {
        name: names.restoreRole,
        description: `Reads backups from ${args.bucketName} for restores; cannot delete anything.`,
        assumeRolePolicy: trustPolicy,
        maxSessionDuration: RESTORE_SESSION_SECONDS,
        tags: tags("backup-restore"),
      },
      { ...main, ...adopt("restoreRole") },
    );
    new aws.iam.RolePolicy(
      `${name}-restore-policy`,
      {
        name: names.restorePolicy,
        role: restoreRole.name,
        policy: bucket.arn.apply((arn) => JSON.stringify(restorePolicyDocument(arn, args.kmsKeyArn))),
      },
      { ...main, ...adopt("restorePolicy") },
    );

    new aws.iam.UserPolicy(
      `${name}-operator-policy`,
      {
        name: names.userPolicy,
        user: user.name,
        policy: pulumi
          .all([uploaderRole.arn, restoreRole.arn])
          .apply((arns) => JSON.stringify(operatorPolicyDocument(arns))),
      },
      { ...main, ...adopt("userPolicy") },
    );

    // --- Cost alarms in us-east-1 (one stack per account) ----------------------------------
    let topicArn: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (alarms !== undefined) {
      const monitoring = { parent: this, provider: alarms.provider };
      const identity = aws.getCallerIdentityOutput({}, monitoring);
      const partition = aws.getPartitionOutput({}, monitoring);
      const topicKey = new aws.kms.Key(
        `${name}-alerts-key`,
        {
          description: `Encrypts the ${names.topic} SNS topic; CloudWatch alarms may use it.`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi.all([partition.partition, identity.accountId]).apply(([part, accountId]) =>
            JSON.stringify(
              topicKeyPolicyDocument({
                partition: part,
                accountId,
                region: BILLING_REGION,
                alarmNames: [names.warningAlarm, names.criticalAlarm],
              }),
            ),
          ),
          tags: tags("backup-alerts-encryption"),
        },
        { ...monitoring, ...adopt("topicKey") },
      );

      const topic = new aws.sns.Topic(
        `${name}-alerts`,
        {
          name: names.topic,
          displayName: "Backup cost alerts",
          kmsMasterKeyId: topicKey.arn,
          tags: tags("backup-alerts"),
        },
        { ...monitoring, ...adopt("topic") },
      );
      topicArn = topic.arn;

      new aws.sns.TopicSubscription(
        `${name}-alerts-email`,
        { topic: topic.arn, protocol: "email", endpoint: alarms.email },
        { ...monitoring, ...adopt("subscription") },
      );

      const alarm = (severity: "warning" | "critical", alarmName: string, amount: number) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-charges-${severity}`,
          {
            name: alarmName,
            alarmDescription: `${severity}: this month's estimated S3 charges reached ${amount} ${alarms.currency} (backups in ${args.bucketName})`,
            namespace: "AWS/Billing",
            metricName: "EstimatedCharges",
            dimensions: { ServiceName: "AmazonS3", Currency: alarms.currency },
            statistic: "Maximum",
            period: BILLING_PERIOD_SECONDS,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: amount,
            treatMissingData: "notBreaching",
            actionsEnabled: true,
            alarmActions: [topic.arn],
            tags: tags("backup-cost", { Severity: severity }),
          },
          { ...monitoring, ...adopt(severity === "warning" ? "warningAlarm" : "criticalAlarm") },
        );
      alarm("warning", names.warningAlarm, alarms.warning);
      alarm("critical", names.criticalAlarm, alarms.critical);
    }

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.uploaderRoleArn = uploaderRole.arn;
    this.restoreRoleArn = restoreRole.arn;
    this.userName = user.name;
    this.topicArn = topicArn;
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      uploaderRoleArn: this.uploaderRoleArn,
      restoreRoleArn: this.restoreRoleArn,
      userName: this.userName,
      topicArn: this.topicArn,
    });
  }
}
