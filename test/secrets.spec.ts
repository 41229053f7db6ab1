/**
 * Secrets: the inventory, generated values with rotation keepers, rotations that reach exactly
 * their consumers, the rotation report, and no secret value in plain text anywhere.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { GeneratedSecrets, rotationKeepers } from "../components/secrets/GeneratedSecrets";
import {
  inventoryFor,
  SECRET_INVENTORY,
  siteAdminSecretSpec,
  siteSecretSpec,
} from "../components/secrets/inventory";
import { rotationReport, rotationStatus } from "../components/secrets/rotation";
import { rotationProblems, rotationStamps } from "../components/secrets/schema";
import { capture, CapturedResource } from "./harness/engine";
import { isSecureNode } from "./harness/cli-config";
import {
  cloneValues,
  readStackValues,
  ROOT,
  runStack,
  runtimeConfig,
  SECRET_PLACEHOLDERS,
  secretsFor,
  StackRun,
  STACKS,
  unsetSecrets,
} from "./harness/stack";
import { RANDOM_PASSWORD } from "./harness/types";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The passwords and key taken over from the running estate, which every stack holds, in the inventory's order. */
const TAKEN_OVER = [
  "mailDbRootPassword",
  "mailDbAppPassword",
  "usermgmtDbPassword",
  "mailApiKey",
  "blogDbRootPassword",
  "blogDbWordpressPassword",
];
const TAKEN_OVER_KEYS = TAKEN_OVER.map((id) => `onprem-infra:${id}`);

