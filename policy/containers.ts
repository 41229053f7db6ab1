/**
 * Containers: the house rules every long-running Docker container follows (limits, health check,
 * no privilege, no host namespaces, no dangerous mounts, bound ports, restart policy, log
 * rotation), plus two advisory hardening rules.
 */
import { arrayOf, BaseConfig, isRecord, resourcePolicy, stringMap } from "./common";

export const CONTAINER = "docker:index/container:Container";

type NoConfig = BaseConfig;

export const containerResourceLimits = resourcePolicy<NoConfig>({
  name: "container-resource-limits",
  description: "Every container has a memory limit and a CPU limit.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  remediationSteps: "Set cpus and memory for the service in the stack config.",
  rules: (args, _config, report) => [
    () => {
      const memory = Number(args.props.memory ?? 0);
      if (!(memory > 0)) {
        report("memory is not set: the container may use all of the host's memory");
      }
    },
    () => {
      const cpus = Number(args.props.cpus ?? 0);
      const quota = Number(args.props.cpuQuota ?? 0);
      if (!(cpus > 0) && !(quota > 0)) {
        report("cpus is not set: the container may use every CPU of the host");
      }
    },
  ],
});

export const containerHealthcheck = resourcePolicy<NoConfig>({
  name: "container-healthcheck",
  description: "Every container has a health check, so start order and restarts can rely on it.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  rules: (args, _config, report) => [
    () => {
      const hc: unknown = args.props.healthcheck;
      const tests = isRecord(hc) ? arrayOf(hc.tests).map(String) : [];
      if (tests.length === 0 || tests[0].toUpperCase() === "NONE") {
        report("healthcheck is not set (or disabled with NONE)");
      }
    },
  ],
});

export const containerNotPrivileged = resourcePolicy<NoConfig>({
  name: "container-not-privileged",
  description: "No container runs privileged.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  rules: (args, _config, report) => [
    () => {
      if (args.props.privileged === true) {
        report("privileged is true: the container has full access to the host");
      }
    },
  ],
});

export const containerNoHostNamespaces = resourcePolicy<NoConfig>({
  name: "container-no-host-namespaces",
  description: "No container shares the host's network, PID or IPC namespace.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  rules: (args, _config, report) =>
    (["networkMode", "pidMode", "ipcMode"] as const).map((field) => () => {
      const value: unknown = args.props[field];
      if (typeof value === "string" && value.toLowerCase() === "host") {
        report(`${field} is "host": the container shares the host's namespace`);
      }
    }),
});

export interface SensitiveMountsConfig extends BaseConfig {
  dockerSockets: string[];
  sensitivePaths: string[];
}

/** A host path mounted into a container, and whether it is read-only. */
interface HostMount {
  source: string;
  readOnly: boolean;
  via: string;
}

function normalisePath(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** Whether `path` is one of `sensitive` or lies below one (the root directory only matches itself). */
export function isSensitivePath(path: string, sensitive: readonly string[]): boolean {
  const p = normalisePath(path);
  return sensitive.some((s) => {
    const base = normalisePath(s);
    return p === base || (base !== "/" && p.startsWith(`${base}/`));
  });
}

export const containerSensitiveMounts = resourcePolicy<SensitiveMountsConfig>({
  name: "container-sensitive-mounts",
  description:
    "No container mounts the Docker socket, or a sensitive host directory (/, /etc, /root, /proc, /sys, …) read-write.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  config: {
    dockerSockets: {
      type: "array",
      items: { type: "string" },
      default: ["/var/run/docker.sock", "/run/docker.sock"],
      description: "Host paths of the Docker socket: never mounted read-write.",
    },
    sensitivePaths: {
      type: "array",
      items: { type: "string" },
      default: [
        "/",
        "/etc",
        "/root",
        "/boot",
        "/proc",
        "/sys",
        "/dev",
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/var/lib/docker",
        "/var/run",
        "/run",
      ],
      description: "Host directories (and everything below them) that are never mounted read-write.",
    },
  },
  rules: (args, config, report) => [
    () => {
      const mounts: HostMount[] = [];
      for (const [i, m] of arrayOf(args.props.mounts).entries()) {
        if (isRecord(m) && (m.type === "bind" || m.type === undefined) && typeof m.source === "string") {
          mounts.push({ source: m.source, readOnly: m.readOnly === true, via: `mounts[${i}]` });
        }
      }
      for (const [i, v] of arrayOf(args.props.volumes).entries()) {
        if (isRecord(v) && typeof v.hostPath === "string") {
          mounts.push({ source: v.hostPath, readOnly: v.readOnly === true, via: `volumes[${i}]` });
        }
      }
      for (const m of mounts) {
        if (m.readOnly) {
          continue;
        }
        if (isSensitivePath(m.source, config.dockerSockets)) {
          report(`${m.via} mounts the Docker socket ${m.source} read-write: that is root on the host`);
        } else if (isSensitivePath(m.source, config.sensitivePaths)) {
          report(`${m.via} mounts the sensitive host path ${m.source} read-write; mount it read-only`);
        }
      }
    },
  ],
});

