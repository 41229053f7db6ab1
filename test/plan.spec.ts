/**
 * The offline plan (`npm run plan`) and the committed estate diagram. The diagram and the start
 * order are checked in-process against a fresh evaluation; the command itself is spawned as the
 * operator runs it (text, `--json`, and a config error from an edited copy of the stack file).
 * No timing is asserted here: `npm run bench` measures.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { MAIL_NEEDS, mailContainerName } from "../components/mail/services";
import { BLOG_NEEDS, blogContainerName } from "../components/blog/services";
import { startWaves } from "../components/common/startup";
import {
  DIAGRAM_FILE,
  DIAGRAM_STACK,
  diagramTitle,
  mermaidDiagram,
  readmeDiagram,
  REGENERATE_COMMAND,
} from "../scripts/lib/diagram";
import { containerNeeds, containers, maskedInputs, SECRET, startOrder } from "../scripts/lib/model";
import { checklist, Plan } from "../scripts/lib/plan";
import { policyReport } from "../scripts/lib/policy";
import { CapturedResource, fakeResource } from "./harness/engine";
import { ROOT, runStack, SECRET_PLACEHOLDERS, StackRun } from "./harness/stack";
import { isStackName } from "./harness/constants";
import { CONTAINER } from "./harness/types";
import { runPlan, runShell, Spawned } from "./harness/spawn";

/** The `npm run … plan … --json` command lines of the README's and docs' shell blocks. */
function documentedJsonPlanCommands(): string[] {
  const files = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => path.join("docs", f))];
  const commands: string[] = [];
  for (const file of files.filter((f) => f.endsWith(".md"))) {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const line of block[1].split("\n")) {
        const command = line.replace(/\s+#.*$/, "").trim();
        if (/^npm run\b.*\bplan\b.*--json\b/.test(command)) {
          commands.push(command);
        }
      }
    }
  }
  return commands;
}

/** A minimal captured resource for the pure model functions. */
function fake(
  name: string,
  type: string,
  deps: string[] = [],
  inputs: Record<string, unknown> = {},
): CapturedResource {
  return fakeResource(name, type, { dependencies: deps.map((d) => `urn:${d}`), inputs: { name, ...inputs } });
}

/** The taken-over passwords and key every stack holds: the mail stack's, then the blog's. */
const TAKEN_OVER_SECRETS = [
  "onprem-infra:mailDbRootPassword",
  "onprem-infra:mailDbAppPassword",
  "onprem-infra:usermgmtDbPassword",
  "onprem-infra:mailApiKey",
  "onprem-infra:blogDbRootPassword",
  "onprem-infra:blogDbWordpressPassword",
];

describe("plan: model", () => {
  it("derives a container's needs through non-container resources, not through other containers", () => {
    const resources = [
      fake("db", CONTAINER),
      fake("db-user", "command:local:Command", ["db"]),
      fake("app", CONTAINER, ["db-user", "image"]),
      fake("image", "docker:index/remoteImage:RemoteImage"),
      fake("proxy", CONTAINER, ["app"]),
    ];
    const needs = containerNeeds(resources);
    assert.deepEqual(needs.get("app"), ["db"]);
    assert.deepEqual(needs.get("proxy"), ["app"], "proxy waits for app only; app waits for db");
    assert.deepEqual(needs.get("db"), []);
  });

  it("masks every secret path, nested or whole", () => {
    const r = fake("c", CONTAINER, [], {
      envs: ["A=1", "B=2"],
      uploads: [
        { file: "/a", content: "public" },
        { file: "/b", content: "hunter2" },
      ],
    });
    r.secretPaths = ["envs", "uploads[1].content"];
    const masked = maskedInputs(r);
    assert.equal(masked.envs, SECRET);
    assert.deepEqual(masked.uploads, [
      { file: "/a", content: "public" },
      { file: "/b", content: SECRET },
    ]);
    assert.equal(JSON.stringify(masked).includes("hunter2"), false);
  });
});

