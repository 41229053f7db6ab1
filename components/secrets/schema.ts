/**
 * `onprem-infra:rotations`: when each secret was last rotated (`YYYY-MM-DD`). For a generated
 * secret the stamp is its keeper, so bumping it generates a new value on the next `pulumi up`;
 * for an external one it records when `pulumi config set --secret` last set it. Every WordPress
 * site's password has its own stamp under `siteDbPasswords`: the day it was made, so a new site's
 * is the day it is added, never an older shared date.
 */
import * as v from "valibot";
import { isoDate, Problem } from "../common/schema";
import { EXTERNAL_SECRETS, SECRET_INVENTORY, siteAdminSecretId, siteSecretId } from "./inventory";

// A secret only some stacks hold (`heldWhen`) has a stamp only there; `rotationProblems` checks which.
const fixedStamps = Object.fromEntries(
  SECRET_INVENTORY.map((s) => [s.id, "heldWhen" in s ? v.optional(isoDate) : isoDate]),
) as Record<string, typeof isoDate | v.OptionalSchema<typeof isoDate, undefined>>;

export const rotationsSchema = v.strictObject({
  ...fixedStamps,
  /** Per-site database passwords: each site's own stamp, by its name. */
  siteDbPasswords: v.record(v.string(), isoDate),
});
export type RotationsConfig = v.InferOutput<typeof rotationsSchema>;

/** What the rotation stamps are checked against. */
export interface RotationContext {
  /** The sites whose passwords are generated: the new WordPress sites of `blog.sites` (config.ts, passwordSites). */
  sites: readonly string[];
  /** The external secrets this stack holds (ids), and those whose holding is itself undecided. */
  heldSecrets: readonly string[];
  undecidedSecrets?: readonly string[];
  /** The latest day a stamp may name (`YYYY-MM-DD`): today. */
  today: string;
}

/**
 * The stamps that name nothing, are missing, or lie in the future, each at its own key under
 * `rotations`. Pure: the caller says which sites and secrets the stack has and what day it is.
 */
export function rotationProblems(rotations: RotationsConfig, ctx: RotationContext): Problem[] {
  const problems: Problem[] = [];
  const at = (...path: string[]) => ["rotations", ...path];
  const { siteDbPasswords, ...fixed } = rotations;
  const stamps = fixed as Record<string, string | undefined>;
  for (const [id, stamp] of Object.entries(stamps)) {
    if (stamp !== undefined && stamp > ctx.today) {
      problems.push({ path: at(id), message: `${stamp} is in the future (today is ${ctx.today})` });
    }
  }
  for (const spec of EXTERNAL_SECRETS.filter((s) => s.heldWhen)) {
    if (ctx.undecidedSecrets?.includes(spec.id)) {
      continue;
    }
    const held = ctx.heldSecrets.includes(spec.id);
    if (held && stamps[spec.id] === undefined) {
      problems.push({ path: at(spec.id), message: `is required: this stack holds onprem-infra:${spec.id}` });
    } else if (!held && stamps[spec.id] !== undefined) {
      problems.push({
        path: at(spec.id),
        message: `names a secret this stack does not hold (only ${spec.heldWhen!.stacks} hold onprem-infra:${spec.id}); remove it`,
      });
    }
  }
  for (const [site, stamp] of Object.entries(siteDbPasswords)) {
    if (!ctx.sites.includes(site)) {
      problems.push({
        path: at("siteDbPasswords", site),
        message:
          site === "default"
            ? "is no longer used: each site has its own stamp, the day its password was made"
            : `names no new WordPress site of onprem-infra:blog.sites (${ctx.sites.join(", ") || "none"}); taken-over sites and other kinds have no generated password: remove it or correct the name`,
      });
    } else if (stamp > ctx.today) {
      problems.push({
        path: at("siteDbPasswords", site),
        message: `${stamp} is in the future (today is ${ctx.today})`,
      });
    }
  }
  for (const site of ctx.sites) {
    if (siteDbPasswords[site] === undefined) {
      problems.push({
        path: at("siteDbPasswords", site),
        message: `is required: the day site ${site}'s database and administrator passwords were made; for a site added now, today (${ctx.today})`,
      });
    }
  }
  return problems;
}

/**
 * Every stamp by inventory id, sites included (`siteDbPassword.<site>` and
 * `siteAdminPassword.<site>`, both the site's one stamp), as validated by `rotationProblems`.
 */
export function rotationStamps(rotations: RotationsConfig, sites: readonly string[]): Record<string, string> {
  const { siteDbPasswords, ...fixed } = rotations;
  const stamps: Record<string, string> = { ...(fixed as Record<string, string>) };
  for (const site of sites) {
    stamps[siteSecretId(site)] = siteDbPasswords[site];
    stamps[siteAdminSecretId(site)] = siteDbPasswords[site];
  }
  return stamps;
}
