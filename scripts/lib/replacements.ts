/**
 * Which input changes make a provider replace a resource, for every resource type this program
 * registers: ONE table, each entry with the provider source it was read from (the schema's
 * `ForceNew` of a Terraform-bridged provider, `RequiresReplace` of a plugin-framework one, or the
 * native provider's `Diff`). The offline diff (`npm run plan -- --against <ref>`) reads it; nothing
 * else decides what a change does.
 *
 * Input names are the Pulumi SDK's (camelCase: `envs`, `uploads`, `networksAdvanced`), top level.
 */

/** What a change of an input not listed under `replaceOn` does. */
export type OtherChanges =
  /** An in-place update (the provider applies it). */
  | "update"
  /** Everything else replaces too: only `updateInPlace` and `stateOnly` are updated. */
  | "replace";

export interface ReplacementRule {
  /** Inputs whose change replaces the resource. */
  replaceOn: readonly string[];
  /** What a change of any other input does. */
  otherChanges: OtherChanges;
  /** With `otherChanges: "replace"`: the inputs the provider updates on the running resource. */
  updateInPlace?: readonly string[];
  /**
   * Inputs the provider only records in its state: an "update" that changes nothing that runs
   * (the program puts the ones that matter under `replaceOnChanges`).
   */
  stateOnly?: readonly string[];
  /** An update (not only a replacement) gives the resource new outputs (a rebuilt image's id). */
  updateChangesOutputs?: boolean;
  /** Where this comes from. */
  source: string;
}

const DOCKER_UPSTREAM =
  "kreuzwerker/terraform-provider-docker@5074970c (v4.5.0, the upstream pulumi-docker 5.x bridges)";
const AWS_UPSTREAM =
  "hashicorp/terraform-provider-aws v6 (bridged by @pulumi/aws 7.x), the resource's schema";
const CLOUDFLARE_UPSTREAM =
  "cloudflare/terraform-provider-cloudflare v5 (bridged by @pulumi/cloudflare 6.x), internal/services/<resource>/schema.go `RequiresReplace`";

/**
 * The table. A type missing here is diffed as "every change updates in place" and the diff says
 * the type is not in the table.
 */
