/**
 * The offsite backups as the estate's Terraform module made them
 * (kuma8088/project-root-infra, services/mailserver/terraform/s3-backup/*.tf), each resource's
 * attributes in the Pulumi AWS provider's input names, with the file and line that states them;
 * and what the host's backup scripts rely on. Written in our own words from the .tf files;
 * test/backup-estate.spec.ts holds phase 1's inputs equal to these, field by field.
 */

const TF = "services/mailserver/terraform/s3-backup";
const SCRIPTS = "services/mailserver/scripts";

/** The AWS account (the estate's other ARNs name it). */
export const ACCOUNT_ID = {
  value: "552927148143",
  source: "services/mailserver/fargate-task-definition.json:9",
};

/** Both providers' `default_tags`; `Environment` is `var.environment` (default production). */
export const DEFAULT_TAGS = {
  value: {
    Project: "Mailserver",
    Phase: "11-B",
    Purpose: "S3 Backup Infrastructure",
    ManagedBy: "Terraform",
    Environment: "production",
  },
  source: `${TF}/main.tf:27-35, 43-51; ${TF}/variables.tf:11-15`,
};

const BUCKET = "system-backup-workstation";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const USER_ARN = "arn:aws:iam::552927148143:user/dell-system-admin";
const TOPIC_ARN = "arn:aws:sns:us-east-1:552927148143:websystem-s3-backup-alerts";

/** One Terraform resource: its address, where it is declared, its import id and its attributes. */
export interface TerraformResource {
  address: string;
  source: string;
  /** The Pulumi resource type token it is adopted as. */
  type: string;
  /** The child of `BackupInfra` (named `backup`) that adopts it. */
  child: string;
  /** The id `pulumi import` takes; undefined where only AWS knows it. */
  importId: string | undefined;
  /** Which provider: the backup region's or us-east-1's. */
  region: "ap-northeast-1" | "us-east-1";
  /** The attributes, in input names; policy documents as parsed JSON. */
  attributes: Record<string, unknown>;
}

const denyDeletes = {
  Sid: "DenyDeleteObject",
  Effect: "Deny",
  Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
  Resource: "*",
};
const trust = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: USER_ARN }, Action: "sts:AssumeRole" }],
};

