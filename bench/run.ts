// `npm run bench [-- --clients 100000] [--scale 0.5] [--skip-http] [--skip-cost] [--rtt 0,20,80] …]` (`-- --help` lists them all)
//
// The benchmark of the Worker, on this machine, all on loopback:
//   1. the deployable bundle (`wrangler deploy --dry-run`) and its gzip size;
//   2. HTTP: a dedicated local D1 (bench/.state/n<N>, migrations applied, N clients populated in SQL,
//      a bench API key) served by `wrangler dev` on 127.0.0.1; workloads W1–W8 timed at
//      concurrency 1 and 8 (p50/p95/p99, throughput);
//   3. cost: the same requests in the Workers runtime (vitest, bench/cost.bench-config.ts) against
//      a database populated the same way, with D1 recorded per request by the test suite's D1 guard
//      (test/support/d1-guard.ts, limits recorded, not enforced: statements, round trips,
//      rows read and written from D1's meta, query plans), the floor of W2 (its rows inserted
//      straight through the binding, one json_each INSERT per table) and W1's (its 250 clients, one
//      INSERT), the honest floors (every row the request wrote: graph, history, lookup keys, outbox),
//      the typical requests T1–T8 (T7, T8: lookup of 100 identifiers, name search) with a bare point read beside the GET, the steps of a sync, and
//      per request the Worker's own time (in-process minus D1 waits) and the rate limiters' waits;
//   3c. memory: the peak live heap of W2, W8 and T1 in one V8 isolate (bench/profile, Node);
//   3b. with --rtt: the cost runner sends every workload again with each D1 round trip delayed by
//      each given round-trip time (src/db/round-trip-delay.ts, under the guard) and times it in-process;
//   4. a table on stdout, and the targets as ✓/✗ lines; the same figures in bench/results/latest.json
//      (and n<N>.json, which the next run at another N is compared with); with --plot, latest.svg.
//      See docs/PERFORMANCE.md.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { basename, dirname, join } from "node:path";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { displayPrefix, generateKey, hashKey } from "../src/http/keys.ts";
import { projectRoot, wranglerCapture } from "../scripts/lib/wrangler.ts";
import { apiKeyStatement, populatedCounts, populatedId, populateStatements, smallClientIndex } from "./lib/populate.ts";
import { markdown, rttRows, type RttResult } from "./lib/rtt-table.ts";
import { fmt, summarize, table, type LatencySummary } from "./lib/stats.ts";
import { batchBody, changedSyncBody, maximalSyncBody, TYPICAL, w8Body, W8_EXPECTED, w8StoredBody, WORKLOADS, type TypicalId, type WorkloadId } from "./lib/workloads.ts";
import { plotInputOf, plotSvg } from "./lib/plot.ts";
import { ISOLATE_LIMIT_MB, memoryLine, profilePasses } from "./profile/run.ts";

const benchDir = join(projectRoot, "bench");
const resultsDir = join(benchDir, "results");
const require = createRequire(import.meta.url);
const wranglerBin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const vitestBin = join(dirname(require.resolve("vitest/package.json")), "vitest.mjs");

const USAGE = `Usage: npm run bench [-- options]

  --clients <n>    clients populated in the database (default 10000)
  --scale <x>      multiplies the number of timed requests of every workload (default 1)
  --port <n>       port of wrangler dev on 127.0.0.1 (default: a free one)
  --skip-http      only the cost runner (statements, rows, floor) and the bundle
  --skip-cost      only the HTTP latencies and the bundle
  --keep-state     keep wrangler dev's database (bench/.state/n<N>) after the run
  --out <file>     where to write the JSON (default bench/results/latest.json)
  --skip-memory    leave out the memory pass (the peak heap of W2 and W8, bench/profile: ~15 s)
  --plot           also draw the run as an SVG next to the JSON (<out>.svg; no network needed)
  --cost-from <f>  take the cost part's figures from a file the cost runner wrote (BENCH_COST_OUT)
                   instead of running it (to redraw or re-evaluate a run)
  --rtt <ms>[,<ms>…]  also time every workload in-process with that delay added to each D1 round trip
                   (0 is always measured too; "edge" = 0,20,80). Needs the cost part. Quick:
                   BENCH_COST_REPS=5 npm run bench -- --skip-http --clients 1000 --rtt edge`;

// -------------------------------------------------------------------------------------------------
// Options
// -------------------------------------------------------------------------------------------------

const { values: opts } = (() => { try { return parseArgs({
  options: {
    clients: { type: "string" },
    scale: { type: "string" },
    port: { type: "string" },
    "skip-http": { type: "boolean" },
    "skip-cost": { type: "boolean" },
    "keep-state": { type: "boolean" },
    out: { type: "string" },
    rtt: { type: "string" },
    plot: { type: "boolean" },
    "skip-memory": { type: "boolean" },
    "cost-from": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
}); } catch (error) {
  console.error(`npm run bench: ${(error as Error).message}. Check it against the options below, then run it again.\n\n${USAGE}`);
  process.exit(2);
} })();
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
function fail(message: string): never {
  console.error(`npm run bench: ${message}. Fix that option and run it again (npm run bench -- --help lists every option).`);
  process.exit(2);
}
const N = opts.clients === undefined ? 10_000 : Number(opts.clients);
if (!Number.isInteger(N) || N < 100 || N > 10_000_000) fail("--clients must be an integer from 100 to 10,000,000");
const SCALE = opts.scale === undefined ? 1 : Number(opts.scale);
if (!(SCALE > 0 && SCALE <= 100)) fail("--scale must be a number above 0 and at most 100 (e.g. --scale 0.5)");
const fixedPort = opts.port === undefined ? undefined : Number(opts.port);
if (fixedPort !== undefined && !(Number.isInteger(fixedPort) && fixedPort > 0 && fixedPort < 65536)) fail("--port must be a port number from 1 to 65535 (or leave it out for a free one)");
const outFile = opts.out ?? join(resultsDir, "latest.json");
/** Round-trip times of --rtt (ms), 0 first; empty without it. */
const RTT_LEVELS: number[] = (() => {
  if (opts.rtt === undefined) return [];
  const given = opts.rtt === "edge" ? [0, 20, 80] : opts.rtt.split(",").map(Number);
  if (!given.every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 10_000)) fail('--rtt must be "edge" or milliseconds from 0 to 10000, comma-separated');
  return [...new Set([0, ...given])].sort((a, b) => a - b);
})();
if (RTT_LEVELS.length > 0 && opts["skip-cost"]) fail("--rtt is measured by the cost part: drop --skip-cost");

/** The same-client workload: concurrent syncs of one client, on this many fresh clients (times --scale). */
const SAME_CLIENT_WRITERS = 32;
const SAME_CLIENT_ROUNDS = Math.max(1, Math.round(5 * SCALE));

