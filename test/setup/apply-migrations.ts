// Runs before every test file, outside the per-file storage isolation, and may run more than once:
// applyD1Migrations skips migrations already applied. Every shard of both environments shares the schema.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

for (const binding of [env.DB_TEST_0, env.DB_TEST_1, env.DB_LIVE_0, env.DB_LIVE_1]) await applyD1Migrations(binding, env.TEST_MIGRATIONS);