export const TERRAFORM: TerraformResource[] = [
  {
    address: "aws_s3_bucket.websystem_backup",
    source: `${TF}/s3.tf:5-11; ${TF}/variables.tf:34-38`,
    type: "aws:s3/bucket:Bucket",
    child: "backup-bucket",
    importId: BUCKET,
    region: "ap-northeast-1",
    // No object_lock_enabled: the bucket was made without Object Lock. force_destroy: default false.
    attributes: {
      bucket: BUCKET,
      forceDestroy: false,
      tags: { Purpose: "Web System S3 Backup - Mail and Blog" },
    },
  },
  {
    address: "aws_s3_bucket_public_access_block.websystem_backup",
    source: `${TF}/s3.tf:14-21`,
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    child: "backup-public-access-block",
    importId: BUCKET,
    region: "ap-northeast-1",
    attributes: {
      bucket: BUCKET,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
  },
  {
    address: "aws_s3_bucket_server_side_encryption_configuration.websystem_backup",
    source: `${TF}/s3.tf:24-32`,
    type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    child: "backup-encryption",
    importId: BUCKET,
    region: "ap-northeast-1",
    attributes: {
      bucket: BUCKET,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    },
  },
  {
    address: "aws_s3_bucket_lifecycle_configuration.websystem_backup",
    source: `${TF}/lifecycle.tf:5-21`,
    type: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    child: "backup-lifecycle",
    importId: BUCKET,
    region: "ap-northeast-1",
    attributes: {
      bucket: BUCKET,
      rules: [
        {
          id: "daily-backups-lifecycle",
          status: "Enabled",
          filter: { prefix: "daily/" },
          expiration: { days: 7 },
        },
      ],
    },
  },
  {
    address: "aws_iam_role.backup_uploader",
    source: `${TF}/iam.tf:6-26`,
    type: "aws:iam/role:Role",
    child: "backup-uploader",
    importId: "mailserver-backup-uploader",
    region: "ap-northeast-1",
    attributes: {
      name: "mailserver-backup-uploader",
      maxSessionDuration: 7200,
      assumeRolePolicy: trust,
      tags: { Purpose: "S3 Backup Upload" },
    },
  },
  {
    address: "aws_iam_role_policy.backup_uploader",
    source: `${TF}/iam.tf:28-60`,
    type: "aws:iam/rolePolicy:RolePolicy",
    child: "backup-uploader-policy",
    importId: "mailserver-backup-uploader:S3BackupUpload",
    region: "ap-northeast-1",
    attributes: {
      name: "S3BackupUpload",
      role: "mailserver-backup-uploader",
      policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AllowS3Upload",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:PutObjectRetention", "s3:GetObject", "s3:ListBucket"],
            Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
          },
          denyDeletes,
        ],
      },
    },
  },
  {
    address: "aws_iam_role.backup_admin",
    source: `${TF}/iam.tf:63-82`,
    type: "aws:iam/role:Role",
    child: "backup-restore",
    importId: "mailserver-backup-admin",
    region: "ap-northeast-1",
    // max_session_duration not set: AWS's default, 3600 seconds.
    attributes: {
      name: "mailserver-backup-admin",
      maxSessionDuration: 3600,
      assumeRolePolicy: trust,
      tags: { Purpose: "S3 Backup Restore" },
    },
  },
  {
    address: "aws_iam_role_policy.backup_admin",
    source: `${TF}/iam.tf:84-114`,
    type: "aws:iam/rolePolicy:RolePolicy",
    child: "backup-restore-policy",
    importId: "mailserver-backup-admin:S3BackupRestore",
    region: "ap-northeast-1",
    attributes: {
      name: "S3BackupRestore",
      role: "mailserver-backup-admin",
      policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AllowS3Read",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:ListBucket"],
            Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
          },
          denyDeletes,
        ],
      },
    },
  },
  {
    address: "aws_iam_user.dell_system_admin",
    source: `${TF}/iam.tf:117-123`,
    type: "aws:iam/user:User",
    child: "backup-operator",
    importId: "dell-system-admin",
    region: "ap-northeast-1",
    attributes: {
      name: "dell-system-admin",
      forceDestroy: false,
      tags: { Purpose: "Dell Mailserver Backup Operations" },
    },
  },
  {
    address: "aws_iam_user_policy.dell_assume_role",
    source: `${TF}/iam.tf:125-142`,
    type: "aws:iam/userPolicy:UserPolicy",
    child: "backup-operator-policy",
    importId: "dell-system-admin:AssumeBackupRoles",
    region: "ap-northeast-1",
    attributes: {
      name: "AssumeBackupRoles",
      user: "dell-system-admin",
      policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Resource: [
              "arn:aws:iam::552927148143:role/mailserver-backup-uploader",
              "arn:aws:iam::552927148143:role/mailserver-backup-admin",
            ],
          },
        ],
      },
    },
  },
  {
    address: "aws_cloudwatch_metric_alarm.s3_cost_warning",
    source: `${TF}/cloudwatch.tf:7-30`,
    type: "aws:cloudwatch/metricAlarm:MetricAlarm",
    child: "backup-charges-warning",
    importId: "websystem-s3-backup-cost-warning",
    region: "us-east-1",
    attributes: {
      name: "websystem-s3-backup-cost-warning",
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 1,
      metricName: "EstimatedCharges",
      namespace: "AWS/Billing",
      period: 86400,
      statistic: "Maximum",
      threshold: 10,
      alarmDescription: "S3 backup cost exceeded expected threshold (10 JPY/month)",
      alarmActions: [TOPIC_ARN],
      dimensions: { ServiceName: "AmazonS3", Currency: "JPY" },
      tags: { Severity: "WARNING", Purpose: "Cost Monitoring - Expected Threshold" },
    },
  },
  {
    address: "aws_cloudwatch_metric_alarm.s3_cost_critical",
    source: `${TF}/cloudwatch.tf:32-55`,
    type: "aws:cloudwatch/metricAlarm:MetricAlarm",
    child: "backup-charges-critical",
    importId: "websystem-s3-backup-cost-critical",
    region: "us-east-1",
    attributes: {
      name: "websystem-s3-backup-cost-critical",
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 1,
      metricName: "EstimatedCharges",
      namespace: "AWS/Billing",
      period: 86400,
      statistic: "Maximum",
      threshold: 100,
      alarmDescription: "S3 backup cost critically high - investigation required (100 JPY/month)",
      alarmActions: [TOPIC_ARN],
      dimensions: { ServiceName: "AmazonS3", Currency: "JPY" },
      tags: { Severity: "CRITICAL", Purpose: "Cost Monitoring - Abnormal Activity Detection" },
    },
  },
  {
    address: "aws_sns_topic.backup_alerts",
    source: `${TF}/cloudwatch.tf:58-66`,
    type: "aws:sns/topic:Topic",
    child: "backup-alerts",
    importId: TOPIC_ARN,
    region: "us-east-1",
    // No kms_master_key_id: the topic is not encrypted.
    attributes: { name: "websystem-s3-backup-alerts", tags: { Purpose: "S3 Backup Alert Notifications" } },
  },
  {
    address: "aws_sns_topic_subscription.backup_alerts_email",
    source: `${TF}/cloudwatch.tf:68-74; endpoint = var.admin_email (terraform.tfvars, not committed): ${SCRIPTS}/backup-config.sh:63`,
    type: "aws:sns/topicSubscription:TopicSubscription",
    child: "backup-alerts-email",
    // Its ARN ends in a UUID AWS chose: `aws sns list-subscriptions-by-topic` prints it.
    importId: undefined,
    region: "us-east-1",
    attributes: { topic: TOPIC_ARN, protocol: "email", endpoint: "naoya.iimura@gmail.com" },
  },
];

