/**
 * MariaDB (Debian's mariadb-server 10.11, the pinned image's series): per database server the
 * program feeds SQL to, a throwaway server in a temporary directory (started with the server
 * flags the program renders for that container, and the option files it uploads to the
 * container's conf.d, which the image's my.cnf includes; a bad option stops the server), the
 * databases the running estate already holds and the program never creates (the taken-over
 * WordPress sites' databases, from the stack's `blog.sites`) created first, every SQL the program renders run through the
 * client as the program runs it (`--protocol=socket --user=root`, as OS root), twice; then every
 * password rotated the way the program rotates it (later rotation stamps, new external
 * secrets), the rotated SQL applied, the old passwords refused and the new ones accepted over
 * TCP, and root still logging in over the unix socket without a password.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { parseStackConfig } from "../../config";
import { databaseSites } from "../../components/blog/schema";
import {
  STACKS,
  StackName,
  cloneValues,
  readStackValues,
  runStack,
  runtimeConfig,
  secretsFor,
} from "../harness/stack";
import { Rendered, RenderedExec, RenderedFile, extract, nameOf } from "./artefacts";
import { allRendered } from "./artefacts";
import {
  IS_ROOT,
  canSudo,
  RunResult,
  asRoot,
  failure,
  freePort,
  need,
  run,
  say,
  start,
  stop,
  tempDir,
  version,
  waitFor,
} from "./daemon";
import { knownBug, ofKind, sqlTarget } from "./kinds";
import * as fs from "node:fs";

/** A user the SQL gives a password, with the databases it is granted. */
interface SqlUser {
  user: string;
  host: string;
  password: string;
  databases: string[];
}

/** The users, hosts, passwords and granted databases a SQL text sets. */
export function usersOf(sql: string): SqlUser[] {
  const users = new Map<string, SqlUser>();
  const key = (u: string, h: string) => `'${u}'@'${h}'`;
  const setPw =
    /(?:CREATE USER(?: IF NOT EXISTS)?|ALTER USER)\s+'([^']+)'@'([^']+)'\s+IDENTIFIED\s+(?:BY\s+'([^']*)'|VIA\s+mysql_native_password\s+USING\s+PASSWORD\('([^']*)'\))/gi;
  for (const m of sql.matchAll(setPw)) {
    const k = key(m[1], m[2]);
    const user = users.get(k) ?? { user: m[1], host: m[2], password: "", databases: [] };
    user.password = m[3] ?? m[4];
    users.set(k, user);
  }
  for (const m of sql.matchAll(/GRANT\s+.+?\s+ON\s+`?([A-Za-z0-9_]+)`?\.\*\s+TO\s+'([^']+)'@'([^']+)'/gi)) {
    const user = users.get(key(m[2], m[3]));
    if (user && !user.databases.includes(m[1])) {
      user.databases.push(m[1]);
    }
  }
  return [...users.values()];
}

/** The day before today, `YYYY-MM-DD`: a valid, later rotation stamp. */
function yesterday(): string {
  return new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 10);
}

/** Every rotation stamp moved to yesterday. */
function rotatedStamps(value: unknown): unknown {
  if (typeof value === "string") {
    return yesterday();
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rotatedStamps(v)]));
  }
  return value;
}

/** The stack's artefacts after every password rotation the program knows: later stamps, new external secrets. */
async function rotatedArtefacts(stack: StackName): Promise<Rendered[]> {
  const values = cloneValues(readStackValues(stack));
  const key = Object.keys(values).find((k) => k.endsWith(":rotations"));
  if (key) {
    values[key] = rotatedStamps(values[key]);
  }
  const secrets = Object.fromEntries(
    Object.entries(secretsFor(stack, values)).map(([k, v]) => [k, `${v}-rotated`]),
  );
  const { capture } = await runStack(stack, values, secrets);
  return extract(stack, capture.resources);
}

