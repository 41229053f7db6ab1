/**
 * The offline diff (`npm run plan -- --against <ref>`): exact expected diffs of staging for the
 * changes an operator makes (a site added, a password rotated, an image version, the WordPress
 * build's base image, a memory limit, nothing), each from two in-process evaluations that the
 * suites share; the git side (a ref's own program and stack file, in a temporary repository);
 * the rules of the diff on small fabricated resources; the replacement table; and the command.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { evaluateTree, evaluateValues } from "../scripts/lib/against";
import { ChangeReport, diffResources, PlanDiff, renderDiff, summaryLine } from "../scripts/lib/diff";
import { materialize as materializeRef, RefError } from "../scripts/lib/gitref";
import { SECRET } from "../scripts/lib/model";
import { resourceTree, TreeNode } from "../scripts/lib/tree";
import { inputEffect, REPLACEMENTS } from "../scripts/lib/replacements";
import { CapturedResource, fakeResource } from "./harness/engine";
import { runPlan } from "./harness/spawn";
import {
  cloneValues,
  readStackValues,
  ROOT,
  runStack,
  SECRET_PLACEHOLDERS,
  StackValues,
} from "./harness/stack";

type Config = Record<string, Record<string, unknown>>;

const MAIL = "onprem-infra:mail";
const BLOG = "onprem-infra:blog";
const ROTATIONS = "onprem-infra:rotations";

function services(values: StackValues, key: string): Record<string, Record<string, unknown>> {
  return (values as Config)[key].services as Record<string, Record<string, unknown>>;
}

/** The staging stack with one edit. */
const EDITS: Record<string, (v: StackValues) => void> = {
  none: () => undefined,
  site: (v) => {
    const blog = (v as Config)[BLOG];
    const sites = blog.sites as Record<string, unknown>[];
    sites.push({
      ...sites[0],
      name: "new-site",
      domain: "staging-new.kuma8088.com",
      documentRoot: "new-site",
      database: "wp_new_site",
    });
    ((v as Config)[ROTATIONS].siteDbPasswords as Record<string, string>)["new-site"] = "2026-11-20";
  },
  rotate: (v) => {
    ((v as Config)[ROTATIONS].siteDbPasswords as Record<string, string>)["staging-blog"] = "2026-11-20";
  },
  image: (v) => {
    services(v, MAIL).rspamd.image = "rspamd/rspamd:3.8.5";
  },
  base: (v) => {
    (services(v, BLOG).wordpress.build as Record<string, unknown>).baseImage =
      "wordpress:6.9.0-php8.3-fpm-alpine";
  },
  memory: (v) => {
    services(v, MAIL).dovecot.memory = "768M";
  },
  // A taken-over password set anew with `pulumi config set --secret`: a new ciphertext.
  takenOver: (v) => {
    v["onprem-infra:mailDbAppPassword"] = { secure: "v1:ciphertext-of-the-new-password" };
    (v as Config)[ROTATIONS].mailDbAppPassword = "2026-11-20";
  },
};

/** The working tree's staging with these values, as `npm run plan -- --against` evaluates it. */
async function evaluate(values: StackValues): Promise<CapturedResource[]> {
  const run = await evaluateValues(ROOT, "staging", values);
  assert.ok(run.ok, !run.ok ? run.configError : "");
  return run.resources;
}

