/**
 * The AWS providers' default tags for the backups' phase: Terraform's while the resources are
 * adopted (an import must find the tags it reads back), the estate's common tags afterwards.
 */
import { CommonFacts, commonTags } from "../common/labels";
import { BackupPhase } from "./spec";
import { TERRAFORM_DEFAULT_TAGS } from "./terraform";

/** The default tags of the AWS providers in `phase`. */
export function backupDefaultTags(phase: BackupPhase, facts: CommonFacts): Record<string, string> {
  return phase === "adopt"
    ? { ...TERRAFORM_DEFAULT_TAGS, Environment: facts.environment }
    : commonTags(facts);
}
