/**
 * A copy of a stack file with the WordPress stack grown to `count` sites, for the bench's
 * linearity figures (`npm run bench -- --sites 400`): the stack's own sites, then generated ones
 * (`bench-site-<n>`, new WordPress sites under the stack's first tunnel zone, each installed with
 * WP-CLI: its own database user, administrator and rotation stamp, the most a site registers).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as v from "valibot";
import { parse, stringify } from "yaml";
import type { siteSchema } from "../../components/blog/schema";
import type { tunnelConfigSchema } from "../../components/tunnel/schema";
import { PROJECT } from "../../test/harness/constants";

/** A site as the stack file writes it (the schema's input). */
type Site = v.InferInput<typeof siteSchema>;

/** Writes the grown copy of `stackFile` into the temporary directory and returns its path. */
export function writeManySitesStackFile(stack: string, stackFile: string, count: number): string {
  const doc = parse(fs.readFileSync(stackFile, "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  };
  const blog = doc.config[`${PROJECT}:blog`] as { sites: Site[] };
  const tunnel = doc.config[`${PROJECT}:tunnel`] as v.InferInput<typeof tunnelConfigSchema>;
  const rotations = doc.config[`${PROJECT}:rotations`] as Record<string, unknown> & {
    siteDbPasswords: Record<string, string>;
  };
  const zone = Object.keys(tunnel.zones)[0];
  // A stamp the stack file already holds, so that none is in the future or overdue.
  const stamp = rotations.blogDbRootPassword as string;
  for (let i = blog.sites.length; i < count; i++) {
    const name = `bench-site-${i}`;
    blog.sites.push({
      kind: "wordpress",
      name,
      domain: `${name}.${zone}`,
      documentRoot: name,
      database: `wp_bench_site_${i}`,
      install: { title: name, adminUser: "bench-admin", adminEmail: `admin@${zone}` },
    });
    rotations.siteDbPasswords[name] = stamp;
  }
  const file = path.join(os.tmpdir(), `Pulumi.${stack}.${count}-sites.${process.pid}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}
