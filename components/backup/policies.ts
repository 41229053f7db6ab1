/**
 * The backup infrastructure's documents and rules as plain data: the IAM and bucket policy
 * documents, the KMS key policy of the alert topic, the lifecycle rules, the physical names and
 * the checks of import ids against those names. Pure functions, no resources, so the schema, the
 * component and the tests share one definition.
 */

/** Billing metrics (`AWS/Billing` `EstimatedCharges`) exist only in this region. */
export const BILLING_REGION = "us-east-1";

/** The prefix whose objects expire after a week. */
export const DAILY_PREFIX = "daily/";

/** Maximum session of the uploader role: blog uploads take over an hour. */
export const UPLOADER_SESSION_SECONDS = 7200;

/** Maximum session of the restore role (AWS's default, written out so an import shows no diff). */
export const RESTORE_SESSION_SECONDS = 3600;

/** Storage classes the long-lived prefixes may move to. */
export const ARCHIVE_STORAGE_CLASSES = [
  "STANDARD_IA",
  "INTELLIGENT_TIERING",
  "GLACIER_IR",
  "GLACIER",
  "DEEP_ARCHIVE",
] as const;
export type ArchiveStorageClass = (typeof ARCHIVE_STORAGE_CLASSES)[number];

/** Classes S3 accepts in a lifecycle transition only 30 days or more after creation. */
export const THIRTY_DAY_MINIMUM_CLASSES: readonly ArchiveStorageClass[] = ["STANDARD_IA"];

/** Actions explicitly denied to both roles: no deletes, and no weakening of the bucket's protection. */
export const DENIED_ACTIONS = [
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:DeleteBucket",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketVersioning",
  "s3:PutBucketObjectLockConfiguration",
  "s3:BypassGovernanceRetention",
] as const;

/** What the uploader may do with objects (multipart parts included: blog archives are large). */
export const UPLOADER_OBJECT_ACTIONS = [
  "s3:PutObject",
  "s3:GetObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
] as const;

/** What the restore role may do with objects: read any version. */
export const RESTORE_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"] as const;

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  Action: string | string[];
  /** Absent only in trust policies, whose resource is the role itself. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

function doc(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** The object ARN pattern of a bucket: every key in it. */
export function objectsArn(bucketArn: string): string {
  return `${bucketArn}/*`;
}

/** The bucket policy: every request without TLS is denied, whoever makes it. */
export function bucketPolicyDocument(bucketArn: string): PolicyDocument {
  return doc({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, objectsArn(bucketArn)],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
}

function denyDeletes(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyDeletesAndProtectionChanges",
    Effect: "Deny",
    Action: [...DENIED_ACTIONS],
    Resource: [bucketArn, objectsArn(bucketArn)],
  };
}

function listBucket(bucketArn: string, actions: string[]): PolicyStatement {
  return { Sid: "ListBackupBucket", Effect: "Allow", Action: actions, Resource: bucketArn };
}

/**
 * A backup role's permissions: list the bucket, act on its objects, use the bucket key when there
 * is one, and never delete.
 */
function rolePolicyDocument(
  bucketArn: string,
  kmsKeyArn: string | undefined,
  access: { list: string[]; objectSid: string; objects: readonly string[]; kms: string[] },
): PolicyDocument {
  const statements: PolicyStatement[] = [
    listBucket(bucketArn, access.list),
    { Sid: access.objectSid, Effect: "Allow", Action: [...access.objects], Resource: objectsArn(bucketArn) },
  ];
  if (kmsKeyArn !== undefined) {
    statements.push({ Sid: "UseBucketKey", Effect: "Allow", Action: access.kms, Resource: kmsKeyArn });
  }
  statements.push(denyDeletes(bucketArn));
  return doc(...statements);
}

/** The uploader role's permissions: put, get and list on this bucket only; deletes denied. */
export function uploaderPolicyDocument(bucketArn: string, kmsKeyArn?: string): PolicyDocument {
  return rolePolicyDocument(bucketArn, kmsKeyArn, {
    list: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
    objectSid: "WriteAndReadBackups",
    objects: UPLOADER_OBJECT_ACTIONS,
    kms: ["kms:GenerateDataKey", "kms:Decrypt"],
  });
}

