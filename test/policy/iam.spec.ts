import * as assert from "node:assert/strict";
import { backupUploaderNoDelete, IAM, iamNoWildcardActions, iamNoWildcardResources } from "../../policy/iam";
import { checkResource, checkStack, FakeResource } from "./fixtures";

const BUCKET = "arn:aws:s3:::onprem-backup";

function doc(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

const uploadStatements = [
  { Sid: "Upload", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: `${BUCKET}/*` },
  { Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: BUCKET },
  {
    Sid: "NoDelete",
    Effect: "Deny",
    Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
    Resource: `${BUCKET}/*`,
  },
];

function policy(statements: Record<string, unknown>[], type: string = IAM.policy): FakeResource {
  return { type, name: "p", props: { policy: doc(...statements) } };
}

describe("policy: iam-no-wildcard-actions / iam-no-wildcard-resources", () => {
  it("accept a scoped policy", () => {
    assert.deepEqual(checkResource(iamNoWildcardActions, policy(uploadStatements)).violations, []);
    assert.deepEqual(checkResource(iamNoWildcardResources, policy(uploadStatements)).violations, []);
  });

  it("report an Allow of the action *", () => {
    const { violations } = checkResource(
      iamNoWildcardActions,
      policy([{ Effect: "Allow", Action: "*", Resource: BUCKET }]),
    );
    assert.equal(violations.length, 1);
    assert.match(violations[0], /allows the action "\*"/);
  });

  it("report NotAction in an Allow, and s3:* only when configured", () => {
    assert.match(
      checkResource(
        iamNoWildcardActions,
        policy([{ Effect: "Allow", NotAction: "iam:*", Resource: BUCKET }]),
      ).violations.join(),
      /NotAction/,
    );
    const s3All = policy([{ Effect: "Allow", Action: "s3:*", Resource: BUCKET }]);
    assert.deepEqual(checkResource(iamNoWildcardActions, s3All).violations, []);
    assert.equal(
      checkResource(iamNoWildcardActions, s3All, { forbidServiceWildcards: true }).violations.length,
      1,
    );
  });

  it("ignore a Deny of *", () => {
    assert.deepEqual(
      checkResource(iamNoWildcardActions, policy([{ Effect: "Deny", Action: "*", Resource: "*" }]))
        .violations,
      [],
    );
  });

  it("report an Allow on the resource *, naming the actions", () => {
    const { violations } = checkResource(
      iamNoWildcardResources,
      policy([
        { Sid: "Put", Effect: "Allow", Action: ["s3:PutObject", "s3:ListAllMyBuckets"], Resource: "*" },
      ]),
    );
    assert.equal(violations.length, 1);
    assert.match(violations[0], /statement Put allows s3:PutObject on every resource/);
  });

  it("accept the resource * for actions that require it", () => {
    const metrics = policy([
      { Effect: "Allow", Action: ["cloudwatch:PutMetricData", "s3:ListAllMyBuckets"], Resource: "*" },
    ]);
    assert.deepEqual(checkResource(iamNoWildcardResources, metrics).violations, []);
  });

  it("read inline role policies, role policies and topic policies; exempt KMS key policies", () => {
    const star = [{ Effect: "Allow", Action: "*", Resource: "*" }];
    const role: FakeResource = {
      type: IAM.role,
      name: "r",
      props: { inlinePolicies: [{ name: "i", policy: doc(...star) }] },
    };
    assert.equal(checkResource(iamNoWildcardActions, role).violations.length, 1);
    assert.equal(checkResource(iamNoWildcardResources, policy(star, IAM.rolePolicy)).violations.length, 1);
    assert.equal(checkResource(iamNoWildcardResources, policy(star, IAM.topicPolicy)).violations.length, 1);
    const key = policy([{ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }], IAM.kmsKey);
    assert.deepEqual(checkResource(iamNoWildcardResources, key).violations, []);
  });

  it("accept a policy document given as an object", () => {
    const asObject: FakeResource = {
      type: IAM.policy,
      name: "p",
      props: {
        policy: { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "*", Resource: "*" } },
      },
    };
    assert.equal(checkResource(iamNoWildcardActions, asObject).violations.length, 1);
  });
});

