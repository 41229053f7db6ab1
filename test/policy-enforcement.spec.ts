/**
 * The policy pack enforced the way `pulumi preview --policy-pack policy` enforces it: each stack's
 * full registration under the mock engine, sent through the Analyzer gRPC protocol to the pack
 * running as the CLI runs it. Any mandatory diagnostic fails the stack.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CapturedResource } from "./harness/engine";
import {
  analyzeStack,
  Diagnostic,
  formatDiagnostics,
  mandatory,
  PolicyPackAnalyzer,
  PolicyPackConfig,
  POLICY_DIR,
} from "./harness/analyzer";
import { runStack, STACKS, StackName } from "./harness/stack";

/** Production runs with the example config (30-day Object Lock retention): it must stay valid. */
const CONFIG: Record<StackName, PolicyPackConfig> = {
  production: JSON.parse(
    fs.readFileSync(path.join(POLICY_DIR, "policy-config.example.json"), "utf8"),
  ) as PolicyPackConfig,
  staging: {},
};

const captured = new Map<StackName, CapturedResource[]>();

async function resourcesOf(stack: StackName): Promise<CapturedResource[]> {
  let resources = captured.get(stack);
  if (!resources) {
    resources = (await runStack(stack)).capture.resources;
    captured.set(stack, resources);
  }
  return resources;
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

  describe("a program broken on purpose", () => {
    let diagnostics: Diagnostic[];
    let brokenContainer: CapturedResource;
    let untagged: { urn: string; expected: string };

    before(async () => {
      const resources = copy(await resourcesOf("production"));
      brokenContainer = resources.find((r) => r.type === "docker:index/container:Container")!;
      assert.ok(brokenContainer, "production has no container");
      brokenContainer.wire.image = "nginx:latest";

      const awsProvider = resources.find(
        (r) => r.type === "pulumi:providers:aws" && typeof r.wire.defaultTags === "string",
      );
      if (awsProvider) {
        // The provider's object inputs are JSON text on the wire; drop Owner from its defaults.
        const defaults = JSON.parse(awsProvider.wire.defaultTags as string) as {
          tags: Record<string, string>;
        };
        delete defaults.tags.Owner;
        awsProvider.wire.defaultTags = JSON.stringify(defaults);
        const tagged = resources.find(
          (r) => r.type === "aws:s3/bucket:Bucket" && r.provider.startsWith(`${awsProvider.urn}::`),
        );
        assert.ok(tagged, "no bucket uses the AWS provider");
        const own = (tagged.wire.tags ?? {}) as Record<string, unknown>;
        assert.equal(
          own.Owner,
          undefined,
          "the bucket sets Owner itself, so the provider's default does not matter",
        );
        untagged = { urn: tagged.urn, expected: "aws-common-tags" };
      } else {
        const network = resources.find((r) => r.type === "docker:index/network:Network")!;
        network.wire.labels = (network.wire.labels as { label: string }[]).filter(
          (l) => l.label !== "org.onprem-infra.owner",
        );
        untagged = { urn: network.urn, expected: "docker-common-labels" };
      }
      diagnostics = await analyzeStack("production", resources, CONFIG.production, pack);
    });

    it("fails with exactly the policies it broke", () => {
      const names = [...new Set(mandatory(diagnostics).map((d) => d.policyName))].sort();
      assert.deepEqual(
        names,
        ["pinned-images", untagged.expected].sort(),
        formatDiagnostics(mandatory(diagnostics)),
      );
    });

    it("names the broken container and the untagged resource", () => {
      const latest = mandatory(diagnostics).filter((d) => d.policyName === "pinned-images");
      assert.deepEqual(
        latest.map((d) => d.urn),
        [brokenContainer.urn],
      );
      assert.match(latest[0].detail, /floating tag "latest"/);
      const tags = mandatory(diagnostics).filter((d) => d.policyName === untagged.expected);
      assert.ok(
        tags.some((d) => d.urn === untagged.urn && /Owner|owner/.test(d.detail)),
        formatDiagnostics(tags),
      );
    });

    it("a waiver with a reason lifts exactly the waived violation", async () => {
      const resources = copy(await resourcesOf("production"));
      const container = resources.find((r) => r.urn === brokenContainer.urn)!;
      container.wire.image = "nginx:latest";
      const waived = await analyzeStack(
        "production",
        resources,
        {
          "pinned-images": { waivers: [{ resource: container.name, reason: "test: upstream has no tags" }] },
        },
        pack,
      );
      assert.deepEqual(
        mandatory(waived).map((d) => d.policyName),
        [],
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
