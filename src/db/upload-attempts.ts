// The SQL of upload attempts (API.md §15; migration 0010): an attempt's row is written before its
// R2 put and deleted by the batch that commits the upload; the cron sweep reads the rows left
// behind (index upload_attempts_at), claims them, removes their objects, then the rows.
import { eq, inArray, sql } from "drizzle-orm";
import { tenantFilter, type Db, type Read, type Statement, type Tenant } from "./database";
import { uploadAttempts, writeGuards } from "./schema";

export type UploadAttemptRow = typeof uploadAttempts.$inferSelect;

/** The attempt's row, written (and committed) before a byte of its object is put. */
export function insertAttempt(db: Db, row: Pick<UploadAttemptRow, "key" | "tenantId" | "clientId" | "documentId" | "at"> & Partial<UploadAttemptRow>): Statement {
  return db.insert(uploadAttempts).values({ sweptAt: null, ...row });
}

/** The attempt's row (by its primary key), to tell whether the sweep claimed it meanwhile. */
export function attemptRead(db: Db, key: string): Read<UploadAttemptRow | null> {
  return {
    statements: [db.select().from(uploadAttempts).where(eq(uploadAttempts.key, key))],
    parse: ([rows]) => (rows as UploadAttemptRow[])[0] ?? null,
  };
}

/**
 * An upload's attempt by the parts of its key (files/<tenant>/<client>/<document>/<upload id>), for a
 * route's first read, where the tenant is still the API key's subquery: by its primary key.
 */
export function documentAttemptRead(db: Db, tenant: Tenant, clientId: string, documentId: string, uploadId: string): Read<UploadAttemptRow | null> {
  const rest = `/${clientId}/${documentId}/${uploadId}`;
  return {
    statements: [db.select().from(uploadAttempts).where(sql`${uploadAttempts.key} = ('files/' || ${tenant} || ${rest}) AND ${tenantFilter(uploadAttempts.tenantId, tenant)}`)],
    parse: ([rows]) => (rows as UploadAttemptRow[])[0] ?? null,
  };
}

/**
 * A guard of the upload's batch (db/guards.ts's write_guards): the batch fails, whole, unless the
 * attempt's row is still there and unclaimed — a swept attempt's object is being (or was) deleted.
 */
export function attemptOpenGuard(db: Db, key: string): Statement {
  return db
    .insert(writeGuards)
    .select(sql`SELECT 0 AS ok WHERE NOT EXISTS (SELECT 1 FROM upload_attempts AS a WHERE a.key = ${key} AND a.swept_at IS NULL)`);
}

/** Deletes attempts' rows by key (their primary key): one JSON parameter. */
export function deleteAttempts(db: Db, keys: readonly string[]): Statement {
  return db.delete(uploadAttempts).where(inArray(uploadAttempts.key, sql`(SELECT value FROM json_each(${JSON.stringify(keys)}))`));
}

/** The oldest attempts written before `before`, at most `limit` (index upload_attempts_at). */
const staleKeys = (before: string, limit: number) =>
  sql`(SELECT a.key FROM upload_attempts AS a WHERE a.at < ${before} ORDER BY a.at LIMIT ${limit})`;

const isCommitted = sql`EXISTS (SELECT 1 FROM documents AS d WHERE d.id = upload_attempts.document_id AND d.file_key = upload_attempts.key)`;

/**
 * The sweep's statements, in one batch: stale rows of attempts that DID commit (their object is
 * the document's file: only the row goes), then the others claimed (swept_at; from now on they
 * cannot commit: attemptOpenGuard) and returned, their objects to delete.
 */
export function sweepAttemptStatements(db: Db, before: string, now: string, limit: number): [Statement, Statement] {
  return [
    db.delete(uploadAttempts).where(sql`${uploadAttempts.key} IN ${staleKeys(before, limit)} AND ${isCommitted}`),
    db
      .update(uploadAttempts)
      .set({ sweptAt: sql`coalesce(${uploadAttempts.sweptAt}, ${now})` })
      .where(sql`${uploadAttempts.key} IN ${staleKeys(before, limit)} AND NOT ${isCommitted}`)
      .returning({ key: uploadAttempts.key }),
  ];
}

/** Claimed attempts whose object could not be deleted (a bucket lock): tried again once `at` is old enough. */
export function postponeAttempts(db: Db, keys: readonly string[], now: string): Statement {
  return db.update(uploadAttempts).set({ at: now }).where(inArray(uploadAttempts.key, sql`(SELECT value FROM json_each(${JSON.stringify(keys)}))`));
}

/** Of these keys, those that are attempts' rows (not committed: a committed upload's row is gone). */
export function attemptKeysAmong(db: Db, keys: readonly string[]): Read<Set<string>> {
  return {
    statements: [
      db.select({ key: uploadAttempts.key }).from(uploadAttempts).where(inArray(uploadAttempts.key, sql`(SELECT value FROM json_each(${JSON.stringify(keys)}))`)),
    ],
    parse: ([rows]) => new Set((rows as { key: string }[]).map((r) => r.key)),
  };
}
