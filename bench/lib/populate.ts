// The benchmark's database: N clients of one tenant, each with a few children, written straight in
// SQL. The same statements populate the local D1 of `wrangler dev` (through
// `wrangler d1 execute --local --file`) and the D1 of the cost runner (Workers runtime), so both
// measure the same database.
//
// Rows are generated inside SQLite by a recursive CTE (a few hundred bytes of SQL per 10,000
// clients), not sent: 100,000 clients (≈ 710,000 rows) take seconds, not minutes.
//
// Per client i (0 ≤ i < N):
//   - the client: `individual`, externalId `pop-<i>`, createdAt = 2024-01-01T00:00:00.000Z + i ms;
//   - 2 addresses (home, primary; business), 2 contact methods (email, primary; phone, primary),
//     1 bank account (primary, with a CLABE), 1 document — each with an externalId;
//   - every 10th client links to the next one (legal_representative).
// Ids are UUIDv7-shaped and follow i, so every index sees keys in the order the API would write
// them. Plain TypeScript without imports: it runs in Node (the orchestrator) and in workerd.

export const BENCH_TENANT = "bench";
/** 2024-01-01T00:00:00.000Z: populated rows are older than anything the workloads create. */
export const BASE_MS = 1_704_067_200_000;
/** Clients per INSERT statement (each statement stays well under a second). */
export const CHUNK = 10_000;
/** Children of each populated client, as the table names them. */
export const CHILDREN_PER_CLIENT = { addresses: 2, contact_methods: 2, bank_accounts: 1, documents: 1 } as const;
/** Every LINK_EVERY-th client links to the next one. */
export const LINK_EVERY = 10;

/** Table kinds: the first digits of an id's third group, so ids of different tables differ. */
const KIND = { clients: 0, addresses: 1, contact_methods: 2, bank_accounts: 3, documents: 4, client_links: 5 } as const;
type Table = keyof typeof KIND;

const hex = (value: number, width: number) => value.toString(16).padStart(width, "0");

/** The id of populated row j of `table` for client i (the same value the SQL below computes). */
export function populatedId(table: Table, i: number, j = 0): string {
  const ms = BASE_MS + i;
  return `${hex(Math.floor(ms / 65536), 8)}-${hex(ms % 65536, 4)}-7${hex(KIND[table] * 16 + j, 3)}-8000-${hex(i, 12)}`;
}

/**
 * A "small" populated client for reads (W6): index 10·m + 5, which no link touches, so that every
 * pick has the same graph (2 + 2 + 1 + 1 children) whatever N is. `fraction` in [0, 1).
 */
export function smallClientIndex(fraction: number, n: number): number {
  const m = Math.min(Math.floor(fraction * Math.floor(n / LINK_EVERY)), Math.floor((n - 6) / LINK_EVERY));
  return m * LINK_EVERY + 5;
}

/** SQL expression of that id; `i` and `j` are SQL expressions (the sequence's columns). */
function idSql(table: Table, j: string | number = 0, i = "i"): string {
  return `printf('%08x-%04x-7%03x-8000-%012x', (${BASE_MS} + ${i}) >> 16, (${BASE_MS} + ${i}) & 65535, ${KIND[table] * 16} + ${j}, ${i})`;
}

/** created_at of client i: exact milliseconds (integer arithmetic, no float rounding). */
const TS = `strftime('%Y-%m-%dT%H:%M:%S', (${BASE_MS} + i) / 1000, 'unixepoch') || printf('.%03dZ', (${BASE_MS} + i) % 1000)`;

const q = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** A valid CLABE whose account digits are i (bank 002, plaza 180): SQL computing its check digit. */
function clabeSql(): string {
  // first17 = '002180' || 11 digits of i; weights 3,7,1 repeated; digit = (10 - sum mod 10) mod 10.
  const digits = `('002180' || printf('%011d', i))`;
  const terms = Array.from({ length: 17 }, (_, k) => `((CAST(substr(${digits}, ${k + 1}, 1) AS INTEGER) * ${[3, 7, 1][k % 3]}) % 10)`);
  return `${digits} || ((10 - ((${terms.join(" + ")}) % 10)) % 10)`;
}