describe("plan --against: exact diffs of staging", function () {
  this.timeout(300_000);
  const diffs: Record<string, PlanDiff> = {};
  let generatedSecrets: string[] = [];

  before(async () => {
    const base = readStackValues("staging");
    // The taken-over password as the operator set it before (docs/takeover-mail.md).
    base["onprem-infra:mailDbAppPassword"] = { secure: "v1:ciphertext-of-the-running-password" };
    const before = await evaluate(base);
    for (const [name, edit] of Object.entries(EDITS)) {
      const values = cloneValues(base);
      edit(values);
      const after = await evaluate(values);
      diffs[name] = diffResources(before, after);
      generatedSecrets.push(
        ...after
          .filter((r) => r.type === "random:index/randomPassword:RandomPassword")
          .map((r) => String(r.state.result)),
      );
    }
    generatedSecrets = [...new Set(generatedSecrets)];
  });

  const text = (name: string) => renderDiff(diffs[name]).join("\n");
  after(() => {
    if (process.env.PLAN_DIFF_PRINT) {
      for (const name of Object.keys(EXPECTED)) {
        process.stdout.write(`${name}: ${JSON.stringify(text(name))}\n`);
      }
    }
  });

  it("no change at all: an empty diff", () => {
    assert.deepEqual(diffs.none.changes, []);
    assert.deepEqual(diffs.none.startOrder, { waves: [], restarts: [], affected: [] });
    assert.equal(
      text("none"),
      ["  no changes", "", "  Containers: none stops or starts.", "", "  75 unchanged"].join("\n"),
    );
  });

  it("a memory limit: the container is updated in place, nothing restarts", () => {
    assert.equal(text("memory"), EXPECTED.memory);
  });

  it("an image version: the pulled image and the container that runs it are replaced", () => {
    assert.equal(text("image"), EXPECTED.image);
  });

  it("the WordPress build's base image: the image is rebuilt, its new id replaces wordpress", () => {
    assert.equal(text("base"), EXPECTED.base);
  });

  it("a rotated password (a new site's): its secrets are replaced, the container that reads them replaced, the commands that set them updated; secrets as [secret]", () => {
    assert.equal(text("rotate"), EXPECTED.rotate);
  });

  it("a site added: its secret, records and commands are created, wordpress and nginx replaced", () => {
    assert.equal(text("site"), EXPECTED.site);
  });

  it("a taken-over password set anew (a new ciphertext): the containers and the command that use it are replaced", () => {
    assert.equal(text("takenOver"), EXPECTED.takenOver);
  });

  it("never prints a secret value, and marks every secret change [secret] on both sides", () => {
    const all = Object.keys(diffs).map(text).join("\n");
    for (const secret of [...generatedSecrets, ...Object.values(SECRET_PLACEHOLDERS)]) {
      assert.ok(!all.includes(secret), `a secret value is printed`);
    }
    const envs = diffs.rotate.changes.find((c) => c.name === "blog-wordpress")!.properties;
    assert.deepEqual(envs, [{ path: "envs", old: SECRET, new: SECRET, effect: "replace" }]);
  });
});

