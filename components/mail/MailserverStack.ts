/**
 * The mail server stack of ESTATE.md: nine containers on one private bridge network, each at a
 * fixed address with a stable hostname, started by their real dependencies once what they need
 * is healthy, with pinned images, limits, health checks, size-limited logs and labels; data on
 * the SSD/HDD paths in volumes Pulumi never deletes; databases and users applied inside MariaDB
 * so rotated passwords take effect.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CommonFacts } from "../common/labels";
import { databaseSql, mariadbEnv, renderRootSql, renderUserSql } from "../common/mariadb";
import { gatewayOf } from "../common/schema";
import {
  hostDataDir,
  hostDirMount,
  namedVolume,
  serviceImages,
  stackContainerNames,
  stackEndpoints,
  stackLabels,
  stackNetwork,
  stackServices,
} from "../common/stack";
import { MAIL_SERVICES, MailConfig, MailService } from "./schema";
import {
  MAIL_DB,
  MAIL_HEALTHCHECKS,
  MAIL_NEEDS,
  MAIL_PATHS,
  mailContainerName,
  NEEDS_PRIVILEGE_ESCALATION,
  postfixEnv,
  renderDovecotConf,
  renderDovecotSql,
  renderMailNginxConf,
  renderRspamdAntivirus,
  STOP_GRACE_SECONDS,
} from "./services";

export interface MailserverStackArgs {
  /** Container name prefix: `mailserver` or `mailserver-staging`. */
  containerPrefix: string;
  /** The stack's bridge network subnet, e.g. `172.20.0.0/24`. */
  subnet: string;
  mailHostname: string;
  domains: string[];
  tlsCertDir: string;
  tlsCertName: string;
  dataPaths: MailConfig["dataPaths"];
  relay: MailConfig["relay"];
  services: MailConfig["services"];
  facts: CommonFacts;
  /** The Docker host URL (the provider's `host`), for commands run against the same engine. */
  dockerHost: pulumi.Input<string>;
  /** Protect data volumes from `pulumi destroy` (production). Default false. */
  protectData?: boolean;
  dbRootPassword: pulumi.Input<string>;
  dbAppPassword: pulumi.Input<string>;
  usermgmtDbPassword: pulumi.Input<string>;
  usermgmtSecretKey: pulumi.Input<string>;
  roundcubeDesKey: pulumi.Input<string>;
  mailApiKey: pulumi.Input<string>;
  /** SendGrid API key; required exactly when `relay.authenticated`. */
  sendgridApiKey?: pulumi.Input<string>;
}

/** The mail stack's data volumes: host path root, sub-directory, in-container mount. */
const MAIL_VOLUMES = {
  db: { disk: "ssd", dir: "mysql" },
  mail: { disk: "hdd", dir: "mail" },
  rspamd: { disk: "hdd", dir: "rspamd" },
  clamav: { disk: "hdd", dir: "clamav" },
} as const;
type MailVolume = keyof typeof MAIL_VOLUMES;

export class MailserverStack extends pulumi.ComponentResource {
  /** The stack's bridge network name (other stacks join it to reach Postfix, nginx, the API). */
  readonly networkName: pulumi.Output<string>;
  /** Docker container names by service. */
  readonly containerNames: pulumi.Output<Record<MailService, string>>;
  /** Published host endpoints, `address:port -> service:port`. */
  readonly endpoints: pulumi.Output<string[]>;
  /** The mail nginx origin on the mail network (webmail, for the tunnel). */
  readonly webmailOrigin: pulumi.Output<string>;
  /** The mail API origin on the mail network (Email Worker deliveries, for the tunnel). */
  readonly apiOrigin: pulumi.Output<string>;
  /** The containers, by service. */
  readonly containers: Readonly<Record<MailService, docker.Container>>;

