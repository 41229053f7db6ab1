/**
 * The tunnel: its pure parts (ingress list, zones, DNS records, secret encoding), the Tunnel
 * component under the mock engine, and the Email Worker's script run against stubs.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  CATCH_ALL_SERVICE,
  cnameTarget,
  deliveryUrl,
  dnsRecords,
  ingressRules,
  tunnelHostnames,
  tunnelSecretBase64,
  WORKER_MODULE,
  workerSource,
  zoneFor,
} from "../components/tunnel/ingress";
import { Tunnel, TunnelArgs } from "../components/tunnel/Tunnel";
import { capture, Capture, CapturedResource } from "./harness/engine";
import { CATCH_ALL, DNS, RULE, TUNNEL, TUNNEL_CONFIG as CONFIG, WORKER } from "./harness/types";

const COMPONENT = "onprem:tunnel:Tunnel";

const ACCOUNT = "5d1f0c3b8a2e4f6d9b7c1a0e3f5d7b9c";
const ZONES = {
  "example.com": "0a3c5e7f9b1d2f4a6c8e0b2d4f6a8c1e",
  "example.org": "1b4d6f8a0c2e3a5c7e9f1d3b5a7c9e2f",
  "shop.example.org": "2c5e7a9b1d3f4b6d8f0a2e4c6b8d0f3a",
};
const SECRET = "tunnel-secret-generated-48-characters-Aa11xxxxxx";
const API_KEY = "mail-api-key-Aa11";

function args(over: Partial<TunnelArgs> = {}): TunnelArgs {
  return {
    accountId: ACCOUNT,
    tunnelName: "onprem-production",
    zones: ZONES,
    blogHostnames: ["blog.example.com", "www.example.com", "example.org", "www.shop.example.org"],
    blogOrigin: "http://blog-nginx:80",
    webmailHostname: "webmail.example.com",
    webmailOrigin: pulumi.output("http://mailserver-nginx:80"),
    mailApiHostname: "mail-api.example.com",
    apiOrigin: pulumi.output("http://mailserver-api:8080"),
    tunnelSecret: pulumi.secret(SECRET),
    workerName: "onprem-production-inbound-mail",
    catchAllZones: ["example.com", "example.org"],
    emailAddresses: [],
    mailApiKey: pulumi.secret(API_KEY),
    facts: { project: "onprem-infra", environment: "production", owner: "kuma8088" },
    ...over,
  };
}

describe("tunnel ingress and DNS (pure)", () => {
  const rules = ingressRules({
    blogHostnames: ["a.example.com", "www.a.example.com", "b.example.org"],
    blogOrigin: "http://blog-nginx:80",
    webmailHostname: "webmail.example.com",
    webmailOrigin: "http://mailserver-nginx:80",
    mailApiHostname: "mail-api.example.com",
    apiOrigin: "http://mailserver-api:8080",
  });

  it("routes every blog hostname to the blog nginx, webmail and the API to the mail stack, then 404", () => {
    assert.deepEqual(rules, [
      { hostname: "a.example.com", service: "http://blog-nginx:80" },
      { hostname: "www.a.example.com", service: "http://blog-nginx:80" },
      { hostname: "b.example.org", service: "http://blog-nginx:80" },
      { hostname: "webmail.example.com", service: "http://mailserver-nginx:80" },
      { hostname: "mail-api.example.com", service: "http://mailserver-api:8080" },
      { service: "http_status:404" },
    ]);
    assert.equal(CATCH_ALL_SERVICE, "http_status:404");
  });

  it("rejects a hostname listed twice", () => {
    assert.throws(
      () =>
        ingressRules({
          blogHostnames: ["webmail.example.com"],
          blogOrigin: "x",
          webmailHostname: "webmail.example.com",
          webmailOrigin: "y",
          mailApiHostname: "mail-api.example.com",
          apiOrigin: "z",
        }),
      /hostname webmail\.example\.com is listed twice/,
    );
  });

  it("finds a hostname's zone by the longest matching zone name, and none for a look-alike", () => {
    assert.equal(zoneFor("example.org", ZONES), "example.org");
    assert.equal(zoneFor("www.example.org", ZONES), "example.org");
    assert.equal(zoneFor("www.shop.example.org", ZONES), "shop.example.org");
    assert.equal(zoneFor("notexample.com", ZONES), undefined);
    assert.equal(zoneFor("example.net", ZONES), undefined);
  });

  it("makes one record per hostname in its zone, and rejects a hostname without a zone", () => {
    assert.deepEqual(dnsRecords(["www.example.com", "www.shop.example.org"], ZONES), [
      { hostname: "www.example.com", zone: "example.com", zoneId: ZONES["example.com"] },
      { hostname: "www.shop.example.org", zone: "shop.example.org", zoneId: ZONES["shop.example.org"] },
    ]);
    assert.throws(
      () => dnsRecords(["blog.example.net"], ZONES),
      /blog\.example\.net lies in no configured zone/,
    );
  });

  it("lists hostnames in rule order, points CNAMEs at cfargotunnel.com, encodes the secret", () => {
    assert.deepEqual(
      tunnelHostnames({ blogHostnames: ["a.x.com"], webmailHostname: "w.x.com", mailApiHostname: "m.x.com" }),
      ["a.x.com", "w.x.com", "m.x.com"],
    );
    assert.equal(cnameTarget("6ff42ae2"), "6ff42ae2.cfargotunnel.com");
    assert.equal(Buffer.from(tunnelSecretBase64(SECRET), "base64").toString("utf8"), SECRET);
    assert.throws(() => tunnelSecretBase64("x".repeat(31)), /at least 32 bytes, got 31/);
    assert.equal(deliveryUrl("mail-api.example.com"), "https://mail-api.example.com/api/v1/inbound-mail");
    assert.deepEqual(tunnelHostnames({ blogHostnames: ["a.x.com"], mailApiHostname: "m.x.com" }), [
      "a.x.com",
      "m.x.com",
    ]);
  });
});

function byName(cap: Capture, type: string): Record<string, CapturedResource> {
  return Object.fromEntries(cap.ofType(type).map((r) => [r.name, r]));
}

describe("Tunnel (production shape)", () => {
  let cap: Capture;
  let component: CapturedResource;
  before(async () => {
    cap = await capture(() => new Tunnel("tunnel", args()));
    [component] = cap.ofType(COMPONENT);
  });

  it("registers one component with exactly its children", () => {
    assert.equal(component.name, "tunnel");
    assert.deepEqual(cap.childTypeCounts(component), {
      [TUNNEL]: 1,
      [CONFIG]: 1,
      [DNS]: 6,
      [WORKER]: 1,
      [CATCH_ALL]: 2,
    });
    assert.equal(cap.resources.length, 1 + 1 + 1 + 6 + 1 + 2);
  });

  it("creates one remotely configured tunnel with the base64 of the generated secret, kept secret", () => {
    const t = cap.get("tunnel-tunnel", TUNNEL);
    assert.deepEqual(t.inputs, {
      accountId: ACCOUNT,
      name: "onprem-production",
      configSrc: "cloudflare",
      tunnelSecret: Buffer.from(SECRET).toString("base64"),
    });
    assert.deepEqual(t.secretPaths, ["tunnelSecret"]);
    assert.ok(Buffer.from(String(t.inputs.tunnelSecret), "base64").length >= 32);
  });

  it("configures the ingress list remotely, in order, ending in the 404 catch-all", () => {
    const c = cap.get("tunnel-config", CONFIG);
    assert.equal(c.inputs.accountId, ACCOUNT);
    assert.equal(c.inputs.tunnelId, "tunnel-tunnel-id");
    assert.equal(c.inputs.source, "cloudflare");
    assert.deepEqual(c.inputs.config, {
      ingresses: [
        { hostname: "blog.example.com", service: "http://blog-nginx:80" },
        { hostname: "www.example.com", service: "http://blog-nginx:80" },
        { hostname: "example.org", service: "http://blog-nginx:80" },
        { hostname: "www.shop.example.org", service: "http://blog-nginx:80" },
        { hostname: "webmail.example.com", service: "http://mailserver-nginx:80" },
        { hostname: "mail-api.example.com", service: "http://mailserver-api:8080" },
        { service: "http_status:404" },
      ],
    });
    assert.ok(c.dependencies.includes(cap.get("tunnel-tunnel", TUNNEL).urn));
  });

  it("creates exactly one proxied CNAME per public hostname, in its zone, pointing at the tunnel", () => {
    const records = cap.ofType(DNS);
    const hostnames = records.map((r) => r.inputs.name).sort();
    assert.deepEqual(
      hostnames,
      [
        "blog.example.com",
        "www.example.com",
        "example.org",
        "www.shop.example.org",
        "webmail.example.com",
        "mail-api.example.com",
      ].sort(),
    );
    for (const r of records) {
      assert.equal(r.name, `tunnel-dns-${String(r.inputs.name)}`);
      assert.equal(r.inputs.type, "CNAME");
      assert.equal(r.inputs.content, "tunnel-tunnel-id.cfargotunnel.com");
      assert.equal(r.inputs.proxied, true);
      assert.equal(r.inputs.ttl, 1);
      assert.equal(r.inputs.zoneId, ZONES[zoneFor(String(r.inputs.name), ZONES) as keyof typeof ZONES]);
      assert.match(String(r.inputs.comment), /^pulumi: onprem-infra production: tunnel onprem-production$/);
    }
    assert.equal(cap.get("tunnel-dns-www.shop.example.org", DNS).inputs.zoneId, ZONES["shop.example.org"]);
  });

  it("deploys the Email Worker from the repo's module, with the API URL and the API key as a secret binding", () => {
    const w = cap.get("tunnel-inbound-mail-worker", WORKER);
    assert.equal(w.inputs.accountId, ACCOUNT);
    assert.equal(w.inputs.scriptName, "onprem-production-inbound-mail");
    assert.equal(w.inputs.content, workerSource());
    assert.equal(w.inputs.mainModule, WORKER_MODULE);
    assert.match(String(w.inputs.compatibilityDate), /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(w.inputs.bindings, [
      { name: "MAIL_API_URL", type: "plain_text", text: "https://mail-api.example.com/api/v1/inbound-mail" },
      { name: "MAIL_API_KEY", type: "secret_text", text: API_KEY },
    ]);
    assert.deepEqual(w.secretPaths, ["bindings[1].text"]);
  });

  it("routes every address of the catch-all zones to the Worker, and nothing else", () => {
    const rules = byName(cap, CATCH_ALL);
    assert.deepEqual(Object.keys(rules).sort(), [
      "tunnel-email-catch-all-example.com",
      "tunnel-email-catch-all-example.org",
    ]);
    const worker = cap.get("tunnel-inbound-mail-worker", WORKER);
    for (const [zone, r] of [
      ["example.com", rules["tunnel-email-catch-all-example.com"]],
      ["example.org", rules["tunnel-email-catch-all-example.org"]],
    ] as const) {
      assert.equal(r.inputs.zoneId, ZONES[zone]);
      assert.equal(r.inputs.enabled, true);
      assert.deepEqual(r.inputs.matchers, [{ type: "all" }]);
      assert.deepEqual(r.inputs.actions, [{ type: "worker", values: ["onprem-production-inbound-mail"] }]);
      assert.ok(r.dependencies.includes(worker.urn), `${zone}'s rule waits for the Worker`);
    }
    assert.equal(cap.ofType(RULE).length, 0);
  });

  it("outputs the token as a secret, the tunnel id, the CNAME target, the hostnames and the Worker", () => {
    assert.equal(component.state.tunnelId, "tunnel-tunnel-id");
    assert.equal(component.state.cnameTarget, "tunnel-tunnel-id.cfargotunnel.com");
    assert.match(String(component.state.token), /^[A-Za-z0-9]{120}$/);
    assert.deepEqual(component.state.hostnames, [
      "blog.example.com",
      "www.example.com",
      "example.org",
      "www.shop.example.org",
      "webmail.example.com",
      "mail-api.example.com",
    ]);
    assert.equal(component.state.workerName, "onprem-production-inbound-mail");
  });

  it("keeps the token secret on the component's output", async () => {
    let tunnel: Tunnel | undefined;
    await capture(() => {
      tunnel = new Tunnel("tunnel", args());
    });
    assert.ok(tunnel);
    assert.equal(await pulumi.isSecret(tunnel.token), true);
  });
});

describe("Tunnel (address rules, staging shape)", () => {
  let cap: Capture;
  before(async () => {
    cap = await capture(
      () =>
        new Tunnel(
          "tunnel",
          args({
            tunnelName: "onprem-staging",
            workerName: "onprem-staging-inbound-mail",
            webmailHostname: undefined,
            catchAllZones: [],
            emailAddresses: ["test@staging.example.com", "postmaster@staging.example.com"],
          }),
        ),
    );
  });

  it("routes single addresses by their own rule, never by a zone catch-all", () => {
    assert.equal(cap.ofType(CATCH_ALL).length, 0);
    const rules = byName(cap, RULE);
    assert.deepEqual(Object.keys(rules).sort(), [
      "tunnel-email-rule-postmaster-at-staging.example.com",
      "tunnel-email-rule-test-at-staging.example.com",
    ]);
    const r = rules["tunnel-email-rule-test-at-staging.example.com"];
    assert.equal(r.inputs.zoneId, ZONES["example.com"]);
    assert.deepEqual(r.inputs.matchers, [
      { type: "literal", field: "to", value: "test@staging.example.com" },
    ]);
    assert.deepEqual(r.inputs.actions, [{ type: "worker", values: ["onprem-staging-inbound-mail"] }]);
    assert.equal(r.inputs.enabled, true);
  });

  it("posts to the mail API's inbound path and routes no webmail when none is given", () => {
    const w = cap.get("tunnel-inbound-mail-worker", WORKER);
    assert.equal(
      (w.inputs.bindings as { text: string }[])[0].text,
      "https://mail-api.example.com/api/v1/inbound-mail",
    );
    const config = cap.ofType(CONFIG)[0].inputs.config as { ingresses: { hostname?: string }[] };
    assert.ok(!config.ingresses.some((r) => r.hostname === "webmail.example.com"));
    assert.ok(!cap.resources.some((r) => r.name === "tunnel-dns-webmail.example.com"));
  });
});

describe("Tunnel argument checks", () => {
  const cases: [string, Partial<TunnelArgs>, RegExp][] = [
    [
      "a hostname twice",
      { blogHostnames: ["webmail.example.com"] },
      /hostname webmail\.example\.com is listed twice/,
    ],
    [
      "a hostname without a zone",
      { blogHostnames: ["blog.example.net"] },
      /blog\.example\.net lies in no configured zone/,
    ],
    [
      "a catch-all outside the zones",
      { catchAllZones: ["example.net"] },
      /catch-all zone example\.net is not one of zones/,
    ],
    [
      "an address outside the zones",
      { emailAddresses: ["a@example.net"] },
      /email address a@example\.net lies in no zone/,
    ],
    [
      "no inbound mail at all",
      { catchAllZones: [], emailAddresses: [] },
      /at least one catch-all zone or address/,
    ],
  ];
  for (const [what, over, message] of cases) {
    it(`rejects ${what}`, async () => {
      await assert.rejects(
        capture(() => new Tunnel("tunnel", args(over))),
        message,
      );
    });
  }
});

/** A message as Email Routing hands it to the Worker. */
function fakeMessage(raw: string, subject: string | null = "hi") {
  const rejects: string[] = [];
  return {
    rejects,
    message: {
      from: "alice@sender.example",
      to: "bob@example.com",
      headers: new Headers(subject === null ? {} : { subject }),
      raw: new Response(raw).body as ReadableStream<Uint8Array>,
      rawSize: raw.length,
      setReject(reason: string) {
        rejects.push(reason);
      },
    },
  };
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** The Worker's default export: the runtime's `email` handler, plus what the tests call. */
interface WorkerHandler {
  email: unknown;
  deliver(
    message: ReturnType<typeof fakeMessage>["message"],
    env: Record<string, string>,
    fetchImpl: Fetch,
    now?: Date,
  ): Promise<string>;
  PERMANENT_STATUSES: number[];
}

/** Pydantic's EmailStr, close enough: one @, a dotted domain, no spaces. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * The estate's mailserver-api (services/mailserver/api/app/main.py) as a fetch: FastAPI routes
 * `POST /api/v1/inbound-mail` only (404 elsewhere, 405 for another method), validates the JSON
 * body against InboundEmail (from, to as an email, subject, raw, timestamp: all strings; 422
 * otherwise) before the handler runs, then the handler checks X-API-Key (401) and hands the
 * message to LMTP (200, or 500 when LMTP fails).
 */
function mailApi(key: string, lmtp: "accepts" | "fails" = "accepts"): { fetch: Fetch; delivered: string[] } {
  const delivered: string[] = [];
  const fetch: Fetch = async (url, init) => {
    const u = new URL(url);
    if (u.pathname !== "/api/v1/inbound-mail") {
      return new Response('{"detail":"Not Found"}', { status: 404 });
    }
    if (init.method !== "POST") {
      return new Response('{"detail":"Method Not Allowed"}', { status: 405 });
    }
    const headers = new Headers(init.headers);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(String(init.body)) as Record<string, unknown>;
    } catch {
      return new Response('{"detail":"JSON decode error"}', { status: 422 });
    }
    const fields = ["from", "to", "subject", "raw", "timestamp"];
    if (
      headers.get("content-type") !== "application/json" ||
      fields.some((f) => typeof body[f] !== "string") ||
      !EMAIL.test(String(body.to))
    ) {
      return new Response('{"detail":[{"type":"value_error"}]}', { status: 422 });
    }
    if (headers.get("x-api-key") !== key) {
      return new Response('{"detail":"Invalid API Key"}', { status: 401 });
    }
    if (lmtp === "fails") {
      return new Response('{"detail":"LMTP error: 451"}', { status: 500 });
    }
    delivered.push(String(body.raw));
    return new Response(JSON.stringify({ status: "success", recipient: body.to }), { status: 200 });
  };
  return { fetch, delivered };
}

