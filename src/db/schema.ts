// The D1 schema (one copy per environment database). drizzle-kit generates the migrations from it.
//
// Every row carries its tenant, and every query the API makes is scoped by it. Foreign keys have no
// ON DELETE action on purpose: KYC records are deleted explicitly, never by a cascade (a table rebuild
// in a migration would otherwise delete children silently on D1).
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

type JsonObject = Record<string, unknown>;

const timestamps = {
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
};

export const clients = sqliteTable(
  "clients",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    type: text("type").notNull(),
    name: text("name").notNull(),
    middleName: text("middle_name"),
    lastName: text("last_name"),
    isPrimary: integer("is_primary", { mode: "boolean" }).notNull(),
    nationalities: text("nationalities", { mode: "json" }).$type<string[]>().notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    externalId: text("external_id"),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull(),
    birthDate: text("birth_date"),
    scopeData: text("scope_data", { mode: "json" }).$type<JsonObject>().notNull(),
    employment: text("employment", { mode: "json" }).$type<JsonObject>(),
    // Bumped by every write to the client's graph; the sync's write batch checks it (no lost update).
    version: integer("version").notNull(),
    ...timestamps,
    // API.md §16 (migration 0011): 1 when the expediente is complete in every scope, 0 when not, NULL
    // while unknown; computed in SQL by every write batch that changes the client or a beneficiary
    // of it (db/completeness.ts). Never shown in an answer: GET /clients?complete= filters on it.
    complete: integer("complete", { mode: "boolean" }),
    // When complete: the first expiry date of a document that may count (the cron computes it again then).
    completeUntil: text("complete_until"),
  },
  (t) => [
    uniqueIndex("clients_tenant_external_id").on(t.tenantId, t.externalId),
    index("clients_tenant_created").on(t.tenantId, t.createdAt, t.id),
    index("clients_tenant_complete_created").on(t.tenantId, t.complete, t.createdAt, t.id),
    index("clients_complete_unknown").on(t.id).where(sql`${t.complete} IS NULL`),
    index("clients_complete_until").on(t.completeUntil).where(sql`${t.completeUntil} IS NOT NULL`),
  ],
);

export const addresses = sqliteTable(
  "addresses",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => clients.id),
    type: text("type").notNull(),
    isPrimary: integer("is_primary", { mode: "boolean" }).notNull(),
    street: text("street").notNull(),
    city: text("city").notNull(),
    state: text("state").notNull(),
    postalCode: text("postal_code").notNull(),
    country: text("country"),
    externalId: text("external_id"),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull(),
    scopeData: text("scope_data", { mode: "json" }).$type<JsonObject>().notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("addresses_tenant_external_id").on(t.tenantId, t.externalId),
    index("addresses_client").on(t.clientId, t.createdAt, t.id),
  ],
);

export const contactMethods = sqliteTable(
  "contact_methods",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => clients.id),
    type: text("type").notNull(),
    value: text("value").notNull(),
    isPrimary: integer("is_primary", { mode: "boolean" }).notNull(),
    label: text("label"),
    externalId: text("external_id"),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull(),
    isVerified: integer("is_verified", { mode: "boolean" }).notNull(),
    verifiedAt: text("verified_at"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("contact_methods_tenant_external_id").on(t.tenantId, t.externalId),
    index("contact_methods_client").on(t.clientId, t.createdAt, t.id),
  ],
);

export const bankAccounts = sqliteTable(
  "bank_accounts",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => clients.id),
    accountNumber: text("account_number").notNull(),
    bankName: text("bank_name").notNull(),
    bankCode: text("bank_code"),
    country: text("country").notNull(),
    currency: text("currency").notNull(),
    type: text("type").notNull(),
    isPrimary: integer("is_primary", { mode: "boolean" }).notNull(),
    isActive: integer("is_active", { mode: "boolean" }).notNull(),
    label: text("label"),
    externalId: text("external_id"),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull(),
    clabe: text("clabe"),
    codigoBanco: text("codigo_banco"),
    codigoPlaza: text("codigo_plaza"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("bank_accounts_tenant_external_id").on(t.tenantId, t.externalId),
    index("bank_accounts_client").on(t.clientId, t.createdAt, t.id),
  ],
);

