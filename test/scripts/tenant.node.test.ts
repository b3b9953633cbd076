// `npm run tenant` and shard placement, run for real (API.md §17): `npm start` and the commands on a
// temporary state directory with a configuration of two shards per environment (CLIENTS_API_CONFIG:
// wrangler.toml plus DB_TEST_1 and DB_LIVE_1), over HTTP as a user calls the API.
//   - apikey create places a new tenant on the emptiest shard, or on --shard; a tenant's keys stay on its shard;
//   - tenant move, while the server runs: the tenant's key (its text names shard 0) then reads and
//     writes on shard 1, answers unchanged; killed (SIGKILL) after a step and run again, it finishes;
//   - tenant list shows where each tenant lives; bad command lines exit 2, impossible moves exit 1.
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmStart, type Served } from "../support/npm-start";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = join(ROOT, "node_modules", ".bin", "node");
const CONFIG = join(ROOT, `.test-${process.pid}-shards.wrangler.toml`);

/** wrangler.toml with a second shard per environment (its paths stay right: the file is in the project root). */
function twoShardConfig(): string {
  const base = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const extra = ["TEST", "LIVE"]
    .map((e, i) => `\n[[d1_databases]]\nbinding = "DB_${e}_1"\ndatabase_name = "clients-api-${e.toLowerCase()}-1"\ndatabase_id = "00000000-0000-4000-8000-00000000010${i}"\nmigrations_dir = "migrations"\n`)
    .join("");
  return base + extra;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

let served: Served;

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const child = spawn(NODE, [script, ...args], { cwd: ROOT, env: { ...process.env, ...served.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
const tenantCommand = (...args: string[]) => run("scripts/tenant.ts", args);
const lastLine = (text: string) => text.trimEnd().split("\n").at(-1)!;

async function api(path: string, key: string, init: RequestInit = {}) {
  const res = await fetch(`${served.base}${path}`, { ...init, headers: { "x-environment": "test", authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

beforeAll(async () => {
  writeFileSync(CONFIG, twoShardConfig());
  served = await npmStart([], { CLIENTS_API_CONFIG: CONFIG });
}, 240_000);

afterAll(async () => {
  await served?.stop();
  rmSync(CONFIG, { force: true });
});

describe("npm run tenant, two shards, against the running server", () => {
  it("places tenants, moves one while the server runs (killed once mid-way), and its old key is followed: same answers, writes on the new shard", async () => {
    // npm start's own tenant is on shard 0 (with its rows): a new tenant goes to the emptiest, shard 1.
    const dev = await api("/clients/batch", served.key, { method: "POST", body: JSON.stringify({ items: [{ type: "company", name: "Dev", externalId: "dev-1" }] }) });
    expect(dev.status, dev.text).toBe(200);
    const placed = await run("scripts/apikey.ts", ["create", "--env", "test", "--tenant", "nuevo"]);
    expect(placed.code, placed.stderr).toBe(0);
    expect(lastLine(placed.stdout)).toMatch(/^sk_test_s1_[A-Za-z0-9_-]{43}$/);
    expect(placed.stdout).toContain("local DB_TEST_1");
    const asked = await run("scripts/apikey.ts", ["create", "--env", "test", "--tenant", "mover", "--shard", "0"]);
    expect(asked.code, asked.stderr).toBe(0);
    const key = lastLine(asked.stdout);
    expect(key).toMatch(/^sk_test_[A-Za-z0-9_-]{43}$/);
    // The tenant's next key lands on its shard, and --shard elsewhere is refused.
    const second = await run("scripts/apikey.ts", ["create", "--env", "test", "--tenant", "nuevo"]);
    expect(lastLine(second.stdout)).toMatch(/^sk_test_s1_/);
    const refused = await run("scripts/apikey.ts", ["create", "--env", "test", "--tenant", "nuevo", "--shard", "0"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Tenant "nuevo" lives on shard 1: its keys go there');

    const created = await api("/clients/sync", key, { method: "POST", body: JSON.stringify({ client: { type: "individual", name: "Ana", externalId: "ana" }, contactMethods: [{ value: "ana@example.mx" }] }) });
    expect(created.status, created.text).toBe(200);
    const id = JSON.parse(created.text).client.id as string;
    const before = await api(`/clients/${id}`, key);

    // Killed (SIGKILL) right after copying, before the switch: reads go on, writes wait.
    const killed = await run("scripts/tenant.ts", ["move", "--env", "test", "--tenant", "mover", "--to", "1"], { CLIENTS_API_MOVE_KILL_AFTER: "verified" });
    expect(killed.code, killed.stdout + killed.stderr).toBe(null);
    expect((await api(`/clients/${id}`, key)).text).toBe(before.text);
    const waiting = await api("/clients/sync", key, { method: "POST", body: JSON.stringify({ client: { externalId: "ana", name: "Ana María" } }) });
    expect(waiting.status).toBe(503);
    expect(waiting.headers.get("retry-after")).toBe("5");
    const listedMoving = await tenantCommand("list", "--env", "test");
    expect(listedMoving.stdout).toMatch(/mover\s+0\s+1\s+\d+\s+\S+ \S+\s+moving/);

    const moved = await tenantCommand("move", "--env", "test", "--tenant", "mover", "--to", "1");
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/^Moved tenant "mover" from test shard 0 to shard 1: \d+ row\(s\) copied, 1 client chain\(s\) verified\.$/m);

    expect((await api(`/clients/${id}`, key)).text).toBe(before.text);
    const written = await api("/clients/sync", key, { method: "POST", body: JSON.stringify({ client: { externalId: "ana", name: "Ana María" } }) });
    expect(written.status, written.text).toBe(200);
    const verified = JSON.parse((await api(`/clients/${id}/history/verify`, key)).text);
    expect(verified).toMatchObject({ valid: true, entries: 2 });

    const listed = await tenantCommand("list", "--env", "test");
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trimEnd().split("\n").slice(1).map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(["TENANT", "SHARD", "KEYS", "ROWS", "BYTES", "STATE"]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
      ["dev", "0", "1"],
      ["mover", "1", "1"],
      ["nuevo", "1", "2"],
    ]);
    expect((await tenantCommand("move", "--env", "test", "--tenant", "mover", "--to", "1")).stdout).toContain('Tenant "mover" is already on test shard 1');
  }, 240_000);

  it.each([
    [["move", "--env", "test", "--tenant", "mover"], 2, /--to must be a shard number/],
    [["move", "--env", "test", "--to", "1"], 2, /--tenant is required/],
    [["jump", "--env", "test"], 2, /unknown command "jump"/],
    [["list", "--env", "prod"], 2, /--env must be test or live/],
    [["move", "--env", "test", "--tenant", "mover", "--to", "7"], 1, /there is no shard 7/],
    [["move", "--env", "test", "--tenant", "nobody", "--to", "0"], 1, /no tenant "nobody"/],
  ])("tenant %j exits %i and says why", async (args, code, message) => {
    const done = await tenantCommand(...(args as string[]));
    expect(done.code).toBe(code);
    expect(done.stderr).toMatch(message as RegExp);
  }, 60_000);
});
