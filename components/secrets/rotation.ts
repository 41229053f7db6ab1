/**
 * Rotation status: for every secret its last rotation date, age, period and status. Pure; the
 * clock is a parameter so tests pin "today".
 */
import { SecretSpec } from "./inventory";

/** A rotation is `due` this many days before its period ends. */
export const DUE_WINDOW_DAYS = 14;

export type RotationState = "ok" | "due" | "overdue";

export interface RotationStatus {
  id: string;
  source: SecretSpec["source"];
  rotatedOn: string;
  ageDays: number;
  periodDays: number;
  status: RotationState;
  /** The date by which the next rotation is due. */
  dueOn: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function utcDay(date: string | Date): number {
  const d = typeof date === "string" ? new Date(`${date}T00:00:00Z`) : date;
  return Math.floor(d.getTime() / DAY_MS);
}

/** The status of one secret rotated on `rotatedOn`, as of `today`. */
export function rotationStatus(spec: SecretSpec, rotatedOn: string, today: Date): RotationStatus {
  const ageDays = utcDay(today) - utcDay(rotatedOn);
  const remaining = spec.periodDays - ageDays;
  const status: RotationState = remaining < 0 ? "overdue" : remaining <= DUE_WINDOW_DAYS ? "due" : "ok";
  const dueOn = new Date((utcDay(rotatedOn) + spec.periodDays) * DAY_MS).toISOString().slice(0, 10);
  return { id: spec.id, source: spec.source, rotatedOn, ageDays, periodDays: spec.periodDays, status, dueOn };
}

/** The report for a whole inventory, in inventory order. */
export function rotationReport(
  specs: readonly SecretSpec[],
  stamps: Readonly<Record<string, string>>,
  today: Date,
): RotationStatus[] {
  return specs.map((spec) => {
    const stamp = stamps[spec.id];
    if (stamp === undefined) {
      throw new Error(`no rotation stamp for ${spec.id}`);
    }
    return rotationStatus(spec, stamp, today);
  });
}
