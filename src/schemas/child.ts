// What the four child lists (addresses, contact methods, bank accounts, documents) have in common:
// an input schema, the keys an item may set, a new row's values, and rules on the merged row.
import * as z from "zod";
import type { FieldError } from "../field-errors";
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

/** What every item says besides its fields: which row it is, and whether it claims or drops it. */
export interface ChildItem {
  id?: string;
  clientId?: string;
  externalId?: string | null;
  /** Absent from kinds without a primary flag (documents). */
  isPrimary?: boolean;
  _delete?: boolean;
}

export type ListName = "addresses" | "contactMethods" | "bankAccounts" | "documents";

/**
 * The keys an item may set on a row: keys of both whose item value (null aside) fits the column,
 * so a kind cannot list a field whose item type is not its column's.
 */
export type ItemField<Row, Item> = {
  [K in keyof Row & keyof Item & string]: NonNullable<Item[K]> extends Row[K] ? K : never;
}[keyof Row & keyof Item & string];

/** One child list: `Row` is what it stores, `Item` what a request's item of it says. */
export interface ChildKind<Row extends ChildRow, Item extends ChildItem> {
  list: ListName;
  /** Singular noun for messages ("address"). */
  noun: string;
  item: z.ZodType<Item>;
  /** Keys an item may set, as stored (id, clientId, _delete and timestamps excluded). */
  fields: readonly ItemField<Row, Item>[];
  /**
   * A new row before the item's keys are applied: defaults, and "" for the keys of
   * `requiredOnCreate` (an item that lacks one is refused with `required`, so no blank is stored).
   */
  newRow(common: ChildRow): Row;
  /** Keys that must be present (non-null) when an item creates a row. */
  requiredOnCreate: readonly ItemField<Row, Item>[];
  /** Value a `null` in the item stands for, where it is not null itself (objects clear to {}). */
  nullMeans?: Partial<Row>;
  /** Rules on the merged row; may fill derived keys (e.g. a contact method's type). */
  complete(row: Row, item: Item, created: boolean, path: readonly PropertyKey[]): FieldError[];
  /**
   * Keys a stored row no longer lets an item change (a 409 `immutable` at the item's key), e.g. an
   * uploaded document's `contentType` and `size`, which describe its immutable file (API.md §15).
   */
  frozen?(stored: Row): readonly ItemField<Row, Item>[];
  /** The primary slot a primary row occupies (API.md §4.6), or null if it holds none. */
  primarySlot(row: Row): string | null;
  /** Makes a row give up its primary slot (another row of the slot takes it). */
  demote(row: Row): void;
  out(row: Row): Record<string, unknown>;
}

/** The primary slot of a kind with an `isPrimary` flag: a primary row holds `slot(row)`. */
export function primaryFlag<Row extends ChildRow & { isPrimary: boolean }>(slot: (row: Row) => string) {
  return {
    primarySlot: (row: Row) => (row.isPrimary ? slot(row) : null),
    demote: (row: Row) => {
      row.isPrimary = false;
    },
  };
}

/** A kind whose rows are never primary. */
export const NO_PRIMARY = { primarySlot: () => null, demote: () => {} };
