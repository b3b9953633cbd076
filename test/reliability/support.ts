// Shared helpers of the reliability tests: a snapshot of everything a tenant owns in BOTH
// databases (every table, every column, raw as D1 stores it, plus global row counts), problem
// checks, a seeded PRNG, and the figures each file prints for docs/RELIABILITY.md.
import { expect } from "vitest";
import type { ApiResponse, Environment, Harness } from "../support/harness";

export const ENVIRONMENTS: readonly Environment[] = ["test", "live"];

/** Every table that holds tenant rows (api_keys included: a request must never change a key). */
export const TENANT_TABLES = [
  "clients",
  "addresses",
  "contact_methods",
  "bank_accounts",
  "documents",
  "client_links",
  "idempotency_keys",
  "api_keys",
  "client_history",
  "event_outbox",
] as const;

export type Snapshot = Record<Environment, { rows: Record<string, unknown[]>; counts: Record<string, number> }>;

/**
 * Every row the tenant owns, in both databases, and the row count of every table of both databases
 * (so that a write under another tenant id, or into write_guards, shows as well). One D1 batch per
 * database, straight on the real bindings (not through the guard).
 */
export async function snapshot(h: Harness, tenantId: string): Promise<Snapshot> {
  const out = {} as Snapshot;
  for (const environment of ENVIRONMENTS) {
    const binding = h.binding(environment);
    const statements = TENANT_TABLES.map((t) => binding.prepare(`SELECT * FROM ${t} WHERE tenant_id = ? ORDER BY rowid`).bind(tenantId));
    const all = [...TENANT_TABLES, "write_guards"];
    statements.push(binding.prepare(`SELECT ${all.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(", ")}`));
    const results = await binding.batch(statements);
    const rows: Record<string, unknown[]> = {};
    TENANT_TABLES.forEach((t, i) => (rows[t] = results[i]!.results));
    out[environment] = { rows, counts: results.at(-1)!.results[0] as Record<string, number> };
  }
  return out;
}

/** Total rows of a snapshot (both databases), for the figures. */
export const rowsIn = (s: Snapshot) =>
  ENVIRONMENTS.reduce((n, e) => n + Object.values(s[e].rows).reduce((m, rows) => m + rows.length, 0), 0);

/** A problem+json answer with the given status (and code), whose requestId is the X-Request-Id header. */
export function expectProblem(res: ApiResponse, status: number, code?: string) {
  expect(res.status, `${res.status}: ${res.text.slice(0, 600)}`).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(res.body.status).toBe(status);
  if (code) expect(res.body.code).toBe(code);
  expect(typeof res.body.requestId).toBe("string");
  expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
}

/** Nothing pollutes Object.prototype (checked after every prototype-key case). */
export function expectNoPollution() {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  expect(Object.keys(Object.prototype)).toEqual([]);
}

/** mulberry32: a small seeded PRNG, so a failing generated input can be replayed from its seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Prng = ReturnType<typeof prng>;

/** Figures a file prints at its end (`[reliability] …` lines); docs/RELIABILITY.md quotes them. */
export function figures(file: string, zeros: string[] = []) {
  const counts: Record<string, number> = Object.fromEntries(zeros.map((z) => [z, 0]));
  return {
    add(name: string, n = 1) {
      counts[name] = (counts[name] ?? 0) + n;
    },
    get: (name: string) => counts[name] ?? 0,
    print() {
      const line = Object.entries(counts)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ");
      console.log(`[reliability] ${file}: ${line}`);
    },
  };
}

/** JSON text with `"$CLIENT"` (and friends) replaced by runtime values. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\$([A-Z_]+)/g, (whole, name: string) => values[name] ?? whole);
}
