/**
 * The CI workflows run the Pulumi CLI the way the docs say an operator does: Pulumi Cloud (its
 * token decrypts the stack files' secrets; docs/secrets.md), each stack's own policy-pack config,
 * a parallelism the Docker host's sshd allows over one shared SSH connection
 * (docs/operator-setup.md). Read from the workflow files as GitHub runs them, one Pulumi step per
 * stack and job.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { dockerSshOpts, PULUMI_PARALLEL, SSH_CONTROL_PATH } from "../config";
import { policyConfigFile } from "./harness/constants";
import { ROOT, runStack, STACKS, StackName } from "./harness/stack";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  "runs-on": unknown;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}

const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
const workflows = fs
  .readdirSync(WORKFLOW_DIR)
  .filter((f) => f.endsWith(".yml"))
  .map((file) => ({
    file,
    text: fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8"),
    doc: parse(fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8")) as { jobs: Record<string, Job> },
  }));

/** A job's steps for each value of its `matrix.stack` (once, unexpanded, without a matrix). */
function expanded(job: Job): { stack?: string; steps: Step[] }[] {
  const stacks = job.strategy?.matrix?.stack as string[] | undefined;
  if (!stacks) {
    return [{ steps: job.steps }];
  }
  return stacks.map((stack) => ({
    stack,
    steps: JSON.parse(
      JSON.stringify(job.steps)
        // GitHub's expressions the workflows use to pick a stack's value.
        .replace(/\$\{\{ matrix\.stack \}\}/g, stack),
    ) as Step[],
  }));
}

/** Every `pulumi/actions` step, with the stack it runs on. */
const pulumiSteps = workflows.flatMap(({ file, doc }) =>
  Object.entries(doc.jobs).flatMap(([jobName, job]) =>
    expanded(job).flatMap(({ steps }) =>
      steps
        .filter((s) => s.uses?.startsWith("pulumi/actions@"))
        .map((step) => {
          const stackName = String(step.with?.["stack-name"] ?? "");
          return {
            where: `${file} ${jobName} (${stackName})`,
            stack: stackName.split("/").pop() ?? "",
            step,
          };
        }),
    ),
  ),
);

