// `npm run bench:storage [-- --clients 20000] [--typical 200] [--maximal 3] [--keep-state]`
//
// Storage per client graph, measured on a local D1 (the SQLite file miniflare keeps for DB_TEST), for
// docs/SCALING.md:
//   1. migrations applied to a fresh state directory; the file's pages counted per table and index
//      (SQLite's dbstat virtual table, read with node:sqlite after wrangler has closed the file);
//   2. --clients populated clients (bench/lib/populate.ts: the bench's typical graph, written in SQL);
//   3. --typical clients written through the API (wrangler dev, POST /clients/sync): a typical graph
//      (the README's client, 2 addresses, 2 contact methods, 1 bank account, 1 document, 1 linked
//      new client), then one typical update of each (a changed city and label);
//   4. --maximal maximal graphs through the API (bench/lib/workloads.ts's maximal sync body: 1 + 250
//      clients, 250 of each child).
// After every step: bytes (page_count × page_size, and per table/index) and the difference per
// client; then --typical/2 DELETEs. The history entries (API.md §11) each step appended are measured
// in the file too: the bytes of client_history and its indexes, per entry of each kind (a typical
// create, its linked client's, a typical update, a delete, a maximal create's 251). Prints a report
// and writes bench/results/storage.json.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { displayPrefix, generateKey, hashKey } from "../src/http/keys.ts";
import { projectRoot, wranglerCapture } from "../scripts/lib/wrangler.ts";
import { writeLiftedConfig } from "./lib/lifted-config.ts";
import { apiKeyStatement, populatedCounts, populateStatements } from "./lib/populate.ts";
import { clabe, maximalSyncBody } from "./lib/workloads.ts";

