/**
 * The blog stack's stack config (`onprem-infra:blog`): the five services' per-stack settings and
 * the WordPress sites. What every blog stack shares (health checks, needs, rendered config) lives
 * in `services.ts`.
 */
import { z } from "zod";
import { DB_IDENTIFIER } from "../common/mariadb";
import {
  absolutePath,
  containerPrefix,
  checkServiceAddresses,
  cpus,
  hostname,
  ipv4,
  memory,
  parseImageRef,
  pinnedImage,
  publishedPort,
  serviceSettings,
  subnet,
  versionTag,
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
const redisSize = z.string().regex(/^[1-9][0-9]*(mb|gb)$/, "must be a Redis size like 512mb");

/** Redis size in MiB. */
export function redisSizeToMb(size: string): number {
  const match = /^([1-9][0-9]*)(mb|gb)$/.exec(size);
  if (!match) {
    throw new Error(`not a Redis size: ${size}`);
  }
  return Number(match[1]) * (match[2] === "gb" ? 1024 : 1);
}

/** The WordPress PHP-FPM image, built from `components/blog/wordpress/Dockerfile`. */
export const wordpressSettings = z.strictObject({
  build: z.strictObject({
    /** The official base image the Dockerfile builds on: pinned, PHP 8.2 FPM. */
    baseImage: pinnedImage.refine((ref) => {
      const { repository, tag } = parseImageRef(ref);
      return repository === "wordpress" && tag !== undefined && /php8\.2-fpm/.test(tag);
    }, "must be an official wordpress:<version>-php8.2-fpm tag"),
    /** The tag the image is built as; bump it for the monthly rebuild. */
    version: versionTag,
  }),
  cpus,
  memory,
  memoryReservation: memory.optional(),
  ip: ipv4,
  ports: z.array(publishedPort).max(0, "PHP-FPM is never published; nginx is the way in").default([]),
});

export const redisSettings = serviceSettings.extend({
  /** `--maxmemory`: at most the container's memory limit. */
  maxMemory: redisSize,
});

export const siteSchema = z.strictObject({
  /** Short name: `kuma8088`, `fx-trader-life`. */
  name: z
    .string()
    .regex(SITE_NAME, "must be 2-40 lower-case letters, digits and dashes, starting with a letter"),
  /** The primary public hostname. */
  domain: hostname,
  /** Further hostnames served by the same site (www., old names). */
  aliases: z.array(hostname).default([]),
  /** The site's directory below the sites directory (`<hdd>/wordpress`, `/var/www/html` inside). */
  documentRoot: z
    .string()
    .regex(DOCUMENT_ROOT, "must be a relative directory like kuma8088 or fx/blog (lower-case, no ..)"),
  /** The site's database; its user has the same name. */
  database: z
    .string()
    .regex(DB_IDENTIFIER, "must be a MariaDB name: a letter, then letters, digits or _ (at most 64)"),
});
export type BlogSite = z.infer<typeof siteSchema>;

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

export const blogConfigSchema = z
  .strictObject({
    /** Container name prefix: `blog` (production), `blog-staging` (staging). */
    containerPrefix,
    /** The stack's private bridge network. */
    subnet,
    /** Host data roots: the database and Redis on the SSD, site files on the HDD. */
    dataPaths: z.strictObject({ ssd: absolutePath, hdd: absolutePath }),
    services: z.strictObject({
      mariadb: serviceSettings,
      redis: redisSettings,
      wordpress: wordpressSettings,
      nginx: serviceSettings,
      cloudflared: serviceSettings,
    }),
    /** The WordPress sites: one entry each. */
    sites: z.array(siteSchema).min(1, "must list at least one site"),
  })
  .superRefine((blog, ctx) => {
    checkServiceAddresses(blog.services, blog.subnet, ctx, ["services"]);
    for (const svc of BLOG_SERVICES) {
      const s = blog.services[svc];
      if (s.memoryReservation !== undefined && memoryToMb(s.memoryReservation) > memoryToMb(s.memory)) {
        ctx.addIssue({
          code: "custom",
          path: ["services", svc, "memoryReservation"],
          message: `${s.memoryReservation} is more than the memory limit ${s.memory}`,
        });
      }
    }
    const redis = blog.services.redis;
    if (redisSizeToMb(redis.maxMemory) > memoryToMb(redis.memory)) {
      ctx.addIssue({
        code: "custom",
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
        ctx.addIssue({
          code: "custom",
          path: ["sites", i, "name"],
          message: `${site.name} is already the name of sites[${seenName}]`,
        });
      }
      names.set(site.name, i);
      const seenDb = databases.get(site.database.toLowerCase());
      if (seenDb !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["sites", i, "database"],
          message: `${site.database} is already the database of sites[${seenDb}]`,
        });
      }
      databases.set(site.database.toLowerCase(), i);
      siteHostnames(site).forEach((host, j) => {
        const key = j === 0 ? "domain" : `aliases[${j - 1}]`;
        const seen = hosts.get(host);
        if (seen !== undefined) {
          ctx.addIssue({
            code: "custom",
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
          ctx.addIssue({
            code: "custom",
            path: ["sites", i, "documentRoot"],
            message:
              site.documentRoot === other.documentRoot
                ? `${site.documentRoot} is already the document root of sites[${k}] (${other.name})`
                : `${site.documentRoot} and the document root ${other.documentRoot} of sites[${k}] (${other.name}) lie inside one another`,
          });
        }
      }
    });
  });

export type BlogConfig = z.infer<typeof blogConfigSchema>;
