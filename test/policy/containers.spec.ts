import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  CONTAINER,
  containerHealthcheck,
  containerLogLimits,
  containerNoHostNamespaces,
  containerNoNewPrivileges,
  containerNotPrivileged,
  containerPortsBound,
  containerReadOnlyRootfs,
  containerResourceLimits,
  containerRestartPolicy,
  containerSensitiveMounts,
  isSensitivePath,
} from "../../policy/containers";
import { checkResource, FakeResource, UNKNOWN, withField } from "./fixtures";

/** A container as the estate's service-container helper registers it. */
const compliant: FakeResource = {
  type: CONTAINER,
  name: "mailserver-dovecot",
  props: {
    name: "mailserver-dovecot",
    image: `sha256:${"b".repeat(64)}`,
    cpus: "1.0",
    memory: 1024,
    restart: "unless-stopped",
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    healthcheck: { tests: ["CMD", "doveadm", "service", "status", "imap"], interval: "30s" },
    ports: [{ internal: 993, external: 993, ip: "100.64.0.10", protocol: "tcp" }],
    mounts: [
      { type: "bind", source: "/mnt/hdd/mail", target: "/srv/mail" },
      { type: "bind", source: "/var/lib/tailscale/certs", target: "/certs", readOnly: true },
      { type: "volume", source: "postfix-spool", target: "/var/spool/postfix" },
    ],
    securityOpts: ["no-new-privileges:true"],
    readOnly: true,
  },
};

const MANDATORY: ResourceValidationPolicy[] = [
  containerResourceLimits,
  containerHealthcheck,
  containerNotPrivileged,
  containerNoHostNamespaces,
  containerSensitiveMounts,
  containerPortsBound,
  containerRestartPolicy,
  containerLogLimits,
];
const ADVISORY: ResourceValidationPolicy[] = [containerReadOnlyRootfs, containerNoNewPrivileges];

/** Runs every container policy; returns `policy-name: message` lines. */
function violations(resource: FakeResource): string[] {
  return [...MANDATORY, ...ADVISORY].flatMap((p) =>
    checkResource(p, resource).violations.map((v) => `${p.name}: ${v}`),
  );
}

/** Exactly one violation, from `policy`, matching `message`. */
function expectOnly(resource: FakeResource, policy: string, message: RegExp): void {
  const found = violations(resource);
  assert.equal(found.length, 1, found.join("\n") || "no violation");
  assert.ok(found[0].startsWith(`${policy}: `), found[0]);
  assert.match(found[0], message);
}

describe("policy: containers", () => {
  it("the compliant fixture passes every container policy", () => {
    assert.deepEqual(violations(compliant), []);
  });

  it("declares the mandatory and advisory levels of the issue", () => {
    assert.ok(MANDATORY.every((p) => p.enforcementLevel === "mandatory"));
    assert.ok(ADVISORY.every((p) => p.enforcementLevel === "advisory"));
  });

  const cases: [string, string, unknown, string, RegExp][] = [
    ["no memory limit", "memory", undefined, "container-resource-limits", /memory is not set/],
    ["memory 0", "memory", 0, "container-resource-limits", /memory is not set/],
    ["no CPU limit", "cpus", undefined, "container-resource-limits", /cpus is not set/],
    ["no health check", "healthcheck", undefined, "container-healthcheck", /healthcheck is not set/],
    ["health check NONE", "healthcheck.tests", ["NONE"], "container-healthcheck", /disabled with NONE/],
    ["privileged", "privileged", true, "container-not-privileged", /privileged is true/],
    ["host network", "networkMode", "host", "container-no-host-namespaces", /networkMode is "host"/],
    ["host PID", "pidMode", "host", "container-no-host-namespaces", /pidMode is "host"/],
    ["host IPC", "ipcMode", "host", "container-no-host-namespaces", /ipcMode is "host"/],
    [
      "the Docker socket, read-write",
      "mounts.0.source",
      "/var/run/docker.sock",
      "container-sensitive-mounts",
      /Docker socket/,
    ],
    [
      "/etc read-write",
      "mounts.0.source",
      "/etc/ssl",
      "container-sensitive-mounts",
      /sensitive host path \/etc\/ssl/,
    ],
    [
      "the host root as a legacy volume, read-write",
      "volumes",
      [{ hostPath: "/", containerPath: "/host" }],
      "container-sensitive-mounts",
      /volumes\[0\] mounts the sensitive host path \//,
    ],
    ["a port on all interfaces", "ports.0.ip", "0.0.0.0", "container-ports-bound", /all interfaces/],
    ["a port without an address", "ports.0.ip", undefined, "container-ports-bound", /all interfaces/],
    ["no restart policy", "restart", undefined, "container-restart-policy", /restart is not set/],
    ["restart no", "restart", "no", "container-restart-policy", /restart is "no"/],
    [
      "json-file without max-size",
      "logOpts",
      { "max-file": "3" },
      "container-log-limits",
      /without logOpts max-size/,
    ],
    ["default driver without options", "logOpts", undefined, "container-log-limits", /json-file/],
    ["an unknown log driver", "logDriver", "gelf", "container-log-limits", /not known to limit/],
    [
      "a writable root filesystem",
      "readOnly",
      undefined,
      "container-read-only-rootfs",
      /readOnly is not true/,
    ],
    ["no no-new-privileges", "securityOpts", [], "container-no-new-privileges", /no-new-privileges/],
  ];
  for (const [what, field, value, policy, message] of cases) {
    it(`${policy} reports ${what}`, () => {
      expectOnly(withField(compliant, `props.${field}`, value), policy, message);
    });
  }

  it("accepts the Docker socket and sensitive paths read-only, and named volumes", () => {
    const ro = withField(
      withField(compliant, "props.mounts.0", {
        type: "bind",
        source: "/var/run/docker.sock",
        target: "/s",
        readOnly: true,
      }),
      "props.volumes",
      [
        { hostPath: "/etc/localtime", containerPath: "/etc/localtime", readOnly: true },
        { volumeName: "data", containerPath: "/d" },
      ],
    );
    assert.deepEqual(violations(ro), []);
  });

  it("accepts drivers that rotate by themselves and an unpublished port", () => {
    assert.deepEqual(
      violations(withField(withField(compliant, "props.logDriver", "local"), "props.logOpts", undefined)),
      [],
    );
    assert.deepEqual(violations(withField(compliant, "props.ports", [{ internal: 80 }])), []);
  });

  it("matches sensitive paths by directory, and / only by itself", () => {
    assert.ok(isSensitivePath("/etc/", ["/etc"]));
    assert.ok(isSensitivePath("/etc/ssl/certs", ["/etc"]));
    assert.ok(!isSensitivePath("/etcetera", ["/etc"]));
    assert.ok(!isSensitivePath("/mnt/ssd", ["/"]));
    assert.ok(isSensitivePath("/", ["/"]));
  });

  it("an unknown field stops only its own rule: a known violation is still reported", () => {
    const r = withField(withField(compliant, "props.memory", UNKNOWN), "props.cpus", undefined);
    const outcome = checkResource(containerResourceLimits, r);
    assert.deepEqual(outcome.violations, ["cpus is not set: the container may use every CPU of the host"]);
    assert.match(outcome.unknown ?? "", /memory can't be known during preview/);
  });
});
