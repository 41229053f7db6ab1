/**
 * Databases and users inside a running MariaDB container, applied idempotently and again
 * whenever a password changes, so that a rotated password takes effect in the database itself
 * (the MariaDB image reads its password variables only when it initialises an empty data
 * directory) and an existing data directory gets every database and user it should have.
 *
 * Mechanism: `@pulumi/command`'s `local.Command` runs `docker exec -i <container> mariadb` against
 * the same Docker host as the provider (`DOCKER_HOST`), as the container's OS root, which
 * MariaDB's official image authenticates over the unix socket (`root@localhost` is
 * `mysql_native_password OR unix_socket`): no password on any command line, no published
 * database port needed, and the root password itself can be rotated. The SQL, which carries the
 * new passwords, goes in on stdin as a secret.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

/** MariaDB identifiers this program creates: letters, digits, underscore; at most 64 (db) / 80 (user). */
export const DB_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * The only non-alphanumeric password characters: they survive SQL string literals, shells (no
 * `~` expansion), DSN/URL user-info (no `+`-as-space decoding) and env files unquoted.
 */
export const SAFE_PASSWORD_SPECIALS = "-_";

function quoteLiteral(value: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) {
    // Generated passwords never contain these; refuse rather than escape.
    throw new Error("password contains characters outside [A-Za-z0-9_-]");
  }
  return `'${value}'`;
}

function identifier(name: string): string {
  if (!DB_IDENTIFIER.test(name)) {
    throw new Error(`not a safe MariaDB identifier: ${name}`);
  }
  return name;
}

/** One application user with full rights on its own databases. */
export interface DatabaseUserSpec {
  user: string;
  databases: string[];
}

/**
 * SQL that makes each database and user exist with exactly this password and these grants.
 * Safe to run any number of times, on a fresh or an existing data directory. With
 * `createDatabases: false` the databases are only granted, never created (a taken-over user's
 * databases exist already, and a misnamed one must not appear empty).
 */
export function renderUserSql(
  spec: DatabaseUserSpec,
  password: string,
  { createDatabases = true }: { createDatabases?: boolean } = {},
): string {
  const user = `'${identifier(spec.user)}'@'%'`;
  const lines = [
    ...(createDatabases ? spec.databases : []).map(
      (db) =>
        `CREATE DATABASE IF NOT EXISTS \`${identifier(db)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
    ),
    `CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY ${quoteLiteral(password)};`,
    `ALTER USER ${user} IDENTIFIED BY ${quoteLiteral(password)};`,
    ...spec.databases.map((db) => `GRANT ALL PRIVILEGES ON \`${identifier(db)}\`.* TO ${user};`),
    "FLUSH PRIVILEGES;",
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * SQL that sets the root password for TCP logins while keeping unix-socket login for the
 * container's own root (which health checks and this program's commands use).
 */
export function renderRootSql(password: string): string {
  const pw = quoteLiteral(password);
  return [
    `ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(${pw}) OR unix_socket;`,
    `CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY ${pw};`,
    `ALTER USER 'root'@'%' IDENTIFIED BY ${pw};`,
    "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;",
    "FLUSH PRIVILEGES;",
    "",
  ].join("\n");
}

/**
 * The MariaDB container's environment: the root password (read only when the image initialises an
 * empty data directory; rotations go through `renderRootSql`), and auto-upgrade, which also creates
 * the health-check user on an existing data directory.
 */
export function mariadbEnv(rootPassword: pulumi.Input<string>): pulumi.Input<string>[] {
  return [
    pulumi.secret(pulumi.interpolate`MARIADB_ROOT_PASSWORD=${rootPassword}`),
    "MARIADB_AUTO_UPGRADE=1",
    "TZ=Asia/Tokyo",
  ];
}

/** The command line that feeds stdin to the MariaDB client inside `containerName`. */
export function mariadbExecCommand(containerName: string): string {
  return `docker exec -i ${containerName} mariadb --protocol=socket --user=root --batch`;
}

export interface DatabaseSqlArgs {
  /** Docker host URL, the same as the Docker provider's `host`. */
  dockerHost: pulumi.Input<string>;
  /** The MariaDB container's name. */
  containerName: string;
  /** The SQL to apply (it carries passwords: pass a secret). */
  sql: pulumi.Input<string>;
  /** Re-applies when any of these change, e.g. the container's id after a replacement. */
  triggers?: pulumi.Input<unknown>[];
}

/**
 * Applies `sql` inside the database container. Depend on the database container (`dependsOn`,
 * healthy thanks to its `wait`) and make every consumer of the password depend on this.
 */
export function databaseSql(
  name: string,
  args: DatabaseSqlArgs,
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  return new command.local.Command(
    name,
    {
      create: mariadbExecCommand(args.containerName),
      stdin: pulumi.secret(args.sql),
      environment: { DOCKER_HOST: args.dockerHost },
      triggers: args.triggers,
      logging: "stderr",
    },
    { ...opts, additionalSecretOutputs: ["stdin", "stdout"] },
  );
}
