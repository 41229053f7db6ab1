/**
 * The offline plan's command-line options (`npm run plan -- …`), in `node:util` parseArgs form.
 * One list for the script that parses them and for the documentation test that checks every
 * `npm run plan` line in the docs against them.
 */
export const PLAN_OPTIONS = {
  stack: { type: "string" },
  json: { type: "boolean", default: false },
  diagram: { type: "string" },
  "stack-file": { type: "string" },
  against: { type: "string" },
  "policy-config": { type: "string" },
  "policy-pack": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;
