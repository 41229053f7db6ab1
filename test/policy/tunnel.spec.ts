import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { snsTopicCustomerManagedKey, SNS_TOPIC } from "../../policy/monitoring";
import {
  CLOUDFLARE,
  pointsAtTunnel,
  recordKey,
  recordKeysFor,
  tunnelDnsProxied,
  tunnelDnsRouted,
  tunnelIngressCatchAll,
  tunnelTlsVerify,
} from "../../policy/tunnel";
import { checkResource, checkStack, FakeResource, UNKNOWN, withField } from "./fixtures";

const tunnelConfig: FakeResource = {
  type: CLOUDFLARE.tunnelConfig,
  name: "tunnel-config",
  props: {
    config: {
      ingresses: [
        { hostname: "blog.example.com", service: "http://blog-nginx:80" },
        { hostname: "mail.example.com", service: "http://mailserver-nginx:80" },
        { service: "http_status:404" },
      ],
    },
  },
};

function record(name: string, hostname: string, proxied: boolean): FakeResource {
  return {
    type: CLOUDFLARE.dnsRecord,
    name,
    props: { name: hostname, type: "CNAME", content: "t.cfargotunnel.com", proxied },
  };
}

describe("policy: tunnel-ingress-catch-all / tunnel-tls-verify", () => {
  it("accept ingress ending in a catch-all, verifying TLS", () => {
    assert.deepEqual(checkResource(tunnelIngressCatchAll, tunnelConfig).violations, []);
    assert.deepEqual(checkResource(tunnelTlsVerify, tunnelConfig).violations, []);
  });

  it("report ingress without a final catch-all", () => {
    const noCatchAll = withField(tunnelConfig, "props.config.ingresses.2", undefined);
    assert.match(checkResource(tunnelIngressCatchAll, noCatchAll).violations.join(), /not a catch-all/);
  });

  it("report a catch-all before the end", () => {
    const early = withField(tunnelConfig, "props.config.ingresses.0", { service: "http_status:404" });
    const { violations } = checkResource(tunnelIngressCatchAll, early);
    assert.deepEqual(violations, [
      "ingress rule 0 is a catch-all before the end: the rules after it never match",
    ]);
  });

  it("report noTlsVerify on a rule and on the default origin request", () => {
    const rule = withField(tunnelConfig, "props.config.ingresses.1.originRequest", { noTlsVerify: true });
    assert.match(
      checkResource(tunnelTlsVerify, rule).violations.join(),
      /rule 1 \(mail.example.com\) sets noTlsVerify/,
    );
    const all = withField(tunnelConfig, "props.config.originRequest", { noTlsVerify: true });
    assert.match(checkResource(tunnelTlsVerify, all).violations.join(), /for every rule/);
  });

  it("cannot verify ingress unknown during preview, and say so", () => {
    const cases: [ResourceValidationPolicy, string][] = [
      [tunnelIngressCatchAll, "hostname"],
      [tunnelTlsVerify, "originRequest"],
    ];
    for (const [p, field] of cases) {
      const outcome = checkResource(p, withField(tunnelConfig, `props.config.ingresses.1.${field}`, UNKNOWN));
      assert.deepEqual(outcome.violations, [], p.name);
      assert.match(outcome.unknown ?? "", new RegExp(`${field} can't be known during preview`), p.name);
    }
  });

  it("are advisory", () => {
    assert.equal(tunnelIngressCatchAll.enforcementLevel, "advisory");
    assert.equal(tunnelTlsVerify.enforcementLevel, "advisory");
    assert.equal(tunnelDnsProxied.enforcementLevel, "advisory");
  });
});

