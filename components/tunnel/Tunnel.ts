/**
 * One stack's Cloudflare edge: a named, remotely configured tunnel with its ingress rules (every
 * blog hostname -> the blog nginx, webmail -> the mail nginx where routed, the mail API ->
 * mailserver-api, then a 404 catch-all), a proxied CNAME per public hostname, the tunnel token as
 * a secret output for cloudflared, and inbound mail as code: Email Routing for the mail domains ->
 * an Email Worker that posts each message through the tunnel to the mail API's
 * `/api/v1/inbound-mail` with the API key in `X-API-Key`.
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { CommonFacts, MANAGED_BY } from "../common/labels";
import {
  cnameTarget,
  deliveryUrl,
  dnsRecords,
  ingressRules,
  tunnelHostnames,
  tunnelSecretBase64,
  WORKER_COMPATIBILITY_DATE,
  WORKER_MODULE,
  workerSource,
  zoneFor,
} from "./ingress";

export interface TunnelArgs {
  /** The Cloudflare account holding the tunnel and the Worker. */
  accountId: string;
  /** The tunnel's name, one per stack. */
  tunnelName: string;
  /** Zone name -> zone id, for every public hostname and mail domain. */
  zones: Readonly<Record<string, string>>;
  /** Every blog hostname (sites' domains and aliases), in order. */
  blogHostnames: string[];
  /** The blog nginx as cloudflared reaches it, e.g. `http://blog-nginx:80`. */
  blogOrigin: pulumi.Input<string>;
  /** Webmail's public hostname, where the stack routes it (the estate does not: webmail is on the tailnet). */
  webmailHostname?: string;
  /** The mail nginx (MailserverStack.webmailOrigin). */
  webmailOrigin: pulumi.Input<string>;
  mailApiHostname: string;
  /** mailserver-api (MailserverStack.apiOrigin). */
  apiOrigin: pulumi.Input<string>;
  /** The generated tunnel secret (at least 32 bytes); sent base64-encoded. */
  tunnelSecret: pulumi.Input<string>;
  /** The Email Worker's script name, one per stack. */
  workerName: string;
  /** Mail domains (zones) whose catch-all rule sends everything to the Worker. */
  catchAllZones?: string[];
  /** Single addresses routed to the Worker by their own rule. */
  emailAddresses?: string[];
  /** The mail API key, bound to the Worker as secret text. */
  mailApiKey: pulumi.Input<string>;
  facts: CommonFacts;
}

/** A resource-name-safe form of a hostname or address. */
function slug(value: string): string {
  return value.replace(/@/g, "-at-");
}

export class Tunnel extends pulumi.ComponentResource {
  /** The tunnel's UUID. */
  readonly tunnelId: pulumi.Output<string>;
  /** Where every public hostname's CNAME points: `<tunnel id>.cfargotunnel.com`. */
  readonly cnameTarget: pulumi.Output<string>;
  /** The token cloudflared runs the tunnel with (secret). */
  readonly token: pulumi.Output<string>;
  /** Every public hostname, in ingress order. */
  readonly hostnames: pulumi.Output<string[]>;
  /** The Email Worker's script name. */
  readonly workerName: pulumi.Output<string>;
  /** The tunnel's remote configuration; cloudflared starts after it. */
  readonly ingressConfig: cloudflare.ZeroTrustTunnelCloudflaredConfig;