/** Database credentials a rendered file holds (Dovecot's SQL `connect = host=… dbname=… user=… password=…`). */
export function connectStrings(
  files: readonly Rendered[],
): { where: string; dbname: string; user: string; password: string }[] {
  const out: { where: string; dbname: string; user: string; password: string }[] = [];
  for (const f of files) {
    if (f.shape !== "file") {
      continue;
    }
    for (const m of f.content.matchAll(/^\s*connect\s*=\s*(.+)$/gm)) {
      const fields = Object.fromEntries(
        [...m[1].matchAll(/(\w+)=(\S+)/g)].map((kv) => [kv[1], kv[2]] as [string, string]),
      );
      if (fields.dbname && fields.user && fields.password !== undefined) {
        out.push({ where: nameOf(f), dbname: fields.dbname, user: fields.user, password: fields.password });
      }
    }
  }
  return out;
}

/** Each rendered connect string whose database lives on this server must log in and use it. */
function checkConnectStrings(
  server: Server,
  files: readonly Rendered[],
  databases: string[],
  when: string,
): void {
  for (const c of connectStrings(files).filter((x) => databases.includes(x.dbname))) {
    const use = server.overTcp(c.user, c.password, `USE \`${c.dbname}\`; SELECT DATABASE()`);
    if (use.code !== 0 || use.stdout.trim() !== c.dbname) {
      throw failure(`${c.where}: its credentials (${c.user}, ${when}) do not open ${c.dbname}`, use);
    }
    say(`  ${c.where}: ${c.user} opens ${c.dbname} (${when})`);
  }
}

class Server {
  readonly socket: string;
  constructor(
    readonly dir: string,
    readonly port: number,
    readonly stop: () => Promise<void>,
  ) {
    this.socket = path.join(dir, "mysqld.sock");
  }

  /** The client as the program runs it (`--protocol=socket --user=root --batch`), as OS root. */
  asProgram(sql: string, create: string): RunResult {
    const flags = create
      .split(/\s+/)
      .filter((a) => a.startsWith("--") && !a.startsWith("--socket"))
      .filter((a) => a !== "--no-defaults");
    return run(asRoot(["mariadb", "--no-defaults", `--socket=${this.socket}`, ...flags]), { input: sql });
  }

  /** A TCP login (127.0.0.1) with a password, running `sql`. */
  overTcp(user: string, password: string, sql: string): RunResult {
    return run(
      [
        "mariadb",
        "--no-defaults",
        "--protocol=tcp",
        "--host=127.0.0.1",
        `--port=${this.port}`,
        `--user=${user}`,
        `--password=${password}`,
        "--batch",
        "--skip-column-names",
        "-e",
        sql,
      ],
      { quiet: true },
    );
  }
}

/**
 * The databases the running estate already holds on a component's server, which the program only
 * grants on and never creates: the blog's taken-over WordPress sites' databases (`blog.sites`).
 */
export function estateDatabases(stack: StackName, component: string): string[] {
  if (component !== "blog") {
    return [];
  }
  const values = readStackValues(stack);
  const cfg = parseStackConfig(stack, runtimeConfig(values, secretsFor(stack, values)));
  return databaseSites(cfg.blog.sites)
    .filter((s) => s.takenOver === true)
    .map((s) => s.database);
}

/** The image's MariaDB log directory: option files naming it are pointed at the throwaway server's. */
const LOG_DIR = "/var/log/mysql/";

/**
 * A throwaway MariaDB with `flags` (the container's command) and `cnf` (the option files the
 * program uploads to the container's conf.d, included as the image's my.cnf includes them; log
 * paths under /var/log/mysql/ moved into the temporary directory), root by unix socket only.
 */
