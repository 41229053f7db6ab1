/**
 * Bad or missing config stops the program before any resource is registered, with one message
 * naming the stack file and the key.
 */
import { strict as assert } from "node:assert";
import { registeredCount } from "./harness/engine";
import { cloneValues, readStackValues, runStack, secretsFor, StackName, StackValues } from "./harness/stack";

type Edit = (values: StackValues) => void;

/** The mail section of a stack's values, for editing. */
interface MailValues {
  subnet: unknown;
  relay: { host: string };
  services: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

function mail(values: StackValues): MailValues {
  return values["onprem-infra:mail"] as MailValues;
}

/** The rotation stamps of a stack's values, for editing. */
function rotations(
  values: StackValues,
): Record<string, string> & { siteDbPasswords: Record<string, string> } {
  return values["onprem-infra:rotations"] as Record<string, string> & {
    siteDbPasswords: Record<string, string>;
  };
}

async function expectConfigError(
  stack: StackName,
  edit: Edit,
  expected: RegExp,
  secrets: Record<string, string> = secretsFor(stack),
): Promise<string> {
  const values = cloneValues(readStackValues(stack));
  edit(values);
  let message = "";
  try {
    await runStack(stack, values, secrets);
  } catch (err) {
    message = (err as Error).message;
  }
  assert.match(message, new RegExp(`^Invalid stack config in Pulumi\\.${stack}\\.yaml:`));
  assert.match(message, expected);
  assert.equal(registeredCount(), 0, "no resource may be registered");
  return message;
}

/** The placeholders of `stack`'s secrets without `keys` (short names). */
function secretsWithout(stack: StackName, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secretsFor(stack)).filter(([k]) => !keys.some((key) => k === `onprem-infra:${key}`)),
  );
}

/** The blog's sites of a stack's values, for editing. */
function sites(values: StackValues): Record<string, unknown>[] {
  return (values["onprem-infra:blog"] as { sites: Record<string, unknown>[] }).sites;
}

/** The production site named `name`, for editing. */
function siteNamed(values: StackValues, name: string): Record<string, unknown> {
  const found = sites(values).find((s) => s.name === name);
  assert.ok(found, name);
  return found;
}