  constructor(name: string, args: TunnelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem:tunnel:Tunnel", name, {}, opts);

    const catchAllZones = args.catchAllZones ?? [];
    const emailAddresses = args.emailAddresses ?? [];
    const hostnames = tunnelHostnames(args);
    const fail = (message: string): never => {
      throw new pulumi.ResourceError(message, this);
    };
    const dup = hostnames.find((h, i) => hostnames.indexOf(h) !== i);
    if (dup !== undefined) {
      fail(`hostname ${dup} is listed twice`);
    }
    for (const zone of catchAllZones) {
      if (!(zone in args.zones)) {
        fail(`catch-all zone ${zone} is not one of zones (${Object.keys(args.zones).join(", ")})`);
      }
    }
    for (const address of emailAddresses) {
      if (zoneFor(address.split("@")[1] ?? "", args.zones) === undefined) {
        fail(`email address ${address} lies in no zone of zones`);
      }
    }
    if (catchAllZones.length === 0 && emailAddresses.length === 0) {
      fail("inbound mail needs at least one catch-all zone or address");
    }
    let records: ReturnType<typeof dnsRecords> = [];
    try {
      records = dnsRecords(hostnames, args.zones);
    } catch (err) {
      fail((err as Error).message);
    }

    const child = { parent: this };
    const description = `${MANAGED_BY}: ${args.facts.project} ${args.facts.environment}`;

    const tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
      `${name}-tunnel`,
      {
        accountId: args.accountId,
        name: args.tunnelName,
        configSrc: "cloudflare",
        tunnelSecret: pulumi.secret(pulumi.output(args.tunnelSecret).apply(tunnelSecretBase64)),
      },
      child,
    );

    this.ingressConfig = new cloudflare.ZeroTrustTunnelCloudflaredConfig(
      `${name}-config`,
      {
        accountId: args.accountId,
        tunnelId: tunnel.id,
        source: "cloudflare",
        config: {
          ingresses: pulumi
            .all([args.blogOrigin, args.webmailOrigin, args.apiOrigin])
            .apply(([blogOrigin, webmailOrigin, apiOrigin]) =>
              ingressRules({
                blogHostnames: args.blogHostnames,
                blogOrigin,
                webmailHostname: args.webmailHostname,
                webmailOrigin,
                mailApiHostname: args.mailApiHostname,
                apiOrigin,
              }),
            ),
        },
      },
      child,
    );

    const target = tunnel.id.apply(cnameTarget);
    for (const record of records) {
      new cloudflare.DnsRecord(
        `${name}-dns-${record.hostname}`,
        {
          zoneId: record.zoneId,
          name: record.hostname,
          type: "CNAME",
          content: target,
          proxied: true,
          ttl: 1,
          comment: `${description}: tunnel ${args.tunnelName}`,
        },
        child,
      );
    }

    const worker = new cloudflare.WorkersScript(
      `${name}-inbound-mail-worker`,
      {
        accountId: args.accountId,
        scriptName: args.workerName,
        content: workerSource(),
        mainModule: WORKER_MODULE,
        compatibilityDate: WORKER_COMPATIBILITY_DATE,
        bindings: [
          { name: "MAIL_API_URL", type: "plain_text", text: deliveryUrl(args.mailApiHostname) },
          { name: "MAIL_API_KEY", type: "secret_text", text: pulumi.secret(args.mailApiKey) },
        ],
      },
      child,
    );

    const workerAction = [{ type: "worker", values: [worker.scriptName] }];
    for (const zone of catchAllZones) {
      new cloudflare.EmailRoutingCatchAll(
        `${name}-email-catch-all-${zone}`,
        {
          zoneId: args.zones[zone],
          name: `${description}: every address of ${zone} -> ${args.workerName}`,
          enabled: true,
          matchers: [{ type: "all" }],
          actions: workerAction,
        },
        child,
      );
    }
    for (const address of emailAddresses) {
      const zone = zoneFor(address.split("@")[1], args.zones) as string;
      new cloudflare.EmailRoutingRule(
        `${name}-email-rule-${slug(address)}`,
        {
          zoneId: args.zones[zone],
          name: `${description}: ${address} -> ${args.workerName}`,
          enabled: true,
          matchers: [{ type: "literal", field: "to", value: address }],
          actions: workerAction,
        },
        child,
      );
    }

    const token = cloudflare.getZeroTrustTunnelCloudflaredTokenOutput(
      { accountId: args.accountId, tunnelId: tunnel.id },
      { parent: this },
    );

    this.tunnelId = tunnel.id;
    this.cnameTarget = target;
    this.token = pulumi.secret(token.token);
    this.hostnames = pulumi.output(hostnames);
    this.workerName = worker.scriptName;

    this.registerOutputs({
      tunnelId: this.tunnelId,
      cnameTarget: this.cnameTarget,
      token: this.token,
      hostnames: this.hostnames,
      workerName: this.workerName,
    });
  }
}
