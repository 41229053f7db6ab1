/**
 * Units as the Docker provider and Docker read them back. Pure functions.
 */

/** A memory size as written in ESTATE.md and the stack files: `512M`, `1G`, `2G`. */
export const MEMORY_PATTERN = /^([1-9][0-9]*)([MG])$/;

/** Converts `512M` / `2G` to whole mebibytes, the unit of the provider's `memory` fields. */
export function memoryToMb(size: string): number {
  const match = MEMORY_PATTERN.exec(size);
  if (!match) {
    throw new Error(`not a memory size: "${size}" (expected e.g. 512M or 2G)`);
  }
  const amount = Number(match[1]);
  return match[2] === "G" ? amount * 1024 : amount;
}

/**
 * A duration in whole seconds written as Go's `time.Duration.String()` prints it, which is how
 * the provider reads health-check durations back (`30s`, `1m0s`, `5m0s`, `1h0m0s`): writing them
 * any other way gives a permanent diff.
 */
export function goDuration(totalSeconds: number): string {
  if (!Number.isInteger(totalSeconds) || totalSeconds < 0) {
    throw new Error(`not a whole number of seconds: ${totalSeconds}`);
  }
  if (totalSeconds === 0) {
    return "0s";
  }
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) {
    return `${hours}h${minutes}m${seconds}s`;
  }
  if (minutes > 0) {
    return `${minutes}m${seconds}s`;
  }
  return `${seconds}s`;
}

/** Docker's `cpus` string for a CPU count: `1.0`, `0.5`, `0.25`. */
export function cpusString(cpus: number): string {
  return Number.isInteger(cpus) ? cpus.toFixed(1) : String(cpus);
}