const EXPECTED: Record<string, string> = {
  takenOver: [
    "  ~  update  command:local:Command  mail-db-user-roundcube",
    "        stdin: [secret] -> [secret]",
    "  +- replace docker:index:Container  mail-roundcube (delete first)",
    "        envs: [secret] -> [secret]  [replaces]",
    "        replaced: the provider replaces on envs",
    "",
    "  Containers stopped and started (each wave waits for the earlier ones to be healthy):",
    "    wave 0: mailserver-staging-roundcube",
    "    mailserver-staging-roundcube: replaced, down ~1m00s (at most ~3m20s, when a health wait times out)",
    "    mailserver-staging-nginx: keeps running without mailserver-staging-roundcube meanwhile",
    "",
    "  ~ 1 to update, +- 1 to replace, 73 unchanged",
  ].join("\n"),
  memory: [
    "  ~  update  docker:index:Container  mail-dovecot",
    "        memory: 512 -> 768",
    "        memorySwap: 512 -> 768",
    "",
    "  Containers: none stops or starts.",
    "",
    "  ~ 1 to update, 74 unchanged",
  ].join("\n"),
  image: [
    "  +- replace docker:index:RemoteImage  mail-rspamd-image (create first)",
    '        name: "rspamd/rspamd:3.8.4" -> "rspamd/rspamd:3.8.5"  [replaces]',
    "        replaced: the provider replaces on name",
    "  +- replace docker:index:Container  mail-rspamd (delete first)",
    '        image: "sha256:0d4f7ba00a716d00b5571623a98a75719b822207600e5214e2aa388f9e20cc8a" -> "sha256:17cfe4103ac1f5e46e929b254343f5008f9b55f9f936219a5710b5be5a9c1594"  [replaces]',
    "        replaced: changed image id (docker:index:RemoteImage mail-rspamd-image is replaced): the provider replaces on image",
    "",
    "  Containers stopped and started (each wave waits for the earlier ones to be healthy):",
    "    wave 0: mailserver-staging-rspamd",
    "    mailserver-staging-rspamd: replaced, down ~1m00s (at most ~3m20s, when a health wait times out)",
    "    mailserver-staging-postfix: keeps running without mailserver-staging-rspamd meanwhile",
    "",
    "  +- 2 to replace, 73 unchanged",
  ].join("\n"),
  base: [
    "  ~  update  docker:index:Image  blog-wordpress-image",
    '        build.args.WORDPRESS_BASE: "wordpress:6.8.3-php8.3-fpm-alpine" -> "wordpress:6.9.0-php8.3-fpm-alpine"',
    "        note: rebuilt: a new image id, which replaces every container that runs it",
    "  +- replace docker:index:Container  blog-wordpress (delete first)",
    '        image: "onprem-infra/blog-staging-wordpress@sha256:15313fa7a1e5fa6d80f68f386d29639c6eb6…" -> (known after apply)  [replaces]',
    "        replaced: changed image id (docker:index:Image blog-wordpress-image is updated): the provider replaces on image",
    "",
    "  Containers stopped and started (each wave waits for the earlier ones to be healthy):",
    "    wave 0: blog-staging-wordpress",
    "    blog-staging-wordpress: replaced, down ~1m00s (at most ~3m20s, when a health wait times out)",
    "    blog-staging-nginx: keeps running without blog-staging-wordpress meanwhile",
    "",
    "  ~ 1 to update, +- 1 to replace, 73 unchanged",
  ].join("\n"),
  rotate: [
    "  +- replace random:index:RandomPassword  secrets-siteDbPassword-staging-blog (create first)",
    '        keepers.rotatedOn: "2026-10-01" -> "2026-11-20"  [replaces]',
    "        replaced: the provider replaces on keepers",
    "  +- replace random:index:RandomPassword  secrets-siteAdminPassword-staging-blog (create first)",
    '        keepers.rotatedOn: "2026-10-01" -> "2026-11-20"  [replaces]',
    "        replaced: the provider replaces on keepers",
    "  ~  update  command:local:Command  blog-site-staging-blog-db",
    "        stdin: [secret] -> [secret]",
    "  +- replace docker:index:Container  blog-wordpress (delete first)",
    "        envs: [secret] -> [secret]  [replaces]",
    "        replaced: the provider replaces on envs",
    "  ~  update  command:local:Command  blog-site-staging-blog-install",
    "        stdin: [secret] -> [secret]",
    "",
    "  Containers stopped and started (each wave waits for the earlier ones to be healthy):",
    "    wave 0: blog-staging-wordpress",
    "    blog-staging-wordpress: replaced, down ~1m00s (at most ~3m20s, when a health wait times out)",
    "    blog-staging-nginx: keeps running without blog-staging-wordpress meanwhile",
    "",
    "  ~ 2 to update, +- 3 to replace, 70 unchanged",
  ].join("\n"),
  site: [
    "  +  create  random:index:RandomPassword  secrets-siteDbPassword-new-site",
    "  +  create  random:index:RandomPassword  secrets-siteAdminPassword-new-site",
    "  ~  update  cloudflare:index:ZeroTrustTunnelCloudflaredConfig  tunnel-config",
    '        config.ingresses[1].hostname: "mail-api-staging.kuma8088.com" -> "staging-new.kuma8088.com"',
    '        config.ingresses[1].service: "http://mailserver-staging-api:8080" -> "http://blog-staging-nginx:80"',
    '        config.ingresses[2].hostname: (none) -> "mail-api-staging.kuma8088.com"',
    '        config.ingresses[2].service: "http_status:404" -> "http://mailserver-staging-api:8080"',
    '        config.ingresses[3].service: (none) -> "http_status:404"',
    "  +  create  cloudflare:index:DnsRecord  tunnel-dns-staging-new.kuma8088.com",
    "  +  create  command:local:Command  blog-site-new-site-db",
    "  +- replace docker:index:Container  blog-wordpress (delete first)",
    "        envs: [secret] -> [secret]  [replaces]",
    "        replaced: the provider replaces on envs",
    "  +  create  command:local:Command  blog-site-new-site-install",
    "  +- replace docker:index:Container  blog-nginx (delete first)",
    "        uploads[3].content: (none) -> <text, 50 lines>  [replaces]",
    '        uploads[3].file: (none) -> "/etc/nginx/conf.d/site-new-site.conf"  [replaces]',
    "        replaced: replaceOnChanges: uploads",
    "",
    "  Containers stopped and started (each wave waits for the earlier ones to be healthy):",
    "    wave 0: blog-staging-wordpress",
    "    wave 1: blog-staging-nginx",
    "    blog-staging-wordpress: replaced, down ~1m00s (at most ~3m20s, when a health wait times out)",
    "    blog-staging-nginx: replaced, down ~2m00s (at most ~6m40s, when a health wait times out)",
    "    blog-staging-cloudflared: keeps running without blog-staging-nginx meanwhile",
    "",
    "  + 5 to create, ~ 1 to update, +- 2 to replace, 72 unchanged",
  ].join("\n"),
};