export const documents = sqliteTable(
  "documents",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => clients.id),
    type: text("type").notNull(),
    category: text("category"),
    expiresAt: text("expires_at"),
    externalId: text("external_id"),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull(),
    fields: text("fields", { mode: "json" }).$type<JsonObject>().notNull(),
    filename: text("filename"),
    contentType: text("content_type"),
    size: integer("size"),
    status: text("status").notNull(),
    // API.md §15: set by the upload of the document's file (null until then).
    sha256: text("sha256"),
    uploadedAt: text("uploaded_at"),
    // The R2 object key of the file (files/<tenant>/<client>/<document>/<upload id>); never shown.
    fileKey: text("file_key"),
    verifiedAt: text("verified_at"),
    verifiedBy: text("verified_by"),
    rejectionReason: text("rejection_reason"),
    reviewedAt: text("reviewed_at"),
    reviewedBy: text("reviewed_by"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("documents_tenant_external_id").on(t.tenantId, t.externalId),
    index("documents_client").on(t.clientId, t.createdAt, t.id),
  ],
);

export const clientLinks = sqliteTable(
  "client_links",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    parentClientId: text("parent_client_id")
      .notNull()
      .references(() => clients.id),
    childClientId: text("child_client_id")
      .notNull()
      .references(() => clients.id),
    relationshipType: text("relationship_type"),
    metadata: text("metadata", { mode: "json" }).$type<JsonObject>().notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("client_links_parent_child").on(t.parentClientId, t.childClientId),
    index("client_links_child").on(t.childClientId),
    check("client_links_not_self", sql`${t.parentClientId} <> ${t.childClientId}`),
  ],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name"),
    // Display prefix (e.g. "sk_test_AbCd1234"): enough to recognise and revoke a key, useless to use it.
    prefix: text("prefix").notNull(),
    // SHA-256 of the whole key, hex. The plaintext is never stored.
    keyHash: text("key_hash").notNull(),
    permissions: text("permissions", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
    // The shard the key's tenant moved to (API.md §17, scripts/lib/tenant-move.ts), on the copy the
    // source shard keeps: a request that finds it is followed there. NULL on the tenant's own shard.
    movedTo: integer("moved_to"),
  },
  (t) => [uniqueIndex("api_keys_key_hash").on(t.keyHash), uniqueIndex("api_keys_prefix").on(t.prefix)],
);

// Idempotency-Key records (API.md §8), written in the same batch as the writes they describe. An
// answer is stored in parts of at most 1.9 MB of UTF-8 (D1 binds no value over 2 MB; a maximal
// sync's answer is about 10 MB); part 0 carries the status, the headers and the number of parts,
// so that a record missing any part is seen as incomplete, never replayed.
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    part: integer("part").notNull().default(0),
    /** On part 0: how many parts the record has (null on the others, and on incomplete legacy rows). */
    parts: integer("parts"),
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    body: text("body").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("idempotency_keys_tenant_key_part").on(t.tenantId, t.key, t.part),
    index("idempotency_keys_created").on(t.createdAt),
  ],
);

// The compliance record (API.md §11): one entry per client per change, appended by the same D1
// batch as the change. The entry (its JSON without `hash`) is stored gzip-compressed, base64; an
// entry whose compressed body exceeds what one row may hold (D1: 2 MB) continues in parts 1, 2, …
// (only the huge ones: a maximal sync of incompressible text). Part 0 carries everything a query
// needs. Rows are never updated; only `npm run purge` deletes them, past retention. Two rows written
// per entry (the table and its primary key), three for a deletion (the partial index that purge reads).
export const clientHistory = sqliteTable(
  "client_history",
  {
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id").notNull(),
    sequence: integer("sequence").notNull(),
    part: integer("part").notNull(),
    /** On part 0: how many parts the entry's body has. */
    parts: integer("parts"),
    /** On part 0: when the change was made (ISO 8601 UTC, ms), as in the entry. */
    at: text("at"),
    /** On part 0: batch | sync | delete, as in the entry. */
    operation: text("operation"),
    /** On part 0: the entry's hash (hex SHA-256 of previousHash + its canonical JSON). */
    hash: text("hash"),
    /** On part 0: JSON list of the clients that the entry's link changes point to (as-of reads their history), or null. */
    linked: text("linked"),
    /** This part's slice of the base64 of the gzip of the entry's JSON without `hash`. */
    body: text("body").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.clientId, t.sequence, t.part] }),
    // Purge finds deleted clients past retention through this, and only deletions write to it.
    index("client_history_deletions").on(t.at).where(sql`${t.operation} = 'delete'`),
  ],
);

