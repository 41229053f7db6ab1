/**
 * Inbound mail (the design target): Cloudflare Email Routing hands every message for the mail domains to
 * this Worker, which posts it through the tunnel to mailserver-api, which delivers it to Dovecot
 * over LMTP. Deployed by components/tunnel/Tunnel.ts with two bindings: MAIL_API_URL (plain
 * text, `https://<mail API hostname>/api/v1/inbound-mail`) and MAIL_API_KEY (secret text).
 *
 * The API's contract (services/mailserver/api/app/main.py of the estate): `POST
 * /api/v1/inbound-mail` with a JSON body `{from, to, subject, raw, timestamp}` (all strings;
 * `to` a valid address; `raw` the whole message as text, which the API encodes as UTF-8 for
 * LMTP) and the key in the `X-API-Key` header. It answers 200 once LMTP accepted the message,
 * 401 for a missing or wrong key, 422 for a body it cannot validate, 500 when LMTP failed.
 *
 * Outcomes: 200 (any 2xx) -> delivered. 401 and 422 -> rejected permanently with
 * `message.setReject` (the sender gets a bounce): the API will never take this request as it is.
 * Anything else (5xx, the API unreachable, or any other answer, e.g. a 404 or 502 from the edge
 * while the route is being changed) -> thrown, which Email Routing turns into a temporary SMTP
 * failure, so the sending server keeps the message and retries.
 *
 * The module's only export is the default handler object: the Workers runtime treats every named
 * export as an entrypoint and refuses the upload when one is neither a function nor a handler
 * object. `deliver`, `requestFor` and `PERMANENT_STATUSES` ride on the default object for the
 * tests; the runtime reads only its `email` handler.
 */

/** API answers that mean the request can never succeed as it is: a wrong key, an invalid body. */
const PERMANENT_STATUSES = [401, 422];

/** The whole message as text, as the API expects it (`raw: str`, encoded back as UTF-8). */
async function rawText(message) {
  return new TextDecoder("utf-8").decode(await new Response(message.raw).arrayBuffer());
}

/** The request the API validates: its URL, method, headers and JSON body. */
async function requestFor(message, env, now = new Date()) {
  const body = {
    from: message.from,
    to: message.to,
    subject: message.headers.get("subject") ?? "",
    raw: await rawText(message),
    timestamp: now.toISOString(),
  };
  return {
    url: env.MAIL_API_URL,
    init: {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": env.MAIL_API_KEY },
      body: JSON.stringify(body),
    },
  };
}

/**
 * Posts one message to the mail API. `fetchImpl` is the global fetch in the Workers runtime and
 * a stub in tests. Returns "delivered" or "rejected"; throws for a temporary failure.
 */
async function deliver(message, env, fetchImpl = fetch, now = new Date()) {
  if (!env.MAIL_API_URL || !env.MAIL_API_KEY) {
    throw new Error("MAIL_API_URL and MAIL_API_KEY must be bound");
  }
  const { url, init } = await requestFor(message, env, now);
  let response;
  try {
    response = await fetchImpl(url, init);
  } catch (err) {
    throw new Error(`mail API unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (response.ok) {
    return "delivered";
  }
  if (PERMANENT_STATUSES.includes(response.status)) {
    const detail = (await response.text()).slice(0, 200);
    message.setReject(`${response.status} ${detail}`.trim());
    return "rejected";
  }
  throw new Error(`mail API answered ${response.status}; the sender will retry`);
}

export default {
  async email(message, env) {
    await deliver(message, env);
  },
  deliver,
  requestFor,
  PERMANENT_STATUSES,
};
