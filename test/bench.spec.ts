/**
 * The bench's pure parts (scripts/lib): the SDK class of a resource type, and the replay plan its
 * registration floor registers (scripts/bench-replay.ts). The replay itself runs under the real
 * `cmd/run` in cli-loading.spec.ts. No timing is asserted here: `npm run bench` measures.
 */
import { strict as assert } from "node:assert";
import { replayPlan } from "../scripts/lib/replay";
import { classOf, loadClass } from "../scripts/lib/sdk-classes";
import { fakeResource } from "./harness/engine";

const STACK = "urn:pulumi:production::onprem-infra::pulumi:pulumi:Stack::onprem-infra-production";

describe("the bench's SDK classes", () => {
  it("names the class of a resource, a module's resource and a provider", () => {
    assert.equal(classOf("aws:s3/bucket:Bucket"), "aws.s3.Bucket");
    assert.equal(classOf("docker:index/container:Container"), "docker.Container");
    assert.equal(classOf("pulumi:providers:aws"), "aws.Provider");
    assert.equal(classOf("command:local:Command"), "command.local.Command");
  });

  it("names none for the stack or a type that is not three parts", () => {
    assert.equal(classOf("pulumi:pulumi:Stack"), undefined);
    assert.equal(classOf("component"), undefined);
  });

  it("loads a class, and refuses one its package does not have", () => {
    assert.equal(typeof loadClass("random.RandomPassword"), "function");
    assert.throws(() => loadClass("random.NoSuchThing"), /@pulumi\/random has no NoSuchThing/);
  });
});

describe("the bench's replay plan", () => {
  const provider = fakeResource("docker", "pulumi:providers:docker", { urn: "urn:provider", parent: STACK });
  const component = fakeResource("mail", "onprem:mail:MailserverStack", {
    urn: "urn:mail",
    custom: false,
    parent: STACK,
    state: { network: "mailserver_network" },
  });
  const network = fakeResource("mail-network", "docker:index/network:Network", {
    urn: "urn:network",
    parent: "urn:mail",
    provider: "urn:provider::id-1",
    inputs: { name: "mailserver_network" },
  });
  const container = fakeResource("mail-postfix", "docker:index/container:Container", {
    urn: "urn:postfix",
    parent: "urn:mail",
    provider: "urn:provider::id-1",
    dependencies: ["urn:mail", "urn:network", "urn:network", STACK],
    inputs: { name: "postfix", envs: ["A=1"], labels: { a: "b" } },
    secretPaths: ["envs[0]", "envs[1]"],
    options: {
      protect: true,
      deleteBeforeReplace: true,
      replaceOnChanges: ["image"],
      customTimeouts: { create: "5m", update: "5m", delete: "1m" },
    },
  });

  it("refers to parents, providers and dependencies by their place, the stack left to the runner", () => {
    const plan = replayPlan([provider, component, network, container]);
    assert.deepEqual(
      plan.map((e) => [e.type, e.name, e.custom, e.parent, e.provider, e.dependsOn]),
      [
        ["pulumi:providers:docker", "docker", true, undefined, undefined, []],
        ["onprem:mail:MailserverStack", "mail", false, undefined, undefined, []],
        ["docker:index/network:Network", "mail-network", true, 1, 0, []],
        // The parent and the stack are not dependencies of their own; a repeated one comes once.
        ["docker:index/container:Container", "mail-postfix", true, 1, 0, [2]],
      ],
    );
  });

  it("keeps the inputs, sends secret inputs as secrets, and sets only the options that were set", () => {
    const [, mail, net, postfix] = replayPlan([provider, component, network, container]);
    assert.deepEqual(postfix.inputs, { name: "postfix", envs: ["A=1"], labels: { a: "b" } });
    assert.deepEqual(postfix.secretInputs, ["envs"]);
    assert.deepEqual(postfix.options, {
      protect: true,
      deleteBeforeReplace: true,
      replaceOnChanges: ["image"],
      customTimeouts: { create: "5m", update: "5m", delete: "1m" },
    });
    assert.deepEqual(net.options, {});
    assert.deepEqual(net.secretInputs, []);
    assert.equal(net.outputs, undefined);
    // A component's registered outputs, to register again.
    assert.deepEqual(mail.outputs, { network: "mailserver_network" });
  });

  it("keeps an import id, ignored changes, retention and secret outputs", () => {
    const adopted = fakeResource("bucket", "aws:s3/bucket:Bucket", {
      urn: "urn:bucket",
      options: {
        importId: "system-backup",
        ignoreChanges: ["tags"],
        retainOnDelete: true,
        additionalSecretOutputs: ["arn"],
      },
    });
    assert.deepEqual(replayPlan([adopted])[0].options, {
      import: "system-backup",
      ignoreChanges: ["tags"],
      retainOnDelete: true,
      additionalSecretOutputs: ["arn"],
    });
  });

  it("refuses a registration whose parent, provider or dependency comes after it", () => {
    assert.throws(
      () => replayPlan([network, provider, component]),
      /docker:index\/network:Network mail-network: its parent urn:mail was not registered before it/,
    );
    assert.throws(
      () => replayPlan([component, network]),
      /mail-network: its provider urn:provider was not registered before it/,
    );
    assert.throws(
      () => replayPlan([provider, component, container]),
      /mail-postfix: its dependency urn:network was not registered before it/,
    );
  });
});
