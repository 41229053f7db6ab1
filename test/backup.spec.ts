import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BackupInfra, BackupInfraArgs, BILLING_PERIOD_SECONDS } from "../components/backup/BackupInfra";
import { BackupImportIds, DENIED_ACTIONS, IMPORT_ID_KEYS } from "../components/backup/policies";
import { COMMON_TAG_KEYS } from "../components/common/labels";
import { capture, Capture, CapturedResource } from "./harness/engine";
import {
  allowWildcards,
  effectiveTags,
  EXPECTED_CHILDREN,
  isTaggable,
  list,
  MONITORING_CHILDREN,
  policyOf,
  providerRef,
  statement,
  T,
} from "./backup-support";

const TAGS = { Project: "onprem-infra", Environment: "production", ManagedBy: "pulumi", Owner: "kuma8088" };
const BUCKET = "example-backup";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
// ARNs formatted from the account id and names (known at preview), as the documents carry them.
const USER_ARN = "arn:aws:iam::123456789012:user/example-backup-operator";
const UPLOADER_ARN = "arn:aws:iam::123456789012:role/example-backup-uploader";
const RESTORE_ARN = "arn:aws:iam::123456789012:role/example-backup-restore";
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:example-backup-alerts";
// The mock engine's ARN of the created topic: `arn:aws:<service>:::<name>`.
const MOCK_TOPIC_ARN = "arn:aws:sns:::example-backup-alerts";
const KMS_ARN = "arn:aws:kms:ap-northeast-1:123456789012:key/0f0e0d0c-1234-4abc-9def-0123456789ab";

type Overrides = Partial<Omit<BackupInfraArgs, "monitoringProvider">>;

function baseArgs(): Omit<BackupInfraArgs, "monitoringProvider"> {
  return {
    accountId: "123456789012",
    bucketName: BUCKET,
    alarmEmail: "ops@example.com",
    warningThreshold: 5,
    criticalThreshold: 10,
  };
}

/** Registers two providers (as index.ts does) and one BackupInfra named `backup`. */
async function build(over: Overrides = {}): Promise<Capture> {
  return capture(() => {
    const main = new aws.Provider("main", { region: "ap-northeast-1", defaultTags: { tags: TAGS } });
    const billing = new aws.Provider("billing", { region: "us-east-1", defaultTags: { tags: TAGS } });
    return new BackupInfra(
      "backup",
      { ...baseArgs(), monitoringProvider: billing, ...over },
      { providers: { aws: main } },
    );
  });
}

function children(cap: Capture): CapturedResource[] {
  return cap.childrenOf(cap.get("backup", T.component));
}

/** A stack that leaves the account-wide cost alarms to another stack. */
const NO_ALARMS: Overrides = {
  costAlarms: false,
  alarmEmail: undefined,
  warningThreshold: undefined,
  criticalThreshold: undefined,
};

