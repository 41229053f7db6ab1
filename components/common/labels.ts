/**
 * The common facts every resource of the estate carries: as tags on AWS resources and as labels
 * on Docker resources. Pure functions, no resources.
 */

/** The four facts every resource carries (tags on AWS, labels on Docker). */
export interface CommonFacts {
  /** Project name, e.g. `onprem-infra`. */
  project: string;
  /** Environment (the stack), e.g. `production`. */
  environment: string;
  /** Owner of the estate, e.g. `kuma8088`. */
  owner: string;
}

/** The tool that manages the estate; fixed, not configurable. */
export const MANAGED_BY = "pulumi";

/** AWS tag keys, in one fixed order. */
export const COMMON_TAG_KEYS = ["Project", "Environment", "ManagedBy", "Owner"] as const;

/** Docker label keys carrying the same facts. */
export const COMMON_LABEL_KEYS = [
  "org.onprem-infra.project",
  "org.onprem-infra.environment",
  "org.onprem-infra.managed-by",
  "org.onprem-infra.owner",
] as const;

/** The common tags for AWS resources (used as the providers' `defaultTags`). */
export function commonTags(facts: CommonFacts): Record<string, string> {
  return {
    Project: facts.project,
    Environment: facts.environment,
    ManagedBy: MANAGED_BY,
    Owner: facts.owner,
  };
}

/** A Docker label list (`{ label, value }[]`) with the common facts plus `extra`, sorted by key. */
export function dockerLabels(
  facts: CommonFacts,
  extra: Record<string, string> = {},
): { label: string; value: string }[] {
  const all: Record<string, string> = {
    "org.onprem-infra.project": facts.project,
    "org.onprem-infra.environment": facts.environment,
    "org.onprem-infra.managed-by": MANAGED_BY,
    "org.onprem-infra.owner": facts.owner,
    ...extra,
  };
  return Object.keys(all)
    .sort()
    .map((label) => ({ label, value: all[label] }));
}
