/**
 * The plan's policy report: the real policy pack (policy/) run over the captured resources
 * through the Analyzer gRPC service, by the policy harness `test/harness/analyzer.ts`. This module
 * only adapts that harness's diagnostics to the report the plan prints, grouped by enforcement
 * level; when the pack cannot run the report says so instead of pretending the estate passed.
 */
import {
  Diagnostic,
  EnforcementLevel,
  PolicyConfigError,
  PolicyPackAnalyzer,
  PolicyPackConfig,
} from "../../test/harness/analyzer";
import type { CapturedResource } from "../../test/harness/engine";
import type { ChildProcess } from "node:child_process";

export type { EnforcementLevel, PolicyPackConfig };
export const LEVELS: readonly EnforcementLevel[] = ["mandatory", "remediate", "advisory", "disabled"];

export interface PolicyFinding {
  policy: string;
  level: EnforcementLevel;
  message: string;
  /** The resource's name (or URN) the finding is about; absent for stack-wide findings. */
  resource?: string;
}

export interface PolicyReport {
  /**
   * `ran`: the pack ran; `unavailable`: it could not start or failed; `invalid-config`: its config
   * was refused (an unknown policy, a wrong type, a waiver without a reason), so it analyzed nothing.
   * Only `ran` can pass.
   */
  status: "ran" | "unavailable" | "invalid-config";
  /** Why the pack did not run. */
  reason?: string;
  /** The policy-pack config file it ran with, as `--policy-pack-config` names it. */
  configFile?: string;
  /** The policies the pack holds, when the harness reports them. */
  policies: string[];
  findings: PolicyFinding[];
  /** Findings by enforcement level. */
  byLevel: Record<EnforcementLevel, PolicyFinding[]>;
  /** The number of mandatory violations (the plan exits non-zero when > 0). */
  mandatory: number;
}

export function policyReport(findings: PolicyFinding[], policies: string[] = []): PolicyReport {
  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, [] as PolicyFinding[]])) as Record<
    EnforcementLevel,
    PolicyFinding[]
  >;
  for (const f of findings) {
    byLevel[f.level].push(f);
  }
  // Remediate findings still reported after analysis block a deployment like mandatory ones.
  return {
    status: "ran",
    policies,
    findings,
    byLevel,
    mandatory: byLevel.mandatory.length + byLevel.remediate.length,
  };
}

export function unavailable(
  reason: string,
  status: "unavailable" | "invalid-config" = "unavailable",
): PolicyReport {
  return { ...policyReport([]), status, reason };
}

/** A harness diagnostic as the plan reports it. */
export function toFinding(d: Diagnostic): PolicyFinding {
  const resource = d.urn === "" ? undefined : d.urn.slice(d.urn.lastIndexOf("::") + 2);
  return { policy: d.policyName, level: d.enforcementLevel, message: d.detail.trim(), resource };
}

/** A pack being started: begin it early, it runs beside the evaluation. */
export type PendingPack = Promise<PolicyPackAnalyzer | Error>;

/**
 * Connects to a policy pack process started with `spawnPolicyPack` (test/harness/pack-process.ts);
 * resolves to the error when it cannot start.
 */
export function attachPolicyPack(child: ChildProcess): PendingPack {
  return PolicyPackAnalyzer.attach(child).catch((e: unknown) =>
    e instanceof Error ? e : new Error(String(e)),
  );
}

/** Stops a pack attached with `attachPolicyPack`, whatever state it reached. */
export async function stopPolicyPack(pending: PendingPack): Promise<void> {
  const pack = await pending;
  if (!(pack instanceof Error)) {
    await pack.close().catch(() => undefined);
  }
}

/** A policy analysis under way: each resource analyzed as it registers, the stack at the end. */
export interface PolicyAnalysis {
  /**
   * Resolves once the pack is configured: to undefined, or to the report when it will not run
   * (it did not start, or refused its config: `invalid-config`, which the plan reports as a config
   * error).
   */
  ready: Promise<PolicyReport | undefined>;
  /**
   * Hands over one registration, as the engine hands each resource to the pack during a preview:
   * a custom resource is analyzed (`Analyze`) once the pack is configured, beside the evaluation.
   */
  resource(r: CapturedResource): void;
  /**
   * Analyzes what was not handed over yet and the stack (`AnalyzeStack`, sent after every
   * `Analyze`), waits for every answer and stops the pack: the report. Never throws.
   */
  finish(resources: readonly CapturedResource[]): Promise<PolicyReport>;
}

/**
 * Starts the real policy pack's analysis, as `pulumi preview --policy-pack policy
 * --policy-pack-config <file>` runs it: the stack and the config first, then each resource as it
 * registers, then the stack. A pack that cannot start (dependencies not installed, a broken pack)
 * or fails becomes an `unavailable` report, a config it refuses an `invalid-config` one.
 */
export function startPolicyAnalysis(
  stack: string,
  config: PolicyPackConfig,
  pending: PendingPack,
): PolicyAnalysis {
  type Ready = { pack: PolicyPackAnalyzer; policies: string[] } | PolicyReport;
  const ready: Promise<Ready> = (async () => {
    const pack = await pending;
    if (pack instanceof Error) {
      return unavailable(`the policy pack did not start: ${pack.message.split("\n")[0]}`);
    }
    try {
      await pack.configureStack({ stack });
      const info = await pack.info();
      await pack.configure(config);
      return { pack, policies: info.policies.map((p) => p.name) };
    } catch (e) {
      await pack.close().catch(() => undefined);
      return e instanceof PolicyConfigError
        ? unavailable(e.message, "invalid-config")
        : unavailable(`the policy pack did not run: ${(e as Error).message.split("\n")[0]}`);
    }
  })();
  const byUrn = new Map<string, CapturedResource>();
  const analyses: Promise<Diagnostic[]>[] = [];
  const resource = (r: CapturedResource): void => {
    byUrn.set(r.urn, r);
    if (!r.custom) {
      return;
    }
    const analysis = ready.then((s) => ("pack" in s ? s.pack.analyzeResource(r, byUrn) : []));
    // Awaited in finish(); until then a failure must not count as an unhandled rejection.
    analysis.catch(() => undefined);
    analyses.push(analysis);
  };
  return {
    ready: ready.then((s) => ("pack" in s ? undefined : s)),
    resource,
    async finish(resources) {
      const s = await ready;
      if (!("pack" in s)) {
        return s;
      }
      try {
        // What was not handed over is sent now, in order; `AnalyzeStack` goes behind every
        // `Analyze` on the same connection, so the pack takes it last: built and sent while the
        // pack still works through those, not after their answers.
        for (const r of resources.filter((x) => !byUrn.has(x.urn))) {
          byUrn.set(r.urn, r);
          if (r.custom) {
            analyses.push(s.pack.analyzeResource(r, byUrn));
          }
        }
        const [perResource, stack] = await Promise.all([
          Promise.all(analyses),
          s.pack.analyzeStack(resources),
        ]);
        const diagnostics = [...perResource.flat(), ...stack];
        const findings = diagnostics
          .map(toFinding)
          .sort(
            (a, b) => a.policy.localeCompare(b.policy) || (a.resource ?? "").localeCompare(b.resource ?? ""),
          );
        return policyReport(findings, s.policies);
      } catch (e) {
        return unavailable(`the policy pack did not run: ${(e as Error).message.split("\n")[0]}`);
      } finally {
        await s.pack.close().catch(() => undefined);
      }
    },
  };
}
