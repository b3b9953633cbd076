// Lookup keys (API.md §14): written by the write batch itself (write/runner.ts), from the rows as
// the batch leaves them, so a lookup never lags a write. Normalized in SQL exactly as
// src/lookup/normalize.ts does in the Worker; migrations/0006_lookup_keys.sql backfills with the
// same expressions.
//
// A write names its sources — a client's own fields ([clientId, null]) or one contact method or
// bank account ([clientId, childId]) whose identifiers it created, changed or deleted — and its
// batch ends with at most two statements whatever their number: one DELETE of the sources' keys,
// one INSERT … SELECT of their keys now (json_each over one JSON parameter). A DELETE of a client
// instead marks its keys deleted (one UPDATE), so that includeDeleted still finds them.
import { sql } from "drizzle-orm";
import type { Db, Statement, Tenant } from "./database";
import { clientLookupKeys } from "./schema";

// Built with drizzle's query builders (not db.run(sql)): raw SQL with parameters cannot go in a
// drizzle batch (drizzle-orm #2277).

/** SQL of one code (RFC, CURP, CLABE, account number): upper case, no spaces, dots or dashes. */
const code = (x: string) => `upper(replace(replace(replace(${x}, ' ', ''), '.', ''), '-', ''))`;
const email = (x: string) => `lower(trim(${x}))`;
/** The digits of a phone value (the separators API.md §4.3 allows, tab and line breaks removed). */
const digits = (x: string) =>
  `replace(replace(replace(replace(replace(replace(replace(replace(replace(${x}, ' ', ''), '+', ''), '.', ''), '-', ''), '(', ''), ')', ''), char(9), ''), char(10), ''), char(13), '')`;
/** A Mexican 52 / 521 prefix removed from `d`, the digits. */
const phone = (d: string) =>
  `CASE WHEN length(${d}) = 13 AND substr(${d}, 1, 3) = '521' THEN substr(${d}, 4) WHEN length(${d}) = 12 AND substr(${d}, 1, 2) = '52' THEN substr(${d}, 3) ELSE ${d} END`;

/**
 * Name search (API.md §14, GET /clients/search): a client's name, middleName and lastName, folded
 * (Spanish accents and ñ removed, ASCII lower case, punctuation as spaces) — src/lookup/names.ts
 * folds a query the same way. Its words (the first MAX_NAME_WORDS) of 2+ characters that are no
 * company suffix or article give blocking keys (kind `nameBlock`, `key` = the folded name, for the
 * Worker's scoring): a word of 4+ characters its left half (`l:`) and right half (`r:`) — one typo
 * leaves one of them intact — and a shorter word itself (`x:`).
 */
export const NAME_FOLDS: readonly (readonly [string, string])[] = [
  ["á", "a"], ["é", "e"], ["í", "i"], ["ó", "o"], ["ú", "u"], ["ü", "u"], ["ñ", "n"],
  ["Á", "a"], ["É", "e"], ["Í", "i"], ["Ó", "o"], ["Ú", "u"], ["Ü", "u"], ["Ñ", "n"],
  [".", " "], [",", " "], ["-", " "], ["'", " "], ['"', " "], ["(", " "], [")", " "], ["/", " "], ["&", " "], ["\t", " "],
];
/** Words that say what kind of company a name is, or join words: not matched on. */
export const NAME_STOP_WORDS = ["sa", "cv", "sapi", "sab", "rl", "srl", "sc", "ac", "sofom", "enr", "de", "del", "la", "las", "el", "los", "y"];
/** Words of a name that give blocking keys: at most this many. */
export const MAX_NAME_WORDS = 8;
const sqlText = (v: string) => `'${v.replaceAll("'", "''")}'`;
/** SQL: the folded form of `x`. */
const folded = (x: string) =>
  NAME_FOLDS.reduce((acc, [from, to]) => `replace(${acc}, ${from === "\t" ? "char(9)" : sqlText(from)}, ${sqlText(to)})`, x);
/** The name SQL folds: name, middleName and lastName. */
const fullName = (c: string) => `${c}.name || ' ' || coalesce(${c}.middle_name, '') || ' ' || coalesce(${c}.last_name, '')`;

/**
 * The name search's keys of the clients `c` selects, as (tenant_id, kind, normalized, key,
 * client_id, child_id): the folded name split into words with json_each over a JSON array that
 * json_quote makes (always valid JSON, whatever the name holds); per word, its blocking keys.
 */
