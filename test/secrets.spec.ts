/**
 * Secrets: the inventory, generated values with rotation keepers, rotations that reach exactly
 * their consumers, the rotation report, and no secret value in plain text anywhere.
 */
import { strict as assert } from "node:assert";
import { GeneratedSecrets, rotationKeepers } from "../components/secrets/GeneratedSecrets";
import { inventoryFor, SECRET_INVENTORY, siteSecretSpec } from "../components/secrets/inventory";
import { rotationReport, rotationStatus } from "../components/secrets/rotation";
import { rotationStamps } from "../components/secrets/schema";
import { capture, CapturedResource } from "./harness/engine";
import {
  cloneValues,
  readStackValues,
  runStack,
  SECRET_PLACEHOLDERS,
  secretsFor,
  StackRun,
  STACKS,
} from "./harness/stack";
import { RANDOM_PASSWORD } from "./harness/types";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

describe("secrets inventory", () => {
  it("holds every secret of ESTATE.md with its source and period", () => {
    const table = Object.fromEntries(SECRET_INVENTORY.map((s) => [s.id, `${s.source}/${s.periodDays}`]));
    assert.deepEqual(table, {
      mailDbRootPassword: "external/90",
      mailDbAppPassword: "external/90",
      usermgmtDbPassword: "external/90",
      usermgmtSecretKey: "generated/90",
      roundcubeDesKey: "generated/365",
      mailApiKey: "generated/365",
      blogDbRootPassword: "generated/90",
      sendgridApiKey: "external/365",
      cloudflareApiToken: "external/365",
      tunnelSecret: "generated/365",
    });
    assert.equal(SECRET_INVENTORY.find((s) => s.id === "roundcubeDesKey")?.length, 24);
    assert.deepEqual(siteSecretSpec("blog1"), {
      id: "siteDbPassword.blog1",
      description: "WordPress site blog1: its database user's password",
      usedBy: ["blog/wordpress", "blog/mariadb"],
      source: "generated",
      periodDays: 90,
      length: 32,
    });
    assert.equal(inventoryFor(["a", "b"]).length, SECRET_INVENTORY.length + 2);
  });

  it("takes site stamps from the site or the default", () => {
    const stamps = rotationStamps(
      {
        ...Object.fromEntries(SECRET_INVENTORY.map((s) => [s.id, "2026-01-01"])),
        siteDbPasswords: { default: "2026-02-01", b: "2026-03-01" },
      } as never,
      ["a", "b"],
    );
    assert.equal(stamps["siteDbPassword.a"], "2026-02-01");
    assert.equal(stamps["siteDbPassword.b"], "2026-03-01");
  });
});

describe("rotation report", () => {
  const db = SECRET_INVENTORY.find((s) => s.id === "mailDbAppPassword")!;
  const today = new Date("2026-11-29T12:00:00Z");

  it("is ok well inside the period, due within 14 days of its end, overdue after it", () => {
    assert.deepEqual(rotationStatus(db, "2026-11-01", today), {
      id: "mailDbAppPassword",
      source: "external",
      rotatedOn: "2026-11-01",
      ageDays: 28,
      periodDays: 90,
      status: "ok",
      dueOn: "2026-01-30".replace("2026-01-30", "2027-01-30"),
    });
    assert.equal(rotationStatus(db, "2026-09-15", today).status, "ok"); // 75 days: 15 left
    assert.equal(rotationStatus(db, "2026-09-14", today).status, "due"); // 76 days: 14 left
    assert.equal(rotationStatus(db, "2026-08-31", today).status, "due"); // 90 days: 0 left
    assert.equal(rotationStatus(db, "2026-08-30", today).status, "overdue"); // 91 days
  });

  it("fails on a secret without a stamp", () => {
    assert.throws(() => rotationReport([db], {}, today), /no rotation stamp for mailDbAppPassword/);
  });
});

