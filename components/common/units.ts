/**
 * Units as the Docker provider and Docker read them back. Pure functions.
 */

/** A memory size as written in the Compose files and the stack files: `512M`, `1G`, `2G`. */
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

/**
 * A CPU count as the provider reads `cpus` back: kreuzwerker's `nanoInt64ToDecimalString`
 * (internal/provider/helpers.go) prints NanoCPUs/1e9 with nine decimals, then returns one decimal
 * when the printed text holds exactly nine zeros and otherwise strips the trailing zeros. So 1 is
 * `1.0`, 0.5 is `0.5`, 0.25 is `0.25`, but 10 is `10.` and 0.05 is `0.1`. `cpus` is ForceNew:
 * any other spelling replaces the container on every run. Counts that read back as a different
 * number (0.05 -> 0.1) are refused, since Docker would not run what the config says.
 */
export function cpusString(cpus: number): string {
  const nano = Math.round(cpus * 1e9);
  if (!Number.isFinite(cpus) || nano <= 0) {
    throw new Error(`not a CPU count: ${cpus}`);
  }
  const whole = Math.floor(nano / 1e9);
  const nine = `${whole}.${String(nano % 1e9).padStart(9, "0")}`;
  const zeros = nine.split("").filter((c) => c === "0").length;
  if (zeros === 9) {
    // Go's big.Rat FloatString(1): rounded half away from zero to one decimal.
    const tenths = Math.round(nano / 1e8);
    const text = `${Math.floor(tenths / 10)}.${tenths % 10}`;
    if (tenths * 1e8 !== nano) {
      throw new Error(
        `${cpus} CPUs would read back as ${text}: use a count with at most two significant decimals`,
      );
    }
    return text;
  }
  return nine.replace(/0+$/, "");
}