export function nameKeysSelectSql(c: { from: string; where: string }): string {
  return (
    `SELECT c.tenant_id AS tenant_id, 'nameBlock' AS kind, hk.value AS normalized, nm.value AS key, c.id AS client_id, NULL AS child_id FROM ${c.from}, ` +
    `json_each(json_array(lower(trim(${folded(fullName("c"))})))) nm, ` +
    `json_each('[' || replace(json_quote(nm.value), ' ', '","') || ']') w, ` +
    `json_each(CASE WHEN length(w.value) >= 4 THEN json_array('l:' || substr(w.value, 1, length(w.value) / 2), 'r:' || substr(w.value, length(w.value) - length(w.value) / 2 + 1)) ELSE json_array('x:' || w.value) END) hk ` +
    `WHERE ${c.where} AND w.key < ${MAX_NAME_WORDS} AND length(w.value) >= 2 AND w.value NOT IN (${NAME_STOP_WORDS.map(sqlText).join(", ")})`
  );
}

/** Longest metadata string value that is kept as a key (API.md §14). */
export const MAX_METADATA_KEY_VALUE = 255;

/** FROM … WHERE … of each table whose rows give keys (aliases: `c` clients, `m` contact_methods, `b` bank_accounts). */
export interface KeyRows {
  clients: { from: string; where: string };
  contactMethods: { from: string; where: string };
  bankAccounts: { from: string; where: string };
}

/** The keys of the rows `rows` selects, as (tenant_id, kind, normalized, key, client_id, child_id). */
export function keysSelectSql(rows: KeyRows): string {
  const { clients: c, contactMethods: m, bankAccounts: b } = rows;
  // D1 allows few terms in a compound SELECT: one term per table, its kinds from a json_each.
  const kind = (kinds: string[]) => `json_each('${JSON.stringify(kinds)}') kd`;
  return [
    `SELECT c.tenant_id AS tenant_id, kd.value AS kind, CASE kd.value ` +
      `WHEN 'rfc' THEN ${code("json_extract(c.scope_data, '$.MX.rfc')")} ` +
      `WHEN 'curp' THEN ${code("json_extract(c.scope_data, '$.MX.curp')")} ` +
      `ELSE c.external_id END AS normalized, NULL AS key, c.id AS client_id, NULL AS child_id FROM ${c.from}, ${kind(["rfc", "curp", "externalId"])} WHERE ${c.where}`,
    `SELECT c.tenant_id, 'metadata', md.value, md.key, c.id, NULL FROM ${c.from}, json_each(c.metadata) md WHERE ${c.where} AND md.type = 'text' AND length(md.value) <= ${MAX_METADATA_KEY_VALUE}`,
    `SELECT m.tenant_id, CASE WHEN m.type = 'email' THEN 'email' ELSE 'phone' END, ` +
      `CASE WHEN m.type = 'email' THEN ${email("m.value")} ELSE (SELECT ${phone("p.d")} FROM (SELECT ${digits("m.value")} AS d) p) END, ` +
      `NULL, m.client_id, m.id FROM ${m.from} WHERE ${m.where} AND m.type IN ('email', 'phone', 'mobile', 'fax')`,
    `SELECT b.tenant_id, kd.value, CASE kd.value WHEN 'clabe' THEN ${code("b.clabe")} ELSE ${code("b.account_number")} END, NULL, b.client_id, b.id ` +
      `FROM ${b.from}, ${kind(["clabe", "accountNumber"])} WHERE ${b.where}`,
    nameKeysSelectSql(c),
  ].join("\nUNION ALL\n");
}

/** The kinds the tenant (CTE `tenant`) rejects duplicates of: one row per kind (none without a rule). */
const REJECTED_KINDS_SQL =
  `SELECT k.value FROM duplicate_rules r, json_each('["rfc","curp","clabe"]') k WHERE r.tenant_id = (SELECT id FROM tenant) ` +
  `AND CASE k.value WHEN 'rfc' THEN r.rfc WHEN 'curp' THEN r.curp ELSE r.clabe END = 'reject'`;

/** A key's source: the client's own fields (child null) or one of its contact methods or bank accounts. */
export type KeySource = readonly [clientId: string, childId: string | null];

/**
 * The keys of `sources` as their rows are now (a source deleted has none): the CTEs `src`, `tenant`,
 * `rejected` and `fresh` (tenant_id, kind, normalized, key, client_id, child_id, exclusive).
 * `exclusive` comes from the tenant's duplicate rule as the write batch finds it (API.md §14): a
 * key of a rejected kind is exclusive, and the unique partial index client_lookup_keys_exclusive
 * refuses the batch when another live client holds it.
 */