async function startServer(flags: string[], cnf: readonly RenderedFile[] = []): Promise<Server> {
  const dir = tempDir("mariadb");
  const logs = path.join(dir, "log");
  fs.mkdirSync(logs);
  let defaults = ["--no-defaults"];
  if (cnf.length > 0) {
    fs.mkdirSync(path.join(dir, "conf.d"));
    for (const f of cnf) {
      fs.writeFileSync(
        path.join(dir, "conf.d", path.basename(f.path)),
        f.content.split(LOG_DIR).join(`${logs}/`),
      );
      say(`  ${f.path}: included from conf.d (${LOG_DIR} -> ${logs}/)`);
    }
    const main = path.join(dir, "my.cnf");
    fs.writeFileSync(
      main,
      `# The image's /etc/mysql/my.cnf includes conf.d.\n[client-server]\n!includedir ${dir}/conf.d/\n`,
    );
    defaults = [`--defaults-file=${main}`];
  }
  // With a rendered log_error, the server's own messages go to that file.
  const errorLog = (): string =>
    fs
      .readdirSync(logs)
      .map((f) => fs.readFileSync(path.join(logs, f), "utf8"))
      .join("");
  const data = path.join(dir, "data");
  const user = IS_ROOT ? ["--user=root"] : [];
  const install = run([
    "mariadb-install-db",
    "--no-defaults",
    `--datadir=${data}`,
    ...user,
    "--auth-root-authentication-method=socket",
    "--skip-test-db",
  ]);
  if (install.code !== 0) {
    throw failure("mariadb-install-db failed", install);
  }
  const port = await freePort();
  const server = start([
    "mariadbd",
    ...defaults,
    ...user,
    `--datadir=${data}`,
    `--socket=${path.join(dir, "mysqld.sock")}`,
    `--port=${port}`,
    "--bind-address=127.0.0.1",
    `--pid-file=${path.join(dir, "mysqld.pid")}`,
    "--innodb-buffer-pool-size=16M",
    ...flags,
  ]);
  await waitFor(
    `mariadbd (${server.line})`,
    () => {
      if (server.child.exitCode !== null) {
        throw new Error(`mariadbd exited with ${server.child.exitCode}:\n${server.output()}${errorLog()}`);
      }
      return (
        fs.existsSync(path.join(dir, "mysqld.sock")) &&
        /ready for connections/.test(server.output() + errorLog())
      );
    },
    60,
  );
  return new Server(dir, port, () => stop(server.child));
}

/** `1K` `256M` `1G` as bytes; other values as they are. */
function bytes(value: string): string {
  const m = /^(\d+)([KMG])$/i.exec(value);
  return m ? String(Number(m[1]) * 1024 ** " KMG".indexOf(m[2].toUpperCase())) : value;
}

/**
 * The `name = value` options of the server groups of option files, as the server reads them
 * (dashes as underscores); a flag on the command line wins over the file.
 */
export function serverOptions(cnf: string, flags: readonly string[]): Map<string, string> {
  const options = new Map<string, string>();
  let group = "";
  for (const raw of cnf.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      group = header[1];
    } else if (/^(mysqld|mariadbd|server|mariadb|mariadb-10\.11)$/.test(group) && line.includes("=")) {
      const at = line.indexOf("=");
      options.set(line.slice(0, at).trim().replace(/-/g, "_"), line.slice(at + 1).trim());
    }
  }
  for (const flag of flags) {
    const m = /^--([^=]+)=(.*)$/.exec(flag);
    if (m && options.has(m[1].replace(/-/g, "_"))) {
      options.set(m[1].replace(/-/g, "_"), m[2]);
    }
  }
  return options;
}

/** Every option of the conf.d files reads back from the running server as the file (or a flag) sets it. */
function checkOptionsRead(server: Server, cnf: readonly RenderedFile[], flags: readonly string[]): void {
  for (const f of cnf) {
    const options = serverOptions(f.content.split(LOG_DIR).join(`${server.dir}/log/`), flags);
    assert.ok(options.size > 0, `${f.path}: no server option`);
    const names = [...options.keys()];
    const read = server.asProgram(
      `SELECT ${names.map((n) => `@@${n}`).join(", ")};`,
      "--batch --skip-column-names",
    );
    if (read.code !== 0) {
      throw failure(`${f.path}: the server does not know every option`, read);
    }
    const got = read.stdout.replace(/\n$/, "").split("\t");
    names.forEach((n, i) => {
      const want = bytes(options.get(n) ?? "");
      // Numbers as numbers: long_query_time = 2 reads back as 2.000000.
      const same = /^-?[\d.]+$/.test(want) ? Number(got[i]) === Number(want) : got[i] === want;
      assert.ok(same, `${f.path}: ${n} reads back as ${got[i]}, the file sets ${want}`);
    });
    say(`  ${f.path}: ${names.length} options read back from the running server as set`);
  }
}

