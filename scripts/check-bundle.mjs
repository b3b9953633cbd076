// The Worker's bundle stays small: runs `wrangler deploy --dry-run --outdir dist` (offline; minified,
// with its source map, as wrangler.toml deploys it) and fails when the gzip size wrangler reports is
// over the limit. CI runs it (.ci/run); `npm run bundle:check` locally. Plain JavaScript, like every
// script npm runs before the project's Node is sure to be there.
import { spawnSync } from "node:child_process";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const LIMIT_KIB = 140;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
// The project's own Node (node_modules/.bin/node) runs wrangler, as under `npm run`.
const run = spawnSync(join(bin, "wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
});
process.stdout.write(run.stdout ?? "");
process.stderr.write(run.stderr ?? "");
if (run.status !== 0) {
  console.error(`bundle check: wrangler deploy --dry-run failed (exit ${run.status ?? run.signal})`);
  process.exit(1);
}
const match = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(run.stdout);
if (!match) {
  console.error("bundle check: wrangler printed no 'Total Upload: … / gzip: …' line");
  process.exit(1);
}
const gzip = Number(match[2]);
if (gzip > LIMIT_KIB) {
  console.error(`bundle check: the Worker is ${gzip} KiB gzip, over the ${LIMIT_KIB} KiB limit`);
  process.exit(1);
}
console.log(`bundle check: ${gzip} KiB gzip (limit ${LIMIT_KIB} KiB), ${match[1]} KiB minified`);
