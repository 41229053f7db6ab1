import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as adoption from "../../policy/adoption";
import * as containers from "../../policy/containers";
import type { ResourceValidationArgs } from "@pulumi/policy";
import {
  configSchema,
  isWaived,
  nameOfUrn,
  resourcePolicy,
  runChecks,
  schemaDefaults,
} from "../../policy/common";
import * as iam from "../../policy/iam";
import * as images from "../../policy/images";
import * as monitoring from "../../policy/monitoring";
import { ALL_POLICIES } from "../../policy/policies";
import * as secrets from "../../policy/secrets";
import * as storage from "../../policy/storage";
import * as tags from "../../policy/tags";
import * as tunnel from "../../policy/tunnel";
import { unknownValueError, urnOf } from "./fixtures";

/** Every exported policy constant of every module. */
function exportedPolicies(): { name: string }[] {
  return [adoption, containers, iam, images, monitoring, secrets, storage, tags, tunnel].flatMap((m) =>
    Object.values(m).filter(
      (v): v is { name: string } =>
        typeof v === "object" &&
        v !== null &&
        "name" in v &&
        ("validateResource" in v || "validateStack" in v),
    ),
  );
}

describe("policy pack: structure", () => {
  it("lists every exported policy exactly once, under a unique kebab-case name", () => {
    const names = ALL_POLICIES.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(
      [...names].sort(),
      exportedPolicies()
        .map((p) => p.name)
        .sort(),
    );
    for (const name of names) {
      assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });

  it("gives every policy a description, an explicit level and a config schema with defaults and waivers", () => {
    for (const p of ALL_POLICIES) {
      assert.ok(p.description.length > 20, p.name);
      assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", p.name);
      const props = p.configSchema?.properties ?? {};
      assert.ok(props.waivers, `${p.name} takes waivers`);
      for (const [key, schema] of Object.entries(props)) {
        assert.ok(
          typeof schema === "object" && schema.default !== undefined,
          `${p.name}.${key} has a default`,
        );
      }
    }
  });

  it("is mandatory and advisory exactly as the issue sets it", () => {
    const advisory = ALL_POLICIES.filter((p) => p.enforcementLevel === "advisory")
      .map((p) => p.name)
      .sort();
    assert.deepEqual(advisory, [
      "backup-hardening-pending",
      "container-no-new-privileges",
      "container-read-only-rootfs",
      "secret-rotation-overdue",
      "sns-topic-customer-managed-key",
      "tunnel-dns-proxied",
      "tunnel-dns-routed",
      "tunnel-ingress-catch-all",
      "tunnel-tls-verify",
    ]);
  });

  it("is imported by no test through policy/index.ts (constructing the pack starts a server)", () => {
    const testDir = path.resolve(__dirname, "..");
    const files = fs
      .readdirSync(testDir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => path.join(testDir, f));
    assert.ok(files.length > 10);
    const offenders = files.filter((f) =>
      /(from\s+|require\(\s*|import\(\s*)["'](\.\.?\/)+policy(\/index(\.ts)?)?["']/.test(
        fs.readFileSync(f, "utf8"),
      ),
    );
    assert.deepEqual(offenders, []);
  });

  it("tags each single-type resource policy with its type, so the SDK skips it for every other type", () => {
    // The policy SDK's server reads the type off the validation (its "fast check") before it
    // deserializes a resource's properties for the policy; the pack's own module, as it runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getPulumiType } = require(
      require.resolve("@pulumi/policy/policy", { paths: [path.resolve(__dirname, "..", "..", "policy")] }),
    ) as { getPulumiType(fn: unknown): string | undefined };
    const typed = Object.fromEntries(
      ALL_POLICIES.filter((p) => "validateResource" in p)
        .map((p) => [p.name, getPulumiType((p as { validateResource: unknown }).validateResource)])
        .filter(([, type]) => type !== undefined),
    );
    const container = "docker:index/container:Container";
    const tunnelConfig = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig";
    assert.deepEqual(typed, {
      ...Object.fromEntries(
        ALL_POLICIES.filter((p) => p.name.startsWith("container-")).map((p) => [p.name, container]),
      ),
      "sns-topic-customer-managed-key": "aws:sns/topic:Topic",
      "tunnel-ingress-catch-all": tunnelConfig,
      "tunnel-tls-verify": tunnelConfig,
    });
    assert.equal(Object.keys(typed).length, 13);
  });

  it("refuses a config property without a default", () => {
    assert.throws(() => configSchema({ limit: { type: "integer" } }), /needs a default/);
    assert.deepEqual(schemaDefaults(configSchema({ limit: { type: "integer", default: 3 } })), {
      limit: 3,
      waivers: [],
    });
  });
});

describe("policy pack: the common resource-policy wrapper", () => {
  const TYPES = ["test:index/a:A", "test:index/b:B"];
  type Config = { waivers: { resource: string; reason: string }[]; names: string[] };
  const seen: Config[] = [];
  const policy = resourcePolicy<Config>({
    name: "test-wrapper",
    description: "a policy over two types, with a config default",
    enforcementLevel: "mandatory",
    config: { names: { type: "array", items: { type: "string" }, default: ["x"] } },
    types: TYPES,
    notApplicableReason: (args) => (args.name === "skipped" ? "skipped by name" : undefined),
    rules: (_args, config) => [() => seen.push(config)],
  });
  /** Runs the policy as the SDK's server does; records the stack limit `notApplicable` saw. */
  const validate = (type: string, name: string, config: object = {}) => {
    const limits: number[] = [];
    const args = {
      type,
      name,
      urn: urnOf(type, name),
      props: {},
      getConfig: () => ({ ...config }),
      notApplicable: (reason?: string): never => {
        limits.push(Error.stackTraceLimit);
        throw new Error(reason);
      },
    } as unknown as ResourceValidationArgs;
    let reason: string | undefined;
    try {
      const run = policy.validateResource as (args: ResourceValidationArgs, report: () => void) => void;
      run(args, () => undefined);
    } catch (e) {
      reason = (e as Error).message;
    }
    return { reason, limits };
  };

  it("reports not applicable with no stack captured, then puts the stack limit back", () => {
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      const waivers = [{ resource: "waived", reason: "why" }];
      assert.deepEqual(
        [
          validate("test:index/c:C", "other"),
          validate(TYPES[1], "skipped"),
          validate(TYPES[0], "waived", { waivers }),
        ],
        [
          { reason: `applies to ${TYPES.join(", ")}`, limits: [0] },
          { reason: "skipped by name", limits: [0] },
          { reason: "waived for waived", limits: [0] },
        ],
      );
      assert.equal(Error.stackTraceLimit, 17);
      assert.deepEqual(validate(TYPES[0], "checked"), { reason: undefined, limits: [] });
    } finally {
      Error.stackTraceLimit = before;
    }
  });

  it("reads its config over defaults built once and read-only; a null given value is the default", () => {
    seen.length = 0;
    validate(TYPES[0], "one");
    validate(TYPES[1], "two", { names: null });
    validate(TYPES[0], "three", { names: ["y"] });
    assert.deepEqual(seen, [
      { names: ["x"], waivers: [] },
      { names: ["x"], waivers: [] },
      { names: ["y"], waivers: [] },
    ]);
    assert.equal(seen[0].names, seen[1].names);
    assert.ok(Object.isFrozen(seen[0].names) && Object.isFrozen(seen[0].waivers));
    assert.throws(() => seen[0].names.push("z"), TypeError);
    assert.ok(!Object.isFrozen(seen[2].names), "a given value is the pack's own, not frozen");
  });
});

describe("policy pack: waivers", () => {
  const urn = urnOf("docker:index/container:Container", "mail-nginx");

  it("match a resource by URN or by name, only with a reason", () => {
    assert.equal(nameOfUrn(urn), "mail-nginx");
    assert.ok(isWaived([{ resource: urn, reason: "why" }], urn));
    assert.ok(isWaived([{ resource: "mail-nginx", reason: "why" }], urn));
    assert.ok(!isWaived([{ resource: "mail-nginx", reason: "" }], urn));
    assert.ok(!isWaived([{ resource: "mail-nginx-2", reason: "why" }], urn));
  });
});

describe("policy pack: preview safety", () => {
  it("runs every rule, rethrows the first unknown afterwards and any other error at once", () => {
    const ran: string[] = [];
    const unknownError = (): never => {
      throw unknownValueError("image");
    };
    assert.throws(
      () => runChecks([() => ran.push("a"), unknownError, () => ran.push("c")]),
      /image can't be known during preview/,
    );
    assert.deepEqual(ran, ["a", "c"]);
    assert.throws(
      () =>
        runChecks([
          () => {
            throw new TypeError("bug");
          },
          () => ran.push("never"),
        ]),
      /bug/,
    );
    assert.deepEqual(ran, ["a", "c"]);
  });
});
