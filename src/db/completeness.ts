// The `complete` column of clients (API.md §16, migration 0011): 1 when the client's expediente is
// complete in every scope it answers to, 0 when not, NULL while unknown (a client stored before the
// migration, until the cron computes it). Written by SQL from the rows as a batch leaves them
// (compliance/sql.ts), never from what a request read, so a concurrent write cannot leave it stale.
import { sql, type SQL } from "drizzle-orm";
import { completeExpression, completeUntilExpression } from "../compliance/sql";
import type { Db, Statement } from "./database";
import { clients } from "./schema";

/** Clients the cron computes per run and environment. */
export const COMPLETENESS_CLIENTS_PER_RUN = 100;

// Built with drizzle's query builder (not db.run(sql)): raw SQL with parameters cannot go in a
// drizzle batch (drizzle-orm #2277). UPDATE … FROM a subquery that computes each target once.
function setFrom(db: Db, targets: SQL, today: string): Statement {
  const fresh = sql.raw(
    `(SELECT id, complete, CASE WHEN complete = 1 THEN until END AS until FROM (SELECT c.id AS id, ${completeExpression("c", today)} AS complete, ` +
      `${completeUntilExpression("c", today)} AS until FROM clients c WHERE `,
  );
  return db
    .update(clients)
    .set({ complete: sql.raw("n.complete"), completeUntil: sql.raw("n.until") })
    .from(sql`${fresh}${targets})) AS n`)
    .where(sql.raw("clients.id = n.id AND (clients.complete IS NOT n.complete OR clients.complete_until IS NOT n.until)"));
}

/**
 * Computes again the column of these clients and of the clients linking to them as controlling
 * beneficiary (their completeness includes the beneficiary's), writing only where it changes.
 * One statement, ids as one JSON parameter; made to end a write batch (write/runner.ts).
 */
export function recomputeCompleteness(db: Db, tenantId: string, clientIds: readonly string[], today: string): Statement {
  const ids = JSON.stringify([...new Set(clientIds)]);
  const targets = sql`+c.tenant_id = ${tenantId} AND c.id IN (SELECT value FROM json_each(${ids}) UNION SELECT l.parent_client_id FROM client_links l WHERE l.child_client_id IN (SELECT value FROM json_each(${ids})) AND +l.tenant_id = ${tenantId} AND l.relationship_type = 'controlling_beneficiary')`;
  return setFrom(db, targets, today);
}

/**
 * The cron's part: clients whose column is unknown (stored before migration 0011), then clients a
 * counted document of which has expired since it was computed (`complete_until` passed). Each
 * through its partial index, at most COMPLETENESS_CLIENTS_PER_RUN each.
 */
export function recomputeDueCompleteness(db: Db, today: string): Statement[] {
  const limit = COMPLETENESS_CLIENTS_PER_RUN;
  return [
    setFrom(db, sql`c.id IN (SELECT id FROM clients INDEXED BY clients_complete_unknown WHERE complete IS NULL LIMIT ${limit})`, today),
    setFrom(db, sql`c.id IN (SELECT id FROM clients INDEXED BY clients_complete_until WHERE complete_until IS NOT NULL AND complete_until < ${today} LIMIT ${limit})`, today),
  ];
}