/** A minimal captured resource for the rules of the diff. */
function fake(
  name: string,
  type: string,
  inputs: Record<string, unknown> = {},
  options: Partial<CapturedResource["options"]> = {},
): CapturedResource {
  return fakeResource(name, type, { inputs, options });
}

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";

describe("npm run plan: the listing says per resource whether the first pulumi up adopts or creates it", () => {
  it("adopted (an import id) as =, created as +, components unmarked; counted in summary.actions", async () => {
    const { capture } = await runStack("staging");
    const flat: TreeNode[] = [];
    const walk = (nodes: TreeNode[]) => nodes.forEach((n) => (flat.push(n), walk(n.children)));
    walk(resourceTree(capture.resources));
    const action = (name: string) => flat.find((n) => n.name === name)?.action;
    assert.equal(action("mail-spool-volume"), "adopt");
    assert.equal(action("mail-network"), "create");
    assert.equal(action("mail-dovecot"), "create");
    assert.equal(action("mail"), undefined);
    const adopted = flat.filter((n) => n.action === "adopt").map((n) => [n.name, n.flags]);
    assert.deepEqual(adopted, [
      ["mail-spool-volume", ["retained on delete", "import staging_postfix_spool"]],
    ]);
    assert.equal(
      flat.filter((n) => n.action === "create").length,
      capture.resources.filter((r) => r.custom && !r.options.importId).length,
    );
  });
});

