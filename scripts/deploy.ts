// `npm run deploy [-- <wrangler deploy options>]`: migrations to every remote D1 shard of both environments (API.md §17), then the
// Worker. Stops at the first failure, so the Worker is never deployed on an unmigrated database.
// Needs `wrangler login` (or CLOUDFLARE_API_TOKEN) and the real database ids in wrangler.toml.
// Then, when the shell holds the Worker's webhook keys (WEBHOOK_SECRET_KEYS, WEBHOOK_SECRET_KEY_ID:
// the values given to `wrangler secret put`), seals the secrets still stored in plain in both
// databases (`npm run webhook-secrets -- encrypt --remote`), after the Worker that reads both
// forms is live; without them it says the operator must run that command.
// Before the Worker, each files bucket gets its R2 bucket lock rule (API.md §15: the retention
// period on the prefix files/, scripts/lib/bucket-lock.ts) unless `lock list` shows it already.
// `npm run deploy -- --dry-run` prints every step (the lock rules included) and runs none.
import { spawn } from "node:child_process";
import { LOCK_RULE_NAME, lockAddArgs, lockListArgs, lockRules } from "./lib/bucket-lock.ts";
import { allShardBindings, ENVIRONMENT_NAMES, projectRoot, wranglerCapture, wranglerInherit } from "./lib/wrangler.ts";

const dryRun = process.argv.includes("--dry-run");
const deployArgs = process.argv.slice(2).filter((a) => a !== "--dry-run");
const rules = lockRules();

const steps: string[][] = [
  ...allShardBindings().map((binding) => ["d1", "migrations", "apply", binding, "--remote"]),
  ...rules.map(lockAddArgs),
  ["deploy", ...deployArgs],
];

if (dryRun) {
  console.log("npm run deploy --dry-run: the steps, in order (nothing is run; the first failure stops a real deploy):");
  for (const args of steps) console.log(`  $ wrangler ${args.join(" ")}`);
  console.log(
    `\nBucket lock (API.md §15): ${rules.map((r) => `${r.bucket} keeps every object under files/ ${r.days} days from its upload (rule ${LOCK_RULE_NAME})`).join("; ")}. ` +
      `A rule already listed by \`wrangler r2 bucket lock list <bucket>\` is left as is.`,
  );
  console.log(`\nThen, with WEBHOOK_SECRET_KEYS and WEBHOOK_SECRET_KEY_ID set: ${ENVIRONMENT_NAMES.map((env) => `npm run webhook-secrets -- encrypt --env ${env} --remote`).join("; ")}.`);
  process.exit(0);
}

for (const args of steps) {
  if (args[0] === "r2") {
    const rule = rules.find((r) => r.bucket === args[4])!;
    const listed = await wranglerCapture(lockListArgs(rule));
    if (listed.code === 0 && listed.stdout.includes(LOCK_RULE_NAME)) {
      console.log(`\n${rule.bucket}: lock rule ${LOCK_RULE_NAME} already set (wrangler ${lockListArgs(rule).join(" ")}); left as is.`);
      continue;
    }
  }
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
console.log("\nDeployed: every database migrated, files buckets locked for the retention period, Worker published.");

const encrypt = (env: string) => ["scripts/webhook-secrets.ts", "encrypt", "--env", env, "--remote"];
if (process.env.WEBHOOK_SECRET_KEYS === undefined) {
  console.log(
    "\nWebhook secrets written before migration 0005 are still plain until sealed: with the Worker's keys in the environment, run\n" +
      ENVIRONMENT_NAMES
        .map((env) => `  WEBHOOK_SECRET_KEYS='…' WEBHOOK_SECRET_KEY_ID=… npm run webhook-secrets -- encrypt --env ${env} --remote`)
        .join("\n"),
  );
} else {
  for (const env of ENVIRONMENT_NAMES) {
    console.log(`\n$ node ${encrypt(env).join(" ")}`);
    const code = await new Promise<number>((resolve) =>
      spawn(process.execPath, encrypt(env), { cwd: projectRoot, stdio: "inherit" }).on("close", (c) => resolve(c ?? 1)),
    );
    if (code !== 0) {
      console.error(`\nnpm run deploy: sealing the webhook secrets of ${env} failed (exit ${code}); the Worker still reads plain ones.`);
      process.exit(code);
    }
  }
}
