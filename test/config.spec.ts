/**
 * Stack config as committed, as the Pulumi CLI itself checks it before the program runs (the
 * project-level rules of `Pulumi.yaml`, reproduced in test/harness/cli-config.ts), and as the
 * program validates it (config.ts).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { dockerSshOpts, parseStackConfig, PROJECT, STACK_KEYS } from "../config";
import { EXTERNAL_SECRETS } from "../components/secrets/inventory";
import { ProjectConfig, readProjectConfig, stackConfigProblems } from "./harness/cli-config";
import {
  cliConfigProblems,
  readProject,
  readStackValues,
  ROOT,
  secretsFor,
  StackValues,
  STACKS,
} from "./harness/stack";

/** Builds the raw config the runtime would hold for these values. */
function raw(values: StackValues, secrets: Record<string, string>) {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return { values: { ...flat, ...secrets }, secretKeys: new Set(Object.keys(secrets)) };
}

describe("stack config", () => {
  for (const stack of STACKS) {
    it(`accepts Pulumi.${stack}.yaml as committed`, () => {
      const cfg = parseStackConfig(stack, raw(readStackValues(stack), secretsFor(stack)));
      assert.equal(cfg.environment, stack);
      assert.equal(cfg.stackFile, `Pulumi.${stack}.yaml`);
    });

    it(`Pulumi.${stack}.yaml passes the CLI's project-config rules, with the secrets this stack holds set`, () => {
      assert.deepEqual(cliConfigProblems(stack, readStackValues(stack), secretsFor(stack)), []);
    });
  }
});

describe("Pulumi.yaml: the project's config declarations", () => {
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  };

  it("is a project the CLI accepts", () => {
    assert.deepEqual(readProjectConfig(doc).problems, []);
  });

  it("declares every key the program reads, typed, and nothing else of the project's", () => {
    const declared = Object.keys(doc.config).filter((k) => !k.includes(":"));
    const always = EXTERNAL_SECRETS.filter((s) => !s.heldWhen).map((s) => s.id);
    assert.deepEqual([...declared].sort(), [...STACK_KEYS, ...always].sort());
    for (const key of declared) {
      assert.ok(doc.config[key].type, `${key} has no type: the CLI checks only typed keys`);
      assert.ok(String(doc.config[key].description ?? "").length > 20, `${key} is described`);
    }
  });

  it("declares each external secret every stack holds as an encrypted string without default, and none that only some stacks hold", () => {
    for (const spec of EXTERNAL_SECRETS) {
      const decl = doc.config[spec.id];
      if (spec.heldWhen) {
        // The CLI requires every declared key without a default in every stack.
        assert.equal(
          decl,
          undefined,
          `${spec.id} is held only by ${spec.heldWhen.stacks}: it must not be declared`,
        );
      } else {
        assert.deepEqual(
          { type: decl?.type, secret: decl?.secret, default: decl?.default, value: decl?.value },
          { type: "string", secret: true, default: undefined, value: undefined },
          `${spec.id}: declare it with type: string and secret: true`,
        );
      }
    }
  });

  it("the CLI's rules refuse staging once a key only production holds is declared without a default (the first preview failed so)", () => {
    const project = readProject();
    const withSendgrid: ProjectConfig = {
      ...project,
      config: { ...project.config, sendgridApiKey: { type: "string", secret: true } },
    };
    assert.deepEqual(
      cliConfigProblems("staging", readStackValues("staging"), secretsFor("staging"), withSendgrid),
      ["Stack 'staging' is missing configuration value 'sendgridApiKey'"],
    );
    assert.deepEqual(
      cliConfigProblems("production", readStackValues("production"), secretsFor("production"), withSendgrid),
      [],
    );
  });
});