/** What the host's backup jobs rely on, in both phases. */
export const HOST = {
  /** The bucket the scripts write: `S3_BUCKET` from /etc/mailserver-backup/config. */
  bucket: {
    value: BUCKET,
    source: `${SCRIPTS}/backup-config.sh:97-121 (S3_BUCKET from ${"/etc/mailserver-backup/config"}; its fallback mailserver-backup-<account> is no bucket Terraform made)`,
  },
  /** Key prefixes written: `daily/<date>/` by default, `mail/daily/` and `blog/daily/` by the rental upload. */
  prefixes: {
    value: ["daily/", "mail/daily/", "blog/daily/"],
    source: `${SCRIPTS}/backup-to-s3.sh:61-70; rental/scripts/upload_rental_s3.sh:51,67`,
  },
  /** What the upload and restore need on the bucket (aws s3 sync, aws s3 ls). */
  uploadActions: {
    value: ["s3:ListBucket", "s3:PutObject", "s3:GetObject"],
    source: `${SCRIPTS}/backup-to-s3.sh:141,172-180; ${SCRIPTS}/restore-from-s3.sh:102,117,154-168`,
  },
  /** The roles the host's profile assumes (the module's outputs). */
  roles: {
    value: ["mailserver-backup-uploader", "mailserver-backup-admin"],
    source: `${TF}/outputs.tf:15-23`,
  },
};

/**
 * Arguments the AWS provider replaces a resource on (`ForceNew` in the Terraform provider the
 * Pulumi AWS provider bridges), for the types the backups use. Changing any of them on an adopted
 * resource would delete and re-create it. Source: hashicorp/terraform-provider-aws,
 * internal/service/<service>/<resource>.go schemas, read for this table in bucket.go
 * (`bucket`, `bucket_prefix`, `object_lock_enabled`: ForceNew), metric_alarm.go (`alarm_name`)
 * and topic_subscription.go (`topic_arn`, `protocol`, `endpoint`; not `endpoint_auto_confirms`);
 * the other rows from the resources' documentation (arguments marked "Forces new resource").
 */
export const FORCE_NEW: Record<string, { fields: string[]; source: string }> = {
  "aws:s3/bucket:Bucket": {
    fields: ["bucket", "bucketPrefix", "objectLockEnabled"],
    source: "internal/service/s3/bucket.go",
  },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
    fields: ["bucket"],
    source: "internal/service/s3/bucket_public_access_block.go",
  },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
    fields: ["bucket", "expectedBucketOwner"],
    source: "internal/service/s3/bucket_server_side_encryption_configuration.go",
  },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
    fields: ["bucket", "expectedBucketOwner"],
    source: "internal/service/s3/bucket_lifecycle_configuration.go",
  },
  "aws:iam/role:Role": {
    fields: ["name", "namePrefix", "path"],
    source: "internal/service/iam/role.go",
  },
  "aws:iam/rolePolicy:RolePolicy": {
    fields: ["name", "namePrefix", "role"],
    source: "internal/service/iam/role_policy.go",
  },
  // A user's name and path are updated in place (UpdateUser).
  "aws:iam/user:User": { fields: [], source: "internal/service/iam/user.go" },
  "aws:iam/userPolicy:UserPolicy": {
    fields: ["name", "namePrefix", "user"],
    source: "internal/service/iam/user_policy.go",
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    fields: ["name"],
    source: "internal/service/cloudwatch/metric_alarm.go (alarm_name)",
  },
  "aws:sns/topic:Topic": {
    fields: ["name", "namePrefix", "fifoTopic"],
    source: "internal/service/sns/topic.go",
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    fields: ["topic", "protocol", "endpoint"],
    source: "internal/service/sns/topic_subscription.go",
  },
};