/** One INSERT … WITH RECURSIVE statement per table and chunk, for clients [from, to). */
export function populateStatements(n: number, tenant = BENCH_TENANT): string[] {
  const statements: string[] = [];
  const t = q(tenant);
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    const seq = `WITH RECURSIVE seq(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ${to})`;
    statements.push(
      `INSERT INTO clients (id, tenant_id, type, name, middle_name, last_name, is_primary, nationalities, scopes, external_id, metadata, birth_date, scope_data, employment, version, created_at, updated_at)
${seq}
SELECT ${idSql("clients")}, ${t}, 'individual', 'Client ' || i, NULL, 'Pérez', 1, '["MX"]', '["base","MX"]', 'pop-' || i,
  json_object('source', 'bench', 'n', i), '1980-01-01', '{"MX":{"rfc":"GOMA800101AB1"}}', NULL, 1, ${TS}, ${TS} FROM seq`,
      `INSERT INTO addresses (id, tenant_id, client_id, type, is_primary, street, city, state, postal_code, country, external_id, metadata, scope_data, created_at, updated_at)
${seq}, j(j) AS (VALUES (0), (1))
SELECT ${idSql("addresses", "j")}, ${t}, ${idSql("clients")},
  CASE j WHEN 0 THEN 'home' ELSE 'business' END, j = 0, 'Av. Reforma ' || i, 'Ciudad de México', 'CDMX', '06600', 'MX',
  'pop-' || i || '-a' || j, '{}', '{}', ${TS}, ${TS} FROM seq, j`,
      `INSERT INTO contact_methods (id, tenant_id, client_id, type, value, is_primary, label, external_id, metadata, is_verified, verified_at, created_at, updated_at)
${seq}, j(j) AS (VALUES (0), (1))
SELECT ${idSql("contact_methods", "j")}, ${t}, ${idSql("clients")},
  CASE j WHEN 0 THEN 'email' ELSE 'phone' END,
  CASE j WHEN 0 THEN 'client' || i || '@example.com' ELSE '+52 55 ' || printf('%08d', i) END,
  1, NULL, 'pop-' || i || '-c' || j, '{}', 0, NULL, ${TS}, ${TS} FROM seq, j`,
      `INSERT INTO bank_accounts (id, tenant_id, client_id, account_number, bank_name, bank_code, country, currency, type, is_primary, is_active, label, external_id, metadata, clabe, codigo_banco, codigo_plaza, created_at, updated_at)
${seq}
SELECT ${idSql("bank_accounts")}, ${t}, ${idSql("clients")}, 'ACC' || i, 'BBVA México', NULL, 'MX', 'MXN', 'checking', 1, 1, NULL,
  'pop-' || i || '-b0', '{}', ${clabeSql()}, '002', '180', ${TS}, ${TS} FROM seq`,
      `INSERT INTO documents (id, tenant_id, client_id, type, category, expires_at, external_id, metadata, fields, filename, content_type, size, status, verified_at, verified_by, rejection_reason, reviewed_at, reviewed_by, created_at, updated_at)
${seq}
SELECT ${idSql("documents")}, ${t}, ${idSql("clients")}, 'ine', 'identity', '2031-12-31', 'pop-' || i || '-d0', '{}',
  json_object('number', 'N' || i), 'ine-' || i || '.pdf', 'application/pdf', 1024, 'pending_upload', NULL, NULL, NULL, NULL, NULL, ${TS}, ${TS} FROM seq`,
    );
    // Links: client i → client i + 1 for every LINK_EVERY-th i whose successor exists.
    const lastLinked = Math.min(to, n - 1);
    if (from < lastLinked) {
      statements.push(
        `INSERT INTO client_links (id, tenant_id, parent_client_id, child_client_id, relationship_type, metadata, created_at, updated_at)
${seq}
SELECT ${idSql("client_links")}, ${t}, ${idSql("clients")}, ${idSql("clients", 0, "(i + 1)")}, 'legal_representative', '{}', ${TS}, ${TS}
FROM seq WHERE i % ${LINK_EVERY} = 0 AND i + 1 < ${n}`,
      );
    }
  }
  // No ANALYZE: the migrations do not run one, so the planner works without statistics, as it does
  // on a database the API deployed.
  return statements;
}

/** Rows the populate statements write, per table. */
export function populatedCounts(n: number): Record<string, number> {
  const links = n > 1 ? Math.ceil((n - 1) / LINK_EVERY) : 0;
  return {
    clients: n,
    addresses: 2 * n,
    contact_methods: 2 * n,
    bank_accounts: n,
    documents: n,
    client_links: links,
  };
}

/** The bench API key's row (the plaintext key stays with the caller). */
export function apiKeyStatement(keyHash: string, prefix: string, tenant = BENCH_TENANT): string {
  const now = new Date().toISOString();
  return (
    "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, permissions, created_at, revoked_at) VALUES (" +
    [q(crypto.randomUUID()), q(tenant), q("bench"), q(prefix), q(keyHash), q('["clients:read","clients:create","clients:update","clients:delete","clients:history"]'), q(now), "NULL"].join(", ") +
    ")"
  );
}
