/**
 * Redis (Debian's redis-server, the pinned image's 7 series): each Redis container's rendered
 * command started as it is, on a free local port in a temporary directory; it must answer PING
 * and report every rendered setting as given (sizes in bytes, as Redis reports them).
 */
import * as assert from "node:assert/strict";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedArgv, allRendered } from "./artefacts";
import { failure, freePort, need, run, say, start, stop, tempDir, version, waitFor } from "./daemon";
import { checkEach } from "./check";

/** Redis's reading of a size (`256mb` -> bytes; `1k` is 1000, `1kb` 1024). */
function redisBytes(value: string): string {
  const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(value);
  if (!m || !m[2]) {
    return value;
  }
  const unit = m[2].toLowerCase();
  const base = unit.endsWith("b") ? 1024 : 1000;
  const power = { k: 1, m: 2, g: 3 }[unit[0] as "k" | "m" | "g"];
  return String(Number(m[1]) * base ** power);
}

describe("daemons: Redis starts with the rendered flags", () => {
  let all: Rendered[];
  let server: string;
  let cli: string;
  before(async function () {
    server = need(this, "redis-server", "redis-server");
    cli = need(this, "redis-cli", "redis-tools");
    version([server, "--version"]);
    all = await allRendered();
  });

  it("refuses flags Redis does not take (the check itself)", async () => {
    await assert.rejects(
      checkRedis(server, cli, ["redis-server", "--maxmemory-policy", "not-a-policy-of-the-suite"]),
      /redis-server refuses the rendered flags[\s\S]*maxmemory-policy/,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: each Redis command starts, answers PING and holds its settings`, async () => {
      await checkEach(all, "redis-flags", stack, (r) => checkRedis(server, cli, (r as RenderedArgv).argv));
    });
  }
});

/** Starts redis-server with one rendered command on a free port; PING and every setting must hold. */
async function checkRedis(server: string, cli: string, argv: string[]): Promise<void> {
  const flags = argv[0] === "redis-server" ? argv.slice(1) : argv;
  const port = await freePort();
  const dir = tempDir("redis");
  const daemon = start([server, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...flags]);
  try {
    await waitFor(`redis-server (${daemon.line})`, () => {
      if (daemon.child.exitCode !== null) {
        throw new Error(`redis-server refuses the rendered flags ${flags.join(" ")}:\n${daemon.output()}`);
      }
      return run([cli, "-p", String(port), "ping"], { quiet: true }).stdout.trim() === "PONG";
    });
    say(`  PONG on port ${port}`);
    for (let i = 0; i < flags.length; i++) {
      if (!flags[i].startsWith("--")) {
        continue;
      }
      const name = flags[i].slice(2);
      const given = flags[i + 1];
      const got = run([cli, "-p", String(port), "config", "get", name], { quiet: true });
      const value = got.stdout.split("\n")[1]?.trim();
      if (got.code !== 0 || value === undefined) {
        throw failure(`CONFIG GET ${name}`, got);
      }
      assert.equal(value, redisBytes(given), `${name}: redis holds ${value}, the command says ${given}`);
      say(`  ${name} = ${value}`);
    }
  } finally {
    await stop(daemon.child);
  }
}
