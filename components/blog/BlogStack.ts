/**
 * The blog stack of ESTATE.md: five containers (mariadb, redis, wordpress, nginx, cloudflared)
 * on the stack's own bridge network, each at a fixed address, started by their real needs once
 * what they need is healthy; wordpress and cloudflared also join the mail network. Every
 * WordPress site of the config gets its database and user (applied inside the running MariaDB,
 * so it also works on an existing data directory and a rotated password takes effect), its
 * files when missing, and its nginx virtual host.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NetworkAttachment } from "../common/container";
import { CommonFacts } from "../common/labels";
import { databaseSql, mariadbEnv, renderRootSql, renderUserSql } from "../common/mariadb";
import {
  hostDataDir,
  hostDirMount,
  serviceImages,
  stackContainerNames,
  stackEndpoints,
  stackLabels,
  stackNetwork,
  stackServices,
} from "../common/stack";
import { gatewayOf } from "../common/schema";
import { memoryToMb } from "../common/units";
import {
  BLOG_SERVICES,
  BlogConfig,
  BlogService,
  BlogSite,
  blogHostnames,
  redisSizeToMb,
  siteConflicts,
} from "./schema";
import {
  BLOG_HEALTHCHECKS,
  BLOG_NEEDS,
  BLOG_STOP_GRACE_SECONDS,
  BLOG_VOLUMES,
  BlogVolume,
  blogContainerName,
  blogNginxOrigin,
  cloudflaredCommand,
  mariadbCommand,
  redisCommand,
  renderNginxBaseConf,
  renderNginxSite,
  renderSiteFilesScript,
  siteConfFile,
  WORDPRESS_BUILD_CONTEXT,
  wordpressEnv,
  wordpressImageName,
} from "./services";

export interface BlogStackArgs {
  /** Container name prefix: `blog` or `blog-staging`. */
  containerPrefix: string;
  /** The stack's bridge network subnet, e.g. `172.22.0.0/24`. */
  subnet: string;
  dataPaths: BlogConfig["dataPaths"];
  services: BlogConfig["services"];
  /** The WordPress sites. */
  sites: BlogSite[];
  facts: CommonFacts;
  /** The Docker host URL (the provider's `host`), for commands run against the same engine. */
  dockerHost: pulumi.Input<string>;
  /** The mail stack's network (MailserverStack.networkName): wordpress sends through Postfix, cloudflared reaches webmail and the API. */
  mailNetworkName: pulumi.Input<string>;
  /** Protect data volumes from `pulumi destroy` (production). Default false. */
  protectData?: boolean;
  /** The blog MariaDB root password. */
  dbRootPassword: pulumi.Input<string>;
  /** Each site's database password, by site name (exactly the sites above). */
  sitePasswords: Readonly<Record<string, pulumi.Input<string>>>;
  /** The tunnel token cloudflared runs with (Tunnel.token). */
  tunnelToken: pulumi.Input<string>;
  /** What cloudflared also waits for: the tunnel's remote configuration (Tunnel.ingressConfig). */
  tunnelResources?: pulumi.Resource[];
}

export class BlogStack extends pulumi.ComponentResource {
  /** The stack's bridge network name. */
  readonly networkName: pulumi.Output<string>;
  /** Docker container names by service. */
  readonly containerNames: pulumi.Output<Record<BlogService, string>>;
  /** Published host endpoints, `address:port -> service:port`. */
  readonly endpoints: pulumi.Output<string[]>;
  /** The blog nginx as cloudflared reaches it, e.g. `http://blog-nginx:80`. */
  readonly nginxOrigin: pulumi.Output<string>;
  /** Every public hostname the sites answer to, in site order. */
  readonly hostnames: pulumi.Output<string[]>;
  /** The containers, by service. */
  readonly containers: Readonly<Record<BlogService, docker.Container>>;

