// `npm start` and `npm run apikey`, run for real: child processes of the project's Node (what the
// npm scripts run), on a temporary state directory (CLIENTS_API_STATE_DIR), so that the
// developer's local databases are never touched. Loopback only. One server for the whole file:
//   - npm start prints a curl that works against it, and Ctrl-C stops it with nothing left running;
//   - apikey create/list/revoke do what README.md says, against the running server; a revoke that
//     cannot be done (another process keeps the database locked) exits 1, and the key still works;
//   - under load (a bounded loop of requests while the commands run): no 5xx at all, every command
//     succeeds, every created key works at once and every revoked key is refused at once.
// Slow (wrangler, workerd): explicit timeouts; under two minutes on a 2-core machine.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey, KEY_PATTERN } from "../../src/http/keys";
import { freePort } from "../support/npm-start";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = join(ROOT, "node_modules", ".bin", "node");
const temp = mkdtempSync(join(tmpdir(), "clients-api-commands-"));
const childEnv = { ...process.env, CLIENTS_API_STATE_DIR: join(temp, "state"), NO_COLOR: "1" };

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Processes of its group still running once it exited (workerd left behind). */
  leftovers: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pids of the processes of a process group. */
async function groupMembers(pgid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)("ps", ["-eo", "pid=,pgid="]);
  return stdout
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, group]) => group === pgid)
    .map(([pid]) => pid!);
}

/** Waits (up to 10 s) for a process group to be empty; returns who is still there. */
async function groupEmptied(pgid: number): Promise<number[]> {
  let members = await groupMembers(pgid);
  for (let i = 0; i < 40 && members.length > 0; i++) {
    await sleep(250);
    members = await groupMembers(pgid);
  }
  return members;
}

