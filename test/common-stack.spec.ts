/** The shared stack mechanisms (components/common/stack.ts), registered under a test component. */
import { strict as assert } from "node:assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  bindVolumeHostDir,
  bindVolumes,
  builtImage,
  DIRECTORY_HELPER_IMAGE,
  pulledImage,
  serviceImages,
  stackContainerNames,
  stackEndpoints,
  stackLabels,
  stackNetwork,
  StackServices,
  stackServices,
} from "../components/common/stack";
import { capture, Capture, CapturedResource, resolve } from "./harness/engine";
import { COMMAND, CONTAINER, IMAGE, NETWORK, REMOTE_IMAGE, VOLUME } from "./harness/types";

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
  let cap: Capture;
  before(async () => {
    cap = await capture(
      () =>
        new Demo("demo", (self) =>
          stackNetwork(
            "demo",
            { containerPrefix: "demo-staging", subnet: "172.30.0.0/24", labels },
            { parent: self },
          ),
        ),
    );
  });

  it("is `<name>-network`, a bridge named after the prefix with the subnet's first address as gateway", () => {
    const net = cap.get("demo-network", NETWORK);
    assert.equal(net.parent, cap.get("demo", "test:demo:Demo").urn);
    assert.equal(net.inputs.name, "demo-staging-network");
    assert.equal(net.inputs.driver, "bridge");
    assert.deepEqual(net.inputs.ipamConfigs, [{ subnet: "172.30.0.0/24", gateway: "172.30.0.1" }]);
    assert.equal(label(net, "org.onprem-infra.role"), "network");
    assert.equal(label(net, "org.onprem-infra.stack"), "demo");
    assert.equal(net.options.deleteBeforeReplace, true);
  });
});

describe("bind volumes", () => {
  const VOLUMES = {
    db: { disk: "ssd", dir: "mysql" },
    files: { disk: "hdd", dir: "files" },
  } as const;
  const dataPaths = { ssd: "/ssd/demo", hdd: "/hdd/demo" };

  async function register(protect: boolean): Promise<{ cap: Capture; keys: string[] }> {
    let keys: string[] = [];
    const cap = await capture(
      () =>
        new Demo("demo", (self) => {
          const volumes = bindVolumes(
            "demo",
            {
              containerPrefix: "demo-staging",
              volumes: VOLUMES,
              dataPaths,
              dockerHost: "ssh://deploy@host",
              labels,
              protect,
            },
            { parent: self },
          );
          keys = Object.keys(volumes);
        }),
    );
    return { cap, keys };
  }

  it("places each volume under its disk's path", () => {
    assert.equal(bindVolumeHostDir(dataPaths, VOLUMES.files), "/hdd/demo/files");
  });

  it("creates every host directory once with the pinned helper image, against the stack's Docker host", async () => {
    const { cap } = await register(false);
    const dirs = cap.get("demo-data-dirs", COMMAND);
    assert.equal(dirs.parent, cap.get("demo", "test:demo:Demo").urn);
    assert.equal(
      dirs.inputs.create,
      `docker run --rm -v /ssd/demo/mysql:/d0 -v /hdd/demo/files:/d1 ${DIRECTORY_HELPER_IMAGE} true`,
    );
    assert.match(DIRECTORY_HELPER_IMAGE, /^busybox:\d+\.\d+\.\d+$/);
    assert.deepEqual(dirs.inputs.environment, { DOCKER_HOST: "ssh://deploy@host" });
    assert.deepEqual(dirs.inputs.triggers, ["/ssd/demo/mysql", "/hdd/demo/files"]);
  });

  it("registers `<name>-<volume>-volume` bound to its directory, after the directories, kept on delete", async () => {
    const { cap, keys } = await register(false);
    assert.deepEqual(keys, ["db", "files"]);
    const component = cap.get("demo", "test:demo:Demo");
    assert.deepEqual(
      cap.ofType(VOLUME).map((v) => v.name),
      ["demo-db-volume", "demo-files-volume"],
    );
    const db = cap.get("demo-db-volume", VOLUME);
    assert.equal(db.parent, component.urn);
    assert.equal(db.inputs.name, "demo-staging-db");
    assert.equal(db.inputs.driver, "local");
    assert.deepEqual(db.inputs.driverOpts, { type: "none", o: "bind", device: "/ssd/demo/mysql" });
    assert.equal(label(db, "org.onprem-infra.role"), "data");
    assert.deepEqual(cap.dependencyNames(db), ["demo-data-dirs"]);
    assert.equal(db.options.retainOnDelete, true);
    assert.equal(db.options.protect, false);
  });

  it("protects the volumes when asked", async () => {
    const { cap } = await register(true);
    for (const v of cap.ofType(VOLUME)) {
      assert.equal(v.options.protect, true, v.name);
      assert.equal(v.options.retainOnDelete, true, v.name);
    }
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
