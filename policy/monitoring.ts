/**
 * Monitoring: the cost-alarm topic's messages are encrypted with a key the estate controls.
 */
import { BaseConfig, resourcePolicy } from "./common";

export const SNS_TOPIC = "aws:sns/topic:Topic";

export interface TopicKeyConfig extends BaseConfig {
  awsManagedKeys: string[];
}

export const snsTopicCustomerManagedKey = resourcePolicy<TopicKeyConfig>({
  name: "sns-topic-customer-managed-key",
  description:
    "SNS topics are encrypted with a customer-managed KMS key (not none, not the AWS-managed alias/aws/sns).",
  enforcementLevel: "advisory",
  types: [SNS_TOPIC],
  config: {
    awsManagedKeys: {
      type: "array",
      items: { type: "string" },
      default: ["alias/aws/sns"],
      description: "Key ids that are AWS-managed and so do not count.",
    },
  },
  rules: (args, config, report) => [
    () => {
      const key: unknown = args.props.kmsMasterKeyId;
      if (typeof key !== "string" || key.trim() === "") {
        report("kmsMasterKeyId is not set: messages are not encrypted with a customer-managed key");
      } else if (config.awsManagedKeys.includes(key.trim())) {
        report(`kmsMasterKeyId is the AWS-managed key ${key}; use a customer-managed KMS key`);
      }
    },
  ],
});
