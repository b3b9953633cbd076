// The checkable part of a sync body that failed validation. API.md §3: shape problems and the rules
// that need stored state are reported in ONE answer, so a body with a bad field is still matched
// against the stored client: its valid parts as they are, and each invalid item or client input
// reduced to what names a record (`id`, `externalId`, a link's `clientId`/`child.externalId`) — the
// planner checks those references (unknown ids, duplicates, externalIds of other clients) and
// nothing else of them, since their fields are already reported.
import * as z from "zod";
import type { ListName } from "./child";
import { clientInput } from "./client";
import { text, uuid } from "./common";
import { CHILD_KINDS } from "./kinds";
import { linkItem } from "./link";
import { MAX_ITEMS, type SyncRequest } from "./requests";

/**
 * Which parts of a request are references only (their shape errors are reported already), with the
 * keys each one HAD in the body: a key required on create that is absent is a problem of its own
 * (a present one that is invalid is zod's to report); a link item's child keys are "child.<key>".
 */
export interface InvalidParts {
  client: ReadonlySet<string> | null;
  items: Record<ListName | "linkedClients", ReadonlyMap<number, ReadonlySet<string>>>;
}

const noItems = () => ({ addresses: new Map(), contactMethods: new Map(), bankAccounts: new Map(), documents: new Map(), linkedClients: new Map() });

export const NO_INVALID_PARTS: InvalidParts = { client: null, items: noItems() };

const externalIdRef = text(255);

function valid<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The references an invalid item still makes (and its `_delete`), keeping only valid ones. */
function referencesOf(item: unknown, keys: readonly string[]): Record<string, unknown> {
  if (!isObject(item)) return {};
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = key === "externalId" ? valid(externalIdRef, item[key]) : valid(uuid, item[key]);
    if (value !== undefined) out[key] = value;
  }
  const remove = valid(z.boolean(), item._delete);
  if (remove !== undefined) out._delete = remove;
  return out;
}

const keysOf = (value: unknown, prefix = ""): string[] => (isObject(value) ? Object.keys(value).map((k) => prefix + k) : []);

/**
 * The request to plan from a body that failed validation, or null when nothing of it names a client
 * (not an object). Lists that are not lists of at most MAX_ITEMS are left out: they cannot be matched.
 */
export function checkableParts(raw: unknown): { request: SyncRequest; invalid: InvalidParts } | null {
  if (!isObject(raw)) return null;
  const request: Record<string, unknown> = {};
  const invalid: { client: ReadonlySet<string> | null; items: Record<ListName | "linkedClients", Map<number, ReadonlySet<string>>> } = {
    client: null,
    items: noItems(),
  };
  const clientId = valid(uuid, raw.clientId);
  if (clientId !== undefined) request.clientId = clientId;
  if (raw.client !== undefined) {
    const client = valid(clientInput, raw.client);
    request.client = client ?? referencesOf(raw.client, ["externalId"]);
    if (client === undefined) invalid.client = new Set(keysOf(raw.client));
  }
  for (const flag of ["replaceMode", "dryRun"] as const) {
    const value = valid(z.boolean(), raw[flag]);
    if (value !== undefined) request[flag] = value;
  }
  const list = (name: ListName | "linkedClients", item: z.ZodType, reference: (raw: unknown) => unknown) => {
    const items = raw[name];
    if (!Array.isArray(items) || items.length > MAX_ITEMS) return;
    request[name] = items.map((entry, index) => {
      const parsed = valid(item, entry);
      if (parsed !== undefined) return parsed;
      invalid.items[name].set(index, new Set([...keysOf(entry), ...(isObject(entry) ? keysOf(entry.child, "child.") : [])]));
      return reference(entry);
    });
  };
  for (const kind of CHILD_KINDS) list(kind.list, kind.item, (entry) => referencesOf(entry, ["id", "externalId"]));
  list("linkedClients", linkItem, (entry) => {
    const ref = referencesOf(entry, ["clientId"]);
    const child = isObject(entry) ? referencesOf(entry.child, ["externalId"]) : {};
    return Object.keys(child).length > 0 ? { ...ref, child } : ref;
  });
  return { request: request as SyncRequest, invalid };
}
