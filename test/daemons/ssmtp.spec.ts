/**
 * ssmtp's relay file (the wordpress image's sendmail). Debian packages ssmtp (2.64-11, the code
 * the image's Alpine package builds), but it Conflicts with mail-transport-agent, so it cannot be
 * installed beside the postfix this suite checks; msmtp is a different program with other keys.
 * So each rendered ssmtp.conf is held against ssmtp.conf(5) of Debian's ssmtp 2.64-11: every
 * keyword is one it documents (case-insensitive, as ssmtp reads them; an unknown one ssmtp only
 * logs and ignores), the YES/NO switches say YES or NO, the mail hub is `host:port` with a host
 * the container's `extra_hosts` maps, and STARTTLS is on (Postfix's submission port takes no
 * plain-text mail).
 */
import * as assert from "node:assert/strict";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import { say } from "./daemon";
import { checkEach } from "./check";
import { ofKind } from "./kinds";

/**
 * The keywords of ssmtp.conf(5) (Debian's ssmtp 2.64-11, /usr/share/man/man5/ssmtp.conf.5.gz),
 * lower-cased: what each takes.
 */
export const SSMTP_KEYWORDS: Readonly<Record<string, "text" | "yes-no" | "hub">> = {
  root: "text",
  mailhub: "hub",
  rewritedomain: "text",
  hostname: "text",
  fromlineoverride: "yes-no",
  usetls: "yes-no",
  usestarttls: "yes-no",
  tlscert: "text",
  authuser: "text",
  authpass: "text",
  authmethod: "text",
};

/** The `key=value` lines of an ssmtp.conf (`#` starts a comment). */
function entries(conf: string): [string, string][] {
  return conf
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const at = l.indexOf("=");
      return at < 0 ? [l, ""] : [l.slice(0, at).trim(), l.slice(at + 1).trim()];
    });
}

/** Throws what is wrong with one rendered ssmtp.conf. */
export function checkSsmtp(f: RenderedFile): void {
  const seen = new Map<string, string>();
  for (const [key, value] of entries(f.content)) {
    const type = SSMTP_KEYWORDS[key.toLowerCase()];
    assert.ok(type, `${f.path}: ssmtp.conf(5) documents no keyword ${key}`);
    assert.ok(!seen.has(key.toLowerCase()), `${f.path}: ${key} is set twice`);
    seen.set(key.toLowerCase(), value);
    if (type === "yes-no") {
      assert.match(value, /^(YES|NO)$/i, `${f.path}: ${key} takes YES or NO, not ${value}`);
    }
    if (type === "hub") {
      const m = /^([A-Za-z0-9.-]+):(\d+)$/.exec(value);
      assert.ok(m, `${f.path}: ${key} is not host:port (${value})`);
      const mapped = f.container.extraHosts.find((h) => h.host === m[1]);
      assert.ok(mapped, `${f.path}: ${f.container.name} has no extra_hosts entry for the mail hub ${m[1]}`);
      say(`  mailhub ${m[1]}:${m[2]} (extra_hosts: ${mapped.ip})`);
    }
  }
  assert.equal(
    seen.get("mailhub")?.split(":")[1],
    "587",
    `${f.path}: the mail hub is not the submission port`,
  );
  assert.match(seen.get("usestarttls") ?? "", /^YES$/i, `${f.path}: STARTTLS is off (submission needs it)`);
  say(`  ${seen.size} keywords, each documented by ssmtp.conf(5)`);
}

describe("daemons: ssmtp.conf holds only what ssmtp reads", () => {
  let all: Rendered[];
  before(async () => {
    all = await allRendered();
  });

  it("refuses an unknown keyword, a bad switch and an unmapped mail hub (the check itself)", () => {
    const conf = ofKind(all, "ssmtp-conf")[0] as RenderedFile;
    assert.ok(conf);
    assert.throws(
      () => checkSsmtp({ ...conf, content: `${conf.content}UseSSL=YES\n` }),
      /documents no keyword UseSSL/,
    );
    assert.throws(
      () => checkSsmtp({ ...conf, content: conf.content.replace(/UseSTARTTLS=YES/i, "UseSTARTTLS=maybe") }),
      /UseSTARTTLS takes YES or NO/,
    );
    assert.throws(
      () => checkSsmtp({ ...conf, container: { ...conf.container, extraHosts: [] } }),
      /has no extra_hosts entry for the mail hub/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: each ssmtp.conf uses ssmtp's keywords and reaches the submission port`, async () => {
      await checkEach(all, "ssmtp-conf", stack, (r) => checkSsmtp(r as RenderedFile));
    });
  }
});
