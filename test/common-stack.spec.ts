/** The shared stack mechanisms (components/common/stack.ts), registered under a test component. */
import { strict as assert } from "node:assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as v from "valibot";
import { namedVolumeSpec, networkSpec } from "../components/common/schema";
import {
  builtImage,
  hostDataDir,
  hostDirMount,
  namedVolume,
  namedVolumeInputs,
  pulledImage,
  serviceImages,
  stackContainerNames,
  stackEndpoints,
  stackLabels,
  stackNetwork,
  stackNetworkInputs,
  StackServices,
  stackServices,
} from "../components/common/stack";
import { capture, Capture, CapturedResource, resolve } from "./harness/engine";
import { CONTAINER, IMAGE, NETWORK, REMOTE_IMAGE, VOLUME } from "./harness/types";

const FACTS = { project: "onprem-infra", environment: "staging", owner: "kuma8088" };
const labels = stackLabels(FACTS, "demo");

/** A component to parent the mechanisms' resources, as MailserverStack and BlogStack do. */
class Demo extends pulumi.ComponentResource {
  constructor(name: string, body: (self: Demo) => void) {
    super("test:demo:Demo", name, {}, {});
    body(this);
  }
}

function label(r: CapturedResource, key: string): string | undefined {
  return (r.inputs.labels as { label: string; value: string }[]).find((l) => l.label === key)?.value;
}

describe("stack labels", () => {
  it("adds the stack's name to the common facts", () => {
    assert.deepEqual(labels({ "org.onprem-infra.role": "network" }), [
      { label: "org.onprem-infra.environment", value: "staging" },
      { label: "org.onprem-infra.managed-by", value: "pulumi" },
      { label: "org.onprem-infra.owner", value: "kuma8088" },
      { label: "org.onprem-infra.project", value: "onprem-infra" },
      { label: "org.onprem-infra.role", value: "network" },
      { label: "org.onprem-infra.stack", value: "demo" },
    ]);
  });
});

