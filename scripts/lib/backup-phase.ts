/**
 * The backups' take-over phase for the offline plan: which phase the stack is in, and what the
 * next phase changes, resource by resource and field by field (components/backup/spec.ts, the
 * same inputs the component registers). Pure: no engine, no resources.
 */
import type { BackupConfig } from "../../components/backup/schema";
import { BackupPhase, backupSpec, backupSpecArgs, diffSpecs, SpecChange } from "../../components/backup/spec";
import { LATE_IMPORT_KEYS, TERRAFORM_RESOURCES } from "../../components/backup/terraform";

export interface BackupPhaseReport {
  phase: BackupPhase;
  /** The phase after this one, or undefined in the last one. */
  next?: BackupPhase;
  /** Resources the next phase creates. */
  added: string[];
  /** Input fields the next phase updates in place, as `resource.field`. */
  changed: string[];
  /** Terraform's resources this stack does not import yet (their id is known only to AWS). */
  importsPending: string[];
  /** What the operator does, in order. */
  steps: string[];
}

function describe(change: SpecChange): string {
  return `${change.resource}.${change.field}`;
}

/**
 * The report for a stack's validated backup settings; `command` spells a `pulumi preview`/`up`
 * for the stack as the README runs it (with the policy pack).
 */
export function backupPhaseReport(
  stack: string,
  backup: BackupConfig,
  command: (verb: "preview" | "up") => string,
): BackupPhaseReport {
  const args = backupSpecArgs(backup);
  if (args.phase === "harden") {
    return {
      phase: "harden",
      added: [],
      changed: [],
      importsPending: [],
      steps: ["none: the backups are hardened; the policy pack enforces it"],
    };
  }
  const diff = diffSpecs(backupSpec(args), backupSpec({ ...args, phase: "harden" }));
  const ids: Record<string, string | undefined> = backup.importIds;
  const importsPending = TERRAFORM_RESOURCES.filter(
    (k) => ids[k] === undefined && LATE_IMPORT_KEYS.includes(k),
  );
  return {
    phase: "adopt",
    next: "harden",
    added: diff.added,
    changed: [...diff.changed.map(describe), "providers.defaultTags (Terraform's -> the common tags)"],
    importsPending: [...importsPending],
    steps: [
      ...importsPending.map(
        (k) =>
          `add importIds.${k} (until then Terraform's ${k} stays as it is, unmanaged): aws sns list-subscriptions-by-topic --region us-east-1 --topic-arn <the topic's ARN> (docs/backups.md)`,
      ),
      `${command("up")}: imports Terraform's resources with no change`,
      `set backup.phase to harden in Pulumi.${stack}.yaml and commit (pulumi config set --path onprem-infra:backup.phase harden --stack ${stack})`,
      `${command("preview")}: only updates in place, and the ${diff.added.length} new resources; then ${command("up")}`,
    ],
  };
}
