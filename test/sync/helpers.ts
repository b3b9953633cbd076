// Shared helpers of the sync tests: valid Mexican identifiers computed independently of the app,
// a dump of every row a tenant owns, and normalization of responses (ids and timestamps).
import type { Environment, Harness } from "../support/harness";

/** A suffix that makes externalIds unique across tests of one file (storage is per file). */
export const uniq = () => crypto.randomUUID().slice(0, 8);

const CLABE_WEIGHTS = [3, 7, 1];

/** A valid CLABE: bank (3 digits), plaza (3 digits), 11 account digits, check digit. */
export function clabe(bank = "002", plaza = "180", account = 1): string {
  const first17 = `${bank}${plaza}${String(account).padStart(11, "0")}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (Number(first17[i]) * CLABE_WEIGHTS[i % 3]!) % 10;
  return first17 + String((10 - (sum % 10)) % 10);
}

const CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

/** A valid CURP (born 1980-01-01 in CDMX) from 17 characters, with its check digit computed here. */
export function curp(first17 = "GOMA800101HDFRRN0"): string {
  let sum = 0;
  [...first17].forEach((c, i) => (sum += CURP_ALPHABET.indexOf(c) * (18 - i)));
  return first17 + String((10 - (sum % 10)) % 10);
}

/** Valid RFCs (the check character is not enforced). */
export const RFC_INDIVIDUAL = "GOMA800101AB1";
export const RFC_COMPANY = "ABC800101AB1";

/** Each data table of a tenant, with the order its dump is sorted in. */
const TABLES = {
  clients: "id",
  addresses: "id",
  contact_methods: "id",
  bank_accounts: "id",
  documents: "id",
  client_links: "id",
  idempotency_keys: "key, part",
  client_history: "client_id, sequence, part",
  event_outbox: "id",
} as const;

/** Every row of every data table that belongs to a tenant, raw (as D1 stores it), ordered. */
export async function dumpTenant(h: Harness, tenantId: string, environment: Environment = "test") {
  const binding = h.binding(environment);
  const out = {} as Record<keyof typeof TABLES, unknown[]>;
  for (const [table, order] of Object.entries(TABLES) as [keyof typeof TABLES, string][]) {
    const { results } = await binding.prepare(`SELECT * FROM ${table} WHERE tenant_id = ? ORDER BY ${order}`).bind(tenantId).all();
    out[table] = results;
  }
  return out;
}

/** Row counts of every data table of a tenant. */
export async function countsOf(h: Harness, tenantId: string) {
  const dump = await dumpTenant(h, tenantId);
  return Object.fromEntries(Object.entries(dump).map(([k, rows]) => [k, rows.length]));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A response with ids replaced by their order of first appearance (`id#1`, `id#2`, …) and
 * timestamps by `<ts>`: two responses of the same shape compare equal whatever ids were generated.
 * Ids listed in `keep` (existing records) are kept as they are.
 */
export function normalize(value: unknown, keep: ReadonlySet<string> = new Set()): unknown {
  const seen = new Map<string, string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (UUID.test(v) && !keep.has(v)) {
        if (!seen.has(v)) seen.set(v, `id#${seen.size + 1}`);
        return seen.get(v);
      }
      if (TIMESTAMP.test(v)) return "<ts>";
      return v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pointers of a problem answer. */
export const pointers = (body: { errors?: { pointer: string }[] }) => (body.errors ?? []).map((e) => e.pointer);

/**
 * A webhook endpoint of the tenant, written straight to D1: with one, every write also fills the
 * event outbox (API.md §12), so a test of the write batch covers the outbox rows too. Its URL
 * refuses connections at once.
 */
export async function seedWebhookEndpoint(h: Harness, tenantId: string, environment: Environment = "test"): Promise<string> {
  const id = crypto.randomUUID();
  await h
    .binding(environment)
    .prepare("INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, secret, created_at) VALUES (?, ?, ?, NULL, ?, ?, ?)")
    .bind(id, tenantId, "http://127.0.0.1:9/hook", JSON.stringify(["client.created", "client.updated", "client.deleted"]), "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=", new Date().toISOString())
    .run();
  return id;
}
