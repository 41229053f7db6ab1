/**
 * The offline plan of one stack: everything `npm run plan` prints, built from one evaluation of
 * the real program under the mock engine. `buildPlan` is pure over the evaluation and the policy
 * report; `renderText` turns the result into the report a person reads.
 */
import { PULUMI_PARALLEL } from "../../config";
import { policyConfigFile, StackName } from "../../test/harness/constants";
import type { CapturedResource } from "../../test/harness/engine";
import type { RotationStatus } from "../../components/secrets/rotation";
import type { BackupConfig } from "../../components/backup/schema";
import { backupPhaseReport, BackupPhaseReport } from "./backup-phase";
import { containers, ContainerView, SECRET, shortType, startOrder, StartOrder, TYPES } from "./model";
import { LEVELS, PolicyReport } from "./policy";
import { resourceTree, TreeNode } from "./tree";

export type CheckStatus = "verified" | "operator" | "attention";

export interface ChecklistItem {
  /** The design document's §4.6 wording (or the estate's addition). */
  item: string;
  status: CheckStatus;
  /** How the program verified it, or what the operator does. */
  detail: string;
  /** The command the operator runs, when there is one. */
  command?: string;
}

export interface Plan {
  stack: string;
  /** false when a mandatory policy was violated, or the policy pack did not run. */
  ok: boolean;
  summary: {
    resources: number;
    containers: number;
    byType: Record<string, number>;
    /** What the stack's first `pulumi up` does: resources adopted (an `import` id) and created. */
    actions: { adopt: number; create: number };
  };
  tree: TreeNode[];
  containers: ContainerView[];
  startOrder: StartOrder;
  policy: PolicyReport;
  rotation: RotationStatus[];
  /** The external secrets this stack holds, and those not yet set in its file (placeholders here). */
  externalSecrets: { held: string[]; unset: string[] };
  checklist: ChecklistItem[];
  /** The backups' take-over phase and what the next one changes (docs/backups.md). */
  backups?: BackupPhaseReport;
  /** The stack outputs; secret ones as `[secret]`. */
  outputs: Record<string, unknown>;
}

export interface Evaluation {
  resources: CapturedResource[];
  /** The stack's validated backup settings (for the take-over phase report). */
  backup?: BackupConfig;
  outputs: Record<string, { value: unknown; secret: boolean }>;
  /** The stack file read, as messages name it (default `Pulumi.<stack>.yaml`). */
  stackFile?: string;
  /**
   * The external secrets the stack holds (full keys), and those its file does not set yet. The
   * plan runs with placeholders for all of them: nothing can decrypt `secure:` values offline.
   */
  externalSecrets?: { held: string[]; unset: string[] };
}

/**
 * A Pulumi CLI command for a stack as the README and the workflows run it: the policy pack with
 * the stack's own config, and a parallelism the Docker host's sshd allows.
 */
export function pulumiCommand(verb: "preview" | "up", stack: string): string {
  return `pulumi ${verb} --stack ${stack} --policy-pack policy --policy-pack-config ${policyConfigFile(
    stack as StackName,
  )} --parallel ${PULUMI_PARALLEL}`;
}

/** The policy that checks image pins, by the names the pack may give it. */
const PIN_POLICY = /pin/i;

function hostPaths(views: readonly ContainerView[]): string[] {
  const paths = new Set<string>();
  for (const c of views) {
    for (const m of c.mounts) {
      if (m.hostPath && m.hostPath.startsWith("/") && !m.readOnly) {
        paths.add(m.hostPath);
      }
    }
  }
  return [...paths].sort();
}

function sshTarget(dockerHost: string | undefined): string | undefined {
  const m = /^ssh:\/\/([^/]+)/.exec(dockerHost ?? "");
  return m?.[1];
}

