// API key management (API.md §2), run as `npm run apikey -- <command> …`.
//
//   create --env test|live --tenant <id> [--name <label>] [--permissions a,b] [--shard <n>] [--remote]
//   list   --env test|live [--tenant <id>] [--remote]
//   revoke --env test|live --prefix <prefix> [--remote]
//
// Local by default: the same local D1 state `wrangler dev` (npm start) uses, so it works while the
// server runs (lib/local-d1.ts). --remote works on the deployed databases (needs `wrangler login`).
// Only the key's SHA-256 hash is stored; `create` prints the plaintext key alone on the last line
// of its output. Every write is read back: exit 0 means the database holds what was printed.
import { parseArgs } from "node:util";
import { displayPrefix, KEY_PATTERN, PERMISSIONS, shardOfKey, TENANT_PATTERN } from "../src/http/keys.ts";
import { createKey, listKeys, placeTenant, revokeKey, shardOfPrefix, withShardDatabases } from "./lib/apikeys.ts";
import { argumentsRefused, dispatch, parseEnvironment, UsageError } from "./lib/command.ts";
import type { EnvironmentName } from "./lib/wrangler.ts";

const USAGE = `Usage: npm run apikey -- <command> [options]

Commands:
  create --env test|live --tenant <id> [--name <label>] [--permissions <p1,p2,…>] [--shard <n>] [--remote]
      Creates a key and prints it alone on the last line (it is never shown again).
      Permissions: ${PERMISSIONS.join(", ")} (default: all of them).
      Shard: the tenant's own if it has keys, else --shard, else the emptiest (API.md §17).
  list --env test|live [--tenant <id>] [--remote]
      Lists the keys of an environment (display prefix, tenant, shard, name, permissions, dates).
  revoke --env test|live --prefix <prefix> [--remote]
      Revokes a key, named by its display prefix (as shown by list).

Works on the local databases (those of npm start) unless --remote is given.`;

function parseTenant(value: string | undefined): string {
  if (value === undefined) throw new UsageError("--tenant is required: add --tenant <id>, the tenant the key is for (e.g. --tenant acme)");
  if (!TENANT_PATTERN.test(value)) {
    throw new UsageError(`Invalid tenant "${value}": use 1–64 characters of a-z, 0-9, _ and - (e.g. --tenant acme-eu)`);
  }
  return value;
}

function parseName(value: string | undefined): string | null {
  if (value === undefined) return null;
  const name = value.trim();
  if (name === "") throw new UsageError("--name must not be empty");
  if (name.length > 200) throw new UsageError("--name must be at most 200 characters");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new UsageError("--name must not contain control characters");
  return name;
}

function parsePermissions(value: string | undefined): string[] {
  if (value === undefined) return [...PERMISSIONS];
  const requested = value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (requested.length === 0) throw new UsageError("--permissions must name at least one permission");
  const unknown = requested.filter((p) => !(PERMISSIONS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new UsageError(`Unknown permission(s): ${unknown.join(", ")}. Allowed: ${PERMISSIONS.join(", ")}`);
  }
  // Stored in the canonical order, without duplicates.
  return PERMISSIONS.filter((p) => requested.includes(p));
}

function parseShard(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(0|[1-9]\d?)$/.test(value)) throw new UsageError(`--shard must be a shard number (0, 1, …), not "${value}"`);
  return Number(value);
}

function parsePrefix(value: string | undefined, environment: EnvironmentName): string {
  if (value === undefined) throw new UsageError("--prefix is required (as shown by `npm run apikey -- list`)");
  // A whole key is accepted too: its display prefix names it.
  const prefix = KEY_PATTERN.test(value) ? displayPrefix(value) : value;
  const match = /^sk_(test|live)_(?:[A-Za-z0-9_-]{8}|s[1-9]\d?_[A-Za-z0-9_-]{8})$/.exec(prefix);
  if (!match) throw new UsageError(`Invalid prefix "${value}": display prefixes look like sk_${environment}_AbCd1234`);
  if (match[1] !== environment) {
    throw new UsageError(`Prefix ${prefix} is a ${match[1]} key, but --env is ${environment}`);
  }
  return prefix;
}

