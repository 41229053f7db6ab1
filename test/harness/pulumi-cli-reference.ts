/**
 * The Pulumi CLI's documented reference for the commands the docs use: each command path and the
 * flags it accepts (long and short forms), plus the flags every command inherits from `pulumi`.
 *
 * Source: the CLI's generated command reference, https://www.pulumi.com/docs/iac/cli/commands/
 * (one page per command, `pulumi_<command>_<subcommand>`; generated from the CLI by
 * spf13/cobra, kept in github.com/pulumi/docs under `content/docs/iac/cli/commands/`), for the
 * 3.x CLI that `.github/workflows/*.yml` pins (`pulumi-version`, equal to `@pulumi/pulumi` in
 * package.json). A command's own flags and the ones its page lists as inherited from its parent
 * (e.g. `--stack` and `--config-file` for every `pulumi config` subcommand) are both listed here.
 * `--stack`/`-s` is NOT a global flag: each command that takes it declares it.
 * Each entry names its page and the date the stored copy of the page was generated (the reference
 * is regenerated with CLI releases; a flag missing here fails the docs test, so re-read the page
 * before adding one). Add a command only from its reference page, never from memory. The pages were read through
 * github.com/pulumi/docs `content/docs/iac/cli/commands/<page>.md`.
 */

/** Inherited by every command from `pulumi` itself (the `pulumi` page's options). */
export const GLOBAL_FLAGS: readonly string[] = [
  "--color",
  "--cwd",
  "-C",
  "--disable-integrity-checking",
  "--emoji",
  "-e",
  "--fully-qualify-stack-names",
  "-Q",
  "--help",
  "-h",
  "--logflow",
  "--logtostderr",
  "--memprofilerate",
  "--non-interactive",
  "--otel-traces",
  "--profiling",
  "--tracing",
  "--verbose",
  "-v",
];

/** The flags `pulumi preview` and `pulumi up` share. */
const UPDATE_FLAGS = [
  "--attach-debugger",
  "--config",
  "-c",
  "--config-file",
  "--config-path",
  "--debug",
  "-d",
  "--diff",
  "--expect-no-changes",
  "--json",
  "-j",
  "--message",
  "-m",
  "--parallel",
  "-p",
  "--policy-pack",
  "--policy-pack-config",
  "--refresh",
  "-r",
  "--replace",
  "--show-config",
  "--show-policy-remediations",
  "--show-reads",
  "--show-replacement-steps",
  "--show-sames",
  "--stack",
  "-s",
  "--suppress-outputs",
  "--suppress-permalink",
  "--suppress-progress",
  "--target",
  "-t",
  "--target-dependents",
  "--target-replace",
];

/** `pulumi config` and every subcommand inherit these from `pulumi config`. */
const CONFIG_PARENT = ["--config-file", "--stack", "-s"];

