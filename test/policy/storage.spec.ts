import * as assert from "node:assert/strict";
import { backupBucketSafety, S3 } from "../../policy/storage";
import { checkStack, FakeResource, UNKNOWN, withField } from "./fixtures";

/** The backup bucket as AWS provider v7 splits it: joined to its settings through `bucket`. */
function backup(): FakeResource[] {
  const dep = { bucket: ["backup"] };
  return [
    {
      type: S3.bucket,
      name: "backup",
      props: { bucket: "onprem-backup", objectLockEnabled: true, forceDestroy: false },
    },
    {
      type: S3.versioning[0],
      name: "versioning",
      props: { bucket: "onprem-backup", versioningConfiguration: { status: "Enabled" } },
      propertyDependencies: dep,
    },
    {
      type: S3.encryption[0],
      name: "sse",
      props: {
        bucket: "onprem-backup",
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      propertyDependencies: dep,
    },
    {
      type: S3.publicAccessBlock[0],
      name: "pab",
      props: {
        bucket: "onprem-backup",
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      propertyDependencies: dep,
    },
    {
      type: S3.objectLock[0],
      name: "lock",
      props: { bucket: "onprem-backup", rule: { defaultRetention: { mode: "COMPLIANCE", days: 30 } } },
      propertyDependencies: dep,
    },
  ];
}

function edit(name: string, field: string, value: unknown): FakeResource[] {
  return backup().map((r) => (r.name === name ? withField(r, `props.${field}`, value) : r));
}

describe("policy: backup-bucket-safety", () => {
  it("accepts the bucket with all its settings", () => {
    assert.deepEqual(checkStack(backupBucketSafety, backup(), { minRetentionDays: 30 }).violations, []);
  });

  const cases: [string, FakeResource[], RegExp][] = [
    ["forceDestroy", edit("backup", "forceDestroy", true), /forceDestroy is true/],
    ["Object Lock off", edit("backup", "objectLockEnabled", false), /Object Lock is not enabled/],
    ["GOVERNANCE retention", edit("lock", "rule.defaultRetention.mode", "GOVERNANCE"), /COMPLIANCE mode/],
    ["no lock configuration", backup().filter((r) => r.name !== "lock"), /no default Object Lock retention/],
    [
      "versioning suspended",
      edit("versioning", "versioningConfiguration.status", "Suspended"),
      /versioning is not enabled/,
    ],
    ["no versioning resource", backup().filter((r) => r.name !== "versioning"), /versioning is not enabled/],
    ["no encryption", backup().filter((r) => r.name !== "sse"), /no server-side encryption/],
    [
      "one public access flag off",
      edit("pab", "restrictPublicBuckets", false),
      /public access is not fully blocked/,
    ],
    [
      "no public access block",
      backup().filter((r) => r.name !== "pab"),
      /public access is not fully blocked/,
    ],
  ];
  for (const [what, resources, message] of cases) {
    it(`reports ${what}, against the bucket`, () => {
      const outcome = checkStack(backupBucketSafety, resources);
      assert.equal(outcome.violations.length, 1, outcome.violations.join("\n"));
      assert.match(outcome.violations[0], message);
      assert.equal(outcome.at[0].resource, "backup");
    });
  }

  it("takes the minimum retention from config", () => {
    const short = edit("lock", "rule.defaultRetention.days", 1);
    assert.deepEqual(checkStack(backupBucketSafety, short).violations, []);
    assert.match(
      checkStack(backupBucketSafety, short, { minRetentionDays: 30 }).violations.join(),
      /at least 30 days/,
    );
  });

  it("does not count another bucket's settings", () => {
    const other: FakeResource = {
      type: S3.bucket,
      name: "logs",
      props: { bucket: "onprem-logs", objectLockEnabled: true },
    };
    const outcome = checkStack(backupBucketSafety, [...backup(), other]);
    assert.equal(outcome.violations.length, 4, outcome.violations.join("\n"));
    assert.ok(outcome.at.every((v) => v.resource === "logs"));
  });

  it("joins by the literal bucket name when there is no property dependency", () => {
    const literal = backup().map((r) => ({ ...r, propertyDependencies: undefined }));
    assert.deepEqual(checkStack(backupBucketSafety, literal).violations, []);
  });

  it("honours a waiver naming the bucket", () => {
    const resources = edit("backup", "forceDestroy", true);
    const waivers = [{ resource: "backup", reason: "scratch bucket for a migration, deleted next week" }];
    assert.deepEqual(checkStack(backupBucketSafety, resources, { waivers }).violations, []);
  });

  it("a setting unknown during preview is reported as unverifiable, the rest still checked", () => {
    const resources = edit("versioning", "versioningConfiguration", UNKNOWN).map((r) =>
      r.name === "backup" ? withField(r, "props.forceDestroy", true) : r,
    );
    const outcome = checkStack(backupBucketSafety, resources);
    assert.deepEqual(
      outcome.violations.map((v) => v.split(":")[1].trim()),
      ["forceDestroy is true"],
    );
    assert.match(outcome.unknown ?? "", /versioningConfiguration can't be known during preview/);
  });
});