const { values: opts } = parseArgs({
  options: {
    clients: { type: "string" },
    typical: { type: "string" },
    maximal: { type: "string" },
    "keep-state": { type: "boolean" },
  },
  strict: true,
});
const N = Number(opts.clients ?? 20_000);
const TYPICAL = Number(opts.typical ?? 200);
const MAXIMAL = Number(opts.maximal ?? 3);
for (const [name, v] of [["clients", N], ["typical", TYPICAL], ["maximal", MAXIMAL]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
}

const require = createRequire(import.meta.url);
const wranglerBin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const stateDir = join(projectRoot, "bench", ".state", "storage");
const progress = (line: string) => process.stderr.write(`[storage] ${line}\n`);

async function wrangler(args: string[]): Promise<string> {
  const r = await wranglerCapture(args);
  if (r.code !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// -------------------------------------------------------------------------------------------------
// Measuring the file
// -------------------------------------------------------------------------------------------------

/** The SQLite file of DB_TEST under the state directory (miniflare names it by a hash). */
function sqliteFile(): string {
  const dir = join(stateDir, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`expected one .sqlite file in ${dir}, found ${files.join(", ")}`);
  return join(dir, files[0]!);
}

interface Snapshot {
  /** page_count × page_size: what the file holds (what D1 bills and limits). */
  bytes: number;
  pageSize: number;
  freelistPages: number;
  /** Bytes per table or index (dbstat: pages × page size). */
  byName: Record<string, number>;
  /** Rows per table. */
  rows: Record<string, number>;
}

/** The file is briefly locked while the stopped wrangler dev's workerd exits: wait for it. */
async function snapshot(): Promise<Snapshot> {
  for (let attempt = 0; ; attempt++) {
    try {
      return snapshotNow();
    } catch (error) {
      if (attempt >= 60 || !/locked|busy/i.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function snapshotNow(): Snapshot {
  const db = new DatabaseSync(sqliteFile(), { readOnly: true });
  try {
    const one = (sql: string) => Object.values(db.prepare(sql).get() as object)[0] as number;
    const pageSize = one("PRAGMA page_size");
    const pageCount = one("PRAGMA page_count");
    const byName: Record<string, number> = {};
    for (const row of db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all() as { name: string; bytes: number }[]) {
      byName[row.name] = row.bytes;
    }
    const rows: Record<string, number> = {};
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all() as { name: string }[];
    for (const { name } of tables) rows[name] = one(`SELECT count(*) FROM "${name}"`);
    return { bytes: pageCount * pageSize, pageSize, freelistPages: one("PRAGMA freelist_count"), byName, rows };
  } finally {
    db.close();
  }
}

function diff(after: Snapshot, before: Snapshot) {
  const names = new Set([...Object.keys(after.byName), ...Object.keys(before.byName)]);
  const byName: Record<string, number> = {};
  for (const n of names) {
    const d = (after.byName[n] ?? 0) - (before.byName[n] ?? 0);
    if (d !== 0) byName[n] = d;
  }
  const rows: Record<string, number> = {};
  for (const t of Object.keys(after.rows)) {
    const d = after.rows[t]! - (before.rows[t] ?? 0);
    if (d !== 0) rows[t] = d;
  }
  return { bytes: after.bytes - before.bytes, byName, rows };
}

// -------------------------------------------------------------------------------------------------
// wrangler dev
// -------------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const liftedConfig = writeLiftedConfig(projectRoot, "storage");
process.on("exit", () => rmSync(liftedConfig, { force: true }));

type Send = (body: unknown) => Promise<any>;
type Remove = (id: string) => Promise<void>;

async function withWranglerDev<T>(key: string, work: (send: Send, remove: Remove) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [wranglerBin, "dev", "--config", liftedConfig, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", stateDir, "--show-interactive-dev-session=false", "--log-level", "warn"],
    {
      cwd: projectRoot,
      env: { WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: stopping it stops workerd too
    },
  );
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-10_000)));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-10_000)));
  const base = `http://127.0.0.1:${port}`;
  const headers = { "x-environment": "test", authorization: `Bearer ${key}` };
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
      try {
        const res = await fetch(`${base}/clients?limit=1`, { headers });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`wrangler dev not ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const send: Send = async (body) => {
      const res = await fetch(`${base}/clients/sync`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /clients/sync answered ${res.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text);
    };
    const remove: Remove = async (id) => {
      const res = await fetch(`${base}/clients/${id}`, { method: "DELETE", headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`DELETE /clients/${id} answered ${res.status}: ${text.slice(0, 500)}`);
    };
    return await work(send, remove);
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      process.kill(-child.pid!, "SIGTERM");
      setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // gone
        }
      }, 5000).unref();
    });
  }
}

// -------------------------------------------------------------------------------------------------
// The typical graph, and history entries built from the answers (API.md §11)
// -------------------------------------------------------------------------------------------------

/** The README's client, with a typical set of children and one linked new client. */
function typicalSyncBody(i: number) {
  return {
    client: {
      type: "individual", name: "Ana", lastName: "García", birthDate: "1990-04-12", nationalities: ["MX"], scopes: ["base", "MX"],
      externalId: `crm-${i}`, scopeData: { MX: { rfc: "GAAA900412AB1" } },
    },
    addresses: [
      { type: "home", isPrimary: true, street: "Av. Reforma 222", city: "Ciudad de México", state: "CDMX", postalCode: "06600", country: "MX", externalId: `crm-${i}-addr-1` },
      { type: "business", street: "Insurgentes Sur 1602", city: "Ciudad de México", state: "CDMX", postalCode: "03940", country: "MX", externalId: `crm-${i}-addr-2` },
    ],
    contactMethods: [
      { type: "email", value: `ana${i}@example.com`, isPrimary: true, externalId: `crm-${i}-email` },
      { type: "mobile", value: "+52 55 1234 5678", isPrimary: true, externalId: `crm-${i}-mobile` },
    ],
    bankAccounts: [
      { accountNumber: `0123456789${i}`, bankName: "BBVA México", country: "MX", currency: "MXN", type: "checking", isPrimary: true, clabe: clabe("012", "180", 1000 + i), externalId: `crm-${i}-bank` },
    ],
    documents: [
      { type: "ine", category: "identity", expiresAt: "2031-12-31", fields: { number: `IDMEX${i}` }, filename: "ine.pdf", contentType: "application/pdf", size: 245_000, externalId: `crm-${i}-ine` },
    ],
    linkedClients: [{ child: { type: "company", name: "Hexa Logística SA de CV", externalId: `crm-${i}-co` }, relationshipType: "legal_representative" }],
  };
}

/** The typical update: the client moves (city of one address) and relabels a contact. */
function typicalUpdateBody(clientId: string, i: number) {
  return {
    clientId,
    client: { name: "Ana María" },
    addresses: [{ externalId: `crm-${i}-addr-1`, city: "Guadalajara", state: "JAL", postalCode: "44100" }],
  };
}

// -------------------------------------------------------------------------------------------------
// Run
// -------------------------------------------------------------------------------------------------

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const TEN_GB = 10 * 1000 ** 3; // D1's maximum database size (decimal GB; 10 GiB would be 7% more)

async function main() {
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const persist = ["--local", "--persist-to", stateDir];
  progress("migrations…");
  await wrangler(["d1", "migrations", "apply", "DB_TEST_0", ...persist]);
  const key = generateKey("test");
  writeFileSync(join(stateDir, "key.sql"), apiKeyStatement(await hashKey(key), displayPrefix(key)) + ";\n");
  await wrangler(["d1", "execute", "DB_TEST_0", ...persist, "--file", join(stateDir, "key.sql")]);
  const empty = await snapshot();

  progress(`populating ${fmt(N)} clients…`);
  writeFileSync(join(stateDir, "populate.sql"), populateStatements(N).join(";\n") + ";\n");
  await wrangler(["d1", "execute", "DB_TEST_0", ...persist, "--file", join(stateDir, "populate.sql")]);
  const populated = await snapshot();
  const expected = populatedCounts(N);
  for (const [t, n] of Object.entries(expected)) if (populated.rows[t] !== n) throw new Error(`populated ${t}: ${populated.rows[t]}, expected ${n}`);

  progress(`${TYPICAL} typical graphs through the API, then one update of each, then ${Math.floor(TYPICAL / 2)} deletes…`);
  const answers: any[] = [];
  await withWranglerDev(key, async (send) => {
    for (let i = 0; i < TYPICAL; i++) {
      const answer = await send(typicalSyncBody(i));
      if (answer.action !== "created") throw new Error(`typical ${i}: ${answer.action}`);
      answers.push(answer);
    }
  });
  const typicalDone = await snapshot();
  await withWranglerDev(key, async (send) => {
    for (let i = 0; i < TYPICAL; i++) {
      const answer = await send(typicalUpdateBody(answers[i].client.id, i));
      if (answer.action !== "updated" || answer.addresses.updated.length !== 1) throw new Error(`typical update ${i}: ${answer.action}`);
    }
  });
  const updated = await snapshot();
  const DELETES = Math.floor(TYPICAL / 2);
  await withWranglerDev(key, async (_send, remove) => {
    for (let i = 0; i < DELETES; i++) await remove(answers[i].client.id);
  });
  const deleted = await snapshot();

  progress(`${MAXIMAL} maximal graphs through the API…`);
  await withWranglerDev(key, async (send) => {
    for (let m = 0; m < MAXIMAL; m++) {
      const answer = await send(maximalSyncBody(`max-${m}`));
      if (answer.action !== "created" || answer.linkedClients.created.length !== 250) throw new Error(`maximal ${m}: ${answer.action}`);
    }
  });
  const maximal = await snapshot();

  const populatedDiff = diff(populated, empty);
  const typicalDiff = diff(typicalDone, populated);
  const updateDiff = diff(updated, typicalDone);
  const deleteDiff = diff(deleted, updated);
  const maximalDiff = diff(maximal, deleted);
  /** Bytes of the history table and its indexes that a step added, per entry it appended. */
  const perEntry = (d: ReturnType<typeof diff>, entries: number) =>
    Object.entries(d.byName)
      .filter(([n]) => n.includes("client_history"))
      .reduce((sum, [, b]) => sum + b, 0) / entries;
  const result = {
    measuredAt: new Date().toISOString(),
    pageSize: empty.pageSize,
    emptyBytes: empty.bytes,
    populated: { clients: N, ...populatedDiff, perClient: populatedDiff.bytes / N },
    typicalApi: { graphs: TYPICAL, clientsPerGraph: 2, ...typicalDiff, perGraph: typicalDiff.bytes / TYPICAL },
    typicalUpdate: { updates: TYPICAL, ...updateDiff, perUpdate: updateDiff.bytes / TYPICAL },
    typicalDelete: { deletes: DELETES, ...deleteDiff, perDelete: deleteDiff.bytes / DELETES },
    maximalApi: { graphs: MAXIMAL, clientsPerGraph: 251, ...maximalDiff, perGraph: maximalDiff.bytes / MAXIMAL },
    // Entries per step: a typical create appends 2 (the client, its new linked company), an update
    // 1, a delete 1 (the company is the client's linked child: it does not change), a maximal create 251.
    history: {
      bytesPerTypicalCreate: perEntry(typicalDiff, TYPICAL), // 2 entries
      bytesPerTypicalUpdate: perEntry(updateDiff, TYPICAL),
      bytesPerTypicalDelete: perEntry(deleteDiff, DELETES),
      bytesPerMaximalCreate: perEntry(maximalDiff, MAXIMAL), // 251 entries
      rows: { create: typicalDiff.rows.client_history, update: updateDiff.rows.client_history, delete: deleteDiff.rows.client_history, maximal: maximalDiff.rows.client_history },
    },
    finalBytes: maximal.bytes,
    freelistPages: maximal.freelistPages,
  };
  mkdirSync(join(projectRoot, "bench", "results"), { recursive: true });
  writeFileSync(join(projectRoot, "bench", "results", "storage.json"), JSON.stringify(result, null, 2) + "\n");

  const line = (label: string, bytes: number, per: number, unit: string) =>
    console.log(`${label.padEnd(44)} ${fmt(bytes).padStart(13)} B   ${fmt(per).padStart(9)} B/${unit}   ${fmt(TEN_GB / per).padStart(13)} per 10 GB`);
  console.log(`page size ${empty.pageSize} B; empty database (schema + key) ${fmt(empty.bytes)} B`);
  line(`${fmt(N)} populated clients (bench graph)`, populatedDiff.bytes, result.populated.perClient, "client");
  line(`${TYPICAL} typical graphs via API (2 clients each)`, typicalDiff.bytes, result.typicalApi.perGraph, "graph");
  line(`${TYPICAL} typical updates via API`, updateDiff.bytes, result.typicalUpdate.perUpdate, "update");
  line(`${DELETES} typical deletes via API`, deleteDiff.bytes, result.typicalDelete.perDelete, "delete");
  line(`${MAXIMAL} maximal graphs via API (251 clients)`, maximalDiff.bytes, result.maximalApi.perGraph, "graph");
  console.log("per table/index, populated (B/client):");
  for (const [n, b] of Object.entries(populatedDiff.byName).sort((a, b) => b[1] - a[1])) console.log(`  ${n.padEnd(40)} ${fmt(b / N).padStart(8)}`);
  console.log("per table/index, typical via API (B/graph):");
  for (const [n, b] of Object.entries(typicalDiff.byName).sort((a, b) => b[1] - a[1])) console.log(`  ${n.padEnd(40)} ${fmt(b / TYPICAL).padStart(8)}`);
  console.log("per table/index, maximal via API (B/graph):");
  for (const [n, b] of Object.entries(maximalDiff.byName).sort((a, b) => b[1] - a[1])) console.log(`  ${n.padEnd(40)} ${fmt(b / MAXIMAL).padStart(10)}`);
  console.log(`rows: populated ${JSON.stringify(populatedDiff.rows)}; typical ${JSON.stringify(typicalDiff.rows)}; update ${JSON.stringify(updateDiff.rows)}; delete ${JSON.stringify(deleteDiff.rows)}; maximal ${JSON.stringify(maximalDiff.rows)}`);
  const h = result.history;
  console.log(
    `history (client_history and its indexes, measured): typical create ${fmt(h.bytesPerTypicalCreate)} B (2 entries), typical update ${fmt(h.bytesPerTypicalUpdate)} B, ` +
      `typical delete ${fmt(h.bytesPerTypicalDelete)} B, maximal create ${fmt(h.bytesPerMaximalCreate)} B (251 entries); rows ${JSON.stringify(h.rows)}`,
  );
  console.log(`final file ${fmt(maximal.bytes)} B, ${maximal.freelistPages} free pages; results in bench/results/storage.json`);
  if (!opts["keep-state"]) rmSync(stateDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