describe("the CLI's project-config rules (cli-config.ts)", () => {
  const project = (config: Record<string, unknown>) => readProjectConfig({ name: "p", config });

  it("reads shorthand values: the project's key declares a default, another namespace's sets a value", () => {
    const { project: p, problems } = project({ size: 3, "aws:region": "ap-northeast-1", tags: ["a"] });
    assert.deepEqual(problems, []);
    assert.deepEqual(p.config, {
      size: { default: 3 },
      "aws:region": { value: "ap-northeast-1" },
      tags: { default: ["a"] },
    });
  });

  it("refuses what Project.Validate and the project schema refuse", () => {
    assert.deepEqual(
      project({
        both: { default: 1, value: 2 },
        list: { type: "array" },
        port: { type: "integer", default: "eighty" },
        "aws:region": { type: "string", value: "x" },
        "aws:profile": { default: "x" },
        "aws:skip": { description: "nothing" },
        size: { type: "number" },
        name: { type: "string", required: true },
      }).problems,
      [
        'config.size: type must be one of string, integer, boolean, array, object, got "number"',
        "config.name: unknown attribute 'required' (a declaration takes type, items, description, secret, default, value)",
        "project config 'both' cannot have both a 'default' and 'value' attribute",
        "The configuration key 'list' declares an array but does not specify the underlying type via the 'items' attribute",
        "The default value specified for configuration key 'port' is not of the expected type 'integer'",
        "Configuration key 'aws:region' is not namespaced by the project and should not define a type",
        "Configuration key 'aws:profile' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?",
        "Configuration key 'aws:skip' is namespaced and must provide an attribute 'value'",
      ],
    );
  });

  const decl: ProjectConfig = {
    name: "p",
    config: {
      env: { type: "string" },
      owner: { description: "untyped, no default: still required" },
      count: { type: "integer", default: 2 },
      on: { type: "boolean" },
      mail: { type: "object" },
      names: { type: "array", items: { type: "string" } },
      token: { type: "string", secret: true },
      loose: { secret: true, default: "x" },
      "aws:region": { value: "ap-northeast-1" },
    },
  };
  const valid = {
    "p:env": "staging",
    "p:owner": "me",
    "p:on": "true",
    "p:mail": { relay: { host: "h" } },
    "p:names": ["a", "b"],
    "p:token": { secure: "v1:abc" },
  };

  it("accepts a stack that sets every required key with its type, and a default left unset", () => {
    assert.deepEqual(stackConfigProblems("s", decl, valid), []);
    assert.deepEqual(stackConfigProblems("s", decl, { ...valid, "p:count": "7", "p:env": 5 }), []);
  });

  it("lists every missing required key in one message, as the CLI does", () => {
    const without = (...keys: string[]) =>
      Object.fromEntries(Object.entries(valid).filter(([k]) => !keys.includes(k)));
    assert.deepEqual(stackConfigProblems("s", decl, without("p:env", "p:owner", "p:token")), [
      "Stack 's' is missing configuration values 'env', 'owner' and 'token'",
    ]);
    assert.deepEqual(stackConfigProblems("s", decl, without("p:owner")), [
      "Stack 's' is missing configuration value 'owner'",
    ]);
  });

  it("refuses a value of the wrong type and a secret in plain text", () => {
    assert.deepEqual(
      stackConfigProblems("s", decl, {
        ...valid,
        "p:count": "2.5",
        "p:on": "yes",
        "p:mail": "relay",
        "p:names": ["a", 3],
        "p:token": "in-plain-text",
      }),
      [
        "Stack 's' with configuration key 'count' must be of type 'integer'",
        "Stack 's' with configuration key 'mail' must be of type 'object'",
        "Stack 's' with configuration key 'names' must be of type 'array<string>'",
        "Stack 's' with configuration key 'on' must be of type 'boolean'",
        "Stack 's' with configuration key 'token' must be encrypted as it's secret",
      ],
    );
  });

  it("counts an object with an encrypted part as encrypted, and checks untyped keys for nothing", () => {
    const nested: ProjectConfig = { name: "p", config: { db: { type: "object", secret: true } } };
    assert.deepEqual(
      stackConfigProblems("s", nested, { "p:db": { user: "u", password: { secure: "v1:x" } } }),
      [],
    );
    assert.deepEqual(stackConfigProblems("s", nested, { "p:db": { user: "u", password: "plain" } }), [
      "Stack 's' with configuration key 'db' must be encrypted as it's secret",
    ]);
    assert.deepEqual(stackConfigProblems("s", decl, { ...valid, "p:loose": "plain" }), []);
  });
});

describe("the Docker host's SSH options", () => {
  it("share one SSH connection per host over ssh://, and are absent otherwise", () => {
    assert.deepEqual(dockerSshOpts("ssh://deploy@workstation"), [
      "-o",
      "ControlMaster=auto",
      "-o",
      "ControlPath=~/.ssh/onprem-%C",
      "-o",
      "ControlPersist=10m",
    ]);
    assert.equal(dockerSshOpts("unix:///var/run/docker.sock"), undefined);
    assert.equal(PROJECT, "onprem-infra");
  });
});
