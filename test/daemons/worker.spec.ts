/**
 * The Email Worker in the real Workers runtime: workerd (through miniflare, a pinned
 * devDependency) runs each Worker module the program uploads, with its bindings, and its
 * `email` handler receives a message. Its URL bindings point at a local HTTP server that checks
 * the request exactly as the mail API validates it (services/mailserver/api/app/main.py of the
 * running estate, FastAPI 0.104 with pydantic 2.5):
 * - route: `POST /api/v1/inbound-mail` (another path: 404, another method: 405);
 * - body: JSON (an `application/json` content type, or none) holding an object with the string
 *   fields `from`, `to` (a valid address: pydantic's EmailStr), `subject`, `raw` and `timestamp`;
 *   anything else: 422, before the key is looked at;
 * - `X-API-Key` equal to the API key, else 401;
 * - then 200 `{"status": "success", ...}` (the API hands `raw` to Dovecot over LMTP).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { Miniflare } from "miniflare";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedWorker, allRendered } from "./artefacts";
import { say, version } from "./daemon";
import { checkEach } from "./check";

/** The route the mail API serves inbound mail on. */
export const API_PATH = "/api/v1/inbound-mail";
const STRING_FIELDS = ["from", "to", "subject", "raw", "timestamp"] as const;

/** One request the fake API received and how it answered. */
interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
  answer: unknown;
}

/** The mail API's answer to a request (status and JSON body), as FastAPI gives it. */
export function mailApiAnswer(
  method: string,
  path: string,
  headers: http.IncomingHttpHeaders,
  body: string,
  apiKey: string,
): { status: number; body: unknown } {
  if (path.split("?")[0] !== API_PATH) {
    return { status: 404, body: { detail: "Not Found" } };
  }
  if (method !== "POST") {
    return { status: 405, body: { detail: "Method Not Allowed" } };
  }
  const type = headers["content-type"];
  const json = type === undefined || /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type);
  const invalid = (type: string, loc: string, msg: string) => ({
    status: 422,
    body: { detail: [{ type, loc: ["body", ...(loc ? [loc] : [])], msg }] },
  });
  if (!json || body === "") {
    return invalid("missing", "", "Field required (the body must be JSON)");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return invalid("json_invalid", "", "JSON decode error");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return invalid("model_attributes_type", "", "Input should be a valid dictionary or object");
  }
  const fields = parsed as Record<string, unknown>;
  for (const field of STRING_FIELDS) {
    if (!(field in fields)) {
      return invalid("missing", field, "Field required");
    }
    if (typeof fields[field] !== "string") {
      return invalid("string_type", field, "Input should be a valid string");
    }
  }
  if (!/^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$/.test(fields.to as string)) {
    return invalid("value_error", "to", "value is not a valid email address");
  }
  const key = headers["x-api-key"];
  if (key === undefined || key !== apiKey) {
    return { status: 401, body: { detail: "Invalid API Key" } };
  }
  return {
    status: 200,
    body: { status: "success", message: "Email delivered to LMTP", recipient: fields.to },
  };
}

/** Everything about a request the mail API would refuse, all at once (for failure messages). */
export function contractViolations(
  method: string,
  path: string,
  headers: http.IncomingHttpHeaders,
  body: string,
  apiKey: string,
): string[] {
  const out: string[] = [];
  if (path.split("?")[0] !== API_PATH) {
    out.push(`path ${path}, not ${API_PATH}`);
  }
  if (method !== "POST") {
    out.push(`method ${method}, not POST`);
  }
  const type = headers["content-type"];
  if (type !== undefined && !/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type)) {
    out.push(`content type ${type}, not application/json`);
  }
  let fields: Record<string, unknown> = {};
  try {
    fields = JSON.parse(body) as Record<string, unknown>;
  } catch {
    out.push("the body is not JSON");
  }
  for (const field of STRING_FIELDS) {
    if (typeof fields?.[field] !== "string") {
      out.push(`no string field "${field}" in the JSON body`);
    }
  }
  if (headers["x-api-key"] !== apiKey) {
    out.push(headers["x-api-key"] === undefined ? "no X-API-Key header" : "X-API-Key is not the API key");
  }
  return out;
}

