/**
 * The mechanisms every container stack (mail, blog) is made of, so each component keeps only its
 * own services' specifics (environment, mounts, uploads, extra dependencies):
 * - the stack's labels (the common facts plus the stack's name),
 * - its bridge network: created with a fixed subnet and gateway, or an existing (Compose-made)
 *   network adopted by `import` so co-tenants that joined it keep their addresses,
 * - Docker-managed named volumes (e.g. Compose's `mailserver_postfix_spool`), adopted by name,
 * - host data directories bind-mounted into containers: never created by the program, so a
 *   missing or mistyped path stops the container's creation instead of mounting an empty tree,
 * - one image per service, pulled by a pinned reference or built locally,
 * - the service containers, on the stack's network at their fixed addresses, started after the
 *   services they need.
 *
 * Every resource is named after the component (`<name>-network`, `<name>-<volume>-volume`,
 * `<name>-<service>-image`, `<name>-<service>`) and parented to it: these names are part of the
 * resources' URNs, so changing them would replace live resources.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HostEntry, NetworkAttachment, serviceContainer } from "./container";
import { CommonFacts, dockerLabels } from "./labels";
import { NamedVolumeSpec, NetworkSpec, ServiceSettings } from "./schema";
import { HealthCheckSpec } from "./startup";

export type { NamedVolumeSpec, NetworkSpec } from "./schema";

/** The options of a stack's resources: the component that owns them. */
export interface StackChildOptions {
  parent: pulumi.Resource;
}

/** A stack's Docker labels: the common facts, the stack's name, plus `extra`. */
export type StackLabels = (extra: Record<string, string>) => { label: string; value: string }[];

/** The labels of one stack, e.g. `stackLabels(facts, "mail")`. */
export function stackLabels(facts: CommonFacts, stack: string): StackLabels {
  return (extra) => dockerLabels(facts, { "org.onprem-infra.stack": stack, ...extra });
}

export interface StackNetworkArgs {
  /** Name, subnet, gateway and (to adopt an existing network) its id; see `NetworkSpec`. */
  network: NetworkSpec;
  labels: StackLabels;
  /** Refuse `pulumi destroy` and any replacement of the network (production). Default false. */
  protect?: boolean;
}

/**
 * The provider inputs of a stack network, written as kreuzwerker's `docker_network` Read stores a
 * bridge network that Docker (or Compose) made with one IPv4 subnet (resource_docker_network.go,
 * `resourceDockerNetworkReadRefreshFunc`): every field is ForceNew, so a difference would
 * replace the network under its co-tenants.
 * - `driver` `bridge`; `internal`, `attachable`, `ingress`, `ipv6` false: Read sets each from
 *   inspect (Compose sets none of them for a plain bridge network).
 * - `ipamDriver` `default`: the schema default, and what inspect reports.
 * - `ipamConfigs`: Read flattens IPAM.Config to subnet + gateway (ip_range and aux_address only
 *   when set); Docker fills in the gateway when Compose gives only a subnet, so the config states
 *   it as `docker network inspect` reports it.
 * - `options` and `ipamOptions` are not given: `options` is Computed (Read copies what Docker
 *   reports), and Compose sets no IPAM options.
 * Pure, so tests read it without mocks.
 */
export function stackNetworkInputs(spec: NetworkSpec, labels: StackLabels): docker.NetworkArgs {
  return {
    name: spec.name,
    driver: "bridge",
    internal: false,
    attachable: false,
    ingress: false,
    ipv6: false,
    ipamDriver: "default",
    ipamConfigs: [{ subnet: spec.subnet, gateway: spec.gateway }],
    labels: labels({ "org.onprem-infra.role": "network" }),
  };
}

/**
 * The stack's bridge network, `<name>-network`.
 *
 * Without `importId` it is created, and replaced delete-first (its fixed name and subnet would
 * collide with the replacement).
 *
 * With `importId` the existing network is adopted: the first `pulumi up` imports it (a no-op,
 * since the inputs match what Read stores) and never re-creates it, so the containers of other
 * projects attached to it keep their addresses. It is kept on `pulumi destroy`
 * (`retainOnDelete`): co-tenants still use it. `labels` is the one ignored field: Docker cannot
 * relabel a network (labels are ForceNew), and the labels Compose stamped on it
 * (`com.docker.compose.project`, `.network`, `.version`) must stay, since `docker compose up`
 * refuses a network whose `com.docker.compose.network` label differs: that is the roll-back path.
 * The house labels are still declared, so policies see them; they apply to created networks.
 */
export function stackNetwork(name: string, args: StackNetworkArgs, opts: StackChildOptions): docker.Network {
  const adopted = args.network.importId !== undefined;
  return new docker.Network(`${name}-network`, stackNetworkInputs(args.network, args.labels), {
    parent: opts.parent,
    deleteBeforeReplace: true,
    protect: args.protect ?? false,
    ...(adopted ? { import: args.network.importId, retainOnDelete: true, ignoreChanges: ["labels"] } : {}),
  });
}