export function checklist(
  stack: string,
  resources: readonly CapturedResource[],
  views: readonly ContainerView[],
  order: StartOrder,
  policy: PolicyReport,
  rotation: readonly RotationStatus[],
  external: { held: readonly string[]; unset: readonly string[] } = { held: [], unset: [] },
  stackFile = `Pulumi.${stack}.yaml`,
): ChecklistItem[] {
  const items: ChecklistItem[] = [];
  const dockerProvider = resources.find((r) => r.type === "pulumi:providers:docker");
  const dockerHost = typeof dockerProvider?.inputs.host === "string" ? dockerProvider.inputs.host : undefined;
  const bucket = resources.find((r) => r.type === TYPES.bucket);
  const bucketName = typeof bucket?.inputs.bucket === "string" ? bucket.inputs.bucket : undefined;

  items.push({
    item: "設定ファイルの構文チェック / config syntax",
    status: "verified",
    detail: `${stackFile} parsed, checked against Pulumi.yaml's declarations as the Pulumi CLI checks it, and every key validated against the component schemas (config.ts) before any resource was registered`,
  });
  items.push({
    item: "環境変数の確認 / required settings present",
    status: "verified",
    detail: "every required key is present and valid",
  });
  items.push(
    external.unset.length > 0
      ? {
          item: "シークレットの設定 / external secrets set (pulumi config set --secret)",
          status: "attention",
          detail: `not yet set in ${stackFile}: ${external.unset.join(", ")} (this plan used placeholders; \`pulumi preview\` stops until each is set)`,
          command: external.unset
            .map((key) => `pulumi config set --secret ${key} <value> --stack ${stack}`)
            .join(" && "),
        }
      : {
          item: "シークレットの設定 / external secrets set (pulumi config set --secret)",
          status: "verified",
          detail:
            external.held.length > 0
              ? `${external.held.join(", ")} set, encrypted (secure:) in ${stackFile}; this plan used placeholders, as nothing decrypts them offline`
              : "this stack holds no external secret",
        },
  );
  const pinFindings = policy.findings.filter((f) => PIN_POLICY.test(f.policy));
  const images = [...new Set(views.map((c) => c.image))].sort();
  if (policy.status !== "ran") {
    items.push({
      item: "イメージのバージョン固定 / images pinned (the design document §5.1)",
      status: "attention",
      detail: `not verified: ${policy.reason ?? "the policy pack did not run"}; images: ${images.join(", ")}`,
    });
  } else {
    items.push({
      item: "イメージのバージョン固定 / images pinned (the design document §5.1)",
      status: pinFindings.length === 0 ? "verified" : "attention",
      detail:
        pinFindings.length === 0
          ? `policy pack: ${images.length} images, none floating or untagged`
          : pinFindings.map((f) => `${f.resource ?? ""}: ${f.message}`).join("; "),
    });
  }
  const unchecked = views.filter((c) => !c.health).map((c) => c.name);
  items.push({
    item: "ヘルスチェックと起動順序 / health checks gate the start order (the design document §5.3)",
    status: unchecked.length === 0 ? "verified" : "attention",
    detail:
      unchecked.length === 0
        ? `every container has a health check; ${order.waves.length} waves, ~${order.criticalPath.seconds}s to all healthy`
        : `no health check: ${unchecked.join(", ")}`,
  });
  const configFile = policy.configFile ?? policyConfigFile(stack as StackName);
  items.push({
    item: "ポリシー / policy pack",
    status: policy.status === "ran" && policy.mandatory === 0 ? "verified" : "attention",
    detail:
      policy.status === "ran"
        ? `${policy.mandatory} mandatory, ${policy.byLevel.advisory.length} advisory findings, with ${configFile}`
        : policy.status === "invalid-config"
          ? `not run: ${configFile} was refused: ${policy.reason ?? "unknown"}`
          : `not run: ${policy.reason ?? "unknown"}`,
    command: pulumiCommand("preview", stack),
  });
  const late = rotation.filter((r) => r.status !== "ok");
  items.push({
    item: "シークレットローテーション / secrets rotated on time (the design document §6.3)",
    status: late.length === 0 ? "verified" : "attention",
    detail:
      late.length === 0
        ? `${rotation.length} secrets within their rotation period`
        : late.map((r) => `${r.id} ${r.status} (due ${r.dueOn})`).join(", "),
  });
  // The container with the longest health wait, as the example of the recovery command.
  const waits = resources
    .filter((r) => r.type === TYPES.container && typeof r.inputs.waitTimeout === "number")
    .sort((a, b) => (b.inputs.waitTimeout as number) - (a.inputs.waitTimeout as number));
  if (waits.length > 0) {
    const [longest] = waits;
    const name = typeof longest.inputs.name === "string" ? longest.inputs.name : longest.name;
    items.push({
      item: "ヘルスチェック待ちの失敗からの復旧 / after a failed health wait",
      status: "operator",
      detail: `pulumi up waits for each container to be healthy (longest: ${name}, ${String(longest.inputs.waitTimeout)}s); when a wait times out the update fails and the container stays in the state with an initialization error, which the next pulumi up only updates in place, without waiting. Find the cause (docker logs, docker inspect), fix it, then replace that container so it is created and waited for again (below for ${name}; \`pulumi stack --stack ${stack} --show-urns\` lists every container's URN; docs/operator-setup.md)`,
      command: `${pulumiCommand("up", stack)} --replace '${longest.urn}'`,
    });
  }
  const docker = `docker ${dockerHost ? `-H ${dockerHost} ` : ""}`;
  const networks = resources.filter((r) => r.type === TYPES.network);
  const created = networks.filter((r) => r.options.importId === "");
  const networkName = (r: CapturedResource) => (typeof r.inputs.name === "string" ? r.inputs.name : r.name);
  items.push(
    created.length === 0
      ? {
          item: "ネットワークの引き継ぎ / networks adopted, not re-created",
          status: "verified",
          detail: `${networks.map(networkName).join(", ")} imported by id`,
        }
      : {
          item: "ネットワークの引き継ぎ / networks adopted, not re-created",
          status: "operator",
          detail: `created by the first pulumi up: ${created.map(networkName).join(", ")}. A network the host already has (the Compose estate's) must be adopted: set its component's network.importId to the id below in ${stackFile}, or the create fails on the overlapping subnet (docs/takeover-mail.md, docs/takeover-blog-tunnel.md)`,
          command: created.map((r) => `${docker}network inspect -f '{{.Id}}' ${networkName(r)}`).join("; "),
        },
  );
  const ssh = sshTarget(dockerHost);
  const df = `df -h ${hostPaths(views).join(" ")}`;
  items.push({
    item: "ディスク空き容量の確認 / disk space",
    status: "operator",
    detail: `free space on the data paths the containers bind (Docker host ${dockerHost ?? "?"})`,
    command: ssh ? `ssh ${ssh} ${df}` : df,
  });
  items.push({
    item: "現在のサービス状態の記録 / current state recorded",
    status: "operator",
    detail: "export the stack's state (the rollback reference) and note the running containers",
    command: `pulumi stack export --stack ${stack} --file state-${stack}-$(date +%F).json && ${docker}ps --filter label=org.onprem-infra.environment=${stack}`,
  });
  items.push({
    item: "バックアップの確認 / recent backup succeeded",
    status: "operator",
    detail: `the newest daily archive in ${bucketName ?? "the backup bucket"} is from last night`,
    command: bucketName ? `aws s3 ls s3://${bucketName}/daily/ --recursive | sort | tail -n 3` : undefined,
  });
  const kept = resources.filter((r) => r.options.retainOnDelete || r.options.protect).length;
  items.push({
    item: "ロールバック手順の確認 / rollback known (the design document §7)",
    status: "operator",
    detail: `revert the commit and apply again; ${kept} data resources are protected or retained on delete, so a rollback never removes data`,
    command: `git revert <commit> && ${pulumiCommand("up", stack)}`,
  });
  return items;
}

