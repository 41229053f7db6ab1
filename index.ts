/**
 * The estate, composed from stack config: one Docker provider for the host, then the mail stack,
 * the blog stack, the tunnel and the offsite backups. Run per stack with `pulumi preview` /
 * `pulumi up --stack <production|staging>`.
 */
import * as docker from "@pulumi/docker";
import { loadStackConfig } from "./config";

// Validates every key before anything is registered; a bad stack file stops here.
const cfg = loadStackConfig();

const dockerProvider = new docker.Provider("docker", { host: cfg.dockerHost });

/** The Docker host this stack deploys to. */
export const dockerHost = dockerProvider.urn.apply(() => cfg.dockerHost);
