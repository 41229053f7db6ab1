/**
 * The production backups held against what Terraform made (test/estate/backup.ts): phase 1
 * (adopt) declares every Terraform resource with inputs equal to its attributes, field by field,
 * and imports it; phase 2 (harden) changes only fields the provider updates in place, and adds
 * only what Terraform never made. The host's scripts keep their bucket, roles and prefixes.
 */
import { strict as assert } from "node:assert";
import { BILLING_CURRENCY } from "../components/backup/spec";
import { T, providerDefaultTags, providerRef } from "./backup-support";
import { ACCOUNT_ID, DEFAULT_TAGS, FORCE_NEW, HOST, TERRAFORM } from "./estate/backup";
import { CapturedResource } from "./harness/engine";
import { cloneValues, readStackValues, runStack, StackRun } from "./harness/stack";

const POLICY_FIELDS = ["policy", "assumeRolePolicy"];

/** An input as compared with the fixture: policy documents parsed. */
function field(r: CapturedResource, key: string): unknown {
  const value = r.inputs[key];
  return POLICY_FIELDS.includes(key) && typeof value === "string" ? JSON.parse(value) : value;
}

/** A provider's allowed accounts (the engine receives provider inputs as JSON text). */
function allowedAccounts(p: CapturedResource): unknown {
  const raw = p.inputs.allowedAccountIds;
  return typeof raw === "string" ? JSON.parse(raw) : raw;
}

function children(run: StackRun): CapturedResource[] {
  return run.capture.childrenOf(run.capture.get("backup", T.component));
}

/** The subscription's ARN as the operator reads it from AWS (its last part is AWS's own id). */
const SUBSCRIPTION_ARN = `${TERRAFORM.find((t) => t.child === "backup-alerts")!.importId}:0b7c6a4e-2f1d-4c3b-9a8e-5d6f7e8a9b0c`;

/** Production in a phase, with the subscription's ARN added as the runbook's step 2 says. */
async function phase(name: "adopt" | "harden"): Promise<StackRun> {
  const values = cloneValues(readStackValues("production"));
  const backup = values["onprem-infra:backup"] as { phase: string; importIds: Record<string, string> };
  backup.phase = name;
  backup.importIds.subscription = SUBSCRIPTION_ARN;
  return runStack("production", values);
}