  constructor(name: string, args: BlogStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem:blog:BlogStack", name, {}, opts);

    const siteNames = args.sites.map((s) => s.name);
    if (args.sites.length === 0) {
      throw new pulumi.ResourceError("at least one site is required", this);
    }
    // Two sites on one name, database, hostname or document root would overwrite each other.
    const conflicts = siteConflicts(args.sites);
    if (conflicts.length > 0) {
      throw new pulumi.ResourceError(conflicts.join("; "), this);
    }
    const redis = args.services.redis;
    if (redisSizeToMb(redis.maxMemory) > memoryToMb(redis.memory)) {
      throw new pulumi.ResourceError(
        `redis maxMemory ${redis.maxMemory} is more than its container's memory limit ${redis.memory}`,
        this,
      );
    }
    for (const svc of BLOG_SERVICES) {
      const { memory, memoryReservation } = args.services[svc];
      if (memoryReservation !== undefined && memoryToMb(memoryReservation) > memoryToMb(memory)) {
        throw new pulumi.ResourceError(
          `${svc}'s memory reservation ${memoryReservation} is more than its limit ${memory}`,
          this,
        );
      }
    }
    const missing = siteNames.filter((s) => args.sitePasswords[s] === undefined);
    const extra = Object.keys(args.sitePasswords).filter((s) => !siteNames.includes(s));
    if (missing.length > 0 || extra.length > 0) {
      throw new pulumi.ResourceError(
        `sitePasswords must hold exactly the sites' passwords (missing: ${missing.join(", ") || "none"}; unknown: ${extra.join(", ") || "none"})`,
        this,
      );
    }

    const labels = stackLabels(args.facts, "blog");
    const child = { parent: this };
    const containerName = (svc: BlogService) => blogContainerName(args.containerPrefix, svc);

    const network = stackNetwork(
      name,
      {
        network: {
          name: `${args.containerPrefix}-network`,
          subnet: args.subnet,
          gateway: gatewayOf(args.subnet),
        },
        labels,
      },
      child,
    );
    // The data directories are bind-mounted as they are on the host; the program never creates them.
    const volumeMount = (v: BlogVolume, readOnly = false): docker.types.input.ContainerMount =>
      hostDirMount(hostDataDir(args.dataPaths, BLOG_VOLUMES[v]), BLOG_VOLUMES[v].target, readOnly);

    const images = serviceImages(
      name,
      BLOG_SERVICES,
      (svc) =>
        svc === "wordpress"
          ? {
              build: {
                imageName: wordpressImageName(args.containerPrefix, args.services.wordpress.build.version),
                context: WORDPRESS_BUILD_CONTEXT,
                dockerfile: "Dockerfile",
                args: { WORDPRESS_BASE: args.services.wordpress.build.baseImage },
              },
            }
          : { pull: args.services[svc].image },
      child,
    );

    // wordpress sends through Postfix; cloudflared reaches webmail and the mail API.
    const mailNetwork = (svc: BlogService): NetworkAttachment => ({
      name: args.mailNetworkName,
      aliases: [containerName(svc)],
    });
    const { containers, create } = stackServices(
      name,
      {
        networkName: network.name,
        settings: args.services,
        images,
        containerName,
        needs: BLOG_NEEDS,
        healthChecks: BLOG_HEALTHCHECKS,
        stopGraceSeconds: BLOG_STOP_GRACE_SECONDS,
        labels,
      },
      child,
    );

    // Wave 0: the database and the cache need nothing.
    const mariadb = create("mariadb", {
      envs: mariadbEnv(args.dbRootPassword),
      command: mariadbCommand(),
      mounts: [volumeMount("db")],
    });
    create("redis", { command: redisCommand(args.services.redis.maxMemory), mounts: [volumeMount("redis")] });

    // Inside the running database: root's password, then one database and user per site.
    const sqlArgs = (sql: pulumi.Input<string>) => ({
      dockerHost: args.dockerHost,
      containerName: containerName("mariadb"),
      sql,
      triggers: [mariadb.id],
    });
    databaseSql(`${name}-db-root`, sqlArgs(pulumi.output(args.dbRootPassword).apply(renderRootSql)), {
      ...child,
      dependsOn: [mariadb],
    });
    const siteDbs = args.sites.map((site) =>
      databaseSql(
        `${name}-site-${site.name}-db`,
        sqlArgs(
          pulumi
            .output(args.sitePasswords[site.name])
            .apply((pw) => renderUserSql({ user: site.database, databases: [site.database] }, pw)),
        ),
        { ...child, dependsOn: [mariadb] },
      ),
    );

    // Every site's password must be in the database before WordPress starts with it.
    const wordpress = create("wordpress", {
      envs: wordpressEnv(args.containerPrefix, args.sites, args.sitePasswords),
      mounts: [volumeMount("sites")],
      alsoJoins: [mailNetwork("wordpress")],
      after: siteDbs,
    });

    // A new site's files (document root, WordPress core, wp-config.php), only where missing.
    for (const site of args.sites) {
      new command.local.Command(
        `${name}-site-${site.name}-files`,
        {
          create: `docker exec -i ${containerName("wordpress")} sh -s`,
          stdin: renderSiteFilesScript(site),
          environment: { DOCKER_HOST: args.dockerHost },
          logging: "stderr",
        },
        { ...child, dependsOn: [wordpress] },
      );
    }

    create("nginx", {
      mounts: [volumeMount("sites", true)],
      uploads: [
        {
          file: "/etc/nginx/conf.d/default.conf",
          content: renderNginxBaseConf(args.services.cloudflared.ip),
        },
        ...args.sites.map((site) => ({ file: siteConfFile(site.name), content: renderNginxSite(site) })),
      ],
    });

    create("cloudflared", {
      envs: [pulumi.secret(pulumi.interpolate`TUNNEL_TOKEN=${args.tunnelToken}`)],
      command: cloudflaredCommand(),
      alsoJoins: [mailNetwork("cloudflared")],
      after: args.tunnelResources,
    });

    this.containers = containers;
    this.networkName = network.name;
    this.containerNames = pulumi.output(stackContainerNames(BLOG_SERVICES, containerName));
    this.endpoints = pulumi.output(stackEndpoints(BLOG_SERVICES, args.services));
    this.nginxOrigin = pulumi.output(blogNginxOrigin(args.containerPrefix));
    this.hostnames = pulumi.output(blogHostnames(args.sites));

    this.registerOutputs({
      networkName: this.networkName,
      containerNames: this.containerNames,
      endpoints: this.endpoints,
      nginxOrigin: this.nginxOrigin,
      hostnames: this.hostnames,
    });
  }
}
