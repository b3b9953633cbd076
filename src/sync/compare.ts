// Equality of stored and requested values: an item identical to what is stored writes nothing.
import type { ClientRow } from "../db/schema";
import { CLIENT_FIELDS, type ClientState } from "../schemas/client";
import { stringifiesSorted } from "../encoding";

/**
 * Canonical JSON (sorted object keys; an undefined member or item written as null), to compare
 * stored and requested values. A value already in key order at every level, with no undefined
 * member, is written by JSON.stringify itself (`stringifiesSorted`: the same text).
 */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (stringifiesSorted(value, false)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonical(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) out += `${i > 0 ? "," : ""}${JSON.stringify(keys[i])}:${canonical(object[keys[i]!])}`;
  return `${out}}`;
}

const isObject = (value: unknown): value is object => value !== null && typeof value === "object";

/**
 * Equal as JSON, whatever the order of object keys: `canonical(a) === canonical(b)`, without
 * writing either when the answer is plain (the same value; two values that are not objects: their
 * JSON; an object and a value that is not: never, as `{`/`[` starts no other JSON).
 */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const objectA = isObject(a);
  const objectB = isObject(b);
  if (!objectA && !objectB) return (JSON.stringify(a) ?? "null") === (JSON.stringify(b) ?? "null");
  if (objectA !== objectB) return false;
  return canonical(a) === canonical(b);
}

/** Whether merging an input changed any of the client's own fields. */
export function clientChanged(row: ClientRow, state: ClientState): boolean {
  return CLIENT_FIELDS.some((k) => !same(row[k], state[k]));
}