// Webhook endpoints of a tenant (API.md §12). The outbox below is written only when the tenant has one.
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON list of event types it receives. */
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    /**
     * The signing secret, sealed: `v1.<keyId>.<iv>.<ciphertext>` (AES-GCM, events/secret-box.ts). A
     * row written before migration 0005 holds the plain `whsec_…` until `npm run webhook-secrets --
     * encrypt` seals it (read as plain meanwhile).
     */
    secret: text("secret").notNull(),
    createdAt: text("created_at").notNull(),
    /** The key id `secret` is sealed under (the one inside it); null while it is plain. */
    secretKeyId: text("secret_key_id"),
  },
  (t) => [index("webhook_endpoints_tenant").on(t.tenantId, t.createdAt, t.id)],
);

// The transactional outbox (API.md §12): one row per history entry of a tenant with webhook
// endpoints, written by the same batch as the entry. `queuedAt` is set once the event was handed to
// the Queue; the cron sweep sends the rows still null after a while.
export const eventOutbox = sqliteTable(
  "event_outbox",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id").notNull(),
    sequence: integer("sequence").notNull(),
    type: text("type").notNull(),
    createdAt: text("created_at").notNull(),
    queuedAt: text("queued_at"),
  },
  (t) => [
    index("event_outbox_unqueued").on(t.createdAt).where(sql`${t.queuedAt} IS NULL`),
    index("event_outbox_client").on(t.clientId, t.sequence),
  ],
);

// Delivery state of one event to one endpoint (API.md §12), made when the event is fanned out:
// `pending` until a 2xx (`delivered`), the last scheduled attempt failed (`dead`: dead-lettered), or
// the endpoint was deleted (`cancelled`). Per endpoint and client, only the pending row of lowest
// sequence is attempted (events of one client in order); `nextAttemptAt` is when it is due (null for
// a row waiting behind an earlier one of its client), and the sweep re-sends a due row whose message
// was lost.
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id").notNull(),
    sequence: integer("sequence").notNull(),
    state: text("state", { enum: ["pending", "delivered", "dead", "cancelled"] }).notNull(),
    /** Attempts made so far (redeliveries not counted). */
    attempts: integer("attempts").notNull(),
    nextAttemptAt: text("next_attempt_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.endpointId, t.eventId] }),
    index("webhook_deliveries_pending").on(t.endpointId, t.clientId, t.sequence).where(sql`${t.state} = 'pending'`),
    index("webhook_deliveries_due").on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
  ],
);

// The delivery log (GET /webhook-endpoints/{id}/deliveries): one row per HTTP attempt, kept with
// its outcome; newest first by (attempted_at, id).
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    eventId: text("event_id").notNull(),
    /** 1, 2, 3… per delivery; null for a redelivery on request. */
    attempt: integer("attempt"),
    attemptedAt: text("attempted_at").notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    /** When it is tried again; null after a success, a redelivery, or the last attempt. */
    nextRetryAt: text("next_retry_at"),
    deadLettered: integer("dead_lettered", { mode: "boolean" }).notNull(),
  },
  (t) => [index("webhook_attempts_endpoint").on(t.endpointId, t.attemptedAt, t.id)],
);

