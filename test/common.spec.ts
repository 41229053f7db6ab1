/** The shared pure functions: units, health checks, start order, config building blocks, SQL, labels. */
import { strict as assert } from "node:assert";
import * as v from "valibot";
import { serviceContainerInputs } from "../components/common/container";
import { commonTags, dockerLabels } from "../components/common/labels";
import { mariadbExecCommand, renderRootSql, renderUserSql } from "../components/common/mariadb";
import {
  cpus,
  defaultMessage,
  findPortClash,
  gatewayOf,
  isoDate,
  isUsableHostIn,
  parseImageRef,
  pinnedImage,
  serviceAddressProblems,
  subnet,
  withCrossCheck,
} from "../components/common/schema";
import {
  criticalPath,
  estimatedSecondsToHealthy,
  renderHealthCheck,
  startWaves,
  validateNeeds,
  waitTimeoutSeconds,
} from "../components/common/startup";
import { cpusString, goDuration, memoryToMb } from "../components/common/units";

describe("units", () => {
  it("writes durations as the provider reads them back", () => {
    assert.deepEqual([0, 5, 30, 60, 90, 300, 3600, 3725].map(goDuration), [
      "0s",
      "5s",
      "30s",
      "1m0s",
      "1m30s",
      "5m0s",
      "1h0m0s",
      "1h2m5s",
    ]);
    assert.throws(() => goDuration(1.5), /whole number/);
    assert.throws(() => goDuration(-1), /whole number/);
  });

  it("converts memory sizes to MB and rejects anything else", () => {
    assert.deepEqual(["256M", "512M", "1G", "2G", "1536M"].map(memoryToMb), [256, 512, 1024, 2048, 1536]);
    for (const bad of ["1Q", "1GB", "0M", "1.5G", "", "512"]) {
      assert.throws(() => memoryToMb(bad), /not a memory size/, bad);
    }
  });

  it("writes CPU counts as Docker's cpus string", () => {
    assert.deepEqual([1, 2, 0.5, 0.25, 1.5].map(cpusString), ["1.0", "2.0", "0.5", "0.25", "1.5"]);
  });
  it("spells CPU counts as kreuzwerker's nanoInt64ToDecimalString reads them back", () => {
    // Nine zeros in the nine-decimal text: one decimal; otherwise trailing zeros stripped.
    assert.deepEqual([10, 12, 20, 0.1, 2.5, 0.125, 1.01, 64].map(cpusString), [
      "10.",
      "12.0",
      "20.",
      "0.1",
      "2.5",
      "0.125",
      "1.01",
      "64.0",
    ]);
    assert.throws(() => cpusString(0.05), /would read back as 0\.1/);
    assert.throws(() => cpusString(0), /not a CPU count/);
    assert.equal(v.safeParse(cpus, 0.25).success, true);
    assert.match(
      v.safeParse(cpus, 0.05).issues?.[0].message ?? "",
      /must be a count Docker stores as written/,
    );
  });
});

describe("health checks and start order", () => {
  it("fills in the design document's defaults and derives the wait timeout", () => {
    const spec = { test: ["CMD", "true"] };
    assert.deepEqual(renderHealthCheck(spec), {
      tests: ["CMD", "true"],
      interval: "30s",
      timeout: "10s",
      retries: 3,
      startPeriod: "40s",
    });
    assert.equal(waitTimeoutSeconds(spec), 40 + 4 * 40);
    assert.equal(waitTimeoutSeconds({ ...spec, startPeriodSeconds: 300, timeoutSeconds: 30 }), 300 + 4 * 60);
    assert.equal(estimatedSecondsToHealthy(spec), 60);
    assert.equal(estimatedSecondsToHealthy({ ...spec, startPeriodSeconds: 0 }), 30);
  });

  it("groups services into waves and finds the weighted critical path", () => {
    const needs = { a: [], b: ["a"], c: [], d: ["b", "c"], e: ["c"] };
    assert.deepEqual(startWaves(needs), [["a", "c"], ["b", "e"], ["d"]]);
    assert.deepEqual(criticalPath(needs, { a: 10, b: 10, c: 50, d: 1, e: 1 }), {
      path: ["c", "d"],
      seconds: 51,
    });
    assert.deepEqual(criticalPath(needs, { a: 10, b: 10, c: 5, d: 1, e: 1 }), {
      path: ["a", "b", "d"],
      seconds: 21,
    });
  });

  it("rejects cycles, self-needs and unknown services", () => {
    assert.throws(() => startWaves({ a: ["b"], b: ["a"] }), /start-order cycle: a -> b -> a/);
    assert.throws(() => validateNeeds({ a: ["a"] }), /needs itself/);
    assert.throws(() => validateNeeds({ a: ["x"] }), /needs "x", which is not a service/);
  });
});

