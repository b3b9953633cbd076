// Two projects, one `vitest run`:
// - "workers": the tests run inside the Workers runtime (workerd via miniflare) against real local
//   D1, with the bindings of wrangler.toml. Every shard of both environments gets the same migrations in
//   the setup file.
// - "node": tests of tools that only run in Node (*.node.test.ts: the OpenAPI validator and linter).
// The browser test of /docs is separate: `npm run test:e2e` (vitest.e2e.config.ts).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { execFileSync } from "node:child_process";
import { configDefaults, defineConfig } from "vitest/config";

// The static assets the Worker serves, made fresh from the sources (/docs's renderer, and the
// OpenAPI document GET /openapi.json serves): scripts/docs-assets.mjs, as wrangler's build runs it.
execFileSync(process.execPath, [new URL("./scripts/docs-assets.mjs", import.meta.url).pathname], { stdio: "inherit" });

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // WEBHOOK_SECRET_KEYS/_KEY_ID: a test-only key (never used outside the tests), as
              // `wrangler secret put` gives the deployed Worker its own (src/events/secret-box.ts).
              // A second shard per environment (API.md §17): the tests run with two, wrangler.toml
              // has one. The harness puts each test file's tenants on one of them (test/support/shards.ts).
              d1Databases: { DB_TEST_1: "clients-api-test-shard-1", DB_LIVE_1: "clients-api-live-shard-1" },
              bindings: {
                TEST_MIGRATIONS: migrations,
                WEBHOOK_SECRET_KEYS: JSON.stringify({ "test-2026": "dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0LWtleS0wMDE=" }),
                WEBHOOK_SECRET_KEY_ID: "test-2026",
                // Presigned uploads (src/files/presign.ts): placeholder R2 S3 credentials (test-only;
                // local R2 has no S3 API, nothing is ever sent with them).
                R2_ACCOUNT_ID: "00000000000000000000000000000000",
                R2_ACCESS_KEY_ID: "test-only-access-key-id",
                R2_SECRET_ACCESS_KEY: "test-only-secret-access-key",
              },
              // wrangler.toml's rate limiters with limits no test reaches: several test files send
              // hundreds of requests with one key. test/http/rate-limit.test.ts sets its own small
              // limit on these same bindings; rate-limit-config.node.test.ts checks wrangler.toml's.
              ratelimits: {
                RATE_LIMIT_READS: { namespace_id: "1401", simple: { limit: 1_000_000, period: 60 } },
                RATE_LIMIT_WRITES: { namespace_id: "1402", simple: { limit: 1_000_000, period: 60 } },
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/**/*.node.test.ts"],
          setupFiles: ["./test/setup/apply-migrations.ts"],
          // The model-based test's knobs (test/model), read with inject(): MODEL_SEED=… npm test.
          provide: {
            MODEL: JSON.stringify({ seed: process.env.MODEL_SEED, runs: process.env.MODEL_RUNS, trace: process.env.MODEL_TRACE }),
            // Which shard the harness puts a file's tenants on (test/support/shards.ts): by file, unless SHARD=0|1.
            SHARD: process.env.SHARD ?? "",
          },
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.node.test.ts"],
        },
      },
    ],
  },
});
