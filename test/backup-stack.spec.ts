import { strict as assert } from "node:assert";
import { COMMON_TAG_KEYS } from "../components/common/labels";
import { Capture } from "./harness/engine";
import { cloneValues, readStackValues, runStack, StackRun, StackValues } from "./harness/stack";
import {
  effectiveTags,
  EXPECTED_CHILDREN,
  isTaggable,
  list,
  MONITORING_CHILDREN,
  policyOf,
  providerDefaultTags,
  providerRef,
  statement,
  T,
} from "./backup-support";

const BUCKET = "system-backup-workstation";
const ACCOUNT = "552927148143";

/** Production with its backups switched to phase harden (the committed file adopts). */
function hardened(): StackValues {
  const values = cloneValues(readStackValues("production"));
  (values["onprem-infra:backup"] as Record<string, unknown>).phase = "harden";
  return values;
}

function awsResources(cap: Capture) {
  return cap.resources.filter((r) => r.type.startsWith("aws:"));
}

describe("the program's backups (production, phase harden)", () => {
  let run: StackRun;
  before(async () => {
    run = await runStack("production", hardened());
  });

  it("creates two AWS providers with the common tags: the backup region and us-east-1", () => {
    const providers = run.capture.ofType(T.provider);
    assert.deepEqual(providers.map((p) => [p.name, p.inputs.region]).sort(), [
      ["aws", "ap-northeast-1"],
      ["aws-billing", "us-east-1"],
    ]);
    for (const p of providers) {
      assert.deepEqual(providerDefaultTags(p), {
        Project: "onprem-infra",
        Environment: "production",
        ManagedBy: "pulumi",
        Owner: "kuma8088",
      });
    }
  });

  it("registers one BackupInfra with all its children, on the right providers", () => {
    const [component] = run.capture.ofType(T.component);
    assert.equal(run.capture.ofType(T.component).length, 1);
    const kids = run.capture.childrenOf(component);
    assert.deepEqual(kids.map((r) => r.name).sort(), Object.keys(EXPECTED_CHILDREN).sort());
    const main = providerRef(run.capture.get("aws", T.provider));
    const billing = providerRef(run.capture.get("aws-billing", T.provider));
    for (const r of kids) {
      assert.equal(r.type, EXPECTED_CHILDREN[r.name], r.name);
      assert.equal(r.provider, MONITORING_CHILDREN.includes(r.name) ? billing : main, r.name);
    }
  });

  it("registers no AWS resource on a default provider, and every one under a component", () => {
    const main = providerRef(run.capture.get("aws", T.provider));
    const billing = providerRef(run.capture.get("aws-billing", T.provider));
    const resources = awsResources(run.capture);
    assert.ok(resources.length >= 18);
    for (const r of resources) {
      assert.ok(
        [main, billing].includes(r.provider),
        `${r.name} uses ${r.provider || "the default provider"}`,
      );
      assert.notEqual(r.parent, "", r.name);
    }
  });

  it("tags every taggable AWS resource of the stack with non-empty common tags", () => {
    const taggable = awsResources(run.capture).filter((r) => isTaggable(r.type));
    assert.ok(taggable.length >= 8);
    for (const r of taggable) {
      const tags = effectiveTags(run.capture, r);
      for (const key of COMMON_TAG_KEYS) {
        assert.ok((tags[key] ?? "").trim() !== "", `${r.name} lacks ${key}`);
      }
      assert.equal(tags.Environment, "production", r.name);
    }
  });

  it("holds the estate's backup facts", () => {
    const cap = run.capture;
    const bucket = cap.get("backup-bucket", T.bucket);
    assert.equal(bucket.inputs.bucket, BUCKET);
    assert.equal("objectLockEnabled" in bucket.inputs, false, "enabled by the lock configuration");
    assert.equal(bucket.inputs.forceDestroy, false);
    assert.equal(bucket.options.protect, true, "production protects the bucket");
    assert.deepEqual(cap.get("backup-versioning", T.versioning).inputs.versioningConfiguration, {
      status: "Enabled",
    });
    assert.deepEqual(cap.get("backup-object-lock", T.objectLock).inputs.rule, {
      defaultRetention: { mode: "COMPLIANCE", days: 30 },
    });
    const sse = cap.get("backup-encryption", T.encryption).inputs.rules as {
      applyServerSideEncryptionByDefault: { sseAlgorithm: string };
    }[];
    assert.deepEqual(
      sse.map((r) => r.applyServerSideEncryptionByDefault.sseAlgorithm),
      ["AES256"],
    );
    const pab = cap.get("backup-public-access-block", T.publicAccessBlock).inputs;
    assert.deepEqual(
      [pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets],
      [true, true, true, true],
    );
    const rules = cap.get("backup-lifecycle", T.lifecycle).inputs.rules as {
      filter: { prefix?: string };
      expiration?: { days?: number };
      transitions?: { days: number; storageClass: string }[];
    }[];
    const daily = rules.find((r) => r.filter.prefix === "daily/");
    assert.equal(daily?.expiration?.days, 7);
    for (const prefix of ["weekly/", "monthly/"]) {
      assert.deepEqual(rules.find((r) => r.filter.prefix === prefix)?.transitions, [
        { days: 30, storageClass: "GLACIER_IR" },
      ]);
    }

    const userArn = `arn:aws:iam::${ACCOUNT}:user/dell-system-admin`;
    for (const role of ["backup-uploader", "backup-restore"]) {
      const trust = policyOf(cap.get(role, T.role), "assumeRolePolicy");
      assert.deepEqual(
        trust.Statement.map((s) => [s.Effect, s.Principal, s.Action]),
        [["Allow", { AWS: userArn }, "sts:AssumeRole"]],
        role,
      );
      const deny = statement(
        policyOf(cap.get(`${role}-policy`, T.rolePolicy)),
        "DenyDeletesAndProtectionChanges",
      );
      assert.equal(deny.Effect, "Deny");
      assert.ok(list(deny.Action).includes("s3:DeleteObject"), role);
      assert.ok(list(deny.Action).includes("s3:DeleteObjectVersion"), role);
    }
    assert.equal(cap.get("backup-uploader", T.role).inputs.maxSessionDuration, 7200);
    const operator = policyOf(cap.get("backup-operator-policy", T.userPolicy));
    assert.deepEqual(
      operator.Statement.map((s) => [s.Effect, s.Action]),
      [["Allow", "sts:AssumeRole"]],
    );

    const warning = cap.get("backup-charges-warning", T.alarm).inputs;
    const critical = cap.get("backup-charges-critical", T.alarm).inputs;
    assert.deepEqual(
      [warning.threshold, critical.threshold, warning.dimensions, critical.metricName],
      [0.1, 1, { ServiceName: "AmazonS3", Currency: "USD" }, "EstimatedCharges"],
    );
    const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:websystem-s3-backup-alerts`;
    assert.deepEqual(warning.alarmActions, [topicArn]);
    assert.deepEqual(critical.alarmActions, [topicArn]);
    assert.deepEqual(cap.get("backup-alerts-email", T.subscription).inputs, {
      topic: topicArn,
      protocol: "email",
      endpoint: "naoya.iimura@gmail.com",
    });
    assert.equal(cap.get("backup-alerts", T.topic).inputs.kmsMasterKeyId, "arn:aws:kms:::backup-alerts-key");
  });

  it("keeps importing Terraform's 13 resources by the same ids (a no-op once they are in the state)", () => {
    const imported = awsResources(run.capture).filter((r) => r.options.importId !== "");
    assert.equal(imported.length, 13);
    assert.equal(run.capture.get("backup-uploader", T.role).options.importId, "mailserver-backup-uploader");
  });

  it("exports the phase, the bucket, both role ARNs (formatted from the account), the user and the topic", () => {
    const values = Object.fromEntries(
      Object.entries(run.outputs)
        .filter(([k]) => k.startsWith("backup"))
        .map(([k, v]) => [k, v.value]),
    );
    assert.deepEqual(values, {
      backupPhase: "harden",
      backupBucket: BUCKET,
      backupBucketArn: `arn:aws:s3:::${BUCKET}`,
      backupUploaderRoleArn: `arn:aws:iam::${ACCOUNT}:role/mailserver-backup-uploader`,
      backupRestoreRoleArn: `arn:aws:iam::${ACCOUNT}:role/mailserver-backup-admin`,
      backupOperatorUser: "dell-system-admin",
      backupAlertTopicArn: "arn:aws:sns:::websystem-s3-backup-alerts",
    });
  });
});

describe("the program's backups (staging)", () => {
  let run: StackRun;
  before(async () => {
    run = await runStack("staging");
  });

  it("uses its own bucket, unprotected, with a one-day lock", () => {
    const bucket = run.capture.get("backup-bucket", T.bucket);
    assert.equal(bucket.inputs.bucket, "kuma8088-onprem-backup-staging");
    assert.equal(bucket.options.protect, false);
    assert.equal(bucket.inputs.forceDestroy, false);
    assert.deepEqual(run.capture.get("backup-object-lock", T.objectLock).inputs.rule, {
      defaultRetention: { mode: "COMPLIANCE", days: 1 },
    });
  });

  it("creates no cost alarms, topic or key: production's alarms already watch the account-wide metric", () => {
    const cap = run.capture;
    const [component] = cap.ofType(T.component);
    assert.deepEqual(
      cap
        .childrenOf(component)
        .map((r) => r.name)
        .sort(),
      Object.keys(EXPECTED_CHILDREN)
        .filter((n) => !MONITORING_CHILDREN.includes(n))
        .sort(),
    );
    for (const type of [T.key, T.topic, T.subscription, T.alarm]) {
      assert.deepEqual(
        cap.ofType(type).map((r) => r.name),
        [],
        type,
      );
    }
    assert.equal(run.outputs.backupAlertTopicArn?.value, undefined);
    assert.equal(run.outputs.backupBucket?.value, "kuma8088-onprem-backup-staging");
  });

  it("names no account-wide resource like production and tags everything with Environment=staging", async () => {
    const globalNames = (cap: Capture) =>
      awsResources(cap)
        .filter((r) => new Set<string>([T.bucket, T.user, T.role, T.topic, T.alarm]).has(r.type))
        .map((r) => String(r.inputs.name ?? r.inputs.bucket));
    const staging = globalNames(run.capture);
    assert.equal(staging.length, 4, "the bucket, the user and the two roles");
    const production = globalNames((await runStack("production")).capture);
    assert.equal(production.length, 7);
    assert.deepEqual(
      staging.filter((n) => production.includes(n)),
      [],
    );
    for (const r of awsResources(run.capture).filter((x) => isTaggable(x.type))) {
      assert.equal(effectiveTags(run.capture, r).Environment, "staging", r.name);
    }
  });
});
