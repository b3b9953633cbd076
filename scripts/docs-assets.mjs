// The static assets the Worker serves (wrangler.toml [assets], public/), made from the sources:
//   - public/docs/scalar.js: the API reference renderer (Scalar's standalone bundle, npm
//     @scalar/api-reference), for /docs;
//   - public/openapi.json: the OpenAPI document (src/openapi/document.ts, built here with esbuild and
//     run in Node), for GET /openapi.json, which puts its origin in place of the placeholder server.
//     Built here and not in the Worker: the generator (zod-openapi, the examples) would be ~11 KiB
//     of the Worker's gzip bundle.
// Run by `npm install` (postinstall), before every wrangler build (wrangler.toml [build]) and by
// vitest.config.ts, so that `npm test`, `npm start`, `npm run deploy` and a fresh clone all have
// them fresh; they are never committed. Plain JavaScript, so that it runs on whatever Node npm runs it with.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "@scalar", "api-reference", "dist", "browser", "standalone.js");
if (!existsSync(source)) {
  console.error(`docs-assets: ${source} is missing; run npm install`);
  process.exit(1);
}
mkdirSync(join(root, "public", "docs"), { recursive: true });
copyFileSync(source, join(root, "public", "docs", "scalar.js"));

const generator = join(root, "node_modules", ".cache", "clients-api", `openapi-${process.pid}.mjs`);
mkdirSync(dirname(generator), { recursive: true });
try {
  await build({
    entryPoints: [join(root, "src", "openapi", "document.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: generator,
    external: ["cloudflare:*"],
    logLevel: "error",
  });
  const { openApiDocument, SERVER_URL_PLACEHOLDER } = await import(pathToFileURL(generator).href);
  writeFileSync(join(root, "public", "openapi.json"), JSON.stringify(openApiDocument(SERVER_URL_PLACEHOLDER)));
} finally {
  rmSync(generator, { force: true });
}
