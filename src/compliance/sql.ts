// The completeness of a client as ONE SQL expression, generated from the same requirement rows the
// evaluator reads (./requirements.ts), so that the indexed `clients.complete` column (migration
// 0011) is computed by the write batch itself, from the rows as the batch leaves them — never from a
// read that a concurrent write could have made stale. test/compliance/complete-column.test.ts checks
// that the column equals `complete` of GET /clients/{id}/completeness over many graphs.
//
// The expression mirrors ./evaluate.ts exactly: the rows a client answers to are those of the scope
// chains of the scopes it holds (`base` when none); a beneficiary answers to the individual rows of
// the chains that hold the beneficiaries row. Every subquery finds its rows through an index on
// client_id / parent_client_id and checks the tenant (`+tenant_id`) against the client's own.
// Everything in the text is generated from our own constants: no caller value is spliced in.
import { PARENT, REQUIREMENTS, scopeChain, type Requirement, type Scope } from "./requirements";

/** The characters a blank string is made of, in the evaluator and in SQL alike. */
export const BLANK_CHARACTERS = " \t\n\r";
const SQL_BLANK = "char(32, 9, 10, 13)";

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const list = (values: readonly string[]) => `(${values.map(quote).join(", ")})`;

/** Client field (a pointer's first segment) → its column, and whether the column holds JSON. */
const COLUMNS: Record<string, { column: string; json: boolean }> = {
  name: { column: "name", json: false },
  middleName: { column: "middle_name", json: false },
  lastName: { column: "last_name", json: false },
  birthDate: { column: "birth_date", json: false },
  externalId: { column: "external_id", json: false },
  nationalities: { column: "nationalities", json: true },
  scopes: { column: "scopes", json: true },
  metadata: { column: "metadata", json: true },
  scopeData: { column: "scope_data", json: true },
  employment: { column: "employment", json: true },
};

/** `isSet` (evaluate.ts) of the client field at `pointer`, for the client row aliased `c`. */
function fieldSet(c: string, pointer: string): string {
  const [first, ...rest] = pointer.split("/").slice(1);
  const target = COLUMNS[first!];
  if (!target) throw new Error(`no column for the requirement pointer ${pointer}`);
  const column = `${c}.${target.column}`;
  if (!target.json) return `(trim(coalesce(${column}, ''), ${SQL_BLANK}) <> '')`;
  const path = quote(`$${rest.map((p) => `."${p}"`).join("")}`);
  return (
    `(CASE json_type(${column}, ${path}) WHEN 'text' THEN trim(json_extract(${column}, ${path}), ${SQL_BLANK}) <> '' ` +
    `WHEN 'array' THEN json_array_length(${column}, ${path}) > 0 WHEN 'null' THEN 0 WHEN 'false' THEN 1 WHEN 'true' THEN 1 ` +
    `ELSE json_type(${column}, ${path}) IS NOT NULL END)`
  );
}

const ofClient = (alias: string, c: string) => `${alias}.client_id = ${c}.id AND +${alias}.tenant_id = ${c}.tenant_id`;

/** The controlling-beneficiary links of `c`, with their linked client `b`. */
const beneficiaryLinks = (c: string, b: string) =>
  `client_links l_${b} JOIN clients ${b} ON ${b}.id = l_${b}.child_client_id ` +
  `WHERE l_${b}.parent_client_id = ${c}.id AND +l_${b}.tenant_id = ${c}.tenant_id AND l_${b}.relationship_type = 'controlling_beneficiary'`;

const ownershipReaches = (b: string, threshold: number) =>
  `json_type(l_${b}.metadata, '$.ownershipPercent') IN ('integer', 'real') AND json_extract(l_${b}.metadata, '$.ownershipPercent') >= ${threshold}`;

/** Whether the row `row`'s check holds for the client row `c` (documents checked against `today`). */
function checkHolds(row: Requirement, c: string, today: string, depth: number): string {
  const check = row.check;
  switch (check.kind) {
    case "field":
      return fieldSet(c, row.pointer);
    case "address":
      return `EXISTS (SELECT 1 FROM addresses a WHERE ${ofClient("a", c)})`;
    case "contact":
      return `EXISTS (SELECT 1 FROM contact_methods m WHERE ${ofClient("m", c)} AND m.type IN ${list(check.types)})`;
    case "document":
      return (
        `EXISTS (SELECT 1 FROM documents d WHERE ${ofClient("d", c)} AND d.category IN ${list(check.categories)} ` +
        `AND d.status = 'uploaded' AND (d.expires_at IS NULL OR d.expires_at >= ${quote(today)}))`
      );
    case "link":
      return `EXISTS (SELECT 1 FROM client_links k WHERE k.parent_client_id = ${c}.id AND +k.tenant_id = ${c}.tenant_id AND k.relationship_type = ${quote(check.relationshipType)})`;
    case "beneficiaries": {
      if (depth > 0) throw new Error("a beneficiary is an individual: it has no beneficiaries row");
      const b = "b";
      const qualifying = `${b}.type = 'individual' AND ${ownershipReaches(b, check.thresholdPercent)}`;
      const beneficiaryComplete = rowsComplete(c, b, today, ["individual"], scopesHolding(scopeOfRow(row)), 1);
      return (
        `(NOT EXISTS (SELECT 1 FROM ${beneficiaryLinks(c, b)} AND ${b}.type <> 'individual') ` +
        `AND EXISTS (SELECT 1 FROM ${beneficiaryLinks(c, b)} AND ${qualifying}) ` +
        `AND NOT EXISTS (SELECT 1 FROM ${beneficiaryLinks(c, b)} AND ${qualifying} AND NOT ${beneficiaryComplete}))`
      );
    }
  }
}

