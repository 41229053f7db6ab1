/**
 * Dovecot (Debian's dovecot-core 2.3 with the imapd, pop3d, lmtpd, mysql and sieve plugins):
 * `doveconf -n` on each complete rendered configuration, its certificate paths pointing at a
 * throwaway self-signed pair and its companion files (e.g. the SQL passdb's) written beside it;
 * every companion file must be referenced by the configuration. Then Dovecot itself starts with
 * it (every path it names moved under a temporary directory, its listeners on free ports), the
 * container's health check (`doveadm service status imap`) must answer, and its log must hold no
 * error.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import {
  asRoot,
  failure,
  freePort,
  need,
  run,
  say,
  selfSignedPair,
  start,
  stop,
  tempDir,
  version,
  waitFor,
  writeUnder,
} from "./daemon";
import { checkEach } from "./check";
import { ofKind } from "./kinds";

const MAIN = /\/dovecot\.conf$/;

describe("daemons: Dovecot reads every rendered configuration", () => {
  let all: Rendered[];
  let doveconf: string;
  let dovecot: string;
  let doveadm: string;
  before(async function () {
    doveconf = need(this, "doveconf", "dovecot-core");
    dovecot = need(this, "dovecot", "dovecot-core");
    doveadm = need(this, "doveadm", "dovecot-core");
    version([dovecot, "--version"], "Dovecot ");
    all = await allRendered();
  });

  it("refuses a dovecot.conf with an unknown setting (the check itself)", () => {
    const files = ofKind(all, "dovecot-conf") as RenderedFile[];
    const main = files.find((f) => MAIN.test(f.path)) as RenderedFile;
    const broken = { ...main, content: `${main.content}bogus_setting_of_the_suite = yes\n` };
    assert.throws(
      () => checkDovecot(doveconf, broken, [broken, ...files.filter((f) => f !== main)]),
      /doveconf refuses it[\s\S]*bogus_setting_of_the_suite/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: Dovecot starts with each dovecot.conf, answers its health check and delivers over LMTP`, async () => {
      const files = ofKind(all, "dovecot-conf") as RenderedFile[];
      const mains = files.filter((f) => f.stack === stack && MAIN.test(f.path));
      assert.ok(mains.length > 0, `${stack}: no dovecot.conf`);
      for (const f of mains) {
        say(`- ${f.path} of ${f.container.name}`);
        await startDovecot(dovecot, doveadm, f, files);
      }
    });

    it(`${stack}: doveconf -n accepts each dovecot.conf with its companions`, async () => {
      const files = ofKind(all, "dovecot-conf") as RenderedFile[];
      await checkEach(all, "dovecot-conf", stack, (r) => checkDovecot(doveconf, r as RenderedFile, files));
    });
  }
});

/** doveconf -n on one dovecot.conf (its companions beside it); a companion must be referenced. */
function checkDovecot(doveconf: string, f: RenderedFile, files: RenderedFile[]): void {
  const siblings = files.filter((o) => o.stack === f.stack && o.container.name === f.container.name);
  if (!MAIN.test(f.path)) {
    const main = siblings.find((o) => MAIN.test(o.path));
    assert.ok(main, `${f.path}: no dovecot.conf in ${f.container.name} to read it`);
    assert.ok(main.content.includes(f.path), `${f.path} is not referenced by ${main.path}`);
    say(`  referenced by ${main.path}`);
    return;
  }
  const dir = tempDir("dovecot");
  const pair = selfSignedPair(dir);
  let content = f.content
    .replace(/^(\s*ssl_cert\s*=\s*<).*$/gm, `$1${pair.cert}`)
    .replace(/^(\s*ssl_key\s*=\s*<).*$/gm, `$1${pair.key}`);
  for (const s of siblings.filter((o) => o !== f)) {
    content = content.split(s.path).join(writeUnder(dir, s.path, s.content));
  }
  const conf = writeUnder(dir, f.path, content);
  say(`  certificate paths -> a throwaway self-signed pair in ${dir}`);
  const result = run([doveconf, "-n", "-c", conf]);
  if (result.code !== 0 || /warning|error/i.test(result.stderr)) {
    throw failure(`${f.path} (written to ${path.relative(dir, conf)}): doveconf refuses it`, result);
  }
}

