// drizzle-kit only generates SQL here; wrangler (and the test setup) apply it to D1.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
