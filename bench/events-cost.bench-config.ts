// Vitest config of the change-events cost runner (bench/cost/events-cost.ts):
//   npx vitest run --config bench/events-cost.bench-config.ts
// The Workers runtime with the bindings of wrangler.toml and the migrations, like the test suite.
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));
const migrations = await readD1Migrations(fileURLToPath(new URL("../migrations", import.meta.url)));

export default defineConfig({
  root,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: fileURLToPath(new URL("../wrangler.toml", import.meta.url)) },
      miniflare: {
        // A bench-only key for webhook secrets at rest (src/events/secret-box.ts), as vitest.config.ts.
        bindings: {
          TEST_MIGRATIONS: migrations,
          WEBHOOK_SECRET_KEYS: JSON.stringify({ "bench-2026": "YmVuY2gtb25seS13ZWJob29rLXNlY3JldC1rZXktMDE=" }),
          WEBHOOK_SECRET_KEY_ID: "bench-2026",
        },
        ratelimits: {
          RATE_LIMIT_READS: { namespace_id: "1401", simple: { limit: 1_000_000, period: 60 } },
          RATE_LIMIT_WRITES: { namespace_id: "1402", simple: { limit: 1_000_000, period: 60 } },
        },
      },
    }),
  ],
  test: {
    name: "events-cost",
    include: ["bench/cost/events-cost.ts"],
    setupFiles: ["./test/setup/apply-migrations.ts"],
    testTimeout: 600_000,
  },
});