describe("the Email Worker script, against the mail API's contract", () => {
  const ENV = { MAIL_API_URL: "https://mail-api.example.com/api/v1/inbound-mail", MAIL_API_KEY: API_KEY };
  const RAW = "From: alice@sender.example\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nhello \u00e9\r\n";
  const NOW = new Date("2026-12-01T08:00:00.000Z");
  let namespace: Record<string, unknown>;
  let worker: WorkerHandler;
  before(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    namespace = require(
      path.join(__dirname, "..", "components", "tunnel", "worker", WORKER_MODULE),
    ) as Record<string, unknown>;
    worker = namespace.default as WorkerHandler;
  });

  it("exports only the default handler object, with an email handler", () => {
    // The Workers runtime refuses a module whose named exports are not handlers (e.g. an array).
    assert.deepEqual(
      Object.keys(namespace).filter((k) => k !== "__esModule"),
      ["default"],
    );
    assert.equal(typeof worker.email, "function");
  });

  it("posts exactly the request the API validates: JSON from, to, subject, raw, timestamp; the key in X-API-Key", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const { message, rejects } = fakeMessage(RAW);
    const api = mailApi(API_KEY);
    const outcome = await worker.deliver(
      message,
      ENV,
      async (url, init) => {
        calls.push({ url, init });
        return api.fetch(url, init);
      },
      NOW,
    );
    assert.equal(outcome, "delivered");
    assert.equal(calls.length, 1);
    assert.equal(calls[0].url, "https://mail-api.example.com/api/v1/inbound-mail");
    assert.equal(calls[0].init.method, "POST");
    assert.deepEqual(calls[0].init.headers, { "Content-Type": "application/json", "X-API-Key": API_KEY });
    assert.deepEqual(JSON.parse(String(calls[0].init.body)), {
      from: "alice@sender.example",
      to: "bob@example.com",
      subject: "hi",
      raw: RAW,
      timestamp: "2026-12-01T08:00:00.000Z",
    });
    // The message the API hands to LMTP is the message, byte for byte once encoded as UTF-8.
    assert.deepEqual(api.delivered, [RAW]);
    assert.deepEqual(rejects, []);
  });

  it("sends an empty subject when the message has none (the API requires the field)", async () => {
    const { message } = fakeMessage(RAW, null);
    const api = mailApi(API_KEY);
    assert.equal(await worker.deliver(message, ENV, api.fetch, NOW), "delivered");
  });

  it("delivers through the global fetch when Email Routing calls the handler", async () => {
    const { message, rejects } = fakeMessage(RAW);
    const realFetch = globalThis.fetch;
    const api = mailApi(API_KEY);
    globalThis.fetch = ((url: string, init: RequestInit) => api.fetch(url, init)) as typeof fetch;
    try {
      await (worker.email as (m: unknown, e: Record<string, string>) => Promise<void>)(message, ENV);
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.equal(api.delivered.length, 1);
    assert.deepEqual(rejects, []);
  });

  it("rejects permanently on the API's 401 (a wrong key) and 422 (an invalid request)", async () => {
    const wrongKey = fakeMessage(RAW);
    assert.equal(await worker.deliver(wrongKey.message, ENV, mailApi("another-key").fetch, NOW), "rejected");
    assert.deepEqual(wrongKey.rejects, ['401 {"detail":"Invalid API Key"}']);

    const badRecipient = fakeMessage(RAW);
    badRecipient.message.to = "not an address";
    assert.equal(await worker.deliver(badRecipient.message, ENV, mailApi(API_KEY).fetch, NOW), "rejected");
    assert.deepEqual(badRecipient.rejects, ['422 {"detail":[{"type":"value_error"}]}']);
    assert.deepEqual(worker.PERMANENT_STATUSES, [401, 422]);
  });

  it("fails temporarily (throws, nothing rejected) on the API's 5xx and when it is unreachable", async () => {
    const lmtpDown = fakeMessage(RAW);
    await assert.rejects(
      worker.deliver(lmtpDown.message, ENV, mailApi(API_KEY, "fails").fetch, NOW),
      /mail API answered 500; the sender will retry/,
    );
    assert.deepEqual(lmtpDown.rejects, []);
    for (const status of [502, 503, 504]) {
      const { message, rejects } = fakeMessage(RAW);
      await assert.rejects(
        worker.deliver(message, ENV, async () => new Response("", { status }), NOW),
        new RegExp(`mail API answered ${status}`),
      );
      assert.deepEqual(rejects, [], String(status));
    }
    const { message, rejects } = fakeMessage(RAW);
    await assert.rejects(
      worker.deliver(message, ENV, async () => {
        throw new Error("connect ECONNREFUSED");
      }),
      /mail API unreachable: connect ECONNREFUSED/,
    );
    assert.deepEqual(rejects, []);
  });

  it("retries rather than bounces an answer the API never gives (a wrong path while the route changes)", async () => {
    const { message, rejects } = fakeMessage(RAW);
    await assert.rejects(
      worker.deliver(
        message,
        { ...ENV, MAIL_API_URL: "https://mail-api.example.com/inbound" },
        mailApi(API_KEY).fetch,
        NOW,
      ),
      /mail API answered 404/,
    );
    assert.deepEqual(rejects, []);
  });

  it("refuses to run without its bindings", async () => {
    const { message } = fakeMessage(RAW);
    await assert.rejects(
      worker.deliver(message, { MAIL_API_URL: ENV.MAIL_API_URL }, async () => new Response("")),
      /MAIL_API_URL and MAIL_API_KEY must be bound/,
    );
  });
});
