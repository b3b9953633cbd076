// The SQL of a document's file (API.md §15): what an upload reads and writes, what a download reads.
import { and, eq, isNull, sql } from "drizzle-orm";
import { tenantFilter, type Db, type Read, type Statement, type Tenant } from "./database";
import { headsOf, headsStatement, tenantClientIds } from "./history";
import type { Head } from "../history/entry";
import { clients, documents, type ClientRow, type DocumentRow } from "./schema";

/** A document with its client, and the client's history head (the upload's entry follows it). */
export interface DocumentFileState {
  client: ClientRow;
  document: DocumentRow;
  heads: Map<string, Head>;
}

/** The client's document, scoped to the tenant (null for a foreign or unknown one): index seeks on ids. */
export function documentFileRead(db: Db, tenant: Tenant, clientId: string, documentId: string): Read<DocumentFileState | null> {
  return {
    statements: [
      db.select().from(clients).where(and(eq(clients.id, clientId), tenantFilter(clients.tenantId, tenant))),
      db
        .select()
        .from(documents)
        .where(and(eq(documents.id, documentId), eq(documents.clientId, clientId), tenantFilter(documents.tenantId, tenant))),
      headsStatement(db, tenantClientIds(tenant, [clientId])),
    ],
    parse: ([clientRows, documentRows, heads]) => {
      const client = (clientRows as ClientRow[])[0];
      const document = (documentRows as DocumentRow[])[0];
      return client && document ? { client, document, heads: headsOf(heads) } : null;
    },
  };
}

/** Where a download finds the file: the document's row (null for a foreign or unknown one). */
export function documentRead(db: Db, tenant: Tenant, clientId: string, documentId: string): Read<DocumentRow | null> {
  return {
    statements: [
      db
        .select()
        .from(documents)
        .where(and(eq(documents.id, documentId), eq(documents.clientId, clientId), tenantFilter(documents.tenantId, tenant))),
    ],
    parse: ([rows]) => (rows as DocumentRow[])[0] ?? null,
  };
}

export interface UploadedFile {
  size: number;
  sha256: string;
  uploadedAt: string;
  fileKey: string;
  /** The file's media type: the document's contentType (set when it declared none). */
  contentType: string;
}

/**
 * The upload's rows: the document marked uploaded (only while it has no file: a file is never
 * replaced) and its client's version moved by one (its representation changed).
 */
export function markUploaded(db: Db, tenantId: string, clientId: string, documentId: string, file: UploadedFile): Statement[] {
  return [
    db
      .update(documents)
      .set({ status: "uploaded", ...file, updatedAt: file.uploadedAt })
      .where(and(eq(documents.id, documentId), tenantFilter(documents.tenantId, tenantId), isNull(documents.sha256))),
    db
      .update(clients)
      .set({ version: sql`${clients.version} + 1` })
      .where(and(eq(clients.id, clientId), tenantFilter(clients.tenantId, tenantId))),
  ];
}