/** The scope a row belongs to. */
function scopeOfRow(row: Requirement): Scope {
  for (const scope of Object.keys(REQUIREMENTS) as Scope[]) if (REQUIREMENTS[scope].includes(row)) return scope;
  throw new Error(`row ${row.id} is in no scope`);
}

const ALL_SCOPES = Object.keys(PARENT) as Scope[];

/** The scopes whose chain holds `scope` (a client holding one of them answers to its rows). */
function scopesHolding(scope: Scope): Scope[] {
  return ALL_SCOPES.filter((s) => scopeChain(s).includes(scope));
}

/**
 * Whether the subject row `s` meets every row that applies to it, a row applying when the scope
 * holder `h` holds a scope (among `within`) whose chain has the row's scope, and `s`'s type is one
 * the row applies to (among `types`).
 */
function rowsComplete(h: string, s: string, today: string, types: readonly string[], within: readonly Scope[], depth: number): string {
  const terms: string[] = [];
  for (const scope of ALL_SCOPES) {
    for (const row of REQUIREMENTS[scope]) {
      const rowTypes = row.appliesTo.filter((t) => types.includes(t));
      if (rowTypes.length === 0) continue;
      const holders = scopesHolding(scope).filter((x) => within.includes(x));
      if (holders.length === 0) continue;
      // A client holding no scope answers to base (at the top level only: a beneficiary's rows come from its holder's scopes).
      const noScopes = scope === "base" && depth === 0 ? ` OR json_array_length(${h}.scopes) = 0` : "";
      const held = `(EXISTS (SELECT 1 FROM json_each(${h}.scopes) WHERE value IN ${list(holders)})${noScopes})`;
      const typed = rowTypes.length === 3 ? "1" : `${s}.type IN ${list(rowTypes)}`;
      const national = row.onlyMexicanNationals ? ` AND EXISTS (SELECT 1 FROM json_each(${s}.nationalities) WHERE value = 'MX')` : "";
      terms.push(`(NOT (${typed} AND ${held}${national}) OR ${checkHolds(row, s, today, depth)})`);
    }
  }
  return terms.length === 0 ? "1" : `(${terms.join(" AND ")})`;
}

/** 1 when the client row aliased `c` is complete in every scope it answers to on `today` (YYYY-MM-DD), else 0. */
export function completeExpression(c: string, today: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new Error(`not a date: ${today}`);
  return `(CASE WHEN ${rowsComplete(c, c, today, ["individual", "company", "trust"], ALL_SCOPES, 0)} THEN 1 ELSE 0 END)`;
}

/**
 * The first date on which a document that may count for the client (its own, or a controlling
 * beneficiary's: uploaded, expiring on or after `today`) expires: from then its completeness may
 * change without any write, so the cron computes it again (db/completeness.ts). An early date
 * only costs one more computation; null when none expires.
 */
export function completeUntilExpression(c: string, today: string): string {
  return (
    `(SELECT min(d.expires_at) FROM documents d WHERE d.status = 'uploaded' AND d.expires_at >= ${quote(today)} AND +d.tenant_id = ${c}.tenant_id ` +
    `AND d.client_id IN (SELECT ${c}.id UNION ALL SELECT l.child_client_id FROM client_links l WHERE l.parent_client_id = ${c}.id ` +
    `AND +l.tenant_id = ${c}.tenant_id AND l.relationship_type = 'controlling_beneficiary'))`
  );
}

/** The fields of each entity whose change can change a completeness (what the requirement rows and the expression read). */
const RELEVANT_FIELDS: Readonly<Record<string, ReadonlySet<string> | "any">> = {
  client: new Set(["type", "name", "middleName", "lastName", "birthDate", "externalId", "nationalities", "scopes", "metadata", "scopeData", "employment"]),
  address: "any",
  contactMethod: new Set(["type"]),
  document: new Set(["category", "status", "expiresAt"]),
  link: new Set(["relationshipType", "metadata", "childClientId"]),
  bankAccount: new Set(),
};

/**
 * Whether a recorded change can change a client's completeness (or a client it is a beneficiary
 * of): a record created or deleted that the rows read, or a field they read updated. A change of a
 * bank account, or of a version alone, cannot: the write then spares the statement.
 */
export function affectsCompleteness(change: { entity: string; action: string; fields: Record<string, unknown> }): boolean {
  const relevant = RELEVANT_FIELDS[change.entity];
  if (relevant === undefined || relevant === "any") return true;
  if (change.entity === "client" && change.action !== "updated") return true;
  if (relevant.size === 0) return false;
  if (change.action !== "updated") return true;
  return Object.keys(change.fields).some((f) => relevant.has(f));
}
