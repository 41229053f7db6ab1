/**
 * Inbound mail (ESTATE.md): Cloudflare Email Routing hands every message for the mail domains to
 * this Worker, which posts it unchanged (RFC 5322 bytes) through the tunnel to mailserver-api,
 * which delivers it to Dovecot over LMTP. Deployed by components/tunnel/Tunnel.ts with two
 * bindings: MAIL_API_URL (plain text) and MAIL_API_KEY (secret text).
 *
 * Outcomes: 2xx -> delivered. 400/404/413/422 -> rejected permanently (the sender gets a bounce:
 * unknown recipient, malformed or too large). Anything else (network error, 401/403 while a
 * rotated key propagates, 5xx) -> thrown, which Email Routing turns into a temporary SMTP
 * failure, so the sending server keeps the message and retries.
 *
 * The module's only export is the default handler object: the Workers runtime treats every named
 * export as an entrypoint and refuses the upload when one is neither a function nor a handler
 * object (an exported array, for instance). `deliver` and `PERMANENT_STATUSES` ride on the default
 * object for the tests; the runtime reads only its `email` handler.
 */

/** API answers that mean the message can never be delivered. */
const PERMANENT_STATUSES = [400, 404, 413, 422];

/**
 * Posts one message to the mail API. `fetchImpl` is the global fetch in the Workers runtime and
 * a stub in tests. Returns "delivered" or "rejected"; throws for a temporary failure.
 */
async function deliver(message, env, fetchImpl = fetch) {
  if (!env.MAIL_API_URL || !env.MAIL_API_KEY) {
    throw new Error("MAIL_API_URL and MAIL_API_KEY must be bound");
  }
  const body = await new Response(message.raw).arrayBuffer();
  let response;
  try {
    response = await fetchImpl(env.MAIL_API_URL, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${env.MAIL_API_KEY}`,
        "Content-Type": "message/rfc822",
        "X-Envelope-From": message.from,
        "X-Envelope-To": message.to,
      },
      body,
    });
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
  PERMANENT_STATUSES,
};
