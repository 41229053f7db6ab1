import { strict as assert } from "node:assert";
import { parseStackConfig } from "../config";
import { cloneValues, readStackValues, secretsFor, StackValues, STACKS } from "./harness/stack";

const KEY = "onprem-infra:backup";

/** Builds the raw config the runtime would hold for these values. */
function raw(values: StackValues, secrets: Record<string, string>) {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return { values: { ...flat, ...secrets }, secretKeys: new Set(Object.keys(secrets)) };
}

/**
 * A hardened backup section with derived names (the shape most rules are checked on), in the
 * production stack file; phase adopt's own rules start from the committed section instead.
 */
const HARDENED: Record<string, unknown> = {
  phase: "harden",
  accountId: "123456789012",
  bucketName: "kuma8088-onprem-backup",
  alarmEmail: "admin@kuma8088.com",
  warningThreshold: 5,
  criticalThreshold: 10,
  currency: "USD",
};

/** The production stack file with a hardened backup section, `edit` applied to it. */
function withBackup(edit: (backup: Record<string, unknown>) => void): StackValues {
  const values = cloneValues(readStackValues("production"));
  values[KEY] = structuredClone(HARDENED);
  edit(values[KEY] as Record<string, unknown>);
  return values;
}

/** The committed production stack file (phase adopt), `edit` applied to its backup section. */
function withAdopted(edit: (backup: Record<string, unknown>) => void): StackValues {
  const values = cloneValues(readStackValues("production"));
  edit(values[KEY] as Record<string, unknown>);
  return values;
}

function parse(values: StackValues) {
  return parseStackConfig("production", raw(values, secretsFor("production")));
}

/** Asserts that parsing fails with one line naming `key` (and the stack file) matching `message`. */
function rejects(values: StackValues, key: string, message: RegExp): void {
  assert.throws(
    () => parse(values),
    (err: Error) => {
      assert.match(err.message, /^Invalid stack config in Pulumi\.production\.yaml:/);
      const lines = err.message.split("\n").filter((l) => l.startsWith(`  - ${key}: `));
      assert.equal(lines.length, 1, `expected one problem for ${key} in:\n${err.message}`);
      assert.match(lines[0], message);
      return true;
    },
  );
}