/**
 * Starts Dovecot with one rendered dovecot.conf: every absolute path it names (logs, mailboxes,
 * sockets, companion files) under a temporary root, the certificate a throwaway pair, the
 * listeners on free ports. Its health check must answer and its log hold no error.
 */
async function startDovecot(
  dovecot: string,
  doveadm: string,
  f: RenderedFile,
  files: RenderedFile[],
): Promise<void> {
  const dir = tempDir("dovecot-run");
  const root = path.join(dir, "root");
  for (const s of files.filter(
    (o) => o.stack === f.stack && o.container.name === f.container.name && o !== f,
  )) {
    writeUnder(root, s.path, s.content);
  }
  const moved = new Set<string>();
  let content = f.content
    .replace(/^(\s*ssl_(?:cert|key)\s*=\s*<).*$/gm, "$1@CERT@")
    .replace(/(^|[\s=:<])(\/[A-Za-z0-9._%/-]+)/gm, (_all, before: string, p: string) => {
      moved.add(p);
      return `${before}${root}${p}`;
    });
  const pair = selfSignedPair(dir);
  content = content
    .replace(/^(\s*ssl_cert\s*=\s*<)@CERT@/m, `$1${pair.cert}`)
    .replace(/^(\s*ssl_key\s*=\s*<)@CERT@/m, `$1${pair.key}`);
  for (const p of moved) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  }
  const ports: string[] = [];
  for (const m of content.matchAll(/^(\s*port\s*=\s*)(\d+)\s*$/gm)) {
    ports.push(m[2]);
  }
  for (const port of ports) {
    content = content.replace(new RegExp(`^(\\s*port\\s*=\\s*)${port}\\s*$`, "m"), `$1${await freePort()}`);
  }
  content += `base_dir = ${path.join(dir, "run")}\n`;
  const conf = writeUnder(dir, "/dovecot.conf", content);
  // Mail is written as the mailbox owner (userdb): it must reach the temporary root.
  fs.chmodSync(dir, 0o755);
  say(
    `  paths moved under ${root}: ${[...moved].sort().join(", ")}; ports ${ports.join(", ")} -> free ports`,
  );
  const daemon = start(asRoot([dovecot, "-F", "-c", conf]));
  const logs = () =>
    [...moved]
      .map((p) => path.join(root, p))
      .filter((p) => /\.log$/.test(p) && fs.existsSync(p))
      .map((p) => fs.readFileSync(p, "utf8"))
      .join("");
  try {
    let status = run(asRoot([doveadm, "-c", conf, "service", "status", "imap"]), { quiet: true });
    await waitFor(`dovecot (${daemon.line})`, () => {
      if (daemon.child.exitCode !== null) {
        throw new Error(`${f.path}: Dovecot stops at start:\n${daemon.output()}${logs()}`);
      }
      status = run(asRoot([doveadm, "-c", conf, "service", "status", "imap"]), { quiet: true });
      return status.code === 0;
    });
    say(`  started; ran: ${status.line} -> ${status.stdout.match(/listening: \S+/)?.[0] ?? "answered"}`);
    const errors = `${daemon.output()}${logs()}`.split("\n").filter((l) => /\b(Fatal|Error|Panic):/.test(l));
    assert.deepEqual(errors, [], `${f.path}: Dovecot logs errors at start`);
    await deliverOverLmtp(f, content, root, moved);
    // The SQL passdb's database is not part of this check (mariadb.spec.ts logs in with its
    // credentials): its connection failure is expected; any other error is not.
    const after = `${daemon.output()}${logs()}`
      .split("\n")
      .filter((l) => /\b(Fatal|Error|Panic):/.test(l))
      .filter((l) => !/: Error: (mysql|pgsql)\([^)]*\): Connect failed to database/.test(l));
    assert.deepEqual(after, [], `${f.path}: Dovecot logs errors on delivery`);
  } finally {
    run(asRoot([doveadm, "-c", conf, "stop"]), { quiet: true });
    await stop(daemon.child);
  }
}

