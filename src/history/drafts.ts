// What each write records (API.md §11), from the rows as read and the rows as written: one draft
// per client it changes, listing every record created, updated or deleted with each changed field
// `{from, to}`. Pure: the write path seals the drafts into the clients' chains (./entry).
import type { ClientGraph } from "../db/mappers";
import type { ClientLinkRow, ClientRow } from "../db/schema";
import type { ListName } from "../schemas/child";
import { CHILD_KINDS } from "../schemas/kinds";
import type { Loaded } from "../sync/load";
import type { Plan } from "../sync/plan";
import type { Change, Entity, EntryDraft } from "./entry";

/** The entity a child list's records are. */
export const LIST_ENTITY: Record<ListName, Entity> = {
  addresses: "address",
  contactMethods: "contactMethod",
  bankAccounts: "bankAccount",
  documents: "document",
};

/**
 * Columns that say where a record belongs, not what it is (implied by the entry's client), and a
 * client's completeness columns (API.md §16: derived in SQL from the graph, never part of it).
 */
const IMPLIED = new Set(["tenantId", "clientId", "parentClientId", "complete", "completeUntil"]);

type Row = { id: string } & object;

/** A value whose JSON is itself alone: no two different ones have the same JSON. */
const isJsonPrimitive = (v: unknown) => v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/** An array or plain object: its JSON starts with [ or {, which no primitive's does. */
const isPlainContainer = (v: unknown) => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return (Array.isArray(v) || proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== "function";
};

/**
 * Equal as JSON (JSON.stringify(a) === JSON.stringify(b)), without serializing a pair whose JSON
 * cannot be equal: two different primitives, or a primitive and a container (every field of a
 * created or deleted record is compared with null).
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const primitiveA = isJsonPrimitive(a);
  const primitiveB = isJsonPrimitive(b);
  if (primitiveA && primitiveB) return false;
  if ((primitiveA && isPlainContainer(b)) || (primitiveB && isPlainContainer(a))) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * One record's change: created (`before` null: every field it sets, from null), deleted (`after`
 * null: every field it had, to null), or updated (the fields that differ); null when nothing differs.
 */
export function recordChange(entity: Entity, before: Row | null, after: Row | null): Change | null {
  const fields: Change["fields"] = {};
  const source = (after ?? before) as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (IMPLIED.has(key)) continue;
    const from = before ? ((before as Record<string, unknown>)[key] ?? null) : null;
    const to = after ? ((after as Record<string, unknown>)[key] ?? null) : null;
    if (!sameValue(from, to)) fields[key] = { from, to };
  }
  if (Object.keys(fields).length === 0) return null;
  const action = before === null ? "created" : after === null ? "deleted" : "updated";
  return { entity, id: (after ?? before)!.id, action, fields };
}

const present = <T>(value: T | null): value is T => value !== null;

/** A client's row after a write that moves its version by one (the write sets the rest). */
const bumped = (stored: ClientRow, written: Partial<ClientRow> = {}): ClientRow => ({ ...stored, ...written, version: stored.version + 1 });

/**
 * The drafts with each client's own version move restated from `versions` (as the database holds
 * them now): a write that moves versions relative to the row (a relaxed sync) records the move it
 * will make, when a rival's disjoint change moved the version since the read. Other fields need no
 * restating: the batch's guards refuse it if what it records of them moved.
 */
export function withVersionsNow(drafts: readonly EntryDraft[], versions: ReadonlyMap<string, number>): EntryDraft[] {
  return drafts.map((draft) => {
    const now = versions.get(draft.clientId);
    if (now === undefined) return draft;
    const changes = draft.changes.map((change) => {
      const version = change.entity === "client" && change.id === draft.clientId && change.action === "updated" ? change.fields.version : undefined;
      if (!version || version.from === now) return change;
      return { ...change, fields: { ...change.fields, version: { from: now, to: now + 1 } } };
    });
    return { ...draft, changes };
  });
}

