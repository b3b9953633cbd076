// Which lookup keys a write changes (API.md §14), from what it records (API.md §11): every write
// names each record it creates, updates or deletes with its changed fields, so the keys follow
// every kind of change — batch, sync, `_delete`, replaceMode, an externalId swap, DELETE — from
// one place. Pure.
import type { DeletedClient, KeySource } from "../db/lookup-keys";
import type { Change, EntryDraft, Operation } from "../history/entry";

/** The fields of each entity that its keys are made of. */
const KEYED_FIELDS: Partial<Record<string, readonly string[]>> = {
  // name, middleName, lastName: the name search's blocking keys (kind nameBlock).
  client: ["scopeData", "externalId", "metadata", "name", "middleName", "lastName"],
  contactMethod: ["value", "type"],
  bankAccount: ["clabe", "accountNumber"],
};

export interface KeyChanges {
  /** Sources whose keys may exist and have changed (a record updated or deleted): their keys are removed. */
  removed: KeySource[];
  /** Sources whose keys are written from the rows the batch leaves (a record created or updated). */
  written: KeySource[];
  /** Clients deleted (DELETE): their keys are kept, marked deleted, with what each was. */
  deletedClients: DeletedClient[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A record created (its values `to`) or deleted (`from`): does it hold any identifier? So a write
 * of records without one sends no key statement.
 */
function holdsKeys(change: Change, side: "from" | "to" = "to"): boolean {
  const to = (field: string) => change.fields[field]?.[side] ?? null;
  switch (change.entity) {
    case "client":
      // Every client has a name, and so the name search's keys.
      return true;
    case "contactMethod":
      return ["email", "phone", "mobile", "fax"].includes(String(to("type")));
    default:
      return true;
  }
}

export function keyChangesOf(operation: Operation, drafts: readonly EntryDraft[]): KeyChanges {
  const deletedClients = new Map<string, DeletedClient>();
  const removed = new Map<string, KeySource>();
  const written = new Map<string, KeySource>();
  for (const draft of drafts) {
    for (const change of draft.changes) {
      const fields = KEYED_FIELDS[change.entity];
      if (!fields) continue;
      if (change.entity === "client" && change.action === "deleted" && operation === "delete") {
        if (!draft.changes.some((c) => c.action === "deleted" && KEYED_FIELDS[c.entity] && holdsKeys(c, "from"))) continue;
        const from = (field: string) => change.fields[field]?.from;
        deletedClients.set(change.id, { id: change.id, name: String(from("name")), type: String(from("type")), isPrimary: from("isPrimary") === true });
        continue;
      }
      if (change.action === "updated" && !fields.some((f) => f in change.fields)) continue;
      if (change.action === "created" && !holdsKeys(change)) continue;
      if (change.action === "deleted" && !holdsKeys(change, "from")) continue;
      const source: KeySource = change.entity === "client" ? [change.id, null] : [draft.clientId, change.id];
      const id = `${source[0]}/${source[1] ?? ""}`;
      if (change.action !== "created") removed.set(id, source);
      if (change.action !== "deleted") written.set(id, source);
    }
  }
  // A deleted client's children's keys are marked with it.
  const live = (sources: Map<string, KeySource>) => [...sources.values()].filter(([clientId]) => !deletedClients.has(clientId));
  return { removed: live(removed), written: live(written), deletedClients: [...deletedClients.values()] };
}