describe("plan --against: the rules of the diff", () => {
  it("a renamed resource (same physical name, new URN) is one replacement, not a create and a delete", () => {
    const before = [fake("mail-net", NETWORK, { name: "mailserver_network" })];
    const after = [fake("mail-network", NETWORK, { name: "mailserver_network" })];
    const diff = diffResources(before, after);
    assert.deepEqual(
      diff.changes.map((c) => [c.op, c.name, c.reasons]),
      [
        [
          "replace",
          "mail-network",
          [
            "renamed resource (was mail-net): without an alias Pulumi creates the new one and then deletes mail-net",
          ],
        ],
      ],
    );
    assert.deepEqual(diff.summary, { create: 0, import: 0, update: 0, replace: 1, delete: 0, unchanged: 0 });
  });

  it("an import id is an adoption; a vanished resource a delete, with protect and retainOnDelete said", () => {
    const before = [
      fake("old-volume", VOLUME, { name: "spool" }, { retainOnDelete: true }),
      fake("old-net", NETWORK, { name: "net" }, { protect: true }),
    ];
    const after = [fake("adopted", NETWORK, { name: "other" }, { importId: "0123abcd" })];
    const diff = diffResources(before, after);
    assert.deepEqual(
      diff.changes.map((c) => [c.op, c.name, c.reasons, c.notes]),
      [
        ["import", "adopted", ["adopts 0123abcd"], []],
        ["delete", "old-volume", [], ["retained on delete: removed from the state, left running"]],
        ["delete", "old-net", [], ["protected: pulumi up stops before deleting it"]],
      ],
    );
    assert.equal(summaryLine(diff.summary), "= 1 to import, - 2 to delete, 0 unchanged");
  });

  it("ignoreChanges hides a change; a state-only field is an update that changes nothing running; replaceOnChanges replaces", () => {
    const c = (hc: string, labels: string, opts: Partial<CapturedResource["options"]> = {}) =>
      fake(
        "c",
        CONTAINER,
        { name: "c", healthcheck: { interval: hc }, labels },
        { deleteBeforeReplace: true, ...opts },
      );
    const ignored = diffResources(
      [c("30s", "a", { ignoreChanges: ["labels"] })],
      [c("30s", "b", { ignoreChanges: ["labels"] })],
    );
    assert.deepEqual(ignored.changes, []);
    assert.equal(ignored.summary.unchanged, 1);
    const stateOnly = diffResources([c("30s", "a")], [c("10s", "a")]);
    assert.deepEqual(stateOnly.changes, [
      {
        op: "update",
        type: CONTAINER,
        name: "c",
        urn: "urn:c",
        reasons: [],
        properties: [{ path: "healthcheck.interval", old: '"30s"', new: '"10s"', effect: "state-only" }],
        notes: ["nothing that runs changes: the provider only records it in its state"],
      },
    ]);
    const replaced = diffResources(
      [c("30s", "a", { replaceOnChanges: ["healthcheck"] })],
      [c("10s", "a", { replaceOnChanges: ["healthcheck"] })],
    );
    assert.deepEqual(
      replaced.changes.map((x) => [x.op, x.deleteFirst, x.reasons]),
      [["replace", true, ["replaceOnChanges: healthcheck"]]],
    );
  });

  it("a changed text is summarized by lines; a structure that appears is shown leaf by leaf", () => {
    const before = fake("c", CONTAINER, { uploads: [{ file: "/a.conf", content: "a\nb\nc" }] });
    const after = fake("c", CONTAINER, {
      uploads: [
        { file: "/a.conf", content: "a\nx\nc\ny" },
        { file: "/b.conf", content: "one line" },
      ],
    });
    assert.deepEqual(diffResources([before], [after]).changes[0].properties, [
      {
        path: "uploads[0].content",
        old: "<text, 3 lines>",
        new: "<text, 4 lines: +2 -1 lines>",
        effect: "replace",
      },
      { path: "uploads[1].content", old: undefined, new: '"one line"', effect: "replace" },
      { path: "uploads[1].file", old: undefined, new: '"/b.conf"', effect: "replace" },
    ]);
  });

  it("a secret that only one side holds is masked on that side", () => {
    const before = fake("c", CONTAINER, { name: "c", memory: 512, envs: ["A=1"] });
    const after = {
      ...fake("c", CONTAINER, { name: "c", memory: 512, envs: ["A=2"] }),
      secretPaths: ["envs"],
    };
    assert.deepEqual(diffResources([before], [after]).changes[0].properties, [
      { path: "envs", old: '["A=1"]', new: SECRET, effect: "replace" },
    ]);
  });
});

describe("plan --against: the replacement table", () => {
  it("cites its provider source for every type, and a Docker container replaces on all but the documented fields", () => {
    for (const [type, rule] of Object.entries(REPLACEMENTS)) {
      assert.ok(rule.source.length > 20, `${type} names its source`);
    }
    assert.equal(inputEffect(CONTAINER, "image"), "replace");
    assert.equal(inputEffect(CONTAINER, "envs"), "replace");
    assert.equal(inputEffect(CONTAINER, "cpus"), "replace");
    assert.equal(inputEffect(CONTAINER, "memory"), "update");
    assert.equal(inputEffect(CONTAINER, "restart"), "update");
    assert.equal(inputEffect(CONTAINER, "healthcheck"), "state-only");
    assert.equal(inputEffect(NETWORK, "ipamConfigs"), "replace");
    assert.equal(inputEffect("docker:index/image:Image", "build"), "update");
    assert.equal(inputEffect("random:index/randomPassword:RandomPassword", "keepers"), "replace");
    assert.equal(inputEffect("cloudflare:index/dnsRecord:DnsRecord", "content"), "update");
    assert.equal(inputEffect("cloudflare:index/dnsRecord:DnsRecord", "zoneId"), "replace");
    assert.equal(inputEffect("aws:s3/bucket:Bucket", "bucket"), "replace");
    assert.equal(inputEffect("example:index/thing:Thing", "x"), "untabled");
  });

  it("covers every resource type both stacks register", async () => {
    for (const stack of ["staging", "production"] as const) {
      const { capture } = await runStack(stack);
      const missing = [
        ...new Set(
          capture.resources
            .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
            .map((r) => r.type),
        ),
      ].filter((t) => !REPLACEMENTS[t]);
      assert.deepEqual(missing, [], `${stack}: types not in the table`);
    }
  });
});