/** A project script in its own process group (so that its children can be found and stopped). */
function spawnScript(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(NODE, args, { cwd: ROOT, env: { ...childEnv, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
}

/** `npm run apikey -- <args>`, to the end. */
async function apikey(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const child = spawnScript(["scripts/apikey.ts", ...args], env);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout, stderr, leftovers: await groupEmptied(child.pid!) };
}

/** `apikey` that must succeed; the output on failure. */
async function apikeyOk(...args: string[]): Promise<Finished> {
  const result = await apikey(args);
  expect(result.code, `apikey ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.leftovers, "processes left behind").toEqual([]);
  return result;
}

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1)!;

/**
 * Takes the write lock of the local database file that holds this key prefix, as another process
 * would (SQLite's own locking, through node:sqlite), until `release` is called.
 */
async function holdWriteLock(prefix: string): Promise<{ release: () => void }> {
  const { DatabaseSync } = await import("node:sqlite");
  const dir = join(temp, "state", "v3", "d1", "miniflare-D1DatabaseObject");
  for (const file of readdirSync(dir).filter((f) => /^[0-9a-f]{64}\.sqlite$/.test(f))) {
    const db = new DatabaseSync(join(dir, file));
    if (db.prepare("SELECT 1 FROM api_keys WHERE prefix = ?").get(prefix) === undefined) {
      db.close();
      continue;
    }
    // The server may hold it for a moment itself.
    for (let attempt = 1; ; attempt++) {
      try {
        db.exec("BEGIN IMMEDIATE");
        break;
      } catch (error) {
        if (attempt === 50 || !/locked|busy/i.test(String(error))) throw error;
        await sleep(20);
      }
    }
    return {
      release: () => {
        db.exec("ROLLBACK");
        db.close();
      },
    };
  }
  throw new Error(`no local database holds ${prefix}`);
}

let server: ChildProcess;
let port: number;
let serverOutput = "";
let serverStdout = "";
let devKey = "";

const api = (path: string, key: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { "x-environment": "test", authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
  });

beforeAll(async () => {
  port = await freePort();
  server = spawnScript(["scripts/start.ts", "--port", String(port)]);
  server.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    serverStdout += chunk;
    serverOutput += chunk;
  });
  server.stderr!.setEncoding("utf8").on("data", (chunk: string) => (serverOutput += chunk));
  const deadline = Date.now() + 100_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`npm start exited (${server.exitCode}):\n${serverOutput}`);
    if (Date.now() > deadline) throw new Error(`npm start did not answer within 100 s:\n${serverOutput}`);
    const ready = await fetch(`http://127.0.0.1:${port}/openapi.json`).then((r) => r.ok, () => false);
    if (ready) break;
    await sleep(250);
  }
  devKey = readFileSync(join(temp, "dev-api-key"), "utf8").trim();
}, 110_000);

afterAll(async () => {
  // Normally stopped by the last test already; this is the safety net.
  if (server?.pid !== undefined && (await groupMembers(server.pid)).length > 0) {
    process.kill(-server.pid, "SIGKILL");
    await groupEmptied(server.pid);
  }
  rmSync(temp, { recursive: true, force: true });
}, 20_000);

describe("npm start", () => {
  it("prints first a curl that works: run as printed, it answers 200 with the dev tenant's (empty) list", async () => {
    const printed = new RegExp(
      `^Try it: (curl -s http://localhost:${port}/clients -H "X-Environment: test" -H "Authorization: Bearer (sk_test_[A-Za-z0-9_-]+)")$`,
    ).exec(serverStdout.split("\n")[0]!);
    expect(printed, serverOutput).not.toBeNull();
    // The key it prints is the one it keeps next to the state directory, and no other file was used.
    expect(printed![2]).toBe(devKey);
    // Run as printed (by sh, with curl); where there is no curl, the same request with fetch.
    const hasCurl = await promisify(execFile)("curl", ["--version"]).then(() => true, () => false);
    let status: string;
    let body: string;
    if (hasCurl) {
      const { stdout } = await promisify(execFile)("sh", ["-c", `${printed![1]} -w '\\n%{http_code}'`], { timeout: 20_000 });
      [body, status] = [stdout.slice(0, stdout.lastIndexOf("\n")), lastLine(stdout)];
    } else {
      const res = await fetch(`http://localhost:${port}/clients`, { headers: { "X-Environment": "test", Authorization: `Bearer ${printed![2]}` } });
      [body, status] = [await res.text(), String(res.status)];
    }
    expect(status).toBe("200");
    expect(JSON.parse(body)).toEqual({ data: [], pagination: { hasMore: false, nextCursor: null } });
  }, 30_000);
});

describe("npm run apikey, against the running server", () => {
  it("create prints a working key last; list shows it without its hash; revoke makes it a 401 at once, and only it", async () => {
    const tenant = `cli-${Date.now().toString(36)}`;
    const created = await apikeyOk("create", "--env", "test", "--tenant", tenant, "--name", "CLI test", "--permissions", "clients:read");
    const key = lastLine(created.stdout);
    expect(key).toMatch(KEY_PATTERN);
    expect(key.startsWith("sk_test_")).toBe(true);
    const prefix = key.slice(0, "sk_test_".length + 8);
    expect(created.stdout).toContain(`prefix:      ${prefix}`);

    // Works at once, with the permissions given and no others.
    expect((await api("/clients", key)).status).toBe(200);
    const write = await api("/clients/batch", key, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ items: [{ type: "company", name: "Nope" }] }),
    });
    expect(write.status).toBe(403);

    const listed = await apikeyOk("list", "--env", "test", "--tenant", tenant);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^1 test key\(s\) \(local DB_TEST_0\):$/);
    expect(lines[1]!.split(/\s{2,}/)).toEqual(["PREFIX", "TENANT", "SHARD", "NAME", "PERMISSIONS", "CREATED", "REVOKED"]);
    expect(lines[2]!.split(/\s{2,}/)).toEqual([prefix, tenant, "0", "CLI test", "clients:read", expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]);
    // Never the hash (nor the key, nor anything that looks like a SHA-256).
    expect(listed.stdout + listed.stderr).not.toContain(await hashKey(key));
    expect(listed.stdout + listed.stderr).not.toContain(key);
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);

    const revoked = await apikeyOk("revoke", "--env", "test", "--prefix", prefix);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked ${prefix} \\(tenant "${tenant}"\\) at \\d{4}-`));
    const refused = await api("/clients", key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { detail: string }).detail).toBe("This API key has been revoked");
    // Another key is untouched.
    expect((await api("/clients", devKey)).status).toBe(200);

    const after = await apikeyOk("list", "--env", "test", "--tenant", tenant);
    expect(after.stdout.trimEnd().split("\n")[2]!.split(/\s{2,}/)[6]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await apikeyOk("revoke", "--env", "test", "--prefix", prefix)).stdout).toMatch(/was already revoked at/);

    const unknown = await apikey(["revoke", "--env", "test", "--prefix", "sk_test_zzzzzzzz"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No test key with prefix sk_test_zzzzzzzz");
  }, 90_000);

  it("a revoke that cannot be done (the database stays locked) exits 1 and says so, and the key still works; then it is done", async () => {
    const tenant = `cli-lock-${Date.now().toString(36)}`;
    const key = lastLine((await apikeyOk("create", "--env", "test", "--tenant", tenant)).stdout);
    const prefix = key.slice(0, "sk_test_".length + 8);
    const lock = await holdWriteLock(prefix);
    let blocked: Finished;
    try {
      blocked = await apikey(["revoke", "--env", "test", "--prefix", prefix], { CLIENTS_API_BUSY_TIMEOUT_MS: "1500" });
    } finally {
      lock.release();
    }
    expect(blocked.code, blocked.stdout + blocked.stderr).toBe(1);
    // Whichever of its batches finds the lock first (the migrations check, or the revoke itself).
    expect(blocked.stderr).toMatch(/Error: (Nothing was changed|sk_test_\S+ was not revoked, and still works): the local DB_TEST_0 database \(.*\) stayed locked by another process for 1\.5 s\. Try again\./);
    expect(blocked.stdout).not.toMatch(/Revoked/);
    expect(blocked.leftovers).toEqual([]);
    expect((await api("/clients", key)).status).toBe(200);

    expect((await apikeyOk("revoke", "--env", "test", "--prefix", prefix)).stdout).toMatch(/^Revoked /);
    expect((await api("/clients", key)).status).toBe(401);
  }, 60_000);
});

describe("under load", () => {
  it("commands while requests run: no 5xx, every command succeeds, every new key works and every revoked key is refused at once", async () => {
    const statuses = new Map<number, number>();
    const externalIds: { externalId: string; key: string }[] = [];
    let sent = 0;
    let commandsDone = false;
    // Requests run for as long as the commands do (a loaded machine makes commands slow; a cap on
    // requests would end the load before them), and at least this many.
    const MIN_REQUESTS = 500;
    // 4 at a time: 9 GETs of the list for each POST that creates a client (a write of every kind).
    // One key per loop: a single key would meet its own rate limit (wrangler.toml), which is not
    // what this test is about.
    const loadKeys = [devKey];
    for (let i = 1; i < 4; i++) loadKeys.push(lastLine((await apikeyOk("create", "--env", "test", "--tenant", `loadkeys-${Date.now().toString(36)}-${i}`)).stdout));
    async function loop(key: string) {
      while (!commandsDone || sent < MIN_REQUESTS) {
        const n = sent++;
        let res: Response;
        if (n % 10 === 9) {
          const externalId = `load-${Date.now().toString(36)}-${n}`;
          res = await api("/clients/batch", key, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ items: [{ type: "company", name: "Load", externalId }] }),
          });
          if (res.status === 200) externalIds.push({ externalId, key });
        } else {
          res = await api("/clients?limit=5", key);
        }
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }
    const load = Promise.all(loadKeys.map(loop));

    const ROUNDS = 3;
    // Requests sent while each command ran: every command met live traffic.
    const sentDuring: number[] = [];
    async function command(...args: string[]) {
      const before = sent;
      const done = await apikeyOk(...args);
      sentDuring.push(sent - before);
      return done;
    }
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const tenant = `load-${round}-${Date.now().toString(36)}`;
        const key = lastLine((await command("create", "--env", "test", "--tenant", tenant)).stdout);
        expect(key).toMatch(KEY_PATTERN);
        expect((await api("/clients", key)).status).toBe(200);
        const listed = await command("list", "--env", "test", "--tenant", tenant);
        expect(listed.stdout).toContain(key.slice(0, 16));
        await command("revoke", "--env", "test", "--prefix", key.slice(0, 16));
        expect((await api("/clients", key)).status).toBe(401);
      }
    } finally {
      commandsDone = true;
      await load;
    }

    const counts = Object.fromEntries(statuses);
    console.log(`[reliability] commands under load: ${sent} requests (${externalIds.length} writes), statuses ${JSON.stringify(counts)}, ${ROUNDS * 3} commands`);
    // The commands ran while requests were being served.
    expect(sentDuring).toHaveLength(ROUNDS * 3);
    for (const n of sentDuring) expect(n).toBeGreaterThan(0);
    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect([...statuses.keys()].filter((s) => s >= 500), JSON.stringify(counts)).toEqual([]);
    expect(counts).toEqual({ 200: sent });
    // Each write that answered 200 created its client exactly once (none written twice by a retry).
    for (const { externalId, key } of externalIds.slice(0, 60)) {
      const found = (await (await api(`/clients?externalId=${externalId}`, key)).json()) as { data: unknown[] };
      expect(found.data, externalId).toHaveLength(1);
    }
  }, 240_000);
});

describe("stopping npm start", () => {
  it("Ctrl-C (SIGINT to its process group) stops it, and no process of it (wrangler, workerd) is left", async () => {
    const exited = new Promise((resolve) => server.on("exit", resolve));
    process.kill(-server.pid!, "SIGINT");
    await exited;
    expect(await groupEmptied(server.pid!)).toEqual([]);
    expect(await fetch(`http://127.0.0.1:${port}/openapi.json`).then((r) => r.status, () => "refused")).toBe("refused");
  }, 30_000);
});
