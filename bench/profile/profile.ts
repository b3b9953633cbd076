// The Node profile of the Worker's own code (issue 25), bundled and run by bench/profile/run.ts:
// the real app (createApp, every route, schema, planner and history module of src/) in Node's V8,
// on a D1 stand-in over node:sqlite (d1-sqlite.ts) populated with the bench's database
// (bench/lib/populate.ts), sent the bench's requests (bench/lib/workloads.ts). Node and workerd are
// both V8, so the JavaScript profiled is the Worker's; the SQL runs in-process (synchronously) and
// shows up as its own group.
//
//   cpu:    the V8 sampling profiler (node:inspector) around each workload set: self time per function
//           and per source module (the bundle's `// src/…` markers map lines back to files).
//   memory: the heap after a full GC at every D1 round trip and at the end of each request, over the
//           heap before it: the live bytes a request holds at those moments (W2 and W8 in one isolate).
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { displayPrefix, generateKey, hashKey } from "../../src/http/keys";
import { apiKeyStatement, populateStatements } from "../lib/populate";
import { batchBody, maximalSyncBody, typicalLookupBody, typicalSyncBody, w8Body, w8StoredBody } from "../lib/workloads";
import { sqliteD1 } from "./d1-sqlite";

// workerd has Uint8Array.prototype.toBase64 (the history seal uses it); Node 22 does not yet.
if (!("toBase64" in Uint8Array.prototype)) {
  Object.defineProperty(Uint8Array.prototype, "toBase64", {
    value(this: Uint8Array) {
      return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString("base64");
    },
  });
}

const [mode = "cpu", root = ".", bundlePath = "", outPath = "", clientsArg = "10000", scaleArg = "1"] = process.argv.slice(2);
const N = Number(clientsArg);
const SCALE = Number(scaleArg);
const gc = (globalThis as { gc?: () => void }).gc;

let sampling = false;
let baseline = 0;
let peak = 0;
const sample = () => {
  if (!sampling || !gc) return;
  gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
};

const sqlite = new DatabaseSync(":memory:");
const d1 = sqliteD1(sqlite, sample);
for (const file of readdirSync(join(root, "migrations")).filter((f) => f.endsWith(".sql")).sort()) sqlite.exec(readFileSync(join(root, "migrations", file), "utf8"));
for (const sql of populateStatements(N)) sqlite.exec(sql);
const key = generateKey("test");
sqlite.exec(apiKeyStatement(await hashKey(key), displayPrefix(key)));

