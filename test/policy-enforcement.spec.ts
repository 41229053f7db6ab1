/**
 * The policy pack enforced the way `pulumi preview --policy-pack policy` enforces it: each stack's
 * full registration under the mock engine, sent through the Analyzer gRPC protocol to the pack
 * running as the CLI runs it. Any mandatory diagnostic fails the stack.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { isTaggable } from "./backup-support";
import { CapturedResource } from "./harness/engine";
import {
  analyzeStack,
  Diagnostic,
  formatDiagnostics,
  mandatory,
  PolicyConfigError,
  PolicyPackAnalyzer,
  PolicyPackConfig,
  POLICY_DIR,
} from "./harness/analyzer";
import { policyConfigFile } from "./harness/constants";
import { cloneValues, readStackValues, ROOT, runStack, STACKS, StackName } from "./harness/stack";

function readPolicyConfig(file: string): PolicyPackConfig {
  return JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as PolicyPackConfig;
}

/**
 * Each stack runs with its own committed pack config (`policy/config/<stack>.json`), as CI,
 * `npm run plan` and the README's commands pass it: production asks for the 30-day Object Lock.
 */
const CONFIG = Object.fromEntries(STACKS.map((s) => [s, readPolicyConfig(policyConfigFile(s))])) as Record<
  StackName,
  PolicyPackConfig
>;

/**
 * Every documented `pulumi preview`/`pulumi up` that runs the pack (README.md, docs/*.md): its
 * stack (`<s>` for a placeholder) and the pack config it passes, if any. Commands are read per
 * line in code blocks and per inline code span (joined when wrapped) in prose.
 */
function documentedPackCommands(): { file: string; command: string; stack?: string; config?: string }[] {
  const files = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => path.join("docs", f))];
  const found: { file: string; command: string; stack?: string; config?: string }[] = [];
  for (const file of files.filter((f) => f.endsWith(".md"))) {
    const parts = fs.readFileSync(path.join(ROOT, file), "utf8").split("```");
    const lines = parts.flatMap((part, i) =>
      i % 2 === 1 ? part.split("\n") : [...part.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s+/g, " ")),
    );
    for (const line of lines) {
      for (const piece of line.split(/&&|;/)) {
        const m = /pulumi (preview|up)\b.*--policy-pack policy\b.*/.exec(piece);
        if (m) {
          found.push({
            file,
            command: m[0].trim(),
            stack: /--stack (\S+)/.exec(m[0])?.[1],
            config: /--policy-pack-config (\S+)/.exec(m[0])?.[1],
          });
        }
      }
    }
  }
  return found;
}

const captured = new Map<StackName, CapturedResource[]>();

async function resourcesOf(stack: StackName): Promise<CapturedResource[]> {
  let resources = captured.get(stack);
  if (!resources) {
    resources = (await runStack(stack)).capture.resources;
    captured.set(stack, resources);
  }
  return resources;
}

let hardenedProduction: CapturedResource[] | undefined;

/** Production with its backups switched to phase harden (the committed file adopts them). */
async function hardenedResources(): Promise<CapturedResource[]> {
  if (!hardenedProduction) {
    const values = cloneValues(readStackValues("production"));
    (values["onprem-infra:backup"] as Record<string, unknown>).phase = "harden";
    hardenedProduction = (await runStack("production", values)).capture.resources;
  }
  return hardenedProduction;
}

/** A deep copy, so a test can break it without touching the captured stack. */
function copy(resources: readonly CapturedResource[]): CapturedResource[] {
  return structuredClone(resources) as CapturedResource[];
}

