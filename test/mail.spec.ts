import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as v from "valibot";
import { MailserverStack, MailserverStackArgs } from "../components/mail/MailserverStack";
import { MAIL_SERVICES, mailConfigSchema, MailConfig } from "../components/mail/schema";
import { criticalPath, estimatedSecondsToHealthy, startWaves } from "../components/common/startup";
import { MAIL_HEALTHCHECKS } from "../components/mail/services";
import { capture, Capture, CapturedResource } from "./harness/engine";
import { readStackValues } from "./harness/stack";
import { COMMAND, CONTAINER, IMAGE, NETWORK, REMOTE_IMAGE, VOLUME } from "./harness/types";

const FACTS = { project: "onprem-infra", environment: "production", owner: "kuma8088" };

function mailConfig(stack: "production" | "staging"): MailConfig {
  return v.parse(mailConfigSchema, readStackValues(stack)["onprem-infra:mail"]);
}

function args(stack: "production" | "staging", over: Partial<MailserverStackArgs> = {}): MailserverStackArgs {
  const mail = mailConfig(stack);
  return {
    ...mail,
    facts: { ...FACTS, environment: stack },
    dockerHost: "ssh://deploy@workstation",
    protectData: stack === "production",
    dbRootPassword: pulumi.secret("root-pw-Aa11"),
    dbAppPassword: pulumi.secret("app-pw-Aa11"),
    usermgmtDbPassword: pulumi.secret("um-pw-Aa11"),
    usermgmtSecretKey: pulumi.secret("um-key-Aa11"),
    roundcubeDesKey: pulumi.secret("des-key-24-characters-xx"),
    mailApiKey: pulumi.secret("api-key-Aa11"),
    sendgridApiKey: mail.relay.authenticated ? pulumi.secret("SG.sendgrid-key") : undefined,
    ...over,
  };
}

/** Container and command names a container depends on (images, network and volumes left out). */
function startDeps(cap: Capture, r: CapturedResource): string[] {
  return r.dependencies
    .map((urn) => cap.byUrn(urn))
    .filter((d) => d.type === CONTAINER || d.type === COMMAND)
    .map((d) => d.name)
    .sort();
}