/** The working tree's tracked and new files, as a commit of a fresh repository. */
function repositoryOfWorkingTree(dir: string): void {
  const list = spawnSync("git", ["-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  for (const file of list.stdout.toString().split("\0").filter(Boolean)) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from) || fs.lstatSync(from).isDirectory()) {
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);
    assert.equal(r.status, 0, r.stderr.toString());
  };
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "the working tree");
}

describe("plan --against: a git ref's own program and stack file", function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-repo-"));
  // Each run's commits are new, so their extracted trees are removed with the repository.
  const materialize = (ref: string, repo: string) => {
    const tree = materializeRef(ref, repo);
    trees.add(tree.root);
    return tree;
  };
  const trees = new Set<string>();
  after(() => {
    for (const root of [dir, ...trees]) {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("evaluates the ref's tree: the same tree is no change, its own edited stack file is", async () => {
    repositoryOfWorkingTree(dir);
    const same = materialize("HEAD", dir);
    const doc = fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
    fs.writeFileSync(
      path.join(dir, "Pulumi.staging.yaml"),
      doc.replace("image: rspamd/rspamd:3.8.4", "image: rspamd/rspamd:3.8.3"),
    );
    spawnSync("git", [
      "-C",
      dir,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@example.com",
      "commit",
      "-qam",
      "an older rspamd",
    ]);
    const older = materialize("HEAD", dir);
    assert.notEqual(older.commit, same.commit);
    const now = await evaluate(readStackValues("staging"));
    const atSame = await evaluateTree(same.root, "staging");
    const atOlder = await evaluateTree(older.root, "staging");
    assert.ok(atSame.ok && atOlder.ok);
    assert.deepEqual(diffResources(atSame.resources, now).changes, []);
    const changed = diffResources(atOlder.resources, now);
    assert.deepEqual(
      changed.changes.map((c) => [
        c.op,
        c.name,
        c.properties.map((p) => `${p.path}: ${p.old} -> ${p.new}`)[0],
      ]),
      [
        ["replace", "mail-rspamd-image", 'name: "rspamd/rspamd:3.8.3" -> "rspamd/rspamd:3.8.4"'],
        [
          "replace",
          "mail-rspamd",
          changed.changes[1].properties.map((p) => `${p.path}: ${p.old} -> ${p.new}`)[0],
        ],
      ],
    );
    assert.deepEqual(changed.changes[1].reasons, [
      "changed image id (docker:index:RemoteImage mail-rspamd-image is replaced): the provider replaces on image",
    ]);
    assert.match(changed.changes[1].properties[0].new ?? "", /^"sha256:[0-9a-f]{64}"$/);
  });

  it("a build context that changed (the Dockerfile) rebuilds the image, whose new id replaces the container", async () => {
    const git = (...args: string[]) =>
      spawnSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);
    assert.equal(git("checkout", "-q", "-b", "older-dockerfile", "HEAD~1").status, 0);
    const dockerfile = path.join(dir, "components", "blog", "wordpress", "Dockerfile");
    fs.appendFileSync(dockerfile, "# an older build\n");
    assert.equal(git("commit", "-qam", "an older Dockerfile").status, 0);
    const older = await evaluateTree(materialize("older-dockerfile", dir).root, "staging");
    assert.ok(older.ok);
    const diff = diffResources(older.resources, await evaluate(readStackValues("staging")));
    assert.deepEqual(
      diff.changes.map((c) => [c.op, c.name, c.properties.map((p) => [p.path, p.effect]), c.reasons]),
      [
        ["update", "blog-wordpress-image", [["build.contextDigest", "update"]], []],
        [
          "replace",
          "blog-wordpress",
          [["image", "replace"]],
          [
            "changed image id (docker:index:Image blog-wordpress-image is updated): the provider replaces on image",
          ],
        ],
      ],
    );
    const digest = diff.changes[0].properties[0];
    assert.match(digest.old ?? "", /^"sha256:[0-9a-f]{64}"$/);
    assert.match(digest.new ?? "", /^"sha256:[0-9a-f]{64}"$/);
    assert.notEqual(digest.old, digest.new);
  });

  it("a ref whose own stack file is not valid YAML, or holds a bad key, is a config error naming it", async () => {
    const git = (...args: string[]) =>
      spawnSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);
    const stackFile = path.join(dir, "Pulumi.staging.yaml");
    const good = fs.readFileSync(stackFile, "utf8");
    assert.equal(git("checkout", "-q", "-b", "broken", "HEAD~1").status, 0);
    fs.writeFileSync(stackFile, "config:\n  onprem-infra:mail: {services: [\n");
    assert.equal(git("commit", "-qam", "broken").status, 0);
    const broken = await evaluateTree(materialize("broken", dir).root, "staging");
    assert.equal(broken.ok, false);
    assert.match(
      !broken.ok ? broken.configError : "",
      /^Pulumi\.staging\.yaml is not valid YAML: Flow sequence in block collection .* at line 3, column 1$/,
    );
    fs.writeFileSync(
      stackFile,
      good.replace("memory: 512M\n        ip: 172.21.0.30", "memory: lots\n        ip: 172.21.0.30"),
    );
    assert.equal(git("commit", "-qam", "a bad key").status, 0);
    const badKey = await evaluateTree(materialize("broken", dir).root, "staging");
    assert.equal(badKey.ok, false);
    assert.match(!badKey.ok ? badKey.configError : "", /onprem-infra:mail\.services\.dovecot\.memory/);
    assert.match(!badKey.ok ? badKey.configError : "", /staging/);
  });

  it("never reuses a tree extracted for another checkout, whose node_modules link may lead nowhere", () => {
    repositoryOfWorkingTree(dir);
    const removed = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-modules-"));
    const before = materializeRef("HEAD", dir, removed);
    trees.add(before.root);
    fs.rmSync(removed, { recursive: true, force: true });
    const modules = path.resolve(__dirname, "..", "node_modules");
    const tree = materialize("HEAD", dir);
    assert.equal(tree.commit, before.commit);
    assert.notEqual(tree.root, before.root);
    assert.equal(fs.readlinkSync(path.join(tree.root, "node_modules")), modules);
    assert.equal(
      require.resolve("@pulumi/aws", { paths: [tree.root] }),
      require.resolve("@pulumi/aws", { paths: [path.dirname(modules)] }),
    );
    assert.equal(materialize("HEAD", dir).root, tree.root);
  });

  it("a ref that is not a commit is a usage error (RefError), read before anything else", () => {
    assert.throws(() => materialize("no-such-ref", dir), RefError);
    assert.throws(() => materialize("--upload-pack=x", dir), RefError);
  });
});

