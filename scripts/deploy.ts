// `npm run deploy [-- <wrangler deploy options>]`: migrations to both remote D1 databases, then the
// Worker. Stops at the first failure, so the Worker is never deployed on an unmigrated database.
// Needs `wrangler login` (or CLOUDFLARE_API_TOKEN) and the real database ids in wrangler.toml.
import { BINDINGS, wranglerInherit } from "./lib/wrangler.ts";

const steps: string[][] = [
  ...Object.values(BINDINGS).map((binding) => ["d1", "migrations", "apply", binding, "--remote"]),
  ["deploy", ...process.argv.slice(2)],
];

for (const args of steps) {
  console.log(`\n$ wrangler ${args.join(" ")}`);
  const code = await wranglerInherit(args);
  if (code !== 0) {
    console.error(`\nnpm run deploy: \`wrangler ${args.join(" ")}\` failed (exit ${code}); stopping (nothing after it ran).`);
    console.error(
      "Next: read wrangler's message above; check `npx wrangler whoami` (or CLOUDFLARE_API_TOKEN) and the database ids in " +
        "wrangler.toml, then run npm run deploy again (applied migrations are not applied twice).",
    );
    process.exit(code);
  }
}
console.log("\nDeployed: both databases migrated, Worker published.");
