import * as z from "zod";
import { documentOut } from "../db/mappers";
import type { DocumentRow } from "../db/schema";
import { date, FIELDS_MAX_BYTES, jsonObject, text } from "./common";
import { childItemKeys, NO_PRIMARY, type ChildKind } from "./child";

export const DOCUMENT_CATEGORIES = ["identity", "tax", "address", "incorporation", "financial", "consent", "other"] as const;
export const DOCUMENT_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"] as const;

const { isPrimary: _noPrimary, ...keys } = childItemKeys;

export const documentItem = z.strictObject({
  ...keys,
  type: text(100).optional(),
  category: z.enum(DOCUMENT_CATEGORIES).nullable().optional(),
  expiresAt: date.nullable().optional(),
  fields: jsonObject(FIELDS_MAX_BYTES).nullable().optional(),
  filename: text(255).nullable().optional(),
  contentType: z.enum(DOCUMENT_CONTENT_TYPES).nullable().optional(),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
}).meta({ id: "DocumentInput", description: "A document item (API.md §4.5). `status` is the server's." });

/** The input keys that describe an uploaded file: frozen once it is (documentKind.frozen). */
const FILE_FIELDS = ["contentType", "size"] as const;

export type DocumentItem = z.infer<typeof documentItem>;

export const documentKind: ChildKind<DocumentRow, DocumentItem> = {
  list: "documents",
  noun: "document",
  item: documentItem,
  fields: ["type", "category", "expiresAt", "externalId", "metadata", "fields", "filename", "contentType", "size"],
  newRow: (common) => ({
    ...common,
    type: "other",
    category: null,
    expiresAt: null,
    metadata: {},
    fields: {},
    filename: null,
    contentType: null,
    size: null,
    status: "pending_upload",
    sha256: null,
    uploadedAt: null,
    fileKey: null,
    verifiedAt: null,
    verifiedBy: null,
    rejectionReason: null,
    reviewedAt: null,
    reviewedBy: null,
  }),
  requiredOnCreate: [],
  nullMeans: { metadata: {}, fields: {} },
  complete: () => [],
  // Once its file is uploaded (sha256 set), a document's contentType and size are the file's: a
  // sync cannot make them say something else (API.md §15, the file is immutable).
  frozen: (stored) => (stored.sha256 !== null ? FILE_FIELDS : []),
  ...NO_PRIMARY,
  out: documentOut,
};