describe("config building blocks", () => {
  it("splits image references without mistaking a registry port for a tag", () => {
    assert.deepEqual(parseImageRef("nginx"), { repository: "nginx", digest: undefined });
    assert.deepEqual(parseImageRef("nginx:1.26-alpine"), {
      repository: "nginx",
      tag: "1.26-alpine",
      digest: undefined,
    });
    assert.deepEqual(parseImageRef("registry.local:5000/nginx"), {
      repository: "registry.local:5000/nginx",
      digest: undefined,
    });
    assert.deepEqual(parseImageRef("registry.local:5000/nginx:1.2"), {
      repository: "registry.local:5000/nginx",
      tag: "1.2",
      digest: undefined,
    });
    const digest = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(parseImageRef(`nginx@${digest}`), { repository: "nginx", digest });
  });

  it("accepts only pinned images", () => {
    const ok = [
      "nginx:1.26-alpine",
      "boky/postfix:v4.4.0",
      `nginx@sha256:${"b".repeat(64)}`,
      "registry.local:5000/app:2.0",
    ];
    const bad = ["nginx", "nginx:latest", "registry.local:5000/nginx", "Nginx:1.0", "nginx:"];
    for (const ref of ok) {
      assert.ok(v.is(pinnedImage, ref), ref);
    }
    for (const ref of bad) {
      assert.ok(!v.is(pinnedImage, ref), ref);
    }
  });

  it("accepts only dates of the calendar", () => {
    for (const ok of ["2026-11-01", "2028-02-29", "2026-12-31"]) {
      assert.ok(v.is(isoDate, ok), ok);
    }
    for (const bad of ["2026-13-01", "2026-02-29", "2026-02-30", "2026-04-31", "2026-1-01", "01.11.2026"]) {
      assert.ok(!v.is(isoDate, bad), bad);
    }
  });

  it("knows subnets, gateways and usable host addresses", () => {
    assert.ok(v.is(subnet, "172.22.0.0/24"));
    assert.ok(!v.is(subnet, "172.22.0.5/24"));
    assert.ok(!v.is(subnet, "10.0.0.0/8"), "wider than /16");
    assert.equal(gatewayOf("172.23.0.0/24"), "172.23.0.1");
    assert.ok(isUsableHostIn("172.20.0.10", "172.20.0.0/24"));
    assert.ok(!isUsableHostIn("172.20.0.1", "172.20.0.0/24"), "gateway");
    assert.ok(!isUsableHostIn("172.20.0.255", "172.20.0.0/24"), "broadcast");
    assert.ok(!isUsableHostIn("172.21.0.10", "172.20.0.0/24"), "other subnet");
  });

  it("finds two claims on one host port, and only then", () => {
    const claim = (key: string, bind: string, host: number, protocol = "tcp") => ({
      key,
      bind,
      host,
      protocol,
    });
    assert.equal(findPortClash([claim("a", "127.0.0.1", 80), claim("b", "100.64.0.10", 80)]), undefined);
    assert.equal(findPortClash([claim("a", "127.0.0.1", 53), claim("b", "127.0.0.1", 53, "udp")]), undefined);
    assert.deepEqual(
      findPortClash([claim("a", "127.0.0.1", 80), claim("b", "127.0.0.1", 80)])?.second.key,
      "b",
    );
  });
});