/** Header values with credentials masked. */
function masked(headers: http.IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, /authorization|api-key/i.test(k) ? "(masked)" : v]),
  );
}

/** A local mail API; `received` lists every request. */
async function fakeMailApi(
  apiKey: string,
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const answer = mailApiAnswer(req.method ?? "", req.url ?? "", req.headers, body, apiKey);
      received.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
        status: answer.status,
        answer: answer.body,
      });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What miniflare reports of one `email` handler run. */
interface EmailOutcome {
  outcome: string;
  rejectReason?: string;
}

/** Runs the Worker's email handler once with `bindings` and one message. */
async function runEmail(
  w: RenderedWorker,
  bindings: Record<string, string>,
  envelope: { from: string; to: string },
  raw: string,
): Promise<EmailOutcome> {
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: w.mainModule, contents: w.content }],
    compatibilityDate: w.compatibilityDate,
    bindings,
    unsafeTriggerHandlers: true,
  });
  try {
    const query = new URLSearchParams({ from: envelope.from, to: envelope.to, format: "json" });
    const response = await mf.dispatchFetch(`http://localhost/cdn-cgi/handler/email?${query}`, {
      method: "POST",
      body: raw,
    });
    const text = await response.text();
    try {
      return JSON.parse(text) as EmailOutcome;
    } catch {
      throw new Error(`workerd answered ${response.status}: ${text}`);
    }
  } finally {
    await mf.dispose();
  }
}

const ENVELOPE = { from: "sender@example.net", to: "postmaster@example.org" };
const SUBJECT = "daemons suite: one message";
const RAW = [
  `From: Sender <${ENVELOPE.from}>`,
  `To: <${ENVELOPE.to}>`,
  `Subject: ${SUBJECT}`,
  "Message-ID: <daemons-suite@example.net>",
  "Date: Wed, 02 Dec 2026 09:00:00 +0000",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Hello through workerd.",
  "",
].join("\r\n");

/** The Worker's bindings with every URL pointed at `base` (its path kept), and the API key. */
function localBindings(
  w: RenderedWorker,
  base: string,
): { bindings: Record<string, string>; apiKey: string } {
  const bindings: Record<string, string> = {};
  let apiKey = "";
  for (const b of w.bindings) {
    assert.ok(
      b.type === "plain_text" || b.type === "secret_text",
      `binding ${b.name}: type ${b.type} is not run by this suite yet (add it in test/daemons/worker.spec.ts)`,
    );
    const text = String(b.text ?? "");
    if (/^https?:\/\//.test(text)) {
      const url = new URL(text);
      bindings[b.name] = `${base}${url.pathname}${url.search}`;
      say(`  ${b.name}: ${text} -> ${bindings[b.name]}`);
    } else {
      bindings[b.name] = text;
      if (b.type === "secret_text") {
        apiKey = text;
        say(`  ${b.name}: (secret text, the key the API expects)`);
      }
    }
  }
  return { bindings, apiKey };
}