describe("plan: the evaluated estate", () => {
  const runs: Partial<Record<"production" | "staging", StackRun>> = {};
  const run = async (stack: "production" | "staging"): Promise<StackRun> =>
    (runs[stack] ??= await runStack(stack));

  for (const stack of ["production", "staging"] as const) {
    it(`${stack}: the waves from the captured edges are the declared needs of both stacks`, async () => {
      const { capture } = await run(stack);
      const views = containers(capture.resources);
      const mailPrefix = stack === "production" ? "mailserver" : "mailserver-staging";
      const blogPrefix = stack === "production" ? "blog" : "blog-staging";
      const expected: Record<string, string[]> = {};
      for (const [svc, deps] of Object.entries(MAIL_NEEDS)) {
        expected[mailContainerName(mailPrefix, svc as keyof typeof MAIL_NEEDS)] = deps
          .map((d) => mailContainerName(mailPrefix, d))
          .sort();
      }
      for (const [svc, deps] of Object.entries(BLOG_NEEDS)) {
        expected[blogContainerName(blogPrefix, svc as keyof typeof BLOG_NEEDS)] = deps
          .map((d) => blogContainerName(blogPrefix, d))
          .sort();
      }
      const captured = Object.fromEntries(views.map((c) => [c.name, c.needs]));
      assert.deepEqual(captured, expected);
      assert.deepEqual(startWaves(captured), startWaves(expected));
    });
  }

  it(`the committed ${DIAGRAM_FILE} and the README's copy match what the program generates`, async () => {
    const { capture } = await run(DIAGRAM_STACK);
    const generated = mermaidDiagram(capture.resources, diagramTitle(DIAGRAM_STACK));
    const hint = `stale estate diagram: regenerate with \`${REGENERATE_COMMAND}\` and commit ${DIAGRAM_FILE} and README.md`;
    const committedFile = path.join(ROOT, DIAGRAM_FILE);
    assert.ok(fs.existsSync(committedFile), `${DIAGRAM_FILE} is missing; ${hint}`);
    assert.equal(fs.readFileSync(committedFile, "utf8"), generated, `${DIAGRAM_FILE}: ${hint}`);
    const embedded = readmeDiagram(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
    assert.equal(embedded, generated, `README.md: ${hint}`);
  });

  it("the diagram draws every container, network, tunnel hostname, the bucket and its roles", async () => {
    const { capture } = await run("staging");
    const diagram = mermaidDiagram(capture.resources, diagramTitle("staging"));
    for (const r of capture.resources) {
      const name = String(r.inputs.name ?? "");
      if (
        r.type === CONTAINER ||
        r.type === "docker:index/network:Network" ||
        r.type === "aws:iam/role:Role"
      ) {
        assert.ok(diagram.includes(name), `${r.type} ${name} is not in the diagram`);
      }
    }
    const bucket = capture.resources.find((r) => r.type === "aws:s3/bucket:Bucket");
    assert.ok(bucket && diagram.includes(String(bucket.inputs.bucket)));
    const dns = capture.resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");
    assert.ok(dns.length > 0, "the tunnel publishes hostnames");
    for (const r of dns) {
      assert.ok(
        diagram.includes(`["${String(r.inputs.name)}"]`),
        `hostname ${String(r.inputs.name)} missing`,
      );
    }
    // The staging diagram is not the production one: the comparison above can fail.
    const production = mermaidDiagram(
      (await run("production")).capture.resources,
      diagramTitle("production"),
    );
    assert.notEqual(diagram, production);
  });
});

/** The repository's files as Renovate sees them (paths relative to the root, `/`-separated). */
function repoFiles(dir = ROOT, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", ".git", ".tools"].includes(entry.name)) {
      continue;
    }
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      out.push(...repoFiles(path.join(dir, entry.name), rel));
    } else {
      out.push(rel);
    }
  }
  return out;
}

interface RenovateRegexManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate?: string;
}

