// Moving a tenant between the shards of one environment (API.md §17), and listing where tenants
// live: `npm run tenant -- move|list` (scripts/tenant.ts). Runs on any D1 binding API — the local
// databases of npm start, the deployed ones through wrangler, the Workers tests' own — through
// `ShardHandle.execute` (one call = one batch = one transaction). No import that Node cannot run
// as is (the chain check is src/history/verify.ts, the Worker's own).
//
// The steps, each a batch or a series of batches, each safe to run again:
//   1. freeze  (source) a tenant_moves row + triggers that refuse the tenant's INSERT/UPDATE on
//              every tenant table (its keys may still get their moved_to): writes wait with a
//              503 + Retry-After (src/db/unavailable.ts), reads go on from the source.
//   2. clear   (target) anything of the tenant left there (an interrupted earlier run, the keys a
//              move away from it left, its old triggers).
//   3. copy    (target) every row, table by table in foreign-key order, page by page.
//   4. verify  (target) the same number of rows per table as the source, and every client's chain
//              (src/history/verify.ts verifyChain) against the client row.
//   5. switch  (source) the tenant's keys get moved_to = target: from here on a request with any of
//              them is followed to the target (src/http/auth.ts); the target's copies are the keys.
//   6. erase   (source) every row of the tenant but its keys (forwarding rows), then the
//              tenant_moves row. The triggers stay: a write that checked its key before the switch
//              and arrives late fails instead of landing where nobody reads.
// Where a run stopped is read back from the databases (locate): a move in progress is the shard
// with a tenant_moves row; switched when its keys all say moved_to. So an interrupted move, run
// again, ends with exactly one complete copy.
import { TENANT_MOVING } from "../../src/db/unavailable.ts";
import type { StoredRow } from "../../src/history/entry.ts";
import { verifyChain } from "../../src/history/verify.ts";

export type Row = Record<string, unknown>;
export interface Bound {
  sql: string;
  params?: readonly unknown[];
}

/** One shard of an environment: its number, a name for messages, and how to run a batch on it. */
export interface ShardHandle {
  shard: number;
  where: string;
  execute(statements: readonly Bound[]): Promise<Row[][]>;
}

/** A D1 binding as a ShardHandle (Workers tests, getPlatformProxy). */
export function d1Shard(shard: number, where: string, db: D1Like): ShardHandle {
  return {
    shard,
    where,
    async execute(statements) {
      if (statements.length === 0) return [];
      const results = await db.batch(statements.map((s) => db.prepare(s.sql).bind(...(s.params ?? []))));
      return results.map((r) => (r.results ?? []) as Row[]);
    },
  };
}

interface D1Like {
  prepare(sql: string): { bind(...values: unknown[]): unknown };
  batch(statements: unknown[]): Promise<{ results?: unknown[] }[]>;
}

export type MoveStep = "frozen" | "cleared" | `copied ${string}` | "verified" | "switched" | "erased";

export interface MoveOptions {
  /** Rows per copy page (and per erase statement). */
  pageRows?: number;
  /** Called after each step (tests stop the move there); progress lines. */
  after?: (step: MoveStep) => void | Promise<void>;
  log?: (line: string) => void;
  now?: () => string;
}

export interface MoveReport {
  outcome: "moved" | "already there";
  from: number;
  to: number;
  /** Rows copied, per table. */
  rows: Record<string, number>;
  clients: number;
}

export class MoveError extends Error {}

