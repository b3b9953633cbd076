// The cost runner (`npm run bench` runs it through bench/cost.bench-config.ts): in the Workers
// runtime, against local D1 populated exactly as the wrangler dev database is, it sends every
// workload's requests to the real app (createApp) with the D1 binding wrapped in the test suite's
// D1 guard (test/support/d1-guard.ts) as a recorder — limits recorded, not enforced — and records
// what each request did to D1: statements, round trips, batch sizes, rows read and written (D1's own
// `meta`), with the query plan of every statement. It also times the floor: the rows W2
// writes, inserted straight through the binding with one json_each INSERT per table.
//
// The figures leave as one console line (MARKER + JSON) that the config's onConsoleLog writes to
// BENCH_COST_OUT; the orchestrator (bench/run.ts) merges them with the HTTP latencies.
import { applyD1Migrations, createExecutionContext, waitOnExecutionContext, type D1Migration } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { expect, it } from "vitest";
import { createApp } from "../../src/app";
import { bothReads, openDb, runBatch, type Statement } from "../../src/db/database";
import { appendEntries } from "../../src/db/history";
import { etagOfJson } from "../../src/db/mappers";
import { syncHeadsRead, syncRead } from "../../src/db/sync-reads";
import { syncWrite } from "../../src/db/sync-writes";
import { batchAnswer, duplicateFailures, externalIdsOf, newClientRow, takenFailures, validateItems } from "../../src/batch/items";
import { insertClients, takenExternalIdsRead } from "../../src/db/clients";
import { createdClientDrafts, syncDrafts } from "../../src/history/drafts";
import { sourceOf } from "../../src/http/pipeline";
import { sealEntries } from "../../src/history/entry";
import { actorOf } from "../../src/http/actor";
import { idempotencyOf } from "../../src/http/idempotency";
import { answerText } from "../../src/write/sync";
import { lookupKeyWrites, type Recording } from "../../src/write/runner";
import type { Env } from "../../src/env";
import { readWithKey, withApiKey } from "../../src/http/auth";
import { readJsonBody } from "../../src/http/body";
import type { ApiRequest } from "../../src/http/context";
import { displayPrefix, generateKey, hashKey } from "../../src/http/keys";
import { newId } from "../../src/ids";
import { parseSyncRequest } from "../../src/schemas/requests";
import { planSync } from "../../src/sync/plan";
import { apiKeyStatement, BENCH_TENANT, populatedCounts, populatedId, smallClientIndex } from "../lib/populate";
import { batchBody, changedSyncBody, maximalSyncBody, populatedLookupBody, typicalLookupBody, typicalSyncBody, w8Body, W8_EXPECTED, w8StoredBody, type TypicalId, type WorkloadId } from "../lib/workloads";
import { createD1Guard, type D1Guard, type RequestRecord } from "../../test/support/d1-guard";
import { withRoundTripDelay } from "../../src/db/round-trip-delay";

const MARKER = "@@bench-cost@@";

const benchEnv = workerEnv as unknown as Env & {
  BENCH_MIGRATIONS: D1Migration[];
  BENCH_CLIENTS: number;
  BENCH_POPULATE: string[];
  BENCH_COST_REPS: number;
  BENCH_FLOOR_REPS: number;
  /** Round-trip times (ms) of `--rtt`, comma-separated; "" without it. */
  BENCH_RTT: string;
};
const db = benchEnv.DB_TEST_0;
const N = benchEnv.BENCH_CLIENTS;
const REPS = Math.max(1, benchEnv.BENCH_COST_REPS);
const FLOOR_REPS = Math.max(1, benchEnv.BENCH_FLOOR_REPS);
const RTT_LEVELS = benchEnv.BENCH_RTT === "" ? [] : benchEnv.BENCH_RTT.split(",").map(Number);

const progress = (line: string) => console.log(`@@bench-progress@@ ${line}`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/**
 * The rate limiters' waits (ms) of the request being sent: a binding call, not the Worker's CPU, that
 * the "worker ms" figure (in-process minus D1 waits) still counts; reported beside it.
 */
let limiterMs = 0;
const timedLimiter = (limiter: RateLimit): RateLimit => ({
  limit: async (options) => {
    const start = performance.now();
    try {
      return await limiter.limit(options);
    } finally {
      limiterMs += performance.now() - start;
    }
  },
});
const sendEnv: Env = { ...benchEnv, RATE_LIMIT_READS: timedLimiter(benchEnv.RATE_LIMIT_READS), RATE_LIMIT_WRITES: timedLimiter(benchEnv.RATE_LIMIT_WRITES) };

interface Sent {
  status: number;
  ms: number;
  /** Of `ms`, the time spent waiting for the rate limiters. */
  limiterMs: number;
  body: any;
  record: RequestRecord;
}

// Bound values are kept: each statement's query plan is explained with them.
const recorder = createD1Guard({ enforceLimits: false, keepValues: true });
const logged: unknown[] = [];
const logError = (message: string, details: Record<string, unknown>) => logged.push({ message, details });
const app = createApp({ wrapDatabase: recorder.wrap, logError });
let key = "";

/** An app and the recorder of its D1 calls. */
interface Via {
  app: ReturnType<typeof createApp>;
  recorder: D1Guard;
}
const direct: Via = { app, recorder };

async function send(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}, { app, recorder }: Via = direct): Promise<Sent> {
  const headers = new Headers({ "x-environment": "test", authorization: `Bearer ${key}`, ...extraHeaders });
  let text: string | undefined;
  if (body !== undefined) {
    text = JSON.stringify(body);
    headers.set("content-type", "application/json");
  }
  const request = new Request(`http://localhost${path}`, { method, headers, body: text });
  const ctx = createExecutionContext();
  limiterMs = 0;
  const start = performance.now();
  const response = await app.fetch(request, sendEnv, ctx);
  const answer = await response.text();
  const ms = performance.now() - start;
  await waitOnExecutionContext(ctx);
  const records = recorder.recordsOf(request);
  if (records.length !== 1) throw new Error(`${method} ${path}: ${records.length} recorded connections`);
  // The guard keeps every record (and, here, every bound value) for the run's life: ~100 MB after W8,
  // whose collection the later requests' Worker time would pay. The caller keeps what it needs.
  recorder.records.splice(0);
  const parsed = answer === "" ? null : JSON.parse(answer);
  if (response.status !== 200) throw new Error(`${method} ${path} answered ${response.status}: ${answer.slice(0, 1000)}`);
  return { status: response.status, ms, limiterMs, body: parsed, record: records[0]! };
}

