// Tenants and shards (API.md §17), run as `npm run tenant -- <command> …`.
//
//   list --env test|live [--remote]                         every tenant: shard, keys, rows, bytes
//   move --env test|live --tenant <id> --to <n> [--remote]  moves a tenant to shard n
//
// A move copies the tenant's rows to the target shard, verifies every client's chain there,
// switches the tenant (its keys, whatever shard their text names, are followed there), then erases
// the source; the tenant's writes get 503 + Retry-After meanwhile, its reads go on. Stopped at any
// step (Ctrl-C, a lost connection), the same command run again finishes it with exactly one
// complete copy (scripts/lib/tenant-move.ts). Local by default (the databases of npm start);
// --remote works on the deployed ones through wrangler (needs `wrangler login`).
import { parseArgs } from "node:util";
import { TENANT_PATTERN } from "../src/http/keys.ts";
import { withShardDatabases, type KeyDatabase } from "./lib/apikeys.ts";
import { argumentsRefused, dispatch, parseEnvironment, UsageError } from "./lib/command.ts";
import { listTenants, MoveError, moveTenant, type ShardHandle } from "./lib/tenant-move.ts";
import { CommandError } from "./lib/wrangler.ts";

const USAGE = `Usage: npm run tenant -- <command> [options]

Commands:
  list --env test|live [--remote]
      Lists the tenants of every shard of an environment: shard, keys, rows, bytes.
  move --env test|live --tenant <id> --to <shard> [--remote]
      Moves a tenant to another shard of its environment. Its writes wait (503 + Retry-After)
      while it moves; run the same command again after any interruption to finish it.

Works on the local databases (those of npm start) unless --remote is given.`;

function shardHandle(db: KeyDatabase): ShardHandle {
  return { shard: db.shard, where: db.where, execute: (statements) => db.executeBound(statements) };
}

const kib = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

async function list(values: Record<string, string | boolean | undefined>): Promise<void> {
  const environment = parseEnvironment(values.env as string | undefined);
  const placements = await withShardDatabases(environment, values.remote === true, (line) => console.error(line), (dbs) => listTenants(dbs.map(shardHandle)));
  if (placements.length === 0) {
    console.log(`No ${environment} tenants.`);
    return;
  }
  const header = ["TENANT", "SHARD", "KEYS", "ROWS", "BYTES", "STATE"];
  const table = placements.map((p) => [p.tenant, String(p.shard), String(p.keys), String(p.rows), kib(p.bytes), p.moving ? "moving" : ""]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(`${placements.length} ${environment} tenant(s):`);
  console.log(line(header));
  for (const row of table) console.log(line(row));
}

async function move(values: Record<string, string | boolean | undefined>): Promise<void> {
  const environment = parseEnvironment(values.env as string | undefined);
  const tenant = values.tenant as string | undefined;
  if (tenant === undefined) throw new UsageError("--tenant is required: the tenant to move (npm run tenant -- list shows them)");
  if (!TENANT_PATTERN.test(tenant)) throw new UsageError(`Invalid tenant "${tenant}": 1–64 characters of a-z, 0-9, _ and -`);
  const to = values.to as string | undefined;
  if (to === undefined || !/^(0|[1-9]\d?)$/.test(to)) throw new UsageError(`--to must be a shard number (0, 1, …)${to === undefined ? "" : `, not "${to}"`}`);
  const report = await withShardDatabases(environment, values.remote === true, (line) => console.error(line), async (dbs) => {
    try {
      // CLIENTS_API_MOVE_KILL_AFTER=<step>: the process kills itself after that step (tests of an interrupted move).
      const killAfter = process.env.CLIENTS_API_MOVE_KILL_AFTER;
      return await moveTenant(dbs.map(shardHandle), tenant, Number(to), {
        log: (line) => console.error(`[move] ${line}`),
        after: (step) => {
          if (step === killAfter) process.kill(process.pid, "SIGKILL");
        },
      });
    } catch (error) {
      if (error instanceof MoveError) throw new CommandError(error.message);
      throw error;
    }
  });
  if (report.outcome === "already there") {
    console.log(`Tenant "${tenant}" is already on ${environment} shard ${report.to}: nothing to do.`);
    return;
  }
  const rows = Object.values(report.rows).reduce((n, r) => n + r, 0);
  console.log(`Moved tenant "${tenant}" from ${environment} shard ${report.from} to shard ${report.to}: ${rows} row(s) copied, ${report.clients} client chain(s) verified.`);
}

const COMMANDS = {
  list: { run: list, allowed: ["env", "remote"] },
  move: { run: move, allowed: ["env", "tenant", "to", "remote"] },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { env: { type: "string" }, tenant: { type: "string" }, to: { type: "string" }, remote: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    return argumentsRefused("npm run tenant", error, USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  return dispatch("npm run tenant", USAGE, COMMANDS, values, positionals, "npm run tenant -- list --env test");
}

process.exitCode = await main(process.argv.slice(2));
