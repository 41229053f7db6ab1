/**
 * Node's compile cache for the pack's process, turned on by the pack's entry before it loads
 * anything else. `run-policy-pack` compiles what it loads before the pack (its TypeScript library,
 * ts-node and part of the SDK) afresh on every start, out of the pack's reach; what loads after
 * this module (the policy SDK, the rest of `@pulumi/pulumi`, the pack's own modules) is compiled
 * once, and V8's code for it is reused by the next start: in `NODE_COMPILE_CACHE` when set, else
 * in `node-compile-cache` under the system's temporary directory, as `register.js` keeps the
 * program's. A changed file is compiled afresh; `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 *
 * The CLI stops the pack by killing it, and Node writes the cache at a normal exit only: the
 * entry calls `saveCompileCache()` once the pack is loaded.
 */
import * as nodeModule from "node:module";

const enabled =
  typeof nodeModule.enableCompileCache === "function" && process.env.NODE_DISABLE_COMPILE_CACHE === undefined;

if (enabled) {
  nodeModule.enableCompileCache();
}

/** Writes what was compiled since the cache was turned on, so a killed process keeps it. */
export function saveCompileCache(): void {
  if (enabled && typeof nodeModule.flushCompileCache === "function") {
    nodeModule.flushCompileCache();
  }
}