/** Timed requests per workload at concurrency 1 and 8 (times --scale), and untimed warm-ups. */
const BASE_COUNTS: Record<WorkloadId, { warmup: number; c1: number; c8: number }> = {
  W1: { warmup: 2, c1: 30, c8: 48 },
  W2: { warmup: 2, c1: 30, c8: 48 },
  W3: { warmup: 2, c1: 40, c8: 64 },
  W4: { warmup: 2, c1: 30, c8: 48 }, // one W2 client each: never more than W2's
  W5: { warmup: 3, c1: 80, c8: 128 },
  W6: { warmup: 5, c1: 200, c8: 320 },
  W7: { warmup: 5, c1: 200, c8: 320 },
  W8: { warmup: 1, c1: 5, c8: 8 }, // each over a fresh ~4.8 MiB client (setup untimed)
};
const COUNTS = Object.fromEntries(
  Object.entries(BASE_COUNTS).map(([id, c]) => [id, { warmup: c.warmup, c1: Math.max(3, Math.round(c.c1 * SCALE)), c8: Math.max(8, Math.round(c.c8 * SCALE)) }]),
) as typeof BASE_COUNTS;
const CONCURRENCY = [1, 8] as const;

// -------------------------------------------------------------------------------------------------
// Small helpers
// -------------------------------------------------------------------------------------------------

const runStart = Date.now();
const elapsed = () => `${((Date.now() - runStart) / 1000).toFixed(0).padStart(4)}s`;
const progress = (line: string) => process.stderr.write(`[bench ${elapsed()}] ${line}\n`);

function uptimeLine(): string {
  const result = spawnSync("uptime", { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : `load average: ${loadavg().map((l) => l.toFixed(2)).join(", ")}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function wrangler(args: string[], what: string): Promise<string> {
  const result = await wranglerCapture(args);
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.split("\n").filter((l) => l.trim() !== "").slice(-30).join("\n");
    throw new Error(`${what} failed (exit ${result.code}):\n${output}`);
  }
  return result.stdout;
}

// -------------------------------------------------------------------------------------------------
// Machine and bundle
// -------------------------------------------------------------------------------------------------

async function machineInfo() {
  const version = (await wranglerCapture(["--version"])).stdout.trim().split("\n").at(-1) ?? "?";
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    wrangler: version,
    uptimeAtStart: uptimeLine(),
  };
}

async function bundleSize() {
  const dir = mkdtempSync(join(tmpdir(), "bench-bundle-"));
  try {
    const stdout = await wrangler(["deploy", "--dry-run", "--outdir", dir], "wrangler deploy --dry-run");
    const files = readdirSync(dir).filter((f) => !f.endsWith(".map") && f !== "README.md");
    const sizes = files.map((f) => {
      const bytes = readFileSync(join(dir, f));
      return { file: f.replace(/^[0-9a-f]{40}-/, ""), bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
    });
    const wranglerLine = /Total Upload: ([^\n]+)/.exec(stdout)?.[1]?.trim() ?? null;
    return {
      files: sizes,
      bytes: sizes.reduce((n, s) => n + s.bytes, 0),
      gzipBytes: sizes.reduce((n, s) => n + s.gzipBytes, 0),
      wranglerReports: wranglerLine,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// -------------------------------------------------------------------------------------------------
// HTTP part: wrangler dev on a dedicated local D1
// -------------------------------------------------------------------------------------------------

interface Prepared {
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Returns an error message when the answer is not what the workload expects. */
  check?: (body: any) => string | null;
}

interface Measured {
  summary: LatencySummary;
  firstError: string | null;
  /** Bytes of the request body and of the (last) response body. */
  requestBytes: number;
  responseBytes: number;
}

async function prepareDatabase(stateDir: string) {
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const persist = ["--local", "--persist-to", stateDir];
  await wrangler(["d1", "migrations", "apply", "DB_TEST_0", ...persist], "wrangler d1 migrations apply");
  const key = generateKey("test");
  const file = join(stateDir, "populate.sql");
  writeFileSync(file, [...populateStatements(N), apiKeyStatement(await hashKey(key), displayPrefix(key))].join(";\n") + ";\n");
  const started = Date.now();
  await wrangler(["d1", "execute", "DB_TEST_0", ...persist, "--file", file], "wrangler d1 execute --file (populate)");
  const populateMs = Date.now() - started;
  const counted = JSON.parse(
    await wrangler(
      ["d1", "execute", "DB_TEST_0", ...persist, "--json", "--command", Object.keys(populatedCounts(N)).map((t) => `SELECT count(*) AS n FROM ${t}`).join("; ")],
      "wrangler d1 execute (count)",
    ),
  ) as { results: { n: number }[] }[];
  const counts = Object.fromEntries(Object.keys(populatedCounts(N)).map((t, i) => [t, counted[i]?.results[0]?.n ?? -1]));
  if (JSON.stringify(counts) !== JSON.stringify(populatedCounts(N))) throw new Error(`populated ${JSON.stringify(counts)}, expected ${JSON.stringify(populatedCounts(N))}`);
  return { key, populateMs, counts };
}

/**
 * wrangler.toml with the rate limits lifted: the bench measures the Worker, and its workloads send
 * more requests per minute with one key than a key may (API.md §13). Next to wrangler.toml, so that
 * its relative paths hold; git-ignored, and removed when the bench stops wrangler dev.
 */
const benchConfig = join(projectRoot, ".bench.wrangler.toml");
function writeBenchConfig(): string {
  const original = readFileSync(join(projectRoot, "wrangler.toml"), "utf8");
  const lifted = original.replace(/simple = \{ limit = \d+, period = (\d+) \}/g, "simple = { limit = 1000000, period = $1 }");
  writeFileSync(benchConfig, lifted);
  return benchConfig;
}

async function startWranglerDev(stateDir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const inspectorPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      wranglerBin,
      "dev",
      "--config", writeBenchConfig(),
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-ip", "127.0.0.1",
      "--inspector-port", String(inspectorPort),
      "--persist-to", stateDir,
      "--show-interactive-dev-session=false",
      "--log-level", "warn",
    ],
    {
      cwd: projectRoot,
      env: { WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so that stopping it stops workerd too
    },
  );
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-20_000)));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-20_000)));
  // In its own process group it does not get the terminal's Ctrl-C: pass it on.
  const interrupted = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    process.stderr.write(`\nnpm run bench: ${signal}, wrangler dev stopped\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  child.once("exit", () => {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  });
  return { child, output: () => output };
}

function stopWranglerDev(child: ChildProcess): Promise<void> {
  rmSync(benchConfig, { force: true });
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      resolve();
    }
  });
}

