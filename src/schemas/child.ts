// What the four child lists (addresses, contact methods, bank accounts, documents) have in common:
// an input schema, the keys an item may set, defaults on create, and rules on the merged row.
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import * as z from "zod";
import type { FieldError } from "../http/errors";
import { metadata, text, uuid } from "./common";

/** Keys every child item may carry besides its own fields. */
export const childItemKeys = {
  id: uuid.optional(),
  clientId: uuid.optional(),
  externalId: text(255).nullable().optional(),
  metadata: metadata.nullable().optional(),
  isPrimary: z.boolean().optional(),
  _delete: z.boolean().optional(),
};

/** The columns every child row has. */
export interface ChildRow {
  id: string;
  tenantId: string;
  clientId: string;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ListName = "addresses" | "contactMethods" | "bankAccounts" | "documents";

export interface ChildKind<Row extends ChildRow = ChildRow> {
  list: ListName;
  /** Singular noun for messages ("address"). */
  noun: string;
  table: SQLiteTable;
  item: z.ZodType<Record<string, unknown>>;
  /** Keys an item may set, as stored (id, clientId, _delete and timestamps excluded). */
  fields: readonly (keyof Row & string)[];
  /** Values of a new row before the item's keys are applied. */
  defaults: Partial<Row>;
  /** Keys that must be present (non-null) when an item creates a row. */
  requiredOnCreate: readonly (keyof Row & string)[];
  /** Value a `null` in the item stands for, where it is not null itself (objects clear to {}). */
  nullMeans?: Partial<Record<keyof Row & string, unknown>>;
  /** Rules on the merged row; may fill derived keys (e.g. a contact method's type). */
  complete(row: Row, item: Record<string, unknown>, created: boolean, path: readonly PropertyKey[]): FieldError[];
  /** The primary slot a primary row occupies (API.md §4.6), or null if the kind has none. */
  primarySlot(row: Row): string | null;
  out(row: Row): Record<string, unknown>;
}