/** `repo:tag` of every docker dependency renovate.json's regex managers extract, by file. */
function renovateImages(): Map<string, Set<string>> {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as {
    customManagers: RenovateRegexManager[];
  };
  const files = repoFiles();
  const found = new Map<string, Set<string>>();
  for (const manager of config.customManagers.filter((m) => m.datasourceTemplate === "docker")) {
    const patterns = manager.managerFilePatterns.map((p) => {
      const m = /^\/(.*)\/([a-z]*)$/.exec(p);
      assert.ok(m, `${p}: only /regex/ file patterns are used here`);
      return new RegExp(m[1], m[2]);
    });
    for (const file of files.filter((f) => patterns.some((p) => p.test(f)))) {
      const text = fs.readFileSync(path.join(ROOT, file), "utf8");
      for (const matchString of manager.matchStrings) {
        for (const m of text.matchAll(new RegExp(matchString, "g"))) {
          found.set(
            file,
            (found.get(file) ?? new Set()).add(`${m.groups?.depName}:${m.groups?.currentValue}`),
          );
        }
      }
    }
  }
  return found;
}

describe("renovate.json: image updates", () => {
  it("its regex managers find every image the program pulls, builds on or runs, in both stacks", async () => {
    const byFile = renovateImages();
    const found = new Set([...byFile.values()].flatMap((images) => [...images]));
    const used = new Map<string, string>();
    for (const stack of ["production", "staging"] as const) {
      const { capture } = await runStack(stack);
      for (const r of capture.resources) {
        if (r.type === "docker:index/remoteImage:RemoteImage") {
          used.set(String(r.inputs.name), `${stack} ${r.name}`);
        }
        const build = r.inputs.build as { args?: Record<string, unknown> } | undefined;
        for (const [arg, value] of Object.entries(build?.args ?? {})) {
          if (arg.endsWith("_BASE")) {
            used.set(String(value), `${stack} ${r.name} build arg ${arg}`);
          }
        }
        const create = typeof r.inputs.create === "string" ? r.inputs.create : "";
        if (/\bdocker run\b/.test(create)) {
          for (const token of create.split(/\s+/)) {
            if (/^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9][A-Za-z0-9._-]*$/.test(token)) {
              used.set(token, `${stack} ${r.name} (docker run)`);
            }
          }
        }
      }
    }
    assert.ok(used.size >= 10, `only ${used.size} images found in use`);
    const missed = [...used]
      .filter(([image]) => !found.has(image))
      .map(([image, where]) => `${image} (${where})`);
    // The Dockerfile's own default base image (its FROM lines use it) is updated in that file.
    const dockerfile = "components/blog/wordpress/Dockerfile";
    const text = fs.readFileSync(path.join(ROOT, dockerfile), "utf8");
    const bases = [...text.matchAll(/^ARG [A-Z0-9_]+_BASE=(\S+)$/gm)].map((m) => m[1]);
    assert.ok(bases.length > 0, `${dockerfile} declares its base image as ARG <NAME>_BASE`);
    missed.push(
      ...bases.filter((image) => !byFile.get(dockerfile)?.has(image)).map((i) => `${i} (${dockerfile})`),
    );
    assert.deepEqual(missed, [], "pinned images no renovate.json regex manager updates");
  });
});

