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
