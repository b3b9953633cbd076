// `npm start [-- --port <n>] [other wrangler dev options]`: serves the API locally.
//
// 1. applies the migrations both local databases (DB_TEST, DB_LIVE, in .wrangler/state, or in the
//    directory CLIENTS_API_STATE_DIR names) lack;
// 2. makes sure a local test key of tenant "dev" exists: its plaintext is kept in
//    .wrangler/dev-api-key (git-ignored; next to the state directory), and re-created when the
//    database no longer has its hash (e.g. after `rm -rf .wrangler/state`) or it was revoked;
// 3. makes sure .dev.vars holds a local key for webhook secrets (WEBHOOK_SECRET_KEYS/_KEY_ID, made
//    once, never replaced; git-ignored) and seals, under it, the secrets of both local databases
//    still stored in plain (rows written before migration 0005: lib/webhook-secrets.ts);
// 4. makes sure .dev.vars holds placeholders of the R2 S3 credentials of presigned uploads
//    (lib/presign-vars.ts; local R2 has no S3 API, so such URLs cannot be used locally);
// 5. prints a working curl first, then runs `wrangler dev --port <port>` in the foreground.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { hashKey, KEY_PATTERN, PERMISSIONS } from "../src/http/keys.ts";
import { createKey, localKeyDatabase, migrateLocal, type KeyDatabase } from "./lib/apikeys.ts";
import { openLocalDatabases } from "./lib/local-d1.ts";
import { ensureS3Placeholders } from "./lib/presign-vars.ts";
import { commandKeyring, DEV_VARS, ensureLocalKeys, sealRows } from "./lib/webhook-secrets.ts";
import { allShardBindings, CommandError, configArgs, ENVIRONMENT_NAMES, localStateDir, projectRoot, shardBinding, shardCountOf, sqlString, wranglerInherit } from "./lib/wrangler.ts";

const DEV_TENANT = "dev";
/** Next to the state directory: .wrangler/dev-api-key by default. */
const DEV_KEY_FILE = join(dirname(localStateDir), "dev-api-key");

/** A path as the user knows it: relative to the project when inside it. */
function shown(path: string): string {
  const inside = relative(projectRoot, path);
  return inside.startsWith("..") || isAbsolute(inside) ? path : inside;
}

function parsePort(argv: string[]): { port: number; rest: string[] } {
  let port = 8787;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let value: string | undefined;
    if (arg === "--port" || arg === "-p") value = argv[++i];
    else if (arg.startsWith("--port=")) value = arg.slice("--port=".length);
    else {
      rest.push(arg);
      continue;
    }
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
      throw new CommandError(`--port needs a port number (1–65535), got ${value === undefined ? "nothing" : `"${value}"`}: e.g. npm start -- --port 8787`);
    }
    port = Number(value);
  }
  return { port, rest };
}

function readSavedKey(): string | null {
  try {
    const key = readFileSync(DEV_KEY_FILE, "utf8").trim();
    return KEY_PATTERN.test(key) && key.startsWith("sk_test_") ? key : null;
  } catch {
    return null;
  }
}

/** The saved key if the local test database still accepts it with every permission, else a new one (saved). */
async function ensureDevKey(db: KeyDatabase): Promise<{ key: string; created: boolean }> {
  const saved = readSavedKey();
  if (saved !== null) {
    const [rows = []] = await db.execute([
      `SELECT permissions FROM api_keys WHERE key_hash = ${sqlString(await hashKey(saved))} AND revoked_at IS NULL`,
    ]);
    // A key saved before a permission existed (clients:history, webhooks:manage) is replaced.
    const granted = rows.length > 0 ? (JSON.parse(String((rows[0] as { permissions: string }).permissions)) as string[]) : [];
    if (PERMISSIONS.every((p) => granted.includes(p))) return { key: saved, created: false };
  }
  const created = await createKey(db, {
    tenant: DEV_TENANT,
    name: "local development (npm start)",
    permissions: [...PERMISSIONS],
  });
  mkdirSync(dirname(DEV_KEY_FILE), { recursive: true });
  writeFileSync(DEV_KEY_FILE, `${created.key}\n`, { mode: 0o600 });
  chmodSync(DEV_KEY_FILE, 0o600);
  return { key: created.key, created: true };
}

async function main(): Promise<number> {
  const { port, rest } = parsePort(process.argv.slice(2));
  // Quiet until the curl line, which comes first; wrangler's output is shown only on failure.
  const migrated: string[] = [];
  let devKey;
  const secrets = ensureLocalKeys();
  const placeholders = ensureS3Placeholders();
  const sealed: string[] = [];
  const local = await openLocalDatabases();
  try {
    for (const binding of allShardBindings()) migrated.push(await migrateLocal(local, binding));
    devKey = await ensureDevKey(localKeyDatabase(local, "test"));
    // What wrangler dev serves is .dev.vars: the keys come from there, whatever the shell says.
    const { keyring } = await commandKeyring(false, { devVarsOnly: true });
    for (const environment of ENVIRONMENT_NAMES) {
      for (let shard = 0; shard < shardCountOf(environment); shard++) {
        const report = await sealRows(localKeyDatabase(local, environment, shard), keyring, "encrypt");
        if (report.sealed.length > 0) sealed.push(`${report.sealed.length} in ${shardBinding(environment, shard)}`);
        if (report.failed.length > 0) sealed.push(`${report.failed.length} in ${shardBinding(environment, shard)} that do not open (their deliveries are refused)`);
      }
    }
  } finally {
    await local.close();
  }
  const { key, created } = devKey;

  const base = `http://localhost:${port}`;
  console.log(`Try it: curl -s ${base}/clients -H "X-Environment: test" -H "Authorization: Bearer ${key}"`);
  console.log("");
  console.log(`Local databases (${shown(localStateDir)}): ${migrated.join("; ")}.`);
  console.log(
    `Local test key of tenant "${DEV_TENANT}" ${created ? "created" : "reused"} (kept in ${shown(DEV_KEY_FILE)}); ` +
      "more keys: npm run apikey -- create --env test|live --tenant <id>",
  );
  console.log(
    `Webhook secrets sealed with local key "${secrets.keyId}" (${secrets.created ? "created in" : "kept in"} ${shown(DEV_VARS)})` +
      (sealed.length > 0 ? `; plain ones sealed now: ${sealed.join(", ")}.` : "."),
  );
  if (placeholders.length > 0) console.log(`Presigned uploads: placeholder R2 S3 credentials added to ${shown(DEV_VARS)} (local R2 cannot serve presigned URLs).`);
  console.log(`Starting wrangler dev on ${base} (Ctrl-C stops it)…`);
  console.log("");
  return wranglerInherit(["dev", ...configArgs, "--port", String(port), "--persist-to", localStateDir, ...rest]);
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof CommandError)) throw error;
  console.error(`npm start: ${error.message}`);
  process.exitCode = 1;
}