export const REPLACEMENTS: Readonly<Record<string, ReplacementRule>> = {
  // docker_container: every top-level attribute is ForceNew except the ones below; the update
  // function (resourceDockerContainerUpdate) applies only restart, max_retry_count, cpu_shares,
  // memory, memory_reservation, cpu_set, memory_swap and the device_* limits to the running
  // container. healthcheck, tmpfs and init are neither ForceNew nor updated: a change only lands
  // in the state (the program lists them under replaceOnChanges). `cpus` is ForceNew.
  "docker:index/container:Container": {
    replaceOn: [],
    otherChanges: "replace",
    updateInPlace: [
      "restart",
      "maxRetryCount",
      "cpuShares",
      "memory",
      "memoryReservation",
      "cpuSet",
      "memorySwap",
      "deviceReadBps",
      "deviceReadIops",
      "deviceWriteBps",
      "deviceWriteIops",
    ],
    stateOnly: [
      "healthcheck",
      "tmpfs",
      "init",
      "rm",
      "start",
      "attach",
      "logs",
      "mustRun",
      "wait",
      "waitTimeout",
      "destroyGraceSeconds",
      "removeVolumes",
      "containerReadRefreshTimeoutMilliseconds",
      "cpuPeriod",
      "cpuQuota",
    ],
    source: `${DOCKER_UPSTREAM}: internal/provider/resource_docker_container.go (ForceNew) and resource_docker_container_funcs.go (resourceDockerContainerUpdate)`,
  },
  // docker_network: every configurable attribute is ForceNew.
  "docker:index/network:Network": {
    replaceOn: [
      "name",
      "labels",
      "driver",
      "options",
      "internal",
      "attachable",
      "ingress",
      "ipv6",
      "ipamDriver",
      "ipamOptions",
      "ipamConfigs",
    ],
    otherChanges: "update",
    source: `${DOCKER_UPSTREAM}: internal/provider/resource_docker_network.go`,
  },
  // docker_volume: name, labels, driver, driver_opts are ForceNew.
  "docker:index/volume:Volume": {
    replaceOn: ["name", "labels", "driver", "driverOpts"],
    otherChanges: "update",
    source: `${DOCKER_UPSTREAM}: internal/provider/resource_docker_volume.go`,
  },
  // docker_image (RemoteImage): name, pull_triggers, triggers, platform are ForceNew; a new
  // name pulls a new image, whose id replaces every container that runs it.
  "docker:index/remoteImage:RemoteImage": {
    replaceOn: ["name", "pullTriggers", "triggers", "platform"],
    otherChanges: "update",
    source: `${DOCKER_UPSTREAM}: internal/provider/resource_docker_image.go`,
  },
  // docker.Image is pulumi-docker's native resource: Diff reports every changed input as an
  // update (a rebuild), never a replacement; Check adds `build.contextDigest`, a hash of the
  // build context and Dockerfile, so a changed Dockerfile or base image is a change too. The
  // rebuild gives a new image id and repoDigest, which replace the containers that run it.
  "docker:index/image:Image": {
    replaceOn: [],
    otherChanges: "update",
    updateChangesOutputs: true,
    source:
      "pulumi/pulumi-docker provider/provider.go (dockerNativeProvider.Check adds build.contextDigest from hashContext; Diff returns only DIFF_SOME updates)",
  },
  // random_password: every argument is RequiresReplace (keepers included).
  "random:index/randomPassword:RandomPassword": {
    replaceOn: ["*"],
    otherChanges: "replace",
    source:
      "terraform-provider-random resource_password.go (every attribute RequiresReplace), bridged by @pulumi/random 4.x",
  },
  "random:index/randomBytes:RandomBytes": {
    replaceOn: ["*"],
    otherChanges: "replace",
    source: "terraform-provider-random resource_bytes.go (every attribute RequiresReplace)",
  },
  // command.local.Command: `triggers` replaces; any other change is an update, which runs the
  // `update` command or, when there is none, `create` again.
  "command:local:Command": {
    replaceOn: ["triggers"],
    otherChanges: "update",
    source:
      "pulumi/pulumi-command provider/pkg/provider/local/command.go (triggers: replaceOnChanges; Update re-runs create without an update command)",
  },
  "command:remote:Command": {
    replaceOn: ["triggers", "connection"],
    otherChanges: "update",
    source: "pulumi/pulumi-command provider/pkg/provider/remote/command.go",
  },
  "aws:s3/bucket:Bucket": {
    replaceOn: ["bucket", "bucketPrefix", "objectLockEnabled", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/s3/bucket.go (bucket, bucket_prefix, object_lock_enabled ForceNew)`,
  },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
    replaceOn: ["bucket", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/s3/bucket_public_access_block.go`,
  },
  "aws:s3/bucketVersioning:BucketVersioning": {
    replaceOn: ["bucket", "expectedBucketOwner", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/s3/bucket_versioning.go`,
  },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
    replaceOn: ["bucket", "expectedBucketOwner", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/s3/bucket_server_side_encryption_configuration.go`,
  },
  "aws:s3/bucketPolicy:BucketPolicy": {
    replaceOn: ["bucket", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/s3/bucket_policy.go`,
  },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
    replaceOn: ["bucket", "expectedBucketOwner", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/s3/bucket_lifecycle_configuration.go`,
  },
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": {
    replaceOn: ["bucket", "expectedBucketOwner", "objectLockEnabled", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/s3/bucket_object_lock_configuration.go`,
  },
  // aws_iam_user: a new name or path is an UpdateUser, not a replacement.
  "aws:iam/user:User": {
    replaceOn: [],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/iam/user.go (no ForceNew argument)`,
  },
  "aws:iam/userPolicy:UserPolicy": {
    replaceOn: ["name", "namePrefix", "user"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/iam/user_policy.go`,
  },
  "aws:iam/role:Role": {
    replaceOn: ["name", "namePrefix", "path"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/iam/role.go`,
  },
  "aws:iam/rolePolicy:RolePolicy": {
    replaceOn: ["name", "namePrefix", "role"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/iam/role_policy.go`,
  },
  "aws:kms/key:Key": {
    replaceOn: ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/kms/key.go`,
  },
  "aws:sns/topic:Topic": {
    replaceOn: ["name", "namePrefix", "fifoTopic", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/sns/topic.go`,
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    replaceOn: ["topic", "protocol", "endpoint", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/sns/topic_subscription.go (topic_arn, protocol, endpoint ForceNew)`,
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    replaceOn: ["name", "region"],
    otherChanges: "update",
    source: `${AWS_UPSTREAM}: internal/service/cloudwatch/metric_alarm.go (alarm_name ForceNew)`,
  },
  "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared": {
    replaceOn: ["accountId", "configSrc"],
    otherChanges: "update",
    source: `${CLOUDFLARE_UPSTREAM} (zero_trust_tunnel_cloudflared: account_id; config_src RequiresReplaceIfConfigured)`,
  },
  "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig": {
    replaceOn: ["accountId", "tunnelId"],
    otherChanges: "update",
    source: `${CLOUDFLARE_UPSTREAM} (zero_trust_tunnel_cloudflared_config)`,
  },
  "cloudflare:index/dnsRecord:DnsRecord": {
    replaceOn: ["zoneId", "type"],
    otherChanges: "update",
    source: `${CLOUDFLARE_UPSTREAM} (dns_record: zone_id, type)`,
  },
  "cloudflare:index/emailRoutingRule:EmailRoutingRule": {
    replaceOn: ["zoneId"],
    otherChanges: "update",
    source: `${CLOUDFLARE_UPSTREAM} (email_routing_rule)`,
  },
  "cloudflare:index/emailRoutingCatchAll:EmailRoutingCatchAll": {
    replaceOn: ["zoneId"],
    otherChanges: "update",
    source: `${CLOUDFLARE_UPSTREAM} (email_routing_catch_all)`,
  },
  "cloudflare:index/workersScript:WorkersScript": {
    replaceOn: ["accountId", "scriptName"],
    otherChanges: "update",
    source: `${CLOUDFLARE_UPSTREAM} (workers_script)`,
  },
};

/** What changing one input of a resource of `type` does, by the table. */
export type InputEffect = "replace" | "update" | "state-only" | "untabled";

export function inputEffect(type: string, input: string): InputEffect {
  if (type.startsWith("pulumi:providers:")) {
    return "update";
  }
  const rule = REPLACEMENTS[type];
  if (!rule) {
    return "untabled";
  }
  if (rule.replaceOn.includes("*") || rule.replaceOn.includes(input)) {
    return "replace";
  }
  if (rule.stateOnly?.includes(input)) {
    return "state-only";
  }
  if (rule.otherChanges === "replace" && !rule.updateInPlace?.includes(input)) {
    return "replace";
  }
  return "update";
}
