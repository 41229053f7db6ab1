/**
 * Common tags and labels: every taggable AWS resource carries the estate's facts as tags (its own
 * tags merged over its provider's `defaultTags`), every Docker container, network and volume
 * carries them as labels.
 */
import {
  ADOPTING_MANAGED_BY_SCHEMA,
  arrayOf,
  BaseConfig,
  isAdopted,
  isRecord,
  jsonValue,
  known,
  resourcePolicy,
  stringMap,
} from "./common";

/** AWS types of the estate (and their usual neighbours) that take `tags`. */
export const TAGGABLE_AWS_TYPES: readonly string[] = [
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:iam/user:User",
  "aws:iam/role:Role",
  "aws:iam/policy:Policy",
  "aws:iam/group:Group",
  "aws:iam/instanceProfile:InstanceProfile",
  "aws:sns/topic:Topic",
  "aws:sqs/queue:Queue",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:kms/key:Key",
  "aws:budgets/budget:Budget",
  "aws:lambda/function:Function",
  "aws:secretsmanager/secret:Secret",
  "aws:ssm/parameter:Parameter",
];

export interface AwsTagsConfig extends BaseConfig {
  requiredTags: string[];
  requiredValues: Record<string, string>;
  extraTaggableTypes: string[];
  adoptingManagedBy: string;
}

/** The tags a resource ends up with: the provider's `defaultTags.tags`, then its own `tags`. */
export function effectiveTags(
  props: Record<string, unknown>,
  providerProps: Record<string, unknown> | undefined,
): Record<string, string> {
  let defaults: Record<string, string> = {};
  if (providerProps !== undefined) {
    const defaultTags = jsonValue(providerProps.defaultTags, "provider.defaultTags");
    if (isRecord(defaultTags)) {
      defaults = stringMap(defaultTags.tags, "provider.defaultTags.tags");
    }
  }
  return { ...defaults, ...stringMap(props.tags, "tags") };
}

/** What is missing or wrong in `tags`. */
export function tagProblems(
  tags: Record<string, string>,
  required: readonly string[],
  values: Record<string, string>,
): string[] {
  const problems: string[] = [];
  const missing = required.filter((k) => (tags[k] ?? "").trim() === "");
  if (missing.length > 0) {
    problems.push(`missing or empty: ${missing.join(", ")}`);
  }
  for (const [key, expected] of Object.entries(values)) {
    if (tags[key] !== undefined && tags[key].trim() !== "" && tags[key] !== expected) {
      problems.push(`${key} is "${tags[key]}", expected "${expected}"`);
    }
  }
  return problems;
}

export const awsCommonTags = resourcePolicy<AwsTagsConfig>({
  name: "aws-common-tags",
  description:
    "Every taggable AWS resource has non-empty Project, Environment, ManagedBy (= pulumi) and Owner tags, counting its provider's defaultTags. Resources that take no tags, and resources adopted as they are (phase adopt: their provider's default ManagedBy is adoptingManagedBy; backup-hardening-pending reports them), are not applicable.",
  enforcementLevel: "mandatory",
  types: [],
  notApplicableReason: (args, config) =>
    args.type.startsWith("aws:") && isAdopted(args.provider, config.adoptingManagedBy)
      ? `adopted as it is (phase adopt: provider default ManagedBy=${config.adoptingManagedBy}); phase harden sets the common tags`
      : args.type.startsWith("aws:") &&
          (TAGGABLE_AWS_TYPES.includes(args.type) ||
            config.extraTaggableTypes.includes(args.type) ||
            "tags" in args.props)
        ? undefined
        : "the resource takes no tags",
  config: {
    requiredTags: {
      type: "array",
      items: { type: "string" },
      default: ["Project", "Environment", "ManagedBy", "Owner"],
      description: "Tag keys every taggable AWS resource must carry, non-empty.",
    },
    requiredValues: {
      type: "object",
      additionalProperties: { type: "string" },
      default: { ManagedBy: "pulumi" },
      description: "Tags whose value is fixed.",
    },
    extraTaggableTypes: {
      type: "array",
      items: { type: "string" },
      default: [],
      description: "More AWS type tokens to treat as taggable even when they carry no tags yet.",
    },
    adoptingManagedBy: ADOPTING_MANAGED_BY_SCHEMA,
  },
  remediationSteps:
    "Set the tags through the AWS provider's defaultTags (commonTags() in components/common/labels.ts) or on the resource.",
  rules: (args, config, report) => [
    () => {
      const tags = effectiveTags(args.props, args.provider?.props);
      for (const problem of tagProblems(tags, config.requiredTags, config.requiredValues)) {
        report(
          `tags (own tags merged over provider ${args.provider?.name ?? "(default)"} defaultTags): ${problem}`,
        );
      }
    },
  ],
});

export const DOCKER_LABELLED_TYPES = [
  "docker:index/container:Container",
  "docker:index/network:Network",
  "docker:index/volume:Volume",
] as const;

export interface DockerLabelsConfig extends BaseConfig {
  requiredLabels: string[];
  requiredValues: Record<string, string>;
}

/** Docker labels as a map: the provider takes a list of `{ label, value }`. */
export function dockerLabelMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of arrayOf(known(value, "labels"))) {
    if (isRecord(entry) && typeof entry.label === "string") {
      out[entry.label] = entry.value === undefined || entry.value === null ? "" : String(entry.value);
    }
  }
  return out;
}

export const dockerCommonLabels = resourcePolicy<DockerLabelsConfig>({
  name: "docker-common-labels",
  description:
    "Every Docker container, network and volume carries the estate's facts (project, environment, managed-by, owner) as non-empty labels.",
  enforcementLevel: "mandatory",
  types: DOCKER_LABELLED_TYPES,
  config: {
    requiredLabels: {
      type: "array",
      items: { type: "string" },
      default: [
        "org.onprem-infra.project",
        "org.onprem-infra.environment",
        "org.onprem-infra.managed-by",
        "org.onprem-infra.owner",
      ],
      description: "Label keys every container, network and volume must carry, non-empty.",
    },
    requiredValues: {
      type: "object",
      additionalProperties: { type: "string" },
      default: { "org.onprem-infra.managed-by": "pulumi" },
      description: "Labels whose value is fixed.",
    },
  },
  remediationSteps: "Use dockerLabels(facts) from components/common/labels.ts for the resource's labels.",
  rules: (args, config, report) => [
    () => {
      const labels = dockerLabelMap(args.props.labels);
      for (const problem of tagProblems(labels, config.requiredLabels, config.requiredValues)) {
        report(`labels: ${problem}`);
      }
    },
  ],
});