describe("npm run plan -- --against (spawned)", function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("prints the diff of an edited stack file against HEAD in text and JSON; exit 0; a bad ref exits 64", async () => {
    // HEAD against the working tree: only the edited stack file may differ (CI's clean checkout).
    const changed = spawnSync("git", ["-C", ROOT, "status", "--porcelain", "--", ".", ":!*.md", ":!docs"]);
    assert.equal(
      changed.stdout.toString(),
      "",
      "the working tree differs from HEAD: commit first, as this test diffs HEAD against the working tree",
    );
    const file = path.join(dir, "Pulumi.staging.yaml");
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8")) as {
      config: StackValues;
    };
    EDITS.memory(doc.config);
    fs.writeFileSync(file, stringify(doc));
    const [text, json, bad] = await Promise.all([
      runPlan(["--stack", "staging", "--against", "HEAD", "--stack-file", file]),
      runPlan(["--stack", "staging", "--against", "HEAD", "--stack-file", file, "--json"]),
      runPlan(["--stack", "staging", "--against", "no-such-ref"]),
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^Changes for stack "staging" from HEAD \([0-9a-f]{12}\) to the working tree with /,
    );
    assert.ok(text.stdout.includes(EXPECTED.memory), text.stdout);
    assert.match(
      text.stdout,
      /Policy report \(the working tree\)\n {2}config: policy\/config\/staging\.json/,
    );
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as ChangeReport;
    assert.equal(report.ok, true);
    assert.equal(report.against.ref, "HEAD");
    assert.deepEqual(report.diff.summary, {
      create: 0,
      import: 0,
      update: 1,
      replace: 0,
      delete: 0,
      unchanged: 74,
    });
    assert.deepEqual(
      report.diff.changes.map((c) => [c.op, c.name]),
      [["update", "mail-dovecot"]],
    );
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /^--against: no-such-ref is not a commit of the repository at /);
    assert.equal(bad.stdout, "");
  });
});