describe("daemons: the Email Worker in workerd against the mail API's contract", () => {
  let all: Rendered[];
  before(async () => {
    const manifest = path.join(path.dirname(require.resolve("miniflare")), "..", "..", "package.json");
    say(`miniflare ${(JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version}`);
    version([require.resolve("@cloudflare/workerd-linux-64/bin/workerd"), "--version"]);
    all = await allRendered();
  });

  it("passes a Worker that speaks the mail API's contract, and fails the one that does not (the check itself)", async () => {
    const worker = (content: string): RenderedWorker => ({
      stack: "staging",
      component: "tunnel",
      resource: "fixture",
      shape: "worker",
      scriptName: "fixture",
      mainModule: "fixture.mjs",
      content,
      compatibilityDate: "2025-01-01",
      bindings: [
        { name: "MAIL_API_URL", type: "plain_text", text: `https://mail-api.example.org${API_PATH}` },
        { name: "MAIL_API_KEY", type: "secret_text", text: "fixture-key" },
      ],
    });
    const speaking = (headers: string) => `export default {
  async email(message, env) {
    const raw = await new Response(message.raw).text();
    const subject = message.headers.get("subject") ?? "";
    const response = await fetch(env.MAIL_API_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", ${headers} },
      body: JSON.stringify({ from: message.from, to: message.to, subject, raw, timestamp: new Date().toISOString() }),
    });
    if (response.status === 422) { message.setReject("malformed"); return; }
    if (!response.ok) { throw new Error("mail API answered " + response.status); }
  },
};
`;
    await checkWorker(worker(speaking(`"X-API-Key": env.MAIL_API_KEY`)));
    await assert.rejects(checkWorker(worker(speaking(`Authorization: "Bearer " + env.MAIL_API_KEY`))), /401/);
  });

  for (const stack of STACKS) {
    it(`${stack}: the email handler delivers one message as the API validates it, and a refused key is no delivery`, async () => {
      await checkEach(all, "email-worker", stack, (r) => checkWorker(r as RenderedWorker));
    });
  }
});

/** Runs one Worker module's email handler against the fake mail API; throws what goes wrong. */
export async function checkWorker(w: RenderedWorker): Promise<void> {
  const api = await fakeMailApi("");
  try {
    const { bindings, apiKey } = localBindings(w, api.url);
    assert.notEqual(apiKey, "", `${w.scriptName}: no secret_text binding holds the API key`);
    const api2 = await fakeMailApi(apiKey);
    try {
      const { bindings: bound } = localBindings(w, api2.url);
      const result = await runEmail(w, bound, ENVELOPE, RAW);
      const seen = api2.received.map(
        (q) => `${q.method} ${q.path} -> ${q.status} ${JSON.stringify(q.answer)}`,
      );
      say(
        `  workerd: outcome ${result.outcome}${result.rejectReason ? `, rejected: ${result.rejectReason}` : ""}`,
      );
      seen.forEach((s) => say(`  API saw: ${s}`));
      assert.equal(
        api2.received.length,
        1,
        `one request expected, the API saw: ${seen.join("; ") || "none"}`,
      );
      const [request] = api2.received;
      const violations = contractViolations(
        request.method,
        request.path,
        request.headers,
        request.body,
        apiKey,
      );
      assert.equal(
        request.status,
        200,
        `the mail API refuses the Worker's request: ${request.method} ${request.path} -> ${request.status} ${JSON.stringify(request.answer)}\n  against the contract: ${violations.join("; ")}\n  headers: ${JSON.stringify(masked(request.headers))}`,
      );
      assert.equal(result.outcome, "ok");
      assert.equal(result.rejectReason, undefined);
      const body = JSON.parse(request.body) as Record<string, string>;
      assert.equal(body.from, ENVELOPE.from);
      assert.equal(body.to, ENVELOPE.to);
      assert.equal(body.subject, SUBJECT);
      assert.equal(body.raw, RAW);
    } finally {
      await api2.close();
    }
    // The same Worker with a key the API refuses (401): not delivered, never reported as such.
    const refused = await runEmail(w, { ...bindings, ...wrongKey(w) }, ENVELOPE, RAW);
    say(
      `  with a refused key: outcome ${refused.outcome}${refused.rejectReason ? `, rejected: ${refused.rejectReason}` : ""}`,
    );
    assert.ok(api.received.length >= 1, "the Worker did not call the API with a refused key");
    assert.ok(
      refused.outcome !== "ok" || refused.rejectReason !== undefined,
      "a 401 from the mail API was treated as a delivery",
    );
  } finally {
    await api.close();
  }
}

/** Every secret_text binding replaced by a key the API refuses. */
function wrongKey(w: RenderedWorker): Record<string, string> {
  return Object.fromEntries(
    w.bindings.filter((b) => b.type === "secret_text").map((b) => [b.name, "refused-key"]),
  );
}