const ALL_INTERFACES = new Set(["", "0.0.0.0", "::", "[::]"]);

export const containerPortsBound = resourcePolicy<NoConfig>({
  name: "container-ports-bound",
  description: "Every published port is bound to a specific host address, never to all interfaces.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  rules: (args, _config, report) => [
    () => {
      for (const [i, p] of arrayOf(args.props.ports).entries()) {
        if (!isRecord(p) || p.external === undefined) {
          continue;
        }
        const ip = typeof p.ip === "string" ? p.ip.trim() : "";
        if (ALL_INTERFACES.has(ip)) {
          report(`ports[${i}] publishes ${String(p.external)} on all interfaces; bind it to one address`);
        }
      }
    },
  ],
});

export interface RestartPolicyConfig extends BaseConfig {
  allowed: string[];
}

export const containerRestartPolicy = resourcePolicy<RestartPolicyConfig>({
  name: "container-restart-policy",
  description: "Every container has a restart policy, so it comes back after a crash or a reboot.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  config: {
    allowed: {
      type: "array",
      items: { type: "string" },
      default: ["unless-stopped", "always", "on-failure"],
      description: "Accepted restart policies.",
    },
  },
  rules: (args, config, report) => [
    () => {
      const restart: unknown = args.props.restart;
      if (typeof restart !== "string" || !config.allowed.includes(restart)) {
        report(
          `restart is ${restart === undefined ? "not set" : `"${String(restart)}"`}; use one of ${config.allowed.join(", ")}`,
        );
      }
    },
  ],
});

export interface LogLimitsConfig extends BaseConfig {
  sizeLimitedDrivers: string[];
  rotatingDrivers: string[];
}

export const containerLogLimits = resourcePolicy<LogLimitsConfig>({
  name: "container-log-limits",
  description:
    "Every container's logs are size-limited: json-file with max-size, or a driver that rotates or ships logs by itself.",
  enforcementLevel: "mandatory",
  types: [CONTAINER],
  config: {
    sizeLimitedDrivers: {
      type: "array",
      items: { type: "string" },
      default: ["json-file"],
      description: "Drivers that need a max-size log option.",
    },
    rotatingDrivers: {
      type: "array",
      items: { type: "string" },
      default: ["local", "journald", "syslog", "none"],
      description: "Drivers that limit or ship logs by themselves.",
    },
  },
  rules: (args, config, report) => [
    () => {
      const driver = typeof args.props.logDriver === "string" ? args.props.logDriver : "json-file";
      if (config.rotatingDrivers.includes(driver)) {
        return;
      }
      if (!config.sizeLimitedDrivers.includes(driver)) {
        report(`logDriver "${driver}" is not known to limit log size`);
        return;
      }
      const opts = stringMap(args.props.logOpts, "logOpts");
      if ((opts["max-size"] ?? "").trim() === "") {
        report(`logDriver "${driver}" without logOpts max-size: the log grows without bound`);
      }
    },
  ],
});

export const containerReadOnlyRootfs = resourcePolicy<NoConfig>({
  name: "container-read-only-rootfs",
  description: "Containers run with a read-only root filesystem (writable paths as volumes or tmpfs).",
  enforcementLevel: "advisory",
  types: [CONTAINER],
  rules: (args, _config, report) => [
    () => {
      if (args.props.readOnly !== true) {
        report("the root filesystem is writable (readOnly is not true)");
      }
    },
  ],
});

export const containerNoNewPrivileges = resourcePolicy<NoConfig>({
  name: "container-no-new-privileges",
  description: "Containers run with the no-new-privileges security option.",
  enforcementLevel: "advisory",
  types: [CONTAINER],
  rules: (args, _config, report) => [
    () => {
      const opts = arrayOf(args.props.securityOpts).map(String);
      if (!opts.some((o) => o === "no-new-privileges" || o === "no-new-privileges:true")) {
        report("securityOpts lacks no-new-privileges:true");
      }
    },
  ],
});