describe("config validation", () => {
  /** Every issue of parsing `input` as `path: message`, with the default messages. */
  function issues(schema: v.GenericSchema, input: unknown): string[] {
    const result = v.safeParse(schema, input, { message: defaultMessage });
    return (result.issues ?? []).map(
      (i) => `${(i.path ?? []).map((p) => String(p.key)).join(".")}: ${i.message}`,
    );
  }
  const pair = v.strictObject({ low: v.number(), high: v.number(), label: v.optional(v.string()) });
  const ordered = withCrossCheck(pair, (p) =>
    p.high > p.low ? [] : [{ path: ["high"], message: `must be above low (${p.low})` }],
  );

  it("says a missing key is required, an unknown key unknown, and what a mistyped value should be", () => {
    assert.deepEqual(issues(pair, { low: 1 }), ["high: is required"]);
    assert.deepEqual(issues(pair, { low: 1, high: 2, hihg: 3 }), ["hihg: is not a known key"]);
    assert.deepEqual(issues(pair, { low: "1", high: 2 }), ['low: must be a number, got "1"']);
    assert.deepEqual(issues(pair, { low: 1, high: 2, label: 3 }), ["label: must be text, got 3"]);
    assert.deepEqual(issues(pair, "low"), [': must be a mapping of keys to values, got "low"']);
  });

  it("keeps a schema's own message over the default", () => {
    assert.deepEqual(issues(pinnedImage, 5), [": must be an image reference"]);
  });

  it("runs a cross-check on a clean parse and reports each problem at its key", () => {
    assert.deepEqual(issues(ordered, { low: 1, high: 2 }), []);
    assert.deepEqual(issues(ordered, { low: 3, high: 2 }), ["high: must be above low (3)"]);
    const nested = v.strictObject({ range: ordered });
    assert.deepEqual(issues(nested, { range: { low: 3, high: 2 } }), ["range.high: must be above low (3)"]);
  });

  it("skips the cross-check while a field is invalid", () => {
    assert.deepEqual(issues(ordered, { low: 3, high: "2" }), ['high: must be a number, got "2"']);
  });

  it("finds service addresses outside the subnet or taken twice", () => {
    const services = { a: { ip: "172.20.0.10" }, b: { ip: "172.20.0.10" }, c: { ip: "172.20.1.5" } };
    assert.deepEqual(serviceAddressProblems(services, "172.20.0.0/24"), [
      { path: ["services", "b", "ip"], message: "172.20.0.10 is already the address of a" },
      { path: ["services", "c", "ip"], message: "172.20.1.5 is not a usable host address in 172.20.0.0/24" },
    ]);
    assert.deepEqual(serviceAddressProblems({ a: { ip: "172.20.0.1" } }, "172.20.0.0/24"), [
      { path: ["services", "a", "ip"], message: "172.20.0.1 is not a usable host address in 172.20.0.0/24" },
    ]);
  });
});

describe("database SQL", () => {
  it("creates databases and the user idempotently and sets the password every time", () => {
    assert.equal(
      renderUserSql({ user: "wp_blog1", databases: ["wp_blog1"] }, "Pass-word_1"),
      [
        "CREATE DATABASE IF NOT EXISTS `wp_blog1` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
        "CREATE USER IF NOT EXISTS 'wp_blog1'@'%' IDENTIFIED BY 'Pass-word_1';",
        "ALTER USER 'wp_blog1'@'%' IDENTIFIED BY 'Pass-word_1';",
        "GRANT ALL PRIVILEGES ON `wp_blog1`.* TO 'wp_blog1'@'%';",
        "FLUSH PRIVILEGES;",
        "",
      ].join("\n"),
    );
  });

  it("grants a taken-over user's databases without creating them when asked", () => {
    const sql = renderUserSql({ user: "wordpress", databases: ["wp_a", "wp_b"] }, "Pass-word_1", {
      createDatabases: false,
    });
    assert.equal(
      sql,
      [
        "CREATE USER IF NOT EXISTS 'wordpress'@'%' IDENTIFIED BY 'Pass-word_1';",
        "ALTER USER 'wordpress'@'%' IDENTIFIED BY 'Pass-word_1';",
        "GRANT ALL PRIVILEGES ON `wp_a`.* TO 'wordpress'@'%';",
        "GRANT ALL PRIVILEGES ON `wp_b`.* TO 'wordpress'@'%';",
        "FLUSH PRIVILEGES;",
        "",
      ].join("\n"),
    );
  });

  it("keeps unix-socket login for root while rotating its password", () => {
    assert.match(
      renderRootSql("Aa1"),
      /^ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD\('Aa1'\) OR unix_socket;/,
    );
  });

  it("refuses identifiers and passwords that would need quoting", () => {
    assert.throws(
      () => renderUserSql({ user: "x'; DROP", databases: [] }, "a"),
      /not a safe MariaDB identifier/,
    );
    assert.throws(
      () => renderUserSql({ user: "x", databases: ["a`b"] }, "a"),
      /not a safe MariaDB identifier/,
    );
    assert.throws(() => renderUserSql({ user: "x", databases: [] }, "it's"), /outside/);
  });

  it("runs the client over the socket with no password on the command line", () => {
    assert.equal(
      mariadbExecCommand("blog-mariadb"),
      "docker exec -i blog-mariadb mariadb --protocol=socket --user=root --batch",
    );
  });
});