describe("GeneratedSecrets", () => {
  it("makes one RandomPassword per generated secret and site, with its rotation keeper", async () => {
    const stamps = Object.fromEntries(SECRET_INVENTORY.map((s) => [s.id, "2026-10-01"]));
    stamps["siteDbPassword.blog1"] = "2026-09-01";
    const cap = await capture(() => new GeneratedSecrets("s", { rotations: stamps, sites: ["blog1"] }));
    const passwords = cap.ofType(RANDOM_PASSWORD);
    assert.deepEqual(
      passwords.map((p) => p.name),
      [
        "s-usermgmtSecretKey",
        "s-roundcubeDesKey",
        "s-mailApiKey",
        "s-blogDbRootPassword",
        "s-tunnelSecret",
        "s-siteDbPassword-blog1",
      ],
    );
    const des = cap.get("s-roundcubeDesKey");
    assert.equal(des.inputs.length, 24);
    assert.deepEqual(des.inputs.keepers, { rotatedOn: "2026-10-01", rotationPeriodDays: "365" });
    assert.deepEqual(cap.get("s-siteDbPassword-blog1").inputs.keepers, {
      rotatedOn: "2026-09-01",
      rotationPeriodDays: "90",
    });
    for (const p of passwords) {
      assert.equal(p.inputs.overrideSpecial, "-_", p.name);
      assert.equal(p.parent, cap.get("s").urn);
    }
    assert.deepEqual(
      rotationKeepers(
        SECRET_INVENTORY.find((x) => x.id === "usermgmtSecretKey")!,
        "2026-01-02",
      ),
      {
        rotatedOn: "2026-01-02",
        rotationPeriodDays: "90",
      },
    );
  });

  it("rejects a generated secret without a stamp", async () => {
    await assert.rejects(
      capture(() => new GeneratedSecrets("t", { rotations: {}, sites: [] })),
      /no rotation stamp for generated secret usermgmtSecretKey/,
    );
  });
});

/** Inputs of every resource, keyed by URN, as JSON (for diffs). */
function inputsByUrn(run: StackRun): Map<string, string> {
  return new Map(run.capture.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
}

function changedNames(a: StackRun, b: StackRun): string[] {
  const before = inputsByUrn(a);
  const after = inputsByUrn(b);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), "same resources");
  return [...after.entries()]
    .filter(([urn, json]) => before.get(urn) !== json)
    .map(([urn]) => b.capture.byUrn(urn).name)
    .sort();
}

describe("rotations take effect, and only where they should", () => {
  let baseline: StackRun;
  before(async () => {
    baseline = await runStack("production");
  });

  async function bump(id: string): Promise<string[]> {
    const values = cloneValues(readStackValues("production"));
    (values["onprem-infra:rotations"] as Record<string, string>)[id] = "2026-11-28";
    return changedNames(baseline, await runStack("production", values));
  }

  /** A taken-over password is changed by setting its value (pulumi config set --secret), not its stamp. */
  async function setSecret(id: string): Promise<string[]> {
    const secrets = { ...secretsFor("production"), [`onprem-infra:${id}`]: "rotated-password-0123456789" };
    return changedNames(baseline, await runStack("production", readStackValues("production"), secrets));
  }

  it("the taken-over mail passwords: a stamp alone changes nothing (it records when the value was set)", async () => {
    for (const id of ["mailDbAppPassword", "mailDbRootPassword", "usermgmtDbPassword"]) {
      assert.deepEqual(await bump(id), [], id);
    }
  });

  it("Roundcube's password: its in-database change and Roundcube", async () => {
    assert.deepEqual(await setSecret("mailDbAppPassword"), ["mail-db-user-roundcube", "mail-roundcube"]);
  });

  it("the mail root password: root's change and the database container", async () => {
    assert.deepEqual(await setSecret("mailDbRootPassword"), ["mail-db-root", "mail-mariadb"]);
  });

  it("usermgmt's password: its user, usermgmt and Dovecot's SQL auth", async () => {
    assert.deepEqual(await setSecret("usermgmtDbPassword"), [
      "mail-db-user-usermgmt",
      "mail-dovecot",
      "mail-usermgmt",
    ]);
  });

  it("the Roundcube DES key: its secret and Roundcube", async () => {
    assert.deepEqual(await bump("roundcubeDesKey"), ["mail-roundcube", "secrets-roundcubeDesKey"]);
  });

  it("usermgmt's secret key: its secret and usermgmt", async () => {
    assert.deepEqual(await bump("usermgmtSecretKey"), ["mail-usermgmt", "secrets-usermgmtSecretKey"]);
  });

  it("the mail API key: its secret, mailserver-api and the Email Worker's secret binding", async () => {
    const changed = await bump("mailApiKey");
    assert.ok(
      changed.includes("secrets-mailApiKey") && changed.includes("mail-mailserver-api"),
      changed.join(" "),
    );
    assert.ok(
      changed.every(
        (n) => n === "secrets-mailApiKey" || n === "mail-mailserver-api" || n.startsWith("tunnel-"),
      ),
      changed.join(" "),
    );
  });

  it("the blog root password: its secret, root's change and the blog database container", async () => {
    assert.deepEqual(await bump("blogDbRootPassword"), [
      "blog-db-root",
      "blog-mariadb",
      "secrets-blogDbRootPassword",
    ]);
  });

  it("one site's password: its secret, that site's database user and WordPress", async () => {
    const values = cloneValues(readStackValues("production"));
    const rotations = values["onprem-infra:rotations"] as { siteDbPasswords: Record<string, string> };
    rotations.siteDbPasswords["kuma8088-tech"] = "2026-11-28";
    assert.deepEqual(changedNames(baseline, await runStack("production", values)), [
      "blog-site-kuma8088-tech-db",
      "blog-wordpress",
      "secrets-siteDbPassword-kuma8088-tech",
    ]);
  });

  it("an external secret's stamp changes no resource", async () => {
    assert.deepEqual(await bump("sendgridApiKey"), []);
  });

  it("orders the change: consumers start after the in-database change", () => {
    const cap = baseline.capture;
    const consumers: Record<string, string[]> = {
      "mail-db-user-roundcube": ["mail-roundcube"],
      "mail-db-user-usermgmt": ["mail-dovecot", "mail-usermgmt"],
    };
    for (const [change, users] of Object.entries(consumers)) {
      for (const consumer of users) {
        assert.ok(
          cap.dependencyNames(cap.get(consumer, "docker:index/container:Container")).includes(change),
          `${consumer} after ${change}`,
        );
      }
    }
    assert.ok(cap.dependencyNames(cap.get("mail-db-root")).includes("mail-mariadb"));
  });
});

