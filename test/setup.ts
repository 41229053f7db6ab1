/**
 * Mocha's one setup file (see .mocharc.json): installs the mock engine once for every suite.
 * Spec files never call `setMocks` themselves.
 */
import { installMocks } from "./harness/engine";

// Failures point at lines of the TypeScript sources: register.js formats every stack trace.

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await installMocks();
  },
};