/** Batch: each created client's entry is its creation. */
export function createdClientDrafts(rows: readonly ClientRow[]): EntryDraft[] {
  return rows.map((row) => ({ clientId: row.id, changes: [recordChange("client", null, row)!] }));
}

/** Sync: the synced client's entry (itself, its children, its links), and one per linked client created or updated. */
export function syncDrafts(plan: Plan, loaded: Loaded): EntryDraft[] {
  const graph = loaded.graph;
  const stored = graph?.client ?? null;
  const changes: (Change | null)[] = [];

  const inserted = plan.clients.insert.find((c) => c.id === plan.clientId);
  const updated = plan.clients.update.find((c) => c.id === plan.clientId);
  if (inserted) changes.push(recordChange("client", null, inserted));
  else if (stored && updated) changes.push(recordChange("client", stored, bumped(stored, updated)));
  else if (stored && plan.bumpVersion) changes.push(recordChange("client", stored, bumped(stored)));

  for (const kind of CHILD_KINDS) {
    const list = kind.list;
    const entity = LIST_ENTITY[list];
    const rows = new Map<string, Row>((graph?.[list] ?? []).map((row) => [row.id, row]));
    const planned = plan.children[list];
    for (const row of planned.insert) changes.push(recordChange(entity, null, row));
    for (const row of planned.update) changes.push(recordChange(entity, rows.get(row.id)!, { ...rows.get(row.id)!, ...row }));
    for (const id of planned.delete) changes.push(recordChange(entity, rows.get(id)!, null));
  }

  const links = new Map<string, ClientLinkRow>((graph?.links ?? []).map((link) => [link.id, link]));
  for (const link of plan.links.insert) changes.push(recordChange("link", null, link));
  for (const link of plan.links.update) changes.push(recordChange("link", links.get(link.id)!, { ...links.get(link.id)!, ...link }));
  for (const id of plan.links.delete) changes.push(recordChange("link", links.get(id)!, null));

  const drafts: EntryDraft[] = [];
  const own = changes.filter(present);
  if (own.length > 0) drafts.push({ clientId: plan.clientId, changes: own });

  // Linked clients the sync created or changed inline: each its own entry.
  const named = new Map<string, ClientRow>([...(graph?.linkedClients ?? new Map()), ...loaded.namedClients.map((c): [string, ClientRow] => [c.id, c])]);
  for (const row of plan.clients.insert) {
    if (row.id !== plan.clientId) drafts.push({ clientId: row.id, changes: [recordChange("client", null, row)!] });
  }
  for (const row of plan.clients.update) {
    if (row.id === plan.clientId) continue;
    const before = named.get(row.id)!;
    const change = recordChange("client", before, bumped(before, row));
    if (change) drafts.push({ clientId: row.id, changes: [change] });
  }
  return drafts;
}

/** What a DELETE reads besides the client's graph: the links to it, and the clients they start from. */
export interface IncomingLinks {
  links: ClientLinkRow[];
  parents: ClientRow[];
}

/**
 * DELETE: the client's entry lists everything it had as deleted; each client that linked to it
 * records the link's removal and its version's move.
 */
export function deleteDrafts(graph: ClientGraph, incoming: IncomingLinks): EntryDraft[] {
  const changes: (Change | null)[] = [recordChange("client", graph.client, null)];
  for (const kind of CHILD_KINDS) {
    for (const row of graph[kind.list]) changes.push(recordChange(LIST_ENTITY[kind.list], row, null));
  }
  for (const link of graph.links) changes.push(recordChange("link", link, null));
  const drafts: EntryDraft[] = [{ clientId: graph.client.id, changes: changes.filter(present) }];
  for (const parent of incoming.parents) {
    if (parent.id === graph.client.id) continue;
    const removed = incoming.links.filter((link) => link.parentClientId === parent.id).map((link) => recordChange("link", link, null));
    drafts.push({ clientId: parent.id, changes: [recordChange("client", parent, bumped(parent))!, ...removed.filter(present)] });
  }
  return drafts;
}
