/**
 * The backups' take-over phases, as the pack sees them. While a stack adopts resources another
 * tool made (phase adopt, docs/backups.md), they are declared exactly as they are, so an import
 * changes nothing: their provider's default tags still say `ManagedBy = Terraform`. That tag is
 * how the pack tells the phase: resources on such a provider are "adopted as they are".
 * - `backup-adoption-scope` (mandatory): in phase adopt nothing is declared beside the adopted
 *   resources, and nothing that would replace one.
 * - `backup-hardening-pending` (advisory): in phase adopt, what phase harden still has to turn on.
 * The hardening policies themselves (`backup-bucket-safety`, `aws-common-tags`) skip adopted
 * resources, and enforce everything once the stack has switched.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ADOPTING_MANAGED_BY_SCHEMA, BaseConfig, isAdopted, isRecord, ofTypes, stackPolicy } from "./common";
import { S3 } from "./storage";

/** The AWS resources of the stack on an adopting provider. */
export function adoptedResources(resources: readonly PolicyResource[], managedBy: string): PolicyResource[] {
  return resources.filter((r) => r.type.startsWith("aws:") && isAdopted(r.provider, managedBy));
}

export interface AdoptionScopeConfig extends BaseConfig {
  adoptingManagedBy: string;
  adoptableTypes: string[];
}

export const backupAdoptionScope = stackPolicy<AdoptionScopeConfig>({
  name: "backup-adoption-scope",
  description:
    "While a stack adopts the Terraform-made backups (its AWS providers' default ManagedBy tag is adoptingManagedBy), it declares only resources of the kinds Terraform made, all on adopting providers, and never objectLockEnabled on an adopted bucket (the provider would replace the bucket).",
  enforcementLevel: "mandatory",
  config: {
    adoptingManagedBy: ADOPTING_MANAGED_BY_SCHEMA,
    adoptableTypes: {
      type: "array",
      items: { type: "string" },
      default: [
        S3.bucket,
        S3.publicAccessBlock[0],
        S3.encryption[0],
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:iam/user:User",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:sns/topic:Topic",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
      ],
      description:
        "The resource types the adopted Terraform module made (services/mailserver/terraform/s3-backup).",
    },
  },
  remediationSteps:
    "Keep onprem-infra:backup.phase at adopt until the first pulumi up imported everything, then set it to harden (docs/backups.md): versioning, Object Lock, the bucket policy and the topic's key come with phase harden.",
  rules: (args, config, report) => {
    const adopted = adoptedResources(args.resources, config.adoptingManagedBy);
    if (adopted.length === 0) {
      return [];
    }
    const aws = args.resources.filter((r) => r.type.startsWith("aws:"));
    return [
      () => {
        for (const r of aws) {
          if (!adopted.includes(r)) {
            report(
              `${r.name} (${r.type}) is not on an adopting provider (default ManagedBy ${config.adoptingManagedBy}) while the stack adopts: every AWS provider switches phase together`,
              r.urn,
            );
          }
        }
      },
      () => {
        for (const r of adopted.filter((x) => !config.adoptableTypes.includes(x.type))) {
          report(
            `${r.name} (${r.type}): Terraform made no such resource, so phase adopt would create it beside the adopted ones; it belongs to phase harden`,
            r.urn,
          );
        }
      },
      () => {
        for (const bucket of ofTypes(adopted, [S3.bucket])) {
          if (bucket.props.objectLockEnabled === true) {
            report(
              `bucket ${bucket.name}: objectLockEnabled on an adopted bucket replaces it (the provider's ForceNew); enable Object Lock with a BucketObjectLockConfiguration in phase harden`,
              bucket.urn,
            );
          }
        }
      },
    ];
  },
});

export interface HardeningPendingConfig extends BaseConfig {
  adoptingManagedBy: string;
  billingCurrency: string;
}

/** The settings resources of one of `types` naming `bucket` by its name. */
function settingsNaming(
  resources: readonly PolicyResource[],
  types: readonly string[],
  bucket: PolicyResource,
) {
  return ofTypes(resources, types).filter((r) => r.props.bucket === bucket.props.bucket);
}

export const backupHardeningPending = stackPolicy<HardeningPendingConfig>({
  name: "backup-hardening-pending",
  description:
    "While a stack adopts the Terraform-made backups as they are, says what phase harden still has to turn on: versioning and Object Lock, the TLS-only bucket policy, the encrypted alert topic, alarms in the billing currency, the common tags. Past phase adopt the hardening policies enforce these.",
  enforcementLevel: "advisory",
  config: {
    adoptingManagedBy: ADOPTING_MANAGED_BY_SCHEMA,
    billingCurrency: {
      type: "string",
      default: "USD",
      description: "The currency AWS publishes EstimatedCharges in; alarms on another one never see data.",
    },
  },
  remediationSteps:
    "After the first pulumi up has imported the backups, set onprem-infra:backup.phase to harden and run pulumi up again (docs/backups.md).",
  rules: (args, config, report) => {
    const adopted = adoptedResources(args.resources, config.adoptingManagedBy);
    if (adopted.length === 0) {
      return [];
    }
    const pending = "hardening pending (phase adopt)";
    return [
      ...ofTypes(adopted, [S3.bucket]).map((bucket) => () => {
        const missing: string[] = [];
        if (settingsNaming(args.resources, S3.versioning, bucket).length === 0) {
          missing.push("versioning");
        }
        if (settingsNaming(args.resources, S3.objectLock, bucket).length === 0) {
          missing.push("Object Lock with a COMPLIANCE default retention");
        }
        if (settingsNaming(args.resources, ["aws:s3/bucketPolicy:BucketPolicy"], bucket).length === 0) {
          missing.push("the TLS-only bucket policy");
        }
        if (missing.length > 0) {
          report(`${pending}: bucket ${bucket.name} has no ${missing.join(", no ")} yet`, bucket.urn);
        }
      }),
      ...ofTypes(adopted, ["aws:sns/topic:Topic"]).map((topic) => () => {
        if (typeof topic.props.kmsMasterKeyId !== "string" || topic.props.kmsMasterKeyId === "") {
          report(`${pending}: topic ${topic.name} is not encrypted yet`, topic.urn);
        }
      }),
      ...ofTypes(adopted, ["aws:cloudwatch/metricAlarm:MetricAlarm"]).map((alarm) => () => {
        const dimensions = isRecord(alarm.props.dimensions) ? alarm.props.dimensions : {};
        const currency = dimensions.Currency;
        if (typeof currency === "string" && currency !== config.billingCurrency) {
          report(
            `${pending}: alarm ${alarm.name} watches EstimatedCharges in ${currency}, which AWS does not publish (only ${config.billingCurrency}); it never fires`,
            alarm.urn,
          );
        }
      }),
      () => {
        const providers = new Map<string, { name: string; count: number }>();
        for (const r of adopted) {
          if (r.provider !== undefined) {
            const seen = providers.get(r.provider.urn) ?? { name: r.provider.name, count: 0 };
            providers.set(r.provider.urn, { ...seen, count: seen.count + 1 });
          }
        }
        for (const [urn, { name, count }] of providers) {
          report(
            `${pending}: provider ${name} tags its ${count} resources ManagedBy=${config.adoptingManagedBy}, without Owner; phase harden sets the common tags`,
            urn,
          );
        }
      },
    ];
  },
});