describe("backup stack config", () => {
  for (const stack of STACKS) {
    it(`reads Pulumi.${stack}.yaml's backup section, defaults filled in`, () => {
      const cfg = parseStackConfig(stack, raw(readStackValues(stack), secretsFor(stack)));
      const production = stack === "production";
      assert.equal(
        cfg.backup.bucketName,
        production ? "system-backup-workstation" : "kuma8088-onprem-backup-staging",
      );
      // Production adopts what Terraform made; staging has nothing to adopt.
      assert.equal(cfg.backup.phase, production ? "adopt" : "harden");
      assert.equal(cfg.backup.accountId, "552927148143");
      assert.equal(cfg.backup.retentionDays, production ? 30 : 1);
      // One stack per account watches the account-wide EstimatedCharges metric: production.
      assert.equal(cfg.backup.costAlarms, production);
      assert.equal(cfg.backup.currency, production ? "USD" : undefined);
      assert.equal(cfg.backup.alarmEmail, production ? "naoya.iimura@gmail.com" : undefined);
      // Production: the 13 ids Terraform's resources are known by (the subscription's comes later).
      assert.equal(Object.keys(cfg.backup.importIds).length, production ? 13 : 0);
      assert.equal(cfg.backup.importIds.subscription, undefined);
      assert.equal(Object.keys(cfg.backup.names).length, production ? 9 : 0);
      assert.deepEqual(cfg.backup.tags, {});
    });
  }

  it("fills the estate's defaults when only the required keys are given", () => {
    const cfg = parse(
      withBackup((b) => {
        for (const k of Object.keys(b)) {
          if (
            !["accountId", "bucketName", "alarmEmail", "warningThreshold", "criticalThreshold"].includes(k)
          ) {
            delete b[k];
          }
        }
      }),
    );
    assert.equal(cfg.backup.retentionDays, 30);
    assert.equal(cfg.backup.dailyExpirationDays, 7);
    assert.deepEqual(cfg.backup.archivePrefixes, ["weekly/", "monthly/"]);
    assert.equal(cfg.backup.archiveAfterDays, 30);
    assert.equal(cfg.backup.archiveStorageClass, "GLACIER_IR");
    assert.equal(cfg.backup.kmsKeyArn, undefined);
    assert.equal(cfg.backup.costAlarms, true);
    assert.equal(cfg.backup.phase, "harden");
  });

  it("requires the account id, as 12 digits", () => {
    rejects(
      withBackup((b) => delete b.accountId),
      `${KEY}.accountId`,
      /is required/,
    );
    for (const id of ["55292714814", "5529271481430", "arn:aws:iam::552927148143:root", 552927148143]) {
      rejects(
        withBackup((b) => (b.accountId = id)),
        `${KEY}.accountId`,
        /must be a 12-digit AWS account id/,
      );
    }
  });

  it("rejects a phase other than adopt or harden", () => {
    rejects(
      withBackup((b) => (b.phase = "adopted")),
      `${KEY}.phase`,
      /must be one of adopt, harden/,
    );
  });

  for (const key of ["alarmEmail", "warningThreshold", "criticalThreshold"]) {
    it(`requires ${key} while costAlarms is true (the default)`, () => {
      rejects(
        withBackup((b) => delete b[key]),
        `${KEY}.${key}`,
        /is required while costAlarms is true/,
      );
    });
  }

  it("needs no alarm settings when costAlarms is false", () => {
    const cfg = parse(
      withBackup((b) => {
        b.costAlarms = false;
        for (const key of ["alarmEmail", "warningThreshold", "criticalThreshold", "currency"]) {
          delete b[key];
        }
      }),
    );
    assert.equal(cfg.backup.costAlarms, false);
    assert.equal(cfg.backup.alarmEmail, undefined);
  });

  for (const [what, edit, key] of [
    ["an alarm email", (b: Record<string, unknown>) => (b.alarmEmail = "admin@kuma8088.com"), "alarmEmail"],
    ["a threshold", (b: Record<string, unknown>) => (b.warningThreshold = 5), "warningThreshold"],
    ["a currency", (b: Record<string, unknown>) => (b.currency = "USD"), "currency"],
    ["an alarm name", (b: Record<string, unknown>) => (b.names = { topic: "tf-alerts" }), "names.topic"],
    [
      "an alarm import id",
      (b: Record<string, unknown>) =>
        (b.importIds = { warningAlarm: "kuma8088-onprem-backup-s3-charges-warning" }),
      "importIds.warningAlarm",
    ],
  ] as const) {
    it(`rejects ${what} while costAlarms is false`, () => {
      rejects(
        withBackup((b) => {
          b.costAlarms = false;
          for (const k of ["alarmEmail", "warningThreshold", "criticalThreshold", "currency"]) {
            delete b[k];
          }
          edit(b);
        }),
        `${KEY}.${key}`,
        /costAlarms is false/,
      );
    });
  }

  it("rejects a costAlarms that is not a boolean", () => {
    rejects(
      withBackup((b) => (b.costAlarms = "no")),
      `${KEY}.costAlarms`,
      /must be true or false/,
    );
  });

  it("requires the backup section", () => {
    const values = cloneValues(readStackValues("production"));
    delete values[KEY];
    rejects(values, KEY, /./);
  });

  it("rejects a bad alarm email", () => {
    rejects(
      withBackup((b) => (b.alarmEmail = "admin-at-example")),
      `${KEY}.alarmEmail`,
      /must be an email address/,
    );
  });

  for (const [field, value] of [
    ["warningThreshold", 0],
    ["warningThreshold", -5],
    ["criticalThreshold", 0],
  ] as const) {
    it(`rejects ${field} = ${value}`, () => {
      rejects(
        withBackup((b) => (b[field] = value)),
        `${KEY}.${field}`,
        /must be a positive amount/,
      );
    });
  }

  it("rejects a critical threshold not above the warning threshold", () => {
    rejects(
      withBackup((b) => {
        b.warningThreshold = 20;
        b.criticalThreshold = 20;
      }),
      `${KEY}.criticalThreshold`,
      /must be greater than warningThreshold \(20\)/,
    );
  });

  it("rejects a currency EstimatedCharges is not published in (Terraform's JPY alarms never fired)", () => {
    rejects(
      withBackup((b) => (b.currency = "JPY")),
      `${KEY}.currency`,
      /must be USD: AWS publishes EstimatedCharges in USD only, so an alarm in JPY never fires/,
    );
  });

  it("rejects a currency that is not a three-letter code", () => {
    rejects(
      withBackup((b) => (b.currency = "usd")),
      `${KEY}.currency`,
      /three-letter currency code/,
    );
  });

  for (const days of [0, 3651, 7.5]) {
    it(`rejects retentionDays = ${days}`, () => {
      rejects(
        withBackup((b) => (b.retentionDays = days)),
        `${KEY}.retentionDays`,
        days === 7.5 ? /whole number of days/ : /between 1 and 3650 days/,
      );
    });
  }

  it("rejects a daily expiration of zero days", () => {
    rejects(
      withBackup((b) => (b.dailyExpirationDays = 0)),
      `${KEY}.dailyExpirationDays`,
      /between 1 and 365 days/,
    );
  });

  for (const [name, why] of [
    ["Kuma8088-Backup", /lower-case letters, digits, dots and hyphens/],
    ["ab", /3 to 63 characters/],
    ["a".repeat(64), /3 to 63 characters/],
    ["backup_bucket", /lower-case letters/],
    ["-backup", /begin and end with a letter or digit/],
    ["backup.", /begin and end with a letter or digit/],
    ["my..backup", /two adjacent dots/],
    ["192.168.10.1", /IP address/],
    ["xn--backup", /must not begin with xn--/],
    ["backup-s3alias", /must not end with -s3alias/],
  ] as const) {
    it(`rejects the bucket name "${name}"`, () => {
      rejects(
        withBackup((b) => (b.bucketName = name)),
        `${KEY}.bucketName`,
        why,
      );
    });
  }

  it("rejects a bucket name whose derived IAM names would be too long", () => {
    const values = withBackup((b) => (b.bucketName = `backup-${"x".repeat(52)}`));
    assert.throws(
      () => parse(values),
      (err: Error) => {
        const lines = err.message.split("\n").filter((l) => l.startsWith(`  - ${KEY}.bucketName: `));
        assert.deepEqual(
          lines.map((l) =>
            /derived name (\w+) .* not a valid IAM name.*\(or set names\.(\w+)\)$/.exec(l)?.slice(1),
          ),
          [
            ["user", "user"],
            ["uploaderRole", "uploaderRole"],
            ["restoreRole", "restoreRole"],
          ],
        );
        return true;
      },
    );
  });

  it("accepts that long bucket name once the names are set", () => {
    const cfg = parse(
      withBackup((b) => {
        b.bucketName = `backup-${"x".repeat(52)}`;
        b.names = { user: "backup-op", uploaderRole: "backup-up", restoreRole: "backup-re" };
      }),
    );
    assert.equal(cfg.backup.names.user, "backup-op");
  });

  it("rejects an empty extra tag value", () => {
    rejects(
      withBackup((b) => (b.tags = { CostCenter: "" })),
      `${KEY}.tags.CostCenter`,
      /must not be empty/,
    );
  });

  it("rejects an extra tag that would override a common tag", () => {
    rejects(
      withBackup((b) => (b.tags = { Owner: "someone-else" })),
      `${KEY}.tags.Owner`,
      /common tags/,
    );
  });

  it("rejects an empty owner, which every resource carries as its Owner tag", () => {
    const values = cloneValues(readStackValues("production"));
    values["onprem-infra:owner"] = "";
    rejects(values, "onprem-infra:owner", /must not be empty/);
  });

  it("rejects an archive prefix that overlaps daily/ or another prefix", () => {
    rejects(
      withBackup((b) => (b.archivePrefixes = ["weekly/", "daily/"])),
      `${KEY}.archivePrefixes[1]`,
      /daily\/ overlaps daily\//,
    );
    rejects(
      withBackup((b) => (b.archivePrefixes = ["weekly/", "weekly/2026/"])),
      `${KEY}.archivePrefixes[1]`,
      /overlaps weekly\//,
    );
    rejects(
      withBackup((b) => (b.archivePrefixes = ["weekly"])),
      `${KEY}.archivePrefixes[0]`,
      /key prefix like weekly\//,
    );
  });

  it("rejects a storage class S3 would refuse this early", () => {
    rejects(
      withBackup((b) => {
        b.archiveStorageClass = "STANDARD_IA";
        b.archiveAfterDays = 10;
      }),
      `${KEY}.archiveAfterDays`,
      /at least 30 days for STANDARD_IA/,
    );
    rejects(
      withBackup((b) => (b.archiveStorageClass = "REDUCED_REDUNDANCY")),
      `${KEY}.archiveStorageClass`,
      /./,
    );
  });

  it("rejects a KMS key given as an alias", () => {
    rejects(
      withBackup((b) => (b.kmsKeyArn = "arn:aws:kms:ap-northeast-1:123456789012:alias/backup")),
      `${KEY}.kmsKeyArn`,
      /KMS key ARN/,
    );
  });

  it("rejects an unknown key in the backup section", () => {
    rejects(
      withBackup((b) => (b.retentionMode = "GOVERNANCE")),
      `${KEY}.retentionMode`,
      /^ {2}- onprem-infra:backup\.retentionMode: is not a known key$/,
    );
  });

  it("accepts import ids that name the declared resources", () => {
    const cfg = parse(
      withBackup((b) => {
        b.importIds = {
          bucket: "kuma8088-onprem-backup",
          user: "kuma8088-onprem-backup-operator",
          uploaderPolicy: "kuma8088-onprem-backup-uploader:backup-upload",
          topic: "arn:aws:sns:us-east-1:123456789012:kuma8088-onprem-backup-alerts",
          topicKey: "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-1234-4abc-9def-0123456789ab",
        };
      }),
    );
    assert.equal(cfg.backup.importIds.bucket, "kuma8088-onprem-backup");
  });

  for (const [key, id, why] of [
    ["bucket", "some-other-bucket", /must be "kuma8088-onprem-backup"/],
    ["lifecycle", "some-other-bucket", /must be "kuma8088-onprem-backup"/],
    ["uploaderRole", "tf-uploader", /must be "kuma8088-onprem-backup-uploader"/],
    [
      "restorePolicy",
      "kuma8088-onprem-backup-restore",
      /must be "kuma8088-onprem-backup-restore:backup-restore"/,
    ],
    ["warningAlarm", "s3-warning", /must be "kuma8088-onprem-backup-s3-charges-warning"/],
    [
      "topic",
      "arn:aws:sns:ap-northeast-1:123456789012:kuma8088-onprem-backup-alerts",
      /ARN of topic .* in us-east-1/,
    ],
    [
      "subscription",
      "arn:aws:sns:us-east-1:123456789012:other:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      /confirmed subscription/,
    ],
    ["topicKey", "alias/backup-alerts", /KMS key id or key ARN/],
    ["user", "", /must not be empty/],
  ] as const) {
    it(`rejects importIds.${key} = "${id}"`, () => {
      rejects(
        withBackup((b) => (b.importIds = { [key]: id })),
        `${KEY}.importIds.${key}`,
        why,
      );
    });
  }

  it("accepts an import id of a renamed resource once its name is set", () => {
    const cfg = parse(
      withBackup((b) => {
        b.names = { uploaderRole: "tf-uploader" };
        b.importIds = { uploaderRole: "tf-uploader" };
      }),
    );
    assert.equal(cfg.backup.importIds.uploaderRole, "tf-uploader");
  });
});