/** The restore role's permissions: get (any version) and list on this bucket only; deletes denied. */
export function restorePolicyDocument(bucketArn: string, kmsKeyArn?: string): PolicyDocument {
  return rolePolicyDocument(bucketArn, kmsKeyArn, {
    list: ["s3:ListBucket", "s3:ListBucketVersions"],
    objectSid: "ReadBackups",
    objects: RESTORE_OBJECT_ACTIONS,
    kms: ["kms:Decrypt"],
  });
}

/** A role's trust policy: only the operator user may assume it. */
export function trustPolicyDocument(userArn: string): PolicyDocument {
  return doc({
    Sid: "OperatorUserOnly",
    Effect: "Allow",
    Principal: { AWS: userArn },
    Action: "sts:AssumeRole",
  });
}

/** The operator user's only permission: assuming the two backup roles. */
export function operatorPolicyDocument(roleArns: string[]): PolicyDocument {
  return doc({ Sid: "AssumeBackupRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: roleArns });
}

export interface TopicKeyPolicyArgs {
  partition: string;
  accountId: string;
  region: string;
  /** The alarms allowed to publish to the encrypted topic. */
  alarmNames: string[];
}

/** The CloudWatch alarm ARN of an alarm name. */
export function alarmArn(args: Omit<TopicKeyPolicyArgs, "alarmNames">, alarmName: string): string {
  return `arn:${args.partition}:cloudwatch:${args.region}:${args.accountId}:alarm:${alarmName}`;
}

/**
 * The alert topic key's policy. A key policy's `Resource` is always `*` (it means "this key"); the
 * account statement delegates administration to IAM as AWS's default key policy does, so the key
 * can never become unmanageable. CloudWatch may use the key only for this account's two alarms.
 */
export function topicKeyPolicyDocument(args: TopicKeyPolicyArgs): PolicyDocument {
  return doc(
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: `arn:${args.partition}:iam::${args.accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": args.accountId },
        ArnLike: { "aws:SourceArn": args.alarmNames.map((n) => alarmArn(args, n)) },
      },
    },
  );
}

/** One lifecycle rule, in the shape of `aws.s3.BucketLifecycleConfiguration`'s `rules`. */
export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix?: string };
  expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  transitions?: { days: number; storageClass: ArchiveStorageClass }[];
  noncurrentVersionTransitions?: { noncurrentDays: number; storageClass: ArchiveStorageClass }[];
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

export interface LifecycleArgs {
  retentionDays: number;
  dailyExpirationDays: number;
  archivePrefixes: string[];
  archiveAfterDays: number;
  archiveStorageClass: ArchiveStorageClass;
  abortIncompleteUploadDays: number;
}

/**
 * The lifecycle rules:
 * - `daily/` objects expire after `dailyExpirationDays`; the version that leaves behind is removed
 *   when its Object Lock retention ends (`retentionDays` after upload), not before: S3 could not
 *   delete it earlier anyway, and later would keep paying for it.
 * - each long-lived prefix moves to `archiveStorageClass` after `archiveAfterDays` (noncurrent
 *   versions too);
 * - bucket-wide: incomplete multipart uploads are aborted and expired delete markers removed.
 */
export function lifecycleRules(args: LifecycleArgs): LifecycleRule[] {
  const rules: LifecycleRule[] = [
    {
      id: "expire-daily",
      status: "Enabled",
      filter: { prefix: DAILY_PREFIX },
      expiration: { days: args.dailyExpirationDays },
      noncurrentVersionExpiration: {
        noncurrentDays: Math.max(1, args.retentionDays - args.dailyExpirationDays),
      },
    },
  ];
  for (const prefix of args.archivePrefixes) {
    rules.push({
      id: `archive-${prefix.replace(/\/+$/, "").replace(/[^A-Za-z0-9-]+/g, "-")}`,
      status: "Enabled",
      filter: { prefix },
      transitions: [{ days: args.archiveAfterDays, storageClass: args.archiveStorageClass }],
      noncurrentVersionTransitions: [
        { noncurrentDays: args.archiveAfterDays, storageClass: args.archiveStorageClass },
      ],
    });
  }
  rules.push({
    id: "abort-incomplete-uploads",
    status: "Enabled",
    filter: {},
    abortIncompleteMultipartUpload: { daysAfterInitiation: args.abortIncompleteUploadDays },
    expiration: { expiredObjectDeleteMarker: true },
  });
  return rules;
}

/** The resources whose physical names may be set (to match the resources an import adopts). */
export const NAME_KEYS = [
  "user",
  "userPolicy",
  "uploaderRole",
  "uploaderPolicy",
  "restoreRole",
  "restorePolicy",
  "topic",
  "warningAlarm",
  "criticalAlarm",
] as const;
export type BackupNames = Record<(typeof NAME_KEYS)[number], string>;
/** Overridable physical names; the rest are derived from the bucket name. */
export type BackupNameOverrides = Partial<BackupNames>;

/** The physical names: overrides where given, otherwise derived from the bucket name. */
export function resolveBackupNames(bucketName: string, overrides: BackupNameOverrides = {}): BackupNames {
  return {
    user: overrides.user ?? `${bucketName}-operator`,
    userPolicy: overrides.userPolicy ?? "assume-backup-roles",
    uploaderRole: overrides.uploaderRole ?? `${bucketName}-uploader`,
    uploaderPolicy: overrides.uploaderPolicy ?? "backup-upload",
    restoreRole: overrides.restoreRole ?? `${bucketName}-restore`,
    restorePolicy: overrides.restorePolicy ?? "backup-restore",
    // Topic names allow no dots; bucket names may have them.
    topic: overrides.topic ?? `${bucketName.replace(/\./g, "-")}-alerts`,
    warningAlarm: overrides.warningAlarm ?? `${bucketName}-s3-charges-warning`,
    criticalAlarm: overrides.criticalAlarm ?? `${bucketName}-s3-charges-critical`,
  };
}

/** IAM user, role and inline policy names: 1-64 (roles, users) / 1-128 (policies) of `[\w+=,.@-]`. */
const IAM_NAME = /^[\w+=,.@-]+$/;
/** SNS topic names: 1-256 of `[A-Za-z0-9_-]`. */
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
/** CloudWatch alarm names: 1-255 printable characters. */
const ALARM_NAME = /^[\x20-\x7e]{1,255}$/;

/** Problems with the resolved names, by name key (`user`, `topic`, ...). */
export function nameProblems(names: BackupNames): { key: keyof BackupNames; message: string }[] {
  const problems: { key: keyof BackupNames; message: string }[] = [];
  const iam: [keyof BackupNames, number][] = [
    ["user", 64],
    ["uploaderRole", 64],
    ["restoreRole", 64],
    ["userPolicy", 128],
    ["uploaderPolicy", 128],
    ["restorePolicy", 128],
  ];
  for (const [key, max] of iam) {
    const value = names[key];
    if (!IAM_NAME.test(value) || value.length > max) {
      problems.push({
        key,
        message: `"${value}" is not a valid IAM name (1-${max} of letters, digits and +=,.@_-); set a shorter one`,
      });
    }
  }
  if (!TOPIC_NAME.test(names.topic)) {
    problems.push({ key: "topic", message: `"${names.topic}" is not a valid SNS topic name` });
  }
  for (const key of ["warningAlarm", "criticalAlarm"] as const) {
    if (!ALARM_NAME.test(names[key])) {
      problems.push({ key, message: `"${names[key]}" is not a valid alarm name` });
    }
  }
  if (names.warningAlarm === names.criticalAlarm) {
    problems.push({ key: "criticalAlarm", message: "must differ from the warning alarm's name" });
  }
  if (names.uploaderRole === names.restoreRole) {
    problems.push({ key: "restoreRole", message: "must differ from the uploader role's name" });
  }
  return problems;
}

/** The resources of the component that can adopt an existing one (`import`). */
export const IMPORT_ID_KEYS = [
  "bucket",
  "versioning",
  "objectLock",
  "encryption",
  "publicAccessBlock",
  "bucketPolicy",
  "lifecycle",
  "user",
  "userPolicy",
  "uploaderRole",
  "uploaderPolicy",
  "restoreRole",
  "restorePolicy",
  "topicKey",
  "topic",
  "subscription",
  "warningAlarm",
  "criticalAlarm",
] as const;
/** Ids of existing resources to adopt, per resource of the component. */
export type BackupImportIds = Partial<Record<(typeof IMPORT_ID_KEYS)[number], string>>;

const KMS_KEY_ID =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Problems with import ids: each id must name exactly the resource the program declares (the
 * same bucket, user, role, policy, alarm or topic name), otherwise the import would adopt one
 * resource and the next update replace it.
 */
export function importIdProblems(
  bucketName: string,
  names: BackupNames,
  ids: BackupImportIds,
  accountId?: string,
): { key: keyof BackupImportIds; message: string }[] {
  const expected: Partial<Record<keyof BackupImportIds, string>> = {
    bucket: bucketName,
    versioning: bucketName,
    objectLock: bucketName,
    encryption: bucketName,
    publicAccessBlock: bucketName,
    bucketPolicy: bucketName,
    lifecycle: bucketName,
    user: names.user,
    userPolicy: `${names.user}:${names.userPolicy}`,
    uploaderRole: names.uploaderRole,
    uploaderPolicy: `${names.uploaderRole}:${names.uploaderPolicy}`,
    restoreRole: names.restoreRole,
    restorePolicy: `${names.restoreRole}:${names.restorePolicy}`,
    warningAlarm: names.warningAlarm,
    criticalAlarm: names.criticalAlarm,
  };
  const problems: { key: keyof BackupImportIds; message: string }[] = [];
  for (const key of IMPORT_ID_KEYS) {
    const id = ids[key];
    if (id === undefined) {
      continue;
    }
    const want = expected[key];
    if (want !== undefined && id !== want) {
      problems.push({ key, message: `must be "${want}" (the name this program declares), got "${id}"` });
    }
  }
  const account = accountId ?? "\\d{12}";
  const topicArn = new RegExp(
    `^arn:aws[a-z-]*:sns:${BILLING_REGION}:${account}:${escapeRegExp(names.topic)}$`,
  );
  if (ids.topic !== undefined && !topicArn.test(ids.topic)) {
    problems.push({
      key: "topic",
      message: `must be the ARN of topic "${names.topic}" in ${BILLING_REGION}${accountId ? ` of account ${accountId}` : ""}, got "${ids.topic}"`,
    });
  }
  const subscriptionArn = new RegExp(
    `^arn:aws[a-z-]*:sns:${BILLING_REGION}:${account}:${escapeRegExp(names.topic)}:${UUID}$`,
  );
  if (ids.subscription !== undefined && !subscriptionArn.test(ids.subscription)) {
    problems.push({
      key: "subscription",
      message: `must be the ARN of a confirmed subscription to topic "${names.topic}"${accountId ? ` of account ${accountId}` : ""} (aws sns list-subscriptions-by-topic), got "${ids.subscription}"`,
    });
  }
  if (ids.topicKey !== undefined && !KMS_KEY_ID.test(ids.topicKey)) {
    problems.push({ key: "topicKey", message: `must be a KMS key id or key ARN, got "${ids.topicKey}"` });
  }
  return problems;
}

/** The import ids of the cost-alarm resources (key, topic, subscription, alarms). */
export const COST_ALARM_IMPORT_KEYS = [
  "topicKey",
  "topic",
  "subscription",
  "warningAlarm",
  "criticalAlarm",
] as const satisfies readonly (keyof BackupImportIds)[];

/** The physical names of the cost-alarm resources. */
export const COST_ALARM_NAME_KEYS = [
  "topic",
  "warningAlarm",
  "criticalAlarm",
] as const satisfies readonly (keyof BackupNames)[];

/** The alarm settings, which exist only together with the cost alarms. */
export const COST_ALARM_SETTING_KEYS = [
  "alarmEmail",
  "warningThreshold",
  "criticalThreshold",
  "currency",
] as const;

/** What decides whether the cost alarms exist, and what they need. */
export interface CostAlarmSettings {
  /** Whether this stack creates the cost alarms, their topic and its key. */
  costAlarms: boolean;
  alarmEmail?: string;
  warningThreshold?: number;
  criticalThreshold?: number;
  currency?: string;
  names?: BackupNameOverrides;
  importIds?: BackupImportIds;
}

/**
 * Problems with the cost-alarm settings, by config path. `EstimatedCharges` is an account-wide
 * metric (per service, not per bucket), so a second stack in the same account would only repeat
 * the first one's alerts: such a stack sets `costAlarms: false`, and then no alarm setting, alarm
 * name or alarm import id may be given (it would have no effect). With the alarms on, the email
 * address and both thresholds are required.
 */
export function costAlarmProblems(settings: CostAlarmSettings): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  if (settings.costAlarms) {
    for (const key of ["alarmEmail", "warningThreshold", "criticalThreshold"] as const) {
      if (settings[key] === undefined) {
        problems.push({ path: [key], message: "is required while costAlarms is true (the default)" });
      }
    }
    return problems;
  }
  const off = "costAlarms is false, so no alarm, topic or key is created";
  for (const key of COST_ALARM_SETTING_KEYS) {
    if (settings[key] !== undefined) {
      problems.push({ path: [key], message: `must not be set: ${off}` });
    }
  }
  for (const key of COST_ALARM_NAME_KEYS) {
    if (settings.names?.[key] !== undefined) {
      problems.push({ path: ["names", key], message: `must not be set: ${off}` });
    }
  }
  for (const key of COST_ALARM_IMPORT_KEYS) {
    if (settings.importIds?.[key] !== undefined) {
      problems.push({ path: ["importIds", key], message: `has nothing to adopt: ${off}` });
    }
  }
  return problems;
}

/** The archive rules' settings. */
export interface ArchiveSettings {
  archivePrefixes: readonly string[];
  archiveAfterDays: number;
  archiveStorageClass: ArchiveStorageClass;
}

/**
 * Problems with the archive settings, by config path: a prefix overlapping `daily/` or another
 * prefix (two rules would act on the same objects), and a transition S3 refuses this early.
 */
export function archiveProblems(settings: ArchiveSettings): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (THIRTY_DAY_MINIMUM_CLASSES.includes(settings.archiveStorageClass) && settings.archiveAfterDays < 30) {
    problems.push({
      path: ["archiveAfterDays"],
      message: `must be at least 30 days for ${settings.archiveStorageClass}`,
    });
  }
  const seen: string[] = [DAILY_PREFIX];
  settings.archivePrefixes.forEach((prefix, i) => {
    const other = seen.find((p) => p.startsWith(prefix) || prefix.startsWith(p));
    if (other !== undefined) {
      problems.push({ path: ["archivePrefixes", i], message: `${prefix} overlaps ${other}` });
    }
    seen.push(prefix);
  });
  return problems;
}

/** S3's bucket naming rules (general purpose buckets); the first broken rule, or undefined. */
export function s3BucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) {
    return "must be 3 to 63 characters long";
  }
  if (!/^[a-z0-9.-]+$/.test(name)) {
    return "must contain only lower-case letters, digits, dots and hyphens";
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return "must begin and end with a letter or digit";
  }
  if (name.includes("..")) {
    return "must not contain two adjacent dots";
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
    return "must not be formatted as an IP address";
  }
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) {
    if (name.startsWith(prefix)) {
      return `must not begin with ${prefix}`;
    }
  }
  for (const suffix of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) {
    if (name.endsWith(suffix)) {
      return `must not end with ${suffix}`;
    }
  }
  return undefined;
}