async function create(values: Record<string, string | boolean | undefined>): Promise<void> {
  const environment = parseEnvironment(values.env as string | undefined);
  const tenant = parseTenant(values.tenant as string | undefined);
  const name = parseName(values.name as string | undefined);
  const permissions = parsePermissions(values.permissions as string | undefined);
  const shard = parseShard(values.shard as string | undefined);
  const remote = values.remote === true;
  const { created, where } = await withShardDatabases(environment, remote, (line) => console.log(line), async (dbs) => {
    const db = await placeTenant(dbs, tenant, shard);
    return { created: await createKey(db, { tenant, name, permissions }), where: db.where };
  });
  console.log(`Created a ${environment} key (${where}) for tenant "${tenant}".`);
  console.log(`  prefix:      ${created.prefix}`);
  if (name !== null) console.log(`  name:        ${name}`);
  console.log(`  permissions: ${permissions.join(", ")}`);
  console.log(`  created:     ${created.createdAt}`);
  console.log("The key is shown once, on the next line, and cannot be recovered: store it now.");
  console.log(created.key);
}

async function list(values: Record<string, string | boolean | undefined>): Promise<void> {
  const environment = parseEnvironment(values.env as string | undefined);
  const tenant = values.tenant === undefined ? undefined : parseTenant(values.tenant as string);
  const remote = values.remote === true;
  const { rows, where } = await withShardDatabases(environment, remote, (line) => console.error(line), async (dbs) => {
    const rows: (Awaited<ReturnType<typeof listKeys>>[number] & { shard: number })[] = [];
    for (const db of dbs) rows.push(...(await listKeys(db, tenant)).map((row) => ({ ...row, shard: db.shard })));
    return { rows, where: dbs.map((db) => db.where).join(", ") };
  });
  if (rows.length === 0) {
    console.log(`No ${environment} keys${tenant === undefined ? "" : ` for tenant "${tenant}"`} (${where}).`);
    return;
  }
  const table = rows.map((row) => {
    let permissions = row.permissions;
    try {
      permissions = (JSON.parse(row.permissions) as string[]).join(",");
    } catch {
      // shown as stored
    }
    return [row.prefix, row.tenant_id, String(row.shard), row.name ?? "", permissions, row.created_at, row.revoked_at ?? ""];
  });
  const header = ["PREFIX", "TENANT", "SHARD", "NAME", "PERMISSIONS", "CREATED", "REVOKED"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(`${rows.length} ${environment} key(s) (${where}):`);
  console.log(line(header));
  for (const row of table) console.log(line(row));
}

async function revoke(values: Record<string, string | boolean | undefined>): Promise<void> {
  const environment = parseEnvironment(values.env as string | undefined);
  const prefix = parsePrefix(values.prefix as string | undefined, environment);
  const remote = values.remote === true;
  const revocation = await withShardDatabases(environment, remote, (line) => console.error(line), async (dbs) =>
    revokeKey(await shardOfPrefix(dbs, prefix, shardOfKey(prefix)), prefix),
  );
  if (revocation.outcome === "revoked") {
    console.log(`Revoked ${prefix} (tenant "${revocation.tenant}") at ${revocation.revokedAt}.`);
  } else {
    console.log(`${prefix} was already revoked at ${revocation.revokedAt}.`);
  }
}

const COMMANDS = {
  create: { run: create, allowed: ["env", "tenant", "name", "permissions", "shard", "remote"] },
  list: { run: list, allowed: ["env", "tenant", "remote"] },
  revoke: { run: revoke, allowed: ["env", "prefix", "remote"] },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        env: { type: "string" },
        tenant: { type: "string" },
        name: { type: "string" },
        permissions: { type: "string" },
        shard: { type: "string" },
        prefix: { type: "string" },
        remote: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return argumentsRefused("npm run apikey", error, USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  return dispatch("npm run apikey", USAGE, COMMANDS, values, positionals, "npm run apikey -- list --env test");
}

process.exitCode = await main(process.argv.slice(2));