interface StatementOut {
  roundTrip: number;
  index: number;
  sql: string;
  params: number;
  rowsRead: number | null;
  rowsWritten: number | null;
  plan: string[];
}

interface WorkloadOut {
  /** Per rep: latency in-process (ms) and the recorder's totals. */
  reps: { ms: number; limiterMs: number; statements: number; roundTrips: number; batchSizes: number[]; roundTripMs: number[]; rowsRead: number; rowsWritten: number }[];
  /** Every statement of the first rep, with D1's rows and the query plan. */
  statements: StatementOut[];
  /** What the first rep's answer reports: a sync's action and created/updated/deleted per list. */
  answer: Record<string, unknown> | null;
}

const LISTS = ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"];

function answerSummary(body: any): Record<string, unknown> | null {
  if (body && typeof body.action === "string") {
    return {
      action: body.action,
      ...Object.fromEntries(LISTS.map((l) => [l, { created: body[l].created.length, updated: body[l].updated.length, deleted: body[l].deleted.length }])),
    };
  }
  if (body && Array.isArray(body.data)) return { clients: body.data.length };
  if (body && typeof body.id === "string") return { client: body.id, ...Object.fromEntries(LISTS.map((l) => [l, body[l]?.length])) };
  return null;
}

async function planOf(sql: string, params: unknown[]): Promise<string[]> {
  try {
    const { results } = await db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ id: number; parent: number; detail: string }>();
    // Indent by depth, as the sqlite3 shell prints it.
    const depth = new Map<number, number>([[0, 0]]);
    return results.map((r) => {
      const d = (depth.get(r.parent) ?? 0) + 1;
      depth.set(r.id, d);
      return `${"  ".repeat(d - 1)}${r.detail}`;
    });
  } catch (error) {
    return [`(no plan: ${(error as Error).message})`];
  }
}

async function describe(record: RequestRecord): Promise<StatementOut[]> {
  const out: StatementOut[] = [];
  for (const s of record.statements) {
    out.push({
      roundTrip: s.roundTrip,
      index: s.index,
      sql: s.sql,
      params: s.params,
      rowsRead: s.rowsRead,
      rowsWritten: s.rowsWritten,
      plan: await planOf(s.sql, [...(s.values ?? [])]),
    });
  }
  return out;
}

const results: Partial<Record<WorkloadId, WorkloadOut>> = {};

/** W8's untimed setup: the padded maximal client of `ext`; returns W8's body over it. */
async function w8Setup(ext: string): Promise<unknown> {
  const made = await send("POST", "/clients/sync", w8StoredBody(ext));
  if (made.body.action !== "created") throw new Error(`W8 setup: ${made.body.action}`);
  const client = made.body.client;
  return w8Body(ext, { addresses: client.addresses, contactMethods: client.contactMethods, bankAccounts: client.bankAccounts, documents: client.documents });
}

const typicalResults: Partial<Record<TypicalId, WorkloadOut>> = {};

async function run<Id extends WorkloadId | TypicalId>(
  id: Id,
  reps: number,
  request: (rep: number) => Promise<Sent>,
  check?: (sent: Sent) => void,
  into: Partial<Record<Id, WorkloadOut>> = results as Partial<Record<Id, WorkloadOut>>,
) {
  const out: WorkloadOut = { reps: [], statements: [], answer: null };
  const violations: string[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const sent = await request(rep);
    check?.(sent);
    const r = sent.record;
    violations.push(...r.violations.map((v) => v.message));
    out.reps.push({ ms: sent.ms, limiterMs: sent.limiterMs, statements: r.statements.length, roundTrips: r.roundTrips, batchSizes: r.batchSizes, roundTripMs: r.roundTripMs, rowsRead: r.rowsRead, rowsWritten: r.rowsWritten });
    if (rep === 0) {
      out.statements = await describe(r);
      out.answer = answerSummary(sent.body);
    }
    for (const statement of r.statements) statement.values = undefined; // explained, or never to be
  }
  into[id] = out;
  const first = out.reps[0]!;
  progress(
    `cost ${id}: ${first.statements} statements, ${first.roundTrips} round trips [${first.batchSizes.join(", ")}], ` +
      `rows read ${first.rowsRead}, rows written ${first.rowsWritten}, in-process p50 ${median(out.reps.map((r) => r.ms)).toFixed(1)} ms` +
      (violations.length > 0 ? `; OVER A D1 LIMIT: ${[...new Set(violations)].join("; ")}` : ""),
  );
}

// ---------------------------------------------------------------------------------------------
// The floor: W2's rows, inserted straight through the binding (one json_each INSERT per table)
// ---------------------------------------------------------------------------------------------

const GRAPH_TABLES = ["clients", "addresses", "contact_methods", "bank_accounts", "documents", "client_links"] as const;

/** The rows the sync of `clientId` wrote, as D1 stores them. */
async function graphRows(clientId: string): Promise<Record<(typeof GRAPH_TABLES)[number], Record<string, unknown>[]>> {
  const links = (await db.prepare("SELECT * FROM client_links WHERE parent_client_id = ? ORDER BY id").bind(clientId).all()).results;
  const ids = [clientId, ...links.map((l) => l.child_client_id as string)];
  const clients = (await db.prepare("SELECT * FROM clients WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id").bind(JSON.stringify(ids)).all()).results;
  const child = async (table: string) => (await db.prepare(`SELECT * FROM ${table} WHERE client_id = ? ORDER BY id`).bind(clientId).all()).results;
  return {
    clients,
    addresses: await child("addresses"),
    contact_methods: await child("contact_methods"),
    bank_accounts: await child("bank_accounts"),
    documents: await child("documents"),
    client_links: links,
  };
}