describe("policy pack enforcement (Analyzer gRPC, as the engine runs it)", function () {
  this.timeout(120_000);
  let pack: PolicyPackAnalyzer;

  before(async () => {
    pack = await PolicyPackAnalyzer.start();
  });

  after(async () => {
    await pack?.close();
  });

  it("serves every policy with a description, an explicit level and config defaults", async () => {
    const info = await pack.info();
    assert.equal(info.name, "onprem-infra-policy");
    assert.ok(info.supportsConfig);
    assert.ok(info.policies.length >= 20, `only ${info.policies.length} policies`);
    for (const p of info.policies) {
      assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
      assert.ok(p.description.length > 20, p.name);
      assert.ok(["advisory", "mandatory"].includes(p.enforcementLevel), p.name);
      assert.ok(p.configSchema.properties.waivers, `${p.name} takes waivers`);
    }
  });

  it("accepts the example config, waiver and all, and production's config keeps the 30-day lock", async () => {
    const example = readPolicyConfig("policy/config/example.json");
    const diagnostics = await analyzeStack("production", await resourcesOf("production"), example, pack);
    assert.deepEqual(mandatory(diagnostics), []);
    assert.deepEqual(CONFIG.production["backup-bucket-safety"], { minRetentionDays: 30 });
    assert.deepEqual(CONFIG.staging["backup-bucket-safety"], { minRetentionDays: 1 });
  });

  it("policy/config holds one config per stack, and the example", () => {
    assert.deepEqual(
      fs.readdirSync(path.join(POLICY_DIR, "config")).sort(),
      [...STACKS.map((s) => `${s}.json`), "example.json"].sort(),
    );
  });

  it("every documented command that runs the pack passes its stack's own config", () => {
    const commands = documentedPackCommands().filter((c) => c.stack !== undefined);
    assert.ok(commands.length >= 6, `only ${commands.length} documented commands`);
    for (const c of commands) {
      const expected =
        c.stack === "<s>" || c.stack === "<stack>"
          ? `policy/config/${c.stack}.json`
          : policyConfigFile(c.stack as StackName);
      assert.equal(c.config, expected, `${c.file}: ${c.command}`);
    }
  });

  it("production's config refuses a retention staging's accepts", async () => {
    const resources = copy(await hardenedResources());
    const lock = resources.find(
      (r) => r.type === "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    );
    assert.ok(lock, "production has an Object Lock configuration");
    const rule = lock.wire.rule as { defaultRetention: { days: number } };
    rule.defaultRetention.days = 7;
    const names = async (stack: StackName) =>
      mandatory(await analyzeStack("production", resources, CONFIG[stack], pack)).map((d) => d.policyName);
    assert.deepEqual(await names("production"), ["backup-bucket-safety"]);
    assert.deepEqual(await names("staging"), []);
  });

  it("a config the CLI (or, stricter, this harness) refuses never reaches the pack", async () => {
    const refused: [PolicyPackConfig, RegExp][] = [
      [{ "pinned-imagez": "disabled" }, /names an unknown policy "pinned-imagez"/],
      [{ "backup-bucket-safety": { minRetentionDays: "30" } }, /minRetentionDays" must be of type "integer"/],
      [
        { "pinned-images": { waivers: [{ resource: "mail-nginx" }] } },
        /waivers\[0\] needs a resource and a reason/,
      ],
      [{ "pinned-images": "strict" as never }, /invalid enforcement level "strict"/],
      [{ "pinned-images": 3 as never }, /3 is not a valid value; must be a string or object/],
    ];
    for (const [config, message] of refused) {
      await assert.rejects(
        pack.configure(config),
        (e: unknown) => e instanceof PolicyConfigError && message.test(e.message),
      );
    }
  });

  for (const stack of STACKS) {
    it(`${stack}: no mandatory violation over the whole stack`, async () => {
      const resources = await resourcesOf(stack);
      assert.ok(
        resources.some((r) => r.custom),
        "the stack registered no resources",
      );
      const started = Date.now();
      const diagnostics = await analyzeStack(stack, resources, CONFIG[stack], pack);
      if (process.env.POLICY_SUMMARY) {
        console.log(`    ${stack}: ${resources.length} resources analyzed in ${Date.now() - started} ms`);
      }
      const blocking = mandatory(diagnostics);
      assert.equal(blocking.length, 0, `mandatory violations in ${stack}:\n${formatDiagnostics(blocking)}`);
      const advisory = diagnostics.filter((d) => d.enforcementLevel === "advisory");
      if (advisory.length > 0 && process.env.POLICY_SUMMARY) {
        console.log(`    ${stack}: ${advisory.length} advisory diagnostics\n${formatDiagnostics(advisory)}`);
      }
    });
  }

  it("production in phase adopt: hardening pending, said as advice, never blocking", async () => {
    const diagnostics = await analyzeStack(
      "production",
      await resourcesOf("production"),
      CONFIG.production,
      pack,
    );
    assert.deepEqual(mandatory(diagnostics), []);
    const pending = diagnostics.filter((d) => d.policyName === "backup-hardening-pending");
    assert.deepEqual(
      pending.map((d) => d.urn.split("::").pop()).sort(),
      [
        "aws",
        "aws-billing",
        "backup-alerts",
        "backup-bucket",
        "backup-charges-critical",
        "backup-charges-warning",
      ],
      formatDiagnostics(pending),
    );
    for (const d of pending) {
      assert.equal(d.enforcementLevel, "advisory");
      assert.match(d.detail, /^hardening pending \(phase adopt\): /);
    }
  });

  it("production in phase harden: nothing pending, every hardening policy enforced and met", async () => {
    const diagnostics = await analyzeStack("production", await hardenedResources(), CONFIG.production, pack);
    assert.deepEqual(mandatory(diagnostics), [], formatDiagnostics(mandatory(diagnostics)));
    assert.deepEqual(
      diagnostics.filter((d) => d.policyName.startsWith("backup-")),
      [],
    );
  });

  it("phase adopt with a resource Terraform never made is blocked by backup-adoption-scope", async () => {
    const resources = copy(await resourcesOf("production"));
    const bucket = resources.find((r) => r.name === "backup-bucket")!;
    resources.push({
      ...structuredClone(bucket),
      type: "aws:s3/bucketVersioning:BucketVersioning",
      name: "backup-versioning",
      urn: bucket.urn.replace(
        "aws:s3/bucket:Bucket::backup-bucket",
        "aws:s3/bucketVersioning:BucketVersioning::backup-versioning",
      ),
      wire: { bucket: bucket.wire.bucket, versioningConfiguration: { status: "Enabled" } },
      inputs: { bucket: bucket.inputs.bucket, versioningConfiguration: { status: "Enabled" } },
    });
    const blocking = mandatory(await analyzeStack("production", resources, CONFIG.production, pack));
    assert.deepEqual(
      blocking.map((d) => [d.policyName, d.urn.split("::").pop()]),
      [["backup-adoption-scope", "backup-versioning"]],
      formatDiagnostics(blocking),
    );
  });

  describe("a program broken on purpose", () => {
    let diagnostics: Diagnostic[];
    let brokenContainer: CapturedResource;
    let untagged: string[];

    before(async () => {
      const resources = copy(await hardenedResources());
      brokenContainer = resources.find((r) => r.type === "docker:index/container:Container")!;
      assert.ok(brokenContainer, "production has no container");
      brokenContainer.wire.image = "nginx:latest";

      // Owner dropped from every AWS provider's default tags (object inputs are JSON text on the wire).
      const providers = resources.filter((r) => r.type === "pulumi:providers:aws");
      assert.ok(providers.length > 0, "production has no AWS provider");
      for (const provider of providers) {
        const defaults = JSON.parse(provider.wire.defaultTags as string) as { tags: Record<string, string> };
        assert.ok(defaults.tags.Owner, `${provider.name} has no Owner default tag to drop`);
        delete defaults.tags.Owner;
        provider.wire.defaultTags = JSON.stringify(defaults);
      }
      // Every resource that takes tags (by the AWS SDK's own argument types) and sets no Owner itself.
      untagged = resources
        .filter(
          (r) =>
            r.custom &&
            r.type.startsWith("aws:") &&
            isTaggable(r.type) &&
            ((r.wire.tags ?? {}) as Record<string, unknown>).Owner === undefined,
        )
        .map((r) => r.urn)
        .sort();
      assert.ok(untagged.length >= 8, `only ${untagged.length} taggable AWS resources`);
      diagnostics = await analyzeStack("production", resources, CONFIG.production, pack);
    });

    it("fails with exactly the policies it broke", () => {
      const names = [...new Set(mandatory(diagnostics).map((d) => d.policyName))].sort();
      assert.deepEqual(
        names,
        ["aws-common-tags", "pinned-images"],
        formatDiagnostics(mandatory(diagnostics)),
      );
    });

    it("names the broken container, and every taggable AWS resource of the program (and nothing else)", () => {
      const latest = mandatory(diagnostics).filter((d) => d.policyName === "pinned-images");
      assert.deepEqual(
        latest.map((d) => d.urn),
        [brokenContainer.urn],
      );
      assert.match(latest[0].detail, /floating tag "latest"/);
      const tags = mandatory(diagnostics).filter((d) => d.policyName === "aws-common-tags");
      assert.deepEqual(tags.map((d) => d.urn).sort(), untagged, formatDiagnostics(tags));
      for (const d of tags) {
        assert.match(d.detail, /missing or empty: Owner/, d.urn);
      }
    });

    it("a waiver with a reason lifts exactly the waived violation", async () => {
      // Two containers on `latest` and their provider: enough for a resource policy, and quick.
      const all = copy(await resourcesOf("production"));
      const containers = all.filter((r) => r.type === "docker:index/container:Container").slice(0, 2);
      assert.equal(containers.length, 2);
      const providerUrns = new Set(containers.map((c) => c.provider.slice(0, c.provider.lastIndexOf("::"))));
      for (const c of containers) {
        c.wire.image = "nginx:latest";
      }
      const [waivedOne, other] = containers;
      const waived = await analyzeStack(
        "production",
        [...all.filter((r) => providerUrns.has(r.urn)), ...containers],
        {
          "pinned-images": { waivers: [{ resource: waivedOne.name, reason: "test: upstream has no tags" }] },
        },
        pack,
      );
      assert.deepEqual(
        mandatory(waived).map((d) => [d.policyName, d.urn]),
        [["pinned-images", other.urn]],
      );
    });

    it("the CLI-style config check refuses a waiver without a reason", async () => {
      await assert.rejects(
        analyzeStack(
          "production",
          [],
          { "pinned-images": { waivers: [{ resource: "x", reason: "" }] } },
          pack,
        ),
        /waivers\[0\] needs a resource and a reason/,
      );
    });
  });
});
