/**
 * The estate, composed from stack config: the providers (created once, here), the generated
 * secrets, then the mail stack, the blog stack, the tunnel and the offsite backups. Run per stack
 * with `pulumi preview` / `pulumi up --stack <production|staging>`.
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { dockerSshOpts, loadStackConfig, passwordSites } from "./config";
import { BackupInfra } from "./components/backup/BackupInfra";
import { BILLING_REGION } from "./components/backup/policies";
import { backupDefaultTags } from "./components/backup/tags";
import { BlogStack } from "./components/blog/BlogStack";
import { blogHostnames } from "./components/blog/schema";
import { blogNginxOrigin } from "./components/blog/services";
import { MailserverStack } from "./components/mail/MailserverStack";
import { GeneratedSecrets } from "./components/secrets/GeneratedSecrets";
import { inventoryFor } from "./components/secrets/inventory";
import { rotationReport } from "./components/secrets/rotation";
import { rotationStamps } from "./components/secrets/schema";
import { Tunnel } from "./components/tunnel/Tunnel";

// Validates every key before anything is registered; a bad stack file stops here.
const cfg = loadStackConfig();
const production = cfg.stack === "production";

// Default providers are disabled (Pulumi.yaml): every resource names one of these.
// Over ssh://, every Docker API connection shares one SSH connection (config.ts, dockerSshOpts).
const dockerProvider = new docker.Provider("docker", {
  host: cfg.dockerHost,
  sshOpts: dockerSshOpts(cfg.dockerHost),
});
const randomProvider = new random.Provider("random");
const commandProvider = new command.Provider("command");
const cloudflareProvider = new cloudflare.Provider("cloudflare", {
  apiToken: cfg.secrets.cloudflareApiToken,
});
// AWS: the backup region, and us-east-1 where billing metrics live; both tag everything alike,
// and refuse any account but the stack's (every ARN in a policy document is formatted from it).
// While the backups are adopted (phase adopt), the default tags are Terraform's, as the imported
// resources carry them; phase harden switches to the common tags (an in-place tag update).
const awsDefaultTags = { tags: backupDefaultTags(cfg.backup.phase, cfg.facts) };
const awsAccount = { allowedAccountIds: [cfg.backup.accountId], defaultTags: awsDefaultTags };
const awsProvider = new aws.Provider("aws", { region: cfg.awsRegion, ...awsAccount });
// Only the stack that owns the account-wide cost alarms needs us-east-1.
const awsBillingProvider = cfg.backup.costAlarms
  ? new aws.Provider("aws-billing", { region: BILLING_REGION, ...awsAccount })
  : undefined;

const siteNames = passwordSites(cfg);
const stamps = rotationStamps(cfg.rotations, siteNames);
const secrets = new GeneratedSecrets(
  "secrets",
  { rotations: stamps, sites: siteNames },
  { providers: { random: randomProvider } },
);

const mail = new MailserverStack(
  "mail",
  {
    ...cfg.mail,
    facts: cfg.facts,
    dockerHost: cfg.dockerHost,
    protectData: production,
    // Taken over from the running estate: host jobs, the unified-portal and the old Worker use them too.
    dbRootPassword: cfg.secrets.mailDbRootPassword,
    dbAppPassword: cfg.secrets.mailDbAppPassword,
    usermgmtDbPassword: cfg.secrets.usermgmtDbPassword,
    usermgmtSecretKey: secrets.values.usermgmtSecretKey,
    roundcubeDesKey: secrets.values.roundcubeDesKey,
    mailApiKey: cfg.secrets.mailApiKey,
    sendgridApiKey: cfg.mail.relay.authenticated ? cfg.secrets.sendgridApiKey : undefined,
  },
  { providers: { docker: dockerProvider, command: commandProvider } },
);

// The tunnel first: cloudflared (in the blog stack) runs with its token, after its configuration.
const tunnel = new Tunnel(
  "tunnel",
  {
    accountId: cfg.tunnel.accountId,
    tunnelName: cfg.tunnel.name,
    zones: cfg.tunnel.zones,
    blogHostnames: blogHostnames(cfg.blog.sites),
    blogOrigin: blogNginxOrigin(cfg.blog.containerPrefix),
    webmailHostname: cfg.tunnel.webmailHostname,
    webmailOrigin: mail.webmailOrigin,
    mailApiHostname: cfg.tunnel.mailApiHostname,
    apiOrigin: mail.apiOrigin,
    tunnelSecret: secrets.values.tunnelSecret,
    workerName: cfg.tunnel.email.workerName,
    catchAllZones: cfg.tunnel.email.catchAll,
    emailAddresses: cfg.tunnel.email.addresses,
    mailApiKey: cfg.secrets.mailApiKey,
    facts: cfg.facts,
  },
  { providers: { cloudflare: cloudflareProvider } },
);

const blog = new BlogStack(
  "blog",
  {
    containerPrefix: cfg.blog.containerPrefix,
    subnet: cfg.blog.subnet,
    network: cfg.blog.network,
    data: cfg.blog.data,
    services: cfg.blog.services,
    sites: cfg.blog.sites,
    facts: cfg.facts,
    dockerHost: cfg.dockerHost,
    mailNetworkName: mail.networkName,
    // WordPress sends through Postfix by the name on its certificate (extra_hosts, as today).
    mailHostname: cfg.mail.certificate.hostname,
    postfixAddress: cfg.mail.services.postfix.ip,
    protectData: production,
    // Taken over from the running estate: the unified-portal and every wp-config.php use them.
    dbRootPassword: cfg.secrets.blogDbRootPassword,
    sharedDbPassword: cfg.secrets.blogDbWordpressPassword,
    sitePasswords: secrets.sitePasswords,
    siteAdminPasswords: secrets.siteAdminPasswords,
    tunnelToken: tunnel.token,
    tunnelResources: [tunnel.ingressConfig],
  },
  { providers: { docker: dockerProvider, command: commandProvider } },
);

const backup = new BackupInfra(
  "backup",
  {
    ...cfg.backup,
    monitoringProvider: awsBillingProvider,
    protectBucket: production,
  },
  { providers: { aws: awsProvider } },
);
/** The offsite backup bucket, the roles the host assumes to upload and restore, and the alert topic. */
export const backupBucket = backup.bucketName;
/** The backups' take-over phase: adopt (Terraform's settings, imported) or harden (docs/backups.md). */
export const backupPhase = backup.phase;
export const backupBucketArn = backup.bucketArn;
export const backupUploaderRoleArn = backup.uploaderRoleArn;
export const backupRestoreRoleArn = backup.restoreRoleArn;
export const backupOperatorUser = backup.userName;
export const backupAlertTopicArn = backup.topicArn;

