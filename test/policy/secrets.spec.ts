import * as assert from "node:assert/strict";
import {
  generatedPasswordRotationKeeper,
  noPlaintextSecretEnv,
  rotationState,
  SECRET_TYPES,
  secretRotationOverdue,
} from "../../policy/secrets";
import { checkResource, FakeResource, UNKNOWN, withField } from "./fixtures";

const container: FakeResource = {
  type: SECRET_TYPES.container,
  name: "mail-mariadb",
  props: {
    envs: [
      "MARIADB_ROOT_PASSWORD=s3cr3t",
      "MARIADB_AUTO_UPGRADE=1",
      "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=no",
      "TZ=Asia/Tokyo",
    ],
  },
  opts: { additionalSecretOutputs: ["envs"] },
};

describe("policy: no-plaintext-secret-env", () => {
  it("accepts secret variables in a property kept secret", () => {
    assert.deepEqual(checkResource(noPlaintextSecretEnv, container).violations, []);
  });

  it("reports them when envs is not an additional secret output", () => {
    const plain = { ...container, opts: { additionalSecretOutputs: [] } };
    const { violations } = checkResource(noPlaintextSecretEnv, plain);
    assert.equal(violations.length, 1);
    assert.match(
      violations[0],
      /envs carries MARIADB_ROOT_PASSWORD but "envs" is not in additionalSecretOutputs/,
    );
  });

  for (const key of ["APP_SECRET", "TUNNEL_TOKEN", "MAIL_API_KEY", "db_password"]) {
    it(`recognises ${key} as secret`, () => {
      const r = { type: SECRET_TYPES.container, name: "c", props: { envs: [`${key}=x`] } };
      assert.equal(checkResource(noPlaintextSecretEnv, r).violations.length, 1);
    });
  }

  it("ignores empty values, *_FILE paths, switches and unrelated keys", () => {
    const r = {
      type: SECRET_TYPES.container,
      name: "c",
      props: {
        envs: [
          "DB_PASSWORD=",
          "DB_PASSWORD_FILE=/run/secrets/db",
          "MYSQL_RANDOM_ROOT_PASSWORD=yes",
          "KEYBOARD=us",
        ],
      },
    };
    assert.deepEqual(checkResource(noPlaintextSecretEnv, r).violations, []);
  });

  it("checks a local command's environment and a service's env", () => {
    const cmd = {
      type: SECRET_TYPES.command,
      name: "alter-user",
      props: { create: "mysql …", environment: { NEW_PASSWORD: "x" } },
    };
    assert.match(
      checkResource(noPlaintextSecretEnv, cmd).violations.join(),
      /environment carries NEW_PASSWORD/,
    );
    assert.deepEqual(
      checkResource(noPlaintextSecretEnv, { ...cmd, opts: { additionalSecretOutputs: ["environment"] } })
        .violations,
      [],
    );
    const svc = {
      type: SECRET_TYPES.service,
      name: "s",
      props: { taskSpec: { containerSpec: { image: "x:1", env: { API_TOKEN: "t" } } } },
    };
    assert.match(checkResource(noPlaintextSecretEnv, svc).violations.join(), /taskSpec carries API_TOKEN/);
  });

  it("cannot verify envs unknown during preview", () => {
    const outcome = checkResource(noPlaintextSecretEnv, withField(container, "props.envs", UNKNOWN));
    assert.match(outcome.unknown ?? "", /envs can't be known/);
  });
});

const password: FakeResource = {
  type: SECRET_TYPES.randomPassword,
  name: "mailDbRootPassword",
  props: { length: 32, special: false, keepers: { rotatedOn: "2026-01-10", rotationPeriodDays: "90" } },
};

describe("policy: generated-password-rotation-keeper", () => {
  it("accepts the rotation keepers", () => {
    assert.deepEqual(checkResource(generatedPasswordRotationKeeper, password).violations, []);
  });

  const cases: [string, string, unknown, RegExp][] = [
    ["no keepers", "keepers", undefined, /has no keepers/],
    ["no stamp", "keepers.rotatedOn", undefined, /rotatedOn is missing/],
    ["an impossible date", "keepers.rotatedOn", "2026-02-30", /rotatedOn is "2026-02-30"/],
    ["a date in another format", "keepers.rotatedOn", "10/01/2026", /expected a date YYYY-MM-DD/],
    ["no period", "keepers.rotationPeriodDays", undefined, /rotationPeriodDays is missing/],
    [
      "a period that is a number, not a string",
      "keepers.rotationPeriodDays",
      90,
      /rotationPeriodDays is "90"/,
    ],
    ["a zero period", "keepers.rotationPeriodDays", "0", /whole number of days/],
  ];
  for (const [what, field, value, message] of cases) {
    it(`reports ${what}`, () => {
      const { violations } = checkResource(
        generatedPasswordRotationKeeper,
        withField(password, `props.${field}`, value),
      );
      assert.equal(violations.length, 1, violations.join("\n"));
      assert.match(violations[0], message);
    });
  }

  it("does not apply to other types", () => {
    assert.ok(
      checkResource(generatedPasswordRotationKeeper, {
        type: "random:index/randomId:RandomId",
        name: "x",
        props: {},
      }).notApplicable,
    );
  });
});

describe("policy: secret-rotation-overdue", () => {
  // rotated 2026-01-10, every 90 days: due on 2026-04-10
  it("computes ok, due (within 14 days, or on the day) and overdue", () => {
    assert.deepEqual(rotationState("2026-01-10", 90, "2026-03-26", 14), { state: "ok", dueOn: "2026-04-10" });
    assert.equal(rotationState("2026-01-10", 90, "2026-03-27", 14).state, "due");
    assert.equal(rotationState("2026-01-10", 90, "2026-04-10", 14).state, "due");
    assert.equal(rotationState("2026-01-10", 90, "2026-04-11", 14).state, "overdue");
  });

  it("reports an overdue secret, as advisory, judged by the configured today", () => {
    assert.equal(secretRotationOverdue.enforcementLevel, "advisory");
    const { violations } = checkResource(secretRotationOverdue, password, { today: "2026-04-11" });
    assert.deepEqual(violations, [
      "mailDbRootPassword was last rotated on 2026-01-10 and was due on 2026-04-10 (every 90 days)",
    ]);
  });

  it("does not report a secret that is only due soon, nor one within its period", () => {
    assert.deepEqual(checkResource(secretRotationOverdue, password, { today: "2026-04-10" }).violations, []);
    assert.deepEqual(checkResource(secretRotationOverdue, password, { today: "2026-02-01" }).violations, []);
  });

  it("uses the real clock without a configured today", () => {
    const ancient = withField(password, "props.keepers.rotatedOn", "2000-01-01");
    assert.equal(checkResource(secretRotationOverdue, ancient).violations.length, 1);
    const future = withField(password, "props.keepers.rotatedOn", "2999-01-01");
    assert.deepEqual(checkResource(secretRotationOverdue, future).violations, []);
  });

  it("leaves malformed keepers to the mandatory keeper policy", () => {
    assert.deepEqual(
      checkResource(secretRotationOverdue, withField(password, "props.keepers", undefined), {
        today: "2030-01-01",
      }).violations,
      [],
    );
  });

  it("cannot verify a stamp unknown during preview", () => {
    const outcome = checkResource(
      secretRotationOverdue,
      withField(password, "props.keepers.rotatedOn", UNKNOWN),
    );
    assert.match(outcome.unknown ?? "", /keepers.rotatedOn can't be known/);
  });
});