/** The same rows under new ids and externalIds (so they insert again), keeping every other value. */
function rekey(rows: Awaited<ReturnType<typeof graphRows>>, suffix: string) {
  const ids = new Map<string, string>();
  const fresh = (id: string) => {
    let mapped = ids.get(id);
    if (!mapped) ids.set(id, (mapped = newId()));
    return mapped;
  };
  const out = {} as Record<(typeof GRAPH_TABLES)[number], Record<string, unknown>[]>;
  for (const table of GRAPH_TABLES) {
    out[table] = rows[table].map((row) => {
      const copy: Record<string, unknown> = { ...row, id: fresh(row.id as string) };
      if ("external_id" in copy && copy.external_id !== null) copy.external_id = `${copy.external_id}${suffix}`;
      if ("client_id" in copy) copy.client_id = fresh(copy.client_id as string);
      if ("parent_client_id" in copy) copy.parent_client_id = fresh(copy.parent_client_id as string);
      if ("child_client_id" in copy) copy.child_client_id = fresh(copy.child_client_id as string);
      return copy;
    });
  }
  return out;
}

function floorStatements(rows: ReturnType<typeof rekey>): D1PreparedStatement[] {
  return GRAPH_TABLES.filter((table) => rows[table].length > 0).map((table) => {
    const columns = Object.keys(rows[table][0]!);
    const sql = `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${columns.map((c) => `j.value ->> '${c}'`).join(", ")} FROM json_each(?) AS j`;
    return db.prepare(sql).bind(JSON.stringify(rows[table]));
  });
}

// ---------------------------------------------------------------------------------------------
// The honest floor (issue 25): every row the contract makes the request write — the clients, their
// children and links, the history entries (§11), the lookup keys (§14) and the outbox rows (§12;
// none unless the tenant has a webhook endpoint) — read back as stored (their real bytes), given
// new ids and externalIds, and inserted with one json_each INSERT per table in one batch.
// ---------------------------------------------------------------------------------------------

const HONEST_TABLES = [...GRAPH_TABLES, "client_history", "client_lookup_keys", "event_outbox"] as const;
type HonestTable = (typeof HONEST_TABLES)[number];
type HonestRows = Record<HonestTable, Record<string, unknown>[]>;
/** Columns that hold the id of a row of the graph: each gets a fresh id (the same one everywhere). */
const ID_COLUMNS = ["id", "client_id", "parent_client_id", "child_client_id", "child_id"];

/** Every row the request that created `clientIds` wrote, by table. */
async function writtenRows(clientIds: readonly string[]): Promise<HonestRows> {
  const ids = JSON.stringify(clientIds);
  const where = (column: string) => `${column} IN (SELECT value FROM json_each(?))`;
  const read = async (table: HonestTable, column: string) => (await db.prepare(`SELECT * FROM ${table} WHERE ${where(column)}`).bind(ids).all()).results;
  const out = {} as HonestRows;
  for (const table of HONEST_TABLES) out[table] = await read(table, table === "clients" ? "id" : table === "client_links" ? "parent_client_id" : "client_id");
  return out;
}

function rekeyAll(rows: HonestRows, suffix: string): HonestRows {
  const ids = new Map<string, string>();
  const fresh = (id: string) => {
    let mapped = ids.get(id);
    if (!mapped) ids.set(id, (mapped = newId()));
    return mapped;
  };
  const out = {} as HonestRows;
  for (const table of HONEST_TABLES) {
    out[table] = rows[table].map((row) => {
      const copy: Record<string, unknown> = { ...row };
      for (const column of ID_COLUMNS) if (typeof copy[column] === "string") copy[column] = fresh(copy[column] as string);
      if (typeof copy.external_id === "string") copy.external_id = `${copy.external_id}${suffix}`;
      return copy;
    });
  }
  return out;
}

function honestStatements(rows: HonestRows): D1PreparedStatement[] {
  return HONEST_TABLES.filter((table) => rows[table].length > 0).map((table) => {
    const columns = Object.keys(rows[table][0]!);
    const sql = `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${columns.map((c) => `j.value ->> '${c}'`).join(", ")} FROM json_each(?) AS j`;
    return db.prepare(sql).bind(JSON.stringify(rows[table]));
  });
}

interface FloorTiming {
  reps: number[];
  p50: number;
  min: number;
  statements: number;
  rows: Record<string, number>;
  bytes: number;
  rowsRead: number;
  rowsWritten: number;
}

/** Times one batch of `statements` (the floor's D1 work). */
async function timeFloor(statements: D1PreparedStatement[]): Promise<{ ms: number; rowsRead: number; rowsWritten: number }> {
  const start = performance.now();
  const answers = await db.batch(statements);
  const ms = performance.now() - start;
  return { ms, rowsRead: answers.reduce((n, a) => n + (a.meta.rows_read ?? 0), 0), rowsWritten: answers.reduce((n, a) => n + (a.meta.rows_written ?? 0), 0) };
}

const countRows = (rows: Partial<HonestRows>) => Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r!.length]));
const rowBytes = (rows: Partial<HonestRows>) => Object.values(rows).reduce((n, r) => n + new TextEncoder().encode(JSON.stringify(r)).length, 0);

// ---------------------------------------------------------------------------------------------
// Where a sync's time goes: the steps of POST /clients/sync (src/write/sync.ts syncClient and
// src/write/runner.ts runWrite) run one by one with the app's own modules, timed (workerd's clock
// has 1 ms resolution: medians of reps). Keep in step with those two files.
// ---------------------------------------------------------------------------------------------

