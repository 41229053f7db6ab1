/**
 * The onprem-infra policy pack: `pulumi preview --policy-pack policy`. Constructing the pack starts
 * the analyzer server, so nothing but the CLI (or the test harness, through the CLI's entry
 * point) imports this file; the policies live in their own modules.
 */
// First, so that the modules loaded below come from the compile cache (compile-cache.ts).
import { saveCompileCache } from "./compile-cache";
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES, POLICY_PACK_NAME } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
  description:
    "Guards the onprem-infra estate: pinned images, common tags and labels, backup bucket safety, least-privilege IAM, hardened containers, secrets kept secret and rotated, tunnel and monitoring hygiene.",
  policies: ALL_POLICIES,
});

saveCompileCache();