describe("CI workflows", () => {
  it("preview and deploy both stacks through Pulumi's action", () => {
    const byCommand = (command: string) =>
      pulumiSteps
        .filter((p) => p.step.with?.command === command)
        .map((p) => p.stack)
        .sort();
    assert.deepEqual(byCommand("preview"), [...STACKS].sort());
    assert.deepEqual(byCommand("up"), [...STACKS].sort());
  });

  it("every Pulumi step runs the policy pack with its stack's own config (policy/config/<stack>.json)", () => {
    for (const { where, stack, step } of pulumiSteps) {
      assert.equal(step.with?.policyPacks, "policy", where);
      assert.equal(step.with?.policyPackConfigs, policyConfigFile(stack as StackName), where);
    }
  });

  it("the offline plan runs for both stacks, each with its own policy config (npm run plan's default)", () => {
    for (const { file, doc } of workflows) {
      const runs = Object.values(doc.jobs)
        .flatMap((j) => j.steps)
        .map((s) => s.run ?? "")
        .filter((r) => r.includes("npm run plan") && !r.includes("--against"));
      assert.deepEqual(
        runs.map((r) => r.trim()).sort(),
        STACKS.map((s) => `npm run plan -- --stack ${s}`).sort(),
        file,
      );
    }
  });

  it("a pull request gets the offline diff of both stacks against its base, with no cloud credentials", () => {
    const preview = workflows.find((w) => w.file === "preview.yml")!;
    const job = preview.doc.jobs["plan-diff"] as Job & {
      permissions?: Record<string, string>;
      env?: Record<string, string>;
    };
    assert.equal(job["runs-on"], "ubuntu-24.04");
    assert.deepEqual(job.permissions, { contents: "read", "pull-requests": "write" });
    assert.equal(job.env?.BASE_SHA, "${{ github.event.pull_request.base.sha }}");
    assert.equal(job.steps[0].with?.["fetch-depth"], 0);
    const runs = job.steps.map((s) => s.run ?? "").join("\n");
    for (const stack of STACKS) {
      assert.ok(
        runs.includes(`npm run --silent plan -- --stack ${stack} --against "$BASE_SHA" > plan-${stack}.txt`),
        stack,
      );
    }
    assert.match(runs, /gh pr comment "\$PR_NUMBER" --body-file plan-diff\.md/);
    // Nothing in it can reach a cloud: no secret, no Pulumi or AWS step.
    assert.ok(!JSON.stringify(job).includes("secrets."));
    assert.ok(
      !job.steps.some((s) => s.uses?.startsWith("pulumi/actions@") || s.uses?.startsWith("aws-actions/")),
    );
  });

  describe("SSH to the Docker host: one shared connection, a parallelism sshd allows (docs/operator-setup.md)", () => {
    const action = fs.readFileSync(path.join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8");
    /** The ssh_config block the setup action writes, as printf writes it. */
    const sshConfig = (): string => {
      const m = /printf '(# onprem-infra: begin[^']*)' >> ~\/\.ssh\/config/.exec(action);
      assert.ok(m, "the setup action writes the Docker host's ssh_config block");
      return m[1].replace(/\\n/g, "\n").replace(/%%/g, "%");
    };

    it("every Pulumi step runs at the parallelism the program's docs derive from sshd's MaxSessions", () => {
      for (const { where, step } of pulumiSteps) {
        assert.equal(step.with?.parallel, PULUMI_PARALLEL, where);
      }
    });

    it("the runner's ssh_config shares one connection, at the path the Docker provider's sshOpts name", () => {
      const block = sshConfig();
      assert.match(block, /^Host workstation$/m);
      assert.match(block, /^ {2}ControlMaster auto$/m);
      assert.match(block, /^ {2}ControlPersist 10m$/m);
      assert.match(block, /^ {2}BatchMode yes$/m);
      assert.ok(block.includes(`\n  ControlPath ${SSH_CONTROL_PATH}\n`), block);
      const opts = dockerSshOpts("ssh://deploy@workstation") ?? [];
      assert.ok(opts.includes(`ControlPath=${SSH_CONTROL_PATH}`), opts.join(" "));
      assert.ok(opts.includes("ControlPersist=10m") && opts.includes("ControlMaster=auto"), opts.join(" "));
    });

    it("the runner opens the shared connection before Pulumi runs, and replaces an older block", () => {
      assert.match(action, /\n\s+ssh workstation true\n/);
      assert.match(
        action,
        /sed -i '\/\^# onprem-infra: begin\$\/,\/\^# onprem-infra: end\$\/d; \/\^Host workstation\$\//,
      );
    });

    it("the program's Docker provider shares the connection too", async () => {
      const { capture } = await runStack("staging");
      // A provider's list input travels as JSON text, as the engine hands provider config over.
      const sshOpts = capture.get("docker", "pulumi:providers:docker").inputs.sshOpts as string;
      assert.deepEqual(JSON.parse(sshOpts), dockerSshOpts("ssh://deploy@workstation"));
    });
  });

  describe("secrets: Pulumi Cloud, the CLI's default backend and secrets provider (docs/secrets.md)", () => {
    it("every Pulumi step logs in with the Pulumi Cloud token, to an organization's stack", () => {
      for (const { where, step } of pulumiSteps) {
        assert.equal(step.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}", where);
        assert.match(
          String(step.with?.["stack-name"]),
          /^\$\{\{ vars\.PULUMI_ORG \}\}\/(production|staging)$/,
          where,
        );
        // The default backend and secrets provider: no other URL, no passphrase or KMS key.
        assert.equal(step.with?.["cloud-url"], undefined, where);
        assert.equal(step.with?.["secrets-provider"], undefined, where);
      }
    });

    it("no workflow hands out a passphrase: the stack files' secure: values are the service's ciphertext", () => {
      for (const { file, text } of workflows) {
        assert.doesNotMatch(text, /PULUMI_CONFIG_PASSPHRASE|PULUMI_BACKEND_URL/, file);
      }
    });
  });
});