describe("MailserverStack (production)", () => {
  let cap: Capture;
  before(async () => {
    cap = await capture(() => new MailserverStack("mail", args("production")));
  });

  it("registers one component with exactly its children", () => {
    const [component] = cap.ofType("onprem:mail:MailserverStack");
    assert.equal(component.name, "mail");
    assert.deepEqual(cap.childTypeCounts(component), {
      [NETWORK]: 1,
      [COMMAND]: 3, // root, two users
      [VOLUME]: 1,
      [REMOTE_IMAGE]: 7,
      [IMAGE]: 2,
      [CONTAINER]: 9,
    });
    assert.equal(cap.resources.length, 1 + 1 + 3 + 1 + 7 + 2 + 9);
  });

  it("declares the Compose network by its name, subnet and gateway (created until an import id is set)", () => {
    const net = cap.get("mail-network", NETWORK);
    assert.equal(net.inputs.name, "mailserver_mailserver_network");
    assert.equal(net.inputs.driver, "bridge");
    assert.deepEqual(net.inputs.ipamConfigs, [{ subnet: "172.20.0.0/24", gateway: "172.20.0.1" }]);
    assert.equal(net.options.importId, "");
    assert.equal(net.options.protect, true);
    assert.ok((net.inputs.labels as { label: string }[]).some((l) => l.label === "org.onprem-infra.owner"));
  });

  const expected: Record<string, { name: string; image: string; cpus: string; memory: number; ip: string }> =
    {
      mariadb: {
        name: "mailserver-mariadb",
        image: "mariadb:10.11.7",
        cpus: "1.0",
        memory: 1024,
        ip: "172.20.0.60",
      },
      dovecot: {
        name: "mailserver-dovecot",
        image: "dovecot/dovecot:2.3.21",
        cpus: "1.0",
        memory: 1024,
        ip: "172.20.0.30",
      },
      clamav: {
        name: "mailserver-clamav",
        image: "clamav/clamav:1.3.1",
        cpus: "1.0",
        memory: 2048,
        ip: "172.20.0.80",
      },
      rspamd: {
        name: "mailserver-rspamd",
        image: "rspamd/rspamd:3.8.4",
        cpus: "1.0",
        memory: 1024,
        ip: "172.20.0.70",
      },
      postfix: {
        name: "mailserver-postfix",
        image: "boky/postfix:v4.4.0",
        cpus: "1.0",
        memory: 512,
        ip: "172.20.0.20",
      },
      roundcube: {
        name: "mailserver-roundcube",
        image: "roundcube/roundcubemail:1.6.7-apache",
        cpus: "0.5",
        memory: 512,
        ip: "172.20.0.40",
      },
      "mailserver-api": {
        name: "mailserver-api",
        image: "onprem-infra/mailserver-api:1.4.2",
        cpus: "0.5",
        memory: 256,
        ip: "172.20.0.100",
      },
      usermgmt: {
        name: "mailserver-usermgmt",
        image: "onprem-infra/mailserver-usermgmt:1.2.0",
        cpus: "0.5",
        memory: 512,
        ip: "172.20.0.90",
      },
      nginx: {
        name: "mailserver-nginx",
        image: "nginx:1.26.2-alpine",
        cpus: "0.5",
        memory: 256,
        ip: "172.20.0.10",
      },
    };

  for (const [svc, want] of Object.entries(expected)) {
    it(`${svc}: name, pinned image by id, limits, address, house settings`, () => {
      const c = cap.get(`mail-${svc}`, CONTAINER);
      assert.equal(c.inputs.name, want.name);
      assert.equal(c.inputs.hostname, svc === "postfix" ? "mail.kuma8088.com" : svc);
      const image = cap.get(`mail-${svc}-image`);
      if (image.type === REMOTE_IMAGE) {
        assert.equal(image.inputs.name, want.image);
        assert.equal(c.inputs.image, image.state.imageId);
        assert.match(String(c.inputs.image), /^sha256:[0-9a-f]{64}$/);
      } else {
        assert.equal(image.type, IMAGE);
        assert.equal(image.inputs.imageName, want.image);
        assert.equal(image.inputs.skipPush, true);
        assert.equal(c.inputs.image, image.state.repoDigest);
      }
      assert.equal(c.inputs.cpus, want.cpus);
      assert.equal(c.inputs.memory, want.memory);
      assert.deepEqual(
        (c.inputs.networksAdvanced as { ipv4Address: string; aliases: string[] }[]).map((n) => [
          n.ipv4Address,
          n.aliases,
        ]),
        [[want.ip, [svc]]],
      );
      assert.equal(c.inputs.restart, "unless-stopped");
      assert.equal(c.inputs.logDriver, "json-file");
      assert.deepEqual(c.inputs.logOpts, { "max-size": "10m", "max-file": "3" });
      assert.equal(c.inputs.wait, true);
      assert.equal(c.options.deleteBeforeReplace, true);
      assert.deepEqual(c.options.additionalSecretOutputs, ["envs"]);
      assert.ok(c.options.replaceOnChanges.includes("healthcheck"));
      assert.equal(c.parent, cap.get("mail").urn);
      const labels = Object.fromEntries(
        (c.inputs.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]),
      );
      assert.deepEqual(
        [
          labels["org.onprem-infra.project"],
          labels["org.onprem-infra.environment"],
          labels["org.onprem-infra.managed-by"],
          labels["org.onprem-infra.owner"],
          labels["org.onprem-infra.service"],
        ],
        ["onprem-infra", "production", "pulumi", "kuma8088", svc],
      );
    });
  }

  it("health checks are the running estate's, in the provider's duration format", () => {
    const hc = (svc: string) =>
      cap.get(`mail-${svc}`, CONTAINER).inputs.healthcheck as Record<string, unknown>;
    assert.deepEqual(hc("mariadb"), {
      tests: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"],
      interval: "30s",
      timeout: "10s",
      retries: 3,
      startPeriod: "40s",
    });
    assert.deepEqual(hc("clamav"), {
      tests: ["CMD", "clamdscan", "--no-summary", "/etc/hosts"],
      interval: "30s",
      timeout: "30s",
      retries: 3,
      startPeriod: "5m0s",
    });
    assert.deepEqual((hc("dovecot").tests as string[]).slice(1), ["doveadm", "service", "status", "imap"]);
    assert.deepEqual((hc("rspamd").tests as string[]).slice(1), ["rspamadm", "control", "stat"]);
    assert.deepEqual(hc("postfix").tests, ["CMD", "sh", "-c", "nc -z 127.0.0.1 587"]);
    assert.match((hc("mailserver-api").tests as string[]).join(" "), /127\.0\.0\.1:8080\/health/);
    assert.match((hc("usermgmt").tests as string[]).join(" "), /127\.0\.0\.1:5000\/health/);
    assert.match((hc("roundcube").tests as string[]).join(" "), /curl .*http:\/\/127\.0\.0\.1\//);
    assert.match((hc("nginx").tests as string[]).join(" "), /wget .*http:\/\/127\.0\.0\.1\//);
    assert.equal(cap.get("mail-clamav", CONTAINER).inputs.waitTimeout, 300 + 4 * 60);
    assert.equal(cap.get("mail-nginx", CONTAINER).inputs.waitTimeout, 40 + 4 * 40);
  });

  it("publishes exactly the estate's host ports, bound to the Tailscale address", () => {
    const ports: Record<string, unknown> = {};
    for (const svc of MAIL_SERVICES) {
      const p = cap.get(`mail-${svc}`, CONTAINER).inputs.ports as unknown[];
      if (p.length > 0) {
        ports[svc] = p;
      }
    }
    const port = (n: number) => ({ internal: n, external: n, ip: "100.110.222.53", protocol: "tcp" });
    assert.deepEqual(ports, {
      dovecot: [port(2525), port(993), port(995)],
      postfix: [port(587)],
      nginx: [port(80), port(443)],
    });
  });

  it("starts each service after exactly what it needs (and the database users it logs in as)", () => {
    const deps: Record<string, string[]> = {};
    for (const svc of MAIL_SERVICES) {
      deps[svc] = startDeps(cap, cap.get(`mail-${svc}`, CONTAINER));
    }
    assert.deepEqual(deps, {
      mariadb: [],
      dovecot: ["mail-db-user-usermgmt", "mail-mariadb"],
      clamav: [],
      rspamd: ["mail-clamav"],
      postfix: ["mail-dovecot", "mail-rspamd"],
      roundcube: ["mail-db-user-roundcube", "mail-dovecot", "mail-mariadb", "mail-postfix"],
      "mailserver-api": ["mail-dovecot"],
      usermgmt: ["mail-db-user-usermgmt", "mail-mariadb"],
      nginx: ["mail-mailserver-api", "mail-roundcube", "mail-usermgmt"],
    });
  });

  it("the start order derived from the registered edges has a five-service critical path, not nine", () => {
    const needs: Record<string, string[]> = {};
    for (const svc of MAIL_SERVICES) {
      needs[svc] = startDeps(cap, cap.get(`mail-${svc}`, CONTAINER))
        .filter((d) => cap.get(d).type === CONTAINER)
        .map((d) => d.replace(/^mail-/, ""));
    }
    const waves = startWaves(needs);
    assert.deepEqual(waves, [
      ["clamav", "mariadb"],
      ["dovecot", "rspamd", "usermgmt"],
      ["mailserver-api", "postfix"],
      ["roundcube"],
      ["nginx"],
    ]);
    // Two chains are five long; ClamAV's five-minute start makes its chain the critical one.
    const estimates = Object.fromEntries(
      MAIL_SERVICES.map((s) => [s, estimatedSecondsToHealthy(MAIL_HEALTHCHECKS[s])]),
    );
    assert.deepEqual(criticalPath(needs, estimates), {
      path: ["clamav", "rspamd", "postfix", "roundcube", "nginx"],
      seconds: 300 + 4 * 60,
    });
  });

  it("mounts the Compose data directories, the adopted spool, the certificates and the log directories", () => {
    const mounts = (svc: string) =>
      (
        cap.get(`mail-${svc}`, CONTAINER).inputs.mounts as {
          type: string;
          source: string;
          target: string;
          readOnly: boolean;
        }[]
      ).map((m) => `${m.type}:${m.source}:${m.target}${m.readOnly ? ":ro" : ""}`);
    const root = "/opt/onprem-infra-system/project-root-infra/services/mailserver";
    const certs = "bind:/var/lib/tailscale/certs:/var/lib/tailscale/certs:ro";
    assert.deepEqual(mounts("mariadb"), [`bind:${root}/data/db:/var/lib/mysql`]);
    assert.deepEqual(mounts("dovecot"), [
      `bind:${root}/data/mail:/var/mail/vhosts`,
      "volume:mailserver_postfix_spool:/var/spool/postfix",
      certs,
      `bind:${root}/config/dovecot/users:/etc/dovecot/users:ro`,
      `bind:${root}/logs/dovecot:/var/log`,
    ]);
    assert.deepEqual(mounts("postfix"), [
      "volume:mailserver_postfix_spool:/var/spool/postfix",
      certs,
      `bind:${root}/logs/postfix:/var/log`,
    ]);
    assert.deepEqual(mounts("clamav"), [
      `bind:${root}/data/clamav:/var/lib/clamav`,
      `bind:${root}/logs/clamav:/var/log/clamav`,
    ]);
    assert.deepEqual(mounts("rspamd"), [
      `bind:${root}/data/rspamd:/var/lib/rspamd`,
      `bind:${root}/logs/rspamd:/var/log/rspamd`,
    ]);
    assert.deepEqual(mounts("nginx"), [certs, `bind:${root}/logs/nginx:/var/log/nginx`]);
  });

  it("adopts the Compose spool volume by name, retained and protected; creates no data directory", () => {
    const [spool] = cap.ofType(VOLUME);
    assert.equal(spool.name, "mail-spool-volume");
    assert.equal(spool.inputs.name, "mailserver_postfix_spool");
    assert.equal(spool.options.importId, "mailserver_postfix_spool");
    assert.equal(spool.inputs.driverOpts, undefined);
    assert.equal(spool.options.retainOnDelete, true);
    assert.equal(spool.options.protect, true);
    assert.ok(!cap.resources.some((r) => r.name === "mail-data-dirs"));
  });

  it("relays through SendGrid with the key in a secret credentials file, never on a label, health check or command", () => {
    const postfix = cap.get("mail-postfix", CONTAINER);
    const uploads = postfix.inputs.uploads as { file: string; content: string }[];
    assert.match(uploads[0].content, /^relayhost = \[smtp\.sendgrid\.net\]:587$/m);
    assert.match(uploads[0].content, /^smtp_sasl_auth_enable = yes$/m);
    assert.deepEqual(uploads[1], {
      file: "/etc/postfix/sasl_passwd",
      content: "[smtp.sendgrid.net]:587 apikey:SG.sendgrid-key\n",
    });
    assert.ok(
      postfix.secretPaths.some((p) => p.startsWith("uploads")),
      postfix.secretPaths.join(" "),
    );
    for (const c of cap.ofType(CONTAINER)) {
      const visible = JSON.stringify([
        c.inputs.labels,
        c.inputs.healthcheck,
        c.inputs.command,
        c.inputs.entrypoints,
      ]);
      for (const secret of ["root-pw-Aa11", "app-pw-Aa11", "um-pw-Aa11", "SG.sendgrid-key", "api-key-Aa11"]) {
        assert.ok(!visible.includes(secret), `${c.name} shows ${secret}`);
      }
    }
  });

  it("applies root and application users inside the running database, passwords only on stdin", () => {
    const root = cap.get("mail-db-root", COMMAND);
    assert.equal(
      root.inputs.create,
      "docker exec -i mailserver-mariadb mariadb --protocol=socket --user=root --batch",
    );
    assert.deepEqual(root.inputs.environment, { DOCKER_HOST: "ssh://deploy@workstation" });
    assert.ok(root.secretPaths.includes("stdin"));
    assert.match(
      String(root.inputs.stdin),
      /ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD\('root-pw-Aa11'\) OR unix_socket;/,
    );
    assert.deepEqual(
      cap.dependencyNames(root).filter((n) => !n.startsWith("mail-mariadb-image")),
      ["mail-mariadb"],
    );
    const app = cap.get("mail-db-user-roundcube", COMMAND);
    assert.match(
      String(app.inputs.stdin),
      /GRANT ALL PRIVILEGES ON `roundcube_mailserver`\.\* TO 'roundcube'@'%';/,
    );
    const um = cap.get("mail-db-user-usermgmt", COMMAND);
    assert.match(
      String(um.inputs.stdin),
      /GRANT ALL PRIVILEGES ON `mailserver_usermgmt`\.\* TO 'usermgmt'@'%';/,
    );
    assert.match(String(um.inputs.stdin), /GRANT ALL PRIVILEGES ON `unified_portal`\.\* TO 'usermgmt'@'%';/);
    assert.deepEqual(cap.dependencyNames(app), ["mail-db-root", "mail-mariadb"]);
    assert.ok(!String(app.inputs.create).includes("app-pw-Aa11"));
  });

  it("outputs the network, container names, published endpoints, origins and what the blog needs", () => {
    const state = cap.get("mail").state;
    assert.equal(state.networkName, "mailserver_mailserver_network");
    const t = "100.110.222.53";
    assert.deepEqual(state.endpoints, [
      `${t}:2525 -> dovecot:2525`,
      `${t}:993 -> dovecot:993`,
      `${t}:995 -> dovecot:995`,
      `${t}:587 -> postfix:587`,
      `${t}:80 -> nginx:80`,
      `${t}:443 -> nginx:443`,
    ]);
    assert.equal(state.webmailOrigin, "https://mailserver-nginx:443");
    assert.equal(state.apiOrigin, "http://mailserver-api:8080");
    assert.equal(state.certificateHostname, "dell-workstation.tail67811d.ts.net");
    assert.equal(state.postfixAddress, "172.20.0.20");
    assert.equal((state.containerNames as Record<string, string>).usermgmt, "mailserver-usermgmt");
  });
});

describe("MailserverStack (production, adopting the Compose network)", () => {
  it("imports the network by its id, keeps it on delete and leaves Compose's labels in place", async () => {
    const id = "0123456789abcdef".repeat(4);
    const base = args("production");
    const cap = await capture(
      () => new MailserverStack("mail", { ...base, network: { ...base.network, importId: id } }),
    );
    const net = cap.get("mail-network", NETWORK);
    assert.equal(net.options.importId, id);
    assert.equal(net.options.retainOnDelete, true);
    assert.deepEqual(net.options.ignoreChanges, ["labels"]);
    for (const c of cap.ofType(CONTAINER)) {
      assert.ok(cap.dependencyNames(c).includes("mail-network"), c.name);
    }
  });
});

describe("MailserverStack (staging)", () => {
  let cap: Capture;
  before(async () => {
    cap = await capture(() => new MailserverStack("mail-staging", args("staging")));
  });

  it("uses its own names, subnet and data paths", () => {
    assert.equal(cap.get("mail-staging-network").inputs.name, "staging_mailserver_network");
    assert.deepEqual(cap.get("mail-staging-network").inputs.ipamConfigs, [
      { subnet: "172.21.0.0/24", gateway: "172.21.0.1" },
    ]);
    assert.equal(cap.get("mail-staging-mariadb", CONTAINER).inputs.name, "mailserver-staging-mariadb");
    assert.equal(cap.get("mail-staging-mailserver-api", CONTAINER).inputs.name, "mailserver-staging-api");
    assert.deepEqual(cap.get("mail-staging-mariadb", CONTAINER).inputs.mounts, [
      {
        type: "bind",
        source: "/opt/onprem-infra-system/project-root-infra/services/mailserver/data-staging/db",
        target: "/var/lib/mysql",
        readOnly: false,
      },
    ]);
  });

  it("publishes LMTP on 3525 and, for Roundcube at the certificate's name, IMAPS on 3993 and submission on 3587", () => {
    const published = cap
      .ofType(CONTAINER)
      .flatMap((c) =>
        (c.inputs.ports as { external: number; internal: number }[]).map(
          (p) => `${c.name}:${p.external}->${p.internal}`,
        ),
      );
    assert.deepEqual(published, [
      "mail-staging-dovecot:3525->2525",
      "mail-staging-dovecot:3993->993",
      "mail-staging-postfix:3587->587",
    ]);
  });

  it("relays to the unusable [127.0.0.1]:9999 with no credentials", () => {
    const uploads = cap.get("mail-staging-postfix", CONTAINER).inputs.uploads as {
      file: string;
      content: string;
    }[];
    assert.deepEqual(
      uploads.map((u) => u.file),
      ["/etc/postfix/main.cf"],
    );
    assert.match(uploads[0].content, /^relayhost = \[127\.0\.0\.1\]:9999$/m);
    assert.match(uploads[0].content, /^smtp_sasl_auth_enable = no$/m);
    assert.doesNotMatch(uploads[0].content, /sasl_password_maps/);
  });

  it("runs at about half the production limits", () => {
    const prod = mailConfig("production").services;
    const stag = mailConfig("staging").services;
    for (const svc of MAIL_SERVICES) {
      assert.ok(stag[svc].cpus <= prod[svc].cpus / 2, svc);
    }
    assert.equal(cap.get("mail-staging-clamav", CONTAINER).inputs.memory, 1536);
    assert.equal(cap.get("mail-staging-mariadb", CONTAINER).inputs.memory, 512);
  });

  it("does not protect its volumes but still never deletes them", () => {
    for (const v of cap.ofType(VOLUME)) {
      assert.equal(v.options.protect, false, v.name);
      assert.equal(v.options.retainOnDelete, true, v.name);
    }
  });
});

describe("MailserverStack instances", () => {
  it("two instances coexist without a resource or container name clash", async () => {
    const cap = await capture(() => {
      new MailserverStack("mail", args("production"));
      new MailserverStack("mail-staging", args("staging"));
    });
    const urns = cap.resources.map((r) => r.urn);
    assert.equal(new Set(urns).size, urns.length);
    const names = cap.ofType(CONTAINER).map((c) => String(c.inputs.name));
    assert.equal(names.length, 18);
    assert.equal(new Set(names).size, 18);
    const volumes = cap.ofType(VOLUME).map((v) => String(v.inputs.name));
    assert.equal(new Set(volumes).size, 2);
  });

  it("rejects an authenticated relay without a key, and a key for an unauthenticated relay", () => {
    assert.throws(
      () => new MailserverStack("bad1", args("production", { sendgridApiKey: undefined })),
      /relay.authenticated is set but no sendgridApiKey/,
    );
    assert.throws(
      () => new MailserverStack("bad2", args("staging", { sendgridApiKey: pulumi.secret("SG.x") })),
      /staging must never hold relay credentials/,
    );
  });
});
