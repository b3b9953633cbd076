// Runs before every test file, outside the per-file storage isolation, and may run more than once:
// applyD1Migrations skips migrations already applied. Both environment databases share the schema.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB_TEST, env.TEST_MIGRATIONS);
await applyD1Migrations(env.DB_LIVE, env.TEST_MIGRATIONS);
