/**
 * One long-running service container with the estate's house rules applied, shared by the mail
 * and blog stacks:
 * - the pinned image's id (not the tag string, which would diff forever),
 * - CPU and memory limits, a health check written as the provider reads it back, and `wait`
 *   with a timeout derived from that health check, so dependents start only once it is healthy,
 * - restart `unless-stopped`, size-limited `json-file` logs, the common labels,
 * - a fixed address and stable hostname on the stack's network,
 * - `deleteBeforeReplace` (a fixed name and host ports would collide with the replacement),
 *   `replaceOnChanges` for the fields the provider otherwise updates silently in place, and the
 *   environment stored as a secret output.
 *
 * Read-back audit (kreuzwerker/terraform-provider-docker v4.5.0, the upstream of
 * @pulumi/docker 5.2.0; `resourceDockerContainerRead` in resource_docker_container_funcs.go):
 * every input below is written the way Read stores it, so an unchanged program shows no diff.
 * - `memory`, `memoryReservation`, `memorySwap`: Read divides HostConfig bytes by 1024², so they
 *   are whole MiB. `memory_swap` is Optional without Computed, and Docker fills MemorySwap with
 *   twice Memory when only Memory is given: left unset it diffs on every run. It is set equal to
 *   `memory` (no swap beyond the limit), which Docker stores and reads back as given. On a host
 *   without swap accounting Docker stores -1 instead; the take-over docs say how to check.
 * - `cpus`: Read prints NanoCPUs with `nanoInt64ToDecimalString`; `cpusString` spells it so
 *   (ForceNew, so a different spelling would replace the container every run).
 * - `restart`, `logDriver`, `logOpts` (Read sets log_opts only when given, and we give it),
 *   `securityOpts` (Computed; Docker stores what is sent), `hostname` (Computed; stored as given)
 *   and `healthcheck` (see startup.ts) are given exactly as Docker stores them.
 * - `networkMode` is left to its schema default `bridge`: the provider creates the container in
 *   that mode and then moves it to `networksAdvanced`, so HostConfig.NetworkMode reads `bridge`.
 *   `networksAdvanced` itself is read back only when the set is empty (never here).
 * - `mounts` (ForceNew) are read from HostConfig.Mounts, which holds the request as sent; each
 *   mount's `readOnly` is therefore given explicitly (`false` rather than absent), and no
 *   bind/volume options are sent that Docker would add to.
 * - `ports`: read back from NetworkSettings with the host address and protocol as given; both
 *   are always given.
 * - Not given, because Read fills them from Docker (Computed) or reads back the zero value:
 *   `init`, `ipcMode`, `shmSize`, `stopSignal`, `stopTimeout`, `runtime`, `platform`,
 *   `cpuShares`, `dns*`, `user`, `workingDir`. Labels and `envs` are never read back.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HealthCheckSpec, renderHealthCheck, waitTimeoutSeconds } from "./startup";
import { cpusString, memoryToMb } from "./units";

/** Container log rotation: at most 3 files of 10 MB per container. */
export const LOG_OPTS = { "max-size": "10m", "max-file": "3" } as const;

/** Fields whose change the provider would apply silently or not at all unless told to replace. */
export const REPLACE_ON_CHANGES = ["healthcheck", "tmpfs", "init", "uploads", "networksAdvanced"];

/** A network attachment: the network's name, the container's fixed address and its aliases. */
export interface NetworkAttachment {
  name: pulumi.Input<string>;
  ipv4Address?: string;
  aliases: string[];
}

/** A published port, always bound to one host address. */
export interface PublishedPort {
  internal: number;
  external: number;
  ip: string;
  protocol?: "tcp" | "udp";
}

