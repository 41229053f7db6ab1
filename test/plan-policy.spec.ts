/**
 * The plan's policy analysis (scripts/lib/policy.ts `startPolicyAnalysis`), against a recording
 * stand-in for the pack: the stack and the config first, each custom resource as it registers
 * (even before the pack is ready), the stack as a whole last, and every way it can fail. The real
 * pack, end to end, runs in plan.spec.ts and policy-enforcement.spec.ts.
 */
import { strict as assert } from "node:assert";
import { startPolicyAnalysis, type PendingPack } from "../scripts/lib/policy";
import { type Diagnostic, PolicyConfigError, type PolicyPackAnalyzer } from "./harness/analyzer";
import { type CapturedResource, fakeResource } from "./harness/engine";

function diagnostic(policyName: string, urn: string): Diagnostic {
  return {
    policyName,
    policyPackName: "pack",
    policyPackVersion: "1.0.0",
    enforcementLevel: "mandatory",
    message: `description\nviolated by ${urn}`,
    detail: `violated by ${urn}`,
    urn,
    phase: urn === "" ? "stack" : "resource",
  };
}

/** A pack that records each call; `fail` makes one step throw. */
function recordingPack(fail?: { step: "configure" | "analyzeResource" | "analyzeStack"; error: Error }) {
  const calls: string[] = [];
  let closed = 0;
  const maybeFail = (step: string) => {
    if (fail?.step === step) {
      throw fail.error;
    }
  };
  const pack = {
    configureStack: async ({ stack }: { stack: string }) => void calls.push(`configureStack ${stack}`),
    info: async () => ({ policies: [{ name: "p1" }, { name: "p2" }] }),
    configure: async () => {
      calls.push("configure");
      maybeFail("configure");
    },
    analyzeResource: async (r: CapturedResource, byUrn: ReadonlyMap<string, CapturedResource>) => {
      const providerUrn = r.provider.slice(0, r.provider.lastIndexOf("::"));
      calls.push(`analyze ${r.name}${r.provider ? ` (provider known: ${byUrn.has(providerUrn)})` : ""}`);
      maybeFail("analyzeResource");
      return r.name === "bad" ? [diagnostic("p1", r.urn)] : [];
    },
    analyzeStack: async (resources: readonly CapturedResource[]) => {
      calls.push(`analyzeStack ${resources.length}`);
      maybeFail("analyzeStack");
      return [diagnostic("p2", "")];
    },
    close: async () => void closed++,
  };
  return { pack: pack as unknown as PolicyPackAnalyzer, calls, closed: () => closed };
}

/** A pending pack the test releases when it likes. */
function later(pack: PolicyPackAnalyzer | Error): { pending: PendingPack; release: () => void } {
  let release = () => {};
  const pending = new Promise<PolicyPackAnalyzer | Error>((resolve) => (release = () => resolve(pack)));
  return { pending, release };
}

const urn = (type: string, name: string) => `urn:pulumi:production::onprem-infra::${type}::${name}`;
const provider = fakeResource("docker", "pulumi:providers:docker", {
  urn: urn("pulumi:providers:docker", "docker"),
});
const component = fakeResource("mail", "onprem:mail:MailserverStack", {
  urn: urn("onprem:mail:MailserverStack", "mail"),
  custom: false,
});
const good = fakeResource("good", "docker:index/container:Container", {
  urn: urn("docker:index/container:Container", "good"),
  provider: `${provider.urn}::provider-id`,
});
const bad = fakeResource("bad", "docker:index/container:Container", {
  urn: urn("docker:index/container:Container", "bad"),
});

describe("the plan's policy analysis", () => {
  it("configures the pack first, analyzes each custom resource handed over, then the stack, and stops", async () => {
    const { pack, calls, closed } = recordingPack();
    const { pending, release } = later(pack);
    const analysis = startPolicyAnalysis("production", {}, pending);
    // Handed over while the pack is still starting: analyzed once it is configured.
    for (const r of [provider, component, good]) {
      analysis.resource(r);
    }
    release();
    assert.equal(await analysis.ready, undefined);
    analysis.resource(bad);
    const report = await analysis.finish([provider, component, good, bad]);
    assert.deepEqual(calls, [
      "configureStack production",
      "configure",
      "analyze docker",
      "analyze good (provider known: true)",
      "analyze bad",
      "analyzeStack 4",
    ]);
    assert.equal(report.status, "ran");
    assert.deepEqual(report.policies, ["p1", "p2"]);
    assert.deepEqual(
      report.findings.map((f) => [f.policy, f.resource]),
      [
        ["p1", "bad"],
        ["p2", undefined],
      ],
    );
    assert.equal(report.mandatory, 2);
    assert.equal(closed(), 1);
  });

  it("analyzes at the end what was never handed over, each resource once", async () => {
    const { pack, calls } = recordingPack();
    const analysis = startPolicyAnalysis("staging", {}, Promise.resolve(pack));
    // Handed over in registration order, as the engine sees them: a provider before its users.
    analysis.resource(provider);
    analysis.resource(good);
    await analysis.finish([provider, component, good, bad]);
    // The stack last, behind every resource.
    assert.equal(calls.at(-1), "analyzeStack 4");
    assert.deepEqual(calls.filter((c) => c.startsWith("analyze ")).sort(), [
      "analyze bad",
      "analyze docker",
      "analyze good (provider known: true)",
    ]);
  });

  it("reports a pack that did not start, without calling it", async () => {
    const analysis = startPolicyAnalysis("production", {}, Promise.resolve(new Error("no build\nmore")));
    analysis.resource(good);
    assert.equal((await analysis.ready)?.status, "unavailable");
    const report = await analysis.finish([good]);
    assert.equal(report.status, "unavailable");
    assert.equal(report.reason, "the policy pack did not start: no build");
    assert.deepEqual(report.findings, []);
  });

  it("reports a refused config as invalid-config, analyzes nothing and stops the pack", async () => {
    const { pack, calls, closed } = recordingPack({
      step: "configure",
      error: new PolicyConfigError('policy-pack config names an unknown policy "nope"'),
    });
    const analysis = startPolicyAnalysis("production", {}, Promise.resolve(pack));
    analysis.resource(good);
    // Known before any evaluation: the plan stops there.
    assert.equal((await analysis.ready)?.status, "invalid-config");
    const report = await analysis.finish([good]);
    assert.equal(report.status, "invalid-config");
    assert.equal(report.reason, 'policy-pack config names an unknown policy "nope"');
    assert.deepEqual(calls, ["configureStack production", "configure"]);
    assert.equal(closed(), 1);
  });

  it("reports a failed analysis as the pack not having run, and stops the pack", async () => {
    for (const step of ["analyzeResource", "analyzeStack"] as const) {
      const { pack, closed } = recordingPack({ step, error: new Error(`${step} broke\ndetail`) });
      const analysis = startPolicyAnalysis("production", {}, Promise.resolve(pack));
      analysis.resource(good);
      const report = await analysis.finish([good]);
      assert.equal(report.status, "unavailable", step);
      assert.equal(report.reason, `the policy pack did not run: ${step} broke`);
      assert.equal(closed(), 1, step);
    }
  });
});
