/**
 * IAM: least privilege in every policy document of the stack (identity policies, inline role
 * policies, bucket/topic/key policies), and a backup uploader that can never delete a backup.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  arrayOf,
  BaseConfig,
  globMatch,
  isRecord,
  jsonValue,
  ofTypes,
  refersTo,
  resourcePolicy,
  stackPolicy,
} from "./common";

export const IAM = {
  policy: "aws:iam/policy:Policy",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  rolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  kmsKey: "aws:kms/key:Key",
} as const;

/** One statement, normalised: lists everywhere. */
export interface Statement {
  sid: string;
  effect: "Allow" | "Deny";
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
}

function strings(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Parses a policy document (JSON text or object) into statements; throws on malformed JSON text. */
export function parseStatements(document: unknown, path: string): Statement[] {
  const doc = jsonValue(document, path);
  if (typeof doc === "string") {
    throw new Error(`${path} is not valid JSON`);
  }
  if (!isRecord(doc)) {
    return [];
  }
  const raw = Array.isArray(doc.Statement)
    ? doc.Statement
    : doc.Statement === undefined
      ? []
      : [doc.Statement];
  return raw.filter(isRecord).map((s, i) => ({
    sid: typeof s.Sid === "string" ? s.Sid : `#${i}`,
    effect: s.Effect === "Deny" ? "Deny" : "Allow",
    actions: strings(s.Action),
    notActions: strings(s.NotAction),
    resources: strings(s.Resource),
    notResources: strings(s.NotResource),
  }));
}

/** The policy documents a resource carries, with where they are. */
export function documentsOf(
  type: string,
  props: Record<string, unknown>,
): { path: string; value: unknown }[] {
  switch (type) {
    case IAM.role:
      return arrayOf(props.inlinePolicies)
        .map((p, i) => ({ path: `inlinePolicies[${i}].policy`, value: isRecord(p) ? p.policy : undefined }))
        .filter((d) => d.value !== undefined);
    case IAM.policy:
    case IAM.rolePolicy:
    case IAM.userPolicy:
    case IAM.groupPolicy:
    case IAM.bucketPolicy:
    case IAM.topicPolicy:
    case IAM.kmsKey:
      return props.policy === undefined ? [] : [{ path: "policy", value: props.policy }];
    default:
      return [];
  }
}

const DOCUMENT_TYPES = [
  IAM.policy,
  IAM.role,
  IAM.rolePolicy,
  IAM.userPolicy,
  IAM.groupPolicy,
  IAM.bucketPolicy,
  IAM.topicPolicy,
  IAM.kmsKey,
];

export interface WildcardActionsConfig extends BaseConfig {
  forbidServiceWildcards: boolean;
}

export const iamNoWildcardActions = resourcePolicy<WildcardActionsConfig>({
  name: "iam-no-wildcard-actions",
  description: "No policy statement allows the action * (or everything but a list, via NotAction).",
  enforcementLevel: "mandatory",
  types: DOCUMENT_TYPES,
  config: {
    forbidServiceWildcards: {
      type: "boolean",
      default: false,
      description: "Also forbid whole-service wildcards such as s3:*.",
    },
  },
  rules: (args, config, report) =>
    documentsOf(args.type, args.props).map((doc) => () => {
      for (const s of parseStatements(doc.value, doc.path)) {
        if (s.effect !== "Allow") {
          continue;
        }
        if (s.notActions.length > 0) {
          report(
            `${doc.path} statement ${s.sid} allows every action except ${s.notActions.join(", ")} (NotAction)`,
          );
        }
        for (const action of s.actions) {
          if (
            action.trim() === "*" ||
            (config.forbidServiceWildcards && /^[a-z0-9-]+:\*$/i.test(action.trim()))
          ) {
            report(`${doc.path} statement ${s.sid} allows the action "${action}"; list the actions it needs`);
          }
        }
      }
    }),
});

/**
 * Whether a resource means "everything": `*`, or an ARN whose resource part is nothing but
 * wildcards: `arn:aws:s3:::*` is every bucket, and with `/*` after it, every object of every bucket.
 */
export function isWildcardResource(resource: string): boolean {
  const r = resource.trim();
  if (r === "*") {
    return true;
  }
  const parts = r.split(":");
  return parts.length >= 6 && parts[0] === "arn" && /^[*/]+$/.test(parts.slice(5).join(":"));
}

export interface WildcardResourcesConfig extends BaseConfig {
  wildcardResourceActions: string[];
  exemptTypes: string[];
}

export const iamNoWildcardResources = resourcePolicy<WildcardResourcesConfig>({
  name: "iam-no-wildcard-resources",
  description:
    "No policy statement allows actions on the resource * (or an ARN that is all wildcards, like arn:aws:s3:::*) unless every action in it works only on * (e.g. s3:ListAllMyBuckets, cloudwatch:PutMetricData).",
  enforcementLevel: "mandatory",
  types: DOCUMENT_TYPES,
  config: {
    wildcardResourceActions: {
      type: "array",
      items: { type: "string" },
      default: [
        "s3:ListAllMyBuckets",
        "sts:GetCallerIdentity",
        "cloudwatch:PutMetricData",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
        "cloudwatch:DescribeAlarms",
        "sns:ListTopics",
        "kms:ListKeys",
        "kms:ListAliases",
        "iam:ListAccountAliases",
        "ce:GetCostAndUsage",
        "budgets:ViewBudget",
      ],
      description: "Actions that do not support resource-level permissions and so need Resource *.",
    },
    exemptTypes: {
      type: "array",
      items: { type: "string" },
      default: [IAM.kmsKey],
      description: "Resource policies where Resource * means the resource itself (a KMS key policy).",
    },
  },
  rules: (args, config, report) =>
    config.exemptTypes.includes(args.type)
      ? []
      : documentsOf(args.type, args.props).map((doc) => () => {
          for (const s of parseStatements(doc.value, doc.path)) {
            if (s.effect !== "Allow") {
              continue;
            }
            const wildcard = s.resources.some(isWildcardResource) || s.notResources.length > 0;
            if (!wildcard) {
              continue;
            }
            const needing = s.actions.filter(
              (a) => !config.wildcardResourceActions.some((allowed) => globMatch(allowed, a)),
            );
            if (needing.length > 0 || s.actions.length === 0) {
              report(
                `${doc.path} statement ${s.sid} allows ${needing.join(", ") || "its actions"} on every resource (*); name the resources`,
              );
            }
          }
        }),
});

export interface UploaderConfig extends BaseConfig {
  uploaderRolePattern: string;
  deleteActions: string[];
  requireExplicitDeny: boolean;
}

/** Whether a statement's action list (or NotAction list) covers `action`. */
export function statementCovers(s: Statement, action: string): boolean {
  if (s.notActions.length > 0) {
    return !s.notActions.some((p) => globMatch(p, action));
  }
  return s.actions.some((p) => globMatch(p, action));
}

/** Whether `dependent.props[property]` (one value or a list) names `target`; see `refersTo`. */
function namesRole(
  dependent: PolicyResource,
  property: string,
  role: PolicyResource,
  roleValues: () => readonly unknown[],
): boolean {
  const deps = dependent.propertyDependencies[property] ?? [];
  if (deps.length > 0) {
    return deps.some((d) => d.urn === role.urn);
  }
  const value: unknown = dependent.props[property];
  if (Array.isArray(value)) {
    const values = roleValues();
    return value.some((v) => v !== undefined && values.some((t) => t !== undefined && t === v));
  }
  return refersTo(dependent, property, role, roleValues);
}

/**
 * The managed policies `holder.props[property]` (one ARN or a list) attaches: those of the stack
 * (by property dependency, else by ARN), and the ARNs of any the stack does not declare.
 */
function attachedPolicies(
  holder: PolicyResource,
  property: string,
  policies: readonly PolicyResource[],
): { found: PolicyResource[]; unseen: string[] } {
  const deps = holder.propertyDependencies[property] ?? [];
  const found = policies.filter((p) => deps.some((d) => d.urn === p.urn));
  const unseen: string[] = [];
  for (const arn of strings(holder.props[property])) {
    if (found.some((p) => p.props.arn === arn)) {
      continue;
    }
    const byArn = policies.find((p) => p.props.arn === arn);
    if (byArn) {
      found.push(byArn);
    } else {
      unseen.push(arn);
    }
  }
  return { found, unseen };
}

/**
 * Every policy document that applies to `role`, with where it comes from: its inline policies,
 * `RolePolicy` resources, and managed policies attached through `managedPolicyArns`,
 * `RolePolicyAttachment`, `RolePolicyAttachmentsExclusive` or `PolicyAttachment`. A managed policy
 * the stack does not declare (e.g. an AWS-managed one) comes back without content.
 */
function roleDocuments(
  resources: readonly PolicyResource[],
  role: PolicyResource,
): { where: string; value: unknown }[] {
  const docs = documentsOf(IAM.role, role.props).map((d) => ({
    where: `${role.name}.${d.path}`,
    value: d.value,
  }));
  const roleValues = (): unknown[] => [role.props.name, role.props.id, role.props.arn];
  for (const rp of ofTypes(resources, [IAM.rolePolicy])) {
    if (refersTo(rp, "role", role, roleValues)) {
      docs.push({ where: `role policy ${rp.name}`, value: rp.props.policy });
    }
  }
  const policies = ofTypes(resources, [IAM.policy]);
  const holders: { holder: PolicyResource; property: string; where: string }[] = [];
  if (role.props.managedPolicyArns !== undefined) {
    holders.push({ holder: role, property: "managedPolicyArns", where: `${role.name}.managedPolicyArns` });
  }
  const attachments: [string, string, string][] = [
    [IAM.rolePolicyAttachment, "role", "policyArn"],
    [IAM.rolePolicyAttachmentsExclusive, "roleName", "policyArns"],
    [IAM.policyAttachment, "roles", "policyArn"],
  ];
  for (const [type, roleProperty, arnProperty] of attachments) {
    for (const att of ofTypes(resources, [type])) {
      if (namesRole(att, roleProperty, role, roleValues)) {
        holders.push({ holder: att, property: arnProperty, where: `attachment ${att.name}` });
      }
    }
  }
  const unseen: string[] = [];
  for (const { holder, property, where } of holders) {
    const attached = attachedPolicies(holder, property, policies);
    for (const policy of attached.found) {
      docs.push({ where: `attached policy ${policy.name}`, value: policy.props.policy });
    }
    unseen.push(...attached.unseen.map((arn) => `${where} (${arn})`));
  }
  for (const where of unseen) {
    docs.push({ where, value: undefined });
  }
  return docs;
}

export const backupUploaderNoDelete = stackPolicy<UploaderConfig>({
  name: "backup-uploader-no-delete",
  description:
    "The backup uploader role can never delete objects or object versions: no statement allows it, and an explicit Deny covers it.",
  enforcementLevel: "mandatory",
  config: {
    uploaderRolePattern: {
      type: "string",
      default: "uploader",
      description:
        "A regular expression matched (case-insensitively) against the logical names of roles to find the uploader.",
    },
    deleteActions: {
      type: "array",
      items: { type: "string" },
      default: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      description: "Actions the uploader must never be allowed.",
    },
    requireExplicitDeny: {
      type: "boolean",
      default: true,
      description: "Require a Deny statement covering every delete action.",
    },
  },
  rules: (args, config, report) => {
    const pattern = new RegExp(config.uploaderRolePattern, "i");
    return ofTypes(args.resources, [IAM.role])
      .filter((role) => pattern.test(role.name))
      .map((role) => () => {
        const docs = roleDocuments(args.resources, role);
        const denied = new Set<string>();
        for (const doc of docs) {
          if (doc.value === undefined) {
            report(
              `uploader ${role.name}: ${doc.where} attaches a policy whose content the stack does not show`,
              role.urn,
            );
            continue;
          }
          for (const s of parseStatements(doc.value, doc.where)) {
            for (const action of config.deleteActions) {
              if (!statementCovers(s, action)) {
                continue;
              }
              if (s.effect === "Allow") {
                report(`uploader ${role.name}: ${doc.where} statement ${s.sid} allows ${action}`, role.urn);
              } else {
                denied.add(action.toLowerCase());
              }
            }
          }
        }
        const notDenied = config.deleteActions.filter((a) => !denied.has(a.toLowerCase()));
        if (config.requireExplicitDeny && notDenied.length > 0) {
          report(`uploader ${role.name}: no explicit Deny of ${notDenied.join(", ")}`, role.urn);
        }
      });
  },
});
