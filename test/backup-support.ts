/**
 * Helpers shared by the backup suites: the resource type tokens of `BackupInfra`, reading policy
 * documents and tags back from captured registrations, and telling taggable AWS types apart by
 * the installed SDK's own argument types.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PolicyDocument, PolicyStatement } from "../components/backup/policies";
import { Capture, CapturedResource } from "./harness/engine";

export const T = {
  component: "onprem:backup:BackupInfra",
  provider: "pulumi:providers:aws",
  bucket: "aws:s3/bucket:Bucket",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  user: "aws:iam/user:User",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  key: "aws:kms/key:Key",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
} as const;

/** The children of a `BackupInfra` named `backup`: name -> type. */
export const EXPECTED_CHILDREN: Record<string, string> = {
  "backup-bucket": T.bucket,
  "backup-versioning": T.versioning,
  "backup-object-lock": T.objectLock,
  "backup-encryption": T.encryption,
  "backup-public-access-block": T.publicAccessBlock,
  "backup-bucket-policy": T.bucketPolicy,
  "backup-lifecycle": T.lifecycle,
  "backup-operator": T.user,
  "backup-operator-policy": T.userPolicy,
  "backup-uploader": T.role,
  "backup-uploader-policy": T.rolePolicy,
  "backup-restore": T.role,
  "backup-restore-policy": T.rolePolicy,
  "backup-alerts-key": T.key,
  "backup-alerts": T.topic,
  "backup-alerts-email": T.subscription,
  "backup-charges-warning": T.alarm,
  "backup-charges-critical": T.alarm,
};

/** The children that must use the us-east-1 (billing) provider. */
export const MONITORING_CHILDREN = [
  "backup-alerts-key",
  "backup-alerts",
  "backup-alerts-email",
  "backup-charges-warning",
  "backup-charges-critical",
];

/** A captured provider's reference as resources carry it (`urn::id`; the mock's id is `<name>-id`). */
export function providerRef(provider: CapturedResource): string {
  return `${provider.urn}::${provider.name}-id`;
}

/** Parses a JSON policy input. */
export function policyOf(r: CapturedResource, key = "policy"): PolicyDocument {
  const text = r.inputs[key];
  if (typeof text !== "string") {
    throw new Error(`${r.name}.${key} is not a JSON string`);
  }
  return JSON.parse(text) as PolicyDocument;
}

export function list(value: string | string[] | undefined): string[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

export function statement(docu: PolicyDocument, sid: string): PolicyStatement {
  const found = docu.Statement.filter((s) => s.Sid === sid);
  if (found.length !== 1) {
    throw new Error(`expected one statement ${sid}, found ${found.length}`);
  }
  return found[0];
}

/** Wildcards in an Allow statement: an action or resource that is or ends with `*`, or a `*` principal. */
export function allowWildcards(docu: PolicyDocument): string[] {
  const found: string[] = [];
  for (const s of docu.Statement.filter((st) => st.Effect === "Allow")) {
    for (const action of list(s.Action)) {
      if (action.includes("*")) {
        found.push(`${s.Sid}: action ${action}`);
      }
    }
    for (const resource of list(s.Resource)) {
      if (resource === "*" || /:\*$/.test(resource)) {
        found.push(`${s.Sid}: resource ${resource}`);
      }
    }
    if (s.Principal === "*" || (typeof s.Principal === "object" && list(s.Principal.AWS).includes("*"))) {
      found.push(`${s.Sid}: principal *`);
    }
  }
  return found;
}

const AWS_SDK = path.dirname(require.resolve("@pulumi/aws/package.json"));

/**
 * Whether an AWS resource type takes `tags`, read from the installed SDK's `<Name>Args`
 * declaration, so a new taggable resource cannot slip past the tag checks.
 */
export function isTaggable(type: string): boolean {
  const match = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):([A-Za-z0-9]+)$/.exec(type);
  if (!match) {
    throw new Error(`not an AWS resource type: ${type}`);
  }
  const [, mod, file, cls] = match;
  const source = fs.readFileSync(path.join(AWS_SDK, mod, `${file}.d.ts`), "utf8");
  const start = source.indexOf(`export interface ${cls}Args {`);
  if (start < 0) {
    throw new Error(`no ${cls}Args in the SDK`);
  }
  const body = source.slice(start, source.indexOf("\n}", start));
  return /\n\s+tags\?:/.test(body);
}

/** The provider's default tags (sent to the engine as JSON text). */
export function providerDefaultTags(provider: CapturedResource): Record<string, string> {
  const raw = provider.inputs.defaultTags;
  const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as { tags?: Record<string, string> };
  return parsed.tags ?? {};
}

/** A resource's effective tags: its provider's default tags overlaid by its own. */
export function effectiveTags(cap: Capture, r: CapturedResource): Record<string, string> {
  const provider = cap.resources.find((p) => p.type === T.provider && providerRef(p) === r.provider);
  if (!provider) {
    throw new Error(`${r.name} uses no captured AWS provider (${r.provider || "default provider"})`);
  }
  return {
    ...providerDefaultTags(provider),
    ...((r.inputs.tags as Record<string, string> | undefined) ?? {}),
  };
}