export const STEPS = ["body", "auth", "idempotency", "validate", "d1Read", "plan", "response", "etag", "params", "history", "keys", "d1Write"] as const;
/** The history step's parts: what changed (drafts), hash + gzip + base64 of each entry (seal), their rows (append). */
export const HISTORY_PARTS = ["history.drafts", "history.seal", "history.append"] as const;
type Step = (typeof STEPS)[number] | (typeof HISTORY_PARTS)[number];

async function syncSteps(body: unknown, idempotencyKey?: string): Promise<Record<Step, number>> {
  const request = new Request("http://localhost/clients/sync", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-environment": "test",
      authorization: `Bearer ${key}`,
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  }) as unknown as ApiRequest;
  const mdb = openDb(recorder.wrap(db));
  const times = {} as Record<Step, number>;
  let last = performance.now();
  const lap = (step: Step) => {
    const now = performance.now();
    times[step] = now - last;
    last = now;
  };
  const { value, text } = await readJsonBody(request);
  lap("body");
  Object.assign(request, { environment: "test", db: mdb, requestId: "bench-steps", onBehalfOf: null });
  await withApiKey("clients:create", "clients:update")(request, benchEnv);
  lap("auth");
  const idempotency = await idempotencyOf(request, text);
  lap("idempotency");
  const parsed = parseSyncRequest(value);
  lap("validate");
  if (!parsed.success) throw new Error(`steps: invalid body: ${parsed.error.message.slice(0, 500)}`);
  const read = bothReads(syncRead(mdb, request.tenant, parsed.data), syncHeadsRead(mdb, request.tenant, parsed.data));
  const results = await readWithKey(request, { statements: [...read.statements, ...(idempotency ? [idempotency.lookup()] : [])], parse: (r) => r });
  if (idempotency?.replayOf(results.at(-1))) throw new Error("steps: the key was used before");
  const [loaded, heads] = read.parse(results.slice(0, read.statements.length));
  lap("d1Read");
  const now = new Date();
  const plan = planSync(parsed.data, loaded, { tenantId: request.tenantId, now, newId });
  lap("plan");
  const { body: answerBody, clientJson } = answerText(plan.response);
  lap("response");
  const answer = { status: 200, headers: { etag: await etagOfJson(clientJson) }, body: answerBody };
  lap("etag");
  const writes = plan.noop ? [] : syncWrite(mdb, request.tenantId, plan, loaded, parsed.data, idempotency ? "strict" : "relaxed").statements;
  const stored = idempotency && writes.length > 0 ? idempotency.record(answer) : [];
  lap("params");
  // runner.ts recordedWith: the entries sealed and appended in the same batch.
  let recorded: Statement[] = [];
  let recording: Recording | null = null;
  let keys: Statement[] = [];
  const historyStart = last;
  if (writes.length > 0) {
    const drafts = syncDrafts(plan, loaded);
    recording = { operation: "sync", at: now.toISOString(), drafts, heads };
    lap("history.drafts");
    const entries = await sealEntries(drafts, heads, { at: now.toISOString(), requestId: request.requestId, operation: "sync", actor: actorOf(request), newId });
    lap("history.seal");
    recorded = appendEntries(mdb, request.tenantId, entries, { eventIds: entries.map(() => newId()) });
    lap("history.append");
  } else for (const part of HISTORY_PARTS) times[part] = 0;
  times.history = performance.now() - historyStart;
  last = performance.now();
  // runner.ts lookupKeyWrites: the lookup keys (API.md §14) end the batch.
  keys = lookupKeyWrites(request, recording);
  lap("keys");
  const batch = [...stored, ...recorded, ...writes, ...keys];
  if (batch.length > 0) await runBatch(mdb, batch);
  lap("d1Write");
  return times;
}

/**
 * The steps of POST /clients/batch (src/write/batch.ts createClients, atomic, without a key), the
 * same way: its "plan" is the externalId check and the new rows, its "response" the answer's JSON
 * (no ETag: a batch answers none).
 */
