import * as assert from "node:assert/strict";
import {
  backupUploaderNoDelete,
  IAM,
  iamNoWildcardActions,
  iamNoWildcardResources,
  isWildcardResource,
} from "../../policy/iam";
import { checkResource, checkStack, FakeResource, UNKNOWN, withField } from "./fixtures";

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

/** The compliant fixture as a managed policy, with `field` (under its statements) changed to `value`. */
function changed(field: string, value: unknown): FakeResource {
  return policy(withField({ s: uploadStatements }, `s.${field}`, value).s);
}

/** Violations of both wildcard policies, as `policy-name: message`. */
function wildcardViolations(resource: FakeResource, config: Record<string, unknown> = {}): string[] {
  return [iamNoWildcardActions, iamNoWildcardResources].flatMap((p) =>
    checkResource(p, resource, config).violations.map((v) => `${p.name}: ${v}`),
  );
}

describe("policy: iam-no-wildcard-actions / iam-no-wildcard-resources", () => {
  it("accept the compliant fixture: scoped actions and resources, a Deny", () => {
    assert.deepEqual(wildcardViolations(policy(uploadStatements)), []);
  });

  const cases: [string, string, unknown, RegExp][] = [
    ["an Allow of the action *", "0.Action", "*", /^iam-no-wildcard-actions: .*allows the action "\*"/],
    [
      "* among other actions",
      "0.Action",
      ["s3:PutObject", "*"],
      /^iam-no-wildcard-actions: .*statement Upload allows the action "\*"/,
    ],
    [
      "NotAction in an Allow",
      "1.NotAction",
      "iam:*",
      /^iam-no-wildcard-actions: .*every action except iam:\*/,
    ],
    [
      "an Allow on the resource *",
      "0.Resource",
      "*",
      /^iam-no-wildcard-resources: .*statement Upload allows s3:PutObject, s3:GetObject on every resource/,
    ],
    [
      "an Allow on every bucket",
      "1.Resource",
      "arn:aws:s3:::*",
      /^iam-no-wildcard-resources: .*statement List/,
    ],
    [
      "an Allow on every object of every bucket",
      "0.Resource",
      ["arn:aws:s3:::*/*"],
      /^iam-no-wildcard-resources: .*statement Upload/,
    ],
    ["NotResource in an Allow", "1.NotResource", BUCKET, /^iam-no-wildcard-resources: .*statement List/],
  ];
  for (const [what, field, value, message] of cases) {
    it(`report ${what}`, () => {
      const found = wildcardViolations(changed(field, value));
      assert.equal(found.length, 1, found.join("\n") || "no violation");
      assert.match(found[0], message);
    });
  }

  it("ignore * in a Deny", () => {
    assert.deepEqual(wildcardViolations(changed("2.Action", "*")), []);
    assert.deepEqual(wildcardViolations(changed("2.Resource", "*")), []);
  });

  it("report s3:* only when configured", () => {
    const s3All = changed("0.Action", "s3:*");
    assert.deepEqual(wildcardViolations(s3All), []);
    assert.match(
      wildcardViolations(s3All, { forbidServiceWildcards: true }).join(),
      /allows the action "s3:\*"/,
    );
  });

  it("accept the resource * for actions that require it", () => {
    const list = { Sid: "List", Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" };
    assert.deepEqual(wildcardViolations(changed("1", list)), []);
    assert.equal(
      wildcardViolations(changed("1", { ...list, Action: ["s3:ListAllMyBuckets", "s3:GetObject"] })).length,
      1,
    );
  });

  it("tell an ARN of everything from a scoped one", () => {
    for (const r of ["*", "arn:aws:s3:::*", "arn:aws:s3:::*/*", " * "]) {
      assert.ok(isWildcardResource(r), r);
    }
    for (const r of ["arn:aws:s3:::onprem-backup/*", "arn:aws:iam::123456789012:role/*-uploader", "s3:*"]) {
      assert.ok(!isWildcardResource(r), r);
    }
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

  it("cannot verify a policy document unknown during preview, and says so", () => {
    const unknown: FakeResource = { type: IAM.rolePolicy, name: "p", props: { policy: UNKNOWN } };
    for (const p of [iamNoWildcardActions, iamNoWildcardResources]) {
      const outcome = checkResource(p, unknown);
      assert.deepEqual(outcome.violations, [], p.name);
      assert.match(outcome.unknown ?? "", /policy can't be known during preview/, p.name);
    }
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

  it("follows managedPolicyArns on the role, seen or not", () => {
    const managed: FakeResource = {
      type: IAM.policy,
      name: "s3-full",
      props: {
        arn: "arn:aws:iam::1:policy/s3-full",
        policy: doc({ Sid: "All", Effect: "Allow", Action: "s3:*", Resource: "*" }),
      },
    };
    const stack = (arns: string[]): FakeResource[] =>
      uploaderStack(uploadStatements).map((r) =>
        r.name === "backup-uploader" ? withField(r, "props.managedPolicyArns", arns) : r,
      );
    assert.deepEqual(checkStack(backupUploaderNoDelete, [...stack([]), managed]).violations, []);
    assert.deepEqual(
      checkStack(backupUploaderNoDelete, [...stack([managed.props.arn as string]), managed]).at,
      [
        {
          message: "uploader backup-uploader: attached policy s3-full statement All allows s3:DeleteObject",
          resource: "backup-uploader",
        },
        {
          message:
            "uploader backup-uploader: attached policy s3-full statement All allows s3:DeleteObjectVersion",
          resource: "backup-uploader",
        },
      ],
    );
    assert.match(
      checkStack(
        backupUploaderNoDelete,
        stack(["arn:aws:iam::aws:policy/AmazonS3FullAccess"]),
      ).violations.join(),
      /managedPolicyArns \(arn:aws:iam::aws:policy\/AmazonS3FullAccess\) attaches a policy whose content the stack does not show/,
    );
  });

  it("follows PolicyAttachment (by role name) and RolePolicyAttachmentsExclusive (by dependency)", () => {
    const full = "arn:aws:iam::aws:policy/AmazonS3FullAccess";
    const attachment: FakeResource = {
      type: IAM.policyAttachment,
      name: "legacy",
      props: { name: "legacy", roles: ["some-role", "onprem-backup-uploader"], policyArn: full },
    };
    assert.match(
      checkStack(backupUploaderNoDelete, [...uploaderStack(uploadStatements), attachment]).violations.join(),
      /attachment legacy \(arn:aws:iam::aws:policy\/AmazonS3FullAccess\)/,
    );
    const otherRole = withField(attachment, "props.roles", ["onprem-backup-restore"]);
    assert.deepEqual(
      checkStack(backupUploaderNoDelete, [...uploaderStack(uploadStatements), otherRole]).violations,
      [],
    );
    const exclusive: FakeResource = {
      type: IAM.rolePolicyAttachmentsExclusive,
      name: "exclusive",
      props: { roleName: "onprem-backup-uploader", policyArns: [full] },
      propertyDependencies: { roleName: ["backup-uploader"] },
    };
    assert.match(
      checkStack(backupUploaderNoDelete, [...uploaderStack(uploadStatements), exclusive]).violations.join(),
      /attachment exclusive \(arn:aws:iam::aws:policy\/AmazonS3FullAccess\)/,
    );
  });

  it("cannot verify an uploader policy unknown during preview, and says so", () => {
    const resources = uploaderStack(uploadStatements).map((r) =>
      r.name === "backup-uploader-policy" ? withField(r, "props.policy", UNKNOWN) : r,
    );
    const outcome = checkStack(backupUploaderNoDelete, resources);
    assert.deepEqual(outcome.violations, []);
    assert.match(outcome.unknown ?? "", /policy can't be known during preview/);
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
