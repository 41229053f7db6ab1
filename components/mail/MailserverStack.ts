/**
 * The mail server stack, taking over the running Compose estate (services/mailserver of
 * kuma8088/project-root-infra): nine containers on the Compose network (adopted by import, so the
 * unified-portal and the blog keep their addresses on it), each at the address and with the
 * name it has today; the Compose data directories bind-mounted as they are (never created) and
 * the Postfix spool volume adopted by name; the databases and users the applications use today;
 * every config file rendered by the program. On top: pinned images, limits, health checks that
 * gate the start order, ports bound to the tailnet address only.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
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
import { MAIL_SERVICES, MailConfig, MailService } from "./schema";
import {
  certPaths,
  DOVECOT_COMMAND,
  MAIL_DATA_DIRS,
  MAIL_HEALTHCHECKS,
  MAIL_LOG_DIRS,
  MAIL_NEEDS,
  MAIL_PATHS,
  mailContainerName,
  NEEDS_PRIVILEGE_ESCALATION,
  POSTFIX_ENTRYPOINT,
  renderClamdConf,
  renderDovecotConf,
  renderDovecotSql,
  renderMailNginxConf,
  renderPostfixMain,
  renderPostfixSasl,
  renderRoundcubeConf,
  renderRspamdAntivirus,
  renderRspamdProxy,
  STOP_GRACE_SECONDS,
} from "./services";

export type MailserverStackArgs = Omit<MailConfig, never> & {
  facts: CommonFacts;
  /** The Docker host URL (the provider's `host`), for commands run against the same engine. */
  dockerHost: pulumi.Input<string>;
  /** Protect the adopted network and the spool from `pulumi destroy` (production). Default false. */
  protectData?: boolean;
  /** MariaDB's root password (taken over: the host's backup job logs in as root). */
  dbRootPassword: pulumi.Input<string>;
  /** Roundcube's database password (taken over: the host's monitoring reads it from the Compose `.env`). */
  dbAppPassword: pulumi.Input<string>;
  /** The usermgmt database user's password (taken over: the unified-portal, Dovecot and the monitoring log in with it). */
  usermgmtDbPassword: pulumi.Input<string>;
  usermgmtSecretKey: pulumi.Input<string>;
  roundcubeDesKey: pulumi.Input<string>;
  mailApiKey: pulumi.Input<string>;
  /** SendGrid API key; required exactly when `relay.authenticated`. */
  sendgridApiKey?: pulumi.Input<string>;
};

const TZ = "TZ=Asia/Tokyo";

export class MailserverStack extends pulumi.ComponentResource {
  /** The mail network's Docker name (the blog's WordPress and cloudflared join it). */
  readonly networkName: pulumi.Output<string>;
  /** Docker container names by service. */
  readonly containerNames: pulumi.Output<Record<MailService, string>>;
  /** Published host endpoints, `address:port -> service:port`. */
  readonly endpoints: pulumi.Output<string[]>;
  /**
   * The webmail origin on the mail network, for the tunnel: nginx's HTTPS listener (its HTTP one
   * only redirects). Its certificate is issued for `certificateHostname`, the origin's TLS name.
   */
  readonly webmailOrigin: pulumi.Output<string>;
  /** The mail API origin on the mail network (Email Worker deliveries to /api/v1/inbound-mail, for the tunnel). */
  readonly apiOrigin: pulumi.Output<string>;
  /**
   * The name on the certificate: clients reach IMAPS and submission by it, and the blog's
   * WordPress maps it to `postfixAddress` (`extra_hosts`) to send through Postfix with valid TLS.
   */
  readonly certificateHostname: pulumi.Output<string>;
  /** Postfix's fixed address on the mail network. */
  readonly postfixAddress: pulumi.Output<string>;
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
    const db = args.databases;

