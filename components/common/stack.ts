/**
 * The mechanisms every container stack (mail, blog) is made of, so each component keeps only its
 * own services' specifics (environment, mounts, uploads, extra dependencies):
 * - the stack's labels (the common facts plus the stack's name),
 * - its own bridge network with a fixed subnet and gateway,
 * - bind-backed data volumes on the host's data disks, whose host directories are created first,
 * - one image per service, pulled by a pinned reference or built locally,
 * - the service containers, on the stack's network at their fixed addresses, started after the
 *   services they need.
 *
 * Every resource is named after the component (`<name>-network`, `<name>-data-dirs`,
 * `<name>-<volume>-volume`, `<name>-<service>-image`, `<name>-<service>`) and parented to it:
 * these names are part of the resources' URNs, so changing them would replace live resources.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NetworkAttachment, serviceContainer } from "./container";
import { CommonFacts, dockerLabels } from "./labels";
import { gatewayOf, ServiceSettings } from "./schema";
import { HealthCheckSpec } from "./startup";

/** Pinned helper image used once to create the bind volumes' host directories. */
export const DIRECTORY_HELPER_IMAGE = "busybox:1.36.1";

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
  /** The stack's container name prefix; the network is `<prefix>-network`. */
  containerPrefix: string;
  /** The network's subnet, e.g. `172.20.0.0/24`; its first address is the gateway. */
  subnet: string;
  labels: StackLabels;
}

/**
 * The stack's own bridge network, `<name>-network`. Replaced delete-first: its fixed name and
 * subnet would collide with the replacement.
 */
export function stackNetwork(name: string, args: StackNetworkArgs, opts: StackChildOptions): docker.Network {
  return new docker.Network(
    `${name}-network`,
    {
      name: `${args.containerPrefix}-network`,
      driver: "bridge",
      ipamConfigs: [{ subnet: args.subnet, gateway: gatewayOf(args.subnet) }],
      labels: args.labels({ "org.onprem-infra.role": "network" }),
    },
    { parent: opts.parent, deleteBeforeReplace: true },
  );
}

/** Where one data volume lives on the host: a data disk and a sub-directory of it. */
export interface BindVolumeSpec<D extends string> {
  disk: D;
  dir: string;
}

export interface BindVolumesArgs<V extends string, D extends string> {
  /** The stack's container name prefix; each volume is `<prefix>-<volume>`. */
  containerPrefix: string;
  /** The volumes, by key, in the order their host directories are created. */
  volumes: Readonly<Record<V, BindVolumeSpec<D>>>;
  /** The host path of each data disk, e.g. `{ ssd: "/var/lib/onprem/ssd/mailserver", ... }`. */
  dataPaths: Readonly<Record<D, string>>;
  /** The Docker host URL, to create the directories on the same engine. */
  dockerHost: pulumi.Input<string>;
  labels: StackLabels;
  /** Protect the volumes from `pulumi destroy`. */
  protect: boolean;
}

/** The host directory of a bind volume: `<disk path>/<dir>`. */
export function bindVolumeHostDir<D extends string>(
  dataPaths: Readonly<Record<D, string>>,
  spec: BindVolumeSpec<D>,
): string {
  return `${dataPaths[spec.disk]}/${spec.dir}`;
}

/**
 * Bind-backed local volumes, `<name>-<volume>-volume`, kept on delete (and protected when asked).
 * A bind volume needs its host directory, which `docker run -v` creates: the `<name>-data-dirs`
 * command runs the pinned helper image once with every directory mounted, before any volume.
 */
export function bindVolumes<V extends string, D extends string>(
  name: string,
  args: BindVolumesArgs<V, D>,
  opts: StackChildOptions,
): Record<V, docker.Volume> {
  const keys = Object.keys(args.volumes) as V[];
  const hostDir = (v: V) => bindVolumeHostDir(args.dataPaths, args.volumes[v]);
  const hostDirs = keys.map(hostDir);
  const dataDirs = new command.local.Command(
    `${name}-data-dirs`,
    {
      create: `docker run --rm ${hostDirs.map((d, i) => `-v ${d}:/d${i}`).join(" ")} ${DIRECTORY_HELPER_IMAGE} true`,
      environment: { DOCKER_HOST: args.dockerHost },
      triggers: hostDirs,
    },
    { parent: opts.parent },
  );
  const volumes = {} as Record<V, docker.Volume>;
  for (const v of keys) {
    volumes[v] = new docker.Volume(
      `${name}-${v}-volume`,
      {
        name: `${args.containerPrefix}-${v}`,
        driver: "local",
        driverOpts: { type: "none", o: "bind", device: hostDir(v) },
        labels: args.labels({ "org.onprem-infra.role": "data" }),
      },
      { parent: opts.parent, dependsOn: [dataDirs], retainOnDelete: true, protect: args.protect },
    );
  }
  return volumes;
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
  mounts?: docker.types.input.ContainerMount[];
  uploads?: pulumi.Input<docker.types.input.ContainerUpload>[];
  /** Networks the container joins besides the stack's own. */
  alsoJoins?: NetworkAttachment[];
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
        hostname: svc,
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
        mounts: spec.mounts,
        uploads: spec.uploads,
        healthCheck: args.healthChecks[svc],
        labels: args.labels({ "org.onprem-infra.service": svc }),
        noNewPrivileges: !(args.privilegeEscalation?.has(svc) ?? false),
        stopGraceSeconds: args.stopGraceSeconds[svc],
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