describe("labels and tags", () => {
  const facts = { project: "onprem-infra", environment: "staging", owner: "kuma8088" };
  it("tags AWS resources with the four common tags", () => {
    assert.deepEqual(commonTags(facts), {
      Project: "onprem-infra",
      Environment: "staging",
      ManagedBy: "pulumi",
      Owner: "kuma8088",
    });
  });
  it("labels Docker resources with the same facts, sorted, plus extras", () => {
    assert.deepEqual(dockerLabels(facts, { "org.onprem-infra.service": "redis" }), [
      { label: "org.onprem-infra.environment", value: "staging" },
      { label: "org.onprem-infra.managed-by", value: "pulumi" },
      { label: "org.onprem-infra.owner", value: "kuma8088" },
      { label: "org.onprem-infra.project", value: "onprem-infra" },
      { label: "org.onprem-infra.service", value: "redis" },
    ]);
  });
});

describe("service container inputs", () => {
  const base = {
    containerName: "blog-redis",
    hostname: "redis",
    image: "sha256:abc",
    cpus: 0.5,
    memory: "512M",
    networks: [{ name: "blog-network", ipv4Address: "172.22.0.20", aliases: ["redis"] }],
    healthCheck: { test: ["CMD", "redis-cli", "ping"] },
    labels: [],
  };
  it("sets limits, reservation, logs, restart, wait and no-new-privileges", () => {
    const inputs = serviceContainerInputs({ ...base, memoryReservation: "256M" });
    assert.equal(inputs.cpus, "0.5");
    assert.equal(inputs.memory, 512);
    assert.equal(inputs.memoryReservation, 256);
    assert.equal(inputs.restart, "unless-stopped");
    assert.deepEqual(inputs.logOpts, { "max-size": "10m", "max-file": "3" });
    assert.equal(inputs.wait, true);
    assert.equal(inputs.waitTimeout, 200);
    assert.deepEqual(inputs.securityOpts, ["no-new-privileges:true"]);
    assert.equal(inputs.destroyGraceSeconds, 30);
  });
  it("sets memorySwap to the memory limit, since Docker would fill in twice the limit and Read reports it", () => {
    assert.equal(serviceContainerInputs(base).memorySwap, 512);
    assert.equal(serviceContainerInputs({ ...base, memory: "2G" }).memorySwap, 2048);
  });
  it("states every mount's readOnly, as Read stores HostConfig.Mounts", () => {
    const inputs = serviceContainerInputs({
      ...base,
      mounts: [
        { type: "bind", source: "/srv/a", target: "/a" },
        { type: "bind", source: "/srv/b", target: "/b", readOnly: true },
      ],
    });
    assert.deepEqual(inputs.mounts, [
      { type: "bind", source: "/srv/a", target: "/a", readOnly: false },
      { type: "bind", source: "/srv/b", target: "/b", readOnly: true },
    ]);
    assert.equal(serviceContainerInputs(base).mounts, undefined);
  });
  it("adds extra hosts (Compose's extra_hosts) in order, and no hosts key at all without them", () => {
    const inputs = serviceContainerInputs({
      ...base,
      hosts: [
        { host: "mail.example.net", ip: "172.20.0.20" },
        { host: "db.example.net", ip: "172.20.0.60" },
      ],
    });
    assert.deepEqual(inputs.hosts, [
      { host: "mail.example.net", ip: "172.20.0.20" },
      { host: "db.example.net", ip: "172.20.0.60" },
    ]);
    assert.ok(!("hosts" in serviceContainerInputs(base)));
  });
  it("leaves the reservation unset when none is given, and drops no-new-privileges on request", () => {
    const inputs = serviceContainerInputs({ ...base, noNewPrivileges: false, stopGraceSeconds: 120 });
    assert.equal(inputs.memoryReservation, undefined);
    assert.deepEqual(inputs.securityOpts, []);
    assert.equal(inputs.destroyGraceSeconds, 120);
  });
});
