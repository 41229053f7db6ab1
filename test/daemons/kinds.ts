/**
 * Which daemon checks which artefact, and which kinds each component must render. Extend here:
 * a new rendered file, flag set or command that no kind claims fails `artefacts.spec.ts` with its
 * name, so a new render (the blog stack's, say) is never silently left unchecked.
 */
import { StackName } from "../harness/stack";
import { Rendered, RenderedFile, contentHash, execContainer, shellScript } from "./artefacts";

export type Kind =
  | "mariadb-sql"
  | "mariadb-flags"
  | "mariadb-cnf"
  | "dovecot-conf"
  | "postfix-conf"
  | "postfix-map"
  | "nginx-conf"
  | "php"
  | "php-ini"
  | "php-fpm-pool"
  | "redis-flags"
  | "rspamd-conf"
  | "clamav-conf"
  | "shell-script"
  | "email-worker"
  | "ssmtp-conf"
  | "unchecked";

/** One kind: the daemon that checks it and how to recognise its artefacts. */
export interface KindSpec {
  kind: Kind;
  daemon: string;
  matches(r: Rendered): boolean;
}

const file = (r: Rendered, pattern: RegExp): r is RenderedFile => r.shape === "file" && pattern.test(r.path);
const image = (r: Rendered, name: string): boolean =>
  (r.shape === "file" || r.shape === "argv") && r.container.image.split(/[:@]/)[0].endsWith(name);

/** In order; an artefact may belong to several kinds (a shell script that also writes PHP). */
export const KINDS: readonly KindSpec[] = [
  {
    kind: "mariadb-sql",
    daemon: "MariaDB",
    matches: (r) => r.shape === "exec" && /\b(mariadb|mysql)\b(?!d)/.test(r.create) && r.stdin !== "",
  },
  {
    kind: "mariadb-flags",
    daemon: "MariaDB",
    matches: (r) => r.shape === "argv" && r.which === "command" && image(r, "mariadb"),
  },
  {
    kind: "mariadb-cnf",
    daemon: "MariaDB",
    matches: (r) => file(r, /^\/etc\/mysql\/(conf\.d|mariadb\.conf\.d)\/[^/]+\.cnf$/),
  },
  { kind: "dovecot-conf", daemon: "Dovecot", matches: (r) => file(r, /^\/etc\/dovecot\//) },
  { kind: "postfix-conf", daemon: "Postfix", matches: (r) => file(r, /^\/etc\/postfix\/(main|master)\.cf$/) },
  {
    kind: "postfix-map",
    daemon: "Postfix",
    matches: (r) => file(r, /^\/etc\/postfix\//) && !/\/(main|master)\.cf$/.test(r.path),
  },
  { kind: "nginx-conf", daemon: "nginx", matches: (r) => file(r, /^\/etc\/nginx\/.*\.conf$/) },
  {
    kind: "php",
    daemon: "PHP",
    matches: (r) => r.shape === "file" && (/\.php$/.test(r.path) || r.content.startsWith("<?php")),
  },
  { kind: "php-ini", daemon: "PHP", matches: (r) => file(r, /php[^/]*\/.*\.ini$/) },
  {
    kind: "php-fpm-pool",
    daemon: "PHP-FPM",
    matches: (r) => file(r, /php[^/]*\/.*\.conf$/) && /^\s*\[[A-Za-z0-9_-]+\]\s*$/m.test(r.content),
  },
  {
    kind: "redis-flags",
    daemon: "Redis",
    matches: (r) => r.shape === "argv" && (r.argv[0] === "redis-server" || image(r, "redis")),
  },
  { kind: "rspamd-conf", daemon: "Rspamd", matches: (r) => file(r, /^\/etc\/rspamd\//) },
  { kind: "clamav-conf", daemon: "ClamAV", matches: (r) => file(r, /^\/etc\/clamav\/[^/]+\.conf$/) },
  { kind: "shell-script", daemon: "sh", matches: (r) => shellScript(r) !== undefined },
  {
    kind: "email-worker",
    daemon: "workerd",
    matches: (r) => r.shape === "worker" && /\basync\s+email\s*\(|\bemail\s*[:(]/.test(r.content),
  },
  {
    kind: "ssmtp-conf",
    daemon: "ssmtp's documented keys (Debian's ssmtp conflicts with postfix)",
    matches: (r) => file(r, /^\/etc\/ssmtp\/ssmtp\.conf$/),
  },
];

/**
 * Artefacts no Debian daemon can check, each with the reason. Anything matched here is reported,
 * not checked.
 */
export const UNCHECKED: readonly { what: string; reason: string; matches(r: Rendered): boolean }[] = [
  {
    what: "cloudflared's flags",
    reason: "cloudflared is not packaged for Debian; its flags are asserted by test/blog.spec.ts",
    matches: (r) => r.shape === "argv" && image(r, "cloudflared"),
  },
];

/** The kinds of an artefact (empty when nothing claims it). */
export function kindsOf(r: Rendered): Kind[] {
  const kinds = KINDS.filter((k) => k.matches(r)).map((k) => k.kind);
  if (kinds.length === 0 && UNCHECKED.some((u) => u.matches(r))) {
    return ["unchecked"];
  }
  return kinds;
}

/** The artefacts of one kind, in extraction order. */
export function ofKind(all: readonly Rendered[], kind: Kind): Rendered[] {
  return all.filter((r) => kindsOf(r).includes(kind));
}

/**
 * The kinds each component must render (its module in the component's type token, e.g.
 * `onprem:mail:MailserverStack` -> `mail`), across the stacks. A kind missing here means a
 * render moved or broke the extraction: `artefacts.spec.ts` fails. Add a kind when a component
 * starts rendering something new.
 */
export const EXPECTED_KINDS: Readonly<Record<string, readonly Kind[]>> = {
  mail: [
    "mariadb-sql",
    "dovecot-conf",
    "postfix-conf",
    "postfix-map",
    "nginx-conf",
    "php",
    "rspamd-conf",
    "clamav-conf",
    "shell-script",
  ],
  blog: [
    "mariadb-sql",
    "mariadb-flags",
    "mariadb-cnf",
    "nginx-conf",
    "php",
    "php-ini",
    "php-fpm-pool",
    "redis-flags",
    "shell-script",
    "ssmtp-conf",
  ],
  tunnel: ["email-worker"],
};

/**
 * Expected kinds that only some stacks render, by component: the relay credentials exist only
 * where the relay authenticates; the blog's only shell script is a new WordPress site's install,
 * and production has no new site (every site there is taken over), staging has one.
 */
export const ONLY_IN: Readonly<Record<string, Partial<Record<Kind, readonly StackName[]>>>> = {
  mail: { "postfix-map": ["production"] },
  blog: { "shell-script": ["staging"] },
};

/**
 * Known bugs of renders this branch does not own, keyed by the exact content (contentHash) of
 * the artefact: the check still runs and must still fail as described; once the render changes
 * (the fix lands), the hash no longer matches and the check holds the new render for real.
 */
export const KNOWN_RENDER_BUGS: readonly { kind: Kind; hash: string; reason: string }[] = [];

/** The known bug recorded for this artefact, if any. */
export function knownBug(r: Rendered, kind: Kind): { reason: string } | undefined {
  const hash = contentHash(r);
  return KNOWN_RENDER_BUGS.find((b) => b.kind === kind && b.hash === hash);
}

/** The MariaDB server a SQL artefact targets (its container), or its command when unknown. */
export function sqlTarget(r: Rendered): string {
  return r.shape === "exec" ? (execContainer(r.create) ?? r.create) : r.resource;
}