describe("BackupInfra", () => {
  let cap: Capture;
  before(async () => {
    cap = await build();
  });

  it("registers one component with exactly its eighteen children, all parented to it", () => {
    const component = cap.get("backup", T.component);
    assert.equal(component.parent, "");
    const kids = children(cap);
    assert.deepEqual(
      Object.fromEntries(kids.map((r) => [r.name, r.type]).sort(([a], [b]) => a.localeCompare(b))),
      Object.fromEntries(Object.entries(EXPECTED_CHILDREN).sort(([a], [b]) => a.localeCompare(b))),
    );
    assert.equal(kids.length, 18);
    const aws = cap.resources.filter((r) => r.type.startsWith("aws:"));
    assert.equal(aws.length, 18, "every AWS resource is a child of the component");
  });

  it("puts the KMS key, topic, subscription and alarms on the us-east-1 provider, all else on the main one", () => {
    const main = providerRef(cap.get("main", T.provider));
    const billing = providerRef(cap.get("billing", T.provider));
    assert.equal(cap.get("billing", T.provider).inputs.region, "us-east-1");
    for (const r of children(cap)) {
      assert.equal(r.provider, MONITORING_CHILDREN.includes(r.name) ? billing : main, r.name);
    }
  });

  it("creates the bucket never force-destroyed, protected by default", () => {
    const bucket = cap.get("backup-bucket", T.bucket);
    // Object Lock comes from the lock configuration: objectLockEnabled here would replace an
    // adopted bucket (the provider's ForceNew).
    assert.deepEqual(bucket.inputs, {
      bucket: BUCKET,
      forceDestroy: false,
      tags: { Purpose: "backup-archives" },
    });
    assert.equal(bucket.options.protect, true);
    const others = children(cap).filter((r) => r.name !== "backup-bucket");
    assert.deepEqual(
      others.filter((r) => r.options.protect).map((r) => r.name),
      [],
      "only the bucket is protected",
    );
  });

  it("leaves the bucket unprotected when protectBucket is false (staging)", async () => {
    const staging = await build({ protectBucket: false });
    assert.equal(staging.get("backup-bucket", T.bucket).options.protect, false);
  });

  it("turns versioning on and locks objects in COMPLIANCE mode for 30 days, after versioning", () => {
    const bucketId = BUCKET;
    assert.deepEqual(cap.get("backup-versioning", T.versioning).inputs, {
      bucket: bucketId,
      versioningConfiguration: { status: "Enabled" },
    });
    const lock = cap.get("backup-object-lock", T.objectLock);
    assert.deepEqual(lock.inputs, {
      bucket: bucketId,
      objectLockEnabled: "Enabled",
      rule: { defaultRetention: { mode: "COMPLIANCE", days: 30 } },
    });
    assert.ok(cap.dependencyNames(lock).includes("backup-versioning"));
  });

  it("uses the configured retention", async () => {
    const other = await build({ retentionDays: 90 });
    const lock = other.get("backup-object-lock", T.objectLock);
    assert.deepEqual(lock.inputs.rule, { defaultRetention: { mode: "COMPLIANCE", days: 90 } });
  });

  it("encrypts with AES256 by default and blocks all public access", () => {
    assert.deepEqual(cap.get("backup-encryption", T.encryption).inputs, {
      bucket: BUCKET,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    assert.deepEqual(cap.get("backup-public-access-block", T.publicAccessBlock).inputs, {
      bucket: BUCKET,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
  });

  it("encrypts with the configured KMS key and bucket keys, and lets the roles use that key only", async () => {
    const kms = await build({ kmsKeyArn: KMS_ARN });
    assert.deepEqual(kms.get("backup-encryption", T.encryption).inputs.rules, [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KMS_ARN },
        bucketKeyEnabled: true,
      },
    ]);
    const upload = statement(policyOf(kms.get("backup-uploader-policy", T.rolePolicy)), "UseBucketKey");
    assert.deepEqual(upload, {
      Sid: "UseBucketKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: KMS_ARN,
    });
    const restore = statement(policyOf(kms.get("backup-restore-policy", T.rolePolicy)), "UseBucketKey");
    assert.deepEqual(restore, {
      Sid: "UseBucketKey",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: KMS_ARN,
    });
    // Without a key, no KMS permission at all.
    for (const name of ["backup-uploader-policy", "backup-restore-policy"]) {
      const actions = policyOf(cap.get(name, T.rolePolicy)).Statement.flatMap((s) => list(s.Action));
      assert.deepEqual(
        actions.filter((a) => a.startsWith("kms:")),
        [],
        name,
      );
    }
  });

  it("denies every request without TLS in the bucket policy, set after the public-access block", () => {
    const policy = cap.get("backup-bucket-policy", T.bucketPolicy);
    assert.equal(policy.inputs.bucket, BUCKET);
    const docu = policyOf(policy);
    assert.deepEqual(docu.Statement, [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
    assert.ok(cap.dependencyNames(policy).includes("backup-public-access-block"));
  });

  it("expires daily/ after 7 days, archives weekly/ and monthly/, aborts stale uploads", () => {
    const lifecycle = cap.get("backup-lifecycle", T.lifecycle);
    assert.ok(cap.dependencyNames(lifecycle).includes("backup-versioning"));
    assert.deepEqual(lifecycle.inputs.rules, [
      {
        id: "expire-daily",
        status: "Enabled",
        filter: { prefix: "daily/" },
        expiration: { days: 7 },
        // The version left behind goes when its 30-day lock ends: 7 + 23 = 30.
        noncurrentVersionExpiration: { noncurrentDays: 23 },
      },
      {
        id: "archive-weekly",
        status: "Enabled",
        filter: { prefix: "weekly/" },
        transitions: [{ days: 30, storageClass: "GLACIER_IR" }],
        noncurrentVersionTransitions: [{ noncurrentDays: 30, storageClass: "GLACIER_IR" }],
      },
      {
        id: "archive-monthly",
        status: "Enabled",
        filter: { prefix: "monthly/" },
        transitions: [{ days: 30, storageClass: "GLACIER_IR" }],
        noncurrentVersionTransitions: [{ noncurrentDays: 30, storageClass: "GLACIER_IR" }],
      },
      {
        id: "abort-incomplete-uploads",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        expiration: { expiredObjectDeleteMarker: true },
      },
    ]);
  });

  it("takes lifecycle settings from its arguments", async () => {
    const other = await build({
      retentionDays: 5,
      dailyExpirationDays: 10,
      archivePrefixes: ["yearly/"],
      archiveAfterDays: 90,
      archiveStorageClass: "DEEP_ARCHIVE",
      abortIncompleteUploadDays: 2,
    });
    const rules = other.get("backup-lifecycle", T.lifecycle).inputs.rules as {
      id: string;
      expiration?: unknown;
      noncurrentVersionExpiration?: unknown;
      transitions?: unknown;
      abortIncompleteMultipartUpload?: unknown;
    }[];
    assert.deepEqual(
      rules.map((r) => r.id),
      ["expire-daily", "archive-yearly", "abort-incomplete-uploads"],
    );
    assert.deepEqual(rules[0].expiration, { days: 10 });
    // The lock already ended when the object expired: the old version goes a day later.
    assert.deepEqual(rules[0].noncurrentVersionExpiration, { noncurrentDays: 1 });
    assert.deepEqual(rules[1].transitions, [{ days: 90, storageClass: "DEEP_ARCHIVE" }]);
    assert.deepEqual(rules[2].abortIncompleteMultipartUpload, { daysAfterInitiation: 2 });
  });

  it("gives the operator user only sts:AssumeRole on the two backup roles", () => {
    const user = cap.get("backup-operator", T.user);
    assert.deepEqual(user.inputs, {
      name: "example-backup-operator",
      forceDestroy: false,
      tags: { Purpose: "backup-operator" },
    });
    const policy = cap.get("backup-operator-policy", T.userPolicy);
    assert.equal(policy.inputs.user, "example-backup-operator");
    assert.equal(policy.inputs.name, "assume-backup-roles");
    assert.deepEqual(policyOf(policy).Statement, [
      {
        Sid: "AssumeBackupRoles",
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Resource: [UPLOADER_ARN, RESTORE_ARN],
      },
    ]);
    assert.deepEqual(
      cap.resources.filter(
        (r) => r.type === T.userPolicy || r.type.startsWith("aws:iam/userPolicyAttachment"),
      ).length,
      1,
      "the user has no other policy",
    );
  });

  it("lets both roles trust only the operator user", () => {
    for (const name of ["backup-uploader", "backup-restore"]) {
      const trust = policyOf(cap.get(name, T.role), "assumeRolePolicy");
      assert.deepEqual(trust.Statement, [
        { Sid: "OperatorUserOnly", Effect: "Allow", Principal: { AWS: USER_ARN }, Action: "sts:AssumeRole" },
      ]);
    }
  });

  it("lets the uploader put, get and list for up to 2 hours, with deletes denied", () => {
    const role = cap.get("backup-uploader", T.role);
    assert.equal(role.inputs.name, "example-backup-uploader");
    assert.equal(role.inputs.maxSessionDuration, 7200);
    const policy = cap.get("backup-uploader-policy", T.rolePolicy);
    assert.equal(policy.inputs.role, "example-backup-uploader");
    const docu = policyOf(policy);
    assert.deepEqual(statement(docu, "ListBackupBucket"), {
      Sid: "ListBackupBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
      Resource: BUCKET_ARN,
    });
    assert.deepEqual(statement(docu, "WriteAndReadBackups"), {
      Sid: "WriteAndReadBackups",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: `${BUCKET_ARN}/*`,
    });
    const deny = statement(docu, "DenyDeletesAndProtectionChanges");
    assert.equal(deny.Effect, "Deny");
    assert.deepEqual(list(deny.Action), [...DENIED_ACTIONS]);
    assert.ok(
      list(deny.Action).includes("s3:DeleteObject") && list(deny.Action).includes("s3:DeleteObjectVersion"),
    );
    assert.deepEqual(list(deny.Resource), [BUCKET_ARN, `${BUCKET_ARN}/*`]);
    assert.equal(docu.Statement.length, 3);
  });

  it("lets the restore role get and list only, with deletes denied", () => {
    const role = cap.get("backup-restore", T.role);
    assert.equal(role.inputs.name, "example-backup-restore");
    assert.equal(role.inputs.maxSessionDuration, 3600);
    const docu = policyOf(cap.get("backup-restore-policy", T.rolePolicy));
    const allowed = docu.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action));
    assert.deepEqual(allowed.sort(), [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:ListBucket",
      "s3:ListBucketVersions",
    ]);
    const deny = statement(docu, "DenyDeletesAndProtectionChanges");
    assert.equal(deny.Effect, "Deny");
    assert.ok(
      list(deny.Action).includes("s3:DeleteObject") && list(deny.Action).includes("s3:DeleteObjectVersion"),
    );
  });

  it("has no wildcard action, resource or principal in any Allow of an IAM or bucket policy", () => {
    const documents = children(cap).flatMap((r) =>
      (["policy", "assumeRolePolicy"] as const)
        .filter((k) => typeof r.inputs[k] === "string" && r.type !== T.key)
        .map((k) => ({ where: `${r.name}.${k}`, docu: policyOf(r, k) })),
    );
    assert.deepEqual(documents.map((d) => d.where).sort(), [
      "backup-bucket-policy.policy",
      "backup-operator-policy.policy",
      "backup-restore-policy.policy",
      "backup-restore.assumeRolePolicy",
      "backup-uploader-policy.policy",
      "backup-uploader.assumeRolePolicy",
    ]);
    for (const { where, docu } of documents) {
      assert.deepEqual(allowWildcards(docu), [], where);
      for (const s of docu.Statement.filter((st) => st.Effect === "Allow")) {
        for (const resource of list(s.Resource)) {
          assert.ok(
            [BUCKET_ARN, `${BUCKET_ARN}/*`, UPLOADER_ARN, RESTORE_ARN].includes(resource),
            `${where}: ${resource}`,
          );
        }
      }
    }
  });

  it("gives the roles, their policies, the key and the lifecycle exactly these inputs (and no more)", () => {
    const keys = (name: string) => Object.keys(cap.get(name).inputs).sort();
    assert.deepEqual(cap.get("backup-uploader", T.role).inputs, {
      name: "example-backup-uploader",
      description: "Uploads backups to example-backup; cannot delete anything.",
      assumeRolePolicy: cap.get("backup-uploader", T.role).inputs.assumeRolePolicy,
      maxSessionDuration: 7200,
      tags: { Purpose: "backup-upload" },
    });
    assert.deepEqual(cap.get("backup-restore", T.role).inputs, {
      name: "example-backup-restore",
      description: "Reads backups from example-backup for restores; cannot delete anything.",
      assumeRolePolicy: cap.get("backup-restore", T.role).inputs.assumeRolePolicy,
      maxSessionDuration: 3600,
      tags: { Purpose: "backup-restore" },
    });
    assert.deepEqual(keys("backup-uploader-policy"), ["name", "policy", "role"]);
    assert.equal(cap.get("backup-uploader-policy").inputs.name, "backup-upload");
    assert.deepEqual(keys("backup-restore-policy"), ["name", "policy", "role"]);
    assert.equal(cap.get("backup-restore-policy").inputs.name, "backup-restore");
    assert.equal(cap.get("backup-restore-policy").inputs.role, "example-backup-restore");
    assert.deepEqual(keys("backup-operator-policy"), ["name", "policy", "user"]);
    const key = cap.get("backup-alerts-key", T.key);
    assert.deepEqual(
      { ...key.inputs, policy: undefined },
      {
        description: "Encrypts the example-backup-alerts SNS topic; CloudWatch alarms may use it.",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: undefined,
        tags: { Purpose: "backup-alerts-encryption" },
      },
    );
    assert.deepEqual(keys("backup-lifecycle"), ["bucket", "rules"]);
    assert.equal(cap.get("backup-lifecycle").inputs.bucket, BUCKET);
  });

  it("the wildcard check finds what it looks for", () => {
    const flagged = allowWildcards({
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Action: "s3:*", Resource: BUCKET_ARN },
        { Sid: "B", Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
        { Sid: "C", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: BUCKET_ARN },
        { Sid: "D", Effect: "Deny", Action: "*", Resource: "*" },
      ],
    });
    assert.deepEqual(flagged, ["A: action s3:*", "B: resource *", "C: principal *"]);
  });

  it("encrypts the alert topic with a rotating key that only this account's two alarms may use from CloudWatch", () => {
    const key = cap.get("backup-alerts-key", T.key);
    assert.equal(key.inputs.enableKeyRotation, true);
    assert.equal(key.inputs.deletionWindowInDays, 30);
    const docu = policyOf(key);
    assert.deepEqual(statement(docu, "AccountAdministersKeyThroughIam").Principal, {
      AWS: "arn:aws:iam::123456789012:root",
    });
    assert.deepEqual(statement(docu, "CloudWatchAlarmsPublishToEncryptedTopic"), {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: {
          "aws:SourceArn": [
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:example-backup-s3-charges-warning",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:example-backup-s3-charges-critical",
          ],
        },
      },
    });
    assert.equal(docu.Statement.length, 2);
    const topic = cap.get("backup-alerts", T.topic);
    assert.deepEqual(topic.inputs, {
      name: "example-backup-alerts",
      displayName: "Backup cost alerts",
      kmsMasterKeyId: "arn:aws:kms:::backup-alerts-key",
      tags: { Purpose: "backup-alerts" },
    });
    assert.deepEqual(cap.get("backup-alerts-email", T.subscription).inputs, {
      topic: TOPIC_ARN,
      protocol: "email",
      endpoint: "ops@example.com",
    });
  });

  it("raises a warning and a critical alarm on estimated S3 charges, notifying the topic", () => {
    const expected = (severity: string, threshold: number) => ({
      name: `example-backup-s3-charges-${severity}`,
      alarmDescription: `${severity}: this month's estimated S3 charges reached ${threshold} USD (backups in example-backup)`,
      namespace: "AWS/Billing",
      metricName: "EstimatedCharges",
      dimensions: { ServiceName: "AmazonS3", Currency: "USD" },
      statistic: "Maximum",
      period: BILLING_PERIOD_SECONDS,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold,
      treatMissingData: "notBreaching",
      actionsEnabled: true,
      alarmActions: [TOPIC_ARN],
      tags: { Purpose: "backup-cost", Severity: severity },
    });
    assert.deepEqual(cap.get("backup-charges-warning", T.alarm).inputs, expected("warning", 5));
    assert.deepEqual(cap.get("backup-charges-critical", T.alarm).inputs, expected("critical", 10));
  });

  it("uses the configured currency and thresholds", async () => {
    const other = await build({ currency: "EUR", warningThreshold: 20, criticalThreshold: 50.5 });
    const critical = other.get("backup-charges-critical", T.alarm);
    assert.deepEqual(critical.inputs.dimensions, { ServiceName: "AmazonS3", Currency: "EUR" });
    assert.equal(critical.inputs.threshold, 50.5);
    assert.equal(other.get("backup-charges-warning", T.alarm).inputs.threshold, 20);
  });

  it("tags every taggable resource with the four common tags (from the providers) and a Purpose", () => {
    const taggable = children(cap).filter((r) => isTaggable(r.type));
    assert.deepEqual(
      [...new Set(taggable.map((r) => r.type))].sort(),
      [T.alarm, T.bucket, T.key, T.role, T.topic, T.user].sort(),
    );
    for (const r of taggable) {
      const tags = effectiveTags(cap, r);
      for (const key of [...COMMON_TAG_KEYS, "Purpose"]) {
        assert.ok(typeof tags[key] === "string" && tags[key].trim() !== "", `${r.name} lacks ${key}`);
      }
      assert.deepEqual(
        COMMON_TAG_KEYS.map((k) => tags[k]),
        ["onprem-infra", "production", "pulumi", "kuma8088"],
        r.name,
      );
      assert.deepEqual(
        Object.keys((r.inputs.tags as Record<string, string>) ?? {}).filter((k) =>
          (COMMON_TAG_KEYS as readonly string[]).includes(k),
        ),
        [],
        `${r.name} leaves the common tags to the provider`,
      );
    }
    for (const r of children(cap).filter((c) => !isTaggable(c.type))) {
      assert.equal(r.inputs.tags, undefined, r.name);
    }
  });

  it("detects taggable types from the SDK", () => {
    assert.equal(isTaggable(T.bucket), true);
    assert.equal(isTaggable(T.alarm), true);
    assert.equal(isTaggable(T.versioning), false);
    assert.equal(isTaggable(T.subscription), false);
  });

  it("adds configured extra tags to every taggable resource", async () => {
    const other = await build({ tags: { CostCenter: "home-lab" } });
    const taggable = children(other).filter((r) => isTaggable(r.type));
    assert.equal(taggable.length, 8);
    for (const r of taggable) {
      assert.equal(effectiveTags(other, r).CostCenter, "home-lab", r.name);
    }
  });

  it("imports nothing unless told to", () => {
    assert.deepEqual(
      children(cap)
        .filter((r) => r.options.importId !== "")
        .map((r) => r.name),
      [],
    );
  });

  it("adopts each existing resource by its import id", async () => {
    const ids: Required<BackupImportIds> = {
      bucket: BUCKET,
      versioning: BUCKET,
      objectLock: BUCKET,
      encryption: BUCKET,
      publicAccessBlock: BUCKET,
      bucketPolicy: BUCKET,
      lifecycle: BUCKET,
      user: "example-backup-operator",
      userPolicy: "example-backup-operator:assume-backup-roles",
      uploaderRole: "example-backup-uploader",
      uploaderPolicy: "example-backup-uploader:backup-upload",
      restoreRole: "example-backup-restore",
      restorePolicy: "example-backup-restore:backup-restore",
      topicKey: "0f0e0d0c-1234-4abc-9def-0123456789ab",
      topic: "arn:aws:sns:us-east-1:123456789012:example-backup-alerts",
      subscription:
        "arn:aws:sns:us-east-1:123456789012:example-backup-alerts:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      warningAlarm: "example-backup-s3-charges-warning",
      criticalAlarm: "example-backup-s3-charges-critical",
    };
    assert.equal(Object.keys(ids).length, IMPORT_ID_KEYS.length);
    const adopted = await build({ importIds: ids });
    const byKey: Record<keyof BackupImportIds, string> = {
      bucket: "backup-bucket",
      versioning: "backup-versioning",
      objectLock: "backup-object-lock",
      encryption: "backup-encryption",
      publicAccessBlock: "backup-public-access-block",
      bucketPolicy: "backup-bucket-policy",
      lifecycle: "backup-lifecycle",
      user: "backup-operator",
      userPolicy: "backup-operator-policy",
      uploaderRole: "backup-uploader",
      uploaderPolicy: "backup-uploader-policy",
      restoreRole: "backup-restore",
      restorePolicy: "backup-restore-policy",
      topicKey: "backup-alerts-key",
      topic: "backup-alerts",
      subscription: "backup-alerts-email",
      warningAlarm: "backup-charges-warning",
      criticalAlarm: "backup-charges-critical",
    };
    for (const key of IMPORT_ID_KEYS) {
      assert.equal(adopted.get(byKey[key]).options.importId, ids[key], key);
    }
    // The bucket stays protected while adopted.
    assert.equal(adopted.get("backup-bucket", T.bucket).options.protect, true);
  });

  it("adopts only the resources given an import id", async () => {
    const some = await build({ importIds: { bucket: BUCKET, user: "example-backup-operator" } });
    assert.deepEqual(
      children(some)
        .filter((r) => r.options.importId !== "")
        .map((r) => `${r.name}=${r.options.importId}`)
        .sort(),
      ["backup-bucket=example-backup", "backup-operator=example-backup-operator"],
    );
  });

  it("uses overridden physical names, so Terraform's names can be kept", async () => {
    const named = await build({
      names: {
        user: "tf-backup-user",
        uploaderRole: "tf-uploader",
        topic: "tf-alerts",
        criticalAlarm: "tf-critical",
      },
      importIds: { user: "tf-backup-user", uploaderRole: "tf-uploader", criticalAlarm: "tf-critical" },
    });
    assert.equal(named.get("backup-operator", T.user).inputs.name, "tf-backup-user");
    assert.equal(named.get("backup-uploader", T.role).inputs.name, "tf-uploader");
    assert.equal(named.get("backup-restore", T.role).inputs.name, "example-backup-restore");
    assert.equal(named.get("backup-alerts", T.topic).inputs.name, "tf-alerts");
    assert.equal(named.get("backup-charges-critical", T.alarm).inputs.name, "tf-critical");
    assert.equal(named.get("backup-uploader", T.role).options.importId, "tf-uploader");
  });

  it("derives a valid topic name from a bucket name with dots", async () => {
    const dotted = await build({ bucketName: "backup.example.org" });
    assert.equal(dotted.get("backup-alerts", T.topic).inputs.name, "backup-example-org-alerts");
    assert.equal(dotted.get("backup-operator", T.user).inputs.name, "backup.example.org-operator");
  });

  it("registers its outputs", () => {
    assert.deepEqual(cap.get("backup", T.component).state, {
      phase: "harden",
      bucketName: BUCKET,
      bucketArn: BUCKET_ARN,
      uploaderRoleArn: UPLOADER_ARN,
      restoreRoleArn: RESTORE_ARN,
      userName: "example-backup-operator",
      topicArn: MOCK_TOPIC_ARN,
    });
  });

  describe("without cost alarms (costAlarms: false, e.g. staging)", () => {
    let quiet: Capture;
    before(async () => {
      quiet = await build(NO_ALARMS);
    });

    it("creates no KMS key, topic, subscription or alarm, and nothing on the us-east-1 provider", () => {
      assert.deepEqual(
        children(quiet)
          .map((r) => r.name)
          .sort(),
        Object.keys(EXPECTED_CHILDREN)
          .filter((n) => !MONITORING_CHILDREN.includes(n))
          .sort(),
      );
      const billing = providerRef(quiet.get("billing", T.provider));
      assert.deepEqual(
        quiet.resources.filter((r) => r.provider === billing).map((r) => r.name),
        [],
      );
    });

    it("keeps the bucket, its settings and the IAM identities exactly as with the alarms", () => {
      for (const r of children(quiet)) {
        assert.deepEqual(r.inputs, cap.get(r.name, r.type).inputs, r.name);
        assert.equal(r.provider, cap.get(r.name, r.type).provider, r.name);
      }
    });

    it("registers no topic ARN among its outputs", () => {
      const state = quiet.get("backup", T.component).state;
      assert.equal(state.topicArn, undefined);
      assert.equal(state.bucketName, BUCKET);
      assert.equal(state.uploaderRoleArn, UPLOADER_ARN);
    });

    it("needs no us-east-1 provider", async () => {
      const alone = await capture(() => {
        const main = new aws.Provider("main", { region: "ap-northeast-1", defaultTags: { tags: TAGS } });
        return new BackupInfra("backup", { ...baseArgs(), ...NO_ALARMS }, { providers: { aws: main } });
      });
      assert.equal(
        children(alone).length,
        Object.keys(EXPECTED_CHILDREN).length - MONITORING_CHILDREN.length,
      );
    });
  });

  it("rejects cost alarms without the us-east-1 provider", async () => {
    await capture(() => {
      assert.throws(
        () => new BackupInfra("bad", baseArgs()),
        (err: Error) =>
          pulumi.ResourceError.isInstance(err) &&
          /monitoringProvider is required while costAlarms is true/.test(err.message),
      );
    });
  });

  describe("rejects conflicting arguments", () => {
    const cases: [string, Overrides, RegExp][] = [
      [
        "alarm settings while costAlarms is false",
        { costAlarms: false },
        /alarmEmail must not be set: costAlarms is false.*warningThreshold must not be set.*criticalThreshold must not be set/,
      ],
      ["a currency while costAlarms is false", { ...NO_ALARMS, currency: "EUR" }, /currency must not be set/],
      [
        "an alarm name while costAlarms is false",
        { ...NO_ALARMS, names: { topic: "tf-alerts" } },
        /names\.topic must not be set/,
      ],
      [
        "an alarm import id while costAlarms is false",
        { ...NO_ALARMS, importIds: { criticalAlarm: "example-backup-s3-charges-critical" } },
        /importIds\.criticalAlarm has nothing to adopt/,
      ],
      ["cost alarms without an email address", { alarmEmail: undefined }, /alarmEmail is required/],
      ["cost alarms without a threshold", { criticalThreshold: undefined }, /criticalThreshold is required/],
      [
        "an archive prefix inside daily/",
        { archivePrefixes: ["weekly/", "daily/old/"] },
        /archivePrefixes\.1: daily\/old\/ overlaps daily\//,
      ],
      [
        "a transition S3 refuses this early",
        { archiveStorageClass: "STANDARD_IA", archiveAfterDays: 10 },
        /archiveAfterDays: must be at least 30 days for STANDARD_IA/,
      ],
      ["a fractional expiration", { dailyExpirationDays: 0.5 }, /dailyExpirationDays must be a whole number/],
      [
        "a critical threshold not above the warning",
        { warningThreshold: 10, criticalThreshold: 10 },
        /thresholds/,
      ],
      ["a non-positive warning threshold", { warningThreshold: 0 }, /thresholds/],
      ["a bucket name S3 rejects", { bucketName: "Backups_2026" }, /bucketName "Backups_2026"/],
      ["a retention below one day", { retentionDays: 0 }, /retentionDays/],
      [
        "an import id naming another bucket",
        { importIds: { bucket: "other-bucket" } },
        /bucket: must be "example-backup"/,
      ],
      [
        "an import id naming another role",
        { importIds: { restoreRole: "old-role" } },
        /restoreRole: must be/,
      ],
      [
        "a topic import id that is not its ARN",
        { importIds: { topic: "example-backup-alerts" } },
        /topic: must be the ARN/,
      ],
      [
        "the same name for both roles",
        { names: { uploaderRole: "r", restoreRole: "r" } },
        /restoreRole: must differ/,
      ],
    ];
    for (const [what, over, message] of cases) {
      it(what, async () => {
        await capture(() => {
          const billing = new aws.Provider("billing", { region: "us-east-1" });
          assert.throws(
            () => new BackupInfra("bad", { ...baseArgs(), monitoringProvider: billing, ...over }),
            (err: Error) => pulumi.ResourceError.isInstance(err) && message.test(err.message),
          );
        });
      });
    }
  });
});
