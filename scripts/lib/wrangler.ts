// Runs the project's own wrangler (node_modules/wrangler) with the Node that runs these scripts
// (the project's Node 22 under `npm run`), from the project root, so it reads wrangler.toml, on
// the local D1 state (localStateDir) that `wrangler dev` serves, or on the deployed databases.
import { spawn, type SpawnOptions } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isBusyDatabaseMessage } from "../../src/db/busy.ts";

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The local state (both D1 databases) that npm start serves and npm run apikey works on:
 * .wrangler/state, or the directory CLIENTS_API_STATE_DIR names (the tests of these commands use a
 * temporary one, so they never touch the developer's databases). Passed to wrangler as --persist-to.
 */
export const localStateDir = process.env.CLIENTS_API_STATE_DIR
  ? resolve(process.env.CLIENTS_API_STATE_DIR)
  : join(projectRoot, ".wrangler", "state");
/**
 * The wrangler configuration these commands read: wrangler.toml, or the file CLIENTS_API_CONFIG
 * names (in the project root: its paths are relative to it). The tests of `npm run tenant` use one
 * with two shards per environment.
 */
export const configPath = process.env.CLIENTS_API_CONFIG ? resolve(process.env.CLIENTS_API_CONFIG) : join(projectRoot, "wrangler.toml");
export const configArgs = ["--config", configPath];

export const ENVIRONMENT_NAMES = ["test", "live"] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];
/** A D1 binding of wrangler.toml: DB_TEST_0, DB_LIVE_1, … (one per shard, API.md §17). */
export type BindingName = string;

/** The binding of an environment's shard (as src/env.ts shardBinding). */
export const shardBinding = (environment: EnvironmentName, shard: number): BindingName => `DB_${environment.toUpperCase()}_${shard}`;

/**
 * How many shards wrangler.toml gives an environment: its `binding = "DB_<ENV>_<n>"` entries,
 * which must be numbered 0, 1, … without gaps (the Worker stops at the first missing one).
 */
export function shardCountOf(environment: EnvironmentName, config = readFileSync(configPath, "utf8")): number {
  const prefix = `DB_${environment.toUpperCase()}_`;
  const numbers = [...config.matchAll(/^\s*binding\s*=\s*"DB_(TEST|LIVE)_(\d+)"/gm)].filter((m) => `DB_${m[1]}_` === prefix).map((m) => Number(m[2]));
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.some((n, i) => n !== i)) {
    throw new CommandError(`wrangler.toml must list the ${environment} shards as ${prefix}0, ${prefix}1, … without gaps (found: ${sorted.map((n) => prefix + n).join(", ") || "none"})`);
  }
  return sorted.length;
}

/** Every shard binding of both environments, in order: what migrations are applied to. */
export function allShardBindings(config?: string): BindingName[] {
  return ENVIRONMENT_NAMES.flatMap((environment) => Array.from({ length: shardCountOf(environment, config) }, (_, shard) => shardBinding(environment, shard)));
}

const require = createRequire(import.meta.url);
const wranglerBin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

/**
 * No usage metrics or error reports sent, and no download of the `request.cf` sample (the API does not
 * read request.cf; offline, the download fails with a stack trace after a 3 s wait): these commands
 * also run offline and in CI. Each can be turned back on from the environment.
 */
const wranglerEnv = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  ...process.env,
};

export class CommandError extends Error {}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs wrangler and captures its output (stdin closed: wrangler then takes its non-interactive defaults). */
export function wranglerCapture(args: string[]): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args], {
      cwd: projectRoot,
      env: wranglerEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Runs wrangler in the foreground with the terminal attached, forwarding termination signals. */
export function wranglerInherit(args: string[], options: SpawnOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args], {
      cwd: projectRoot,
      env: wranglerEnv,
      stdio: "inherit",
      ...options,
    });
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of signals) process.on(signal, forward);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? 128 + (signal === "SIGINT" ? 2 : signal === "SIGHUP" ? 1 : 15));
    });
  });
}