function maskOutputs(outputs: Evaluation["outputs"]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, v.secret ? SECRET : v.value]),
  );
}

export function buildPlan(stack: string, run: Evaluation, policy: PolicyReport): Plan {
  const views = containers(run.resources);
  const order = startOrder(views);
  const rotationOutput = run.outputs.secretRotation;
  const rotation = (rotationOutput && !rotationOutput.secret ? rotationOutput.value : []) as RotationStatus[];
  const byType: Record<string, number> = {};
  for (const r of run.resources) {
    const t = shortType(r.type);
    byType[t] = (byType[t] ?? 0) + 1;
  }
  return {
    stack,
    ok: policy.status === "ran" && policy.mandatory === 0,
    summary: {
      resources: run.resources.length,
      containers: views.length,
      byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))),
      actions: {
        adopt: run.resources.filter((r) => r.custom && r.options.importId).length,
        create: run.resources.filter((r) => r.custom && !r.options.importId).length,
      },
    },
    tree: resourceTree(run.resources),
    containers: views,
    startOrder: order,
    policy,
    rotation,
    externalSecrets: run.externalSecrets ?? { held: [], unset: [] },
    checklist: checklist(
      stack,
      run.resources,
      views,
      order,
      policy,
      rotation,
      run.externalSecrets,
      run.stackFile,
    ),
    backups: run.backup
      ? backupPhaseReport(stack, run.backup, (verb) => pulumiCommand(verb, stack))
      : undefined,
    outputs: maskOutputs(run.outputs),
  };
}

// ---------------------------------------------------------------------------------------------
// Text

/** The listing's action column, as `pulumi preview` marks them: `=` import, `+` create. */
const ACTION: Record<string, string> = { adopt: "= ", create: "+ ", "": "  " };

function treeLines(nodes: readonly TreeNode[], depth: number, out: string[]): void {
  for (const n of nodes) {
    const pad = "  ".repeat(depth);
    const flags = n.flags.length > 0 ? `  [${n.flags.join(", ")}]` : "";
    out.push(`${pad}${ACTION[n.action ?? ""]}${n.type}  ${n.name}${flags}`);
    const width = Math.max(0, ...Object.keys(n.settings).map((k) => k.length));
    for (const [k, v] of Object.entries(n.settings)) {
      out.push(`${pad}    ${k.padEnd(width)}  ${v}`);
    }
    treeLines(n.children, depth + 1, out);
  }
}