    const network = stackNetwork(
      name,
      { network: { ...args.network, subnet: args.subnet }, labels, protect: protectData },
      child,
    );
    // The Postfix queue, shared by postfix and dovecot (Dovecot's auth and LMTP sockets live in it).
    const spool = namedVolume(
      name,
      "spool",
      { volume: args.spool, role: "spool", labels, protect: protectData },
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
                imageName: `onprem-infra/${args.containerPrefix}-${svc.replace(/^mailserver-/, "")}:${settings.build.version}`,
                context: settings.build.context,
                dockerfile: settings.build.dockerfile,
              },
            }
          : { pull: settings.image };
      },
      child,
    );

    // The certificate directory, at its host path in every container (the files keep their names).
    const certMount = hostDirMount(args.certificate.dir, args.certificate.dir, true);
    const dataMount = (key: keyof typeof MAIL_DATA_DIRS) =>
      hostDirMount(`${args.hostPaths.data}/${MAIL_DATA_DIRS[key].dir}`, MAIL_DATA_DIRS[key].target);
    const logMount = (svc: MailService): docker.types.input.ContainerMount[] => {
      const logs = MAIL_LOG_DIRS[svc];
      return logs ? [hostDirMount(`${args.hostPaths.logs}/${logs.dir}`, logs.target)] : [];
    };
    const spoolMount: docker.types.input.ContainerMount = {
      type: "volume",
      source: spool.name,
      target: MAIL_PATHS.spool,
      readOnly: false,
    };

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
      mounts: [dataMount("db")],
    });
    create("clamav", {
      envs: [TZ],
      mounts: [dataMount("clamav"), ...logMount("clamav")],
      uploads: [{ file: "/etc/clamav/clamd.conf", content: renderClamdConf() }],
    });

    // Inside the running database: root's password, then each application user with its grants.
    // The users and databases exist already; these statements only add what is missing and set
    // the password the config holds (the running one, taken over).
    const sqlArgs = (sql: pulumi.Input<string>) => ({
      dockerHost: args.dockerHost,
      containerName: containerName("mariadb"),
      sql,
      triggers: [mariadb.id],
    });
    const dbRoot = databaseSql(
      `${name}-db-root`,
      sqlArgs(pulumi.output(args.dbRootPassword).apply(renderRootSql)),
      { ...child, dependsOn: [mariadb] },
    );
    const dbRoundcubeUser = databaseSql(
      `${name}-db-user-${db.roundcubeUser}`,
      sqlArgs(
        pulumi
          .output(args.dbAppPassword)
          .apply((pw) => renderUserSql({ user: db.roundcubeUser, databases: [db.roundcube] }, pw)),
      ),
      { ...child, dependsOn: [mariadb, dbRoot] },
    );
    const dbUsermgmtUser = databaseSql(
      `${name}-db-user-${db.usermgmtUser}`,
      sqlArgs(
        pulumi
          .output(args.usermgmtDbPassword)
          .apply((pw) =>
            renderUserSql({ user: db.usermgmtUser, databases: [db.usermgmt, ...db.usermgmtAlso] }, pw),
          ),
      ),
      { ...child, dependsOn: [mariadb, dbRoot] },
    );

    create("dovecot", {
      command: [...DOVECOT_COMMAND],
      envs: [TZ],
      mounts: [
        dataMount("mail"),
        spoolMount,
        certMount,
        hostDirMount(`${args.hostPaths.config}/dovecot/users`, MAIL_PATHS.dovecotUsers, true),
        ...logMount("dovecot"),
      ],
      uploads: [
        { file: MAIL_PATHS.dovecotConf, content: renderDovecotConf(args.certificate) },
        { file: MAIL_PATHS.dovecotSql, content: renderDovecotSql(db, args.usermgmtDbPassword) },
      ],
      after: [dbUsermgmtUser],
    });
    create("rspamd", {
      envs: [TZ],
      mounts: [dataMount("rspamd"), ...logMount("rspamd")],
      uploads: [
        { file: "/etc/rspamd/override.d/worker-proxy.inc", content: renderRspamdProxy() },
        { file: "/etc/rspamd/local.d/antivirus.conf", content: renderRspamdAntivirus() },
      ],
    });
    const postfixUploads: pulumi.Input<docker.types.input.ContainerUpload>[] = [
      {
        file: MAIL_PATHS.postfixMain,
        content: renderPostfixMain({
          mailHostname: args.mailHostname,
          mailDomain: args.mailDomain,
          domains: [...args.domains, ...args.localOnlyDomains],
          subnet: args.subnet,
          relayHost: args.relay.host,
          relayAuthenticated: args.relay.authenticated,
          messageSizeLimit: args.messageSizeLimit,
          certificate: args.certificate,
        }),
      },
    ];
    if (args.sendgridApiKey !== undefined) {
      postfixUploads.push({
        file: MAIL_PATHS.postfixSasl,
        content: renderPostfixSasl(args.relay.host, args.sendgridApiKey),
      });
    }
    create("postfix", {
      hostname: args.mailHostname,
      entrypoint: [...POSTFIX_ENTRYPOINT],
      envs: [TZ],
      mounts: [spoolMount, certMount, ...logMount("postfix")],
      uploads: postfixUploads,
    });
    const uploadMb = `${Math.floor(args.messageSizeLimit / 1048576)}M`;
    create("roundcube", {
      envs: [
        "ROUNDCUBEMAIL_DB_TYPE=mysql",
        "ROUNDCUBEMAIL_DB_HOST=mariadb",
        `ROUNDCUBEMAIL_DB_NAME=${db.roundcube}`,
        `ROUNDCUBEMAIL_DB_USER=${db.roundcubeUser}`,
        pulumi.secret(pulumi.interpolate`ROUNDCUBEMAIL_DB_PASSWORD=${args.dbAppPassword}`),
        `ROUNDCUBEMAIL_DEFAULT_HOST=ssl://${args.certificate.hostname}`,
        `ROUNDCUBEMAIL_DEFAULT_PORT=${args.roundcube.imapPort}`,
        `ROUNDCUBEMAIL_SMTP_SERVER=tls://${args.certificate.hostname}`,
        `ROUNDCUBEMAIL_SMTP_PORT=${args.roundcube.smtpPort}`,
        "ROUNDCUBEMAIL_SMTP_USER=",
        "ROUNDCUBEMAIL_SMTP_PASS=",
        `ROUNDCUBEMAIL_UPLOAD_MAX_FILESIZE=${uploadMb}`,
        pulumi.secret(pulumi.interpolate`ROUNDCUBEMAIL_DES_KEY=${args.roundcubeDesKey}`),
        TZ,
      ],
      mounts: logMount("roundcube"),
      uploads: [{ file: "/var/roundcube/config/zz-onprem.inc.php", content: renderRoundcubeConf() }],
      after: [dbRoundcubeUser],
    });
    create("mailserver-api", {
      envs: [
        pulumi.secret(pulumi.interpolate`API_KEY=${args.mailApiKey}`),
        "LMTP_HOST=dovecot",
        "LMTP_PORT=2525",
        TZ,
      ],
      mounts: logMount("mailserver-api"),
    });
    create("usermgmt", {
      envs: [
        "DB_HOST=mariadb",
        "DB_PORT=3306",
        `DB_NAME=${db.usermgmt}`,
        `DB_USER=${db.usermgmtUser}`,
        pulumi.secret(pulumi.interpolate`DB_PASSWORD=${args.usermgmtDbPassword}`),
        pulumi.secret(pulumi.interpolate`SECRET_KEY=${args.usermgmtSecretKey}`),
        "FLASK_ENV=production",
        TZ,
      ],
      mounts: logMount("usermgmt"),
      after: [dbUsermgmtUser],
    });
    create("nginx", {
      envs: [TZ],
      mounts: [certMount, ...logMount("nginx")],
      uploads: [
        {
          file: "/etc/nginx/conf.d/default.conf",
          content: renderMailNginxConf({
            mailHostname: args.mailHostname,
            adminHostname: args.adminHostname,
            adminAllowedCidr: args.adminAllowedCidr,
            messageSizeLimit: args.messageSizeLimit,
            certificate: args.certificate,
          }),
        },
      ],
    });

    this.containers = containers;
    this.networkName = network.name;
    this.containerNames = pulumi.output(stackContainerNames(MAIL_SERVICES, containerName));
    this.endpoints = pulumi.output(stackEndpoints(MAIL_SERVICES, args.services));
    this.webmailOrigin = pulumi.output(`https://${containerName("nginx")}:443`);
    this.apiOrigin = pulumi.output(`http://${containerName("mailserver-api")}:8080`);
    this.certificateHostname = pulumi.output(args.certificate.hostname);
    this.postfixAddress = pulumi.output(args.services.postfix.ip);

    this.registerOutputs({
      networkName: this.networkName,
      containerNames: this.containerNames,
      endpoints: this.endpoints,
      webmailOrigin: this.webmailOrigin,
      apiOrigin: this.apiOrigin,
      certificateHostname: this.certificateHostname,
      postfixAddress: this.postfixAddress,
    });
  }
}

/** The certificate files every TLS-serving container reads (for the docs and the tests). */
export { certPaths };
