/**
 * A copy of a stack file with the WordPress stack grown to `count` sites, for the bench's
 * linearity figures (`npm run bench -- --sites 400`): the stack's own sites, then generated ones
 * (`bench-site-<n>`, taken-over WordPress sites under the stack's first tunnel zone), each with its
 * password's rotation stamp.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { PROJECT } from "../../test/harness/constants";

interface Site {
  kind: string;
  name: string;
  domain: string;
  aliases?: string[];
  documentRoot: string;
  database: string;
  takenOver?: boolean;
}

/** Writes the grown copy of `stackFile` into the temporary directory and returns its path. */
export function writeManySitesStackFile(stack: string, stackFile: string, count: number): string {
  const doc = parse(fs.readFileSync(stackFile, "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  };
  const blog = doc.config[`${PROJECT}:blog`] as { sites: Site[] };
  const tunnel = doc.config[`${PROJECT}:tunnel`] as { zones: Record<string, string> };
  const rotations = doc.config[`${PROJECT}:rotations`] as { siteDbPasswords: Record<string, string> };
  const zone = Object.keys(tunnel.zones)[0];
  const stamp = Object.values(rotations.siteDbPasswords)[0];
  for (let i = blog.sites.length; i < count; i++) {
    const name = `bench-site-${i}`;
    blog.sites.push({
      kind: "wordpress",
      name,
      domain: `${name}.${zone}`,
      documentRoot: name,
      database: `wp_bench_site_${i}`,
      takenOver: true,
    });
    rotations.siteDbPasswords[name] = stamp;
  }
  const file = path.join(os.tmpdir(), `Pulumi.${stack}.${count}-sites.${process.pid}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}
