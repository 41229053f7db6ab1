/**
 * Every policy of the pack, in one list, without constructing the pack (which starts a server):
 * `index.ts` builds the `PolicyPack` from it, tests read it.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  containerHealthcheck,
  containerLogLimits,
  containerNoHostNamespaces,
  containerNoNewPrivileges,
  containerNotPrivileged,
  containerPortsBound,
  containerReadOnlyRootfs,
  containerResourceLimits,
  containerRestartPolicy,
  containerSensitiveMounts,
} from "./containers";
import { backupAdoptionScope, backupHardeningPending } from "./adoption";
import { backupUploaderNoDelete, iamNoWildcardActions, iamNoWildcardResources } from "./iam";
import { pinnedImages } from "./images";
import { snsTopicCustomerManagedKey } from "./monitoring";
import { generatedPasswordRotationKeeper, noPlaintextSecretEnv, secretRotationOverdue } from "./secrets";
import { backupBucketSafety } from "./storage";
import { awsCommonTags, dockerCommonLabels } from "./tags";
import { tunnelDnsProxied, tunnelDnsRouted, tunnelIngressCatchAll, tunnelTlsVerify } from "./tunnel";

export const POLICY_PACK_NAME = "onprem-infra-policy";

export const ALL_POLICIES: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  // images
  pinnedImages,
  // tags and labels
  awsCommonTags,
  dockerCommonLabels,
  // containers
  containerResourceLimits,
  containerHealthcheck,
  containerNotPrivileged,
  containerNoHostNamespaces,
  containerSensitiveMounts,
  containerPortsBound,
  containerRestartPolicy,
  containerLogLimits,
  containerReadOnlyRootfs,
  containerNoNewPrivileges,
  // storage
  backupBucketSafety,
  // adoption (the backups' phase adopt)
  backupAdoptionScope,
  backupHardeningPending,
  // iam
  iamNoWildcardActions,
  iamNoWildcardResources,
  backupUploaderNoDelete,
  // monitoring
  snsTopicCustomerManagedKey,
  // tunnel
  tunnelIngressCatchAll,
  tunnelTlsVerify,
  tunnelDnsProxied,
  tunnelDnsRouted,
  // secrets
  noPlaintextSecretEnv,
  generatedPasswordRotationKeeper,
  secretRotationOverdue,
];
