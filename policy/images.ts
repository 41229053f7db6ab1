/**
 * Images: every image reference of a container, a pulled or built image and a swarm service is
 * pinned to a version tag (not `latest`) or to a digest.
 */
import { BaseConfig, resourcePolicy } from "./common";

export const IMAGE_TYPES = {
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  image: "docker:index/image:Image",
  service: "docker:index/service:Service",
} as const;

/** An image reference split into its parts; the registry's port is never taken for a tag. */
export interface ImageRef {
  /** `registry:port/path/name` without tag and digest. */
  repository: string;
  tag?: string;
  digest?: string;
  /** The reference is an image id (`sha256:<64 hex>`), not a name. */
  isId: boolean;
}

const IMAGE_ID = /^sha256:[a-f0-9]{64}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImageRef(ref: string): ImageRef {
  if (IMAGE_ID.test(ref)) {
    return { repository: "", isId: true };
  }
  const at = ref.indexOf("@");
  const withoutDigest = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? undefined : ref.slice(at + 1);
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  if (colon > slash) {
    return {
      repository: withoutDigest.slice(0, colon),
      tag: withoutDigest.slice(colon + 1),
      digest,
      isId: false,
    };
  }
  return { repository: withoutDigest, digest, isId: false };
}

export interface PinnedImagesConfig extends BaseConfig {
  forbiddenTags: string[];
  allowImageIds: boolean;
}

/** Why `ref` is not pinned, or undefined when it is. */
export function unpinnedReason(ref: string, config: PinnedImagesConfig): string | undefined {
  if (ref.trim() === "") {
    return "the image reference is empty";
  }
  const parsed = parseImageRef(ref);
  if (parsed.isId) {
    return config.allowImageIds
      ? undefined
      : `"${ref}" is an image id; image ids are not allowed by this policy's config`;
  }
  if (parsed.digest !== undefined) {
    return DIGEST.test(parsed.digest) ? undefined : `"${ref}" has a malformed digest`;
  }
  if (parsed.tag === undefined || parsed.tag === "") {
    return `"${ref}" has no tag, so Docker pulls latest`;
  }
  if (config.forbiddenTags.some((t) => t.toLowerCase() === parsed.tag!.toLowerCase())) {
    return `"${ref}" uses the floating tag "${parsed.tag}"`;
  }
  return undefined;
}

/** Where each type keeps its image reference. */
function imageRefOf(type: string, props: Record<string, unknown>): { path: string; value: unknown } {
  switch (type) {
    case IMAGE_TYPES.container:
      return { path: "image", value: props.image };
    case IMAGE_TYPES.remoteImage:
      return { path: "name", value: props.name };
    case IMAGE_TYPES.image:
      return { path: "imageName", value: props.imageName };
    default: {
      const taskSpec = props.taskSpec as { containerSpec?: { image?: unknown } } | undefined;
      return { path: "taskSpec.containerSpec.image", value: taskSpec?.containerSpec?.image };
    }
  }
}

export const pinnedImages = resourcePolicy<PinnedImagesConfig>({
  name: "pinned-images",
  description:
    "Every docker Container, RemoteImage, Image and Service image reference has an explicit tag other than latest, or a sha256 digest. A container given an image id (sha256:…) is pinned by the image resource that produced it, which this policy checks.",
  enforcementLevel: "mandatory",
  types: Object.values(IMAGE_TYPES),
  config: {
    forbiddenTags: {
      type: "array",
      items: { type: "string" },
      default: ["latest"],
      description: "Tags that float and therefore never count as pinned.",
    },
    allowImageIds: {
      type: "boolean",
      default: true,
      description: "Accept an image id (sha256:<64 hex>) as a pinned reference.",
    },
  },
  remediationSteps:
    "Pin the image to a version tag (e.g. nginx:1.26-alpine) or a digest (nginx@sha256:…) in the stack config.",
  rules: (args, config, report) => [
    () => {
      const { path, value } = imageRefOf(args.type, args.props);
      if (value === undefined || value === null) {
        report(`${path} is not set, so the image cannot be verified as pinned`);
        return;
      }
      const reason = unpinnedReason(String(value), config);
      if (reason) {
        report(`${path}: ${reason}; pin a version tag or a sha256 digest`);
      }
    },
  ],
});
