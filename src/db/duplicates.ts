// Duplicate rules (API.md §14): the tenant's rule, and who else holds the identifiers a write
// brings. The guarantee is not here but in the database: under "reject" the keys' INSERT
// (db/lookup-keys.ts insertKeysOf) writes the keys of rejected kinds `exclusive`, and the unique
// partial index client_lookup_keys_exclusive refuses a second live one in the write's own batch.
// What is read here only names the clash (and warns under "allow").
import { sql } from "drizzle-orm";
import type { Db, Read, Statement, Tenant } from "./database";
import { clientLookupKeys, duplicateRules } from "./schema";

export const RULED_KINDS = ["rfc", "curp", "clabe"] as const;
export type RuledKind = (typeof RULED_KINDS)[number];
export type RuleValue = "allow" | "reject";
export type DuplicateRule = Record<RuledKind, RuleValue>;

export const DEFAULT_RULE: DuplicateRule = { rfc: "allow", curp: "allow", clabe: "allow" };

/** Other live clients that hold any identifier at most this many are read per identifier (one is named). */
const HOLDERS_READ = 2;

/** The tenant's rule (the default without a row). */
export function ruleRead(db: Db, tenant: Tenant): Read<DuplicateRule> {
  const statement = db
    .select({ rfc: duplicateRules.rfc, curp: duplicateRules.curp, clabe: duplicateRules.clabe })
    .from(duplicateRules)
    .where(sql`${duplicateRules.tenantId} = ${tenant}`);
  return {
    statements: [statement],
    parse: ([rows]) => ((rows as DuplicateRule[])[0] ? { ...(rows as DuplicateRule[])[0]! } : { ...DEFAULT_RULE }),
  };
}

/**
 * PUT /settings/duplicates as one batch: the rule stored, and the keys already stored made to
 * follow it — for a kind now rejected, one live key per value (the oldest) is made exclusive, so
 * that a new one clashes with it (values that several clients held before stay with them: the
 * rule refuses new duplicates, it does not undo old ones); for a kind now allowed, none is.
 * Each UPDATE reads the tenant's keys of that kind (the lookup index, in order): a settings
 * change costs rows read in proportion to them, once.
 */
export function putRule(db: Db, tenantId: string, rule: DuplicateRule, at: string): Statement[] {
  const upsert = db
    .insert(duplicateRules)
    .values({ tenantId, ...rule, updatedAt: at })
    .onConflictDoUpdate({ target: duplicateRules.tenantId, set: { ...rule, updatedAt: at } });
  const follow = RULED_KINDS.map((kind) =>
    rule[kind] === "reject"
      ? db
          .update(clientLookupKeys)
          .set({ exclusive: 1 })
          .where(
            sql`rowid IN (SELECT min(rowid) FROM ${clientLookupKeys} INDEXED BY client_lookup_keys_lookup WHERE tenant_id = ${tenantId} AND kind = ${kind}
              AND deleted_at IS NULL GROUP BY normalized HAVING max(exclusive) = 0)`,
          )
      : db.update(clientLookupKeys).set({ exclusive: 0 }).where(sql`tenant_id = ${tenantId} AND kind = ${kind} AND exclusive = 1`),
  );
  return [upsert, ...follow];
}

/** One identifier a write brings: its place in the request, kind, and normalized value. */
export interface BroughtIdentifier {
  pointer: string;
  kind: RuledKind;
  normalized: string;
}

export interface DuplicatesState {
  /** The kinds the tenant rejects duplicates of. */
  rejected: ReadonlySet<RuledKind>;
  /** Per identifier (by index in the list read): up to HOLDERS_READ distinct live clients holding it. */
  holders: ReadonlyMap<number, readonly string[]>;
}

const NO_DUPLICATES: DuplicatesState = { rejected: new Set(), holders: new Map() };

/**
 * Who holds each identifier, and the tenant's rule, in ONE statement (joined to the write's read
 * round trip; none when the request brings no identifier): per identifier, an index seek on
 * (tenant_id, kind, normalized) reading at most HOLDERS_READ clients.
 */
export function duplicatesRead(db: Db, tenant: Tenant, identifiers: readonly BroughtIdentifier[]): Read<DuplicatesState> {
  if (identifiers.length === 0) return { statements: [], parse: () => NO_DUPLICATES };
  const json = JSON.stringify(identifiers.map((q) => ({ k: q.kind, n: q.normalized })));
  const statement = db
    .select({
      index: sql<number>`q.key`,
      holders: sql<string>`(SELECT json_group_array(h.client_id) FROM (SELECT DISTINCT k.client_id FROM ${clientLookupKeys} k INDEXED BY client_lookup_keys_lookup
        WHERE k.tenant_id = ${tenant} AND k.kind = q.value ->> 'k' AND k.normalized = q.value ->> 'n' AND k.deleted_at IS NULL LIMIT ${HOLDERS_READ}) h)`,
      rule: sql<string | null>`(SELECT json_array(r.rfc, r.curp, r.clabe) FROM ${duplicateRules} r WHERE r.tenant_id = ${tenant})`,
    })
    .from(sql`json_each(${json}) q`);
  return {
    statements: [statement],
    parse: ([rows]) => {
      const list = rows as { index: number; holders: string; rule: string | null }[];
      const values = list[0]?.rule ? (JSON.parse(list[0].rule) as RuleValue[]) : [];
      const rejected = new Set(RULED_KINDS.filter((_, i) => values[i] === "reject"));
      return { rejected, holders: new Map(list.map((r) => [Number(r.index), JSON.parse(r.holders) as string[]])) };
    },
  };
}