/** One SMTP-style exchange over a socket: each command gets one reply (multi-line replies joined). */
async function converse(socket: net.Socket, lines: string[]): Promise<string[]> {
  const replies: string[] = [];
  let buffer = "";
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        buffer += d.toString();
        const m = /(^|\n)(\d{3}) [^\n]*\r?\n/.exec(buffer);
        if (m) {
          const reply = buffer.slice(0, m.index + m[0].length);
          buffer = buffer.slice(m.index + m[0].length);
          socket.off("data", onData);
          resolve(reply.trim());
        }
      };
      socket.on("data", onData);
      socket.once("error", reject);
    });
  replies.push(await next());
  for (const line of lines) {
    socket.write(`${line}\r\n`);
    if (line === "DATA" || !line.startsWith("Subject:")) {
      replies.push(await next());
    }
  }
  return replies;
}

/**
 * Delivers one message over the rendered LMTP listener (what the mail API and Postfix do) to a
 * user of the rendered passwd-file passdb, and finds it in the mailbox the rendered
 * mail_location names. Proves the LMTP plugins (sieve) load and the userdb owner can write.
 */
async function deliverOverLmtp(
  f: RenderedFile,
  content: string,
  root: string,
  moved: Set<string>,
): Promise<void> {
  const port = /service lmtp \{[\s\S]*?inet_listener[^{]*\{[^}]*port\s*=\s*(\d+)/.exec(content)?.[1];
  const users = /driver\s*=\s*passwd-file\s*\n\s*args\s*=.*?(\S+)\s*$/m.exec(content)?.[1];
  const location = /^mail_location\s*=\s*maildir:(\S+)/m.exec(content)?.[1];
  const owner = /^\s*args\s*=\s*uid=(\d+)\s+gid=(\d+)/m.exec(content);
  if (!port || !users || !location || !owner) {
    say(
      `  LMTP delivery: not tried (no LMTP inet listener, passwd-file, maildir location or static owner rendered)`,
    );
    return;
  }
  fs.writeFileSync(users, "suite@example.org:{PLAIN}suite-password::::::\n");
  const mailRoot = location.split("/%")[0];
  fs.mkdirSync(mailRoot, { recursive: true });
  const chown = run(asRoot(["chown", `${owner[1]}:${owner[2]}`, mailRoot]), { quiet: true });
  assert.equal(chown.code, 0, chown.stderr);
  const socket = net.connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  try {
    const replies = await converse(socket, [
      "LHLO daemons.test",
      "MAIL FROM:<sender@example.net>",
      "RCPT TO:<suite@example.org>",
      "DATA",
      "Subject: daemons suite\r\n\r\nDelivered over LMTP.\r\n.",
      "QUIT",
    ]);
    say(`  LMTP on port ${port}: ${replies.map((r) => r.split("\n").pop()?.slice(0, 60)).join(" | ")}`);
    assert.match(replies[3], /^250/, `RCPT TO refused: ${replies[3]}`);
    assert.match(replies[5], /^250/, `${f.path}: delivery over LMTP fails: ${replies[5]}`);
  } finally {
    socket.destroy();
  }
  const mailbox = location.replace("%d", "example.org").replace("%n", "suite");
  const delivered = fs.readdirSync(path.join(mailbox, "new"));
  assert.equal(delivered.length, 1, `${f.path}: no message in ${mailbox}/new`);
  say(`  delivered to ${path.relative(root, mailbox)}/new (${[...moved].length} paths moved)`);
}