describe("backup stack config in phase adopt (production's committed section)", () => {
  it("accepts the committed section: Terraform's names, 13 import ids, the subscription still unknown", () => {
    const cfg = parse(withAdopted(() => undefined));
    assert.equal(cfg.backup.phase, "adopt");
    assert.equal(cfg.backup.names.uploaderRole, "mailserver-backup-uploader");
    assert.equal(cfg.backup.importIds.uploaderPolicy, "mailserver-backup-uploader:S3BackupUpload");
  });

  it("accepts the subscription's ARN once the operator adds it", () => {
    const arn =
      "arn:aws:sns:us-east-1:552927148143:websystem-s3-backup-alerts:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const cfg = parse(withAdopted((b) => ((b.importIds as Record<string, string>).subscription = arn)));
    assert.equal(cfg.backup.importIds.subscription, arn);
  });

  for (const key of ["bucket", "lifecycle", "uploaderRole", "userPolicy", "topic", "criticalAlarm"]) {
    it(`requires importIds.${key}: Terraform made that resource`, () => {
      rejects(
        withAdopted((b) => delete (b.importIds as Record<string, string>)[key]),
        `${KEY}.importIds.${key}`,
        /is required while phase is adopt: Terraform made this resource/,
      );
    });
  }

  for (const key of ["versioning", "objectLock", "bucketPolicy"]) {
    it(`rejects importIds.${key}: Terraform never made it`, () => {
      rejects(
        withAdopted((b) => ((b.importIds as Record<string, string>)[key] = "system-backup-workstation")),
        `${KEY}.importIds.${key}`,
        /has nothing to adopt while phase is adopt: Terraform never made it/,
      );
    });
  }

  it("rejects extra tags and a KMS key: the imported resources carry Terraform's", () => {
    rejects(
      withAdopted((b) => (b.tags = { CostCenter: "mail" })),
      `${KEY}.tags`,
      /must be empty while phase is adopt/,
    );
    rejects(
      withAdopted(
        (b) =>
          (b.kmsKeyArn = "arn:aws:kms:ap-northeast-1:552927148143:key/0f0e0d0c-1234-4abc-9def-0123456789ab"),
      ),
      `${KEY}.kmsKeyArn`,
      /must not be set while phase is adopt/,
    );
  });

  const malformed: [string, string, RegExp][] = [
    [
      "topic",
      "websystem-s3-backup-alerts",
      /must be the ARN of topic "websystem-s3-backup-alerts" in us-east-1 of account 552927148143/,
    ],
    [
      "topic",
      "arn:aws:sns:us-east-1:123456789012:websystem-s3-backup-alerts",
      /must be the ARN of topic .* of account 552927148143/,
    ],
    [
      "subscription",
      "arn:aws:sns:us-east-1:552927148143:websystem-s3-backup-alerts",
      /must be the ARN of a confirmed subscription .*list-subscriptions-by-topic/,
    ],
    ["uploaderPolicy", "S3BackupUpload", /must be "mailserver-backup-uploader:S3BackupUpload"/],
    ["userPolicy", "dell-system-admin/AssumeBackupRoles", /must be "dell-system-admin:AssumeBackupRoles"/],
    ["bucket", "arn:aws:s3:::system-backup-workstation", /must be "system-backup-workstation"/],
  ];
  for (const [key, id, message] of malformed) {
    it(`rejects the malformed importIds.${key} "${id}" before any resource, naming the key`, () => {
      rejects(
        withAdopted((b) => ((b.importIds as Record<string, string>)[key] = id)),
        `${KEY}.importIds.${key}`,
        message,
      );
    });
  }
});
