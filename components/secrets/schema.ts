/**
 * `onprem-infra:rotations`: when each secret was last rotated (`YYYY-MM-DD`). For a generated
 * secret the stamp is its keeper, so bumping it generates a new value on the next `pulumi up`;
 * for an external one it records when `pulumi config set --secret` last set it.
 */
import * as v from "valibot";
import { isoDate } from "../common/schema";
import { SECRET_INVENTORY } from "./inventory";

const fixedStamps = Object.fromEntries(SECRET_INVENTORY.map((s) => [s.id, isoDate])) as Record<
  string,
  typeof isoDate
>;

export const rotationsSchema = v.strictObject({
  ...fixedStamps,
  /** Only stacks whose relay authenticates hold a SendGrid key. */
  sendgridApiKey: v.optional(isoDate),
  /** Per-site database passwords: `default` for every site, or a site's own stamp by its name. */
  siteDbPasswords: v.pipe(
    v.record(v.string(), isoDate),
    v.check((m) => "default" in m, "must have a default stamp"),
  ),
});
export type RotationsConfig = v.InferOutput<typeof rotationsSchema>;

/** Every stamp by inventory id, sites included (`siteDbPassword.<site>`). */
export function rotationStamps(rotations: RotationsConfig, sites: readonly string[]): Record<string, string> {
  const { siteDbPasswords, ...fixed } = rotations;
  const stamps: Record<string, string> = { ...(fixed as Record<string, string>) };
  for (const site of sites) {
    stamps[`siteDbPassword.${site}`] = siteDbPasswords[site] ?? siteDbPasswords.default;
  }
  return stamps;
}