// Lookup keys (API.md §14): each identifier of a client graph, normalized (src/lookup/normalize.ts
// and db/lookup-keys.ts say how), written by the same D1 batch as the change (write/runner.ts).
// `child_id` is the contact method or bank account it comes from, null for the client's own fields;
// `key` is the metadata key of a `metadata` identifier. A deleted client's keys stay, with
// `deleted_at` set (lookup's includeDeleted); a changed or removed identifier's key is removed.
export const clientLookupKeys = sqliteTable(
  "client_lookup_keys",
  {
    tenantId: text("tenant_id").notNull(),
    kind: text("kind").notNull(),
    normalized: text("normalized").notNull(),
    key: text("key"),
    clientId: text("client_id").notNull(),
    childId: text("child_id"),
    deletedAt: text("deleted_at"),
    /** What a deleted client was ({name, type, isPrimary}), for lookup's includeDeleted: set with deleted_at. */
    deletedClient: text("deleted_client", { mode: "json" }).$type<{ name: string; type: string; isPrimary: boolean }>(),
    /**
     * 1 for a key of a kind the tenant's duplicate rule rejects (migration 0009): the partial unique
     * index below then admits one live client per identifier. Set by the keys' INSERT from
     * duplicate_rules, and by PUT /settings/duplicates for the keys already stored.
     */
    exclusive: integer("exclusive").notNull().default(0),
  },
  (t) => [
    index("client_lookup_keys_lookup").on(t.tenantId, t.kind, t.normalized),
    index("client_lookup_keys_source").on(t.clientId, t.childId),
    uniqueIndex("client_lookup_keys_exclusive")
      .on(t.tenantId, t.kind, t.normalized)
      .where(sql`deleted_at IS NULL AND exclusive = 1`),
  ],
);

// Duplicate rules (API.md §14): per tenant of the environment's database, "allow" or "reject" for
// RFC, CURP and CLABE. No row: all "allow".
export const duplicateRules = sqliteTable("duplicate_rules", {
  tenantId: text("tenant_id").primaryKey(),
  rfc: text("rfc").notNull().default("allow"),
  curp: text("curp").notNull().default("allow"),
  clabe: text("clabe").notNull().default("allow"),
  updatedAt: text("updated_at").notNull(),
});

// Holds no rows. A write batch inserts into it only when a precondition fails, and the CHECK then
// aborts the whole batch: D1 has no interactive transactions, so this is how a batch says "stale".
export const writeGuards = sqliteTable(
  "write_guards",
  { ok: integer("ok").notNull() },
  (t) => [check("stale_graph", sql`${t.ok} = 1`)],
);

// A tenant's move to another shard in progress (API.md §17, scripts/lib/tenant-move.ts), on the
// shard it leaves: one row while the move runs.
export const tenantMoves = sqliteTable("tenant_moves", {
  tenantId: text("tenant_id").primaryKey(),
  toShard: integer("to_shard").notNull(),
  startedAt: text("started_at").notNull(),
});

// API.md §15: one row per R2 object an upload is about to put (key = the object's key), written
// before the put and deleted by the batch that commits the upload. A row left older than 15 minutes
// is an attempt that never committed: the cron sweep claims it (swept_at), deletes its object, then
// the row (src/files/attempts.ts). The upload's batch commits only while its row is unclaimed.
export const uploadAttempts = sqliteTable(
  "upload_attempts",
  {
    key: text("key").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id").notNull(),
    documentId: text("document_id").notNull(),
    at: text("at").notNull(),
    sweptAt: text("swept_at"),
    // A presigned upload's declaration (null for a PUT …/file): what POST …/file/complete checks.
    size: integer("size"),
    sha256: text("sha256"),
    contentType: text("content_type"),
  },
  (t) => [index("upload_attempts_at").on(t.at)],
);

export type ClientRow = typeof clients.$inferSelect;
export type AddressRow = typeof addresses.$inferSelect;
export type ContactMethodRow = typeof contactMethods.$inferSelect;
export type BankAccountRow = typeof bankAccounts.$inferSelect;
export type DocumentRow = typeof documents.$inferSelect;
export type ClientLinkRow = typeof clientLinks.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
// The clients a database held before history was kept (migration 0008 lists them: those without an
// entry), each waiting for its creation entry, which the cron's backfill writes and then removes the
// row (src/write/backfill.ts). Empty once drained; new clients never enter it.
export const historyBackfill = sqliteTable("history_backfill", {
  clientId: text("client_id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
});

export type ClientHistoryRow = typeof clientHistory.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type EventOutboxRow = typeof eventOutbox.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
export type ClientLookupKeyRow = typeof clientLookupKeys.$inferSelect;
