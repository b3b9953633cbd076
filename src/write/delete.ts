// DELETE /clients/{id}: the client, its children and every link touching it, in one batch.
// Clients it was linked to stay; their graphs changed, so their versions move.
import { and, eq, inArray, or, sql } from "drizzle-orm";
import { runBatch, tenantFilter } from "../db/database";
import { addresses, bankAccounts, clientLinks, clients, contactMethods, documents } from "../db/schema";
import type { ApiRequest } from "../http/context";
import { notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { clientIdParam } from "../routes/clients.get";

export async function deleteClient(request: ApiRequest) {
  const id = clientIdParam(request);
  const { db, tenantId } = request;
  const ofClient = (table: typeof addresses | typeof contactMethods | typeof bankAccounts | typeof documents) =>
    db.delete(table).where(and(tenantFilter(table.tenantId, tenantId), eq(table.clientId, id)));
  const parents = db
    .select({ id: clientLinks.parentClientId })
    .from(clientLinks)
    .where(and(tenantFilter(clientLinks.tenantId, tenantId), eq(clientLinks.childClientId, id)));
  const results = await runBatch(db, [
    db
      .update(clients)
      .set({ version: sql`${clients.version} + 1` })
      .where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, parents))),
    db
      .delete(clientLinks)
      .where(and(tenantFilter(clientLinks.tenantId, tenantId), or(eq(clientLinks.parentClientId, id), eq(clientLinks.childClientId, id)))),
    ofClient(addresses),
    ofClient(contactMethods),
    ofClient(bankAccounts),
    ofClient(documents),
    db.delete(clients).where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, id))),
  ]);
  const deleted = (results.at(-1) as D1Result).meta.changes;
  if (deleted === 0) throw notFound(`Client ${id} not found`);
  return json({ id, deleted: true });
}
