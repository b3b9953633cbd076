// The write round trip of a sync: the plan as ONE D1 batch. Its first statement re-checks the
// versions the plan was made from and aborts the whole batch if any moved (no lost update).
import { and, eq, inArray, sql } from "drizzle-orm";
import { deleteRows, insertRows, updateRows } from "../db/bulk";
import { tenantFilter, type Db, type Statement } from "../db/database";
import { clientLinks, clients, contactMethods, writeGuards } from "../db/schema";
import { CLIENT_FIELDS } from "../schemas/client";
import { CHILD_KINDS } from "../schemas/kinds";
import type { Plan } from "./plan";

/** A client update sets its own fields, and moves updatedAt and the version. */
const CLIENT_UPDATE_KEYS = [...CLIENT_FIELDS, "updatedAt", "version"];

/** Inserts a row into write_guards — which its CHECK refuses — unless every version still matches. */
export function versionGuard(db: Db, tenantId: string, guards: Plan["guards"]): Statement {
  const expected = JSON.stringify(guards);
  return db
    .insert(writeGuards)
    .select(
      sql`SELECT 0 WHERE (SELECT count(*) FROM json_each(${expected}) AS j JOIN ${clients} AS c ON c.id = j.value ->> 'id' AND c.version = j.value ->> 'version' AND +c.tenant_id = ${tenantId}) <> ${guards.length}`,
    );
}

export function writeStatements(db: Db, tenantId: string, plan: Plan): Statement[] {
  const statements: Statement[] = [];
  if (plan.guards.length > 0) statements.push(versionGuard(db, tenantId, plan.guards));
  // Parents before the rows that reference them; deletes before inserts (externalIds free up).
  statements.push(...insertRows(db, clients, plan.clients.insert));
  statements.push(...updateRows(db, clients, tenantId, plan.clients.update, CLIENT_UPDATE_KEYS));
  if (plan.bumpVersion) {
    statements.push(
      db
        .update(clients)
        .set({ version: sql`${clients.version} + 1` })
        .where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, plan.clientId))),
    );
  }
  statements.push(...deleteRows(db, clientLinks, tenantId, plan.links.delete));
  for (const kind of CHILD_KINDS) statements.push(...deleteRows(db, kind.table, tenantId, plan.children[kind.list].delete));
  for (const kind of CHILD_KINDS) {
    const release = plan.children[kind.list].release;
    if (release.length === 0) continue;
    const table = kind.table as typeof contactMethods;
    statements.push(
      db
        .update(table)
        .set({ externalId: null })
        .where(and(tenantFilter(table.tenantId, tenantId), inArray(table.id, sql`(SELECT value FROM json_each(${JSON.stringify(release)}))`))),
    );
  }
  for (const kind of CHILD_KINDS) {
    const changes = plan.children[kind.list];
    statements.push(...insertRows(db, kind.table, changes.insert.map((row) => ({ ...row, tenantId }))));
    statements.push(...updateRows(db, kind.table, tenantId, changes.update, [...kind.fields, "updatedAt"]));
  }
  statements.push(...insertRows(db, clientLinks, plan.links.insert));
  statements.push(...updateRows(db, clientLinks, tenantId, plan.links.update, ["relationshipType", "metadata", "updatedAt"]));
  return statements;
}