/** The value with every secret replaced by a marker: what anyone can read in state or outputs. */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(redact);
  }
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj["4dabf18193072939515e22adb298388d"] === SECRET_SIG) {
      return "[secret]";
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}

describe("no secret in plain text", () => {
  for (const stack of STACKS) {
    it(`${stack}: no registered input and no stack output shows a secret value`, async () => {
      const run = await runStack(stack);
      const known = [
        ...Object.values(SECRET_PLACEHOLDERS),
        ...run.capture.ofType(RANDOM_PASSWORD).map((p) => String(p.state.result)),
      ];
      assert.ok(known.length >= 10);
      const leaks: string[] = [];
      const scan = (where: string, value: unknown) => {
        const text = JSON.stringify(redact(value)) ?? "";
        for (const secret of known) {
          if (text.includes(secret)) {
            leaks.push(`${where} shows ${secret.slice(0, 4)}…`);
          }
        }
      };
      for (const r of run.capture.resources as CapturedResource[]) {
        scan(`${r.type} ${r.name}`, r.wire);
      }
      for (const [name, out] of Object.entries(run.outputs)) {
        if (!out.secret) {
          scan(`output ${name}`, out.value);
        }
      }
      assert.deepEqual(leaks, []);
    });
  }

  it("the scan itself catches a plain-text secret", () => {
    const text = JSON.stringify(
      redact({
        envs: ["DB_PASSWORD=abc"],
        x: { "4dabf18193072939515e22adb298388d": SECRET_SIG, value: "hidden" },
      }),
    );
    assert.ok(text.includes("abc"));
    assert.ok(!text.includes("hidden"));
  });
});

describe("secretRotation stack output", () => {
  it("lists every secret with date, age, period and status, and is not secret", async () => {
    process.env.ONPREM_TODAY = "2026-11-29";
    try {
      const run = await runStack("staging");
      const out = run.outputs.secretRotation;
      assert.equal(out.secret, false);
      const rows = out.value as {
        id: string;
        status: string;
        ageDays: number;
        periodDays: number;
        rotatedOn: string;
      }[];
      assert.ok(!rows.some((r) => r.id === "sendgridApiKey"), "staging holds no SendGrid key");
      const root = rows.find((r) => r.id === "mailDbRootPassword")!;
      assert.deepEqual(
        [root.rotatedOn, root.ageDays, root.periodDays, root.status],
        ["2026-10-01", 59, 90, "ok"],
      );
      const cf = rows.find((r) => r.id === "cloudflareApiToken")!;
      assert.deepEqual([cf.ageDays, cf.status], [228, "ok"]);
    } finally {
      delete process.env.ONPREM_TODAY;
    }
  });
});
