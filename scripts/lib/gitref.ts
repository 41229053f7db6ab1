/**
 * A git ref's tree on disk, for `npm run plan -- --against <ref>`: extracted once into the
 * system's temporary directory (`git archive`, cached by commit and by the checkout whose
 * `node_modules` it links to). Node built-ins only: the plan reads the ref before it loads
 * anything heavy.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/** A ref that cannot be read: a usage error. */
export class RefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefError";
  }
}

export interface Tree {
  /** The ref as given. */
  ref: string;
  commit: string;
  /** Where its files are. */
  root: string;
}

function git(repo: string, args: string[], input?: Buffer): { ok: boolean; stdout: Buffer; stderr: string } {
  const r = spawnSync("git", ["-C", repo, ...args], { input, maxBuffer: 512 * 1024 * 1024 });
  return {
    ok: r.status === 0,
    stdout: r.stdout ?? Buffer.alloc(0),
    stderr: (r.stderr ?? "").toString().trim(),
  };
}

/**
 * The tree of `ref` in the repository at `repo`, extracted under the system's temporary
 * directory (reused while it exists), with `node_modules` linked to `modules`. The cache is
 * keyed by the commit and by `modules`: a tree extracted for another checkout (one since
 * removed, whose link now leads nowhere) is never reused.
 */
export function materialize(
  ref: string,
  repo: string = ROOT,
  modules: string = path.join(ROOT, "node_modules"),
): Tree {
  if (ref.trim() === "" || ref.startsWith("-")) {
    throw new RefError(`--against: "${ref}" is not a git ref`);
  }
  const rev = git(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (!rev.ok) {
    throw new RefError(`--against: ${ref} is not a commit of the repository at ${repo}`);
  }
  const commit = rev.stdout.toString().trim();
  const linked = createHash("sha256").update(path.resolve(modules)).digest("hex").slice(0, 12);
  const root = path.join(os.tmpdir(), `onprem-plan-${commit}-${linked}`);
  if (!fs.existsSync(path.join(root, ".complete"))) {
    const archive = git(repo, ["archive", "--format=tar", commit]);
    if (!archive.ok) {
      throw new RefError(`--against: cannot read ${ref} (${commit}): ${archive.stderr}`);
    }
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), `onprem-plan-${commit.slice(0, 12)}-`));
    const tar = spawnSync("tar", ["-x", "-f", "-", "-C", staging], { input: archive.stdout });
    if (tar.status !== 0) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new RefError(`--against: cannot extract ${ref}: ${(tar.stderr ?? "").toString().trim()}`);
    }
    fs.symlinkSync(modules, path.join(staging, "node_modules"), "dir");
    fs.writeFileSync(path.join(staging, ".complete"), `${commit}\n`);
    try {
      fs.renameSync(staging, root);
    } catch {
      // another process extracted it meanwhile
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return { ref, commit, root };
}
