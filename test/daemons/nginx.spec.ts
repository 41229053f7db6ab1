/**
 * nginx (Debian's nginx): `nginx -t` on every nginx container's rendered files together, as the
 * image loads them (its nginx.conf includes conf.d/*.conf in the http block, unless the program
 * renders its own nginx.conf), with the certificate paths pointing at a throwaway self-signed
 * pair and the upstream names resolving through a hosts file that holds only the names the
 * container can reach on its networks (so an upstream it cannot reach fails as "host not
 * found"). Where Debian's nginx is older than the pinned image, the directives it does not know
 * yet are named and removed, and the rest is tested.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { STACKS } from "../harness/stack";
import { Rendered, RenderedFile, allRendered } from "./artefacts";
import { failure, need, run, say, selfSignedPair, tempDir, version, withHosts, writeUnder } from "./daemon";
import { ofKind } from "./kinds";

/** Directives newer than Debian's nginx: the version that introduced each, and how to drop it. */
export const NEWER_DIRECTIVES: readonly { directive: string; since: string; line: RegExp }[] = [
  { directive: "http2 on;", since: "1.25.1", line: /^\s*http2\s+on\s*;\s*$/gm },
];

function semver(text: string): number[] {
  return (/(\d+)\.(\d+)\.(\d+)/.exec(text) ?? ["", "0", "0", "0"]).slice(1).map(Number);
}

function older(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      return a[i] < b[i];
    }
  }
  return false;
}

/** The image's http-level defaults (nginx's official image), around the rendered conf.d files. */
function imageMain(dir: string): string {
  return `# The pinned image's nginx.conf, minus \`user nginx;\` (Debian has no nginx user; nginx -t as root needs none).
worker_processes auto;
pid ${dir}/nginx.pid;
error_log stderr notice;
events {
    worker_connections 1024;
}
http {
    include ${dir}/etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log ${dir}/tmp/access.log main;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    include ${dir}/etc/nginx/conf.d/*.conf;
}
`;
}

describe("daemons: nginx -t on every rendered server block", () => {
  let all: Rendered[];
  let nginx: string;
  let local: number[];
  before(async function () {
    nginx = need(this, "nginx", "nginx");
    need(this, "unshare", "util-linux");
    local = semver(version([nginx, "-v"]));
    all = await allRendered();
  });

  it("refuses a server block whose upstream the container cannot reach (the check itself)", () => {
    const files = ofKind(all, "nginx-conf") as RenderedFile[];
    const file = files.find((f) => /proxy_pass|fastcgi_pass/.test(f.content));
    assert.ok(file);
    // With the rest of its container's files (its own nginx.conf, when rendered), as in the stack check.
    const rest = files.filter(
      (f) => f.stack === file.stack && f.container.name === file.container.name && f.path !== file.path,
    );
    const broken = {
      ...file,
      content: file.content.replace(
        /(proxy_pass|fastcgi_pass)\s+(http:\/\/)?[A-Za-z0-9_.-]+/,
        "$1 $2not-on-its-network",
      ),
    };
    checkNginx(nginx, local, [...rest, file]);
    assert.throws(
      () => checkNginx(nginx, local, [...rest, broken]),
      /host not found in upstream "not-on-its-network"/,
    );
  });

  it("takes a rendered nginx.conf as the main file, without the image's `user nginx;` (the check itself)", () => {
    const files = ofKind(all, "nginx-conf") as RenderedFile[];
    const main = files.find((f) => f.path === "/etc/nginx/nginx.conf");
    assert.ok(main, "no nginx.conf is rendered");
    assert.match(main.content, /^user nginx;$/m);
    const mine = files.filter(
      (f) => f.stack === main.stack && f.container.name === main.container.name && f !== main,
    );
    assert.ok(mine.length > 0, `${main.container.name}: no conf.d file beside its nginx.conf`);
    checkNginx(nginx, local, [main, ...mine]);
    assert.throws(
      () =>
        checkNginx(nginx, local, [
          { ...main, content: main.content.replace("events {", "events {\n    bogus_of_the_suite on;") },
          ...mine,
        ]),
      /unknown directive "bogus_of_the_suite"/,
    );
    // The site files log in the main file's format: without it, nginx refuses them.
    const uses = mine.find((f) => /^\s*access_log\s+\S+\s+main\s*;/m.test(f.content));
    assert.ok(uses, `${main.container.name}: no conf.d file logs in the main file's format`);
    const renamed = main.content
      .replace(/^(\s*log_format\s+)main\b/m, "$1other_of_the_suite")
      .replace(/^(\s*access_log\s+\S+\s+)main\s*;/gm, "$1other_of_the_suite;");
    assert.throws(
      () => checkNginx(nginx, local, [{ ...main, content: renamed }, ...mine]),
      /unknown log format "main" in \/etc\/nginx\/conf\.d\//,
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: nginx -t accepts each nginx container's files, its upstreams resolving on its networks`, () => {
      const files = (ofKind(all, "nginx-conf") as RenderedFile[]).filter((f) => f.stack === stack);
      const containers = [...new Set(files.map((f) => f.container.name))];
      const failures: string[] = [];
      for (const name of containers) {
        const mine = files.filter((f) => f.container.name === name);
        try {
          checkNginx(nginx, local, mine);
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
        }
      }
      if (failures.length > 0) {
        throw new Error(failures.join("\n\n"));
      }
    });
  }
});

