/**
 * The plan's backup phase report and the phase specs it compares: pure functions, no engine.
 */
import { strict as assert } from "node:assert";
import { backupSpec, backupSpecArgs, diffSpecs } from "../components/backup/spec";
import { BackupConfig } from "../components/backup/schema";
import { parseStackConfig } from "../config";
import { backupPhaseReport } from "../scripts/lib/backup-phase";
import { readStackValues, runtimeConfig, secretsFor } from "./harness/stack";

function backupOf(stack: "production" | "staging", phase?: "adopt" | "harden"): BackupConfig {
  const values = readStackValues(stack);
  const backup = parseStackConfig(stack, runtimeConfig(values, secretsFor(stack, values))).backup;
  return phase === undefined ? backup : { ...backup, phase };
}

const command = (verb: "preview" | "up") => `pulumi ${verb} --stack production`;

describe("backup phase report (npm run plan)", () => {
  it("production adopts: names phase harden's new resources and in-place changes, and the pending import", () => {
    const report = backupPhaseReport("production", backupOf("production"), command);
    assert.equal(report.phase, "adopt");
    assert.equal(report.next, "harden");
    assert.deepEqual([...report.added].sort(), ["bucketPolicy", "objectLock", "topicKey", "versioning"]);
    for (const field of [
      "lifecycle.rules",
      "topic.kmsMasterKeyId",
      "warningAlarm.dimensions",
      "uploaderPolicy.policy",
    ]) {
      assert.ok(report.changed.includes(field), field);
    }
    for (const field of ["bucket.bucket", "uploaderRole.name", "topic.name", "subscription.endpoint"]) {
      assert.ok(!report.changed.includes(field), `${field} would replace the resource`);
    }
    assert.deepEqual(report.importsPending, ["subscription"]);
    assert.match(
      report.steps[0],
      /importIds\.subscription \(until then Terraform's subscription stays as it is, unmanaged\): aws sns list-subscriptions-by-topic/,
    );
    assert.match(report.steps[1], /^pulumi up --stack production: imports/);
    assert.match(report.steps[2], /backup\.phase to harden in Pulumi\.production\.yaml/);
  });

  it("no pending import once the subscription's id is in the stack file", () => {
    const backup = backupOf("production");
    const withId = {
      ...backup,
      importIds: {
        ...backup.importIds,
        subscription: "arn:aws:sns:us-east-1:552927148143:t:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      },
    };
    const report = backupPhaseReport("production", withId, command);
    assert.deepEqual(report.importsPending, []);
    assert.match(report.steps[0], /^pulumi up/);
  });

  it("a hardened stack is in the last phase, with nothing to change", () => {
    for (const backup of [backupOf("staging"), backupOf("production", "harden")]) {
      const report = backupPhaseReport("staging", backup, command);
      assert.equal(report.phase, "harden");
      assert.equal(report.next, undefined);
      assert.deepEqual([report.added, report.changed, report.importsPending], [[], [], []]);
    }
  });

  it("diffSpecs finds added, removed and changed fields", () => {
    const args = backupSpecArgs(backupOf("production"));
    const adopt = backupSpec(args);
    const harden = backupSpec({ ...args, phase: "harden" });
    const there = diffSpecs(adopt, harden);
    const back = diffSpecs(harden, adopt);
    assert.deepEqual(back.removed.sort(), [...there.added].sort());
    assert.deepEqual(back.added, []);
    assert.equal(back.changed.length, there.changed.length);
    assert.deepEqual(diffSpecs(adopt, adopt), { added: [], removed: [], changed: [] });
  });

  it("every IAM and bucket document is known before any resource exists (plain text in the spec)", () => {
    for (const phase of ["adopt", "harden"] as const) {
      const spec = backupSpec({ ...backupSpecArgs(backupOf("production")), phase });
      const docs = [
        spec.uploaderRole.assumeRolePolicy,
        spec.uploaderPolicy.policy,
        spec.restorePolicy.policy,
        spec.userPolicy.policy,
      ];
      for (const doc of docs) {
        assert.equal(typeof doc, "string", phase);
        assert.doesNotMatch(String(doc), /undefined|<|>/, phase);
        assert.match(String(doc), /arn:aws:(s3|iam)::(552927148143)?:/, phase);
      }
    }
  });
});
