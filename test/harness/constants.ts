/**
 * The project's name and stacks, for the harness and the scripts. A module with no imports, so a
 * script can read it (and start the policy pack) before loading anything heavy.
 */
export const PROJECT = "onprem-infra";
export const STACKS = ["production", "staging"] as const;
export type StackName = (typeof STACKS)[number];

export function isStackName(value: string): value is StackName {
  return (STACKS as readonly string[]).includes(value);
}

/**
 * Each stack's policy-pack config, as `pulumi preview --policy-pack policy --policy-pack-config
 * <file>` takes it (relative to the repository root): `npm run plan`'s default, the tests', the
 * workflows' and the docs' one convention.
 */
export function policyConfigFile(stack: StackName): string {
  return `policy/config/${stack}.json`;
}