/** Every SQL of one server through the client as the program runs it, all of it twice. */
function applyTwice(server: Server, mine: RenderedExec[]): void {
  for (const round of [1, 2]) {
    for (const r of mine) {
      say(`  round ${round}: ${nameOf(r)}`);
      const result = server.asProgram(r.stdin, r.create);
      if (result.code !== 0) {
        throw failure(`${nameOf(r)}: the SQL fails (round ${round} of 2)`, result, r.stdin);
      }
    }
  }
}

describe("daemons: MariaDB runs every SQL the program renders", () => {
  let all: Rendered[];
  before(async function () {
    need(this, "mariadbd", "mariadb-server");
    need(this, "mariadb", "mariadb-client");
    if (!IS_ROOT && !canSudo()) {
      throw new Error(
        "the program's SQL runs as OS root over the unix socket: run this suite as root or with password-less sudo",
      );
    }
    version(["mariadbd", "--version"]);
    all = await allRendered();
  });

  it("refuses SQL that cannot run twice (the check itself)", async () => {
    const sql = ofKind(all, "mariadb-sql")[0] as RenderedExec;
    const once = { ...sql, stdin: "CREATE USER 'suite_once'@'%' IDENTIFIED BY 'suite-password';\n" };
    const server = await startServer([]);
    try {
      assert.throws(() => applyTwice(server, [once]), /round 2 of 2[\s\S]*ERROR 1396/);
    } finally {
      await server.stop();
    }
  });

  it("refuses to start with an option file holding an unknown option (the check itself)", async () => {
    const cnf = ofKind(all, "mariadb-cnf")[0] as RenderedFile;
    assert.ok(cnf);
    const bad = { ...cnf, content: `${cnf.content}\n[mysqld]\nbogus_option_of_the_suite = 1\n` };
    await assert.rejects(startServer([], [bad]), /unknown variable 'bogus_option_of_the_suite=1'/);
  });

  for (const stack of STACKS) {
    it(`${stack}: applies each server's SQL twice, rotates every password, keeps root's socket login`, async () => {
      const sql = ofKind(all, "mariadb-sql").filter((r) => r.stack === stack) as RenderedExec[];
      assert.ok(sql.length > 0, `${stack}: no SQL extracted`);
      const rotatedAll = await rotatedArtefacts(stack);
      const rotated = ofKind(rotatedAll, "mariadb-sql") as RenderedExec[];
      const targets = [...new Set(sql.map(sqlTarget))];
      for (const target of targets) {
        const mine = sql.filter((r) => sqlTarget(r) === target);
        const bug = mine.map((r) => knownBug(r, "mariadb-sql")).find((b) => b);
        assert.equal(bug, undefined, `known bugs of SQL are not supported: ${bug?.reason}`);
        // The server flags the program gives this container, when it gives any.
        const flags = all
          .filter((r) => r.stack === stack && r.shape === "argv" && r.container.name === target)
          .flatMap((r) => (r.shape === "argv" && r.which === "command" ? r.argv : []))
          .filter((a) => a.startsWith("--"));
        const cnf = ofKind(all, "mariadb-cnf").filter(
          (r) => r.stack === stack && r.shape === "file" && r.container.name === target,
        ) as RenderedFile[];
        say(`server ${target}${flags.length ? ` with the rendered flags ${flags.join(" ")}` : ""}`);
        const server = await startServer(flags, cnf);
        try {
          checkOptionsRead(server, cnf, flags);
          const existing = [...new Set(mine.map((r) => r.component))].flatMap((c) =>
            estateDatabases(stack, c),
          );
          if (existing.length > 0) {
            say(
              `  the estate's state before the program: ${existing.join(", ")} (the taken-over sites' databases, blog.sites) exist; the program's SQL only grants on them`,
            );
            for (const db of existing) {
              const creates = mine.filter((r) =>
                new RegExp(`CREATE DATABASE[^;]*\`${db}\``, "i").test(r.stdin),
              );
              assert.deepEqual(
                creates.map(nameOf),
                [],
                `${target}: the program's SQL creates ${db}, which the running estate already holds`,
              );
            }
            const created = server.asProgram(
              existing
                .map((db) => `CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n`)
                .join(""),
              "--protocol=socket --user=root --batch",
            );
            if (created.code !== 0) {
              throw failure(`${target}: creating the estate's databases fails`, created);
            }
          }
          applyTwice(server, mine);
          const before = mine.flatMap((r) => usersOf(r.stdin));
          assert.ok(before.length > 0, `${target}: the SQL sets no password`);
          for (const u of before.filter((x) => x.host === "%")) {
            const login = server.overTcp(u.user, u.password, "SELECT CURRENT_USER()");
            if (login.code !== 0) {
              throw failure(`${target}: ${u.user} cannot log in over TCP with the rendered password`, login);
            }
            for (const db of u.databases) {
              const use = server.overTcp(u.user, u.password, `USE \`${db}\`; SELECT DATABASE()`);
              if (use.code !== 0 || use.stdout.trim() !== db) {
                throw failure(`${target}: ${u.user} cannot use its database ${db}`, use);
              }
            }
          }

          const databases = before.flatMap((u) => u.databases);
          checkConnectStrings(
            server,
            all.filter((r) => r.stack === stack),
            databases,
            "as rendered",
          );

          // Rotation: the same resources, rendered with every password rotated.
          const next = rotated.filter((r) => sqlTarget(r) === target);
          assert.deepEqual(
            next.map((r) => r.resource),
            mine.map((r) => r.resource),
            `${target}: rotating passwords changed which SQL resources exist`,
          );
          for (const r of next) {
            say(`  rotated: ${nameOf(r)}`);
            const result = server.asProgram(r.stdin, r.create);
            if (result.code !== 0) {
              throw failure(`${nameOf(r)}: the rotated SQL fails`, result);
            }
          }
          const after = next.flatMap((r) => usersOf(r.stdin));
          let rotatedCount = 0;
          for (const u of before.filter((x) => x.host === "%")) {
            const now = after.find((a) => a.user === u.user && a.host === u.host);
            assert.ok(now, `${target}: ${u.user}@${u.host} disappeared after rotation`);
            if (now.password === u.password) {
              continue;
            }
            rotatedCount++;
            const old = server.overTcp(u.user, u.password, "SELECT 1");
            assert.notEqual(old.code, 0, `${target}: ${u.user} still logs in with the old password`);
            assert.match(old.stderr, /Access denied/, `${target}: ${u.user}'s old password: ${old.stderr}`);
            const fresh = server.overTcp(u.user, now.password, "SELECT CURRENT_USER()");
            if (fresh.code !== 0) {
              throw failure(`${target}: ${u.user} cannot log in with the rotated password`, fresh);
            }
            say(`  ${u.user}@${u.host}: old password refused, new one logs in over TCP`);
          }
          assert.ok(rotatedCount > 0, `${target}: rotating changed no password`);
          checkConnectStrings(server, rotatedAll, databases, "after rotation");
          const socketRoot = run(
            asRoot([
              "mariadb",
              "--no-defaults",
              `--socket=${server.socket}`,
              "--user=root",
              "-e",
              "SELECT 1",
            ]),
          );
          if (socketRoot.code !== 0) {
            throw failure(
              `${target}: root no longer logs in over the unix socket without a password`,
              socketRoot,
            );
          }
          say(`  root: logs in over the unix socket without a password`);
        } finally {
          await server.stop();
        }
      }
    });
  }
});