describe("the production backups against Terraform's resources", () => {
  let committed: StackRun;
  let adopt: StackRun;
  let harden: StackRun;
  before(async () => {
    committed = await runStack("production");
    adopt = await phase("adopt");
    harden = await phase("harden");
  });

  describe("phase 1 (adopt), as committed: the subscription's ARN not yet known", () => {
    it("is the committed phase", () => {
      assert.equal(committed.outputs.backupPhase?.value, "adopt");
    });

    it("declares the 13 resources whose ids are known, each imported, and leaves the subscription as it is", () => {
      const known = TERRAFORM.filter((t) => t.importId !== undefined);
      assert.equal(known.length, 13);
      assert.deepEqual(
        children(committed)
          .map((r) => `${r.name} ${r.type} ${r.options.importId}`)
          .sort(),
        known.map((t) => `${t.child} ${t.type} ${t.importId}`).sort(),
      );
    });
  });

  describe("phase 1 (adopt), with the subscription's ARN added", () => {
    it("declares exactly Terraform's 14 resources, nothing beside them", () => {
      assert.equal(TERRAFORM.length, 14);
      assert.deepEqual(
        children(adopt)
          .map((r) => `${r.name} ${r.type}`)
          .sort(),
        TERRAFORM.map((t) => `${t.child} ${t.type}`).sort(),
      );
    });

    for (const tf of TERRAFORM) {
      it(`${tf.address} (${tf.source}): inputs equal its attributes, field by field`, () => {
        const r = adopt.capture.get(tf.child, tf.type);
        assert.deepEqual(Object.keys(r.inputs).sort(), Object.keys(tf.attributes).sort(), "the same fields");
        for (const [key, value] of Object.entries(tf.attributes)) {
          assert.deepEqual(field(r, key), value, `${tf.child}.${key}`);
        }
      });

      it(`${tf.address}: imported by its id, on the ${tf.region} provider`, () => {
        const r = adopt.capture.get(tf.child, tf.type);
        assert.equal(r.options.importId, tf.importId ?? SUBSCRIPTION_ARN, tf.child);
        const provider = adopt.capture.resources.find(
          (p) => p.type === T.provider && providerRef(p) === r.provider,
        );
        assert.equal(provider?.inputs.region, tf.region, tf.child);
      });
    }

    it("tags through both providers exactly as Terraform's default_tags, in the estate's account only", () => {
      const providers = adopt.capture.ofType(T.provider);
      assert.equal(providers.length, 2);
      for (const p of providers) {
        assert.deepEqual(providerDefaultTags(p), DEFAULT_TAGS.value, p.name);
        assert.deepEqual(allowedAccounts(p), [ACCOUNT_ID.value], p.name);
      }
    });
  });

  describe("phase 2 (harden)", () => {
    it("changes no field the provider replaces on, for every adopted resource", () => {
      let changed = 0;
      for (const tf of TERRAFORM) {
        const before = adopt.capture.get(tf.child, tf.type);
        const after = harden.capture.get(tf.child, tf.type);
        const forceNew = FORCE_NEW[tf.type];
        assert.ok(forceNew, `no ForceNew entry for ${tf.type}`);
        for (const key of forceNew.fields) {
          assert.deepEqual(after.inputs[key], before.inputs[key], `${tf.child}.${key} (${forceNew.source})`);
        }
        const keys = new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)]);
        for (const key of keys) {
          if (JSON.stringify(before.inputs[key]) !== JSON.stringify(after.inputs[key])) {
            assert.ok(!forceNew.fields.includes(key), `${tf.child}.${key} would replace it`);
            changed++;
          }
        }
        assert.equal(after.options.importId, before.options.importId, `${tf.child} keeps its import id`);
      }
      assert.ok(changed >= 20, `phase 2 changes something (${changed} fields)`);
    });

    it("enables Object Lock through the lock configuration, never on the bucket (which would replace it)", () => {
      const bucket = harden.capture.get("backup-bucket", T.bucket);
      assert.equal("objectLockEnabled" in bucket.inputs, false);
      const lock = harden.capture.get("backup-object-lock", T.objectLock);
      assert.equal(lock.inputs.objectLockEnabled, "Enabled");
      assert.ok(harden.capture.dependencyNames(lock).includes("backup-versioning"), "after versioning");
    });

    it("adds only what Terraform never made: versioning, the lock, the TLS-only policy, the topic's key", () => {
      const adopted = new Set(children(adopt).map((r) => r.name));
      assert.deepEqual(
        children(harden)
          .map((r) => r.name)
          .filter((n) => !adopted.has(n))
          .sort(),
        ["backup-alerts-key", "backup-bucket-policy", "backup-object-lock", "backup-versioning"],
      );
      const hardened = new Set(children(harden).map((r) => r.name));
      assert.deepEqual(
        [...adopted].filter((n) => !hardened.has(n)),
        [],
      );
    });

    it("moves the alarms to USD, the currency EstimatedCharges is published in", () => {
      assert.equal(BILLING_CURRENCY, "USD");
      for (const child of ["backup-charges-warning", "backup-charges-critical"]) {
        assert.deepEqual(adopt.capture.get(child, T.alarm).inputs.dimensions, {
          ServiceName: "AmazonS3",
          Currency: "JPY",
        });
        assert.deepEqual(harden.capture.get(child, T.alarm).inputs.dimensions, {
          ServiceName: "AmazonS3",
          Currency: "USD",
        });
      }
      assert.deepEqual(
        ["backup-charges-warning", "backup-charges-critical"].map(
          (c) => harden.capture.get(c, T.alarm).inputs.threshold,
        ),
        [0.1, 1],
      );
    });

    it("switches the default tags to the common tags, in the same account", () => {
      for (const p of harden.capture.ofType(T.provider)) {
        assert.deepEqual(providerDefaultTags(p), {
          Project: "onprem-infra",
          Environment: "production",
          ManagedBy: "pulumi",
          Owner: "kuma8088",
        });
        assert.deepEqual(allowedAccounts(p), [ACCOUNT_ID.value]);
      }
    });
  });

  it("builds every policy document from values known before creation (no resource's output feeds one)", () => {
    for (const run of [adopt, harden]) {
      const documents = children(run).filter((r) => POLICY_FIELDS.some((f) => f in r.inputs));
      assert.ok(documents.length >= 5);
      for (const r of documents) {
        for (const f of POLICY_FIELDS.filter((k) => k in r.inputs)) {
          assert.equal(typeof r.inputs[f], "string", `${r.name}.${f}`);
          assert.deepEqual(r.propertyDependencies[f] ?? [], [], `${r.name}.${f} waits for another resource`);
        }
      }
    }
  });

  describe("the host's backup jobs, in both phases", () => {
    for (const which of ["adopt", "harden"] as const) {
      it(`${which}: the bucket and both role names stay; the uploader may list, put and get`, () => {
        const run = which === "adopt" ? adopt : harden;
        assert.equal(run.capture.get("backup-bucket", T.bucket).inputs.bucket, HOST.bucket.value);
        assert.deepEqual(
          [
            run.capture.get("backup-uploader", T.role).inputs.name,
            run.capture.get("backup-restore", T.role).inputs.name,
          ],
          HOST.roles.value,
        );
        const arn = `arn:aws:s3:::${HOST.bucket.value}`;
        const policy = JSON.parse(
          String(run.capture.get("backup-uploader-policy", T.rolePolicy).inputs.policy),
        ) as {
          Statement: { Effect: string; Action: string | string[]; Resource: string | string[] }[];
        };
        const allowed = (action: string, resource: string) =>
          policy.Statement.some(
            (s) =>
              s.Effect === "Allow" &&
              ([] as string[]).concat(s.Action).includes(action) &&
              ([] as string[]).concat(s.Resource).includes(resource),
          );
        for (const action of HOST.uploadActions.value) {
          const resource = action === "s3:ListBucket" ? arn : `${arn}/*`;
          assert.ok(allowed(action, resource), `${action} on ${resource}`);
        }
        assert.equal(
          run.outputs.backupUploaderRoleArn?.value,
          `arn:aws:iam::${ACCOUNT_ID.value}:role/${HOST.roles.value[0]}`,
        );
      });
    }

    it("expires daily/ after 7 days in both phases; the prefixed daily copies are kept as today", () => {
      type Rule = { filter: { prefix?: string }; expiration?: { days?: number } };
      for (const run of [adopt, harden]) {
        const rules = run.capture.get("backup-lifecycle", T.lifecycle).inputs.rules as Rule[];
        assert.equal(rules.find((r) => r.filter.prefix === "daily/")?.expiration?.days, 7);
        for (const prefix of HOST.prefixes.value.filter((p) => p !== "daily/")) {
          assert.equal(
            rules.find((r) => r.filter.prefix === prefix),
            undefined,
            prefix,
          );
        }
      }
    });
  });
});
