import * as assert from "node:assert/strict";
import { backupAdoptionScope, backupHardeningPending } from "../../policy/adoption";
import { backupBucketSafety } from "../../policy/storage";
import { awsCommonTags } from "../../policy/tags";
import { checkResource, checkStack, FakeResource, withField } from "./fixtures";

const TERRAFORM_TAGS = {
  Project: "Mailserver",
  Phase: "11-B",
  Purpose: "S3 Backup Infrastructure",
  ManagedBy: "Terraform",
  Environment: "production",
};
const COMMON_TAGS = {
  Project: "onprem-infra",
  Environment: "production",
  ManagedBy: "pulumi",
  Owner: "kuma8088",
};

function provider(name: string, tags: Record<string, string>) {
  return { type: "pulumi:providers:aws", name, props: { defaultTags: JSON.stringify({ tags }) } };
}

const BUCKET = "system-backup-workstation";

/** Phase adopt as the program declares it: Terraform's resources, on providers tagged like Terraform's. */
function adopted(tags: Record<string, string> = TERRAFORM_TAGS): FakeResource[] {
  const main = provider("aws", tags);
  const billing = provider("aws-billing", tags);
  return [
    {
      type: "aws:s3/bucket:Bucket",
      name: "backup-bucket",
      props: { bucket: BUCKET, forceDestroy: false, tags: { Purpose: "x" } },
      provider: main,
    },
    {
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: "backup-public-access-block",
      props: {
        bucket: BUCKET,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      provider: main,
    },
    {
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      name: "backup-encryption",
      props: { bucket: BUCKET, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      provider: main,
    },
    {
      type: "aws:iam/role:Role",
      name: "backup-uploader",
      props: { name: "mailserver-backup-uploader", tags: { Purpose: "x" } },
      provider: main,
    },
    {
      type: "aws:sns/topic:Topic",
      name: "backup-alerts",
      props: { name: "websystem-s3-backup-alerts", tags: { Purpose: "x" } },
      provider: billing,
    },
    {
      type: "aws:cloudwatch/metricAlarm:MetricAlarm",
      name: "backup-charges-warning",
      props: {
        name: "websystem-s3-backup-cost-warning",
        dimensions: { ServiceName: "AmazonS3", Currency: "JPY" },
        tags: {},
      },
      provider: billing,
    },
  ];
}

/** The same stack past phase adopt: common tags, and what phase harden adds. */
function hardened(): FakeResource[] {
  const main = provider("aws", COMMON_TAGS);
  const resources = adopted(COMMON_TAGS).map((r) =>
    r.name === "backup-alerts"
      ? withField(r, "props.kmsMasterKeyId", "arn:aws:kms:us-east-1:552927148143:key/k")
      : r,
  );
  return [
    ...resources.map((r) =>
      r.name === "backup-charges-warning" ? withField(r, "props.dimensions.Currency", "USD") : r,
    ),
    {
      type: "aws:s3/bucketVersioning:BucketVersioning",
      name: "backup-versioning",
      props: { bucket: BUCKET, versioningConfiguration: { status: "Enabled" } },
      provider: main,
    },
    {
      type: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
      name: "backup-object-lock",
      props: {
        bucket: BUCKET,
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: "COMPLIANCE", days: 30 } },
      },
      provider: main,
    },
    {
      type: "aws:s3/bucketPolicy:BucketPolicy",
      name: "backup-bucket-policy",
      props: { bucket: BUCKET, policy: "{}" },
      provider: main,
    },
  ];
}

