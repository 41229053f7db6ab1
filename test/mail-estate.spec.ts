/**
 * Both stacks' captured mail resources, held against the running estate's facts
 * (test/estate/mail.ts): paths, owners, names, addresses, ports, databases, variables, contracts.
 */
import { strict as assert } from "node:assert";
import * as E from "./estate/mail";
import { CapturedResource } from "./harness/engine";
import { runStack, StackName, StackRun } from "./harness/stack";
import { CONTAINER, NETWORK, VOLUME } from "./harness/types";

type Mount = { type: string; source: string; target: string; readOnly: boolean };
type Upload = { file: string; content: string };

for (const stack of ["production", "staging"] as StackName[]) {
  describe(`mail estate facts (${stack})`, () => {
    let run: StackRun;
    const root = E.CHECKOUT[stack];
    const container = (svc: string): CapturedResource => run.capture.get(`mail-${svc}`, CONTAINER);
    const mounts = (svc: string) => (container(svc).inputs.mounts as Mount[] | undefined) ?? [];
    const upload = (svc: string, file: string) =>
      (container(svc).inputs.uploads as Upload[]).find((u) => u.file === file)?.content ?? "";
    const envs = (svc: string) => (container(svc).inputs.envs as string[]) ?? [];
    before(async () => {
      run = await runStack(stack);
    });

    it("joins the Compose network by its name and subnet; leaves the co-tenants' addresses free", () => {
      const net = run.capture.get("mail-network", NETWORK);
      assert.equal(net.inputs.name, E.NETWORK.name[stack]);
      assert.equal((net.inputs.ipamConfigs as { subnet: string }[])[0].subnet, E.NETWORK.subnet[stack]);
      const ips = run.capture
        .ofType(CONTAINER)
        .flatMap((c) => (c.inputs.networksAdvanced as { ipv4Address?: string }[]).map((n) => n.ipv4Address));
      for (const ip of E.CO_TENANT_ADDRESSES[stack]) {
        assert.ok(!ips.includes(ip), ip);
      }
    });

    it("keeps every container's name and fixed address", () => {
      for (const [svc, want] of Object.entries(E.CONTAINERS[stack])) {
        const c = container(svc);
        assert.equal(c.inputs.name, want.name, svc);
        const nets = c.inputs.networksAdvanced as { name: string; ipv4Address: string }[];
        assert.equal(nets[0].ipv4Address, want.ip, svc);
      }
    });

    it("adopts the spool volume by its Compose name", () => {
      const [spool] = run.capture.ofType(VOLUME).filter((v) => v.name === "mail-spool-volume");
      assert.equal(spool.inputs.name, E.SPOOL_VOLUME[stack]);
      assert.equal(spool.options.importId, E.SPOOL_VOLUME[stack]);
      for (const svc of ["postfix", "dovecot"]) {
        assert.ok(
          mounts(svc).some(
            (m) =>
              m.type === "volume" && m.source === E.SPOOL_VOLUME[stack] && m.target === "/var/spool/postfix",
          ),
          svc,
        );
      }
    });

    it("bind-mounts the same host data directories at the same paths; no data volume, nothing created", () => {
      for (const [svc, dir] of Object.entries(E.DATA_DIRS[stack])) {
        assert.ok(
          mounts(svc).some(
            (m) =>
              m.type === "bind" &&
              m.source === `${root}/${dir.host}` &&
              m.target === dir.target &&
              !m.readOnly,
          ),
          `${svc}: ${JSON.stringify(mounts(svc))}`,
        );
      }
      assert.ok(!run.capture.ofType(VOLUME).some((v) => v.inputs.driverOpts), "no bind-backed volume");
      assert.ok(!run.capture.resources.some((r) => /data-dirs/.test(r.name)));
    });

    it("stores mail as today: Maildir location, owner uid, passwd-file users", () => {
      const conf = upload("dovecot", "/etc/dovecot/dovecot.conf");
      assert.match(
        conf,
        new RegExp(`^mail_location = ${E.MAILDIR.location[stack].replace(/[$]/g, "\\$")}$`, "m"),
      );
      assert.match(conf, new RegExp(`args = ${E.MAILDIR.owner[stack]} home=/var/mail/vhosts/%d/%n`));
      const [host, target] = E.MAILDIR.usersFile[stack].split(":");
      assert.ok(
        mounts("dovecot").some((m) => m.source === `${root}/${host}` && m.target === target && m.readOnly),
      );
      assert.match(
        conf,
        new RegExp(`passwd-file\\n  args = scheme=SHA512-CRYPT username_format=%u ${target}`),
      );
    });

    it("authenticates against usermgmt's real table and columns", () => {
      const sql = upload("dovecot", "/etc/dovecot/dovecot-sql.conf.ext");
      const [db, user] = E.DATABASES.usermgmt[stack].split(" ");
      assert.match(sql, new RegExp(`dbname=${db} user=${user} `));
      assert.ok(sql.includes(`password_query = ${E.DATABASES.sqlAuth[stack]}`));
      assert.match(sql, /user_query = SELECT 1000 AS uid, 1000 AS gid, maildir AS home FROM users/);
    });

    it("keeps the databases and users the applications and co-tenants use", () => {
      const [db, user] = E.DATABASES.usermgmt[stack].split(" ");
      const um = String(run.capture.get(`mail-db-user-${user}`).inputs.stdin);
      for (const d of [db, E.DATABASES.portal[stack]]) {
        assert.ok(um.includes(`GRANT ALL PRIVILEGES ON \`${d}\`.* TO '${user}'@'%';`), d);
      }
      const rc = run.capture.get("mail-db-user-roundcube");
      assert.ok(String(rc.inputs.stdin).includes(`\`${E.DATABASES.roundcube[stack]}\``));
      assert.ok(envs("usermgmt").includes(`DB_NAME=${db}`) && envs("usermgmt").includes(`DB_USER=${user}`));
      assert.ok(envs("roundcube").includes(`ROUNDCUBEMAIL_DB_NAME=${E.DATABASES.roundcube[stack]}`));
    });

    it("publishes the same ports, bound to the tailnet address only", () => {
      const mail = run.capture.ofType(CONTAINER).filter((c) => c.name.startsWith("mail-"));
      const published = mail.flatMap((c) =>
        ((c.inputs.ports as { internal: number; external: number; ip: string }[]) ?? []).map((p) => {
          assert.equal(p.ip, E.TAILNET_ADDRESS[stack], c.name);
          return `${c.name.replace(/^mail-/, "")}:${p.external}->${p.internal}`;
        }),
      );
      assert.deepEqual(published.sort(), [...E.PUBLISHED_PORTS[stack]].sort());
    });

    it("serves TLS from the real certificate files; Roundcube reaches IMAP and SMTP by the certificate's name", () => {
      const [crt, key] = E.CERTIFICATE.files[stack].split(" ");
      assert.match(
        upload("dovecot", "/etc/dovecot/dovecot.conf"),
        new RegExp(`ssl_cert = <${crt}\\nssl_key = <${key}`),
      );
      assert.match(
        upload("postfix", "/etc/postfix/main.cf"),
        new RegExp(`smtpd_tls_cert_file = ${crt}\\nsmtpd_tls_key_file = ${key}`),
      );
      assert.match(
        upload("nginx", "/etc/nginx/conf.d/default.conf"),
        new RegExp(`ssl_certificate ${crt};\\n    ssl_certificate_key ${key};`),
      );
      for (const svc of ["dovecot", "postfix", "nginx"]) {
        assert.ok(
          mounts(svc).some(
            (m) =>
              m.source === "/var/lib/tailscale/certs" &&
              m.target === "/var/lib/tailscale/certs" &&
              m.readOnly,
          ),
          svc,
        );
      }
      const name = E.CERTIFICATE.hostname[stack];
      const ports = E.PUBLISHED_PORTS[stack];
      const imap = ports
        .find((p) => p.startsWith("dovecot:") && p.endsWith("->993"))!
        .split(":")[1]
        .split("->")[0];
      const smtp = ports
        .find((p) => p.startsWith("postfix:"))!
        .split(":")[1]
        .split("->")[0];
      for (const e of [
        `ROUNDCUBEMAIL_DEFAULT_HOST=ssl://${name}`,
        `ROUNDCUBEMAIL_DEFAULT_PORT=${imap}`,
        `ROUNDCUBEMAIL_SMTP_SERVER=tls://${name}`,
        `ROUNDCUBEMAIL_SMTP_PORT=${smtp}`,
        "ROUNDCUBEMAIL_SMTP_USER=",
        "ROUNDCUBEMAIL_SMTP_PASS=",
        `ROUNDCUBEMAIL_UPLOAD_MAX_FILESIZE=${E.APP_ENV.roundcubeUpload[stack]}`,
      ]) {
        assert.ok(envs("roundcube").includes(e), e);
      }
      assert.match(
        upload("roundcube", "/var/roundcube/config/zz-onprem.inc.php"),
        /\$config\['smtp_user'\] = '';\n\$config\['smtp_pass'\] = '';/,
      );
    });

    it("configures Postfix as today: relay, mynetworks, SASL, TLS, LMTP, size, milter, domains", () => {
      const main = upload("postfix", "/etc/postfix/main.cf");
      const line = (k: string, v: string) => assert.ok(main.includes(`\n${k} = ${v}\n`), `${k} = ${v}`);
      line("mynetworks", E.POSTFIX.mynetworks[stack]);
      line("relayhost", E.POSTFIX.relayhost[stack]);
      line("message_size_limit", E.POSTFIX.sizeLimit[stack]);
      line("virtual_transport", E.POSTFIX.transport[stack]);
      line("smtpd_sasl_path", E.POSTFIX.sasl[stack]);
      line("smtpd_sasl_type", "dovecot");
      line("smtpd_tls_security_level", E.POSTFIX.tls[stack]);
      line("smtpd_milters", E.POSTFIX.milter[stack]);
      line("virtual_mailbox_domains", E.MAIL_DOMAINS[stack].join(", "));
      const conf = upload("dovecot", "/etc/dovecot/dovecot.conf");
      assert.match(conf, /unix_listener \/var\/spool\/postfix\/private\/auth \{/);
      assert.match(conf, /unix_listener \/var\/spool\/postfix\/private\/dovecot-lmtp \{/);
      assert.match(conf, /protocol lmtp \{\n {2}mail_plugins = \$mail_plugins sieve\n\}/);
      assert.match(conf, /protocol imap \{\n {2}mail_plugins = \$mail_plugins imap_sieve\n\}/);
    });

    it("gives the API and usermgmt exactly the variables their code reads", () => {
      const api = envs("mailserver-api").map((e) => e.split("=")[0]);
      assert.deepEqual(
        api.filter((k) => k !== "TZ"),
        ["API_KEY", "LMTP_HOST", "LMTP_PORT"],
      );
      assert.ok(
        envs("mailserver-api").includes("LMTP_HOST=dovecot") &&
          envs("mailserver-api").includes("LMTP_PORT=2525"),
      );
      const um = envs("usermgmt").map((e) => e.split("=")[0]);
      for (const k of E.APP_ENV.usermgmt[stack].split(" ")) {
        assert.ok(um.includes(k), k);
      }
    });

    it("keeps /admin tailnet-only, the HTTPS redirect and the security headers", () => {
      const conf = upload("nginx", "/etc/nginx/conf.d/default.conf");
      assert.match(conf, /location \/admin \{\n {8}allow 100\.64\.0\.0\/10;\n {8}deny all;/);
      assert.ok(conf.includes(E.NGINX.redirect[stack]));
      for (const h of E.NGINX.headers[stack].split(" ")) {
        assert.ok(conf.includes(`add_header ${h} `), h);
      }
      assert.match(conf, /client_max_body_size 25M;/);
    });

    it("writes the logs the host's monitoring reads into the same directories", () => {
      for (const dir of E.LOG_DIRS[stack]) {
        const svc = dir.split("/")[1];
        assert.ok(
          mounts(svc).some((m) => m.source === `${root}/${dir}`),
          dir,
        );
      }
    });
  });
}
