import * as assert from "node:assert/strict";
import { IMAGE_TYPES, parseImageRef, pinnedImages } from "../../policy/images";
import { checkResource, UNKNOWN } from "./fixtures";

const DIGEST = "a".repeat(64);

function container(image: unknown) {
  return {
    type: IMAGE_TYPES.container,
    name: "mailserver-nginx",
    props: { name: "mailserver-nginx", image },
  };
}

describe("policy: pinned-images", () => {
  describe("parseImageRef", () => {
    it("never takes a registry port for a tag", () => {
      assert.deepEqual(parseImageRef("registry.local:5000/nginx"), {
        repository: "registry.local:5000/nginx",
        digest: undefined,
        isId: false,
      });
      assert.equal(parseImageRef("registry.local:5000/nginx:1.26").tag, "1.26");
    });
    it("splits a digest off", () => {
      assert.equal(parseImageRef(`nginx@sha256:${DIGEST}`).digest, `sha256:${DIGEST}`);
    });
  });

  const accepted: [string, string][] = [
    ["a version tag", "nginx:1.26-alpine"],
    ["a digest", `nginx@sha256:${DIGEST}`],
    ["a tag and a digest", `nginx:1.26@sha256:${DIGEST}`],
    ["a registry with a port and a tag", "registry.local:5000/nginx:1.26"],
    ["an image id (the RemoteImage's imageId)", `sha256:${DIGEST}`],
  ];
  for (const [what, ref] of accepted) {
    it(`accepts ${what}: ${ref}`, () => {
      assert.deepEqual(checkResource(pinnedImages, container(ref)).violations, []);
    });
  }

  const rejected: [string, string, RegExp][] = [
    ["no tag", "nginx", /has no tag/],
    ["latest", "nginx:latest", /floating tag "latest"/],
    ["LATEST in capitals", "nginx:LATEST", /floating tag/],
    ["a registry port but no tag", "registry.local:5000/nginx", /has no tag/],
    ["a malformed digest", "nginx@sha256:1234", /malformed digest/],
    ["an empty reference", "", /empty/],
  ];
  for (const [what, ref, message] of rejected) {
    it(`rejects ${what}: "${ref}"`, () => {
      const { violations } = checkResource(pinnedImages, container(ref));
      assert.equal(violations.length, 1, violations.join("\n"));
      assert.match(violations[0], message);
    });
  }

  it("rejects an image id when the config says so", () => {
    const { violations } = checkResource(pinnedImages, container(`sha256:${DIGEST}`), {
      allowImageIds: false,
    });
    assert.match(violations.join(), /image id/);
  });

  it("takes extra forbidden tags from config", () => {
    assert.equal(
      checkResource(pinnedImages, container("nginx:stable"), { forbiddenTags: ["latest", "stable"] })
        .violations.length,
      1,
    );
    assert.equal(checkResource(pinnedImages, container("nginx:stable")).violations.length, 0);
  });

  it("reads each type's own image field", () => {
    const cases = [
      { type: IMAGE_TYPES.remoteImage, props: { name: "mariadb:latest" } },
      { type: IMAGE_TYPES.image, props: { imageName: "registry.local:5000/usermgmt" } },
      { type: IMAGE_TYPES.service, props: { taskSpec: { containerSpec: { image: "redis" } } } },
    ];
    for (const c of cases) {
      assert.equal(checkResource(pinnedImages, { ...c, name: "x" }).violations.length, 1, c.type);
      const pinned = JSON.parse(
        JSON.stringify(c.props).replace(
          /"(mariadb:latest|registry.local:5000\/usermgmt|redis)"/,
          '"$1:1.2.3"',
        ),
      );
      assert.deepEqual(
        checkResource(pinnedImages, { ...c, name: "x", props: pinned }).violations,
        [],
        c.type,
      );
    }
  });

  it("reports a missing image", () => {
    assert.match(checkResource(pinnedImages, container(undefined)).violations.join(), /image is not set/);
  });

  it("does not apply to other types", () => {
    const outcome = checkResource(pinnedImages, {
      type: "docker:index/network:Network",
      name: "n",
      props: {},
    });
    assert.ok(outcome.notApplicable);
  });

  it("cannot verify an image unknown during preview, and says so", () => {
    const outcome = checkResource(pinnedImages, container(UNKNOWN));
    assert.deepEqual(outcome.violations, []);
    assert.match(outcome.unknown ?? "", /image can't be known during preview/);
  });

  it("honours a waiver with a reason, and ignores one without", () => {
    const waived = checkResource(pinnedImages, container("nginx:latest"), {
      waivers: [{ resource: "mailserver-nginx", reason: "upstream publishes no tags; tracked in #42" }],
    });
    assert.deepEqual(waived.violations, []);
    assert.match(waived.notApplicable ?? "", /waived/);
    const noReason = checkResource(pinnedImages, container("nginx:latest"), {
      waivers: [{ resource: "mailserver-nginx", reason: " " }],
    });
    assert.equal(noReason.violations.length, 1);
  });
});