export interface NamedVolumeArgs {
  /** Name and (to adopt it) import id; see `NamedVolumeSpec`. */
  volume: NamedVolumeSpec;
  /** What the volume holds, for its `org.onprem-infra.role` label, e.g. `spool`. */
  role: string;
  labels: StackLabels;
  /** Refuse `pulumi destroy` and any replacement of the volume (production). */
  protect: boolean;
}

/**
 * The provider inputs of a Docker-managed named volume (`docker volume create <name>`, or
 * Compose's top-level volume without driver options), as kreuzwerker's `docker_volume` Read
 * stores it (resource_docker_volume.go): `driver` `local`; `driverOpts` not given, since inspect
 * reports no options for such a volume and the field is not Computed. Pure.
 */
export function namedVolumeInputs(
  args: Pick<NamedVolumeArgs, "volume" | "role" | "labels">,
): docker.VolumeArgs {
  return {
    name: args.volume.name,
    driver: "local",
    labels: args.labels({ "org.onprem-infra.role": args.role }),
  };
}

/**
 * A Docker-managed named volume, `<name>-<key>-volume`: created, or adopted by import when
 * `importId` (its name) is given. Always kept on delete; protected when asked.
 *
 * A named volume cannot be changed in place, and Docker answers a create for an existing name with
 * the existing volume, untouched: a replacement would keep the old volume while the state
 * recorded the new inputs, and diff forever. So:
 * - `labels` are ignored after creation (they are ForceNew; Compose's own labels stay on an
 *   adopted volume, which `docker compose up` expects when rolling back);
 * - `name` is the only other input, and a changed name is a different volume (an empty one):
 *   the schema requires an adopted volume's `importId` to equal its `name`, and moving the data
 *   to another volume is the documented step of the take-over docs, never a silent replace.
 */
export function namedVolume(
  name: string,
  key: string,
  args: NamedVolumeArgs,
  opts: StackChildOptions,
): docker.Volume {
  const adopted = args.volume.importId !== undefined;
  return new docker.Volume(`${name}-${key}-volume`, namedVolumeInputs(args), {
    parent: opts.parent,
    retainOnDelete: true,
    protect: args.protect,
    ignoreChanges: ["labels"],
    ...(adopted ? { import: args.volume.importId } : {}),
  });
}

/** Where one data directory lives on the host: a data disk and a sub-directory of it. */
export interface HostDataDirSpec<D extends string> {
  disk: D;
  dir: string;
}

/** The host directory of a data directory: `<disk path>/<dir>`. */
export function hostDataDir<D extends string>(
  dataPaths: Readonly<Record<D, string>>,
  spec: HostDataDirSpec<D>,
): string {
  return `${dataPaths[spec.disk]}/${spec.dir}`;
}

/**
 * An existing host directory bind-mounted into a container. The program never creates it: the
 * provider sends a `bind` entry of HostConfig.Mounts, and the Docker daemon refuses to create a
 * container whose bind source is missing ("invalid mount config for type "bind": bind source path
 * does not exist", moby volume/mounts validation), unlike `-v`/Binds, which would create an
 * empty root-owned directory where the data was expected. `readOnly` is always given, as Read
 * stores it (see container.ts).
 */
export function hostDirMount(
  source: string,
  target: string,
  readOnly = false,
): docker.types.input.ContainerMount {
  return { type: "bind", source, target, readOnly };
}

/**
 * A pinned image pulled onto the Docker host, `<name>-<service>-image`, kept locally. Returns its
 * image id (not the tag, which would diff forever), for the container's `image`.
 */
export function pulledImage(
  name: string,
  service: string,
  image: string,
  opts: StackChildOptions,
): pulumi.Output<string> {
  return new docker.RemoteImage(
    `${name}-${service}-image`,
    { name: image, keepLocally: true },
    { parent: opts.parent },
  ).imageId;
}

/** An image this program builds on the Docker host for linux/amd64, never pushed. */
export interface ImageBuild {
  /** The name and tag it is built as, e.g. `onprem-infra/usermgmt:1.4.2`. */
  imageName: string;
  /** The build context. */
  context: string;
  /** The Dockerfile, relative to the context. */
  dockerfile: string;
  /** Build arguments, if any. */
  args?: Record<string, string>;
}

/**
 * An image built locally, `<name>-<service>-image`. Returns its `repoDigest`, which for a
 * local-only build is the built image id: a rebuild replaces the container.
 */
export function builtImage(
  name: string,
  service: string,
  build: ImageBuild,
  opts: StackChildOptions,
): pulumi.Output<string> {
  return new docker.Image(
    `${name}-${service}-image`,
    {
      imageName: build.imageName,
      build: {
        context: build.context,
        dockerfile: `${build.context}/${build.dockerfile}`,
        args: build.args,
        platform: "linux/amd64",
      },
      skipPush: true,
    },
    { parent: opts.parent },
  ).repoDigest;
}

/** Where a service's image comes from: a pinned reference to pull, or a local build. */
export type ImageSource = { pull: string } | { build: ImageBuild };

