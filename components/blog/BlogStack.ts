/**
 * The blog stack, taking over the running Compose project `blog`: five containers (mariadb,
 * redis, wordpress, nginx, cloudflared) on the adopted `blog_blog_network` at their fixed
 * addresses, started by their real needs once what they need is healthy; wordpress and
 * cloudflared also join the mail network, and wordpress reaches Postfix by the certificate's name
 * (`extra_hosts`). The data stays where it is: the sites' host directory bind-mounted as Compose
 * binds it, the database, Redis and log volumes adopted by name.
 *
 * Sites by kind: every site with hosts gets its nginx file; a taken-over WordPress site is served
 * as it is (its wp-config.php logs in as the shared `wordpress` user, whose running password the
 * program sets again inside MariaDB); a new WordPress site gets its database and user, its files
 * and a WP-CLI installation with a generated administrator password, and nginx serves it only
 * after that installation has succeeded, so it is never an open installer.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NetworkAttachment } from "../common/container";
import { CommonFacts } from "../common/labels";
import { databaseSql, mariadbEnv, renderRootSql, renderUserSql } from "../common/mariadb";
import {
  hostDirMount,
  namedVolume,
  serviceImages,
  stackContainerNames,
  stackEndpoints,
  stackLabels,
  stackNetwork,
  stackServices,
} from "../common/stack";
import { memoryToMb } from "../common/units";
import {
  BLOG_SERVICES,
  BlogConfig,
  BlogService,
  BlogSite,
  blogHostnames,
  databaseSites,
  hasHosts,
  isNewWordPress,
  redisSizeToMb,
  siteConflicts,
  WordPressSite,
} from "./schema";
import {
  BLOG_HEALTHCHECKS,
  BLOG_NEEDS,
  BLOG_PATHS,
  BLOG_STOP_GRACE_SECONDS,
  blogContainerName,
  blogNginxOrigin,
  cloudflaredCommand,
  DEFAULT_SERVER_FILE,
  mariadbCommand,
  redisCommand,
  renderDefaultServer,
  renderInstallScript,
  renderMariadbConf,
  renderNginxConf,
  renderSiteConf,
  renderSsmtpConf,
  SHARED_DB_USER,
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
  /** The network's name, gateway and (to adopt the Compose-made one) id. */
  network: BlogConfig["network"];
  /** The sites' host directory and the named volumes. */
  data: BlogConfig["data"];
  services: BlogConfig["services"];
  /** Every site, of every kind. */
  sites: BlogSite[];
  facts: CommonFacts;
  /** The Docker host URL (the provider's `host`), for commands run against the same engine. */
  dockerHost: pulumi.Input<string>;
  /** The mail stack's network (MailserverStack.networkName): wordpress sends through Postfix, cloudflared reaches the mail API. */
  mailNetworkName: pulumi.Input<string>;
  /** The name on the mail certificate (MailserverStack.certificateHostname): sendmail and WP Mail SMTP connect to it. */
  mailHostname: string;
  /** Postfix's fixed address (MailserverStack.postfixAddress), which `mailHostname` resolves to in wordpress. */
  postfixAddress: string;
  /** Protect the network and the data volumes from `pulumi destroy` (production). Default false. */
  protectData?: boolean;
  /** The blog MariaDB root password (taken over). */
  dbRootPassword: pulumi.Input<string>;
  /** The shared `wordpress` user's password (taken over): every taken-over wp-config.php uses it. */
  sharedDbPassword: pulumi.Input<string>;
  /** Each new WordPress site's database password, by site name (exactly the new sites). */
  sitePasswords: Readonly<Record<string, pulumi.Input<string>>>;
  /** Each new WordPress site's administrator password, by site name (exactly the new sites). */
  siteAdminPasswords: Readonly<Record<string, pulumi.Input<string>>>;
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
  /** The new sites nginx serves, each once its installation has succeeded. */
  readonly installedSites: pulumi.Output<string[]>;
  /** The containers, by service. */
  readonly containers: Readonly<Record<BlogService, docker.Container>>;

  constructor(name: string, args: BlogStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem:blog:BlogStack", name, {}, opts);

    // Two sites on one name, database, hostname, path or document root would overwrite each other.
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
    const newSites = args.sites.filter(isNewWordPress);
    const newNames = newSites.map((s) => s.name);
    for (const [key, passwords] of [
      ["sitePasswords", args.sitePasswords],
      ["siteAdminPasswords", args.siteAdminPasswords],
    ] as const) {
      const missing = newNames.filter((s) => passwords[s] === undefined);
      const extra = Object.keys(passwords).filter((s) => !newNames.includes(s));
      if (missing.length > 0 || extra.length > 0) {
        throw new pulumi.ResourceError(
          `${key} must hold exactly the new WordPress sites' passwords (missing: ${missing.join(", ") || "none"}; unknown: ${extra.join(", ") || "none"})`,
          this,
        );
      }
    }

    const protectData = args.protectData ?? false;
    const labels = stackLabels(args.facts, "blog");
    const child = { parent: this };
    const containerName = (svc: BlogService) => blogContainerName(args.containerPrefix, svc);

    const network = stackNetwork(
      name,
      { network: { ...args.network, subnet: args.subnet }, labels, protect: protectData },
      child,
    );
    const volume = (key: "db" | "redis" | "logs", role: string) =>
      namedVolume(name, key, { volume: args.data[key], role, labels, protect: protectData }, child);
    const volumes = {
      db: volume("db", "database"),
      redis: volume("redis", "cache"),
      logs: volume("logs", "logs"),
    };
    const volumeMount = (key: keyof typeof volumes, target: string): docker.types.input.ContainerMount => ({
      type: "volume",
      source: volumes[key].name,
      target,
      readOnly: false,
    });
    // The sites' directory as Compose binds it: never created, so a wrong path stops the container.
    const sitesMount = (readOnly: boolean) => hostDirMount(args.data.sites, BLOG_PATHS.sites, readOnly);

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

    // wordpress sends through Postfix; cloudflared reaches the mail API (and webmail, where routed).
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
      mounts: [volumeMount("db", BLOG_PATHS.mysql), volumeMount("logs", BLOG_PATHS.mysqlLogs)],
      uploads: [{ file: BLOG_PATHS.mariadbConf, content: renderMariadbConf() }],
    });
    create("redis", {
      command: redisCommand(args.services.redis.maxMemory),
      mounts: [volumeMount("redis", BLOG_PATHS.redis)],
    });

    // Inside the running database: root's password, the shared user of the taken-over sites (its
    // running password, set again), then one database and user per new site.
    const sqlArgs = (sql: pulumi.Input<string>) => ({
      dockerHost: args.dockerHost,
      containerName: containerName("mariadb"),
      sql,
      triggers: [mariadb.id],
    });
    const dbOpts = { ...child, dependsOn: [mariadb] };
    databaseSql(`${name}-db-root`, sqlArgs(pulumi.output(args.dbRootPassword).apply(renderRootSql)), dbOpts);
    const takenOverDbs = databaseSites(args.sites)
      .filter((s) => s.takenOver === true)
      .map((s) => s.database);
    const dbUsers = [
      ...(takenOverDbs.length > 0
        ? [
            databaseSql(
              `${name}-db-shared-user`,
              sqlArgs(
                pulumi.output(args.sharedDbPassword).apply((pw) =>
                  renderUserSql({ user: SHARED_DB_USER, databases: takenOverDbs }, pw, {
                    createDatabases: false,
                  }),
                ),
              ),
              dbOpts,
            ),
          ]
        : []),
      ...newSites.map((site) =>
        databaseSql(
          `${name}-site-${site.name}-db`,
          sqlArgs(
            pulumi
              .output(args.sitePasswords[site.name])
              .apply((pw) => renderUserSql({ user: site.database, databases: [site.database] }, pw)),
          ),
          dbOpts,
        ),
      ),
    ];

    // Every password must be in the database before WordPress starts with it.
    const wordpress = create("wordpress", {
      envs: wordpressEnv({
        prefix: args.containerPrefix,
        sharedPassword: args.sharedDbPassword,
        newSites,
        passwords: args.sitePasswords,
      }),
      mounts: [sitesMount(false), volumeMount("logs", BLOG_PATHS.phpLogs)],
      uploads: [{ file: BLOG_PATHS.ssmtpConf, content: renderSsmtpConf(args.mailHostname) }],
      alsoJoins: [mailNetwork("wordpress")],
      hosts: [{ host: args.mailHostname, ip: args.postfixAddress }],
      after: dbUsers,
    });

    // A new site: its files and WP-CLI installation (only what is missing; a rotated admin
    // password is set again). nginx gets the site's file only from the install's success. No
    // trigger on the wordpress container: the install lives on the sites directory and in the
    // database, so a rebuilt WordPress image neither re-runs it nor restarts nginx.
    const installs = new Map<string, command.local.Command>();
    for (const site of newSites) {
      installs.set(
        site.name,
        new command.local.Command(
          `${name}-site-${site.name}-install`,
          {
            create: `docker exec -i ${containerName("wordpress")} sh -s`,
            stdin: pulumi.secret(
              pulumi.output(args.siteAdminPasswords[site.name]).apply((pw) => renderInstallScript(site, pw)),
            ),
            environment: { DOCKER_HOST: args.dockerHost },
            logging: "stderr",
          },
          { ...child, dependsOn: [wordpress], additionalSecretOutputs: ["stdin"] },
        ),
      );
    }
    const siteUpload = (site: Exclude<BlogSite, { kind: "subdirectory" }>) => {
      const content = renderSiteConf(site, args.sites);
      const install = installs.get(site.name);
      return {
        file: siteConfFile(site.name),
        content: install === undefined ? content : install.stdout.apply(() => content),
      };
    };

    create("nginx", {
      mounts: [sitesMount(true), volumeMount("logs", BLOG_PATHS.nginxLogs)],
      uploads: [
        { file: BLOG_PATHS.nginxConf, content: renderNginxConf(args.services.cloudflared.ip) },
        { file: DEFAULT_SERVER_FILE, content: renderDefaultServer() },
        ...args.sites.filter(hasHosts).map(siteUpload),
      ],
      after: [...installs.values()],
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
    this.installedSites = pulumi.output(newSites.map((s: WordPressSite) => s.name));

    this.registerOutputs({
      networkName: this.networkName,
      containerNames: this.containerNames,
      endpoints: this.endpoints,
      nginxOrigin: this.nginxOrigin,
      hostnames: this.hostnames,
      installedSites: this.installedSites,
    });
  }
}