/** Command path (words after `pulumi`) → its own and parent-inherited flags. */
export const PULUMI_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  // pulumi_preview (generated 1-Oct-2024)
  preview: [...UPDATE_FLAGS, "--import-file", "--show-secrets"],
  // pulumi_up (generated 1-Oct-2024)
  up: [
    ...UPDATE_FLAGS,
    "--continue-on-error",
    "--secrets-provider",
    "--show-full-output",
    "--skip-preview",
    "-f",
    "--yes",
    "-y",
  ],
  // pulumi_refresh (generated 24-Jun-2026)
  refresh: [
    "--clear-pending-creates",
    "--config",
    "-c",
    "--config-file",
    "--config-path",
    "--debug",
    "-d",
    "--diff",
    "--exclude",
    "-x",
    "--exclude-dependents",
    "--expect-no-changes",
    "--import-pending-creates",
    "--json",
    "-j",
    "--message",
    "-m",
    "--parallel",
    "-p",
    "--preview-only",
    "--run-program",
    "--show-replacement-steps",
    "--show-sames",
    "--skip-pending-creates",
    "--skip-preview",
    "-f",
    "--stack",
    "-s",
    "--suppress-outputs",
    "--suppress-permalink",
    "--suppress-progress",
    "--target",
    "-t",
    "--target-dependents",
    "--yes",
    "-y",
  ],
  // pulumi_import (generated 24-Jun-2026)
  import: [
    "--config-file",
    "--debug",
    "-d",
    "--diff",
    "--file",
    "-f",
    "--from",
    "--generate-code",
    "--generate-resources",
    "--json",
    "-j",
    "--message",
    "-m",
    "--out",
    "-o",
    "--parallel",
    "-p",
    "--parent",
    "--preview-only",
    "--properties",
    "--protect",
    "--provider",
    "--skip-preview",
    "--stack",
    "-s",
    "--suppress-outputs",
    "--suppress-permalink",
    "--suppress-progress",
    "--urns",
    "--yes",
    "-y",
  ],
  // pulumi_config (generated 12-Dec-2024)
  config: [...CONFIG_PARENT, "--json", "-j", "--open", "--show-secrets"],
  // pulumi_config_set (generated 14-Jul-2025)
  "config set": [...CONFIG_PARENT, "--path", "--plaintext", "--secret", "--type"],
  // pulumi_config_get (generated 5-May-2026)
  "config get": [...CONFIG_PARENT, "--json", "-j", "--open", "--path"],
  // pulumi_stack (generated 5-May-2026)
  stack: ["--show-ids", "-i", "--show-name", "--show-secrets", "--show-urns", "-u", "--stack", "-s"],
  // pulumi_stack_init (generated 14-Jul-2025)
  "stack init": ["--copy-config-from", "--no-select", "--secrets-provider", "--stack", "-s", "--teams"],
  // pulumi_stack_select (generated 1-Oct-2024)
  "stack select": ["--create", "-c", "--secrets-provider", "--stack", "-s"],
  // pulumi_stack_export (generated 4-Jun-2026)
  "stack export": ["--file", "--show-secrets", "--stack", "-s", "--version"],
  // pulumi_stack_import (www.pulumi.com/docs/iac/cli/commands/pulumi_stack_import/: -s/--stack is its own option)
  "stack import": ["--file", "--force", "-f", "--stack", "-s"],
  // pulumi_stack_output (generated 17-Oct-2024)
  "stack output": ["--json", "-j", "--shell", "--show-secrets", "--stack", "-s"],
  // pulumi_stack_rm (generated 5-May-2026)
  "stack rm": ["--force", "-f", "--preserve-config", "--remove-backups", "--stack", "-s", "--yes", "-y"],
  // pulumi_stack_change-secrets-provider (generated 26-Nov-2025)
  "stack change-secrets-provider": ["--stack", "-s"],
  // pulumi_state_delete (generated 1-Oct-2024)
  "state delete": ["--force", "--stack", "-s", "--target-dependents", "--yes", "-y"],
  // pulumi_state_unprotect (generated 5-May-2026)
  "state unprotect": ["--all", "--stack", "-s", "--yes", "-y"],
  // pulumi_state_taint (generated 5-May-2026)
  "state taint": ["--stack", "-s", "--yes", "-y"],
  // pulumi_policy_enable (generated 12-Dec-2024; valid CLI, this project runs its pack locally instead: docs/policy-pack.md)
  "policy enable": ["--config", "--policy-group"],
  // pulumi_login (generated 5-May-2026)
  login: [
    "--cloud-url",
    "-c",
    "--default-org",
    "--insecure",
    "--interactive",
    "--local",
    "-l",
    "--oidc-expiration",
    "--oidc-org",
    "--oidc-team",
    "--oidc-token",
    "--oidc-user",
  ],
  // pulumi_whoami (generated 5-May-2026; its own -v/--verbose shadows the global one)
  whoami: ["--json", "-j", "--verbose", "-v"],
  // pulumi_version (generated 17-Oct-2024: no flags of its own)
  version: [],
};