function describeFailure(what: string, result: Captured): string {
  // With --json, wrangler prints {"error": {"text": …}} on stdout.
  try {
    const parsed = JSON.parse(result.stdout) as { error?: { text?: string } };
    if (parsed.error?.text) return `${what} failed: ${parsed.error.text}`;
  } catch {
    // not JSON: fall through to the raw output
  }
  const output = `${result.stdout}\n${result.stderr}`
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.includes('Unknown user config "nodedir"'))
    .slice(-25)
    .join("\n");
  return `${what} failed (exit ${result.code}):\n${output}`;
}

const where = (remote: boolean) => (remote ? ["--remote"] : ["--local", "--persist-to", localStateDir]);

/**
 * Applies pending migrations (migrations/) to one database; returns a summary line. Locally, a run
 * that found the database busy (the server is using it; src/db/busy.ts) is run again: each
 * migration is one batch with its d1_migrations row, so a failed one was not applied.
 */
export async function applyMigrations(binding: string, remote: boolean): Promise<string> {
  let result: Captured;
  for (let attempt = 1; ; attempt++) {
    result = await wranglerCapture(["d1", "migrations", "apply", binding, ...configArgs, ...where(remote)]);
    if (result.code === 0 || remote || !isBusyDatabaseMessage(result.stdout + result.stderr) || attempt === 5) break;
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
  if (result.code !== 0) throw new CommandError(describeFailure(`wrangler d1 migrations apply ${binding}`, result));
  if (/No migrations to apply/.test(result.stdout)) return `${binding}: migrations up to date`;
  // wrangler prints the table of migrations again after each one: count names, not rows.
  const applied = new Set([...result.stdout.matchAll(/│\s*(\S+\.sql)\s*│\s*✅/gu)].map((m) => m[1]));
  return `${binding}: applied ${applied.size} migration(s)`;
}

/** Runs SQL (one or more statements, one batch) on a deployed database; returns the rows of each. */
export async function remoteExecute(binding: string, sql: string): Promise<Record<string, unknown>[][]> {
  // Long SQL (a tenant move's pages of history) goes in a file: a command line holds ~128 KiB.
  let file: string | null = null;
  if (sql.length > 64 * 1024) {
    const dir = mkdtempSync(join(tmpdir(), "clients-api-sql-"));
    file = join(dir, "batch.sql");
    writeFileSync(file, sql);
  }
  let result: Captured;
  try {
    result = await wranglerCapture(["d1", "execute", binding, ...configArgs, "--remote", "--json", ...(file === null ? ["--command", sql] : ["--file", file, "--yes"])]);
  } finally {
    if (file !== null) rmSync(dirname(file), { recursive: true, force: true });
  }
  if (result.code !== 0) throw new CommandError(describeFailure(`wrangler d1 execute ${binding}`, result));
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new CommandError(`wrangler d1 execute ${binding}: unexpected output:\n${result.stdout}`);
  }
  if (!Array.isArray(parsed)) throw new CommandError(`wrangler d1 execute ${binding}: unexpected output`);
  return parsed.map((statement: { results?: Record<string, unknown>[] }) => statement.results ?? []);
}

/**
 * SQL with its bound parameters written in as literals (wrangler d1 execute takes none): `?` takes
 * the next parameter, `?N` the N-th; quoted text and identifiers are left as they are.
 */
export function inlineParameters(sql: string, params: readonly unknown[] = []): string {
  let out = "";
  let next = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const close = end < 0 ? sql.length : end;
      out += sql.slice(i, close + 1);
      i = close;
      continue;
    }
    if (c !== "?") {
      out += c;
      continue;
    }
    const digits = /^\d+/.exec(sql.slice(i + 1))?.[0];
    const index = digits === undefined ? next++ : Number(digits) - 1;
    if (digits !== undefined) i += digits.length;
    if (index < 0 || index >= params.length) throw new CommandError(`SQL parameter ${index + 1} missing`);
    out += sqlLiteral(params[index]);
  }
  return out;
}

function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "string") return sqlString(value);
  throw new CommandError(`cannot write ${typeof value} as an SQL literal`);
}

/** A SQL string literal (wrangler d1 execute --command takes no bound parameters). */
export function sqlString(value: string | null): string {
  if (value === null) return "NULL";
  if (value.includes("\0")) throw new CommandError("NUL characters are not allowed");
  return `'${value.replaceAll("'", "''")}'`;
}
