// Webhook endpoints (API.md §12): a tenant's own, found by id (its primary key) with the tenant as a
// check, or listed by the tenant index.
import { and, asc, eq, sql } from "drizzle-orm";
import { insertRows } from "./bulk";
import { tenantFilter, type Db, type Tenant } from "./database";
import { webhookEndpoints, type WebhookEndpointRow } from "./schema";

export type { WebhookEndpointRow };

/** Endpoints per tenant and environment: every event is fanned out to each of them. */
export const MAX_ENDPOINTS_PER_TENANT = 20;

/** Inserts the endpoint unless the tenant already has the maximum; returns its id when inserted. */
export function insertEndpoint(db: Db, row: WebhookEndpointRow) {
  const underCap = sql`(SELECT count(*) FROM webhook_endpoints e WHERE e.tenant_id = ${row.tenantId}) < ${MAX_ENDPOINTS_PER_TENANT}`;
  return insertRows(db, webhookEndpoints, [row], { where: underCap, returning: { id: webhookEndpoints.id } })[0]!;
}

/** The tenant's endpoints, oldest first. */
export function endpointsOf(db: Db, tenant: Tenant) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.tenantId, tenant))
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}

/** The endpoint with this id, if it is the tenant's. */
export function endpointOf(db: Db, tenant: Tenant, id: string) {
  return db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), tenantFilter(webhookEndpoints.tenantId, tenant)));
}

/** Deletes the tenant's endpoint; returns its id when there was one. */
export function deleteEndpoint(db: Db, tenant: Tenant, id: string) {
  return db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), tenantFilter(webhookEndpoints.tenantId, tenant)))
    .returning({ id: webhookEndpoints.id });
}

/** An endpoint by id, for the consumer (its message names it; the tenant comes with the row). */
export function endpointById(db: Db, id: string) {
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
}

/** The ids of the tenant's endpoints that existed when an event was made (it is fanned out to those). */
export function endpointIdsAt(db: Db, tenantId: string, at: string) {
  return db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), sql`${webhookEndpoints.createdAt} <= ${at}`));
}