/** The tables holding tenants' rows (a tenant_id column), parents before children. */
export async function tenantTables(shard: ShardHandle): Promise<{ name: string; columns: string[] }[]> {
  // PRAGMA statements, not their table-valued functions: D1 refuses those (SQLITE_AUTH).
  const [tables = []] = await shard.execute([
    { sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '_cf%' AND name NOT IN ('d1_migrations', 'tenant_moves') ORDER BY name" },
  ]);
  const all = tables.map((t) => String(t.name));
  const info = await shard.execute(all.flatMap((name) => [{ sql: `PRAGMA table_info(${quoted(name)})` }, { sql: `PRAGMA foreign_key_list(${quoted(name)})` }]));
  const columns = new Map<string, string[]>();
  all.forEach((name, i) => {
    const names = info[2 * i]!.map((c) => String(c.name));
    if (names.includes("tenant_id")) columns.set(name, names);
  });
  const names = [...columns.keys()];
  const parents = new Map(names.map((name) => [name, [...new Set(info[2 * all.indexOf(name) + 1]!.map((p) => String(p.table)))].filter((p) => p !== name && columns.has(p))]));
  const ordered: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (ordered.includes(name)) return;
    if (path.includes(name)) throw new MoveError(`foreign keys form a cycle: ${[...path, name].join(" → ")}`);
    for (const parent of parents.get(name) ?? []) visit(parent, [...path, name]);
    ordered.push(name);
  };
  for (const name of names) visit(name, []);
  return ordered.map((name) => ({ name, columns: columns.get(name)! }));
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
/** Trigger names of a tenant's freeze: tenant ids are [a-z0-9_-], so the name is unambiguous. */
const triggerPrefix = (tenant: string) => `tenant_move:${tenant}:`;

/** The freeze's triggers on one table: the tenant's inserts and updates refused (keys: all but moved_to). */
function freezeTriggers(tenant: string, table: string): string[] {
  const refuse = `BEGIN SELECT RAISE(ABORT, ${literal(`${TENANT_MOVING}: tenant ${tenant} is moving to another shard`)}); END`;
  const update = table === "api_keys" ? `NEW.tenant_id = ${literal(tenant)} AND NEW.moved_to IS OLD.moved_to` : `NEW.tenant_id = ${literal(tenant)}`;
  return [
    `CREATE TRIGGER IF NOT EXISTS ${quoted(`${triggerPrefix(tenant)}${table}:insert`)} BEFORE INSERT ON ${quoted(table)} WHEN NEW.tenant_id = ${literal(tenant)} ${refuse}`,
    `CREATE TRIGGER IF NOT EXISTS ${quoted(`${triggerPrefix(tenant)}${table}:update`)} BEFORE UPDATE ON ${quoted(table)} WHEN ${update} ${refuse}`,
  ];
}

interface Located {
  source: ShardHandle;
  /** A move from `source` is in progress (its tenant_moves row), to this shard. */
  movingTo: number | null;
  /** The source's keys already say moved_to (the switch is done). */
  switched: boolean;
}

async function locate(shards: readonly ShardHandle[], tenant: string): Promise<Located> {
  const states = await Promise.all(
    shards.map(async (shard) => {
      const [[row] = []] = await shard.execute([
        {
          sql:
            "SELECT (SELECT count(*) FROM api_keys WHERE tenant_id = ?1 AND moved_to IS NULL) AS live, " +
            "(SELECT count(*) FROM api_keys WHERE tenant_id = ?1 AND moved_to IS NOT NULL) AS forwarding, " +
            "(SELECT to_shard FROM tenant_moves WHERE tenant_id = ?1) AS moving",
          params: [tenant],
        },
      ]);
      return { shard, live: Number(row?.live ?? 0), forwarding: Number(row?.forwarding ?? 0), moving: row?.moving == null ? null : Number(row.moving) };
    }),
  );
  const moving = states.filter((s) => s.moving !== null);
  if (moving.length > 1) throw new MoveError(`tenant "${tenant}" has moves in progress from shards ${moving.map((s) => s.shard.shard).join(" and ")}: resolve by hand`);
  if (moving.length === 1) {
    const s = moving[0]!;
    return { source: s.shard, movingTo: s.moving, switched: s.live === 0 && s.forwarding > 0 };
  }
  const homes = states.filter((s) => s.live > 0);
  if (homes.length === 0) throw new MoveError(`no tenant "${tenant}" (no key of it on any shard)`);
  if (homes.length > 1) throw new MoveError(`tenant "${tenant}" has keys on shards ${homes.map((s) => s.shard.shard).join(" and ")} and no move in progress: resolve by hand`);
  return { source: homes[0]!.shard, movingTo: null, switched: false };
}

/** Deletes the tenant's rows of `tables` (children first), a page per statement until none is left. */
async function deleteTenantRows(shard: ShardHandle, tenant: string, tables: readonly string[], pageRows: number): Promise<void> {
  for (const table of [...tables].reverse()) {
    for (;;) {
      const [deleted = []] = await shard.execute([
        { sql: `DELETE FROM ${quoted(table)} WHERE rowid IN (SELECT rowid FROM ${quoted(table)} WHERE tenant_id = ? LIMIT ${pageRows}) RETURNING 1 AS d`, params: [tenant] },
      ]);
      if (deleted.length < pageRows) break;
    }
  }
}

async function countRows(shard: ShardHandle, tenant: string, tables: readonly string[]): Promise<Record<string, number>> {
  const counts = await shard.execute(tables.map((t) => ({ sql: `SELECT count(*) AS n FROM ${quoted(t)} WHERE tenant_id = ?`, params: [tenant] })));
  return Object.fromEntries(tables.map((t, i) => [t, Number(counts[i]![0]!.n)]));
}

/** Every client's chain in `shard` verifies and ends at its row (or its deletion); the number of clients with history. */
async function verifyChains(shard: ShardHandle, tenant: string, pageRows: number): Promise<number> {
  let clients = 0;
  let after = "";
  for (;;) {
    const [ids = []] = await shard.execute([
      { sql: "SELECT DISTINCT client_id AS id FROM client_history WHERE tenant_id = ? AND client_id > ? ORDER BY client_id LIMIT ?", params: [tenant, after, pageRows] },
    ]);
    if (ids.length === 0) return clients;
    for (const { id } of ids) {
      const clientId = String(id);
      const [rows = [], live = []] = await shard.execute([
        {
          sql: "SELECT client_id, sequence, part, parts, at, operation, linked, hash, body FROM client_history WHERE tenant_id = ? AND client_id = ? ORDER BY sequence, part",
          params: [tenant, clientId],
        },
        { sql: "SELECT version FROM clients WHERE tenant_id = ? AND id = ?", params: [tenant, clientId] },
      ]);
      const groups: StoredRow[][] = [];
      for (const r of rows) {
        const row: StoredRow = {
          clientId: String(r.client_id),
          sequence: Number(r.sequence),
          part: Number(r.part),
          parts: r.parts == null ? null : Number(r.parts),
          at: r.at == null ? null : String(r.at),
          operation: r.operation == null ? null : String(r.operation),
          linked: r.linked == null ? null : String(r.linked),
          hash: r.hash == null ? null : String(r.hash),
          body: String(r.body),
        };
        const last = groups.at(-1);
        if (last && last[0]!.sequence === row.sequence) last.push(row);
        else groups.push([row]);
      }
      const verdict = await verifyChain(clientId, groups, live[0] ? { version: Number(live[0].version) } : null);
      if (!verdict.valid) throw new MoveError(`the copy of client ${clientId} in ${shard.where} does not verify (broken at entry ${verdict.brokenAt}): nothing was switched; run the move again`);
      clients++;
    }
    after = String(ids.at(-1)!.id);
  }
}

/**
 * Moves `tenant` to shard `to` (see the steps above); run again after any interruption, it ends with
 * exactly one complete copy. `shards` are every shard of the environment, by number.
 */
export async function moveTenant(shards: readonly ShardHandle[], tenant: string, to: number, options: MoveOptions = {}): Promise<MoveReport> {
  const pageRows = options.pageRows ?? 100;
  const log = options.log ?? (() => {});
  const after = options.after ?? (() => {});
  const target = shards.find((s) => s.shard === to);
  if (!target) throw new MoveError(`there is no shard ${to} (shards: ${shards.map((s) => s.shard).join(", ")})`);
  const { source, movingTo, switched } = await locate(shards, tenant);
  if (movingTo !== null && movingTo !== to) throw new MoveError(`a move of tenant "${tenant}" from shard ${source.shard} to shard ${movingTo} is in progress: run it again with --to ${movingTo}`);
  if (movingTo === null && source.shard === to) return { outcome: "already there", from: source.shard, to, rows: {}, clients: 0 };

  const tables = await tenantTables(source);
  const names = tables.map((t) => t.name);
  const rows: Record<string, number> = {};
  let clients = 0;
  if (!switched) {
    log(`freezing tenant "${tenant}" on ${source.where} (its writes wait)`);
    await source.execute([
      { sql: "INSERT OR IGNORE INTO tenant_moves (tenant_id, to_shard, started_at) VALUES (?, ?, ?)", params: [tenant, to, (options.now ?? (() => new Date().toISOString()))()] },
      ...names.flatMap((name) => freezeTriggers(tenant, name)).map((sql) => ({ sql })),
    ]);
    await after("frozen");

    log(`clearing what ${target.where} holds of tenant "${tenant}"`);
    const [triggers = []] = await target.execute([{ sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, ?) = ?", params: [triggerPrefix(tenant).length, triggerPrefix(tenant)] }]);
    await target.execute(triggers.map((t) => ({ sql: `DROP TRIGGER IF EXISTS ${quoted(String(t.name))}` })));
    await deleteTenantRows(target, tenant, names, pageRows);
    await target.execute([{ sql: "DELETE FROM tenant_moves WHERE tenant_id = ?", params: [tenant] }]);
    await after("cleared");

    for (const { name, columns } of tables) {
      let copied = 0;
      let last = 0;
      const list = columns.map(quoted).join(", ");
      for (;;) {
        const [page = []] = await source.execute([
          { sql: `SELECT rowid AS "__rowid", ${list} FROM ${quoted(name)} WHERE tenant_id = ? AND rowid > ? ORDER BY rowid LIMIT ?`, params: [tenant, last, pageRows] },
        ]);
        if (page.length === 0) break;
        const placeholders = columns.map(() => "?").join(", ");
        await target.execute(page.map((row) => ({ sql: `INSERT INTO ${quoted(name)} (${list}) VALUES (${placeholders})`, params: columns.map((c) => row[c] ?? null) })));
        copied += page.length;
        last = Number(page.at(-1)!.__rowid);
      }
      rows[name] = copied;
      log(`copied ${copied} row(s) of ${name}`);
      await after(`copied ${name}`);
    }

    const [expected, found] = await Promise.all([countRows(source, tenant, names), countRows(target, tenant, names)]);
    const differing = names.filter((n) => expected[n] !== found[n]);
    if (differing.length > 0) throw new MoveError(`the copy differs from the source in ${differing.map((n) => `${n} (${found[n]} of ${expected[n]} rows)`).join(", ")}: nothing was switched; run the move again`);
    clients = await verifyChains(target, tenant, pageRows);
    log(`verified ${clients} client chain(s) in ${target.where}`);
    await after("verified");

    await source.execute([{ sql: "UPDATE api_keys SET moved_to = ? WHERE tenant_id = ? AND moved_to IS NULL", params: [to, tenant] }]);
    log(`switched: tenant "${tenant}" is served from ${target.where}`);
    await after("switched");
  }

  await deleteTenantRows(
    source,
    tenant,
    names.filter((n) => n !== "api_keys"),
    pageRows,
  );
  await source.execute([{ sql: "DELETE FROM tenant_moves WHERE tenant_id = ?", params: [tenant] }]);
  log(`erased tenant "${tenant}" from ${source.where} (its keys stay there, forwarding to shard ${to})`);
  await after("erased");
  return { outcome: "moved", from: source.shard, to, rows, clients };
}

export interface TenantPlacement {
  tenant: string;
  shard: number;
  keys: number;
  rows: number;
  bytes: number;
  moving: boolean;
}

/** Every tenant of each shard (those with keys there that are not forwarding rows), with its rows and bytes. */
export async function listTenants(shards: readonly ShardHandle[]): Promise<TenantPlacement[]> {
  const placements: TenantPlacement[] = [];
  for (const shard of shards) {
    const tables = await tenantTables(shard);
    const [keys = [], moving = [], ...sizes] = await shard.execute([
      { sql: "SELECT tenant_id, count(*) AS n FROM api_keys WHERE moved_to IS NULL GROUP BY tenant_id ORDER BY tenant_id" },
      { sql: "SELECT tenant_id FROM tenant_moves" },
      ...tables.map(({ name, columns }) => ({
        sql: `SELECT tenant_id, count(*) AS n, sum(${columns.map((c) => `coalesce(length(CAST(${quoted(c)} AS BLOB)), 0)`).join(" + ")}) AS bytes FROM ${quoted(name)} GROUP BY tenant_id`,
      })),
    ]);
    const movingTenants = new Set(moving.map((m) => String(m.tenant_id)));
    for (const k of keys) {
      const tenant = String(k.tenant_id);
      let rows = 0;
      let bytes = 0;
      for (const table of sizes) {
        const found = table.find((r) => r.tenant_id === tenant);
        rows += Number(found?.n ?? 0);
        bytes += Number(found?.bytes ?? 0);
      }
      placements.push({ tenant, shard: shard.shard, keys: Number(k.n), rows, bytes, moving: movingTenants.has(tenant) });
    }
  }
  return placements;
}
