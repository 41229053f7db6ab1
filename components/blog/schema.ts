/**
 * The blog stack's stack config (`onprem-infra:blog`): the five services' per-stack settings and
 * the WordPress sites. What every blog stack shares (health checks, needs, rendered config) lives
 * in `services.ts`.
 */
import * as v from "valibot";
import { DB_IDENTIFIER } from "../common/mariadb";
import {
  absolutePath,
  containerPrefix,
  hostname,
  parseImageRef,
  pinnedImage,
  Problem,
  publishedPort,
  runtimeSettings,
  serviceAddressProblems,
  serviceSettings,
  subnet,
  versionTag,
  withCrossCheck,
} from "../common/schema";
import { memoryToMb } from "../common/units";

/** The five blog services, in ESTATE.md's order. */
export const BLOG_SERVICES = ["mariadb", "redis", "wordpress", "nginx", "cloudflared"] as const;
export type BlogService = (typeof BLOG_SERVICES)[number];

/** A site's name: used in resource names, its password's secret id and its environment keys. */
export const SITE_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/** A document root below the sites directory: `kuma8088`, `fx/blog`; no `..`, no leading `/`. */
export const DOCUMENT_ROOT = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/;

/** Redis's own size syntax for `--maxmemory`: `512mb`, `1gb`. */
const redisSize = v.pipe(
  v.string("must be a Redis size like 512mb"),
  v.regex(/^[1-9][0-9]*(mb|gb)$/, "must be a Redis size like 512mb"),
);

/** Redis size in MiB. */
export function redisSizeToMb(size: string): number {
  const match = /^([1-9][0-9]*)(mb|gb)$/.exec(size);
  if (!match) {
    throw new Error(`not a Redis size: ${size}`);
  }
  return Number(match[1]) * (match[2] === "gb" ? 1024 : 1);
}

/** The WordPress PHP-FPM image, built from `components/blog/wordpress/Dockerfile`. */
export const wordpressSettings = v.strictObject({
  build: v.strictObject({
    /** The official base image the Dockerfile builds on: pinned, PHP 8.2 FPM. */
    baseImage: v.pipe(
      pinnedImage,
      v.check((ref) => {
        const { repository, tag } = parseImageRef(ref);
        return repository === "wordpress" && tag !== undefined && /php8\.2-fpm/.test(tag);
      }, "must be an official wordpress:<version>-php8.2-fpm tag"),
    ),
    /** The tag the image is built as; bump it for the monthly rebuild. */
    version: versionTag,
  }),
  ...runtimeSettings,
  ports: v.optional(
    v.pipe(v.array(publishedPort), v.maxLength(0, "PHP-FPM is never published; nginx is the way in")),
    () => [],
  ),
});

export const redisSettings = v.strictObject({
  ...serviceSettings.entries,
  /** `--maxmemory`: at most the container's memory limit. */
  maxMemory: redisSize,
});

export const siteSchema = v.strictObject({
  /** Short name: `kuma8088`, `fx-trader-life`. */
  name: v.pipe(
    v.string(),
    v.regex(SITE_NAME, "must be 2-40 lower-case letters, digits and dashes, starting with a letter"),
  ),
  /** The primary public hostname. */
  domain: hostname,
  /** Further hostnames served by the same site (www., old names). */
  aliases: v.optional(v.array(hostname), () => []),
  /** The site's directory below the sites directory (`<hdd>/wordpress`, `/var/www/html` inside). */
  documentRoot: v.pipe(
    v.string(),
    v.regex(DOCUMENT_ROOT, "must be a relative directory like kuma8088 or fx/blog (lower-case, no ..)"),
  ),
  /** The site's database; its user has the same name. */
  database: v.pipe(
    v.string(),
    v.regex(DB_IDENTIFIER, "must be a MariaDB name: a letter, then letters, digits or _ (at most 64)"),
  ),
});
export type BlogSite = v.InferOutput<typeof siteSchema>;

/** Every public hostname of a site, primary first. */
export function siteHostnames(site: Pick<BlogSite, "domain" | "aliases">): string[] {
  return [site.domain, ...site.aliases];
}

/** Every public hostname of the blog, in site order, each site's primary first. */
export function blogHostnames(sites: readonly Pick<BlogSite, "domain" | "aliases">[]): string[] {
  return sites.flatMap(siteHostnames);
}

/** Whether one document root is the other or lies inside it. */
function nests(a: string, b: string): boolean {
  return a === b || b.startsWith(`${a}/`) || a.startsWith(`${b}/`);
}

/**
 * What two sites of one list may not share, for callers without the config schema (BlogStack
 * checks its args with it): a name, a database (MariaDB compares them case-insensitively), a
 * hostname, or a document root (equal or one inside the other). One message per conflict.
 */