async function batchSteps(body: { items: unknown[] }): Promise<Record<Step, number>> {
  const request = new Request("http://localhost/clients/batch", {
    method: "POST",
    headers: { "content-type": "application/json", "x-environment": "test", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  }) as unknown as ApiRequest;
  const mdb = openDb(recorder.wrap(db));
  const times = {} as Partial<Record<Step, number>>;
  let last = performance.now();
  const lap = (step: Step) => {
    const now = performance.now();
    times[step] = now - last;
    last = now;
  };
  const { value } = await readJsonBody(request);
  lap("body");
  Object.assign(request, { environment: "test", db: mdb, requestId: "bench-steps", onBehalfOf: null, origin: "http://localhost" });
  await withApiKey("clients:create")(request, benchEnv);
  lap("auth");
  const checked = validateItems((value as { items: unknown[] }).items);
  if (checked.failures.length > 0 || duplicateFailures(checked.candidates).length > 0) throw new Error("steps: invalid batch");
  lap("validate");
  const taken = await readWithKey(request, takenExternalIdsRead(mdb, request.tenant, externalIdsOf(checked.candidates)));
  lap("d1Read");
  const now = new Date();
  if (takenFailures(checked.candidates, taken).length > 0) throw new Error("steps: taken externalIds");
  const created = checked.candidates.map((c) => ({ index: c.index, row: newClientRow(c.state, request.tenantId, true, now.toISOString()) }));
  lap("plan");
  batchAnswer(true, created, [], now, sourceOf(request));
  lap("response");
  const rows = created.map((c) => c.row);
  const writes = insertClients(mdb, rows);
  lap("params");
  const historyStart = last;
  const drafts = createdClientDrafts(rows);
  lap("history.drafts");
  const recording: Recording = { operation: "batch", at: now.toISOString(), drafts, heads: new Map() };
  const entries = await sealEntries(drafts, new Map(), { at: now.toISOString(), requestId: request.requestId, operation: "batch", actor: actorOf(request), newId });
  lap("history.seal");
  const recorded = appendEntries(mdb, request.tenantId, entries, { eventIds: entries.map(() => newId()) });
  lap("history.append");
  times.history = performance.now() - historyStart;
  last = performance.now();
  const keys = lookupKeyWrites(request, recording);
  lap("keys");
  await runBatch(mdb, [...recorded, ...writes, ...keys]);
  lap("d1Write");
  return Object.fromEntries([...STEPS, ...HISTORY_PARTS].map((k) => [k, times[k] ?? 0])) as Record<Step, number>;
}

function medianSteps(runs: Record<Step, number>[]): Record<Step, number> {
  return Object.fromEntries([...STEPS, ...HISTORY_PARTS].map((k) => [k, median(runs.map((r) => r[k]))])) as Record<Step, number>;
}

// ---------------------------------------------------------------------------------------------
// At the edge: the workloads with `rttMs` added to every D1 round trip (src/db/round-trip-delay.ts)
// ---------------------------------------------------------------------------------------------

/** W8 (a 5 MiB setup per request) is left out of the sweep. */
type RttWorkload = Exclude<WorkloadId, "W8">;

interface RttOut {
  levels: number[];
  reps: number;
  /** Per workload: its round trips (every rep, every level) and the in-process ms of each rep per level. */
  workloads: Record<RttWorkload, { roundTrips: number[]; ms: Record<string, number[]>; p50: Record<string, number> }>;
}

/**
 * Rep by rep, each workload at every level in turn (so that a change of load on the machine hits
 * every level alike). Fresh clients for W1, W2 and W4 at every level and rep.
 */
async function rttSweep(tag: string, referenceId: string): Promise<RttOut> {
  const vias = RTT_LEVELS.map((rttMs) => {
    const delayedRecorder = createD1Guard({ enforceLimits: false });
    const delayedApp = createApp({ wrapDatabase: (binding, request) => delayedRecorder.wrap(withRoundTripDelay(binding, rttMs), request), logError });
    return { rttMs, via: { app: delayedApp, recorder: delayedRecorder } };
  });
  const requests: Record<RttWorkload, (tagOf: string, rep: number, via: Via) => Promise<Sent>> = {
    W1: (t, rep, via) => send("POST", "/clients/batch", batchBody(`${t}-w1-${rep}`), {}, via),
    W2: (t, rep, via) => send("POST", "/clients/sync", maximalSyncBody(`${t}-w2-${rep}`), {}, via),
    W3: (_t, _rep, via) => send("POST", "/clients/sync", maximalSyncBody(`${tag}-ref`), {}, via),
    W4: (t, rep, via) => send("POST", "/clients/sync", changedSyncBody(`${t}-w2-${rep}`), {}, via),
    W5: (_t, _rep, via) => send("GET", `/clients/${referenceId}`, undefined, {}, via),
    W6: (_t, rep, via) => send("GET", `/clients/${populatedId("clients", smallClientIndex((rep + 0.5) / REPS, N))}`, undefined, {}, via),
    W7: (_t, _rep, via) => send("GET", "/clients?limit=20", undefined, {}, via),
  };
  const expected: Record<RttWorkload, (body: any) => boolean> = {
    W1: (b) => b.data?.length === 250,
    W2: (b) => b.action === "created",
    W3: (b) => b.action === "unchanged",
    W4: (b) => b.addresses?.deleted?.length === 25,
    W5: (b) => b.addresses?.length === 250,
    W6: (b) => b.addresses?.length === 2,
    W7: (b) => b.data?.length === 20,
  };
  const workloads = {} as RttOut["workloads"];
  for (const id of Object.keys(requests) as RttWorkload[]) {
    const out: RttOut["workloads"][RttWorkload] = { roundTrips: [], ms: {}, p50: {} };
    for (let rep = 0; rep < REPS; rep++) {
      for (const { rttMs, via } of vias) {
        const sent = await requests[id](`${tag}-rtt${rttMs}`, rep, via);
        if (!expected[id](sent.body)) throw new Error(`rtt ${rttMs} ${id}: unexpected answer ${JSON.stringify(sent.body).slice(0, 500)}`);
        (out.ms[rttMs] ??= []).push(sent.ms);
        out.roundTrips.push(sent.record.roundTrips);
      }
    }
    for (const rttMs of RTT_LEVELS) out.p50[rttMs] = median(out.ms[rttMs]!);
    workloads[id] = out;
    progress(`cost rtt ${id}: ${[...new Set(out.roundTrips)].join("/")} round trips; p50 ${RTT_LEVELS.map((r) => `${out.p50[r]!.toFixed(0)} ms at ${r}`).join(", ")}`);
  }
  return { levels: RTT_LEVELS, reps: REPS, workloads };
}

// ---------------------------------------------------------------------------------------------

it("measures the D1 cost of every workload", { timeout: 1_800_000 }, async () => {
  await applyD1Migrations(db, benchEnv.BENCH_MIGRATIONS);
  const started = performance.now();
  for (const [i, sql] of benchEnv.BENCH_POPULATE.entries()) {
    await db.prepare(sql).run();
    if (i % 6 === 5) progress(`cost runner: populating ${N.toLocaleString("en")} clients… ${Math.round(((i + 1) / benchEnv.BENCH_POPULATE.length) * 100)}%`);
  }
  // The lookup keys of the populated clients (API.md §14), as migrations 0006 and 0009 backfill them.
  for (const prefix of ["0006_", "0009_"]) {
    const migration = benchEnv.BENCH_MIGRATIONS.find((m: { name: string }) => m.name.startsWith(prefix))!;
    for (const query of migration.queries.filter((q: string) => /^\s*INSERT INTO client_lookup_keys/i.test(q.replace(/^--.*$/gm, "")))) await db.prepare(query).run();
  }
  const populateMs = performance.now() - started;
  const counts: Record<string, number> = {};
  for (const table of GRAPH_TABLES) counts[table] = ((await db.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>("n")) ?? 0) as number;
  expect(counts).toEqual(populatedCounts(N));
  progress(`cost runner: populated in ${(populateMs / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);

  key = generateKey("test");
  await db.prepare(apiKeyStatement(await hashKey(key), displayPrefix(key))).run();
  const tag = `c${Date.now().toString(36)}`;

  // Reference maximal client (W3 repeats its sync, W5 reads it); W2's clients are W4's targets.
  const reference = await send("POST", "/clients/sync", maximalSyncBody(`${tag}-ref`));
  const referenceId = reference.body.client.id as string;

  await run("W1", REPS, (rep) => send("POST", "/clients/batch", batchBody(`${tag}-w1-${rep}`)), (s) => expect(s.body.data).toHaveLength(250));
  const w2Ids: string[] = [];
  await run("W2", REPS, (rep) => send("POST", "/clients/sync", maximalSyncBody(`${tag}-w2-${rep}`)), (s) => {
    expect(s.body.action).toBe("created");
    w2Ids.push(s.body.client.id);
  });
  // The rows W2 wrote (its first client, before W4 changes it): what the floor inserts.
  const w2Rows = await graphRows(w2Ids[0]!);
  const w2Honest = await writtenRows([w2Ids[0]!, ...w2Rows.client_links.map((l) => l.child_client_id as string)]);
  await run("W3", REPS, () => send("POST", "/clients/sync", maximalSyncBody(`${tag}-ref`)), (s) => expect(s.body.action).toBe("unchanged"));
  await run("W4", REPS, (rep) => send("POST", "/clients/sync", changedSyncBody(`${tag}-w2-${rep}`)), (s) => {
    for (const list of ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"]) {
      expect(s.body[list].updated.length, list).toBeGreaterThanOrEqual(25);
      expect(s.body[list].deleted, list).toHaveLength(25);
    }
  });
  await run("W5", REPS, () => send("GET", `/clients/${referenceId}`), (s) => expect(s.body.addresses).toHaveLength(250));
  await run("W6", REPS, (rep) => send("GET", `/clients/${populatedId("clients", smallClientIndex((rep + 0.5) / REPS, N))}`), (s) =>
    expect(s.body.addresses).toHaveLength(2),
  );
  await run("W7", REPS, () => send("GET", "/clients?limit=20"), (s) => expect(s.body.data).toHaveLength(20));
  // W8: each request over a fresh padded maximal client (its setup sync untimed), with a key.
  const w8Bodies: unknown[] = [];
  for (let rep = 0; rep < REPS; rep++) w8Bodies.push(await w8Setup(`${tag}-w8-${rep}`));
  await run("W8", REPS, (rep) => send("POST", "/clients/sync", w8Bodies[rep], { "idempotency-key": `${tag}-w8-${rep}` }), (s) => {
    for (const list of LISTS) {
      expect(s.body[list].created, list).toHaveLength(W8_EXPECTED.created);
      expect(s.body[list].updated, list).toHaveLength(W8_EXPECTED.updated);
      expect(s.body[list].deleted, list).toHaveLength(W8_EXPECTED.deleted);
    }
  });

  // Typical traffic (T1–T6): one fresh client per rep for T1–T4 and T6.
  const typicalIds: string[] = [];
  const tExt = (rep: number) => `${tag}-t-${rep}`;
  const tN = (rep: number) => 900_000 + rep;
  await run("T1", REPS, (rep) => send("POST", "/clients/sync", typicalSyncBody(tExt(rep), tN(rep))), (s) => {
    expect(s.body.action).toBe("created");
    typicalIds.push(s.body.client.id);
  }, typicalResults);
  const renamed = (rep: number) => typicalSyncBody(tExt(rep), tN(rep), "Cliente típico (renombrado)");
  await run("T2", REPS, (rep) => send("POST", "/clients/sync", renamed(rep)), (s) => expect(s.body.action).toBe("updated"), typicalResults);
  await run("T3", REPS, (rep) => send("POST", "/clients/sync", renamed(rep)), (s) => expect(s.body.action).toBe("unchanged"), typicalResults);
  // T4 paired with the bare point read: the GET's own key lookup statement and the client's row by
  // id, in one batch straight through the binding (what any GET must at least do), same load. The
  // pair is timed as PAIRED_RUNS of each back to back (workerd's clock moves in whole ms, a bare read
  // takes about one), the GET through an app without the recorder (as deployed: the recorder's own
  // bookkeeping is not the Worker's), the limiter's wait kept apart.
  const PAIRED_RUNS = 20;
  const plainApp = createApp({ logError });
  const bare = {
    reps: [] as number[],
    pairedGet: [] as number[],
    pairedGetLimiter: [] as number[],
    /** The GET's own statements (the key lookup and the graph, as recorded), straight through the binding: its D1 part. */
    getStatements: [] as number[],
    runs: PAIRED_RUNS,
    p50: 0,
    pairedGetP50: 0,
    pairedGetLessLimiterP50: 0,
    getStatementsP50: 0,
    sql: [] as string[],
  };
  await run("T4", REPS, async (rep) => {
    const sent = await send("GET", `/clients/${typicalIds[rep]}`);
    const keyStatement = sent.record.statements.find((st) => st.sql.includes("api_keys"));
    if (!keyStatement) throw new Error("T4: no API-key statement recorded");
    const point = "SELECT * FROM clients WHERE id = ? AND tenant_id = ?";
    bare.sql = [keyStatement.sql, point];
    const bareStatements = () => [db.prepare(keyStatement.sql).bind(...(keyStatement.values ?? [])), db.prepare(point).bind(typicalIds[rep], BENCH_TENANT)];
    let start = performance.now();
    for (let k = 0; k < PAIRED_RUNS; k++) {
      const [keyRow, clientRow] = await db.batch(bareStatements());
      if (keyRow!.results.length !== 1 || clientRow!.results.length !== 1) throw new Error("T4: the bare read found no key or client");
    }
    bare.reps.push((performance.now() - start) / PAIRED_RUNS);
    start = performance.now();
    for (let k = 0; k < PAIRED_RUNS; k++) await db.batch(sent.record.statements.map((st) => db.prepare(st.sql).bind(...(st.values ?? []))));
    bare.getStatements.push((performance.now() - start) / PAIRED_RUNS);
    limiterMs = 0;
    start = performance.now();
    for (let k = 0; k < PAIRED_RUNS; k++) {
      const request = new Request(`http://localhost/clients/${typicalIds[rep]}`, { headers: { "x-environment": "test", authorization: `Bearer ${key}` } });
      const ctx = createExecutionContext();
      const response = await plainApp.fetch(request, sendEnv, ctx);
      const answer = await response.text();
      await waitOnExecutionContext(ctx);
      if (response.status !== 200 || !answer.includes(typicalIds[rep]!)) throw new Error(`T4: the paired GET answered ${response.status}`);
    }
    bare.pairedGet.push((performance.now() - start) / PAIRED_RUNS);
    bare.pairedGetLimiter.push(limiterMs / PAIRED_RUNS);
    return sent;
  }, (s) => expect(s.body.addresses).toHaveLength(2), typicalResults);
  bare.p50 = median(bare.reps);
  bare.pairedGetP50 = median(bare.pairedGet);
  bare.pairedGetLessLimiterP50 = median(bare.pairedGet.map((ms, i) => ms - bare.pairedGetLimiter[i]!));
  bare.getStatementsP50 = median(bare.getStatements);
  await run("T5", REPS, () => send("GET", "/clients?limit=20"), (s) => expect(s.body.data).toHaveLength(20), typicalResults);
  await run("T6", REPS, (rep) => send("POST", "/clients/lookup", typicalLookupBody(tExt(rep), tN(rep))), (s) => {
    expect(s.body.data).toHaveLength(3);
    for (const d of s.body.data) expect(d.matches.length, JSON.stringify(d)).toBeGreaterThanOrEqual(1);
  }, typicalResults);
  await run("T7", REPS, (rep) => send("POST", "/clients/lookup", populatedLookupBody(Math.floor(((rep + 0.5) / REPS) * (N - 100)))), (s) => {
    expect(s.body.data).toHaveLength(100);
    expect(s.body.data.filter((d: { matches: unknown[] }) => d.matches.length > 0).length).toBeGreaterThan(0);
  }, typicalResults);
  // A populated client's name ("Client <i> Pérez"), one typo and no accent.
  await run("T8", REPS, (rep) => send("GET", `/clients/search?name=${encodeURIComponent(`Clinet ${Math.floor(((rep + 0.5) / REPS) * N)} Perez`)}&limit=10`), (s) => expect(s.body.data.length).toBeGreaterThan(0), typicalResults);
  // T1's honest floor: every row T1 wrote, inserted raw (same method as W1's and W2's).
  const t1Honest = await writtenRows([typicalIds[0]!, ...(await db.prepare("SELECT child_client_id FROM client_links WHERE parent_client_id = ?").bind(typicalIds[0]).all()).results.map((r) => r.child_client_id as string)]);
  const honestT1: FloorTiming = { reps: [], p50: 0, min: 0, statements: honestStatements(t1Honest).length, rows: countRows(t1Honest), bytes: rowBytes(t1Honest), rowsRead: 0, rowsWritten: 0 };
  for (let rep = 0; rep < REPS; rep++) {
    const timed = await timeFloor(honestStatements(rekeyAll(t1Honest, `-honest${rep}`)));
    honestT1.reps.push(timed.ms);
    honestT1.rowsRead = timed.rowsRead;
    honestT1.rowsWritten = timed.rowsWritten;
  }
  honestT1.p50 = median(honestT1.reps);
  honestT1.min = Math.min(...honestT1.reps);
  const typical = { workloads: typicalResults, barePointRead: bare, honestFloorT1: honestT1 };
  progress(`cost typical: bare point read p50 ${bare.p50.toFixed(2)} ms, the GET's own statements raw ${bare.getStatementsP50.toFixed(2)} ms, T4 GET alongside ${bare.pairedGetP50.toFixed(2)} ms (limiter ${(bare.pairedGetP50 - bare.pairedGetLessLimiterP50).toFixed(2)}); T1 honest floor ${honestT1.p50} ms`);

  // Extra (not a workload of the brief): W2 with an Idempotency-Key, which stores its answer in the
  // same write batch, and the replay of that key.
  const extras: Record<string, { ms: number; statements: number; roundTrips: number; batchSizes: number[]; rowsRead: number; rowsWritten: number }> = {};
  const keyed = maximalSyncBody(`${tag}-idem`);
  for (const [name, body] of [["W2 with Idempotency-Key", keyed], ["the same request again (replay)", keyed]] as const) {
    const sent = await send("POST", "/clients/sync", body, { "idempotency-key": `${tag}-idem` });
    const r = sent.record;
    extras[name] = { ms: sent.ms, statements: r.statements.length, roundTrips: r.roundTrips, batchSizes: r.batchSizes, rowsRead: r.rowsRead, rowsWritten: r.rowsWritten };
    progress(`cost extra, ${name}: ${r.statements.length} statements [${r.batchSizes.join(", ")}], rows read ${r.rowsRead}, rows written ${r.rowsWritten}`);
  }

  // Where the time of W1, W2, W3, W4 and W8 goes, step by step (fresh clients; W3 on the reference).
  const steps: Record<string, Record<Step, number>> = {};
  const stepRuns: Record<string, Record<Step, number>[]> = { W1: [], W2: [], W3: [], W4: [], W8: [], T1: [], T2: [] };
  for (let rep = 0; rep < REPS; rep++) {
    stepRuns.W1!.push(await batchSteps(batchBody(`${tag}-p1-${rep}`)));
    stepRuns.W2!.push(await syncSteps(maximalSyncBody(`${tag}-p-${rep}`)));
    stepRuns.W3!.push(await syncSteps(maximalSyncBody(`${tag}-ref`)));
    stepRuns.W4!.push(await syncSteps(changedSyncBody(`${tag}-p-${rep}`)));
    const w8 = await w8Setup(`${tag}-p8-${rep}`);
    stepRuns.W8!.push(await syncSteps(w8, `${tag}-p8-${rep}`));
    stepRuns.T1!.push(await syncSteps(typicalSyncBody(`${tag}-pt-${rep}`, 950_000 + rep)));
    stepRuns.T2!.push(await syncSteps(typicalSyncBody(`${tag}-pt-${rep}`, 950_000 + rep, "Cliente típico (renombrado)")));
  }
  for (const [id, runs] of Object.entries(stepRuns)) {
    steps[id] = medianSteps(runs);
    progress(`cost ${id} steps (median ms): ${Object.entries(steps[id]!).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }

  // The floor, paired with W2: each run times one W2 request in-process, then the floor batch, so
  // that both see the same load on the machine.
  const floorMs: number[] = [];
  const pairedW2Ms: number[] = [];
  const honestW2: FloorTiming = { reps: [], p50: 0, min: 0, statements: honestStatements(w2Honest).length, rows: countRows(w2Honest), bytes: rowBytes(w2Honest), rowsRead: 0, rowsWritten: 0 };
  let floorMeta: { rowsRead: number; rowsWritten: number } = { rowsRead: 0, rowsWritten: 0 };
  for (let rep = 0; rep < FLOOR_REPS; rep++) {
    pairedW2Ms.push((await send("POST", "/clients/sync", maximalSyncBody(`${tag}-pair-${rep}`))).ms);
    const statements = floorStatements(rekey(w2Rows, `-floor${rep}`));
    const start = performance.now();
    const answers = await db.batch(statements);
    floorMs.push(performance.now() - start);
    floorMeta = {
      rowsRead: answers.reduce((n, a) => n + (a.meta.rows_read ?? 0), 0),
      rowsWritten: answers.reduce((n, a) => n + (a.meta.rows_written ?? 0), 0),
    };
    // The honest floor, right after (same load): every row W2 wrote.
    const honest = await timeFloor(honestStatements(rekeyAll(w2Honest, `-honest${rep}`)));
    honestW2.reps.push(honest.ms);
    honestW2.rowsRead = honest.rowsRead;
    honestW2.rowsWritten = honest.rowsWritten;
  }
  // W1's own floor: the 250 clients of a W1 request, read back and inserted again under new ids and
  // externalIds by one json_each INSERT, each run paired with a W1 request in-process.
  const w1Rows = (await db.prepare("SELECT * FROM clients WHERE tenant_id = ? AND external_id LIKE ? ORDER BY id").bind(BENCH_TENANT, `${tag}-w1-0-%`).all()).results;
  const w1Floor = { reps: [] as number[], pairedW1: [] as number[], rows: w1Rows.length, p50: 0, pairedW1P50: 0 };
  const w1Honest = await writtenRows(w1Rows.map((r) => r.id as string));
  const honestW1: FloorTiming = { reps: [], p50: 0, min: 0, statements: honestStatements(w1Honest).length, rows: countRows(w1Honest), bytes: rowBytes(w1Honest), rowsRead: 0, rowsWritten: 0 };
  for (let rep = 0; rep < FLOOR_REPS; rep++) {
    w1Floor.pairedW1.push((await send("POST", "/clients/batch", batchBody(`${tag}-w1pair-${rep}`))).ms);
    const rows = w1Rows.map((row) => ({ ...row, id: newId(), external_id: `${row.external_id}-floor${rep}` }));
    const columns = Object.keys(rows[0]!);
    const insert = db.prepare(`INSERT INTO clients (${columns.join(", ")}) SELECT ${columns.map((c) => `j.value ->> '${c}'`).join(", ")} FROM json_each(?) AS j`).bind(JSON.stringify(rows));
    const start = performance.now();
    await db.batch([insert]);
    w1Floor.reps.push(performance.now() - start);
    const honest = await timeFloor(honestStatements(rekeyAll(w1Honest, `-honest${rep}`)));
    honestW1.reps.push(honest.ms);
    honestW1.rowsRead = honest.rowsRead;
    honestW1.rowsWritten = honest.rowsWritten;
  }
  for (const f of [honestW1, honestW2]) {
    f.p50 = median(f.reps);
    f.min = Math.min(...f.reps);
  }
  progress(`cost honest floors: W1 ${honestW1.p50} ms (${JSON.stringify(honestW1.rows)}), W2 ${honestW2.p50} ms (${JSON.stringify(honestW2.rows)})`);
  w1Floor.p50 = median(w1Floor.reps);
  w1Floor.pairedW1P50 = median(w1Floor.pairedW1);
  progress(`cost W1 floor (${w1Rows.length} clients): ${w1Floor.reps.join(", ")} ms (median ${w1Floor.p50}); W1 alongside: median ${w1Floor.pairedW1P50}`);
  progress(`cost floor: ${floorMs.join(", ")} ms (median ${median(floorMs)}); W2 in-process alongside: ${pairedW2Ms.join(", ")} ms (median ${median(pairedW2Ms)})`);

  // At the edge (`--rtt`): every workload again, with each D1 round trip delayed by each rtt.
  const rtt = RTT_LEVELS.length === 0 ? null : await rttSweep(tag, referenceId);

  // The same W2 graph rows, counted.
  const rowCounts = Object.fromEntries(GRAPH_TABLES.map((t) => [t, w2Rows[t].length]));
  console.log(
    MARKER +
      JSON.stringify({
        clients: N,
        tenant: BENCH_TENANT,
        populate: { ms: populateMs, counts },
        workloads: results,
        syncSteps: steps,
        w1Floor,
        honestFloor: { W1: honestW1, W2: honestW2 },
        typical,
        extras,
        rtt,
        floor: { reps: floorMs, p50: median(floorMs), min: Math.min(...floorMs), pairedW2: { reps: pairedW2Ms, p50: median(pairedW2Ms), min: Math.min(...pairedW2Ms) }, statements: GRAPH_TABLES.length, roundTrips: 1, rows: rowCounts, ...floorMeta },
        loggedErrors: logged,
      }),
  );
  expect(logged).toEqual([]);
});
