// `npm run test:e2e`: browser tests of the Worker served by `wrangler dev` (test/e2e/*.e2e.ts), in
// Node, with Debian's Chromium (scripts/install-chromium.sh). Not part of `npm test`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