  constructor(name: string, args: MailserverStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem:mail:MailserverStack", name, {}, opts);

    if (args.relay.authenticated && args.sendgridApiKey === undefined) {
      throw new pulumi.ResourceError("relay.authenticated is set but no sendgridApiKey was given", this);
    }
    if (!args.relay.authenticated && args.sendgridApiKey !== undefined) {
      throw new pulumi.ResourceError(
        "a sendgridApiKey was given for an unauthenticated relay; staging must never hold relay credentials",
        this,
      );
    }

    const protectData = args.protectData ?? false;
    const labels = stackLabels(args.facts, "mail");
    const child = { parent: this };
    const containerName = (svc: MailService) => mailContainerName(args.containerPrefix, svc);

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
    // The Postfix queue, shared by postfix and dovecot: a plain local volume, kept like data.
    const spool = namedVolume(
      name,
      "spool",
      { volume: { name: `${args.containerPrefix}-spool` }, role: "spool", labels, protect: protectData },
      child,
    );

    const images = serviceImages(
      name,
      MAIL_SERVICES,
      (svc) => {
        const settings = args.services[svc];
        return "build" in settings
          ? {
              build: {
                imageName: `onprem-infra/${svc}:${settings.build.version}`,
                context: settings.build.context,
                dockerfile: settings.build.dockerfile,
              },
            }
          : { pull: settings.image };
      },
      child,
    );

    const certMount: docker.types.input.ContainerMount = {
      type: "bind",
      source: args.tlsCertDir,
      target: MAIL_PATHS.certs,
      readOnly: true,
    };
    const volumeMount = (v: MailVolume | "spool", target: string): docker.types.input.ContainerMount =>
      v === "spool"
        ? { type: "volume", source: spool.name, target }
        : hostDirMount(hostDataDir(args.dataPaths, MAIL_VOLUMES[v]), target);

    const { containers, create } = stackServices(
      name,
      {
        networkName: network.name,
        settings: args.services,
        images,
        containerName,
        needs: MAIL_NEEDS,
        healthChecks: MAIL_HEALTHCHECKS,
        stopGraceSeconds: STOP_GRACE_SECONDS,
        labels,
        privilegeEscalation: NEEDS_PRIVILEGE_ESCALATION,
      },
      child,
    );

    // Wave 0: the database and the virus scanner need nothing.
    const mariadb = create("mariadb", {
      envs: mariadbEnv(args.dbRootPassword),
      mounts: [volumeMount("db", MAIL_PATHS.mysql)],
    });
    create("clamav", { mounts: [volumeMount("clamav", MAIL_PATHS.clamav)] });

    // Inside the running database: root's password, then each application user with its grants.
    const sqlArgs = (sql: pulumi.Input<string>) => ({
      dockerHost: args.dockerHost,
      containerName: containerName("mariadb"),
      sql,
      triggers: [mariadb.id],
    });
    const dbRoot = databaseSql(
      `${name}-db-root`,
      sqlArgs(pulumi.output(args.dbRootPassword).apply(renderRootSql)),
      {
        ...child,
        dependsOn: [mariadb],
      },
    );
    const dbAppUser = databaseSql(
      `${name}-db-user-${MAIL_DB.appUser}`,
      sqlArgs(
        pulumi
          .output(args.dbAppPassword)
          .apply((pw) =>
            renderUserSql(
              { user: MAIL_DB.appUser, databases: [MAIL_DB.mailDatabase, MAIL_DB.roundcubeDatabase] },
              pw,
            ),
          ),
      ),
      { ...child, dependsOn: [mariadb, dbRoot] },
    );
    const dbUsermgmtUser = databaseSql(
      `${name}-db-user-${MAIL_DB.usermgmtUser}`,
      sqlArgs(
        pulumi
          .output(args.usermgmtDbPassword)
          .apply((pw) =>
            renderUserSql({ user: MAIL_DB.usermgmtUser, databases: [MAIL_DB.mailDatabase] }, pw),
          ),
      ),
      { ...child, dependsOn: [mariadb, dbRoot] },
    );

    create("dovecot", {
      mounts: [volumeMount("mail", MAIL_PATHS.maildir), volumeMount("spool", MAIL_PATHS.spool), certMount],
      uploads: [
        { file: "/etc/dovecot/conf.d/99-onprem.conf", content: renderDovecotConf(args.tlsCertName) },
        { file: "/etc/dovecot/dovecot-sql.conf.ext", content: renderDovecotSql(args.dbAppPassword) },
      ],
      after: [dbAppUser],
    });
    create("rspamd", {
      mounts: [volumeMount("rspamd", MAIL_PATHS.rspamd)],
      uploads: [{ file: "/etc/rspamd/local.d/antivirus.conf", content: renderRspamdAntivirus() }],
    });
    create("postfix", {
      envs: postfixEnv({
        mailHostname: args.mailHostname,
        domains: args.domains,
        relayHost: args.relay.host,
        tlsCertName: args.tlsCertName,
        relayPassword: args.relay.authenticated ? args.sendgridApiKey : undefined,
      }),
      mounts: [volumeMount("spool", MAIL_PATHS.spool), certMount],
    });
    create("roundcube", {
      envs: [
        "ROUNDCUBEMAIL_DB_TYPE=mysql",
        "ROUNDCUBEMAIL_DB_HOST=mariadb",
        `ROUNDCUBEMAIL_DB_NAME=${MAIL_DB.roundcubeDatabase}`,
        `ROUNDCUBEMAIL_DB_USER=${MAIL_DB.appUser}`,
        pulumi.secret(pulumi.interpolate`ROUNDCUBEMAIL_DB_PASSWORD=${args.dbAppPassword}`),
        pulumi.secret(pulumi.interpolate`ROUNDCUBEMAIL_DES_KEY=${args.roundcubeDesKey}`),
        "ROUNDCUBEMAIL_DEFAULT_HOST=ssl://dovecot",
        "ROUNDCUBEMAIL_DEFAULT_PORT=993",
        "ROUNDCUBEMAIL_SMTP_SERVER=tls://postfix",
        "ROUNDCUBEMAIL_SMTP_PORT=587",
      ],
      after: [dbAppUser],
    });
    create("mailserver-api", {
      envs: [
        pulumi.secret(pulumi.interpolate`MAIL_API_KEY=${args.mailApiKey}`),
        "LMTP_HOST=dovecot",
        "LMTP_PORT=2525",
        `MAIL_DOMAINS=${args.domains.join(",")}`,
      ],
    });
    create("usermgmt", {
      envs: [
        "DB_HOST=mariadb",
        `DB_NAME=${MAIL_DB.mailDatabase}`,
        `DB_USER=${MAIL_DB.usermgmtUser}`,
        pulumi.secret(pulumi.interpolate`DB_PASSWORD=${args.usermgmtDbPassword}`),
        pulumi.secret(pulumi.interpolate`SECRET_KEY=${args.usermgmtSecretKey}`),
      ],
      after: [dbUsermgmtUser],
    });
    create("nginx", {
      mounts: [certMount],
      uploads: [{ file: "/etc/nginx/conf.d/default.conf", content: renderMailNginxConf(args.tlsCertName) }],
    });

    this.containers = containers;
    this.networkName = network.name;
    this.containerNames = pulumi.output(stackContainerNames(MAIL_SERVICES, containerName));
    this.endpoints = pulumi.output(stackEndpoints(MAIL_SERVICES, args.services));
    this.webmailOrigin = pulumi.output(`http://${containerName("nginx")}:80`);
    this.apiOrigin = pulumi.output(`http://${containerName("mailserver-api")}:8080`);

    this.registerOutputs({
      networkName: this.networkName,
      containerNames: this.containerNames,
      endpoints: this.endpoints,
      webmailOrigin: this.webmailOrigin,
      apiOrigin: this.apiOrigin,
    });
  }
}