/** The Docker host this stack deploys to. */
export const dockerHost = cfg.dockerHost;
/** The mail stack's network and containers, and what it publishes on the host. */
export const mailNetwork = mail.networkName;
export const mailContainers = mail.containerNames;
export const mailEndpoints = mail.endpoints;
/** The blog stack's network and containers, what it publishes on the host, and its sites' hostnames. */
export const blogNetwork = blog.networkName;
export const blogContainers = blog.containerNames;
export const blogEndpoints = blog.endpoints;
export const blogHostnamesServed = blog.hostnames;
/** The new WordPress sites the program installed, and each one's administrator password (secret). */
export const blogInstalledSites = blog.installedSites;
export const siteAdminPasswords = pulumi.secret(pulumi.output(secrets.siteAdminPasswords));
/** The tunnel, where every public hostname points, and the Email Worker receiving inbound mail. */
export const tunnelId = tunnel.tunnelId;
export const tunnelCnameTarget = tunnel.cnameTarget;
export const tunnelHostnames = tunnel.hostnames;
export const inboundMailWorker = tunnel.workerName;
/** Every secret's last rotation, age, period and status (ok, due within 14 days, overdue). */
export const secretRotation = pulumi.output(
  rotationReport(
    inventoryFor(siteNames).filter(
      (s) => s.source !== "external" || cfg.heldSecrets.some((id) => id === s.id),
    ),
    stamps,
    cfg.today,
  ),
);