describe("policy: tunnel-dns-proxied", () => {
  const dns = [record("blog", "blog.example.com", true), record("mail", "mail", true)];

  it("accepts a proxied record per hostname (full or zone-relative name)", () => {
    assert.deepEqual(checkStack(tunnelDnsProxied, [tunnelConfig, ...dns]).violations, []);
  });

  it("reports a hostname without a record, against the tunnel config", () => {
    const outcome = checkStack(tunnelDnsProxied, [tunnelConfig, dns[0]]);
    assert.deepEqual(outcome.at, [
      { message: "tunnel hostname mail.example.com has no DNS record", resource: "tunnel-config" },
    ]);
  });

  it("reports a record that is not proxied, against the record", () => {
    const outcome = checkStack(tunnelDnsProxied, [
      tunnelConfig,
      dns[0],
      record("mail", "mail.example.com", false),
    ]);
    assert.deepEqual(
      outcome.at.map((v) => v.resource),
      ["mail"],
    );
    assert.match(outcome.violations[0], /not proxied/);
  });

  it("cannot verify a record whose name is unknown during preview, and says so", () => {
    const outcome = checkStack(tunnelDnsProxied, [tunnelConfig, dns[0], record("mail", UNKNOWN, true)]);
    assert.deepEqual(outcome.violations, []);
    assert.match(outcome.unknown ?? "", /name can't be known during preview/);
  });

  it("matches names exactly or relative to the zone, not by prefix", () => {
    assert.deepEqual(recordKeysFor("Blog.Example.com"), ["blog.example.com", "blog", "blog.example"]);
    assert.equal(recordKey("Blog.Example.com."), "blog.example.com");
    // The lookup answers exactly what comparing a record's name with the hostname answers.
    const answers = (name: string, host: string) => {
      const n = name.toLowerCase().replace(/\.$/, "");
      const h = host.toLowerCase();
      return n === h || h.startsWith(`${n}.`);
    };
    const names = [
      "blog.example.com.",
      "blog",
      "BLOG",
      "blo",
      "blog.example",
      "example.com",
      "",
      "log",
      "b.c",
    ];
    const hosts = ["blog.example.com", "a.b.c.example.com", "blog", ".blog.example.com", "example.com"];
    for (const name of names) {
      for (const host of hosts) {
        assert.equal(recordKeysFor(host).includes(recordKey(name)), answers(name, host), `${name} / ${host}`);
      }
    }
  });

  it("reports every record of a hostname (full and zone-relative name, any case) in stack order", () => {
    const outcome = checkStack(tunnelDnsProxied, [
      record("mail-relative", "MAIL", false),
      tunnelConfig,
      dns[0],
      record("mail-full", "mail.example.com.", false),
      record("mail-prefix", "mai", false),
    ]);
    assert.deepEqual(
      outcome.at.map((v) => v.resource),
      ["mail-relative", "mail-full"],
    );
  });
});

describe("policy: tunnel-dns-routed", () => {
  const dns = [record("blog", "blog.example.com", true), record("mail", "mail", true)];

  it("is advisory and accepts records that the ingress routes (full or zone-relative name)", () => {
    assert.equal(tunnelDnsRouted.enforcementLevel, "advisory");
    assert.deepEqual(checkStack(tunnelDnsRouted, [tunnelConfig, ...dns]).violations, []);
  });

  it("reports a tunnel record no ingress rule routes, against the record", () => {
    const outcome = checkStack(tunnelDnsRouted, [
      tunnelConfig,
      ...dns,
      record("old", "old.example.com", true),
    ]);
    assert.deepEqual(outcome.at, [
      {
        message:
          "DNS record old (old.example.com) points at a tunnel, but no ingress rule routes old.example.com",
        resource: "old",
      },
    ]);
  });

  it("reads a second tunnel's ingress only for a record the first does not route", () => {
    const unknownIngress = withField(
      { ...tunnelConfig, name: "tunnel-config-2" },
      "props.config.ingresses",
      UNKNOWN,
    );
    const routed = checkStack(tunnelDnsRouted, [tunnelConfig, unknownIngress, ...dns]);
    assert.deepEqual([routed.violations, routed.unknown], [[], undefined]);
    const unrouted = checkStack(tunnelDnsRouted, [
      tunnelConfig,
      unknownIngress,
      record("old", "old.example.com", true),
    ]);
    assert.deepEqual(unrouted.violations, []);
    assert.match(unrouted.unknown ?? "", /ingresses can't be known during preview/);
  });

  it("ignores records that point elsewhere", () => {
    const elsewhere: FakeResource = {
      type: CLOUDFLARE.dnsRecord,
      name: "www",
      props: { name: "www.example.org", type: "CNAME", content: "example.github.io", proxied: true },
    };
    assert.deepEqual(checkStack(tunnelDnsRouted, [tunnelConfig, elsewhere]).violations, []);
    assert.ok(pointsAtTunnel("6ff42ae2.cfargotunnel.com."));
    assert.ok(!pointsAtTunnel("cfargotunnel.com.example.org"));
  });

  it("cannot verify a record whose content is unknown during preview, and says so", () => {
    const unknown = withField(record("old", "old.example.com", true), "props.content", UNKNOWN);
    const outcome = checkStack(tunnelDnsRouted, [tunnelConfig, unknown]);
    assert.deepEqual(outcome.violations, []);
    assert.match(outcome.unknown ?? "", /content can't be known during preview/);
  });
});

describe("policy: sns-topic-customer-managed-key", () => {
  const topic: FakeResource = {
    type: SNS_TOPIC,
    name: "cost-alarms",
    props: { kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/abc" },
  };

  it("accepts a customer-managed key", () => {
    assert.deepEqual(checkResource(snsTopicCustomerManagedKey, topic).violations, []);
  });

  it("reports no key and the AWS-managed key, as advisory", () => {
    assert.equal(snsTopicCustomerManagedKey.enforcementLevel, "advisory");
    assert.match(
      checkResource(
        snsTopicCustomerManagedKey,
        withField(topic, "props.kmsMasterKeyId", undefined),
      ).violations.join(),
      /not set/,
    );
    assert.match(
      checkResource(
        snsTopicCustomerManagedKey,
        withField(topic, "props.kmsMasterKeyId", "alias/aws/sns"),
      ).violations.join(),
      /AWS-managed/,
    );
  });
});