/** Each site kind's bad input: the key and what is wrong with it. */
function siteKindCases(): [string, StackName, Edit, RegExp][] {
  const at = (i: number) => `onprem-infra:blog\\.sites\\[${i}\\]`;
  return [
    [
      "a site of no known kind",
      "production",
      (v) => (sites(v)[0].kind = "static"),
      new RegExp(`${at(0)}\\.kind: must be one of wordpress, subdirectory, redirect, proxy`),
    ],
    [
      "a new WordPress site without its installation (it would be an open installer)",
      "staging",
      (v) => delete sites(v)[0].install,
      new RegExp(
        `${at(0)}\\.install: is required for a new site \\(title, adminUser, adminEmail\\): it is installed before nginx serves it`,
      ),
    ],
    [
      "a taken-over WordPress site with an installation",
      "production",
      (v) => (sites(v)[0].install = { title: "x", adminUser: "owner", adminEmail: "a@kuma8088.com" }),
      new RegExp(`${at(0)}\\.install: must not be set for a taken-over site`),
    ],
    [
      "a new site's administrator named admin",
      "staging",
      (v) => ((sites(v)[0].install as Record<string, string>).adminUser = "admin"),
      new RegExp(`${at(0)}\\.install\\.adminUser: must not be admin`),
    ],
    [
      "a WordPress site's path redirect that is no path",
      "production",
      (v) => ((siteNamed(v, "fx-trader-life").redirects as Record<string, string>[])[0].path = "MFKC"),
      new RegExp(`${at(9)}\\.redirects\\[0\\]\\.path: must be a URL path like /lp`),
    ],
    [
      "a subdirectory under no WordPress site",
      "production",
      (v) => (siteNamed(v, "kuma8088-test").parent = "kuma8088-blog"),
      new RegExp(`${at(12)}\\.parent: kuma8088-blog is no wordpress site of blog\\.sites`),
    ],
    [
      "a new subdirectory site",
      "production",
      (v) => delete siteNamed(v, "kuma8088-test").takenOver,
      new RegExp(`${at(12)}\\.takenOver: is required`),
    ],
    [
      "a subdirectory on a path its parent redirects",
      "production",
      (v) => (siteNamed(v, "kuma8088-test").path = "/ec02test"),
      new RegExp(`${at(12)}\\.path: /ec02test is already redirected by kuma8088's hosts`),
    ],
    [
      "a redirect to a plain-http URL",
      "production",
      (v) => (siteNamed(v, "kuma8088-blog").to = "http://kuma8088.com"),
      new RegExp(`${at(13)}\\.to: must be an https URL like https://example.com`),
    ],
    [
      "a redirect to its own host",
      "production",
      (v) => (siteNamed(v, "kuma8088-blog").to = "https://blog.kuma8088.com"),
      new RegExp(`${at(13)}\\.to: https://blog\\.kuma8088\\.com is this site's own host`),
    ],
    [
      "a proxy to a host name instead of an address",
      "production",
      (v) => (siteNamed(v, "admin-portal").upstream = "http://unified-portal-frontend:80"),
      new RegExp(`${at(1)}\\.upstream: must be an http URL of an address and port`),
    ],
    [
      "a proxy path listed twice",
      "production",
      (v) =>
        (siteNamed(v, "admin-portal").paths as unknown[]).push({
          path: "/api/",
          upstream: "http://172.22.0.92:8000/",
        }),
      new RegExp(`${at(1)}\\.paths\\[1\\]\\.path: /api/ is listed twice`),
    ],
    [
      "two sites on one hostname, across kinds",
      "production",
      (v) => (siteNamed(v, "kuma8088-blog").domain = "www.kuma8088.com"),
      new RegExp(
        `${at(13)}\\.domain: www\\.kuma8088\\.com is already used by blog\\.sites\\[11\\]\\.aliases\\[0\\]`,
      ),
    ],
    [
      "a local name that lies in a routed zone",
      "production",
      (v) => (siteNamed(v, "kuma8088").localNames = ["old.kuma8088.com"]),
      new RegExp(
        `${at(11)}\\.localNames\\[0\\]: old\\.kuma8088\\.com lies in the zone kuma8088\\.com of tunnel\\.zones`,
      ),
    ],
    [
      "a WordPress base image of another family",
      "production",
      (v) =>
        ((
          v["onprem-infra:blog"] as Record<string, Record<string, Record<string, Record<string, string>>>>
        ).services.wordpress.build.baseImage = "wordpress:6.8.3-php8.2-fpm"),
      /onprem-infra:blog\.services\.wordpress\.build\.baseImage: must be an official wordpress:<version>-php8\.3-fpm-alpine tag/,
    ],
    [
      "a service on the co-tenant's address",
      "production",
      (v) =>
        ((
          v["onprem-infra:blog"] as Record<string, Record<string, Record<string, string>>>
        ).services.nginx.ip = "172.22.0.92"),
      /onprem-infra:blog\.services\.nginx\.ip: 172\.22\.0\.92 is held by a co-tenant/,
    ],
    [
      "an adopted volume whose import id is another name",
      "production",
      (v) =>
        ((v["onprem-infra:blog"] as Record<string, Record<string, Record<string, string>>>).data.db.importId =
          "blog_db_data"),
      /onprem-infra:blog\.data\.db\.importId: must equal name \(blog_blog_db_data\)/,
    ],
    [
      "a sites directory that is not absolute",
      "production",
      (v) => ((v["onprem-infra:blog"] as Record<string, Record<string, string>>).data.sites = "blog/sites"),
      /onprem-infra:blog\.data\.sites: must be an absolute path/,
    ],
  ];
}

