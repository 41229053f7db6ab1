/**
 * Storage: the backup bucket's safety, checked over the whole stack because AWS provider v7 splits
 * a bucket's settings into separate resources joined by their `bucket` property.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  ADOPTING_MANAGED_BY_SCHEMA,
  arrayOf,
  BaseConfig,
  isAdopted,
  isRecord,
  ofTypes,
  refersTo,
  stackPolicy,
} from "./common";

export const S3 = {
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  objectLock: [
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
  ],
} as const;

export interface BucketSafetyConfig extends BaseConfig {
  objectLockMode: string;
  minRetentionDays: number;
  sseAlgorithms: string[];
  adoptingManagedBy: string;
}

/** The settings resources (of `types`) that belong to `bucket`. */
function settingsOf(
  resources: readonly PolicyResource[],
  types: readonly string[],
  bucket: PolicyResource,
): PolicyResource[] {
  return ofTypes(resources, types).filter((r) =>
    refersTo(r, "bucket", bucket, () => [bucket.props.bucket, bucket.props.id]),
  );
}

const PUBLIC_ACCESS_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
];

function retentionDays(retention: Record<string, unknown>): number {
  const days = Number(retention.days ?? 0);
  const years = Number(retention.years ?? 0);
  return days > 0 ? days : years * 365;
}

export const backupBucketSafety = stackPolicy<BucketSafetyConfig>({
  name: "backup-bucket-safety",
  description:
    "Every S3 bucket (the backup bucket) has Object Lock enabled (on the bucket, or on an existing one by its Object Lock configuration) with a default retention, versioning on, server-side encryption, all public access blocked and no forceDestroy. A bucket adopted as it is (phase adopt: its provider's default ManagedBy is adoptingManagedBy) is reported by backup-hardening-pending instead.",
  enforcementLevel: "mandatory",
  config: {
    objectLockMode: {
      type: "string",
      enum: ["COMPLIANCE", "GOVERNANCE"],
      default: "COMPLIANCE",
      description: "The required default retention mode.",
    },
    minRetentionDays: {
      type: "integer",
      minimum: 1,
      default: 1,
      description:
        "The shortest accepted default retention, in days. Production sets 30 (the running estate's strategy) in its policy-pack config; staging keeps short-lived locks.",
    },
    sseAlgorithms: {
      type: "array",
      items: { type: "string" },
      default: ["AES256", "aws:kms", "aws:kms:dsse"],
      description: "Accepted server-side encryption algorithms.",
    },
    adoptingManagedBy: ADOPTING_MANAGED_BY_SCHEMA,
  },
  remediationSteps:
    "Create the bucket with objectLockEnabled (or enable it on an existing bucket with the BucketObjectLockConfiguration's objectLockEnabled), and BucketVersioning, BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock and BucketObjectLockConfiguration resources for it.",
  rules: (args, config, report) =>
    ofTypes(args.resources, [S3.bucket, S3.bucketV2])
      .filter((bucket) => !isAdopted(bucket.provider, config.adoptingManagedBy))
      .flatMap((bucket) => {
        const at = (message: string): void => report(`bucket ${bucket.name}: ${message}`, bucket.urn);
        return [
          () => {
            if (bucket.props.forceDestroy === true) {
              at("forceDestroy is true: a destroy would delete every backup");
            }
          },
          () => {
            const inline: unknown = bucket.props.objectLockConfiguration;
            const inlineEnabled = isRecord(inline) && inline.objectLockEnabled === "Enabled";
            const locks = settingsOf(args.resources, S3.objectLock, bucket);
            const enabledByConfig = locks.some((l) => l.props.objectLockEnabled === "Enabled");
            if (bucket.props.objectLockEnabled !== true && !inlineEnabled && !enabledByConfig) {
              at(
                "Object Lock is not enabled (objectLockEnabled, or an Object Lock configuration enabling it)",
              );
            }
            const rules: unknown[] = locks.map((r) => r.props.rule);
            if (isRecord(inline)) {
              rules.push(inline.rule);
            }
            const retentions = rules
              .map((rule) => (isRecord(rule) ? rule.defaultRetention : undefined))
              .filter(isRecord);
            const good = retentions.some(
              (r) => r.mode === config.objectLockMode && retentionDays(r) >= config.minRetentionDays,
            );
            if (!good) {
              at(
                `no default Object Lock retention in ${config.objectLockMode} mode of at least ${config.minRetentionDays} days`,
              );
            }
          },
          () => {
            const legacy: unknown = bucket.props.versioning;
            const legacyOn = isRecord(legacy) && legacy.enabled === true;
            const on = settingsOf(args.resources, S3.versioning, bucket).some((v) => {
              const conf: unknown = v.props.versioningConfiguration;
              return isRecord(conf) && conf.status === "Enabled";
            });
            if (!on && !legacyOn) {
              at("versioning is not enabled (no BucketVersioning with status Enabled)");
            }
          },
          () => {
            const algorithms: string[] = [];
            for (const sse of settingsOf(args.resources, S3.encryption, bucket)) {
              for (const rule of arrayOf(sse.props.rules)) {
                const byDefault = isRecord(rule) ? rule.applyServerSideEncryptionByDefault : undefined;
                if (isRecord(byDefault) && typeof byDefault.sseAlgorithm === "string") {
                  algorithms.push(byDefault.sseAlgorithm);
                }
              }
            }
            if (!algorithms.some((a) => config.sseAlgorithms.includes(a))) {
              at(`no server-side encryption configuration with one of ${config.sseAlgorithms.join(", ")}`);
            }
          },
          () => {
            const blocks = settingsOf(args.resources, S3.publicAccessBlock, bucket);
            const full = blocks.some((b) => PUBLIC_ACCESS_FLAGS.every((f) => b.props[f] === true));
            if (!full) {
              at(
                `public access is not fully blocked (a BucketPublicAccessBlock with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true)`,
              );
            }
          },
        ];
      }),
});
