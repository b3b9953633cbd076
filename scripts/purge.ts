// Retention (API.md §11), run as `npm run purge -- --env test|live [--remote] [--now <ISO 8601>]`.
//
// Permanently erases, for every client deleted longer ago than the retention period (wrangler.toml
// [vars] HISTORY_RETENTION_YEARS), its history entries, its outbox rows and its documents' files
// in R2 (API.md §15; local R2 only: see the warning below) — and nothing else:
// clients never deleted, or deleted within retention, keep everything. Prints what it erased, per
// tenant. The SQL is src/db/purge.ts. Local by default (the databases of npm start, lib/local-d1.ts);
// --remote works on the deployed database (needs `wrangler login`). --now sets the instant retention
// is counted back from (default: now).
import { parseArgs } from "node:util";
import { purgeExpired, retentionCutoff, type ErasedClient } from "../src/db/purge.ts";
import { withShardDatabases } from "./lib/apikeys.ts";
import { RETENTION_VAR, retentionYears } from "./lib/retention.ts";
import { argumentsRefused, exitCodeOf, parseEnvironment, UsageError } from "./lib/command.ts";

const USAGE = `Usage: npm run purge -- --env test|live [--remote] [--now <ISO 8601 timestamp>]

Permanently erases the history (and outbox rows) of every client deleted more than
${RETENTION_VAR} years (wrangler.toml [vars]) before --now (default: now), and nothing else.
Works on the local database (that of npm start) unless --remote is given.`;


const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const now = new Date(value);
  if (!INSTANT.test(value) || Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO 8601 timestamp with a Z or an offset, not "${value}": e.g. --now 2030-01-01T00:00:00Z`);
  return now;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What was erased, per tenant, one line per client. */
function report(erased: readonly ErasedClient[]): string[] {
  const tenants = new Map<string, ErasedClient[]>();
  for (const client of erased) tenants.set(client.tenantId, [...(tenants.get(client.tenantId) ?? []), client]);
  const lines: string[] = [];
  for (const [tenant, clients] of [...tenants].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const entries = clients.reduce((n, c) => n + c.entries, 0);
    const events = clients.reduce((n, c) => n + c.events, 0);
    const files = clients.reduce((n, c) => n + c.files, 0);
    lines.push(`Tenant "${tenant}": ${plural(clients.length, "client")}, ${plural(entries, "history entry", "history entries")}, ${plural(events, "outbox row")}, ${plural(files, "file")}`);
    for (const c of clients) {
      lines.push(`  ${c.clientId}  deleted ${c.deletedAt}  ${plural(c.entries, "entry", "entries")} (${plural(c.rows, "row")})  ${plural(c.events, "outbox row")}  ${plural(c.files, "file")}`);
    }
  }
  return lines;
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { env: { type: "string" }, remote: { type: "boolean" }, now: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    return argumentsRefused("npm run purge", error, USAGE);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  return exitCodeOf(USAGE, async () => {
    const environment = parseEnvironment(values.env);
    const now = parseNow(values.now);
    const years = retentionYears();
    const cutoff = retentionCutoff(now, years);
    // Every shard of the environment (API.md §17), one after the other.
    const erased = await withShardDatabases(environment, values.remote === true, (line) => console.log(line), async (dbs) => {
      const all: ErasedClient[] = [];
      for (const db of dbs) all.push(...(await purgeShard(db)));
      return all;
    });
    async function purgeShard(db: Parameters<Parameters<typeof withShardDatabases>[3]>[0][number]): Promise<ErasedClient[]> {
      console.log(`Purging ${db.where}: the history of clients deleted before ${cutoff} (${RETENTION_VAR} = ${years}, counted back from ${now.toISOString()}).`);
      if (!db.files) {
        console.log(
          "Warning: the deployed R2 buckets' files are not erased by this command (wrangler has no object listing): " +
            "erase the prefixes files/<tenant>/<client>/ of the clients listed below with the R2 S3 API (docs/DECISIONS.md, \"Document files\").",
        );
      }
      // Progress on stderr, one line per batch (a long purge shows it is moving; stdout stays the report).
      const started = Date.now();
      return purgeExpired((statements) => db.execute(statements), cutoff, undefined, db.files, (erasedSoFar, batch) =>
        console.error(`[purge ${((Date.now() - started) / 1000).toFixed(1)} s] batch ${batch} done: ${plural(erasedSoFar, "client")} erased so far`),
      );
    }
    if (erased.length === 0) {
      console.log(`Nothing to erase: no client was deleted before ${cutoff}.`);
      return 0;
    }
    for (const line of report(erased)) console.log(line);
    const entries = erased.reduce((n, c) => n + c.entries, 0);
    const events = erased.reduce((n, c) => n + c.events, 0);
    const files = erased.reduce((n, c) => n + c.files, 0);
    console.log(`Erased ${plural(erased.length, "client")}: ${plural(entries, "history entry", "history entries")}, ${plural(events, "outbox row")}, ${plural(files, "file")}.`);
    return 0;
  });
}

process.exitCode = await main(process.argv.slice(2));
