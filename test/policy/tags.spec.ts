import * as assert from "node:assert/strict";
import { awsCommonTags, dockerCommonLabels } from "../../policy/tags";
import { checkResource, FakeResource, UNKNOWN, withField } from "./fixtures";

const TAGS = { Project: "onprem-infra", Environment: "production", ManagedBy: "pulumi", Owner: "kuma8088" };

/** The AWS provider as the engine hands it over: its object inputs are JSON text. */
function awsProvider(defaultTags: Record<string, string> | undefined, asJson = true) {
  const value = defaultTags === undefined ? undefined : { tags: defaultTags };
  return {
    type: "pulumi:providers:aws",
    name: "aws",
    props: {
      region: "ap-northeast-1",
      ...(value ? { defaultTags: asJson ? JSON.stringify(value) : value } : {}),
    },
  };
}

const bucket: FakeResource = {
  type: "aws:s3/bucket:Bucket",
  name: "backup",
  props: { bucket: "onprem-backup", tags: { Name: "backup" } },
  provider: awsProvider(TAGS),
};

describe("policy: aws-common-tags", () => {
  it("accepts tags that come from the provider's defaultTags (JSON text, as the engine sends it)", () => {
    assert.deepEqual(checkResource(awsCommonTags, bucket).violations, []);
  });

  it("accepts defaultTags given as an object too", () => {
    assert.deepEqual(
      checkResource(awsCommonTags, { ...bucket, provider: awsProvider(TAGS, false) }).violations,
      [],
    );
  });

  it("accepts tags set on the resource itself, without provider defaults", () => {
    const own = { ...bucket, props: { tags: TAGS }, provider: awsProvider(undefined) };
    assert.deepEqual(checkResource(awsCommonTags, own).violations, []);
  });

  it("reports Owner missing from the provider's defaultTags", () => {
    const rest: Partial<typeof TAGS> = { ...TAGS };
    delete rest.Owner;
    const { violations } = checkResource(awsCommonTags, {
      ...bucket,
      provider: awsProvider(rest as Record<string, string>),
    });
    assert.equal(violations.length, 1);
    assert.match(violations[0], /missing or empty: Owner/);
  });

  it("reports a tag the resource blanks over a provider default", () => {
    const blanked = withField(bucket, "props.tags.Environment", "");
    assert.match(checkResource(awsCommonTags, blanked).violations.join(), /missing or empty: Environment/);
  });

  it("reports ManagedBy other than pulumi", () => {
    const terraform = withField(bucket, "props.tags.ManagedBy", "terraform");
    assert.match(checkResource(awsCommonTags, terraform).violations.join(), /ManagedBy is "terraform"/);
  });

  it("reports a resource without a provider and without tags", () => {
    const bare = { type: "aws:iam/role:Role", name: "uploader", props: {} };
    assert.match(
      checkResource(awsCommonTags, bare).violations.join(),
      /Project, Environment, ManagedBy, Owner/,
    );
  });

  it("takes the required keys from config", () => {
    const { violations } = checkResource(awsCommonTags, bucket, { requiredTags: ["Project", "CostCenter"] });
    assert.match(violations.join(), /missing or empty: CostCenter/);
  });

  it("does not apply to resources that take no tags", () => {
    for (const type of [
      "aws:s3/bucketVersioning:BucketVersioning",
      "aws:iam/rolePolicy:RolePolicy",
      "pulumi:providers:aws",
    ]) {
      const outcome = checkResource(awsCommonTags, { type, name: "x", props: { bucket: "b" } });
      assert.match(outcome.notApplicable ?? "", /takes no tags/, type);
    }
  });

  it("applies to any AWS resource that has tags, and to configured extra types", () => {
    const logGroup = { type: "aws:cloudtrail/trail:Trail", name: "t", props: { tags: {} } };
    assert.equal(checkResource(awsCommonTags, logGroup).violations.length, 1);
    const untagged = { type: "aws:scheduler/schedule:Schedule", name: "s", props: {} };
    assert.ok(checkResource(awsCommonTags, untagged).notApplicable);
    assert.equal(
      checkResource(awsCommonTags, untagged, { extraTaggableTypes: ["aws:scheduler/schedule:Schedule"] })
        .violations.length,
      1,
    );
  });

  it("cannot verify tags whose provider defaults are unknown during preview", () => {
    const outcome = checkResource(awsCommonTags, {
      ...bucket,
      provider: { type: "pulumi:providers:aws", name: "aws", props: { defaultTags: UNKNOWN } },
    });
    assert.deepEqual(outcome.violations, []);
    assert.match(outcome.unknown ?? "", /defaultTags/);
  });
});

const LABELS = [
  { label: "org.onprem-infra.environment", value: "production" },
  { label: "org.onprem-infra.managed-by", value: "pulumi" },
  { label: "org.onprem-infra.owner", value: "kuma8088" },
  { label: "org.onprem-infra.project", value: "onprem-infra" },
];

describe("policy: docker-common-labels", () => {
  for (const type of [
    "docker:index/container:Container",
    "docker:index/network:Network",
    "docker:index/volume:Volume",
  ]) {
    const res: FakeResource = { type, name: "mail", props: { labels: LABELS } };

    it(`accepts a ${type} with every label`, () => {
      assert.deepEqual(checkResource(dockerCommonLabels, res).violations, []);
    });

    it(`reports a ${type} without the owner label`, () => {
      const without = withField(res, "props.labels.2", undefined);
      assert.match(
        checkResource(dockerCommonLabels, without).violations.join(),
        /missing or empty: org.onprem-infra.owner/,
      );
    });
  }

  it("reports an empty label value and a wrong managed-by", () => {
    const empty = withField(
      { type: "docker:index/volume:Volume", name: "v", props: { labels: LABELS } },
      "props.labels.0.value",
      "",
    );
    assert.match(checkResource(dockerCommonLabels, empty).violations.join(), /org.onprem-infra.environment/);
    const compose = withField(empty, "props.labels.0.value", "production");
    const wrong = withField(compose, "props.labels.1.value", "compose");
    assert.match(checkResource(dockerCommonLabels, wrong).violations.join(), /managed-by is "compose"/);
  });

  it("takes the required labels from config", () => {
    const network: FakeResource = {
      type: "docker:index/network:Network",
      name: "n",
      props: { labels: LABELS },
    };
    const requiredLabels = [...LABELS.map((l) => l.label), "org.onprem-infra.stack"];
    assert.match(
      checkResource(dockerCommonLabels, network, { requiredLabels }).violations.join(),
      /missing or empty: org.onprem-infra.stack/,
    );
  });

  it("cannot verify labels unknown during preview", () => {
    const outcome = checkResource(dockerCommonLabels, {
      type: "docker:index/volume:Volume",
      name: "v",
      props: { labels: [LABELS[0], { label: "org.onprem-infra.owner", value: UNKNOWN }] },
    });
    assert.deepEqual(outcome.violations, []);
    assert.match(outcome.unknown ?? "", /labels.1.value can't be known/);
  });

  it("reports a resource without labels", () => {
    const { violations } = checkResource(dockerCommonLabels, {
      type: "docker:index/network:Network",
      name: "n",
      props: {},
    });
    assert.equal(violations.length, 1);
  });
});