describe("secrets inventory", () => {
  it("holds every secret of the estate with its source and period", () => {
    const table = Object.fromEntries(SECRET_INVENTORY.map((s) => [s.id, `${s.source}/${s.periodDays}`]));
    assert.deepEqual(table, {
      mailDbRootPassword: "external/90",
      mailDbAppPassword: "external/90",
      usermgmtDbPassword: "external/90",
      usermgmtSecretKey: "generated/90",
      roundcubeDesKey: "generated/365",
      mailApiKey: "external/365",
      blogDbRootPassword: "external/90",
      blogDbWordpressPassword: "external/90",
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
    assert.deepEqual(siteAdminSecretSpec("blog1"), {
      id: "siteAdminPassword.blog1",
      description:
        "WordPress site blog1: its administrator's password (read it with pulumi stack output --show-secrets siteAdminPasswords)",
      usedBy: ["blog/wordpress (wp core install)"],
      source: "generated",
      periodDays: 90,
      length: 32,
    });
    assert.deepEqual(
      inventoryFor(["a", "b"])
        .map((s) => s.id)
        .slice(SECRET_INVENTORY.length),
      ["siteDbPassword.a", "siteAdminPassword.a", "siteDbPassword.b", "siteAdminPassword.b"],
    );
  });

  it("is the table docs/secrets.md shows: every secret once, its source and period", () => {
    const text = fs.readFileSync(path.join(ROOT, "docs", "secrets.md"), "utf8");
    const section = text.slice(
      text.indexOf("## Every secret of the estate"),
      text.indexOf("## Where secrets live"),
    );
    const rows = [...section.matchAll(/^\| `([^`]+)`[^|]*\|[^|]*\| ([^|]+) \| (\d+) \|$/gm)].map(
      ([, id, source, period]) =>
        `${id} ${source.startsWith("generated") ? "generated" : "external"}${source.includes("taken over") ? " taken-over" : ""} ${period}`,
    );
    const documented = inventoryFor(["<site>"]).map(
      (s) => `${s.id} ${s.source}${s.takenOverPassword ? " taken-over" : ""} ${s.periodDays}`,
    );
    assert.deepEqual(rows.sort(), documented.sort());
  });

  it("takes each site's own stamp", () => {
    const stamps = rotationStamps(
      {
        ...Object.fromEntries(SECRET_INVENTORY.map((s) => [s.id, "2026-01-01"])),
        siteDbPasswords: { a: "2026-02-01", b: "2026-03-01" },
      } as never,
      ["a", "b"],
    );
    assert.equal(stamps["siteDbPassword.a"], "2026-02-01");
    assert.equal(stamps["siteDbPassword.b"], "2026-03-01");
  });
});

describe("rotation stamps are checked (rotationProblems)", () => {
  const fixed = Object.fromEntries(
    SECRET_INVENTORY.filter((s) => !("heldWhen" in s)).map((s) => [s.id, "2026-10-01"]),
  );
  const rotations = (over: Record<string, unknown> = {}) =>
    ({ ...fixed, sendgridApiKey: "2026-04-15", siteDbPasswords: { a: "2026-10-01" }, ...over }) as never;
  const ctx = { sites: ["a"], heldSecrets: ["sendgridApiKey", "cloudflareApiToken"], today: "2026-12-02" };
  const lines = (found: { path: (string | number)[]; message: string }[]) =>
    found.map((p) => `${p.path.join(".")}: ${p.message}`);

  it("accepts stamps up to today, one per site and per secret held", () => {
    assert.deepEqual(rotationProblems(rotations({ mailApiKey: "2026-12-02" }), ctx), []);
  });

  it("refuses a stamp in the future, naming it", () => {
    assert.deepEqual(
      lines(
        rotationProblems(rotations({ mailApiKey: "2026-12-03", siteDbPasswords: { a: "2027-01-01" } }), ctx),
      ),
      [
        "rotations.mailApiKey: 2026-12-03 is in the future (today is 2026-12-02)",
        "rotations.siteDbPasswords.a: 2027-01-01 is in the future (today is 2026-12-02)",
      ],
    );
  });

  it("refuses a stamp naming no site, the old shared default, and a site without its own stamp", () => {
    assert.deepEqual(
      lines(
        rotationProblems(rotations({ siteDbPasswords: { default: "2026-10-01", typo: "2026-10-01" } }), {
          ...ctx,
          sites: ["a", "b"],
        }),
      ),
      [
        "rotations.siteDbPasswords.default: is no longer used: each site has its own stamp, the day its password was made",
        "rotations.siteDbPasswords.typo: names no new WordPress site of onprem-infra:blog.sites (a, b); taken-over sites and other kinds have no generated password: remove it or correct the name",
        "rotations.siteDbPasswords.a: is required: the day site a's database and administrator passwords were made; for a site added now, today (2026-12-02)",
        "rotations.siteDbPasswords.b: is required: the day site b's database and administrator passwords were made; for a site added now, today (2026-12-02)",
      ],
    );
  });

  it("requires the stamp of a secret the stack holds, and refuses one it does not hold", () => {
    assert.deepEqual(lines(rotationProblems(rotations({ sendgridApiKey: undefined }), ctx)), [
      "rotations.sendgridApiKey: is required: this stack holds onprem-infra:sendgridApiKey",
    ]);
    assert.deepEqual(lines(rotationProblems(rotations(), { ...ctx, heldSecrets: ["cloudflareApiToken"] })), [
      "rotations.sendgridApiKey: names a secret this stack does not hold (only stacks whose mail relay authenticates (mail.relay.authenticated: true) hold onprem-infra:sendgridApiKey); remove it",
    ]);
    assert.deepEqual(
      rotationProblems(rotations(), {
        ...ctx,
        heldSecrets: ["cloudflareApiToken"],
        undecidedSecrets: ["sendgridApiKey"],
      }),
      [],
    );
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
    stamps["siteAdminPassword.blog1"] = "2026-09-01";
    const cap = await capture(() => new GeneratedSecrets("s", { rotations: stamps, sites: ["blog1"] }));
    const passwords = cap.ofType(RANDOM_PASSWORD);
    assert.deepEqual(
      passwords.map((p) => p.name),
      [
        "s-usermgmtSecretKey",
        "s-roundcubeDesKey",
        "s-tunnelSecret",
        "s-siteDbPassword-blog1",
        "s-siteAdminPassword-blog1",
      ],
    );
    const des = cap.get("s-roundcubeDesKey");
    assert.equal(des.inputs.length, 24);
    assert.deepEqual(des.inputs.keepers, { rotatedOn: "2026-10-01", rotationPeriodDays: "365" });
    for (const id of ["siteDbPassword", "siteAdminPassword"]) {
      assert.deepEqual(cap.get(`s-${id}-blog1`).inputs.keepers, {
        rotatedOn: "2026-09-01",
        rotationPeriodDays: "90",
      });
    }
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

  it("the taken-over passwords and key: a stamp alone changes nothing (it records when the value was set)", async () => {
    for (const id of TAKEN_OVER) {
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

  it("the mail API key, set anew: mailserver-api and the Email Worker's secret binding", async () => {
    assert.deepEqual(await setSecret("mailApiKey"), ["mail-mailserver-api", "tunnel-inbound-mail-worker"]);
  });

  it("the blog root password: root's change and the blog database container", async () => {
    assert.deepEqual(await setSecret("blogDbRootPassword"), ["blog-db-root", "blog-mariadb"]);
  });

  it("the shared wordpress password: its in-database change and WordPress", async () => {
    assert.deepEqual(await setSecret("blogDbWordpressPassword"), ["blog-db-shared-user", "blog-wordpress"]);
  });

  /** Production's values with one new WordPress site, stamped `stamp`. */
  function withNewSite(stamp: string | undefined) {
    const values = cloneValues(readStackValues("production"));
    const blog = values["onprem-infra:blog"] as { sites: Record<string, unknown>[] };
    blog.sites.push({
      kind: "wordpress",
      name: "kuma8088-photo",
      domain: "photo.kuma8088.com",
      documentRoot: "kuma8088-photo",
      database: "wp_kuma8088_photo",
      install: { title: "Photos", adminUser: "kuma8088", adminEmail: "admin@kuma8088.com" },
    });
    const rotations = values["onprem-infra:rotations"] as { siteDbPasswords: Record<string, string> };
    if (stamp !== undefined) {
      rotations.siteDbPasswords["kuma8088-photo"] = stamp;
    }
    return values;
  }

  it("a new site's stamp: its two secrets, its user, its installation and WordPress", async () => {
    const before = await runStack("production", withNewSite("2026-11-28"));
    const after = await runStack("production", withNewSite("2026-11-29"));
    // nginx keeps the site: the installation ends installed again, so its file is the same.
    assert.deepEqual(changedNames(before, after), [
      "blog-site-kuma8088-photo-db",
      "blog-site-kuma8088-photo-install",
      "blog-wordpress",
      "secrets-siteAdminPassword-kuma8088-photo",
      "secrets-siteDbPassword-kuma8088-photo",
    ]);
  });

  it("a new site's passwords are stamped with the day it was added, and reported so", async () => {
    const run = await runStack("production", withNewSite("2026-11-30"));
    for (const id of ["siteDbPassword", "siteAdminPassword"]) {
      assert.deepEqual(run.capture.get(`secrets-${id}-kuma8088-photo`).inputs.keepers, {
        rotatedOn: "2026-11-30",
        rotationPeriodDays: "90",
      });
      const report = run.outputs.secretRotation.value as { id: string; rotatedOn: string }[];
      assert.equal(report.find((r) => r.id === `${id}.kuma8088-photo`)?.rotatedOn, "2026-11-30");
    }
    assert.equal(run.outputs.siteAdminPasswords.secret, true);
    // Without its own stamp the site is refused, not given an older one.
    await assert.rejects(
      runStack("production", withNewSite(undefined)),
      /onprem-infra:rotations\.siteDbPasswords\.kuma8088-photo: is required: the day site kuma8088-photo's database and administrator passwords were made/,
    );
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

/** Keys whose values are secrets by their name (rotation stamps, which are dates, aside). */
const SECRET_NAME = /pass(word|phrase)|secret|token|api_?key|private_?key|credential/i;

/**
 * Every value of a stack file that is a secret but not encrypted: the registry's external
 * secrets, and any key named like a secret, at any depth (`onprem-infra:rotations` holds only
 * dates, named after the secrets).
 */
function plainTextSecrets(doc: { config?: Record<string, unknown> }, registry: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (where: string, value: unknown, named: boolean): void => {
    if (isSecureNode(value)) {
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(`${where}[${i}]`, v, named));
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        walk(`${where}.${k}`, v, named || SECRET_NAME.test(k));
      }
    } else if (named && value !== undefined && value !== null && value !== "") {
      found.push(where);
    }
  };
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (key === "onprem-infra:rotations") {
      continue;
    }
    walk(key, value, registry.includes(key) || SECRET_NAME.test(key.split(":")[1] ?? key));
  }
  return found;
}

describe("secrets in the stack files (docs/secrets.md)", () => {
  const stackFiles = fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
  const registry = Object.keys(SECRET_PLACEHOLDERS);

  it("there is one stack file per stack", () => {
    assert.deepEqual(stackFiles.sort(), STACKS.map((s) => `Pulumi.${s}.yaml`).sort());
  });

  for (const file of stackFiles) {
    it(`${file} holds no secret in plain text: only secure: ciphertext from pulumi config set --secret`, () => {
      const doc = parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as {
        config?: Record<string, unknown>;
      };
      assert.deepEqual(plainTextSecrets(doc, registry), []);
    });

    it(`${file} names no passphrase salt or KMS key: its secrets provider is Pulumi Cloud's, as CI's token decrypts`, () => {
      const doc = parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as Record<string, unknown>;
      for (const key of ["encryptionsalt", "secretsprovider", "encryptedkey"]) {
        assert.equal(
          doc[key],
          undefined,
          `${file}: ${key} belongs to another secrets provider (docs/secrets.md)`,
        );
      }
    });
  }

  it("the scan catches a secret in plain text, at the top or nested, and passes ciphertext", () => {
    const doc = {
      config: {
        "onprem-infra:cloudflareApiToken": "cf-in-plain-text",
        "onprem-infra:sendgridApiKey": { secure: "v1:abc" },
        "onprem-infra:mail": {
          relay: { host: "h", password: "hunter2" },
          db: { rootPassword: { secure: "v1:x" } },
        },
        "aws:secretKey": "AKIA…",
        "onprem-infra:rotations": { cloudflareApiToken: "2026-04-15" },
      },
    };
    assert.deepEqual(plainTextSecrets(doc, registry), [
      "onprem-infra:cloudflareApiToken",
      "onprem-infra:mail.relay.password",
      "aws:secretKey",
    ]);
  });

  it("a secret set with --secret reaches the program as a secret, with a placeholder (nothing decrypts offline)", async () => {
    const values = cloneValues(readStackValues("production"));
    values["onprem-infra:cloudflareApiToken"] = { secure: "v1:ciphertext-of-the-cloudflare-token" };
    values["onprem-infra:sendgridApiKey"] = { secure: "v1:ciphertext-of-the-sendgrid-key" };
    for (const key of TAKEN_OVER) {
      values[`onprem-infra:${key}`] = { secure: `v1:ciphertext-of-${key}` };
    }
    assert.deepEqual(unsetSecrets(values), []);
    assert.deepEqual(unsetSecrets(readStackValues("production")), [
      ...TAKEN_OVER_KEYS,
      "onprem-infra:sendgridApiKey",
      "onprem-infra:cloudflareApiToken",
    ]);
    // Even with no placeholders handed in, the encrypted values arrive as secrets.
    const config = runtimeConfig(values, {});
    assert.equal(
      config.values["onprem-infra:cloudflareApiToken"],
      SECRET_PLACEHOLDERS["onprem-infra:cloudflareApiToken"],
    );
    assert.ok(config.secretKeys.has("onprem-infra:cloudflareApiToken"));
    assert.ok(config.secretKeys.has("onprem-infra:sendgridApiKey"));
    assert.ok(!config.secretKeys.has("onprem-infra:mail"));
    const run = await runStack("production", values, {});
    const provider = run.capture.get("cloudflare", "pulumi:providers:cloudflare");
    assert.equal(provider.inputs.apiToken, SECRET_PLACEHOLDERS["onprem-infra:cloudflareApiToken"]);
    assert.ok(provider.secretPaths.includes("apiToken"), "the token is a secret input");
  });

  it("placeholders stand only for secrets the stack's own config says it holds", () => {
    const everyStack = [...TAKEN_OVER_KEYS, "onprem-infra:cloudflareApiToken"];
    assert.deepEqual(Object.keys(secretsFor("staging")), everyStack);
    const values = cloneValues(readStackValues("production"));
    (values["onprem-infra:mail"] as { relay: { authenticated: boolean } }).relay.authenticated = false;
    assert.deepEqual(Object.keys(secretsFor("production", values)), everyStack);
    assert.deepEqual(Object.keys(secretsFor("production")), [
      ...TAKEN_OVER_KEYS,
      "onprem-infra:sendgridApiKey",
      "onprem-infra:cloudflareApiToken",
    ]);
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
