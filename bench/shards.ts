// `npm run bench:shards [-- --seconds 20] [--concurrency 4] [--items 25]`: two tenants writing at
// the same time, on ONE shard, then on TWO shards (API.md §17), over HTTP against `npm start` with
// a configuration of two shards per environment (CLIENTS_API_CONFIG), on a temporary local state.
// Each tenant runs `--concurrency` loops of POST /clients/batch (`--items` new clients each) for
// `--seconds`; reported: requests and clients per second, aggregate and per tenant, p50/p95, and
// the ratio two shards ÷ one shard. Figures go to docs/PERFORMANCE.md by hand (with the machine).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createServer } from "node:net";
import { projectRoot } from "../scripts/lib/wrangler.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "20" }, concurrency: { type: "string", default: "4" }, items: { type: "string", default: "25" } } });
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const ITEMS = Number(values.items);
const NODE = join(projectRoot, "node_modules", ".bin", "node");
const CONFIG = join(projectRoot, ".bench-shards.wrangler.toml");

function twoShardConfig(): string {
  // Rate limits no loop reaches: the limiter is not what is measured.
  const base = readFileSync(join(projectRoot, "wrangler.toml"), "utf8").replace(/simple = \{ limit = \d+, period = 60 \}/g, "simple = { limit = 1000000, period = 60 }");
  return (
    base +
    ["TEST", "LIVE"]
      .map((e, i) => `\n[[d1_databases]]\nbinding = "DB_${e}_1"\ndatabase_name = "clients-api-${e.toLowerCase()}-1"\ndatabase_id = "00000000-0000-4000-8000-00000000020${i}"\nmigrations_dir = "migrations"\n`)
      .join("")
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const temp = mkdtempSync(join(tmpdir(), "clients-api-bench-shards-"));
const env = { ...process.env, CLIENTS_API_STATE_DIR: join(temp, "state"), CLIENTS_API_CONFIG: CONFIG, NO_COLOR: "1" };

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, args, { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(" ")} exited ${code}:\n${out}\n${err}`))));
  });
}

async function keyOn(tenant: string, shard: number): Promise<string> {
  const out = await run(["scripts/apikey.ts", "create", "--env", "test", "--tenant", tenant, "--shard", String(shard)]);
  return out.trimEnd().split("\n").at(-1)!;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function load(base: string, keys: string[]): Promise<{ perTenant: number[]; latencies: number[]; failures: number }> {
  const perTenant = keys.map(() => 0);
  const latencies: number[] = [];
  let failures = 0;
  const until = Date.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    keys.flatMap((key, t) =>
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < until) {
          const items = Array.from({ length: ITEMS }, () => ({ type: "company", name: "Bench", externalId: `b-${t}-${n++}-${Math.random().toString(36).slice(2)}` }));
          const started = performance.now();
          const res = await fetch(`${base}/clients/batch`, { method: "POST", headers: { "x-environment": "test", authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ items }) });
          await res.arrayBuffer();
          if (res.status === 200) {
            perTenant[t]!++;
            latencies.push(performance.now() - started);
          } else failures++;
        }
      }),
    ),
  );
  return { perTenant, latencies: latencies.sort((a, b) => a - b), failures };
}

let server: ChildProcess | undefined;
try {
  writeFileSync(CONFIG, twoShardConfig());
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = spawn(NODE, ["scripts/start.ts", "--port", String(port)], { cwd: projectRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  server.stdout!.on("data", (c) => (output += c));
  server.stderr!.on("data", (c) => (output += c));
  for (let waited = 0; !(await fetch(`${base}/openapi.json`).then((r) => r.ok, () => false)); waited += 250) {
    if (server.exitCode !== null || waited > 300_000) throw new Error(`npm start did not answer:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const a = await keyOn("bench-a", 0);
  const b = await keyOn("bench-b", 0);
  const c = await keyOn("bench-c", 1);
  // Warm both shards' databases and the Worker.
  await load(base, [a, c]).catch(() => undefined);

  const results: Record<string, Awaited<ReturnType<typeof load>>> = {};
  for (const [name, keys] of [["one shard (tenants a, b on shard 0)", [a, b]], ["two shards (a on 0, c on 1)", [a, c]]] as const) {
    results[name] = await load(base, [...keys]);
  }
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${new Date().toISOString()}`);
  console.log(`each tenant: ${CONCURRENCY} loops of POST /clients/batch (${ITEMS} clients) for ${SECONDS} s, both tenants at once`);
  const rates: number[] = [];
  for (const [name, r] of Object.entries(results)) {
    const total = r.perTenant.reduce((s, x) => s + x, 0);
    rates.push(total / SECONDS);
    console.log(
      `${name}: ${(total / SECONDS).toFixed(1)} req/s (${((total * ITEMS) / SECONDS).toFixed(0)} clients/s), per tenant ${r.perTenant.map((x) => (x / SECONDS).toFixed(1)).join(" / ")} req/s, ` +
        `p50 ${percentile(r.latencies, 50).toFixed(0)} ms, p95 ${percentile(r.latencies, 95).toFixed(0)} ms, non-200: ${r.failures}`,
    );
  }
  console.log(`two shards ÷ one shard: ×${(rates[1]! / rates[0]!).toFixed(2)} aggregate throughput (target ≥ 1.7 in production, where each D1 database runs its queries one at a time)`);
} finally {
  if (server?.pid && server.exitCode === null) process.kill(-server.pid, "SIGKILL");
  rmSync(CONFIG, { force: true });
  rmSync(temp, { recursive: true, force: true });
}