/** One image per service, pulled or built, in service order: the id each container runs. */
export function serviceImages<S extends string>(
  name: string,
  services: readonly S[],
  source: (service: S) => ImageSource,
  opts: StackChildOptions,
): Record<S, pulumi.Output<string>> {
  const images = {} as Record<S, pulumi.Output<string>>;
  for (const svc of services) {
    const from = source(svc);
    images[svc] =
      "build" in from ? builtImage(name, svc, from.build, opts) : pulledImage(name, svc, from.pull, opts);
  }
  return images;
}

/** What every service's config holds besides its image: limits, fixed address, published ports. */
export type StackServiceSettings = Omit<ServiceSettings, "image">;

export interface StackServicesArgs<S extends string> {
  /** The stack's own network; every container joins it at its fixed address, aliased by its service name. */
  networkName: pulumi.Input<string>;
  settings: Readonly<Record<S, StackServiceSettings>>;
  /** The image id each service runs (see `serviceImages`). */
  images: Readonly<Record<S, pulumi.Input<string>>>;
  containerName: (service: S) => string;
  /** The services each service needs healthy before it starts. */
  needs: Readonly<Record<S, readonly S[]>>;
  healthChecks: Readonly<Record<S, HealthCheckSpec>>;
  /** Seconds a service gets to stop gracefully, where not the default. */
  stopGraceSeconds: Partial<Record<S, number>>;
  labels: StackLabels;
  /** Services that rely on setuid/setgid helpers, so run without `no-new-privileges`. */
  privilegeEscalation?: ReadonlySet<S>;
}

/** One service container's specifics, which stay in the component. */
export interface ServiceSpec {
  envs?: pulumi.Input<string>[];
  command?: string[];
  /** Replaces the image's entrypoint. */
  entrypoint?: string[];
  /** The container's hostname, where not the service's name (e.g. Postfix's mail hostname). */
  hostname?: string;
  mounts?: docker.types.input.ContainerMount[];
  uploads?: pulumi.Input<docker.types.input.ContainerUpload>[];
  /** Networks the container joins besides the stack's own. */
  alsoJoins?: NetworkAttachment[];
  /** Extra `/etc/hosts` entries (Compose's `extra_hosts`), e.g. a certificate's name -> Postfix. */
  hosts?: HostEntry[];
  /** What the container waits for besides the services it needs (e.g. its database user). */
  after?: pulumi.Resource[];
}

/** The containers of a stack, by service, and the function that creates each one. */
export interface StackServices<S extends string> {
  containers: Record<S, docker.Container>;
  /** Creates `<name>-<service>`; the services it needs must have been created before. */
  create: (service: S, spec: ServiceSpec) => docker.Container;
}

/**
 * The service containers of a stack: each one `<name>-<service>`, named and limited by its
 * settings, at its fixed address on the stack's network, and depending on the containers of the
 * services it needs plus the spec's `after`.
 */
export function stackServices<S extends string>(
  name: string,
  args: StackServicesArgs<S>,
  opts: StackChildOptions,
): StackServices<S> {
  const containers = {} as Record<S, docker.Container>;
  const create = (svc: S, spec: ServiceSpec): docker.Container => {
    const settings = args.settings[svc];
    const own: NetworkAttachment = { name: args.networkName, ipv4Address: settings.ip, aliases: [svc] };
    containers[svc] = serviceContainer(
      `${name}-${svc}`,
      {
        containerName: args.containerName(svc),
        hostname: spec.hostname ?? svc,
        image: args.images[svc],
        cpus: settings.cpus,
        memory: settings.memory,
        memoryReservation: settings.memoryReservation,
        networks: [own, ...(spec.alsoJoins ?? [])],
        ports: settings.ports.map((p) => ({
          internal: p.container,
          external: p.host,
          ip: p.bind,
          protocol: p.protocol,
        })),
        envs: spec.envs === undefined ? undefined : pulumi.all(spec.envs),
        command: spec.command,
        entrypoint: spec.entrypoint,
        mounts: spec.mounts,
        uploads: spec.uploads,
        healthCheck: args.healthChecks[svc],
        labels: args.labels({ "org.onprem-infra.service": svc }),
        noNewPrivileges: !(args.privilegeEscalation?.has(svc) ?? false),
        stopGraceSeconds: args.stopGraceSeconds[svc],
        ...(spec.hosts === undefined ? {} : { hosts: spec.hosts }),
      },
      {
        parent: opts.parent,
        dependsOn: [...args.needs[svc].map((dep) => containers[dep]), ...(spec.after ?? [])],
      },
    );
    return containers[svc];
  };
  return { containers, create };
}

/** A stack's published host endpoints, `address:port -> service:port`, in service order. */
export function stackEndpoints<S extends string>(
  services: readonly S[],
  settings: Readonly<Record<S, Pick<StackServiceSettings, "ports">>>,
): string[] {
  return services.flatMap((svc) =>
    settings[svc].ports.map((p) => `${p.bind}:${p.host} -> ${svc}:${p.container}`),
  );
}

/** A stack's Docker container names, by service. */
export function stackContainerNames<S extends string>(
  services: readonly S[],
  containerName: (service: S) => string,
): Record<S, string> {
  return Object.fromEntries(services.map((svc) => [svc, containerName(svc)])) as Record<S, string>;
}