function freshKeys(tenantId: Tenant, sources: readonly KeySource[]) {
  const select = keysSelectSql({
    clients: { from: "src JOIN clients c ON c.id = src.c", where: "src.h IS NULL AND +c.tenant_id = (SELECT id FROM tenant)" },
    contactMethods: { from: "src JOIN contact_methods m ON m.id = src.h", where: "+m.tenant_id = (SELECT id FROM tenant)" },
    bankAccounts: { from: "src JOIN bank_accounts b ON b.id = src.h", where: "+b.tenant_id = (SELECT id FROM tenant)" },
  });
  return sql`WITH src(c, h) AS (SELECT value ->> '$[0]', value ->> '$[1]' FROM json_each(${JSON.stringify(sources)})),
    tenant(id) AS (SELECT ${tenantId}),
    rejected(kind) AS (${sql.raw(REJECTED_KINDS_SQL)}),
    fresh AS MATERIALIZED (SELECT tenant_id, kind, normalized, key, client_id, child_id, kind IN (SELECT kind FROM rejected) AS exclusive
      FROM (${sql.raw(select)}) WHERE normalized IS NOT NULL AND normalized <> '')`;
}

/** The same key: kind, value, metadata key and source (`a`, `b`: aliases). */
const sameKey = (a: string, b: string) =>
  `${a}.client_id = ${b}.client_id AND ${a}.child_id IS ${b}.child_id AND ${a}.kind = ${b}.kind AND ${a}.normalized = ${b}.normalized AND ${a}.key IS ${b}.key`;

/**
 * The live keys of `sources` that their rows no longer give (all of them for a source deleted).
 * A key the rows still give is kept as it is — its `exclusive` flag too, so that a client that
 * shared an identifier before a "reject" rule can still be updated.
 */
export function deleteKeysOf(db: Db, tenantId: Tenant, sources: readonly KeySource[]): Statement {
  return db.delete(clientLookupKeys).where(sql`rowid IN (
    ${freshKeys(tenantId, sources)}
    SELECT k.rowid FROM src JOIN client_lookup_keys k INDEXED BY client_lookup_keys_source ON k.client_id = src.c AND k.child_id IS src.h
    WHERE +k.tenant_id = (SELECT id FROM tenant) AND k.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM fresh f WHERE ${sql.raw(sameKey("f", "k"))}))`);
}

/** The keys of `sources` that their rows give and that are not stored yet (runs before deleteKeysOf). */
export function insertKeysOf(db: Db, tenantId: Tenant, sources: readonly KeySource[]): Statement {
  // Columns in the table's order (tenant_id, kind, normalized, key, client_id, child_id, deleted_at, deleted_client, exclusive).
  return db.insert(clientLookupKeys).select(sql`${freshKeys(tenantId, sources)}
    SELECT f.tenant_id, f.kind, f.normalized, f.key, f.client_id, f.child_id, NULL, NULL, f.exclusive FROM fresh f
    WHERE NOT EXISTS (SELECT 1 FROM client_lookup_keys e INDEXED BY client_lookup_keys_source WHERE ${sql.raw(sameKey("e", "f"))} AND e.deleted_at IS NULL)`);
}

/** What a deleted client was, kept with its keys (lookup's includeDeleted). */
export interface DeletedClient {
  id: string;
  name: string;
  type: string;
  isPrimary: boolean;
}

/** DELETE of clients: their keys kept, marked deleted at `at`, with what each client was. */
export function markKeysDeleted(db: Db, tenantId: Tenant, deleted: readonly DeletedClient[], at: string): Statement {
  const json = JSON.stringify(deleted);
  return db
    .update(clientLookupKeys)
    .set({
      deletedAt: at,
      deletedClient: sql`(SELECT json_object('name', d.value ->> 'name', 'type', d.value ->> 'type', 'isPrimary', json(CASE WHEN d.value ->> 'isPrimary' THEN 'true' ELSE 'false' END)) FROM json_each(${json}) d WHERE d.value ->> 'id' = ${clientLookupKeys.clientId})`,
    })
    .where(sql`client_id IN (SELECT value ->> 'id' FROM json_each(${json})) AND +tenant_id = ${tenantId} AND deleted_at IS NULL`);
}