export function siteConflicts(
  sites: readonly Pick<BlogSite, "name" | "domain" | "aliases" | "documentRoot" | "database">[],
): string[] {
  const problems: string[] = [];
  sites.forEach((site, i) => {
    sites.slice(0, i).forEach((other) => {
      const pair = `sites ${other.name} and ${site.name}`;
      if (site.name === other.name) {
        problems.push(`site ${site.name} is listed twice`);
      }
      if (site.database.toLowerCase() === other.database.toLowerCase()) {
        problems.push(`${pair} share the database ${site.database}`);
      }
      const shared = siteHostnames(site).filter((h) => siteHostnames(other).includes(h));
      if (shared.length > 0) {
        problems.push(`${pair} share the hostname ${shared.join(", ")}`);
      }
      if (nests(site.documentRoot, other.documentRoot)) {
        problems.push(
          `${pair} share the document root ${other.documentRoot}${site.documentRoot === other.documentRoot ? "" : ` (${site.documentRoot} nests with it)`}`,
        );
      }
    });
    const own = siteHostnames(site);
    const repeated = own.find((h, j) => own.indexOf(h) !== j);
    if (repeated !== undefined) {
      problems.push(`site ${site.name} lists the hostname ${repeated} twice`);
    }
  });
  return problems;
}

/** Every key of the blog section; `blogConfigSchema` adds the cross-checks. */
const blogFields = v.strictObject({
  /** Container name prefix: `blog` (production), `blog-staging` (staging). */
  containerPrefix,
  /** The stack's private bridge network. */
  subnet,
  /** Host data roots: the database and Redis on the SSD, site files on the HDD. */
  dataPaths: v.strictObject({ ssd: absolutePath, hdd: absolutePath }),
  services: v.strictObject({
    mariadb: serviceSettings,
    redis: redisSettings,
    wordpress: wordpressSettings,
    nginx: serviceSettings,
    cloudflared: serviceSettings,
  }),
  /** The WordPress sites: one entry each. */
  sites: v.pipe(v.array(siteSchema), v.minLength(1, "must list at least one site")),
});

/**
 * Cross-checks of one blog config: addresses inside the subnet and unique, reservations within
 * limits, Redis within its container, and no two sites sharing a name, a database, a hostname or
 * a document root. Each problem names the later of two clashing keys.
 */
export function blogProblems(blog: v.InferOutput<typeof blogFields>): Problem[] {
  const problems = serviceAddressProblems(blog.services, blog.subnet);
  for (const svc of BLOG_SERVICES) {
    const s = blog.services[svc];
    if (s.memoryReservation !== undefined && memoryToMb(s.memoryReservation) > memoryToMb(s.memory)) {
      problems.push({
        path: ["services", svc, "memoryReservation"],
        message: `${s.memoryReservation} is more than the memory limit ${s.memory}`,
      });
    }
  }
  const redis = blog.services.redis;
  if (redisSizeToMb(redis.maxMemory) > memoryToMb(redis.memory)) {
    problems.push({
      path: ["services", "redis", "maxMemory"],
      message: `${redis.maxMemory} is more than the container's memory limit ${redis.memory}`,
    });
  }
  const names = new Map<string, number>();
  const databases = new Map<string, number>();
  const hosts = new Map<string, string>();
  blog.sites.forEach((site, i) => {
    const seenName = names.get(site.name);
    if (seenName !== undefined) {
      problems.push({
        path: ["sites", i, "name"],
        message: `${site.name} is already the name of sites[${seenName}]`,
      });
    }
    names.set(site.name, i);
    const seenDb = databases.get(site.database.toLowerCase());
    if (seenDb !== undefined) {
      problems.push({
        path: ["sites", i, "database"],
        message: `${site.database} is already the database of sites[${seenDb}]`,
      });
    }
    databases.set(site.database.toLowerCase(), i);
    siteHostnames(site).forEach((host, j) => {
      const key = j === 0 ? "domain" : `aliases[${j - 1}]`;
      const seen = hosts.get(host);
      if (seen !== undefined) {
        problems.push({
          path: j === 0 ? ["sites", i, "domain"] : ["sites", i, "aliases", j - 1],
          message: `${host} is already used by blog.${seen}`,
        });
      } else {
        hosts.set(host, `sites[${i}].${key}`);
      }
    });
    for (let k = 0; k < i; k++) {
      const other = blog.sites[k];
      if (nests(site.documentRoot, other.documentRoot)) {
        problems.push({
          path: ["sites", i, "documentRoot"],
          message:
            site.documentRoot === other.documentRoot
              ? `${site.documentRoot} is already the document root of sites[${k}] (${other.name})`
              : `${site.documentRoot} and the document root ${other.documentRoot} of sites[${k}] (${other.name}) lie inside one another`,
        });
      }
    }
  });
  return problems;
}

export const blogConfigSchema = withCrossCheck(blogFields, blogProblems);

export type BlogConfig = v.InferOutput<typeof blogConfigSchema>;