const MARK: Record<CheckStatus, string> = { verified: "[x]", operator: "[ ]", attention: "[!]" };

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd());
}

/** The policy report's lines, as the plan and the diff print it. */
export function policyLines(policy: PolicyReport): string[] {
  const out: string[] = [];
  if (policy.status !== "ran") {
    out.push(`  not run: ${policy.reason ?? "unknown"}`);
  } else {
    if (policy.configFile) {
      out.push(`  config: ${policy.configFile}`);
    }
    out.push(
      `  ${policy.policies.length > 0 ? `${policy.policies.length} policies; ` : ""}${policy.findings.length} findings`,
    );
    for (const level of LEVELS) {
      const findings = policy.byLevel[level];
      if (findings.length === 0 && level !== "mandatory") {
        continue;
      }
      out.push(`  ${level} (${findings.length})${findings.length === 0 ? ": none" : ""}`);
      for (const f of findings) {
        out.push(`    - ${f.policy}${f.resource ? ` [${f.resource}]` : ""}: ${f.message.split("\n")[0]}`);
      }
    }
  }
  return out;
}

export function renderText(plan: Plan): string {
  const out: string[] = [];
  const h = (title: string) => out.push("", title, "=".repeat(title.length));
  out.push(
    `Plan for stack "${plan.stack}": ${plan.summary.resources} resources, ${plan.summary.containers} containers (offline, mock engine; secrets are placeholders shown as ${SECRET})`,
  );

  h("Resources by component");
  out.push(
    `The stack's first pulumi up: = ${plan.summary.actions.adopt} adopted (an import id in the options), + ${plan.summary.actions.create} created. What a change replaces: npm run plan -- --stack ${plan.stack} --against <git-ref>`,
  );
  treeLines(plan.tree, 0, out);

  h("Start order");
  out.push(
    "Each wave starts once everything it waits for in earlier waves is healthy; a wave starts in parallel.",
  );
  plan.startOrder.waves.forEach((wave, i) => {
    const entries = wave.map((c) => `${c} (~${plan.startOrder.secondsToHealthy[c]}s)`);
    out.push(`  wave ${i}: ${entries.join(", ")}`);
  });
  const cp = plan.startOrder.criticalPath;
  out.push(
    "",
    `Critical path: ${cp.steps.map((s) => `${s.container} (${s.seconds}s)`).join(" -> ")}`,
    `Estimated time to all healthy: ~${cp.seconds}s (${Math.floor(cp.seconds / 60)}m${cp.seconds % 60}s), from each container's health-check interval and start period`,
  );

  h("Policy report");
  out.push(...policyLines(plan.policy));

  if (plan.backups) {
    const b = plan.backups;
    h("Backups (docs/backups.md)");
    out.push(`  phase: ${b.phase}${b.next ? ` (next: ${b.next})` : " (the last one)"}`);
    if (b.next) {
      out.push(`  phase ${b.next} creates: ${b.added.join(", ")}`);
      out.push(`  phase ${b.next} updates in place (no replacement): ${b.changed.join(", ")}`);
    }
    if (b.importsPending.length > 0) {
      out.push(`  not imported yet: ${b.importsPending.join(", ")}`);
    }
    b.steps.forEach((step, i) => out.push(`  ${i + 1}. ${step}`));
  }

  h("Secret rotation");
  if (plan.rotation.length === 0) {
    out.push("  no rotation report (the secretRotation output is missing)");
  } else {
    out.push(
      ...table([
        ["secret", "source", "rotated", "age", "period", "due", "status"],
        ...plan.rotation.map((r) => [
          r.id,
          r.source,
          r.rotatedOn,
          `${r.ageDays}d`,
          `${r.periodDays}d`,
          r.dueOn,
          r.status.toUpperCase(),
        ]),
      ]),
    );
  }

  h("Pre-deploy checklist (the design document §4.6)");
  out.push("[x] verified by this plan   [ ] for the operator   [!] needs attention");
  for (const c of plan.checklist) {
    out.push(`${MARK[c.status]} ${c.item}`, `      ${c.detail}`);
    if (c.command) {
      out.push(`      $ ${c.command}`);
    }
  }

  out.push(
    "",
    plan.ok
      ? `Next: ${pulumiCommand("preview", plan.stack)}, review, then ${pulumiCommand("up", plan.stack)}`
      : plan.policy.status !== "ran"
        ? "The policy pack did not run, so nothing was checked against it: fix that before any preview or deployment."
        : "Mandatory policy violations: fix them before any preview or deployment.",
  );
  return `${out.join("\n")}\n`;
}
