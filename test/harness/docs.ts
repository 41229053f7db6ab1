/**
 * Reading the documentation as an operator's shell would: the command lines of README.md and
 * docs/**\/*.md (code blocks and inline code), their words, what is wrong with a `pulumi` or
 * `npm run` command against the pinned CLI's reference and package.json, links and GitHub's
 * heading anchors. Used by test/docs.spec.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GLOBAL_FLAGS, PULUMI_COMMANDS } from "./pulumi-cli-reference";
/** The repository root. */
const ROOT = path.resolve(__dirname, "../..");

/** README.md and every Markdown file under docs/, relative to the repository root. */
export function docFiles(): string[] {
  const found: string[] = ["README.md"];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(rel);
      } else if (entry.name.endsWith(".md")) {
        found.push(rel);
      }
    }
  };
  walk("docs");
  return found.sort();
}

interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  /** From a fenced code block (a command to run), not an inline span of the prose. */
  readonly inCode: boolean;
}

/**
 * The command-like lines of a Markdown text: each line of a fenced code block (continuation lines
 * ending in `\` joined, comments dropped), and each inline code span of the prose (wrapped spans
 * joined). Shell-like blocks only: a block tagged with another language (yaml, json, php, …) holds
 * no commands.
 */
export function commandLines(file: string, text: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = text.split("\n");
  let fence: { lang: string } | undefined;
  let pending: { start: number; text: string } | undefined;
  let prose: { start: number; text: string }[] = [];
  const flushProse = (): void => {
    const joined = prose.map((p) => p.text).join("\n");
    const starts = prose.map((p) => p.start);
    for (const m of joined.matchAll(/`([^`]+)`/g)) {
      const before = joined.slice(0, m.index).split("\n").length - 1;
      out.push({ file, line: starts[before] ?? 0, text: m[1].replace(/\s+/g, " ").trim(), inCode: false });
    }
    prose = [];
  };
  lines.forEach((raw, i) => {
    const fenceMatch = /^\s*```(\S*)/.exec(raw);
    if (fenceMatch) {
      if (fence) {
        fence = undefined;
      } else {
        flushProse();
        fence = { lang: fenceMatch[1] };
      }
      return;
    }
    if (fence) {
      if (!["", "sh", "bash", "shell", "console"].includes(fence.lang)) {
        return;
      }
      const line = raw.replace(/^\s*\$ /, "");
      if (/^\s*#/.test(line)) {
        return;
      }
      const text = (pending ? `${pending.text} ` : "") + line.replace(/\s+#\s.*$/, "").trim();
      if (text.endsWith("\\")) {
        pending = { start: pending?.start ?? i + 1, text: text.slice(0, -1).trim() };
        return;
      }
      out.push({ file, line: pending?.start ?? i + 1, text, inCode: true });
      pending = undefined;
      return;
    }
    if (raw.trim() === "") {
      flushProse();
    } else {
      prose.push({ start: i + 1, text: raw });
    }
  });
  flushProse();
  return out;
}

/** Shell-like words: quotes group and are removed; no expansion. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: string | undefined;
  let inWord = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) {
        quote = undefined;
      } else {
        current += ch;
      }
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) {
        words.push(current);
      }
      current = "";
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) {
    words.push(current);
  }
  return words;
}

/**
 * The commands of one line: pieces split at `&&`, `||`, `;`, `|` and `$(`, each starting with
 * `pulumi` or `npm` (after any `VAR=value` assignments and `sudo`).
 */
export function commandsOf(text: string): string[][] {
  const commands: string[][] = [];
  for (const piece of text.split(/&&|\|\||;|\||\$\(/)) {
    const words = shellWords(piece.replace(/\)\s*$/, ""));
    while (words.length > 0 && (/^[A-Z_][A-Z0-9_]*=/.test(words[0]) || words[0] === "sudo")) {
      words.shift();
    }
    // A lone word ("ManagedBy becomes `pulumi`") names the tool, it runs nothing.
    if ((words[0] === "pulumi" || words[0] === "npm") && words.length > 1) {
      commands.push(words);
    }
  }
  return commands;
}

/** The plan's options (scripts/plan.ts's usage), each with whether it takes a value. */
const PLAN_OPTIONS: Readonly<Record<string, boolean>> = {
  "--stack": true,
  "--json": false,
  "--diagram": true,
  "--stack-file": true,
  "--policy-config": true,
  "--policy-pack": true,
};

/** npm's own options that may precede the script name of `npm run`. */
const NPM_RUN_OPTIONS = ["--silent", "-s"];

export function packageScripts(): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  return pkg.scripts;
}

/**
 * What is wrong with one command (its words, starting with `pulumi` or `npm`): an unknown
 * `pulumi` command or a flag its reference does not list, a missing npm script, an option the
 * plan does not take. Empty when it is right. `…` and `<placeholder>` words are arguments.
 */
export function commandProblems(words: readonly string[], scripts: Record<string, string>): string[] {
  if (words[0] === "npm") {
    return npmProblems(words, scripts);
  }
  const rest = words.slice(1);
  // The command path: the longest run of leading non-flag words the reference knows.
  let command: string | undefined;
  for (let n = Math.min(rest.length, 2); n >= 1; n--) {
    const candidate = rest.slice(0, n).join(" ");
    if (!rest.slice(0, n).some((w) => w.startsWith("-")) && PULUMI_COMMANDS[candidate]) {
      command = candidate;
      break;
    }
  }
  if (!command) {
    return [`unknown pulumi command "pulumi ${rest.slice(0, 2).join(" ")}"`];
  }
  const allowed = new Set([...PULUMI_COMMANDS[command], ...GLOBAL_FLAGS]);
  const problems: string[] = [];
  for (const word of rest.slice(command.split(" ").length)) {
    if (word === "--") {
      break;
    }
    if (/^--?[A-Za-z]/.test(word)) {
      const flag = word.split("=")[0];
      if (!allowed.has(flag)) {
        problems.push(`"pulumi ${command}" has no flag ${flag}`);
      }
    }
  }
  return problems;
}

function npmProblems(words: readonly string[], scripts: Record<string, string>): string[] {
  if (words[1] !== "run") {
    return [];
  }
  let i = 2;
  while (i < words.length && NPM_RUN_OPTIONS.includes(words[i])) {
    i++;
  }
  const script = words[i];
  if (!script || script === "…") {
    return [];
  }
  if (!(script in scripts)) {
    return [`package.json has no script "${script}"`];
  }
  if (script !== "plan") {
    return [];
  }
  const args = words.slice(i + 1);
  if (args.length === 0) {
    return [];
  }
  if (args[0] !== "--") {
    return [`npm run plan passes its options after "--", got "${args[0]}"`];
  }
  const problems: string[] = [];
  for (let j = 1; j < args.length; j++) {
    const word = args[j];
    if (word === "…") {
      continue;
    }
    const takesValue = PLAN_OPTIONS[word];
    if (takesValue === undefined) {
      problems.push(`npm run plan takes no ${word.startsWith("-") ? "option" : "argument"} "${word}"`);
    } else if (takesValue) {
      j++;
    }
  }
  return problems;
}

/** GitHub's heading anchors of a Markdown text (lowercase, punctuation dropped, spaces to `-`, repeats numbered). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      continue;
    }
    const m = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) {
      continue;
    }
    const plain = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[`*]/g, "");
    const slug = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The Markdown links of a text outside code: `[text](target)`, with their line. */
export function links(text: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  let inFence = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      return;
    }
    if (inFence) {
      return;
    }
    const prose = line.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      found.push({ line: i + 1, target: m[1] });
    }
  });
  return found;
}
