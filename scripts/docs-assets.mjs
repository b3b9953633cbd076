// Copies the API reference renderer (Scalar's standalone bundle, npm @scalar/api-reference) into
// public/docs/, where the Worker serves it as a static asset (wrangler.toml [assets]) for /docs.
// Run by `npm install` (postinstall) and before every wrangler build (wrangler.toml [build]), so that
// `npm test`, `npm start`, `npm run deploy` and a fresh clone all have it; it is never committed.
// Plain JavaScript, so that it runs on whatever Node npm runs it with.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "@scalar", "api-reference", "dist", "browser", "standalone.js");
if (!existsSync(source)) {
  console.error(`docs-assets: ${source} is missing; run npm install`);
  process.exit(1);
}
mkdirSync(join(root, "public", "docs"), { recursive: true });
copyFileSync(source, join(root, "public", "docs", "scalar.js"));