const errors: unknown[] = [];
const app = createApp({ logError: (message, details) => errors.push({ message, details }) });
const lockStub = { acquire: async () => "token", release: async () => {} };
const env = {
  // One shard per environment (src/env.ts databaseOf): the bench key is a shard-0 key.
  DB_TEST_0: d1,
  DB_LIVE_0: d1,
  RATE_LIMIT_READS: { limit: async () => ({ success: true }) },
  RATE_LIMIT_WRITES: { limit: async () => ({ success: true }) },
  EVENTS_QUEUE: { send: async () => {}, sendBatch: async () => {} },
  CLIENT_WRITE_LOCKS: { idFromName: (n: string) => n, get: () => lockStub },
} as never;

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ ms: number; body: any }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const request = new Request(`http://localhost${path}`, {
    method,
    headers: { "x-environment": "test", authorization: `Bearer ${key}`, ...(text ? { "content-type": "application/json" } : {}), ...headers },
    body: text,
  });
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => pending.push(p), passThroughOnException: () => {}, props: {} } as never;
  const start = performance.now();
  const response = await app.fetch(request, env, ctx);
  const answer = await response.text();
  const ms = performance.now() - start;
  await Promise.all(pending);
  if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${answer.slice(0, 500)}`);
  return { ms, body: JSON.parse(answer) };
}

const tag = `p${Date.now().toString(36)}`;
const reference = await send("POST", "/clients/sync", maximalSyncBody(`${tag}-ref`));
const refId = reference.body.client.id as string;
const typicalId = (await send("POST", "/clients/sync", typicalSyncBody(`${tag}-t4`, 799_999))).body.client.id as string;
const reps = (n: number) => Math.max(1, Math.round(n * SCALE));

/** The workload sets: each a list of requests run in turn (fresh clients where they create). */
const sets: Record<string, (rep: number) => Promise<unknown>> = {
  W1: (rep) => send("POST", "/clients/batch", batchBody(`${tag}-w1-${rep}`)),
  W2: (rep) => send("POST", "/clients/sync", maximalSyncBody(`${tag}-w2-${rep}`)),
  W3: () => send("POST", "/clients/sync", maximalSyncBody(`${tag}-ref`)),
  W5: () => send("GET", `/clients/${refId}`),
  // T4 alone: GETs of one typical client (what its fixed costs are made of).
  T4: () => send("GET", `/clients/${typicalId}`),
  typical: async (rep) => {
    const ext = `${tag}-t-${rep}`;
    const made = await send("POST", "/clients/sync", typicalSyncBody(ext, 800_000 + rep));
    const renamed = typicalSyncBody(ext, 800_000 + rep, "Renombrado");
    await send("POST", "/clients/sync", renamed);
    await send("POST", "/clients/sync", renamed);
    await send("GET", `/clients/${made.body.client.id}`);
    await send("GET", "/clients?limit=20");
    await send("POST", "/clients/lookup", typicalLookupBody(ext, 800_000 + rep));
  },
};
const counts: Record<string, number> = { W1: reps(10), W2: reps(6), W3: reps(6), W5: reps(10), T4: reps(2000), typical: reps(60), W8: reps(2) };

async function w8(rep: number) {
  const ext = `${tag}-w8-${rep}`;
  const made = await send("POST", "/clients/sync", w8StoredBody(ext));
  const c = made.body.client;
  const body = w8Body(ext, { addresses: c.addresses, contactMethods: c.contactMethods, bankAccounts: c.bankAccounts, documents: c.documents });
  return { body, run: () => send("POST", "/clients/sync", body, { "idempotency-key": `${ext}-k` }) };
}

// Source module of each line of the bundle (esbuild writes `// src/….ts` before each module).
const modules: string[] = [];
if (bundlePath) {
  let current = "(bundle)";
  for (const line of readFileSync(bundlePath, "utf8").split("\n")) {
    const m = /^\/\/ ((?:src|bench|node_modules)\/\S+)$/.exec(line);
    if (m) current = m[1]!.replace(/^node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*/, "node_modules/$1");
    modules.push(current);
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function summarize(profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)!;
    const inBundle = bundlePath !== "" && callFrame.url.endsWith(bundlePath.split("/").pop()!);
    const mod = inBundle ? (modules[callFrame.lineNumber] ?? "(bundle)") : callFrame.url === "" ? `(${callFrame.functionName || "native"})` : callFrame.url.startsWith("node:") ? callFrame.url : "(other)";
    const fn = `${callFrame.functionName || "(anonymous)"} — ${mod}${inBundle ? "" : ""}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    mods.set(mod, (mods.get(mod) ?? 0) + us);
    total += us;
  }
  const groups = new Map<string, number>();
  for (const [mod, us] of mods) groups.set(groupOf(mod), (groups.get(groupOf(mod)) ?? 0) + us);
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / total) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), groups: top(groups, 20), functions: top(fns, 25), modules: top(mods, 40) };
}

/** The group a module's self time counts in (what the time is spent on). */
function groupOf(mod: string): string {
  if (/^\((run|all|columns|get|iterate)\)$|d1-sqlite|node:sqlite/.test(mod)) return "SQL (node:sqlite, standing in for D1)";
  if (/node:inspector|bench\/profile\/profile|bench\/lib\//.test(mod)) return "harness (requests built and read, profiler)";
  if (mod === "((garbage collector))") return "runtime: garbage collection";
  if (mod === "((idle))") return "runtime: idle (Node's zlib and hashing on its thread pool)";
  if (/^src\/history\/|^src\/encoding\.ts/.test(mod)) return "history: canonical JSON, SHA-256, packing, drafts";
  if (/^src\/schemas\/|node_modules\/zod|^src\/validators\//.test(mod)) return "validation: fast path, zod, identifiers";
  if (/^src\/sync\//.test(mod)) return "planner (src/sync)";
  if (/node_modules\/drizzle-orm|^src\/db\//.test(mod)) return "SQL building, parameters, row mapping (drizzle, src/db)";
  if (/^src\/write\/|^src\/batch\//.test(mod)) return "write path and answers (src/write, src/batch)";
  if (/^src\/lookup\//.test(mod)) return "lookup keys (src/lookup)";
  if (/^src\/(http|routes)\/|node_modules\/itty-router|^src\/app\.ts/.test(mod)) return "HTTP: body, auth, router, routes";
  if (/^src\//.test(mod)) return "other src/";
  return "runtime: encoding, streams, Request/Response, builtins";
}

const out: Record<string, unknown> = { mode, clients: N, node: process.version };
if (mode === "cpu") {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  for (const [name, run] of Object.entries(sets)) {
    await run(-1); // warm-up
    await session.post("Profiler.start");
    const start = performance.now();
    for (let rep = 0; rep < counts[name]!; rep++) await run(rep);
    const wall = performance.now() - start;
    const { profile } = await session.post("Profiler.stop");
    out[name] = { requests: counts[name], wallMs: Math.round(wall), perRequestMs: Math.round((wall / counts[name]!) * 10) / 10, ...summarize(profile as never) };
    console.error(`profile ${name}: ${counts[name]} × ${(wall / counts[name]!).toFixed(1)} ms`);
  }
  const w8runs = [];
  for (let rep = 0; rep < counts.W8!; rep++) w8runs.push(await w8(rep));
  await session.post("Profiler.start");
  const start = performance.now();
  for (const r of w8runs) await r.run();
  const wall = performance.now() - start;
  const { profile } = await session.post("Profiler.stop");
  out.W8 = { requests: counts.W8, wallMs: Math.round(wall), perRequestMs: Math.round((wall / counts.W8!) * 10) / 10, ...summarize(profile as never) };
} else {
  if (!gc) throw new Error("memory mode needs --expose-gc");
  const measure = async (name: string, run: () => Promise<unknown>) => {
    gc();
    baseline = process.memoryUsage().heapUsed;
    peak = 0;
    sampling = true;
    await run();
    sample();
    sampling = false;
    const result = { peakLiveMiB: Math.round((peak / 1024 / 1024) * 10) / 10, heapBeforeMiB: Math.round((baseline / 1024 / 1024) * 10) / 10 };
    console.error(`memory ${name}: ${JSON.stringify(result)}`);
    return result;
  };
  await sets.W2!(-1);
  out.W2 = await measure("W2", () => sets.W2!(0));
  const r = await w8(0);
  out.W8 = await measure("W8", r.run);
  out.typicalCreate = await measure("T1", () => send("POST", "/clients/sync", typicalSyncBody(`${tag}-mem`, 700_000)));
}
out.loggedErrors = errors;
if (outPath) writeFileSync(outPath, JSON.stringify(out, null, 2));
else console.log(JSON.stringify(out, null, 2));
