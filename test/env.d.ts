// The bindings tests see through `env` from "cloudflare:workers" (wrangler.toml + vitest.config.ts),
// and the main module behind `exports` from "cloudflare:workers".
declare namespace Cloudflare {
  interface Env {
    DB_TEST_0: D1Database;
    DB_LIVE_0: D1Database;
    DB_TEST_1: D1Database;
    DB_LIVE_1: D1Database;
    FILES_TEST: R2Bucket;
    FILES_LIVE: R2Bucket;
    TEST_MIGRATIONS: D1Migration[];
  }
  interface GlobalProps {
    mainModule: typeof import("../src/index");
  }
}
