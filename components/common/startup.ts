/**
 * Health checks and start order: how a service proves it is up, how long the provider waits for
 * it, and in which waves a set of services comes up. Pure functions, no resources.
 */
import { goDuration } from "./units";

/** A health check in seconds; missing timings take the design document's §2.4 defaults. */
export interface HealthCheckSpec {
  /** Docker's test array, e.g. `["CMD", "redis-cli", "ping"]` or `["CMD-SHELL", "..."]`. */
  test: string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  startPeriodSeconds?: number;
}

/** Seed §2.4: interval 30s, timeout 10s, retries 3, start period 40s. */
export const HEALTHCHECK_DEFAULTS = {
  intervalSeconds: 30,
  timeoutSeconds: 10,
  retries: 3,
  startPeriodSeconds: 40,
} as const;

/** A health check with every timing filled in. */
export type ResolvedHealthCheck = Required<HealthCheckSpec>;

export function resolveHealthCheck(spec: HealthCheckSpec): ResolvedHealthCheck {
  return {
    test: spec.test,
    intervalSeconds: spec.intervalSeconds ?? HEALTHCHECK_DEFAULTS.intervalSeconds,
    timeoutSeconds: spec.timeoutSeconds ?? HEALTHCHECK_DEFAULTS.timeoutSeconds,
    retries: spec.retries ?? HEALTHCHECK_DEFAULTS.retries,
    startPeriodSeconds: spec.startPeriodSeconds ?? HEALTHCHECK_DEFAULTS.startPeriodSeconds,
  };
}

/** The provider's `healthcheck` block, durations written as the provider reads them back. */
export function renderHealthCheck(spec: HealthCheckSpec): {
  tests: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
} {
  const hc = resolveHealthCheck(spec);
  return {
    tests: hc.test,
    interval: goDuration(hc.intervalSeconds),
    timeout: goDuration(hc.timeoutSeconds),
    retries: hc.retries,
    startPeriod: goDuration(hc.startPeriodSeconds),
  };
}

/**
 * How long (seconds) the provider waits for a new container to become healthy: the whole start
 * period plus every allowed failing check and one more, so a slow but healthy service is never
 * cut short and a broken one fails the update in bounded time.
 */
export function waitTimeoutSeconds(spec: HealthCheckSpec): number {
  const hc = resolveHealthCheck(spec);
  return hc.startPeriodSeconds + (hc.retries + 1) * (hc.intervalSeconds + hc.timeoutSeconds);
}

/**
 * The estimated time (seconds) from a container's start until Docker reports it healthy: the
 * first check runs one interval after start and passes once the service is up, which the start
 * period bounds from above. Used for the plan's critical path, not for any timeout.
 */
export function estimatedSecondsToHealthy(spec: HealthCheckSpec): number {
  const hc = resolveHealthCheck(spec);
  return Math.max(
    hc.intervalSeconds,
    Math.ceil(hc.startPeriodSeconds / hc.intervalSeconds) * hc.intervalSeconds,
  );
}

/** What each service needs to be healthy before it starts: service name -> needed service names. */
export type NeedsMap = Readonly<Record<string, readonly string[]>>;

/** Fails on a need that names no service, or on a cycle. */
export function validateNeeds(needs: NeedsMap): void {
  for (const [service, needed] of Object.entries(needs)) {
    for (const dep of needed) {
      if (!(dep in needs)) {
        throw new Error(`service "${service}" needs "${dep}", which is not a service of this stack`);
      }
      if (dep === service) {
        throw new Error(`service "${service}" needs itself`);
      }
    }
  }
  startWaves(needs);
}

/**
 * The start order as waves: wave 0 needs nothing, wave n starts once everything it needs in
 * earlier waves is healthy. Services in one wave start in parallel. Names are sorted per wave.
 */
export function startWaves(needs: NeedsMap): string[][] {
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (service: string, trail: string[]): number => {
    const known = level.get(service);
    if (known !== undefined) {
      return known;
    }
    if (visiting.has(service)) {
      throw new Error(`start-order cycle: ${[...trail, service].join(" -> ")}`);
    }
    visiting.add(service);
    const deps = needs[service] ?? [];
    const own = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => visit(d, [...trail, service])));
    visiting.delete(service);
    level.set(service, own);
    return own;
  };
  Object.keys(needs).forEach((s) => visit(s, []));
  const waves: string[][] = [];
  for (const [service, lvl] of level) {
    (waves[lvl] ??= []).push(service);
  }
  return waves.map((w) => w.sort());
}

/**
 * The longest chain of needs, weighted by each service's time to healthy, and its total time.
 * Ties go to the alphabetically first chain so the result is stable.
 */
export function criticalPath(
  needs: NeedsMap,
  secondsToHealthy: Readonly<Record<string, number>>,
): { path: string[]; seconds: number } {
  const memo = new Map<string, { path: string[]; seconds: number }>();
  const best = (service: string): { path: string[]; seconds: number } => {
    const cached = memo.get(service);
    if (cached) {
      return cached;
    }
    let longest: { path: string[]; seconds: number } = { path: [], seconds: 0 };
    for (const dep of [...(needs[service] ?? [])].sort()) {
      const candidate = best(dep);
      if (candidate.seconds > longest.seconds) {
        longest = candidate;
      }
    }
    const own = {
      path: [...longest.path, service],
      seconds: longest.seconds + (secondsToHealthy[service] ?? 0),
    };
    memo.set(service, own);
    return own;
  };
  startWaves(needs); // rejects cycles first
  let result: { path: string[]; seconds: number } = { path: [], seconds: 0 };
  for (const service of Object.keys(needs).sort()) {
    const candidate = best(service);
    if (candidate.seconds > result.seconds) {
      result = candidate;
    }
  }
  return result;
}