describe("stack network", () => {
  const NETWORK_ID = "a".repeat(64);
  const spec = { name: "demo_demo_network", subnet: "172.30.0.0/24", gateway: "172.30.0.1" };
  async function register(importId?: string, protect?: boolean): Promise<Capture> {
    return capture(
      () =>
        new Demo("demo", (self) =>
          stackNetwork("demo", { network: { ...spec, importId }, labels, protect }, { parent: self }),
        ),
    );
  }

  it("states every field as kreuzwerker's Read stores a Compose-made bridge network", () => {
    assert.deepEqual(stackNetworkInputs(spec, labels), {
      name: "demo_demo_network",
      driver: "bridge",
      internal: false,
      attachable: false,
      ingress: false,
      ipv6: false,
      ipamDriver: "default",
      ipamConfigs: [{ subnet: "172.30.0.0/24", gateway: "172.30.0.1" }],
      labels: labels({ "org.onprem-infra.role": "network" }),
    });
  });

  it("creates `<name>-network` when no import id is given: own labels, replaced delete-first, no import", async () => {
    const cap = await register();
    const net = cap.get("demo-network", NETWORK);
    assert.equal(net.parent, cap.get("demo", "test:demo:Demo").urn);
    assert.equal(net.inputs.name, "demo_demo_network");
    assert.deepEqual(net.inputs.ipamConfigs, [{ subnet: "172.30.0.0/24", gateway: "172.30.0.1" }]);
    assert.equal(label(net, "org.onprem-infra.role"), "network");
    assert.equal(label(net, "org.onprem-infra.stack"), "demo");
    assert.equal(net.options.deleteBeforeReplace, true);
    assert.equal(net.options.importId, "");
    assert.deepEqual(net.options.ignoreChanges, []);
    assert.equal(net.options.retainOnDelete, false);
    assert.equal(net.options.protect, false);
  });

  it("adopts the existing network by its id: kept on delete, Compose's labels left in place, protected when asked", async () => {
    const cap = await register(NETWORK_ID, true);
    const net = cap.get("demo-network", NETWORK);
    assert.equal(net.options.importId, NETWORK_ID);
    assert.deepEqual(net.options.ignoreChanges, ["labels"]);
    assert.equal(net.options.retainOnDelete, true);
    assert.equal(net.options.protect, true);
    assert.deepEqual(net.inputs.ipamConfigs, [{ subnet: "172.30.0.0/24", gateway: "172.30.0.1" }]);
  });

  it("validates the network spec: import id, name and gateway", () => {
    const issues = (input: unknown) =>
      (v.safeParse(networkSpec, input).issues ?? []).map(
        (i) => `${(i.path ?? []).map((p) => String(p.key)).join(".")}: ${i.message}`,
      );
    assert.deepEqual(issues({ ...spec, importId: NETWORK_ID }), []);
    assert.match(
      issues({ ...spec, importId: "A".repeat(64) })[0],
      /^importId: must be the network's full id, 64 lower-case hex/,
    );
    assert.match(issues({ ...spec, importId: "abc123" })[0], /^importId: must be the network's full id/);
    assert.match(issues({ ...spec, name: "bad name" })[0], /^name: must be a Docker network name/);
    assert.deepEqual(issues({ ...spec, gateway: "172.31.0.1" }), [
      "gateway: 172.31.0.1 is not a host address in 172.30.0.0/24",
    ]);
    assert.match(issues({ ...spec, gateway: "172.30.0.300" })[0], /^gateway: must be an IPv4 address/);
  });
});

describe("named volumes", () => {
  async function register(importId: string | undefined, protect: boolean): Promise<Capture> {
    return capture(
      () =>
        new Demo("demo", (self) =>
          namedVolume(
            "demo",
            "spool",
            { volume: { name: "demo_postfix_spool", importId }, role: "spool", labels, protect },
            { parent: self },
          ),
        ),
    );
  }

  it("states a plain local volume as Read stores it: local driver, no driver options", () => {
    assert.deepEqual(namedVolumeInputs({ volume: { name: "demo_postfix_spool" }, role: "spool", labels }), {
      name: "demo_postfix_spool",
      driver: "local",
      labels: labels({ "org.onprem-infra.role": "spool" }),
    });
  });

  it("creates `<name>-<key>-volume`, kept on delete, its labels never re-applied", async () => {
    const cap = await register(undefined, false);
    const vol = cap.get("demo-spool-volume", VOLUME);
    assert.equal(vol.parent, cap.get("demo", "test:demo:Demo").urn);
    assert.equal(vol.inputs.name, "demo_postfix_spool");
    assert.equal(vol.inputs.driverOpts, undefined);
    assert.equal(label(vol, "org.onprem-infra.role"), "spool");
    assert.equal(vol.options.importId, "");
    assert.equal(vol.options.retainOnDelete, true);
    assert.equal(vol.options.protect, false);
    assert.deepEqual(vol.options.ignoreChanges, ["labels"]);
  });

  it("adopts the existing volume by its name, and protects it when asked", async () => {
    const cap = await register("demo_postfix_spool", true);
    const vol = cap.get("demo-spool-volume", VOLUME);
    assert.equal(vol.options.importId, "demo_postfix_spool");
    assert.equal(vol.options.protect, true);
    assert.equal(vol.options.retainOnDelete, true);
  });

  it("refuses an import id that is not the volume's name (another name is another, empty volume)", () => {
    const issues = (input: unknown) =>
      (v.safeParse(namedVolumeSpec, input).issues ?? []).map(
        (i) => `${(i.path ?? []).map((p) => String(p.key)).join(".")}: ${i.message}`,
      );
    assert.deepEqual(issues({ name: "mailserver_postfix_spool", importId: "mailserver_postfix_spool" }), []);
    assert.deepEqual(issues({ name: "mailserver_postfix_spool" }), []);
    assert.match(
      issues({ name: "mailserver-spool", importId: "mailserver_postfix_spool" })[0],
      /^importId: must equal name \(mailserver-spool\)/,
    );
    assert.match(issues({ name: "bad/name" })[0], /^name: must be a Docker volume name/);
  });
});

describe("host data directories", () => {
  it("places a directory under its disk's path", () => {
    const dataPaths: Record<"ssd" | "hdd", string> = { ssd: "/ssd/demo", hdd: "/hdd/demo" };
    assert.equal(hostDataDir(dataPaths, { disk: "hdd", dir: "files" }), "/hdd/demo/files");
  });

  it("mounts an existing directory as a bind mount (which Docker refuses when the source is missing), read-only stated", () => {
    assert.deepEqual(hostDirMount("/srv/data/mail", "/var/mail/vhosts"), {
      type: "bind",
      source: "/srv/data/mail",
      target: "/var/mail/vhosts",
      readOnly: false,
    });
    assert.deepEqual(hostDirMount("/etc/certs", "/certs", true), {
      type: "bind",
      source: "/etc/certs",
      target: "/certs",
      readOnly: true,
    });
  });
});

describe("service images", () => {
  let cap: Capture;
  const ids: Record<string, pulumi.Output<string>> = {};
  before(async () => {
    cap = await capture(
      () =>
        new Demo("demo", (self) => {
          ids.pulled = pulledImage("demo", "cache", "redis:7.4.1-alpine", { parent: self });
          ids.built = builtImage(
            "demo",
            "app",
            { imageName: "onprem-infra/app:1.2.3", context: "/src/app", dockerfile: "Dockerfile.prod" },
            { parent: self },
          );
          Object.assign(
            ids,
            serviceImages(
              "both",
              ["web", "api"],
              (svc) =>
                svc === "api"
                  ? {
                      build: {
                        imageName: "onprem-infra/api:2.0.0",
                        context: "ctx",
                        dockerfile: "Dockerfile",
                        args: { BASE: "node:22.11.0" },
                      },
                    }
                  : { pull: "nginx:1.26-alpine" },
              { parent: self },
            ),
          );
        }),
    );
  });

  it("pulls `<name>-<service>-image`, kept locally, and runs its image id", async () => {
    const pulled = cap.get("demo-cache-image", REMOTE_IMAGE);
    assert.equal(pulled.parent, cap.get("demo", "test:demo:Demo").urn);
    assert.deepEqual(pulled.inputs, { name: "redis:7.4.1-alpine", keepLocally: true });
    assert.equal((await resolve(ids.pulled)).value, pulled.state.imageId);
  });

  it("builds `<name>-<service>-image` for linux/amd64 without pushing, and runs its repoDigest", async () => {
    const built = cap.get("demo-app-image", IMAGE);
    assert.equal(built.parent, cap.get("demo", "test:demo:Demo").urn);
    assert.equal(built.inputs.imageName, "onprem-infra/app:1.2.3");
    assert.deepEqual(built.inputs.build, {
      context: "/src/app",
      dockerfile: "/src/app/Dockerfile.prod",
      platform: "linux/amd64",
    });
    assert.equal(built.inputs.skipPush, true);
    assert.equal((await resolve(ids.built)).value, built.state.repoDigest);
  });

  it("pulls or builds one image per service, with build arguments when given", async () => {
    assert.equal(cap.get("both-web-image", REMOTE_IMAGE).inputs.name, "nginx:1.26-alpine");
    const api = cap.get("both-api-image", IMAGE);
    assert.deepEqual(api.inputs.build, {
      context: "ctx",
      dockerfile: "ctx/Dockerfile",
      args: { BASE: "node:22.11.0" },
      platform: "linux/amd64",
    });
    assert.equal((await resolve(ids.web)).value, cap.get("both-web-image").state.imageId);
    assert.equal((await resolve(ids.api)).value, api.state.repoDigest);
  });
});

describe("stack services", () => {
  type Svc = "db" | "app" | "proxy";
  const SERVICES: readonly Svc[] = ["db", "app", "proxy"];
  const settings = {
    db: { cpus: 1, memory: "1G", ip: "172.30.0.10", ports: [] },
    app: { cpus: 0.5, memory: "512M", memoryReservation: "256M", ip: "172.30.0.20", ports: [] },
    proxy: {
      cpus: 0.5,
      memory: "256M",
      ip: "172.30.0.30",
      ports: [{ host: 8443, container: 443, bind: "100.64.0.10" }],
    },
  };
  const containerName = (svc: Svc) => `demo-staging-${svc}`;
  let cap: Capture;
  let services: StackServices<Svc> | undefined;
  before(async () => {
    cap = await capture(
      () =>
        new Demo("demo", (self) => {
          const network = new docker.Network(
            "demo-network",
            { name: "demo-staging-network" },
            { parent: self },
          );
          const migrate = new docker.Volume("demo-marker", {}, { parent: self });
          services = stackServices(
            "demo",
            {
              networkName: network.name,
              settings,
              images: { db: "sha256:db", app: "sha256:app", proxy: "sha256:proxy" },
              containerName,
              needs: { db: [], app: ["db"], proxy: ["app"] },
              healthChecks: {
                db: { test: ["CMD", "true"] },
                app: { test: ["CMD", "true"] },
                proxy: { test: ["CMD", "true"] },
              },
              stopGraceSeconds: { db: 120 },
              labels,
              privilegeEscalation: new Set<Svc>(["proxy"]),
            },
            { parent: self },
          );
          services.create("db", { envs: [pulumi.secret("PASSWORD=pw"), "TZ=Asia/Tokyo"] });
          services.create("app", {
            command: ["serve"],
            alsoJoins: [{ name: "other-network", aliases: ["demo-staging-app"] }],
            after: [migrate],
          });
          services.create("proxy", { mounts: [{ type: "volume", source: "certs", target: "/certs" }] });
        }),
    );
  });

  it("registers `<name>-<service>` under the component and returns the containers by service", () => {
    const component = cap.get("demo", "test:demo:Demo");
    assert.deepEqual(
      cap.ofType(CONTAINER).map((c) => [c.name, c.parent]),
      SERVICES.map((svc) => [`demo-${svc}`, component.urn]),
    );
    assert.deepEqual(Object.keys(services?.containers ?? {}), [...SERVICES]);
  });

  it("names, limits and labels each container from its settings", () => {
    const app = cap.get("demo-app", CONTAINER);
    assert.equal(app.inputs.name, "demo-staging-app");
    assert.equal(app.inputs.hostname, "app");
    assert.equal(app.inputs.image, "sha256:app");
    assert.equal(app.inputs.cpus, "0.5");
    assert.equal(app.inputs.memory, 512);
    assert.equal(app.inputs.memoryReservation, 256);
    assert.deepEqual(app.inputs.command, ["serve"]);
    assert.equal(label(app, "org.onprem-infra.service"), "app");
    assert.equal(label(app, "org.onprem-infra.stack"), "demo");
    assert.equal(cap.get("demo-db", CONTAINER).inputs.destroyGraceSeconds, 120);
    assert.equal(app.inputs.destroyGraceSeconds, 30);
  });

  it("puts each container at its fixed address on the stack's network, then on the networks it also joins", () => {
    assert.deepEqual(cap.get("demo-db", CONTAINER).inputs.networksAdvanced, [
      { name: "demo-staging-network", ipv4Address: "172.30.0.10", aliases: ["db"] },
    ]);
    assert.deepEqual(cap.get("demo-app", CONTAINER).inputs.networksAdvanced, [
      { name: "demo-staging-network", ipv4Address: "172.30.0.20", aliases: ["app"] },
      { name: "other-network", aliases: ["demo-staging-app"] },
    ]);
    assert.deepEqual(cap.get("demo-proxy", CONTAINER).inputs.ports, [
      { internal: 443, external: 8443, ip: "100.64.0.10", protocol: "tcp" },
    ]);
  });

  it("keeps the environment secret and no-new-privileges except where escalation is needed", () => {
    const db = cap.get("demo-db", CONTAINER);
    assert.deepEqual(db.inputs.envs, ["PASSWORD=pw", "TZ=Asia/Tokyo"]);
    assert.ok(db.secretPaths.includes("envs"));
    assert.deepEqual(db.inputs.securityOpts, ["no-new-privileges:true"]);
    assert.deepEqual(cap.get("demo-proxy", CONTAINER).inputs.securityOpts, []);
    assert.equal(cap.get("demo-app", CONTAINER).inputs.envs, undefined);
  });

  it("starts each container after the services it needs and what its spec waits for", () => {
    const starts = (name: string) =>
      cap.dependencyNames(cap.get(name, CONTAINER)).filter((d) => d !== "demo-network");
    assert.deepEqual(starts("demo-db"), []);
    assert.deepEqual(starts("demo-app"), ["demo-db", "demo-marker"]);
    assert.deepEqual(starts("demo-proxy"), ["demo-app"]);
  });

  it("lists the stack's container names and published endpoints", () => {
    assert.deepEqual(stackContainerNames(SERVICES, containerName), {
      db: "demo-staging-db",
      app: "demo-staging-app",
      proxy: "demo-staging-proxy",
    });
    assert.deepEqual(stackEndpoints(SERVICES, settings), ["100.64.0.10:8443 -> proxy:443"]);
  });
});