describe("npm run plan (spawned)", function () {
  // Ten plans at once on a shared machine.
  this.timeout(300_000);
  let text: Spawned;
  let json: Spawned;
  let violation: Spawned;
  let invalidKey: Spawned;
  let invalidYaml: Spawned;
  let badUsage: Spawned;
  let productionCopy: Spawned;
  let productionCopyFile: string;
  let unknownPolicy: Spawned;
  let notInstalled: Spawned;
  let documentedJson: Spawned;
  let documentedJsonCommand: string;
  let secrets: string[];
  let stagingDiagram: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
  const diagramFile = path.join(dir, "staging.mmd");

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    // Every run is started at once (those that stop at the config check are cheap); the in-process
    // evaluation below runs beside them.
    const file = path.join(dir, "Pulumi.staging.yaml");
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8")) as {
      config: Record<string, { services: Record<string, Record<string, unknown>> }>;
    };
    doc.config["onprem-infra:mail"].services.nginx.memory = "lots";
    fs.writeFileSync(file, stringify(doc));
    const broken = path.join(dir, "broken.yaml");
    fs.writeFileSync(broken, "config:\n  onprem-infra:mail: {services: [\n");
    // A copy of production with an unauthenticated relay (so no SendGrid key) and the Cloudflare
    // token set with --secret.
    productionCopyFile = path.join(dir, "production-copy.yaml");
    const prod = parse(fs.readFileSync(path.join(ROOT, "Pulumi.production.yaml"), "utf8")) as {
      config: Record<string, Record<string, unknown>>;
    };
    (prod.config["onprem-infra:mail"].relay as Record<string, unknown>).authenticated = false;
    delete prod.config["onprem-infra:rotations"].sendgridApiKey;
    prod.config["onprem-infra:cloudflareApiToken"] = { secure: "v1:ciphertext-of-the-cloudflare-token" };
    for (const key of TAKEN_OVER_SECRETS) {
      prod.config[key] = { secure: `v1:ciphertext-of-${key}` };
    }
    fs.writeFileSync(productionCopyFile, stringify(prod));
    // Production, its backups hardened, with a 7-day Object Lock: staging's policy settings accept
    // it, production's do not (the committed file still adopts Terraform's unlocked bucket).
    const shortLock = path.join(dir, "production-7-days.yaml");
    const prod7 = parse(fs.readFileSync(path.join(ROOT, "Pulumi.production.yaml"), "utf8")) as {
      config: Record<string, Record<string, unknown>>;
    };
    prod7.config["onprem-infra:backup"].retentionDays = 7;
    prod7.config["onprem-infra:backup"].phase = "harden";
    fs.writeFileSync(shortLock, stringify(prod7));
    const typo = path.join(dir, "typo.json");
    fs.writeFileSync(typo, JSON.stringify({ "pinned-imagez": "disabled" }));
    const emptyPack = path.join(dir, "empty-pack");
    fs.mkdirSync(emptyPack);
    [documentedJsonCommand] = documentedJsonPlanCommands();
    assert.ok(documentedJsonCommand, "the README shows the plan's --json command");
    const runs = Promise.all([
      runPlan(["--stack", "staging", "--diagram", diagramFile]),
      runPlan(["--stack", "staging", "--json"]),
      runPlan(["--stack", "production", "--stack-file", shortLock, "--json"]),
      runPlan(["--stack", "staging", "--stack-file", file, "--json"]),
      runPlan(["--stack", "staging", "--stack-file", broken]),
      runPlan(["--stack", "prod"]),
      runPlan(["--stack", "production", "--stack-file", productionCopyFile, "--json"]),
      runPlan(["--stack", "staging", "--json", "--policy-config", typo]),
      runPlan(["--stack", "staging", "--json", "--policy-pack", emptyPack]),
      runShell(documentedJsonCommand),
    ]);
    // Generated secret values as the mock engine makes them: none may reach the output.
    const { capture } = await runStack("staging");
    secrets = [
      ...Object.values(SECRET_PLACEHOLDERS),
      ...capture.resources
        .filter((r) => r.type === "random:index/randomPassword:RandomPassword")
        .map((r) => String(r.state.result)),
    ];
    assert.ok(secrets.length > 2);
    stagingDiagram = mermaidDiagram(capture.resources, diagramTitle("staging"));
    [
      text,
      json,
      violation,
      invalidKey,
      invalidYaml,
      badUsage,
      productionCopy,
      unknownPolicy,
      notInstalled,
      documentedJson,
    ] = await runs;
  });

  it("prints the staging estate with its waves, critical path, policy report, rotation and checklist", () => {
    assert.equal(text.code, 0, text.stderr);
    const out = text.stdout;
    assert.match(out, /^Plan for stack "staging": \d+ resources, 14 containers/);
    assert.match(out, /wave 0: [^\n]*mailserver-staging-clamav[^\n]*mailserver-staging-mariadb/);
    assert.match(out, /wave 1: [^\n]*mailserver-staging-rspamd/);
    assert.match(
      out,
      /Critical path: mailserver-staging-clamav \(300s\) -> mailserver-staging-rspamd \(60s\) -> mailserver-staging-postfix \(60s\) -> mailserver-staging-roundcube \(60s\) -> mailserver-staging-nginx \(60s\)/,
    );
    assert.match(out, /Estimated time to all healthy: ~540s/);
    assert.match(
      out,
      /Policy report\n=+\n {2}config: policy\/config\/staging\.json\n {2}\d+ policies; \d+ findings\n {2}mandatory \(0\): none/,
    );
    assert.match(out, /Secret rotation\n=+\n {2}secret +source +rotated/);
    assert.match(out, /mailDbRootPassword +external +\d{4}-\d\d-\d\d +\d+d +90d/);
    assert.match(out, /\[x\] 設定ファイルの構文チェック \/ config syntax/);
    assert.match(
      out,
      /\[ \] バックアップの確認 \/ recent backup succeeded[\s\S]*aws s3 ls s3:\/\/kuma8088-onprem-backup-staging\/daily\//,
    );
    assert.match(out, /env +\[secret\]/);
  });

  it("--json prints the same plan as one JSON document", () => {
    assert.equal(json.code, 0, json.stderr);
    const plan = JSON.parse(json.stdout) as Plan;
    assert.equal(plan.stack, "staging");
    assert.equal(plan.ok, true);
    assert.equal(plan.summary.containers, 14);
    assert.deepEqual(plan.startOrder.waves[0], [
      "blog-staging-mariadb",
      "blog-staging-redis",
      "mailserver-staging-clamav",
      "mailserver-staging-mariadb",
    ]);
    assert.equal(plan.startOrder.criticalPath.seconds, 540);
    assert.equal(plan.policy.status, "ran", plan.policy.reason);
    assert.ok(plan.policy.policies.length > 0);
    assert.ok(plan.rotation.some((r) => r.id === "mailDbRootPassword"));
    assert.ok(!plan.rotation.some((r) => r.id === "sendgridApiKey"), "staging holds no relay credentials");
    assert.ok(
      plan.checklist.some((c) => c.status === "operator" && /pulumi stack export/.test(c.command ?? "")),
    );
  });

  it("--diagram writes the stack's Mermaid diagram, as the program generates it", () => {
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /diagram written to /);
    assert.equal(fs.readFileSync(diagramFile, "utf8"), stagingDiagram);
  });

  it("checks each stack with its own policy config by default", () => {
    assert.equal((JSON.parse(json.stdout) as Plan).policy.configFile, "policy/config/staging.json");
    assert.equal((JSON.parse(violation.stdout) as Plan).policy.configFile, "policy/config/production.json");
  });

  it("exits 1 on a mandatory violation (production's 30-day lock) and reports it under its enforcement level", () => {
    assert.equal(violation.code, 1, violation.stderr);
    const plan = JSON.parse(violation.stdout) as Plan;
    assert.equal(plan.ok, false);
    assert.equal(plan.policy.mandatory, 1);
    assert.deepEqual(
      plan.policy.byLevel.mandatory.map((f) => [f.policy, f.resource]),
      [["backup-bucket-safety", "backup-bucket"]],
    );
    assert.match(plan.policy.byLevel.mandatory[0].message, /at least 30 days/);
    assert.deepEqual([plan.backups?.phase, plan.backups?.next], ["harden", undefined]);
    assert.ok(plan.checklist.some((c) => c.status === "attention" && /policy pack/.test(c.item)));
  });

  it("never prints a secret value", () => {
    for (const secret of secrets) {
      assert.equal(text.stdout.includes(secret), false, "a secret value leaked into the text plan");
      assert.equal(json.stdout.includes(secret), false, "a secret value leaked into the JSON plan");
    }
  });

  it("exits 2 on a config error and names the key and the file planned, in text and JSON", () => {
    assert.equal(invalidKey.code, 2, invalidKey.stderr);
    assert.match(invalidKey.stderr, /onprem-infra:mail\.services\.nginx\.memory/);
    assert.ok(
      invalidKey.stderr.startsWith(`Invalid stack config in ${path.join(dir, "Pulumi.staging.yaml")}:`),
      invalidKey.stderr,
    );
    const body = JSON.parse(invalidKey.stdout) as { ok: boolean; configError: string };
    assert.equal(body.ok, false);
    assert.match(body.configError, /onprem-infra:mail\.services\.nginx\.memory/);
  });

  it("exits 2 on a stack file that is not valid YAML, naming the file, line and column", () => {
    assert.equal(invalidYaml.code, 2, invalidYaml.stderr);
    assert.match(invalidYaml.stderr, /broken\.yaml is not valid YAML: .* at line 3, column 1/);
    assert.equal(invalidYaml.stdout, "");
  });

  it("the checklist says how to recover from a failed health wait: replace the container", () => {
    const plan = JSON.parse(json.stdout) as Plan;
    const item = plan.checklist.find((c) => /failed health wait/.test(c.item));
    assert.equal(item?.status, "operator");
    assert.match(item?.detail ?? "", /which the next pulumi up only updates in place, without waiting/);
    assert.match(item?.detail ?? "", /longest: mailserver-staging-clamav, \d+s/);
    assert.equal(
      item?.command,
      "pulumi up --stack staging --policy-pack policy --policy-pack-config policy/config/staging.json --parallel 4 --replace 'urn:pulumi:staging::onprem-infra::onprem:mail:MailserverStack$docker:index/container:Container::mail-clamav'",
    );
    assert.match(
      text.stdout,
      /Next: pulumi preview --stack staging --policy-pack policy --policy-pack-config policy\/config\/staging\.json --parallel 4, review, then pulumi up --stack staging/,
    );
  });

  it("says which external secrets are not set yet, and that it used placeholders", () => {
    const plan = JSON.parse(json.stdout) as Plan;
    const held = [...TAKEN_OVER_SECRETS, "onprem-infra:cloudflareApiToken"];
    assert.deepEqual(plan.externalSecrets, { held, unset: held });
    const item = plan.checklist.find((c) => /external secrets set/.test(c.item));
    assert.equal(item?.status, "attention");
    assert.equal(
      item?.detail,
      `not yet set in Pulumi.staging.yaml: ${held.join(", ")} (this plan used placeholders; \`pulumi preview\` stops until each is set)`,
    );
    assert.equal(
      item?.command,
      held.map((key) => `pulumi config set --secret ${key} <value> --stack staging`).join(" && "),
    );
  });

  it("plans a copy by its own config: a secret set with --secret counts as set, and no placeholder it added is ever to be removed", () => {
    assert.equal(productionCopy.code, 0, productionCopy.stderr);
    const plan = JSON.parse(productionCopy.stdout) as Plan;
    // The committed production adopts the Terraform-made backups; the plan says what hardening changes.
    assert.deepEqual([plan.backups?.phase, plan.backups?.next], ["adopt", "harden"]);
    assert.deepEqual(plan.backups?.added.sort(), ["bucketPolicy", "objectLock", "topicKey", "versioning"]);
    assert.ok(plan.backups?.changed.includes("warningAlarm.dimensions"));
    assert.deepEqual(plan.backups?.importsPending, ["subscription"]);
    assert.deepEqual(plan.externalSecrets, {
      held: [...TAKEN_OVER_SECRETS, "onprem-infra:cloudflareApiToken"],
      unset: [],
    });
    const item = plan.checklist.find((c) => /external secrets set/.test(c.item));
    assert.equal(item?.status, "verified");
    assert.match(item?.detail ?? "", /set, encrypted \(secure:\) in .*production-copy\.yaml/);
    assert.ok(!productionCopy.stdout.includes("pulumi config rm"));
    assert.ok(!productionCopy.stdout.includes("ciphertext-of-the-cloudflare-token"));
    assert.match(plan.checklist[0].detail, /production-copy\.yaml parsed/);
  });

  it("exits 2 when the pack refuses its config, naming the file and the policy", () => {
    assert.equal(unknownPolicy.code, 2, unknownPolicy.stderr);
    assert.match(
      unknownPolicy.stderr,
      /^policy config .*typo\.json: policy-pack config names an unknown policy "pinned-imagez"/,
    );
    assert.equal((JSON.parse(unknownPolicy.stdout) as { ok: boolean }).ok, false);
  });

  it("exits 4 when the policy pack did not run, and says so", () => {
    assert.equal(notInstalled.code, 4, notInstalled.stderr);
    const plan = JSON.parse(notInstalled.stdout) as Plan;
    assert.equal(plan.ok, false);
    assert.equal(plan.policy.status, "unavailable");
    assert.match(plan.policy.reason ?? "", /the policy pack's dependencies are not installed/);
    assert.ok(plan.checklist.some((c) => c.status === "attention" && /policy pack/.test(c.item)));
  });

  it("the README's --json command prints one JSON document on stdout, nothing before it", () => {
    assert.equal(documentedJson.code, 0, `${documentedJsonCommand}\n${documentedJson.stderr}`);
    const plan = JSON.parse(documentedJson.stdout) as Plan;
    assert.ok(isStackName(plan.stack), documentedJsonCommand);
    for (const command of documentedJsonPlanCommands()) {
      assert.match(
        command,
        /^npm run (--silent|-s) plan -- /,
        `${command}: npm prints its banner on stdout without --silent`,
      );
    }
  });

  it("exits 64 on bad usage", () => {
    assert.equal(badUsage.code, 64, badUsage.stderr);
    assert.match(badUsage.stderr, /--stack must be one of production, staging/);
  });
});