async function httpPart() {
  const stateDir = join(benchDir, ".state", `n${N}`);
  progress(`HTTP: preparing ${basename(stateDir)} (migrations, ${N.toLocaleString("en")} clients, bench key)…`);
  const { key, populateMs, counts } = await prepareDatabase(stateDir);
  progress(`HTTP: populated in ${(populateMs / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);

  const port = fixedPort ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const headers = { "x-environment": "test", authorization: `Bearer ${key}` };
  progress(`HTTP: starting wrangler dev on ${base}…`);
  const dev = await startWranglerDev(stateDir, port);
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (dev.child.exitCode !== null) throw new Error(`wrangler dev exited (${dev.child.exitCode}):\n${dev.output().slice(-3000)}`);
      try {
        const res = await fetch(`${base}/clients?limit=1`, { headers });
        await res.arrayBuffer();
        if (res.status === 200) break;
        throw new Error(`answered ${res.status}`);
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`wrangler dev not ready after 120 s (${(error as Error).message}):\n${dev.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    progress("HTTP: wrangler dev is up");

    async function send(p: Prepared): Promise<{ ms: number; error: string | null; bytes: number }> {
      const start = performance.now();
      const res = await fetch(`${base}${p.path}`, {
        method: p.method,
        headers: { ...headers, ...(p.body === undefined ? {} : { "content-type": "application/json" }), ...p.headers },
        body: p.body,
      });
      const text = await res.text();
      const ms = performance.now() - start;
      const bytes = Buffer.byteLength(text);
      if (res.status !== 200) return { ms, bytes, error: `${p.method} ${p.path} answered ${res.status}: ${text.slice(0, 500)}` };
      const problem = p.check?.(JSON.parse(text)) ?? null;
      return { ms, bytes, error: problem === null ? null : `${p.method} ${p.path}: ${problem}` };
    }

    async function measure(requests: Prepared[], concurrency: number, label: string): Promise<Measured> {
      const samples: number[] = [];
      let errors = 0;
      let firstError: string | null = null;
      let responseBytes = 0;
      let next = 0;
      const tty = process.stderr.isTTY;
      const started = performance.now();
      const worker = async () => {
        for (;;) {
          const i = next++;
          if (i >= requests.length) return;
          const { ms, error, bytes } = await send(requests[i]!);
          responseBytes = bytes;
          if (error === null) samples.push(ms);
          else {
            errors++;
            firstError ??= error;
          }
          if (tty && samples.length % 5 === 0) process.stderr.write(`\r[bench ${elapsed()}] ${label}: ${samples.length + errors}/${requests.length}`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
      const wallMs = performance.now() - started;
      if (tty) process.stderr.write("\r\x1b[2K");
      const summary = summarize(samples, errors, wallMs);
      progress(`${label}: ${summary.requests} ok, ${errors} failed; p50 ${fmt(summary.p50)} ms, p95 ${fmt(summary.p95)} ms, ${fmt(summary.throughput, 2)} req/s`);
      if (firstError) progress(`  first failure: ${firstError}`);
      return { summary, firstError, requestBytes: Buffer.byteLength(requests[0]?.body ?? ""), responseBytes };
    }

    const results: Partial<Record<WorkloadId, Record<string, Measured>>> = {};
    /** Warm-up (untimed), then the timed runs at each concurrency; `make(k)` gives the k-th request. */
    async function workload(id: WorkloadId, make: (k: number) => Prepared) {
      const c = COUNTS[id];
      let k = 0;
      const batch = (n: number) => Array.from({ length: n }, () => make(k++));
      const warm = batch(c.warmup);
      for (const p of warm) await send(p);
      results[id] = {};
      for (const concurrency of CONCURRENCY) {
        const requests = batch(concurrency === 1 ? c.c1 : c.c8);
        results[id]![`c${concurrency}`] = await measure(requests, concurrency, `${id} c=${concurrency}`);
      }
    }

    const tag = `h${Date.now().toString(36)}`;
    const sync = (body: unknown, check?: Prepared["check"]): Prepared => ({ method: "POST", path: "/clients/sync", body: JSON.stringify(body), check });

    // The reference maximal client: W3 repeats its sync, W5 reads it.
    const referenceBody = JSON.stringify(maximalSyncBody(`${tag}-ref`));
    const reference = await fetch(`${base}/clients/sync`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: referenceBody });
    const referenceText = await reference.text();
    if (reference.status !== 200) throw new Error(`the reference sync answered ${reference.status}: ${referenceText.slice(0, 500)}`);
    const referenceId = (JSON.parse(referenceText) as { client: { id: string } }).client.id;
    progress(`HTTP: reference maximal client ${referenceId} (${(referenceBody.length / 1024).toFixed(0)} KiB body)`);

    // Reads first, on the database as populated; then the writes, W1 (250 new clients a call) last.
    await workload("W5", () => ({ method: "GET", path: `/clients/${referenceId}`, check: (b) => (b.addresses?.length === 250 ? null : "not the maximal client") }));
    await workload("W6", () => ({ method: "GET", path: `/clients/${populatedId("clients", smallClientIndex(Math.random(), N))}`, check: (b) => (b.addresses?.length === 2 ? null : "not a populated client") }));
    await workload("W7", () => ({ method: "GET", path: "/clients?limit=20", check: (b) => (b.data?.length === 20 ? null : `${b.data?.length} clients`) }));
    const w2Exts: string[] = [];
    await workload("W2", (k) => {
      const ext = `${tag}-w2-${k}`;
      w2Exts.push(ext);
      return sync(maximalSyncBody(ext), (b) => (b.action === "created" && b.linkedClients.created.length === 250 ? null : `action ${b.action}`));
    });
    await workload("W3", () => ({
      method: "POST",
      path: "/clients/sync",
      body: referenceBody,
      check: (b) => {
        const lists = ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"];
        const changed = lists.some((l) => b[l].created.length + b[l].updated.length + b[l].deleted.length > 0);
        return b.action === "unchanged" && !changed ? null : "not a no-op";
      },
    }));
    await workload("W4", (k) => {
      const ext = w2Exts[k];
      if (ext === undefined) throw new Error("W4 needs one W2 client per request: keep W4's counts ≤ W2's");
      return sync(changedSyncBody(ext), (b) => {
        const lists = ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"];
        const wrong = lists.filter((l) => b[l].deleted.length !== 25 || b[l].updated.length < 25);
        return wrong.length === 0 ? null : `unexpected changes in ${wrong.join(", ")}`;
      });
    });
    // W8: the setup syncs first (untimed), one padded maximal client per request.
    const w8Count = COUNTS.W8.warmup + COUNTS.W8.c1 + COUNTS.W8.c8;
    const w8Prepared: Prepared[] = [];
    progress(`HTTP: W8 setup, ${w8Count} clients of ~4.8 MiB…`);
    for (let k = 0; k < w8Count; k++) {
      const ext = `${tag}-w8-${k}`;
      const res = await fetch(`${base}/clients/sync`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(w8StoredBody(ext)) });
      const made = (await res.json()) as any;
      if (res.status !== 200) throw new Error(`W8 setup answered ${res.status}: ${JSON.stringify(made).slice(0, 500)}`);
      const c = made.client;
      w8Prepared.push({
        method: "POST",
        path: "/clients/sync",
        body: JSON.stringify(w8Body(ext, { addresses: c.addresses, contactMethods: c.contactMethods, bankAccounts: c.bankAccounts, documents: c.documents })),
        headers: { "idempotency-key": `${tag}-w8-${k}` },
        check: (b) => {
          const lists = ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"];
          const wrong = lists.filter((l) => b[l].created.length !== W8_EXPECTED.created || b[l].updated.length !== W8_EXPECTED.updated || b[l].deleted.length !== W8_EXPECTED.deleted);
          return wrong.length === 0 ? null : `unexpected changes in ${wrong.join(", ")}`;
        },
      });
    }
    await workload("W8", (k) => w8Prepared[k]!);
    const sameClient = await sameClientBursts();
    await workload("W1", (k) => ({ method: "POST", path: "/clients/batch", body: JSON.stringify(batchBody(`${tag}-w1-${k}`)), check: (b) => (b.data?.length === 250 ? null : "not 250 clients") }));

    /**
     * Same client (issue 20): SAME_CLIENT_WRITERS concurrent syncs of one client, each adding an
     * address of its own (disjoint children), SAME_CLIENT_ROUNDS times on fresh clients. Every answer
     * counted (409s apart), then each client's chain checked: one entry per sync, valid.
     */
    async function sameClientBursts() {
      const samples: number[] = [];
      let conflicts = 0;
      let otherFailures = 0;
      let firstFailure: string | null = null;
      const started = performance.now();
      for (let round = 0; round < SAME_CLIENT_ROUNDS; round++) {
        const made = await fetch(`${base}/clients/sync`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ client: { type: "company", name: "Same", externalId: `${tag}-same-${round}` } }),
        });
        const id = ((await made.json()) as { client: { id: string } }).client.id;
        const failedBefore = conflicts + otherFailures;
        await Promise.all(
          Array.from({ length: SAME_CLIENT_WRITERS }, async (_, i) => {
            // A child externalId held by another client of the tenant is a 409 (API.md §6): one per round and writer.
            const body = { clientId: id, addresses: [{ externalId: `${tag}-same-${round}-a${i}`, street: `Calle ${i}`, city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX" }] };
            const t = performance.now();
            const res = await fetch(`${base}/clients/sync`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
            const text = await res.text();
            if (res.status === 200) samples.push(performance.now() - t);
            else if (res.status === 409) conflicts++;
            else otherFailures++;
            if (res.status !== 200) firstFailure ??= `${res.status}: ${text.slice(0, 300)}`;
          }),
        );
        const verify = (await (await fetch(`${base}/clients/${id}/history/verify`, { headers })).json()) as { valid: boolean; entries: number };
        const failedNow = conflicts + otherFailures - failedBefore;
        if (!verify.valid || verify.entries !== 1 + SAME_CLIENT_WRITERS - failedNow) {
          otherFailures++;
          firstFailure ??= `chain of ${id}: ${JSON.stringify(verify)}`;
        }
        if (process.stderr.isTTY) process.stderr.write(`\r[bench ${elapsed()}] same client: round ${round + 1}/${SAME_CLIENT_ROUNDS}`);
      }
      if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
      const summary = summarize(samples, conflicts + otherFailures, performance.now() - started);
      progress(
        `same client, ${SAME_CLIENT_WRITERS} concurrent syncs × ${SAME_CLIENT_ROUNDS}: ${samples.length} × 200, ${conflicts} × 409, ${otherFailures} other; ` +
          `p50 ${fmt(summary.p50)} ms, p95 ${fmt(summary.p95)} ms`,
      );
      if (firstFailure) progress(`  first failure: ${firstFailure}`);
      return { writers: SAME_CLIENT_WRITERS, rounds: SAME_CLIENT_ROUNDS, ok: samples.length, conflicts, otherFailures, p50: summary.p50, p95: summary.p95, firstFailure };
    }

    const finalClients = JSON.parse(
      await wrangler(["d1", "execute", "DB_TEST_0", "--local", "--persist-to", stateDir, "--json", "--command", "SELECT count(*) AS n FROM clients"], "count"),
    )[0].results[0].n as number;
    return {
      port,
      populateMs,
      populated: counts,
      clientsAtEnd: finalClients,
      workloads: results,
      sameClient,
    };
  } finally {
    await stopWranglerDev(dev.child);
    progress("HTTP: wrangler dev stopped");
    // Hundreds of MB at N = 100,000; rebuilt by every run anyway.
    if (!opts["keep-state"]) rmSync(stateDir, { recursive: true, force: true });
  }
}

// -------------------------------------------------------------------------------------------------
// Cost part: the vitest runner in the Workers runtime
// -------------------------------------------------------------------------------------------------

interface CostStatement {
  roundTrip: number;
  index: number;
  sql: string;
  params: number;
  rowsRead: number | null;
  rowsWritten: number | null;
  plan: string[];
}
interface CostWorkload {
  answer: Record<string, unknown> | null;
  reps: { ms: number; limiterMs?: number; statements: number; roundTrips: number; batchSizes: number[]; roundTripMs: number[]; rowsRead: number; rowsWritten: number }[];
  statements: CostStatement[];
}
interface CostResult {
  clients: number;
  populate: { ms: number; counts: Record<string, number> };
  workloads: Record<WorkloadId, CostWorkload>;
  /** Requests measured besides the workloads (W2 with an Idempotency-Key, and its replay). */
  extras: Record<string, { ms: number; statements: number; roundTrips: number; batchSizes: number[]; rowsRead: number; rowsWritten: number }>;
  /** With --rtt: every workload's in-process ms with each round trip delayed by each level. */
  rtt: RttResult | null;
  /** Median ms of each step of POST /clients/batch (W1) and /clients/sync (W2, W3, W4, W8). */
  syncSteps: Record<string, Record<string, number>>;
  /** W1's own floor: its 250 clients inserted straight through the binding, paired with W1 requests. */
  w1Floor: { reps: number[]; pairedW1: number[]; rows: number; p50: number; pairedW1P50: number };
  /** The honest floors: every row the request wrote (graph, history, lookup keys, outbox), inserted raw. */
  honestFloor?: Record<"W1" | "W2", HonestFloor>;
  /** Typical traffic (T1–T6), the bare point read paired with T4, and T1's honest floor. */
  typical?: {
    workloads: Record<TypicalId, CostWorkload>;
    barePointRead: { reps: number[]; pairedGet: number[]; pairedGetLimiter?: number[]; runs?: number; p50: number; pairedGetP50: number; pairedGetLessLimiterP50?: number; getStatementsP50?: number; sql: string[] };
    honestFloorT1: HonestFloor;
  };

  floor: {
    reps: number[];
    p50: number;
    min: number;
    /** W2 in-process, one request before each floor run (same load). */
    pairedW2: { reps: number[]; p50: number; min: number };
    statements: number; roundTrips: number; rows: Record<string, number>; rowsRead: number; rowsWritten: number };
}

interface HonestFloor {
  reps: number[];
  p50: number;
  min: number;
  statements: number;
  rows: Record<string, number>;
  bytes: number;
  rowsRead: number;
  rowsWritten: number;
}

async function costPart(): Promise<CostResult> {
  if (opts["cost-from"]) return JSON.parse(readFileSync(opts["cost-from"], "utf8")) as CostResult;
  const dir = mkdtempSync(join(tmpdir(), "bench-cost-"));
  const out = join(dir, "cost.json");
  progress(`cost: vitest (Workers runtime), ${N.toLocaleString("en")} clients…`);
  try {
    const child = spawn(process.execPath, [vitestBin, "run", "--config", "bench/cost.bench-config.ts"], {
      cwd: projectRoot,
      env: { ...process.env, BENCH_CLIENTS: String(N), BENCH_COST_OUT: out, BENCH_RTT: RTT_LEVELS.join(","), FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-50_000)));
    let pending = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (/^(cost|Sourcemap)/.test(line)) {
          if (line.startsWith("cost")) progress(line);
        } else output = (output + line + "\n").slice(-50_000);
      }
    });
    const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
    let text: string;
    try {
      text = readFileSync(out, "utf8");
    } catch {
      throw new Error(`the cost runner gave no figures (exit ${code}):\n${output.split("\n").filter((l) => !l.startsWith("Sourcemap")).slice(-60).join("\n")}`);
    }
    if (code !== 0) progress(`cost: the runner exited ${code} after writing its figures:\n${output.slice(-3000)}`);
    return JSON.parse(text) as CostResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// -------------------------------------------------------------------------------------------------
// Analysis
// -------------------------------------------------------------------------------------------------

/** The schema's tables (migrations/*.sql): a SCAN of one of these, or of an alias of one, reads a whole table. */
const TABLES = ["addresses", "api_keys", "bank_accounts", "client_links", "clients", "contact_methods", "documents", "idempotency_keys", "write_guards", "client_history", "event_outbox", "webhook_endpoints", "webhook_attempts", "webhook_deliveries", "client_lookup_keys", "history_backfill"];

/**
 * Plan lines that read a whole table: a SCAN of a real table (or of an alias the SQL gives one),
 * not of a json_each list, a CTE, a subquery, a constant row or a VALUES list.
 */
function tableScans(plan: string[], sql = ""): string[] {
  return plan.filter((line) => {
    const m = /^\s*SCAN (\S+)/.exec(line);
    if (!m || /VIRTUAL TABLE|CONSTANT ROW|VALUES CLAUSE|^\s*SCAN \(subquery/.test(line)) return false;
    const name = m[1]!.replace(/"/g, "");
    if (TABLES.includes(name)) return true;
    return new RegExp(`\\b(?:${TABLES.join("|")})"?\\s+(?:AS\\s+)?"?${name.replace(/[^\w]/g, "")}"?(?![\\w(])`, "i").test(sql);
  });
}

const short = (sql: string, n = 160) => (sql.length > n ? `${sql.slice(0, n)}…` : sql);

function otherRuns(): { clients: number; file: string; rowsRead: Record<string, number> }[] {
  let files: string[] = [];
  try {
    files = readdirSync(resultsDir).filter((f) => /^n\d+\.json$/.test(f));
  } catch {
    return [];
  }
  const runs = [];
  for (const f of files) {
    try {
      const data = JSON.parse(readFileSync(join(resultsDir, f), "utf8"));
      if (data.config?.clients === N || !data.workloads) continue;
      const rowsRead: Record<string, number> = {};
      for (const [id, w] of Object.entries<any>(data.workloads)) if (w.cost) rowsRead[id] = w.cost.rowsRead;
      if (Object.keys(rowsRead).length > 0) runs.push({ clients: data.config.clients as number, file: f, rowsRead });
    } catch {
      // not one of ours
    }
  }
  return runs.sort((a, b) => a.clients - b.clients);
}

// -------------------------------------------------------------------------------------------------

async function main() {
  progress(`N = ${N.toLocaleString("en")} clients; scale ${SCALE}; concurrency ${CONCURRENCY.join(" and ")}${RTT_LEVELS.length > 0 ? `; rtt ${RTT_LEVELS.join(", ")} ms` : ""}`);
  const machine = await machineInfo();
  progress(`machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}, wrangler ${machine.wrangler}`);
  progress(`load: ${machine.uptimeAtStart}`);

  progress("bundle: wrangler deploy --dry-run…");
  const bundle = await bundleSize();
  progress(`bundle: ${(bundle.bytes / 1024).toFixed(1)} KiB, gzip ${(bundle.gzipBytes / 1024).toFixed(1)} KiB`);

  const http = opts["skip-http"] ? null : await httpPart();
  const cost = opts["skip-cost"] ? null : await costPart();
  if (!opts["skip-memory"]) progress("memory: W2 and W8 in one V8 isolate (bench/profile, Node over node:sqlite)…");
  const memory = opts["skip-memory"] ? null : ((await profilePasses(["memory"], 1_000, 1)).memory as Record<string, any>);
  const uptimeAtEnd = uptimeLine();

  // Merge.
  const floorMs = cost?.floor.p50 ?? null;
  const workloads = Object.fromEntries(
    WORKLOADS.map((w) => {
      const h = http?.workloads[w.id];
      const c = cost?.workloads[w.id];
      const first = c?.reps[0];
      const med = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
      // W2's and W1's in-process latencies are the ones measured alongside their floors (same load on the machine).
      const inProcess = c
        ? w.id === "W2" && cost?.floor.pairedW2
          ? cost.floor.pairedW2.p50
          : w.id === "W1" && cost?.w1Floor
            ? cost.w1Floor.pairedW1P50
            : med(c.reps.map((r) => r.ms))
        : null;
      // W1 has its own floor (its 250 clients inserted raw); the syncs are compared with W2's.
      const floorOf = w.id === "W1" ? (cost?.w1Floor.p50 ?? null) : floorMs;
      const waited = (r: CostWorkload["reps"][number]) => r.roundTripMs.reduce((a, b) => a + b, 0);
      const d1Ms = c ? med(c.reps.map(waited)) : null;
      // The Worker's own time: the request's in-process time minus its waits for D1, per request.
      const workerMs = c ? med(c.reps.map((r) => r.ms - waited(r))) : null;
      // The least interfered-with request: the closest to CPU alone on a shared machine.
      const workerMsMin = c ? Math.min(...c.reps.map((r) => r.ms - waited(r))) : null;
      const stable = c ? c.reps.every((r) => r.statements === first!.statements && r.rowsRead === first!.rowsRead && r.rowsWritten === first!.rowsWritten) : null;
      const scans = c ? c.statements.flatMap((s) => tableScans(s.plan, s.sql).map((line) => ({ sql: short(s.sql, 300), line: line.trim(), rowsRead: s.rowsRead }))) : [];
      const top = c ? [...c.statements].sort((a, b) => (b.rowsRead ?? 0) - (a.rowsRead ?? 0)).slice(0, 3).map((s) => ({ roundTrip: s.roundTrip, index: s.index, rowsRead: s.rowsRead, rowsWritten: s.rowsWritten, sql: short(s.sql, 300), plan: s.plan })) : [];
      const c1 = h?.c1?.summary;
      return [
        w.id,
        {
          name: w.name,
          http: h
            ? { c1: h.c1!.summary, c8: h.c8!.summary, requestBytes: h.c1!.requestBytes, responseBytes: h.c1!.responseBytes, firstError: h.c1!.firstError ?? h.c8!.firstError }
            : null,
          cost: first
            ? {
                statements: first.statements,
                roundTrips: first.roundTrips,
                batchSizes: first.batchSizes,
                rowsRead: first.rowsRead,
                rowsWritten: first.rowsWritten,
                inProcessP50: inProcess,
                d1MsP50: d1Ms,
                workerMsP50: workerMs,
                workerMsMin,
                stable,
                reps: c!.reps,
              }
            : null,
          ratioToFloor:
            w.write && floorOf
              ? { floor: w.id === "W1" ? "W1" : "W2", http: c1 ? Math.round((c1.p50 / floorOf) * 100) / 100 : null, inProcess: inProcess !== null ? Math.round((inProcess / floorOf) * 100) / 100 : null }
              : null,
          httpOverMs: c1 && inProcess !== null ? Math.round((c1.p50 - inProcess) * 10) / 10 : null,
          answer: c?.answer ?? null,
          tableScans: scans,
          topStatementsByRowsRead: top,
        },
      ];
    }),
  ) as Record<WorkloadId, any>;

  // The honest floors (every row the contract writes): W1 against W1's, the syncs against W2's.
  const honestOf = (id: WorkloadId) => (id === "W1" ? cost?.honestFloor?.W1 : cost?.honestFloor?.W2) ?? null;
  for (const w of WORKLOADS) {
    const r = workloads[w.id];
    const honest = honestOf(w.id);
    r.ratioToHonestFloor =
      w.write && honest && r.cost?.inProcessP50 != null
        ? { floor: w.id === "W1" ? "W1 honest" : "W2 honest", inProcess: Math.round((r.cost.inProcessP50 / honest.p50) * 100) / 100, http: r.http?.c1 ? Math.round((r.http.c1.p50 / honest.p50) * 100) / 100 : null }
        : null;
  }

  // Typical traffic: the same figures as the workloads' (first rep's D1 counts; p50/p95 of the reps).
  const pct = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  };
  const typical = cost?.typical
    ? Object.fromEntries(
        TYPICAL.filter((t) => cost.typical!.workloads[t.id]).map((t) => {
          const c = cost.typical!.workloads[t.id];
          const first = c.reps[0]!;
          const waited = (r: CostWorkload["reps"][number]) => r.roundTripMs.reduce((a, b) => a + b, 0);
          return [
            t.id,
            {
              name: t.name,
              inProcessP50: pct(c.reps.map((r) => r.ms), 50),
              inProcessP95: pct(c.reps.map((r) => r.ms), 95),
              workerMsP50: pct(c.reps.map((r) => r.ms - waited(r)), 50),
              workerMsMin: Math.min(...c.reps.map((r) => r.ms - waited(r))),
              // The same, less the rate limiters' waits (a binding call, not CPU).
              cpuMsP50: pct(c.reps.map((r) => r.ms - waited(r) - (r.limiterMs ?? 0)), 50),
              cpuMsMin: Math.min(...c.reps.map((r) => r.ms - waited(r) - (r.limiterMs ?? 0))),
              limiterMsP50: pct(c.reps.map((r) => r.limiterMs ?? 0), 50),
              d1MsP50: pct(c.reps.map(waited), 50),
              statements: first.statements,
              roundTrips: first.roundTrips,
              batchSizes: first.batchSizes,
              rowsRead: first.rowsRead,
              rowsWritten: first.rowsWritten,
              reps: c.reps,
              answer: c.answer,
              tableScans: c.statements.flatMap((st) => tableScans(st.plan, st.sql).map((line) => line.trim())),
            },
          ];
        }),
      )
    : null;

  // Targets.
  const others = otherRuns();
  const targets = [];
  if (memory) {
    const peakMB = Math.max(memory.W2.peakLiveMiB, memory.W8.peakLiveMiB) * 1.048576;
    targets.push({ target: `W2 and W8 peak heap ≤ ${ISOLATE_LIMIT_MB} MB (one isolate)`, met: peakMB <= ISOLATE_LIMIT_MB, detail: memoryLine(memory).slice(2) });
  }
  if (cost) {
    // Ratios in-process (the same run, the same runtime as the floors; HTTP adds wrangler dev's proxy).
    const ratio = (id: WorkloadId) => workloads[id].ratioToFloor?.inProcess as number | null | undefined;
    const w2 = workloads.W2;
    const hw2 = cost.honestFloor?.W2;
    const hw1 = cost.honestFloor?.W1;
    const hr = (id: WorkloadId) => workloads[id].ratioToHonestFloor?.inProcess as number | null | undefined;
    targets.push({
      target: "W2 p50 ≤ 2.0 × its honest floor (in-process)",
      met: (hr("W2") ?? Infinity) <= 2.0,
      detail: `W2 ${fmt(w2.cost.inProcessP50, 0)} ms in-process vs honest floor ${fmt(hw2?.p50)} ms: ×${fmt(hr("W2"), 2)} (old floor ${fmt(floorMs)} ms: ×${fmt(ratio("W2"), 2)})`,
    });
    targets.push({
      target: "W1 p50 ≤ 2.0 × its honest floor (in-process)",
      met: (hr("W1") ?? Infinity) <= 2.0,
      detail: `W1 ${fmt(workloads.W1.cost.inProcessP50, 0)} ms in-process vs honest floor ${fmt(hw1?.p50)} ms: ×${fmt(hr("W1"), 2)} (old floor ${fmt(cost.w1Floor.p50)} ms: ×${fmt(ratio("W1"), 2)})`,
    });
    targets.push({
      target: "W8 ≤ 150 ms Worker time (p50)",
      met: (workloads.W8.cost.workerMsP50 ?? Infinity) <= 150,
      detail: `W8 Worker ${fmt(workloads.W8.cost.workerMsP50, 0)} ms (min ${fmt(workloads.W8.cost.workerMsMin, 0)}), in-process ${fmt(workloads.W8.cost.inProcessP50, 0)} ms`,
    });
    if (typical && cost.typical) {
      for (const t of TYPICAL) {
        const r = typical[t.id] as any;
        if (!r) continue;
        targets.push({
          target: `${t.id} ≤ 10 ms Worker CPU (p50)`,
          met: r.workerMsP50 <= 10,
          detail: `${t.id} Worker ${fmt(r.workerMsP50, 0)} ms (min ${fmt(r.workerMsMin, 0)}; less the rate limiter's wait ${fmt(r.cpuMsP50, 0)}, min ${fmt(r.cpuMsMin, 0)}), in-process p50 ${fmt(r.inProcessP50, 0)} ms`,
        });
      }
      const bare = cost.typical.barePointRead;
      targets.push({
        target: "GET p50 ≤ 1.3 × a bare D1 point read with the key check (in-process)",
        met: bare.pairedGetP50 <= 1.3 * bare.p50,
        detail: `T4 GET ${fmt(bare.pairedGetP50, 2)} ms vs bare read ${fmt(bare.p50, 2)} ms (key lookup + the client's row, 1 batch; each the mean of ${bare.runs ?? 1} back to back): ×${fmt(bare.pairedGetP50 / bare.p50, 2)}${bare.pairedGetLessLimiterP50 === undefined ? "" : `; less the rate limiter's wait ${fmt(bare.pairedGetLessLimiterP50, 2)} ms: ×${fmt(bare.pairedGetLessLimiterP50 / bare.p50, 2)}`}${bare.getStatementsP50 === undefined ? "" : `; the GET's own statements alone ${fmt(bare.getStatementsP50, 2)} ms`}`,
      });
    }
    for (const id of ["W3", "W4"] as const) {
      targets.push({
        target: `${id} no slower than W2 (in-process p50)`,
        met: workloads[id].cost.inProcessP50 <= w2.cost.inProcessP50,
        detail: `${id} ${fmt(workloads[id].cost.inProcessP50, 0)} ms vs W2 ${fmt(w2.cost.inProcessP50, 0)} ms`,
      });
    }
    targets.push({
      target: "W8 within 50 statements",
      met: workloads.W8.cost.statements <= 50,
      detail: `W8: ${workloads.W8.cost.statements} statements [${workloads.W8.cost.batchSizes.join("+")}], ${fmt(workloads.W8.cost.inProcessP50, 0)} ms in-process: ×${fmt(ratio("W8"), 2)} W2's floor`,
    });
    targets.push({ target: "W3 writes 0 rows", met: workloads.W3.cost.rowsWritten === 0, detail: `W3 rows written: ${workloads.W3.cost.rowsWritten}` });
    const scans = WORKLOADS.flatMap((w) => workloads[w.id].tableScans.map((s: any) => `${w.id}: ${s.line}`));
    const compared = others.map((o) => {
      const diffs = WORKLOADS.filter((w) => o.rowsRead[w.id] !== undefined && o.rowsRead[w.id] !== workloads[w.id].cost.rowsRead).map(
        (w) => `${w.id} ${o.rowsRead[w.id]} → ${workloads[w.id].cost.rowsRead}`,
      );
      return { clients: o.clients, file: o.file, diffs };
    });
    targets.push({
      target: "rows read per request independent of N",
      met: scans.length === 0 && compared.every((c) => c.diffs.length === 0),
      detail:
        (scans.length === 0 ? "no statement scans a table (every plan line is a SEARCH through an index)" : `table scans: ${scans.join("; ")}`) +
        (compared.length === 0
          ? `; no saved run at another N to compare with (run --clients ${N === 100_000 ? 10_000 : 100_000})`
          : compared.map((c) => `; vs N = ${c.clients.toLocaleString("en")} (${c.file}): ${c.diffs.length === 0 ? "rows read identical in every workload" : c.diffs.join(", ")}`).join("")),
      comparedWith: compared,
    });
    const over = WORKLOADS.filter((w) => workloads[w.id].cost.statements > 50);
    targets.push({
      target: "≤ 50 statements in every workload",
      met: over.length === 0,
      detail: `most: ${Math.max(...WORKLOADS.map((w) => workloads[w.id].cost.statements))} (${WORKLOADS.map((w) => `${w.id} ${workloads[w.id].cost.statements}`).join(", ")})`,
    });
  }

  const finishedAt = new Date();
  const result = {
    version: 1,
    startedAt: new Date(runStart).toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - runStart) / 1000),
    machine: { ...machine, uptimeAtEnd },
    config: { clients: N, scale: SCALE, counts: COUNTS, concurrency: CONCURRENCY, rtt: RTT_LEVELS, populatedPerTable: populatedCounts(N) },
    bundle,
    populate: { httpMs: http?.populateMs ?? null, costMs: cost?.populate.ms ?? null },
    http: http ? { port: http.port, clientsAtEnd: http.clientsAtEnd, sameClient: http.sameClient } : null,
    floor: cost?.floor ?? null,
    syncSteps: cost?.syncSteps ?? null,
    w1Floor: cost?.w1Floor ?? null,
    honestFloor: cost?.honestFloor ?? null,
    typical: typical ? { workloads: typical, barePointRead: cost?.typical?.barePointRead ?? null, honestFloorT1: cost?.typical?.honestFloorT1 ?? null } : null,
    memory,
    cpu: cost ? Object.fromEntries(WORKLOADS.map((w) => [w.id, { p50: workloads[w.id].cost?.workerMsP50 ?? null, min: workloads[w.id].cost?.workerMsMin ?? null }])) : null,
    rtt: cost?.rtt ?? null,
    extras: cost?.extras ?? null,
    workloads,
    targets,
    statements: cost ? Object.fromEntries(Object.entries(cost.workloads).map(([id, w]) => [id, w.statements])) : null,
  };

  // Table.
  const rows: (string | number)[][] = [
    ["", "c=1 n", "p50 ms", "p95 ms", "p99 ms", "req/s", "c=8 n", "p50 ms", "p99 ms", "req/s", "stmts", "trips", "batches", "rows read", "rows written", "in-proc ms", "worker ms", "p50/floor"],
  ];
  for (const w of WORKLOADS) {
    const r = workloads[w.id];
    const h1 = r.http?.c1 as LatencySummary | undefined;
    const h8 = r.http?.c8 as LatencySummary | undefined;
    rows.push([
      w.id,
      h1 ? `${h1.requests}${h1.errors ? `+${h1.errors}err` : ""}` : "—",
      fmt(h1?.p50),
      fmt(h1?.p95),
      fmt(h1?.p99),
      fmt(h1?.throughput, 2),
      h8 ? `${h8.requests}${h8.errors ? `+${h8.errors}err` : ""}` : "—",
      fmt(h8?.p50),
      fmt(h8?.p99),
      fmt(h8?.throughput, 2),
      r.cost?.statements ?? "—",
      r.cost?.roundTrips ?? "—",
      r.cost ? r.cost.batchSizes.join("+") : "—",
      r.cost?.rowsRead ?? "—",
      r.cost?.rowsWritten ?? "—",
      fmt(r.cost?.inProcessP50, 0),
      fmt(r.cost?.workerMsP50, 0),
      r.ratioToFloor ? `×${fmt(r.ratioToFloor.inProcess, 2)}${r.ratioToFloor.http ? ` (HTTP ×${fmt(r.ratioToFloor.http, 2)})` : ""}` : "—",
    ]);
  }
  console.log("");
  console.log(`Clients API benchmark — N = ${N.toLocaleString("en")} clients, ${finishedAt.toISOString()}`);
  console.log(`${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}, wrangler ${machine.wrangler}`);
  console.log(`load at start: ${machine.uptimeAtStart}`);
  console.log(`load at end:   ${uptimeAtEnd}`);
  console.log("");
  for (const w of WORKLOADS) console.log(`  ${w.id}  ${w.name}`);
  console.log("");
  console.log(table(rows));
  console.log("");
  console.log("  latency: HTTP through wrangler dev on 127.0.0.1 (c = concurrency); stmts/trips/batches/rows: D1 per request, metered in the");
  console.log("  Workers runtime (rows from D1's meta); in-proc: the same request in-process, median; worker: in-proc minus the waits for");
  console.log("  D1 (the Worker's own time, CPU and scheduling); p50/floor: in-process p50 over the floor (W1: its own floor; the syncs:");
  console.log("  W2's), and the HTTP c=1 p50 over the same floor.");
  if (cost) {
    const f = cost.floor;
    console.log("");
    console.log(
      `Floor (W2's ${Object.values(f.rows).reduce((a, b) => a + b, 0)} rows inserted straight through the binding, ${f.statements} json_each INSERTs in 1 batch): ` +
        `p50 ${fmt(f.p50)} ms, min ${fmt(f.min)} ms over ${f.reps.length} runs; rows read ${f.rowsRead}, rows written ${f.rowsWritten}`,
    );
    console.log(`  W2 in-process, each run just before a floor run: p50 ${fmt(f.pairedW2.p50)} ms, min ${fmt(f.pairedW2.min)} ms (×${fmt(f.pairedW2.p50 / f.p50, 2)} the floor at p50, ×${fmt(f.pairedW2.min / f.min, 2)} at min)`);
    const w1 = cost.w1Floor;
    console.log(`W1's floor (its ${w1.rows} clients inserted raw, 1 json_each INSERT): p50 ${fmt(w1.p50)} ms over ${w1.reps.length} runs; W1 in-process alongside: p50 ${fmt(w1.pairedW1P50)} ms (×${fmt(w1.pairedW1P50 / w1.p50, 2)})`);
    if (cost.honestFloor) {
      console.log("");
      console.log("Old floor vs honest floor (the honest one inserts every row the request wrote: graph, history entries, lookup keys, outbox rows; one json_each INSERT per table, one batch, right after the old one):");
      const hrow = (id: "W1" | "W2", old: number, paired: number) => {
        const h = cost.honestFloor![id];
        return [id, fmt(old), fmt(h.p50), Object.entries(h.rows).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(", "), `${fmt(h.bytes / 1024, 0)} KiB`, `${h.statements}`, `${h.rowsWritten}`, fmt(paired, 0), `×${fmt(paired / old, 2)}`, `×${fmt(paired / h.p50, 2)}`];
      };
      console.log(
        table([
          ["", "old floor ms", "honest floor ms", "honest rows", "bytes", "stmts", "rows written", "ours in-proc ms", "ours/old", "ours/honest"],
          hrow("W1", w1.p50, w1.pairedW1P50),
          hrow("W2", f.p50, f.pairedW2.p50),
        ]),
      );
    }
    console.log("");
    console.log("CPU per request (ms): the Worker's own time in-process, p50 (in-process latency minus the waits for D1; see docs/PERFORMANCE.md):");
    console.log(
      table([
        ["", "CPU ms p50", "min", "Free plan (10 ms)", "Paid plan (30,000 ms default)"],
        ...WORKLOADS.map((w) => {
          const cpu = workloads[w.id].cost?.workerMsP50 as number | null;
          const min = workloads[w.id].cost?.workerMsMin as number | null;
          return [w.id, fmt(cpu, 0), fmt(min, 0), cpu === null ? "—" : cpu <= 10 ? "fits" : `×${fmt(cpu / 10, 1)} over`, cpu === null ? "—" : `${fmt((cpu / 30_000) * 100, 2)}%`];
        }),
      ]),
    );
  }
  if (typical && cost?.typical) {
    console.log("");
    console.log(`Typical traffic (in-process, ${cost.typical.workloads.T1?.reps.length ?? "?"} requests each; D1 counts of the first):`);
    console.log(
      table([
        ["", "p50 ms", "p95 ms", "CPU ms p50", "min", "less limiter p50", "min", "stmts", "trips", "batches", "rows read", "rows written"],
        ...TYPICAL.filter((t) => typical[t.id]).map((t) => {
          const r = typical[t.id] as any;
          return [t.id, fmt(r.inProcessP50, 0), fmt(r.inProcessP95, 0), fmt(r.workerMsP50, 0), fmt(r.workerMsMin, 0), fmt(r.cpuMsP50, 0), fmt(r.cpuMsMin, 0), r.statements, r.roundTrips, r.batchSizes.join("+"), r.rowsRead, r.rowsWritten];
        }),
      ]),
    );
    for (const t of TYPICAL) console.log(`  ${t.id}  ${t.name}`);
    const h = cost.typical.honestFloorT1;
    console.log(`  T1's honest floor: ${fmt(h.p50)} ms (${Object.entries(h.rows).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ")}); bare point read with the key check: ${fmt(cost.typical.barePointRead.p50)} ms`);
  }
  if (cost?.rtt) {
    const rows = rttRows(cost.rtt);
    console.log("");
    console.log(`At the edge: in-process p50 (ms, ${cost.rtt.reps} requests per level) with every D1 round trip delayed by the rtt; added = p50 − p50 @0:`);
    console.log(table(rows));
    console.log("");
    console.log(markdown(rows));
  }
  if (cost?.syncSteps) {
    console.log("");
    console.log("Where a write's time goes in-process (median ms of each step, run step by step: W1 POST /clients/batch, the others POST /clients/sync; W8 with its key):");
    const ids = Object.keys(cost.syncSteps);
    const names = Object.keys(cost.syncSteps[ids[0]!]!);
    const isPart = (n: string) => n.includes(".");
    const total = (id: string) => Object.entries(cost.syncSteps[id]!).reduce((a, [n, v]) => (isPart(n) ? a : a + v), 0);
    console.log(
      table([
        ["step", ...ids],
        // The history step's parts under it (medians of their own: they need not add up exactly).
        ...names.filter((n) => !isPart(n)).flatMap((n) => [n, ...names.filter((p) => p.startsWith(`${n}.`))]).map((n) => [isPart(n) ? `  ${n.split(".")[1]}` : n, ...ids.map((id) => fmt(cost.syncSteps[id]![n], 0))]),
        ["total", ...ids.map((id) => fmt(total(id), 0))],
        ["Worker (total − D1)", ...ids.map((id) => fmt(total(id) - cost.syncSteps[id]!.d1Read! - cost.syncSteps[id]!.d1Write!, 0))],
      ]),
    );
  }
  if (cost?.extras) {
    console.log("");
    console.log("Besides the workloads (metered in-process):");
    for (const [name, e] of Object.entries(cost.extras)) {
      console.log(`  ${name}: ${e.statements} statements in ${e.roundTrips} round trips [${e.batchSizes.join("+")}], rows read ${e.rowsRead}, rows written ${e.rowsWritten}, ${e.ms} ms`);
    }
  }
  console.log(`Bundle: ${(bundle.bytes / 1024).toFixed(1)} KiB, gzip ${(bundle.gzipBytes / 1024).toFixed(1)} KiB (${bundle.files.map((f) => f.file).join(", ")}; wrangler: ${bundle.wranglerReports ?? "?"})`);
  if (http) {
    const same = http.sameClient;
    console.log(
      `Same client (${same.writers} concurrent syncs of disjoint addresses × ${same.rounds}, HTTP): ${same.ok} × 200, ${same.conflicts} × 409, ` +
        `${same.otherFailures} other; p50 ${fmt(same.p50)} ms, p95 ${fmt(same.p95)} ms ${same.conflicts + same.otherFailures === 0 ? "✓" : "✗"}`,
    );
  }
  if (http) console.log(`Populate: ${(http.populateMs / 1000).toFixed(1)} s (wrangler d1 execute --file)${cost ? `, ${(cost.populate.ms / 1000).toFixed(1)} s in the cost runner` : ""}; clients at the end of the HTTP run: ${http.clientsAtEnd.toLocaleString("en")}`);
  if (targets.length > 0) {
    console.log("");
    console.log("Targets:");
    for (const t of targets) console.log(`  ${t.met ? "✓" : "✗"} ${t.target}: ${t.detail}`);
  }
  const scanned = WORKLOADS.filter((w) => workloads[w.id].tableScans.length > 0);
  if (scanned.length > 0) {
    console.log("");
    console.log("Statements whose plan scans a table:");
    for (const w of scanned) for (const s of workloads[w.id].tableScans) console.log(`  ${w.id} (${s.rowsRead} rows read): ${s.line}\n      ${s.sql}`);
  }

  mkdirSync(dirname(outFile), { recursive: true });
  const json = JSON.stringify(result, null, 2);
  writeFileSync(outFile, json);
  if (opts.out === undefined) writeFileSync(join(resultsDir, `n${N}.json`), json);
  console.log("");
  if (opts.plot) {
    const svg = outFile.replace(/\.json$/, "") + ".svg";
    writeFileSync(svg, plotSvg(plotInputOf(result)));
    console.log(`Plot: ${svg}`);
  }
  console.log(`Written: ${outFile}${opts.out === undefined ? ` and bench/results/n${N}.json` : ""} (${result.durationS} s)`);
}

try {
  await main();
} catch (error) {
  console.error(`npm run bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