/** nginx -t on one container's rendered files, as its image loads them; throws what nginx says. */
export function checkNginx(nginx: string, local: number[], mine: RenderedFile[]): void {
  const name = mine[0].container.name;
  const container = mine[0].container;
  say(`- ${name} (${container.image}): ${mine.map((f) => f.path).join(", ")}`);
  const dir = tempDir("nginx");
  const pair = selfSignedPair(dir);
  fs.mkdirSync(path.join(dir, "tmp"));
  for (const stock of fs.readdirSync("/etc/nginx")) {
    const from = path.join("/etc/nginx", stock);
    const rendered = mine.some((f) => f.path === `/etc/nginx/${stock}`);
    if (fs.statSync(from).isFile() && !rendered && stock !== "nginx.conf") {
      writeUnder(dir, `/etc/nginx/${stock}`, fs.readFileSync(from, "utf8"));
    }
  }
  const pinned = semver(container.image);
  const written = new Map<string, string>();
  for (const f of mine) {
    let content = f.content
      .replace(/^(\s*ssl_certificate)\s+\S+;/gm, `$1 ${pair.cert};`)
      .replace(/^(\s*ssl_certificate_key)\s+\S+;/gm, `$1 ${pair.key};`)
      .split("/etc/nginx/")
      .join(`${dir}/etc/nginx/`)
      .split("/var/log/nginx/")
      .join(`${dir}/tmp/`);
    if (f.path === "/etc/nginx/nginx.conf") {
      content = content
        .replace(/^\s*user\s+[^;]+;/m, "# user: Debian has no such user (removed for nginx -t)")
        .replace(/^\s*pid\s+[^;]+;/m, `pid ${dir}/nginx.pid;`);
      say(
        `  ${f.path}: \`user\` removed (Debian's nginx runs as www-data; the image's user does not exist here)`,
      );
    }
    for (const d of NEWER_DIRECTIVES) {
      if (
        older(local, semver(d.since)) &&
        !older(pinned, semver(d.since)) &&
        new RegExp(d.line.source, "m").test(content)
      ) {
        content = content.replace(d.line, "");
        say(
          `  ${f.path}: \`${d.directive}\` (nginx ${d.since}, the pinned ${container.image} has it) removed: Debian's nginx ${local.join(".")} does not know it; the rest is tested`,
        );
      }
    }
    written.set(writeUnder(dir, f.path, content), f.path);
  }
  const main = mine.some((f) => f.path === "/etc/nginx/nginx.conf")
    ? `${dir}/etc/nginx/nginx.conf`
    : writeUnder(dir, "/etc/nginx/nginx.conf", imageMain(dir));
  say(`  upstream names resolvable: ${container.reachableNames.join(" ")}`);
  const result = run(
    withHosts(dir, container.reachableNames, [nginx, "-t", "-q", "-p", dir, "-c", main, "-e", "stderr"]),
  );
  if (result.code !== 0) {
    let said = `${result.stderr}\n${result.stdout}`;
    for (const [tmp, original] of written) {
      said = said.split(tmp).join(`${original} (rendered)`);
    }
    throw failure(`${name} (${mine[0].stack}), files ${mine.map((f) => f.path).join(", ")}: nginx -t fails`, {
      ...result,
      stderr: said,
      stdout: "",
    });
  }
}