describe("plan: the checklist's network adoption", () => {
  const NETWORK = "docker:index/network:Network";
  const provider = fakeResource("docker", "pulumi:providers:docker", {
    inputs: { host: "ssh://deploy@host" },
  });
  const item = (resources: CapturedResource[]) =>
    checklist("production", resources, [], startOrder([]), policyReport([]), []).find((c) =>
      /networks adopted/.test(c.item),
    );

  it("a network to be created: asks for its id, with the command that reads it on the Docker host", () => {
    const mail = fakeResource("mail-network", NETWORK, { inputs: { name: "mailserver_mailserver_network" } });
    const adopted = fakeResource("blog-network", NETWORK, {
      inputs: { name: "blog_blog_network" },
      options: { importId: "a".repeat(64) },
    });
    const found = item([provider, mail, adopted]);
    assert.equal(found?.status, "operator");
    assert.match(found?.detail ?? "", /^created by the first pulumi up: mailserver_mailserver_network\. /);
    assert.match(found?.detail ?? "", /set its component's network\.importId .* in Pulumi\.production\.yaml/);
    assert.equal(
      found?.command,
      "docker -H ssh://deploy@host network inspect -f '{{.Id}}' mailserver_mailserver_network",
    );
  });

  it("every network imported: verified", () => {
    const adopted = fakeResource("blog-network", NETWORK, {
      inputs: { name: "blog_blog_network" },
      options: { importId: "a".repeat(64) },
    });
    assert.deepEqual(item([provider, adopted]), {
      item: "ネットワークの引き継ぎ / networks adopted, not re-created",
      status: "verified",
      detail: "blog_blog_network imported by id",
    });
  });
});