describe("policy: backup-adoption-scope", () => {
  it("accepts phase adopt as declared: only Terraform's kinds, all on adopting providers", () => {
    assert.deepEqual(checkStack(backupAdoptionScope, adopted()).violations, []);
  });

  it("does not apply past phase adopt", () => {
    assert.deepEqual(checkStack(backupAdoptionScope, hardened()).violations, []);
  });

  it("refuses a resource Terraform never made, declared while adopting", () => {
    const extra: FakeResource = {
      type: "aws:s3/bucketVersioning:BucketVersioning",
      name: "backup-versioning",
      props: { bucket: BUCKET },
      provider: provider("aws", TERRAFORM_TAGS),
    };
    const { at } = checkStack(backupAdoptionScope, [...adopted(), extra]);
    assert.deepEqual(
      at.map((v) => v.resource),
      ["backup-versioning"],
    );
    assert.match(at[0].message, /Terraform made no such resource, so phase adopt would create it/);
  });

  it("refuses a resource left on a provider that has already switched", () => {
    const resources = adopted().map((r) =>
      r.name === "backup-alerts" ? { ...r, provider: provider("aws-billing", COMMON_TAGS) } : r,
    );
    const { at } = checkStack(backupAdoptionScope, resources);
    assert.deepEqual(
      at.map((v) => v.resource),
      ["backup-alerts"],
    );
    assert.match(at[0].message, /not on an adopting provider .* every AWS provider switches phase together/);
  });

  it("refuses objectLockEnabled on an adopted bucket (it would replace the bucket)", () => {
    const resources = adopted().map((r) =>
      r.name === "backup-bucket" ? withField(r, "props.objectLockEnabled", true) : r,
    );
    const { at } = checkStack(backupAdoptionScope, resources);
    assert.deepEqual(
      at.map((v) => v.resource),
      ["backup-bucket"],
    );
    assert.match(at[0].message, /replaces it \(the provider's ForceNew\)/);
  });

  it("takes another adopting tag from its config, and none with an empty one", () => {
    const other = adopted({ ...TERRAFORM_TAGS, ManagedBy: "cloudformation" });
    assert.deepEqual(
      checkStack(backupAdoptionScope, other, { adoptingManagedBy: "cloudformation" }).violations,
      [],
    );
    assert.deepEqual(checkStack(backupAdoptionScope, adopted(), { adoptingManagedBy: "" }).violations, []);
  });
});

describe("policy: backup-hardening-pending", () => {
  it("says, for phase adopt, what phase harden still turns on", () => {
    // The providers are not among the fixture's resources: they are named by their URN's last part.
    const at = checkStack(backupHardeningPending, adopted()).at.map((v) => ({
      ...v,
      resource: v.resource.split("::").pop() ?? v.resource,
    }));
    assert.deepEqual(at.map((v) => v.resource).sort(), [
      "aws",
      "aws-billing",
      "backup-alerts",
      "backup-bucket",
      "backup-charges-warning",
    ]);
    const byName = Object.fromEntries(at.map((v) => [v.resource, v.message]));
    assert.match(
      byName["backup-bucket"],
      /no versioning, no Object Lock with a COMPLIANCE default retention, no the TLS-only bucket policy yet/,
    );
    assert.match(byName["backup-alerts"], /is not encrypted yet/);
    assert.match(
      byName["backup-charges-warning"],
      /in JPY, which AWS does not publish \(only USD\); it never fires/,
    );
    assert.match(byName.aws, /tags its 4 resources ManagedBy=Terraform/);
    for (const v of at) {
      assert.match(v.message, /^hardening pending \(phase adopt\): /);
    }
  });

  it("is silent past phase adopt", () => {
    assert.deepEqual(checkStack(backupHardeningPending, hardened()).violations, []);
  });

  it("takes the billing currency from its config", () => {
    const { at } = checkStack(backupHardeningPending, adopted(), { billingCurrency: "JPY" });
    assert.equal(
      at.some((v) => v.resource === "backup-charges-warning"),
      false,
    );
  });
});

describe("the hardening policies across the phases", () => {
  it("backup-bucket-safety skips a bucket adopted as it is, and enforces once switched", () => {
    assert.deepEqual(checkStack(backupBucketSafety, adopted(), { minRetentionDays: 30 }).violations, []);
    assert.deepEqual(checkStack(backupBucketSafety, hardened(), { minRetentionDays: 30 }).violations, []);
    const unlocked = hardened().filter((r) => r.name !== "backup-object-lock");
    assert.match(
      checkStack(backupBucketSafety, unlocked, { minRetentionDays: 30 }).violations.join("\n"),
      /Object Lock is not enabled/,
    );
    // The same adopted bucket, once its provider no longer says Terraform, is held to every rule.
    const switched = adopted(COMMON_TAGS);
    assert.equal(checkStack(backupBucketSafety, switched).violations.length, 3);
  });

  it("aws-common-tags: not applicable to an adopted resource; applies once switched", () => {
    const [bucket] = adopted();
    const outcome = checkResource(awsCommonTags, bucket);
    assert.deepEqual(outcome.violations, []);
    assert.match(
      outcome.notApplicable ?? "",
      /adopted as it is \(phase adopt: provider default ManagedBy=Terraform\)/,
    );
    const strict = checkResource(awsCommonTags, bucket, { adoptingManagedBy: "" });
    assert.match(strict.violations.join("\n"), /ManagedBy is "Terraform", expected "pulumi"/);
  });
});
