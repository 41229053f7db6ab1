/**
 * The blog stack's stack config (`onprem-infra:blog`): the five services' per-stack settings, the
 * data it keeps (the sites' host directory and the Docker volumes Compose made), its network and
 * the sites. A site is one of four kinds, as the running estate's nginx virtual hosts are:
 * - `wordpress`: a WordPress document root with its hostnames (and path redirects, e.g. a moved
 *   sub-site's old path); taken over as it is (`takenOver: true`), or new, which the program
 *   installs with WP-CLI before nginx serves it;
 * - `subdirectory`: a WordPress install served under a path of another WordPress site's host
 *   (`kuma8088.com/test`);
 * - `redirect`: a host that only redirects (a canonical-host redirect such as `blog.example.com`
 *   -> `https://example.com$request_uri`, optionally with path redirects first);
 * - `proxy`: a host nginx proxies to other containers (the admin portal).
 * What every blog stack shares (health checks, needs, rendered config) lives in `services.ts`.
 */
import * as v from "valibot";
import { DB_IDENTIFIER } from "../common/mariadb";
import {
  absolutePath,
  containerPrefix,
  gatewayProblems,
  hostname,
  ipv4,
  isHostIn,
  namedVolumeSpec,
  networkIdentity,
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

/** The five blog services, in the running estate's order. */
export const BLOG_SERVICES = ["mariadb", "redis", "wordpress", "nginx", "cloudflared"] as const;
export type BlogService = (typeof BLOG_SERVICES)[number];

/** The kinds of site (see the module comment). */
export const SITE_KINDS = ["wordpress", "subdirectory", "redirect", "proxy"] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

/** A site's name: used in resource names, its passwords' secret ids and its environment keys. */
export const SITE_NAME = /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/;

/** A document root below the sites directory: `kuma8088`, `fx/blog`; no `..`, no leading `/`. */
export const DOCUMENT_ROOT = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/;

/** A URL path prefix nginx matches: `/MFKC`, `/4-line-trade`, `/api/`. */
export const URL_PATH = /^\/[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*\/?$/;

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

/** The base image family of the running WordPress image (services/blog/Dockerfile:1). */
export const WORDPRESS_BASE_FAMILY = "php8.3-fpm-alpine";

/** The WordPress PHP-FPM image, built from `components/blog/wordpress/Dockerfile`. */
export const wordpressSettings = v.strictObject({
  build: v.strictObject({
    /** The official base image the Dockerfile builds on: pinned, PHP 8.3 FPM on Alpine as today. */
    baseImage: v.pipe(
      pinnedImage,
      v.check((ref) => {
        const { repository, tag } = parseImageRef(ref);
        return (
          repository === "wordpress" &&
          tag !== undefined &&
          new RegExp(`^[0-9][0-9.]*-${WORDPRESS_BASE_FAMILY.replace(/\./g, "\\.")}$`).test(tag)
        );
      }, `must be an official wordpress:<version>-${WORDPRESS_BASE_FAMILY} tag (the running image's family)`),
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

const siteName = v.pipe(
  v.string(),
  v.regex(SITE_NAME, "must be 2-40 lower-case letters, digits and dashes, starting with a letter or digit"),
);
const documentRoot = v.pipe(
  v.string(),
  v.regex(DOCUMENT_ROOT, "must be a relative directory like kuma8088 or fx/blog (lower-case, no ..)"),
);
const database = v.pipe(
  v.string(),
  v.regex(DB_IDENTIFIER, "must be a MariaDB name: a letter, then letters, digits or _ (at most 64)"),
);
const urlPath = v.pipe(
  v.string(),
  v.regex(URL_PATH, "must be a URL path like /lp or /api/ (letters, digits, . _ ~ -)"),
);
/** An absolute https URL without query: where a redirect goes. */
const httpsUrl = v.pipe(
  v.string(),
  v.regex(
    /^https:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?:\/[A-Za-z0-9._~/-]*)?$/,
    "must be an https URL like https://example.com (no query)",
  ),
);
/** Where a proxy sends requests: a container address (the co-tenants are reached by address today). */
const upstreamUrl = v.pipe(
  v.string(),
  v.regex(
    /^http:\/\/(?:[0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{1,5}(?:\/[A-Za-z0-9._~/-]*)?$/,
    "must be an http URL of an address and port like http://172.20.0.91:80",
  ),
);

/** One path redirect served before the site itself: `location ^~ <path> { return 301 <to>; }`. */
export const pathRedirect = v.strictObject({
  /** The path prefix, e.g. `/MFKC`. */
  path: urlPath,
  /** Where it goes, e.g. `https://mfkc.fx-trader-life.com`. */
  to: httpsUrl,
  /** Append the request's path and query (`$request_uri`). Default false, as the estate's. */
  keepPath: v.optional(v.boolean("must be true or false"), false),
});
export type PathRedirect = v.InferOutput<typeof pathRedirect>;

/** Hostnames every site kind with its own host has. */
const hostFields = {
  /** The primary public hostname. */
  domain: hostname,
  /** Further public hostnames served the same way (www., old names): each routed by the tunnel. */
  aliases: v.optional(v.array(hostname), () => []),
  /**
   * Names nginx also answers to that the tunnel does not carry: names in no zone of this
   * account (the estate's former Xserver names, `gwpbk492.xsrv.jp`). No DNS record, no route.
   */
  localNames: v.optional(v.array(hostname), () => []),
};

/** How a new WordPress site is installed (WP-CLI `wp core install`) before nginx serves it. */
export const siteInstall = v.strictObject({
  /** The site's title. */
  title: v.pipe(
    v.string(),
    v.regex(/^[^'"\\$`\n]{1,80}$/, "must be 1-80 characters without quotes, $, ` or \\"),
  ),
  /** The administrator's login; its password is generated (siteAdminPassword.<site>). */
  adminUser: v.pipe(
    v.string(),
    v.regex(/^[a-z][a-z0-9_-]{2,59}$/, "must be 3-60 lower-case letters, digits, _ or -"),
    v.check((u) => u !== "admin", "must not be admin (the first login every scanner tries)"),
  ),
  /** The administrator's address. */
  adminEmail: v.pipe(v.string(), v.email("must be an email address")),
});

export const wordpressSite = v.strictObject({
  kind: v.literal("wordpress"),
  /** Short name: `kuma8088`, `fx-trader-life`. */
  name: siteName,
  ...hostFields,
  /** The site's directory below the sites directory (`/var/www/html` inside). */
  documentRoot,
  /** The site's database. */
  database,
  /**
   * A running site taken over as it is: its files and `wp-config.php` (the shared `wordpress`
   * user) are never touched. Absent: a new site, installed by the program.
   */
  takenOver: v.optional(v.literal(true, "must be true, or absent for a new site")),
  /** A new site's installation; required for a new site, refused for a taken-over one. */
  install: v.optional(siteInstall),
  /** Path redirects served before the site (a sub-site moved to its own host). */
  redirects: v.optional(v.array(pathRedirect), () => []),
});
export type WordPressSite = v.InferOutput<typeof wordpressSite>;

export const subdirectorySite = v.strictObject({
  kind: v.literal("subdirectory"),
  name: siteName,
  /** The WordPress site (by name) whose hosts serve this one under `path`. */
  parent: siteName,
  /** The URL path, e.g. `/test`. */
  path: urlPath,
  documentRoot,
  database,
  /** Subdirectory sites are only taken over; a new one is a `wordpress` site on its own host. */
  takenOver: v.literal(true, "must be true: a new site gets its own host (kind wordpress)"),
});
export type SubdirectorySite = v.InferOutput<typeof subdirectorySite>;

export const redirectSite = v.strictObject({
  kind: v.literal("redirect"),
  name: siteName,
  ...hostFields,
  /** Where every other request goes, e.g. `https://kuma8088.com`. */
  to: httpsUrl,
  /** Append the request's path and query (`$request_uri`): a canonical-host redirect. */
  keepPath: v.optional(v.boolean("must be true or false"), true),
  /** Path redirects answered first. */
  redirects: v.optional(v.array(pathRedirect), () => []),
});
export type RedirectSite = v.InferOutput<typeof redirectSite>;

export const proxySite = v.strictObject({
  kind: v.literal("proxy"),
  name: siteName,
  ...hostFields,
  /** Where `/` goes, e.g. `http://172.20.0.91:80` (the unified-portal's frontend). */
  upstream: upstreamUrl,
  /** Paths proxied elsewhere, e.g. `/api/` -> the portal's backend. */
  paths: v.optional(v.array(v.strictObject({ path: urlPath, upstream: upstreamUrl })), () => []),
});
export type ProxySite = v.InferOutput<typeof proxySite>;

export const siteSchema = v.variant(
  "kind",
  [wordpressSite, subdirectorySite, redirectSite, proxySite],
  `must be one of ${SITE_KINDS.join(", ")}`,
);
export type BlogSite = v.InferOutput<typeof siteSchema>;
/** A site with hosts of its own (every kind but subdirectory). */
export type HostSite = WordPressSite | RedirectSite | ProxySite;

/** Whether a site has hosts of its own. */
export function hasHosts(site: BlogSite): site is HostSite {
  return site.kind !== "subdirectory";
}

/** A WordPress site the program installs (not taken over). */
export function isNewWordPress(site: BlogSite): site is WordPressSite {
  return site.kind === "wordpress" && site.takenOver !== true;
}

/** The sites whose database lives in the blog MariaDB: wordpress and subdirectory. */
export function databaseSites(sites: readonly BlogSite[]): (WordPressSite | SubdirectorySite)[] {
  return sites.filter(
    (s): s is WordPressSite | SubdirectorySite => s.kind === "wordpress" || s.kind === "subdirectory",
  );
}

/** Every public hostname of a site (routed by the tunnel), primary first. */
export function siteHostnames(site: Pick<HostSite, "domain" | "aliases">): string[] {
  return [site.domain, ...site.aliases];
}

/** Every name nginx answers to for a site: its public hostnames, then its local names. */
export function siteServerNames(site: HostSite): string[] {
  return [...siteHostnames(site), ...site.localNames];
}

/** Every public hostname of the blog, in site order, each site's primary first. */
export function blogHostnames(sites: readonly BlogSite[]): string[] {
  return sites.filter(hasHosts).flatMap(siteHostnames);
}

/** Whether one document root is the other or lies inside it. */
function nests(a: string, b: string): boolean {
  return a === b || b.startsWith(`${a}/`) || a.startsWith(`${b}/`);
}

/** The keys of a site's names: `domain`, `aliases[0]`, ..., `localNames[0]`, ... */
function nameKeys(site: HostSite): { host: string; path: (string | number)[] }[] {
  return [
    { host: site.domain, path: ["domain"] },
    ...site.aliases.map((host, j) => ({ host, path: ["aliases", j] })),
    ...site.localNames.map((host, j) => ({ host, path: ["localNames", j] })),
  ];
}

/**
 * Every problem of one site list, each at the later of two clashing keys (below `sites`): a name
 * twice; a database twice (MariaDB compares them case-insensitively); a hostname twice (public or
 * local); document roots equal or nested; a new WordPress site without `install`, a taken-over one
 * with it; a subdirectory whose parent is no WordPress site or whose path is taken; a path
 * redirect listed twice; a redirect to its own host.
 */
export function siteProblems(sites: readonly BlogSite[]): Problem[] {
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  const databases = new Map<string, number>();
  const hosts = new Map<string, string>();
  const roots: { root: string; i: number; name: string }[] = [];
  const keyText = (i: number, path: (string | number)[]) =>
    `sites[${i}].${path
      .map((p) => (typeof p === "number" ? `[${p}]` : p))
      .join(".")
      .replace(/\.\[/g, "[")}`;
  sites.forEach((site, i) => {
    const at = (...path: (string | number)[]) => ["sites", i, ...path];
    const seenName = names.get(site.name);
    if (seenName !== undefined) {
      problems.push({ path: at("name"), message: `${site.name} is already the name of sites[${seenName}]` });
    } else {
      names.set(site.name, i);
    }
    if (site.kind === "wordpress" || site.kind === "subdirectory") {
      const seenDb = databases.get(site.database.toLowerCase());
      if (seenDb !== undefined) {
        problems.push({
          path: at("database"),
          message: `${site.database} is already the database of sites[${seenDb}]`,
        });
      } else {
        databases.set(site.database.toLowerCase(), i);
      }
      const other = roots.find((r) => nests(site.documentRoot, r.root));
      if (other !== undefined) {
        problems.push({
          path: at("documentRoot"),
          message:
            site.documentRoot === other.root
              ? `${site.documentRoot} is already the document root of sites[${other.i}] (${other.name})`
              : `${site.documentRoot} and the document root ${other.root} of sites[${other.i}] (${other.name}) lie inside one another`,
        });
      }
      roots.push({ root: site.documentRoot, i, name: site.name });
    }
    if (site.kind === "wordpress") {
      if (site.takenOver === true && site.install !== undefined) {
        problems.push({
          path: at("install"),
          message: "must not be set for a taken-over site: its files and database are never touched",
        });
      }
      if (site.takenOver !== true && site.install === undefined) {
        problems.push({
          path: at("install"),
          message:
            "is required for a new site (title, adminUser, adminEmail): it is installed before nginx serves it, never left as an open installer; or set takenOver: true for a running site",
        });
      }
    }
    if (hasHosts(site)) {
      for (const { host, path } of nameKeys(site)) {
        const seen = hosts.get(host);
        if (seen !== undefined) {
          problems.push({ path: at(...path), message: `${host} is already used by blog.${seen}` });
        } else {
          hosts.set(host, keyText(i, path));
        }
      }
    }
    if (site.kind === "wordpress" || site.kind === "redirect") {
      site.redirects.forEach((r, j) => {
        if (site.redirects.findIndex((o) => o.path === r.path) < j) {
          problems.push({ path: at("redirects", j, "path"), message: `${r.path} is redirected twice` });
        }
      });
    }
    if (site.kind === "redirect") {
      const target = new URL(site.to).hostname;
      if (siteServerNames(site).includes(target)) {
        problems.push({
          path: at("to"),
          message: `${site.to} is this site's own host: it would redirect forever`,
        });
      }
    }
    if (site.kind === "proxy") {
      site.paths.forEach((p, j) => {
        if (p.path === "/" || site.paths.findIndex((o) => o.path === p.path) < j) {
          problems.push({
            path: at("paths", j, "path"),
            message: p.path === "/" ? "/ is the site's upstream itself" : `${p.path} is listed twice`,
          });
        }
      });
    }
  });
  // Subdirectories, once every name is known.
  sites.forEach((site, i) => {
    if (site.kind !== "subdirectory") {
      return;
    }
    const parent = sites.find((s) => s.name === site.parent);
    if (parent === undefined || parent.kind !== "wordpress") {
      problems.push({
        path: ["sites", i, "parent"],
        message: `${site.parent} is no wordpress site of blog.sites; a subdirectory is served under a wordpress site's hosts`,
      });
      return;
    }
    const clash = parent.redirects.find((r) => r.path === site.path);
    const sibling = sites.find(
      (s, k) => k < i && s.kind === "subdirectory" && s.parent === site.parent && s.path === site.path,
    );
    if (clash !== undefined || sibling !== undefined) {
      problems.push({
        path: ["sites", i, "path"],
        message: `${site.path} is already ${clash ? "redirected" : "served"} by ${parent.name}'s hosts`,
      });
    }
  });
  return problems;
}

/** What two sites of one list may not share, as messages, for callers without the config schema. */
export function siteConflicts(sites: readonly BlogSite[]): string[] {
  return siteProblems(sites).map(
    (p) =>
      `${p.path
        .slice(1)
        .map((k, j) => (j === 0 ? `sites[${k}]` : typeof k === "number" ? `[${k}]` : `.${k}`))
        .join("")}: ${p.message}`,
  );
}

/**
 * Where the blog keeps its data, as the running Compose project does: the sites directory a
 * host directory (Compose's `blog_wordpress_sites` volume is a bind of it), the database, Redis
 * and the logs Docker-managed named volumes, adopted by name.
 */
export const blogData = v.strictObject({
  /** The host directory holding every site (`/var/www/html` inside); never created by the program. */
  sites: absolutePath,
  /** MariaDB's data directory volume (Compose: `blog_blog_db_data`). */
  db: namedVolumeSpec,
  /** Redis's append-only file (Compose: `blog_redis_data`). */
  redis: namedVolumeSpec,
  /** nginx, PHP and MariaDB logs (Compose: `blog_blog_logs`). */
  logs: namedVolumeSpec,
});

/** Every key of the blog section; `blogConfigSchema` adds the cross-checks. */
const blogFields = v.strictObject({
  /** Container name prefix: `blog` (production), `blog-staging` (staging). */
  containerPrefix,
  /** The stack's private bridge network. */
  subnet,
  /** The network's Docker name, gateway and (to adopt the Compose-made one) id. */
  network: v.strictObject(networkIdentity),
  /** Addresses of the network that co-tenants hold (the unified-portal's backend): kept free. */
  coTenantAddresses: v.optional(v.array(ipv4), () => []),
  data: blogData,
  services: v.strictObject({
    mariadb: serviceSettings,
    redis: redisSettings,
    wordpress: wordpressSettings,
    nginx: serviceSettings,
    cloudflared: serviceSettings,
  }),
  /** The sites, one entry per virtual host of the running nginx (none: nothing is public). */
  sites: v.optional(v.array(siteSchema), () => []),
});

/**
 * Cross-checks of one blog config: addresses inside the subnet, unique and clear of the
 * co-tenants; the gateway; reservations within limits; Redis within its container; the sites.
 */
export function blogProblems(blog: v.InferOutput<typeof blogFields>): Problem[] {
  const problems = serviceAddressProblems(blog.services, blog.subnet);
  problems.push(...gatewayProblems(blog.network.gateway, blog.subnet, ["network"]));
  blog.coTenantAddresses.forEach((ip, i) => {
    if (!isHostIn(ip, blog.subnet)) {
      problems.push({
        path: ["coTenantAddresses", i],
        message: `${ip} is not a host address in ${blog.subnet}`,
      });
    }
    for (const svc of BLOG_SERVICES) {
      if (blog.services[svc].ip === ip) {
        problems.push({
          path: ["services", svc, "ip"],
          message: `${ip} is held by a co-tenant (coTenantAddresses[${i}])`,
        });
      }
    }
  });
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
  problems.push(...siteProblems(blog.sites));
  return problems;
}

export const blogConfigSchema = withCrossCheck(blogFields, blogProblems);

export type BlogConfig = v.InferOutput<typeof blogConfigSchema>;