export interface ServiceContainerArgs {
  /** Docker's container name, e.g. `mailserver-dovecot`. */
  containerName: string;
  /** The hostname inside the container, also its alias on the network (e.g. `dovecot`). */
  hostname: string;
  /** The image id from a `docker.RemoteImage` or `docker.Image`. */
  image: pulumi.Input<string>;
  cpus: number;
  /** Memory limit, e.g. `1G`. */
  memory: string;
  /** Memory reservation (soft limit), e.g. `256M`. */
  memoryReservation?: string;
  /** The first attachment is the stack's own network. */
  networks: NetworkAttachment[];
  ports?: PublishedPort[];
  /** `KEY=value` entries; secret entries must be secret Outputs. */
  envs?: pulumi.Input<pulumi.Input<string>[]>;
  command?: string[];
  /** Replaces the image's entrypoint (e.g. a start script the program owns instead of the image's). */
  entrypoint?: string[];
  mounts?: docker.types.input.ContainerMount[];
  /** Files written into the container before it starts (config the program renders). */
  uploads?: pulumi.Input<pulumi.Input<docker.types.input.ContainerUpload>[]>;
  tmpfs?: Record<string, string>;
  healthCheck: HealthCheckSpec;
  labels: { label: string; value: string }[];
  /** Adds `no-new-privileges`; off only for images that rely on setuid/setgid helpers. */
  noNewPrivileges?: boolean;
  /** Seconds to wait for a graceful stop before the container is killed on destroy. */
  stopGraceSeconds?: number;
  /** Extra `/etc/hosts` entries (Compose's `extra_hosts`), in the given order. */
  hosts?: HostEntry[];
}

/** One `/etc/hosts` entry: a name and the address it resolves to. */
export interface HostEntry {
  host: string;
  ip: pulumi.Input<string>;
}

/** The provider's inputs for one service container. Pure, so tests can read it without mocks. */
export function serviceContainerInputs(args: ServiceContainerArgs): docker.ContainerArgs {
  return {
    name: args.containerName,
    hostname: args.hostname,
    image: args.image,
    cpus: cpusString(args.cpus),
    memory: memoryToMb(args.memory),
    memoryReservation: args.memoryReservation === undefined ? undefined : memoryToMb(args.memoryReservation),
    memorySwap: memoryToMb(args.memory),
    restart: "unless-stopped",
    mustRun: true,
    logDriver: "json-file",
    logOpts: { ...LOG_OPTS },
    labels: args.labels,
    healthcheck: renderHealthCheck(args.healthCheck),
    wait: true,
    waitTimeout: waitTimeoutSeconds(args.healthCheck),
    networksAdvanced: args.networks.map((n) => ({
      name: n.name,
      ipv4Address: n.ipv4Address,
      aliases: n.aliases,
    })),
    ports: args.ports?.map((p) => ({
      internal: p.internal,
      external: p.external,
      ip: p.ip,
      protocol: p.protocol ?? "tcp",
    })),
    envs: args.envs,
    command: args.command,
    entrypoints: args.entrypoint,
    mounts: args.mounts?.map((m) => ({ ...m, readOnly: m.readOnly ?? false })),
    uploads: args.uploads,
    tmpfs: args.tmpfs,
    securityOpts: args.noNewPrivileges === false ? [] : ["no-new-privileges:true"],
    destroyGraceSeconds: args.stopGraceSeconds ?? 30,
    ...(args.hosts === undefined ? {} : { hosts: args.hosts.map((h) => ({ host: h.host, ip: h.ip })) }),
  };
}

/**
 * Registers one service container. `opts` carries the parent and the `dependsOn` edges; the
 * house options (delete-first replacement, replace-on-change fields, secret envs) are added here.
 */
export function serviceContainer(
  name: string,
  args: ServiceContainerArgs,
  opts: pulumi.CustomResourceOptions,
): docker.Container {
  return new docker.Container(name, serviceContainerInputs(args), {
    ...opts,
    deleteBeforeReplace: true,
    replaceOnChanges: REPLACE_ON_CHANGES,
    additionalSecretOutputs: ["envs"],
  });
}