function uploaderStack(statements: Record<string, unknown>[]): FakeResource[] {
  return [
    {
      type: IAM.role,
      name: "backup-uploader",
      props: { name: "onprem-backup-uploader", assumeRolePolicy: "{}" },
    },
    {
      type: IAM.rolePolicy,
      name: "backup-uploader-policy",
      props: { role: "onprem-backup-uploader", policy: doc(...statements) },
      propertyDependencies: { role: ["backup-uploader"] },
    },
    { type: IAM.role, name: "backup-restore", props: { name: "onprem-backup-restore" } },
  ];
}

describe("policy: backup-uploader-no-delete", () => {
  it("accepts an uploader that may put but is denied deletes", () => {
    assert.deepEqual(checkStack(backupUploaderNoDelete, uploaderStack(uploadStatements)).violations, []);
  });

  it("reports an uploader allowed s3:DeleteObject", () => {
    const allow = [
      ...uploadStatements.slice(0, 2),
      { Sid: "Del", Effect: "Allow", Action: "s3:DeleteObject", Resource: `${BUCKET}/*` },
      uploadStatements[2],
    ];
    const outcome = checkStack(backupUploaderNoDelete, uploaderStack(allow));
    assert.equal(outcome.violations.length, 1, outcome.violations.join("\n"));
    assert.match(outcome.violations[0], /statement Del allows s3:DeleteObject/);
    assert.equal(outcome.at[0].resource, "backup-uploader");
  });

  it("sees deletes through wildcards: s3:Delete*, s3:*", () => {
    for (const action of ["s3:Delete*", "s3:*"]) {
      const stmts = [
        { Sid: "Wide", Effect: "Allow", Action: action, Resource: `${BUCKET}/*` },
        uploadStatements[2],
      ];
      assert.equal(checkStack(backupUploaderNoDelete, uploaderStack(stmts)).violations.length, 2, action);
    }
  });

  it("requires the explicit Deny", () => {
    const outcome = checkStack(backupUploaderNoDelete, uploaderStack(uploadStatements.slice(0, 2)));
    assert.deepEqual(outcome.violations, [
      "uploader backup-uploader: no explicit Deny of s3:DeleteObject, s3:DeleteObjectVersion",
    ]);
    assert.deepEqual(
      checkStack(backupUploaderNoDelete, uploaderStack(uploadStatements.slice(0, 2)), {
        requireExplicitDeny: false,
      }).violations,
      [],
    );
  });

  it("follows managed-policy attachments, and flags one it cannot see", () => {
    const resources: FakeResource[] = [
      { type: IAM.role, name: "backup-uploader", props: { name: "u" } },
      {
        type: IAM.policy,
        name: "uploader-policy",
        props: {
          arn: "arn:aws:iam::1:policy/u",
          policy: doc({ Sid: "All", Effect: "Allow", Action: "s3:*", Resource: "*" }),
        },
      },
      {
        type: IAM.rolePolicyAttachment,
        name: "attach",
        props: { role: "u", policyArn: "arn:aws:iam::1:policy/u" },
        propertyDependencies: { role: ["backup-uploader"], policyArn: ["uploader-policy"] },
      },
      {
        type: IAM.rolePolicyAttachment,
        name: "attach-aws",
        props: { role: "u", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" },
        propertyDependencies: { role: ["backup-uploader"] },
      },
    ];
    const { violations } = checkStack(backupUploaderNoDelete, resources);
    assert.ok(
      violations.some((v) => /attached policy uploader-policy statement All allows s3:DeleteObject$/.test(v)),
      violations.join("\n"),
    );
    assert.ok(
      violations.some((v) => /AmazonS3FullAccess/.test(v)),
      violations.join("\n"),
    );
  });

  it("does not apply to other roles", () => {
    const restoreOnly: FakeResource[] = [
      {
        type: IAM.role,
        name: "backup-restore",
        props: { inlinePolicies: [{ policy: doc({ Effect: "Allow", Action: "s3:*", Resource: BUCKET }) }] },
      },
    ];
    assert.deepEqual(checkStack(backupUploaderNoDelete, restoreOnly).violations, []);
  });
});
