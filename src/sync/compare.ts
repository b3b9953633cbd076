// Equality of stored and requested values: an item identical to what is stored writes nothing.
import type { ClientRow } from "../db/schema";
import { CLIENT_FIELDS, type ClientState } from "../schemas/client";

/** Canonical JSON (sorted object keys), to compare stored and requested values. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Equal as JSON, whatever the order of object keys. */
export const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** Whether merging an input changed any of the client's own fields. */
export function clientChanged(row: ClientRow, state: ClientState): boolean {
  return CLIENT_FIELDS.some((k) => !same(row[k], state[k]));
}