describe("config errors stop the program before any resource", () => {
  it("the committed stack files register resources (the control case)", async () => {
    const run = await runStack("staging");
    assert.ok(run.capture.resources.length > 30);
  });

  const cases: [string, StackName, Edit, RegExp][] = [
    [
      "a subnet with host bits",
      "production",
      (v) => (mail(v).subnet = "172.20.0.1/24"),
      /onprem-infra:mail\.subnet: must name the network address/,
    ],
    [
      "a subnet that is not one",
      "production",
      (v) => (mail(v).subnet = "172.300.0.0/24"),
      /onprem-infra:mail\.subnet: must be an IPv4 subnet/,
    ],
    [
      "a CPU limit that is not a positive number",
      "production",
      (v) => (mail(v).services.mariadb.cpus = -1),
      /onprem-infra:mail\.services\.mariadb\.cpus: must be a positive number/,
    ],
    [
      "a CPU limit given as text",
      "staging",
      (v) => (mail(v).services.clamav.cpus = "one"),
      /onprem-infra:mail\.services\.clamav\.cpus: must be a number of CPUs/,
    ],
    [
      "a memory size like 1Q",
      "production",
      (v) => (mail(v).services.dovecot.memory = "1Q"),
      /onprem-infra:mail\.services\.dovecot\.memory: must be a size like 512M or 2G/,
    ],
    [
      "a duplicate fixed IP",
      "production",
      (v) => (mail(v).services.rspamd.ip = "172.20.0.60"),
      /onprem-infra:mail\.services\.rspamd\.ip: 172\.20\.0\.60 is already the address of mariadb/,
    ],
    [
      "a fixed IP outside the subnet",
      "staging",
      (v) => (mail(v).services.nginx.ip = "172.20.0.90"),
      /onprem-infra:mail\.services\.nginx\.ip: 172\.20\.0\.90 is not a usable host address in 172\.21\.0\.0\/24/,
    ],
    [
      "a port outside 1-65535",
      "production",
      (v) => ((mail(v).services.postfix.ports as { host: number }[])[0].host = 70000),
      /onprem-infra:mail\.services\.postfix\.ports\[0\]\.host: must be between 1 and 65535/,
    ],
    [
      "two services on one host port",
      "production",
      (v) =>
        (mail(v).services.nginx.ports as unknown[]).push({
          host: 587,
          container: 8587,
          bind: "100.110.222.53",
        }),
      /onprem-infra:mail\.services\.nginx\.ports\[2\]: host port 100\.110\.222\.53:587 is already published by mail\.services\.postfix\.ports\[0\]/,
    ],
    [
      "a port bound to all interfaces",
      "production",
      (v) => ((mail(v).services.nginx.ports as { bind: string }[])[0].bind = "0.0.0.0"),
      /onprem-infra:mail\.services\.nginx\.ports\[0\]\.bind: must be a specific address, not 0\.0\.0\.0/,
    ],
    [
      "a mail data path that is not absolute",
      "production",
      (v) => ((mail(v).hostPaths as Record<string, string>).data = "services/mailserver/data"),
      /onprem-infra:mail\.hostPaths\.data: must be an absolute path/,
    ],
    [
      "a malformed network import id",
      "production",
      (v) => ((mail(v).network as Record<string, string>).importId = "3f2a9c"),
      /onprem-infra:mail\.network\.importId: must be the network's full id, 64 lower-case hex digits/,
    ],
    [
      "a spool import id that is not the volume's name",
      "production",
      (v) => ((mail(v).spool as Record<string, string>).importId = "mailserver_spool"),
      /onprem-infra:mail\.spool\.importId: must equal name \(mailserver_postfix_spool\)/,
    ],
    [
      "a malformed spool volume name",
      "staging",
      (v) => ((mail(v).spool as Record<string, string>).name = "staging/postfix spool"),
      /onprem-infra:mail\.spool\.name: must be a Docker volume name/,
    ],
    [
      "a tailnet address that is not an address",
      "production",
      (v) => (mail(v).tailnetAddress = "dell-workstation"),
      /onprem-infra:mail\.tailnetAddress: must be an IPv4 address/,
    ],
    [
      "a port bound elsewhere than the tailnet address",
      "production",
      (v) => ((mail(v).services.nginx.ports as { bind: string }[])[1].bind = "192.168.1.10"),
      /onprem-infra:mail\.services\.nginx\.ports\[1\]\.bind: 192\.168\.1\.10 is not the tailnet address 100\.110\.222\.53/,
    ],
    [
      "a network gateway outside the subnet",
      "staging",
      (v) => ((mail(v).network as Record<string, string>).gateway = "172.20.0.1"),
      /onprem-infra:mail\.network\.gateway: 172\.20\.0\.1 is not a host address in 172\.21\.0\.0\/24/,
    ],
    [
      "a Roundcube IMAP port that dovecot does not publish",
      "staging",
      (v) => ((mail(v).roundcube as Record<string, number>).imapPort = 993),
      /onprem-infra:mail\.roundcube\.imapPort: Roundcube reaches IMAPS at dell-workstation\.tail67811d\.ts\.net:993/,
    ],
    [
      "an image pinned to latest",
      "production",
      (v) => (mail(v).services.nginx.image = "nginx:latest"),
      /onprem-infra:mail\.services\.nginx\.image: must be pinned to a version tag \(not latest\) or a sha256 digest/,
    ],
    [
      "an untagged image behind a registry port",
      "production",
      (v) => (mail(v).services.nginx.image = "registry.local:5000/nginx"),
      /onprem-infra:mail\.services\.nginx\.image: must be pinned/,
    ],
    [
      "a missing service",
      "production",
      (v) => delete mail(v).services.usermgmt,
      /onprem-infra:mail\.services\.usermgmt: is required/,
    ],
    [
      "a value of the wrong type",
      "production",
      (v) => (mail(v).relay.host = 587 as unknown as string),
      /onprem-infra:mail\.relay\.host: must be text, got 587/,
    ],
    [
      "an unknown key",
      "staging",
      (v) => (mail(v).servics = {}),
      /onprem-infra:mail\.servics: is not a known key/,
    ],
    [
      "an environment that is not the stack",
      "staging",
      (v) => (v["onprem-infra:environment"] = "production"),
      /onprem-infra:environment: must equal the stack name "staging", got "production"/,
    ],
    [
      "an empty owner",
      "production",
      (v) => (v["onprem-infra:owner"] = ""),
      /onprem-infra:owner: must not be empty/,
    ],
    [
      "a staging relay that could send real mail",
      "staging",
      (v) => (mail(v).relay.host = "[smtp.sendgrid.net]:587"),
      /onprem-infra:mail\.relay\.host: a staging stack must use an unusable loopback relay/,
    ],
    ["a missing Docker host", "production", (v) => delete v["docker:host"], /docker:host: is required/],
    [
      "a Docker host that is not a URL",
      "production",
      (v) => (v["docker:host"] = "workstation"),
      /docker:host: must be an ssh:\/\/, unix:\/\/ or tcp:\/\/ URL/,
    ],
    [
      "a rotation stamp that is not a date",
      "production",
      (v) => ((v["onprem-infra:rotations"] as Record<string, string>).mailDbRootPassword = "2026-13-01"),
      /onprem-infra:rotations\.mailDbRootPassword: must be a date like 2026-11-01/,
    ],
    [
      "a rotation stamp that is no day of the calendar",
      "staging",
      (v) => ((v["onprem-infra:rotations"] as Record<string, string>).tunnelSecret = "2026-02-30"),
      /onprem-infra:rotations\.tunnelSecret: 2026-02-30 is not a day of the calendar/,
    ],
    [
      "a rotation stamp naming no secret",
      "production",
      (v) => ((v["onprem-infra:rotations"] as Record<string, string>).mailDbRootPasswd = "2026-10-01"),
      /onprem-infra:rotations\.mailDbRootPasswd: is not a known key/,
    ],
    [
      "a rotation stamp naming no site",
      "production",
      (v) => (rotations(v).siteDbPasswords["kuma8088-tec"] = "2026-10-01"),
      /onprem-infra:rotations\.siteDbPasswords\.kuma8088-tec: names no new WordPress site of onprem-infra:blog\.sites/,
    ],
    [
      "a rotation stamp for a secret the stack does not hold",
      "staging",
      (v) => (rotations(v).sendgridApiKey = "2026-04-15"),
      /onprem-infra:rotations\.sendgridApiKey: names a secret this stack does not hold/,
    ],
    [
      "a rotation stamp in the future",
      "production",
      (v) => (rotations(v).mailApiKey = "2099-01-01"),
      /onprem-infra:rotations\.mailApiKey: 2099-01-01 is in the future \(today is \d{4}-\d\d-\d\d\)/,
    ],
    [
      "a new site without its passwords' stamp",
      "staging",
      (v) => delete rotations(v).siteDbPasswords["staging-blog"],
      /onprem-infra:rotations\.siteDbPasswords\.staging-blog: is required: the day site staging-blog's database and administrator passwords were made/,
    ],
    [
      "a stamp for a taken-over site (it has no generated password)",
      "production",
      (v) => (rotations(v).siteDbPasswords.kuma8088 = "2026-10-01"),
      /onprem-infra:rotations\.siteDbPasswords\.kuma8088: names no new WordPress site of onprem-infra:blog\.sites \(none\)/,
    ],
    ...siteKindCases(),
  ];
  for (const [what, stack, edit, expected] of cases) {
    it(`rejects ${what} (${stack})`, async () => {
      await expectConfigError(stack, edit, expected);
    });
  }

  it("names the exact command for a missing external secret", async () => {
    await expectConfigError(
      "production",
      () => undefined,
      /onprem-infra:sendgridApiKey: is required; set it with `pulumi config set --secret onprem-infra:sendgridApiKey <value> --stack production`/,
      secretsWithout("production", "sendgridApiKey"),
    );
  });

  /** Runs `stack` with `edit` applied and returns the error it stops with ("" when it runs). */
  async function stopsWith(stack: StackName, edit: Edit, secrets?: Record<string, string>): Promise<string> {
    const values = cloneValues(readStackValues(stack));
    edit(values);
    try {
      await runStack(stack, values, secrets ?? secretsFor(stack, values));
      return "";
    } catch (err) {
      return (err as Error).message;
    }
  }

  it("the CLI itself refuses a declared secret stored in plain text, before the program runs", async () => {
    const message = await stopsWith(
      "staging",
      (v) => (v["onprem-infra:cloudflareApiToken"] = "cf-token-in-plain-text"),
      secretsWithout("staging", "cloudflareApiToken"),
    );
    assert.equal(
      message,
      "the Pulumi CLI stops before the program runs:\n  - Stack 'staging' with configuration key 'cloudflareApiToken' must be encrypted as it's secret",
    );
    assert.equal(registeredCount(), 0);
  });

  it("rejects an undeclared secret (held by production only) stored in plain text", async () => {
    const message = await stopsWith(
      "production",
      (v) => (v["onprem-infra:sendgridApiKey"] = "SG.in-plain-text"),
      secretsWithout("production", "sendgridApiKey"),
    );
    assert.match(
      message,
      /^Invalid stack config in Pulumi\.production\.yaml:\n {2}- onprem-infra:sendgridApiKey: is stored in plain text; set it again with `pulumi config set --secret onprem-infra:sendgridApiKey <value> --stack production`$/,
    );
    assert.equal(registeredCount(), 0);
  });

  it("the CLI refuses a stack file missing a declared key, or holding one of the wrong type", async () => {
    assert.equal(
      await stopsWith("production", (v) => {
        delete v["onprem-infra:owner"];
        delete v["onprem-infra:rotations"];
      }),
      "the Pulumi CLI stops before the program runs:\n  - Stack 'production' is missing configuration values 'owner' and 'rotations'",
    );
    assert.equal(registeredCount(), 0);
    assert.equal(
      await stopsWith("staging", (v) => (v["onprem-infra:tunnel"] = "onprem-staging")),
      "the Pulumi CLI stops before the program runs:\n  - Stack 'staging' with configuration key 'tunnel' must be of type 'object'",
    );
    assert.equal(registeredCount(), 0);
  });

  it("requires each taken-over mail password, names its command, and refuses one SQL or a DSN would mangle", async () => {
    // Declared in Pulumi.yaml (every stack holds them), so the CLI itself requires each one.
    for (const key of ["mailDbRootPassword", "mailDbAppPassword", "usermgmtDbPassword"]) {
      assert.equal(
        await stopsWith("staging", () => undefined, secretsWithout("staging", key)),
        `the Pulumi CLI stops before the program runs:\n  - Stack 'staging' is missing configuration value '${key}'`,
      );
      assert.equal(registeredCount(), 0);
    }
    await expectConfigError(
      "staging",
      () => undefined,
      /onprem-infra:usermgmtDbPassword: must be at least 12 of A-Z a-z 0-9 - _/,
      { ...secretsFor("staging"), "onprem-infra:usermgmtDbPassword": "p@ss:word/with#url-chars" },
    );
  });

  it("rejects relay credentials in a stack whose relay is unauthenticated", async () => {
    await expectConfigError(
      "staging",
      () => undefined,
      /onprem-infra:sendgridApiKey: must not be set: only stacks whose mail relay authenticates \(mail\.relay\.authenticated: true\) hold it; remove it with `pulumi config rm onprem-infra:sendgridApiKey --stack staging`/,
      secretsFor("production"),
    );
  });

  it("says nothing of the SendGrid key while relay.authenticated itself is invalid", async () => {
    for (const stack of ["production", "staging"] as const) {
      const message = await expectConfigError(
        stack,
        (v) => ((mail(v).relay as Record<string, unknown>).authenticated = "nope"),
        /onprem-infra:mail\.relay\.authenticated: must be true or false/,
      );
      assert.equal(message.split("\n").length, 2, message);
    }
  });

  describe("ONPREM_TODAY", () => {
    afterEach(() => delete process.env.ONPREM_TODAY);

    it("a malformed one is an error naming it", async () => {
      process.env.ONPREM_TODAY = "2026-11-31";
      const message = await expectConfigError(
        "staging",
        () => undefined,
        /^Invalid stack config in Pulumi\.staging\.yaml:\n {2}- ONPREM_TODAY: must be a day of the calendar as YYYY-MM-DD \(e\.g\. 2026-11-29\), got "2026-11-31"$/,
      );
      assert.equal(message.split("\n").length, 2, "nothing else is judged against a day that is not one");
      process.env.ONPREM_TODAY = "29.11.2026";
      await expectConfigError(
        "staging",
        () => undefined,
        /ONPREM_TODAY: must be a day of the calendar as YYYY-MM-DD \(e\.g\. 2026-11-29\), got "29\.11\.2026"/,
      );
    });

    it("a stamp after the pinned day is in the future", async () => {
      process.env.ONPREM_TODAY = "2026-09-30";
      const message = await expectConfigError(
        "staging",
        () => undefined,
        /onprem-infra:rotations\.mailDbRootPassword: 2026-10-01 is in the future \(today is 2026-09-30\)/,
      );
      assert.match(
        message,
        /onprem-infra:rotations\.siteDbPasswords\.staging-blog: 2026-10-01 is in the future/,
      );
    });
  });

  it("reports every problem at once, in one message", async () => {
    const message = await expectConfigError(
      "production",
      (v) => {
        mail(v).services.mariadb.cpus = 0;
        mail(v).services.clamav.memory = "2GB";
      },
      /mariadb\.cpus/,
    );
    assert.match(message, /clamav\.memory/);
  });
});
