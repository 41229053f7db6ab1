/**
 * The documentation an operator works from (README.md and docs/**\/*.md): every `npm run …` and
 * `pulumi …` command it shows is one that works (the npm script exists, the plan's options are the
 * plan's; the `pulumi` command and each flag are in the pinned CLI's documented reference,
 * test/harness/pulumi-cli-reference.ts), every preview and update of a named stack runs the
 * stack's own policy settings, every relative link resolves (file and heading), and nothing
 * points at a document outside the repository.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  commandLines,
  commandProblems,
  commandsOf,
  docFiles,
  headingAnchors,
  links,
  packageScripts,
} from "./harness/docs";
import { ROOT } from "./harness/stack";

const FILES = docFiles();
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("the documentation", () => {
  const scripts = packageScripts();

  it("reads README.md and every page under docs/, the task pages among them", () => {
    for (const page of [
      "README.md",
      "docs/first-deployment.md",
      "docs/takeover-mail.md",
      "docs/day-to-day.md",
      "docs/secrets.md",
      "docs/policy-pack.md",
      "docs/ci.md",
      "docs/operator-setup.md",
    ]) {
      assert.ok(FILES.includes(page), page);
    }
  });

  it("every npm run and pulumi command in it is one the package and the pinned CLI accept", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of FILES) {
      for (const snippet of commandLines(file, read(file))) {
        for (const words of commandsOf(snippet.text)) {
          checked++;
          for (const p of commandProblems(words, scripts)) {
            problems.push(`${file}:${snippet.line}: ${p}: ${words.join(" ")}`);
          }
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} commands found: the extraction is broken`);
    assert.deepEqual(problems, []);
  });

  it("every pulumi preview and up in a command block, or of a named stack, runs the pack with the stack's settings", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of FILES) {
      for (const snippet of commandLines(file, read(file))) {
        for (const words of commandsOf(snippet.text)) {
          if (words[0] !== "pulumi" || !["preview", "up"].includes(words[1])) {
            continue;
          }
          const value = (flag: string): string | undefined => {
            const i = words.indexOf(flag);
            return i >= 0 ? words[i + 1] : undefined;
          };
          const stack = value("--stack");
          if (!stack) {
            // A command block always names its stack; prose may name the command alone.
            if (snippet.inCode) {
              problems.push(`${file}:${snippet.line}: no --stack: ${words.join(" ")}`);
            }
            continue;
          }
          checked++;
          const pack = value("--policy-pack");
          const config = value("--policy-pack-config");
          if (pack !== "policy" || config !== `policy/config/${stack}.json`) {
            problems.push(`${file}:${snippet.line}: ${words.join(" ")}`);
          }
        }
      }
    }
    assert.ok(checked > 10, `only ${checked} previews and updates found`);
    assert.deepEqual(
      problems,
      [],
      "add --policy-pack policy --policy-pack-config policy/config/<stack>.json",
    );
  });

  it("never enables the pack in Pulumi Cloud, where one config would hold for every stack", () => {
    const found: string[] = [];
    for (const file of FILES) {
      for (const snippet of commandLines(file, read(file))) {
        for (const words of commandsOf(snippet.text)) {
          const runnable = snippet.inCode || words.length > 3; // prose may name the command to say why not
          if (
            runnable &&
            words[0] === "pulumi" &&
            words[1] === "policy" &&
            ["enable", "publish"].includes(words[2])
          ) {
            found.push(`${file}:${snippet.line}: ${words.join(" ")}`);
          }
        }
      }
    }
    assert.deepEqual(
      found,
      [],
      "run the pack per stack: --policy-pack policy --policy-pack-config policy/config/<stack>.json",
    );
  });

  it("every relative link resolves to a file, and its #anchor to a heading there", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of FILES) {
      for (const { line, target } of links(read(file))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
          continue;
        }
        checked++;
        const [rawPath, anchor] = target.split("#", 2);
        const resolved =
          rawPath === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), rawPath));
        const where = `${file}:${line}: ${target}`;
        if (resolved.startsWith("..") || !fs.existsSync(path.join(ROOT, resolved))) {
          problems.push(`${where}: no file ${resolved}`);
          continue;
        }
        if (anchor !== undefined && !headingAnchors(read(resolved)).has(anchor)) {
          problems.push(`${where}: no heading #${anchor} in ${resolved}`);
        }
      }
    }
    assert.ok(checked > 20, `only ${checked} links found`);
    assert.deepEqual(problems, []);
  });

  it("names no document outside the repository", () => {
    const outside = [/ESTATE\.md/i, /\bseed\b/i, /000_c2755fbf/i, /\/work\/shared/];
    const problems: string[] = [];
    for (const file of FILES) {
      read(file)
        .split("\n")
        .forEach((line, i) => {
          for (const pattern of outside) {
            if (pattern.test(line)) {
              problems.push(`${file}:${i + 1}: ${line.trim()}`);
            }
          }
        });
    }
    assert.deepEqual(problems, [], 'cite "the design document §N.N" with what it says instead');
  });

  it("the README stays short, shows npm ci and npm test, and its contents link every page under docs/", () => {
    const readme = read("README.md");
    assert.ok(readme.split("\n").length <= 250, `README.md has ${readme.split("\n").length} lines`);
    assert.match(readme, /^npm ci\b/m);
    assert.match(readme, /^npm test\b/m);
    const linked = new Set(links(readme).map((l) => l.target.split("#")[0]));
    const pages = FILES.filter((f) => f.startsWith("docs/"));
    assert.deepEqual(
      pages.filter((p) => !linked.has(p)),
      [],
    );
  });

  it("each page under docs/ starts with when to use it", () => {
    const problems = FILES.filter((f) => f.startsWith("docs/")).filter((f) => {
      const [title, blank, first] = read(f).split("\n");
      return !/^# /.test(title) || blank !== "" || !/^Use\b/.test(first ?? "");
    });
    assert.deepEqual(problems, []);
  });
});

describe("the documentation checks themselves", () => {
  const scripts = packageScripts();
  const problemsOf = (line: string): string[] =>
    commandsOf(line).flatMap((words) => commandProblems(words, scripts));

  it("refuse a made-up flag, an unknown command and a flag of another command", () => {
    assert.deepEqual(problemsOf("pulumi up --stack production --frobnicate"), [
      '"pulumi up" has no flag --frobnicate',
    ]);
    assert.deepEqual(problemsOf("pulumi deploy --stack production"), [
      'unknown pulumi command "pulumi deploy --stack"',
    ]);
    // --yes is up's, not preview's; --secret is config set's, not config get's.
    assert.deepEqual(problemsOf("pulumi preview --stack staging --yes"), [
      '"pulumi preview" has no flag --yes',
    ]);
    assert.deepEqual(problemsOf("pulumi config get --secret key"), [
      '"pulumi config get" has no flag --secret',
    ]);
    // policy enable takes one --config per policy group: valid CLI, but no --stack.
    assert.deepEqual(problemsOf("pulumi policy enable org/pack latest --stack production"), [
      '"pulumi policy enable" has no flag --stack',
    ]);
  });

  it("accept documented commands, global flags and --flag=value", () => {
    for (const line of [
      "pulumi stack import --stack production --file state.json",
      "pulumi -C /repo preview --stack staging --policy-pack policy --policy-pack-config policy/config/staging.json --diff --non-interactive",
      "pulumi import cloudflare:index/dnsRecord:DnsRecord tunnel-dns-a.example.com 'z/r' --parent 'tunnel=urn' --provider 'cloudflare=urn' --protect=false",
      "pulumi config set --secret --stack production onprem-infra:sendgridApiKey",
      "pulumi up -s staging -y -p 4 --replace 'urn:pulumi:staging::onprem-infra::x'",
    ]) {
      const words = line.split(" ");
      // A global flag before the command: drop it with its value, as the CLI reads it.
      const normalised = words[1] === "-C" ? [words[0], ...words.slice(3)].join(" ") : line;
      assert.deepEqual(problemsOf(normalised), [], line);
    }
  });

  it("check npm scripts and the plan's options", () => {
    assert.deepEqual(problemsOf("npm run plna -- --stack staging"), ['package.json has no script "plna"']);
    assert.deepEqual(problemsOf("npm run plan -- production"), [
      'npm run plan takes no argument "production"',
    ]);
    assert.deepEqual(problemsOf("npm run plan -- --stack production --yaml"), [
      'npm run plan takes no option "--yaml"',
    ]);
    assert.deepEqual(problemsOf("npm run --silent plan -- --stack production --json"), []);
    assert.deepEqual(problemsOf("git pull && npm ci && npm run lint"), []);
  });

  it("find commands in code blocks, continuation lines and wrapped inline code, not in other languages", () => {
    const text = [
      "Run `pulumi preview --stack",
      "staging --bogus` now.",
      "",
      "```sh",
      "pulumi up --stack production \\",
      "  --nope   # a comment --ignored",
      "```",
      "",
      "```yaml",
      "key: pulumi up --fake",
      "```",
    ].join("\n");
    const found = commandLines("x.md", text).map((s) => s.text);
    assert.deepEqual(found, [
      "pulumi preview --stack staging --bogus",
      "pulumi up --stack production --nope",
    ]);
  });

  it("make GitHub's heading anchors", () => {
    const anchors = headingAnchors(
      "# A `pulumi up` (production; staging)\n## 4. Recovering: a wait\n## Same\n## Same\n```\n# not a heading\n```\n",
    );
    assert.deepEqual(
      [...anchors],
      ["a-pulumi-up-production-staging", "4-recovering-a-wait", "same", "same-1"],
    );
  });
});
