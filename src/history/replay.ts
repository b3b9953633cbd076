// As-of reads (API.md §11): a client's graph as it was at an instant, rebuilt by replaying its
// history entries up to then — and, for each client it linked to, that client's own entries — into
// rows, which the GET mapper (db/mappers.ts fullClient) then renders: so an as-of answer has the
// shape of a GET by construction.
//
// An entry's change lists the fields of a record as its row holds them (history/drafts.ts):
// created — every non-null field (the others are null); updated — the fields that changed;
// deleted — the record is gone.
import type { ClientGraph } from "../db/mappers";
import type { AddressRow, BankAccountRow, ClientLinkRow, ClientRow, ContactMethodRow, DocumentRow } from "../db/schema";
import { ADDRESS, BANK_ACCOUNT, CLIENT, CONTACT_METHOD, DOCUMENT, LINK, storedKeys, type Entity as EntityKeys } from "../entities";
import type { Entity, HistoryEntry } from "./entry";

type Row = Record<string, unknown>;

/** The stored columns of each entity's row besides those its changes name (every one is null until set). */
const COLUMNS: Record<Entity, readonly string[]> = {
  client: storedKeys(CLIENT as EntityKeys),
  address: storedKeys(ADDRESS as EntityKeys),
  contactMethod: storedKeys(CONTACT_METHOD as EntityKeys),
  bankAccount: storedKeys(BANK_ACCOUNT as EntityKeys),
  document: storedKeys(DOCUMENT as EntityKeys),
  link: [...storedKeys(LINK as EntityKeys), "childClientId"],
};

/** The records of one client's graph, by entity and id, as its entries leave them. */
type Records = Record<Entity, Map<string, Row>>;

function replay(clientId: string, entries: readonly HistoryEntry[]): Records {
  const records: Records = {
    client: new Map(),
    address: new Map(),
    contactMethod: new Map(),
    bankAccount: new Map(),
    document: new Map(),
    link: new Map(),
  };
  for (const entry of entries) {
    for (const change of entry.changes) {
      // A client's entries record only its own row among clients.
      if (change.entity === "client" && change.id !== clientId) continue;
      const rows = records[change.entity];
      if (change.action === "deleted") {
        rows.delete(change.id);
        continue;
      }
      const row: Row =
        change.action === "created" || !rows.has(change.id)
          ? Object.fromEntries(COLUMNS[change.entity].map((key) => [key, null]))
          : rows.get(change.id)!;
      for (const [field, { to }] of Object.entries(change.fields)) row[field] = to;
      // Where the record belongs: implied by the entry's client, never recorded.
      row.id = change.id;
      if (change.entity === "link") row.parentClientId = clientId;
      else if (change.entity !== "client") row.clientId = clientId;
      rows.set(change.id, row);
    }
  }
  return records;
}

const CONTACT_TYPES_SHOWN = new Set(["email", "phone", "mobile"]);

/**
 * The graph of `clientId` after `own` (its entries up to the instant, in sequence order), its links
 * showing each linked client as `linked` (their entries up to the instant, by client) leave it;
 * null when the client does not exist then (no entry yet, or deleted).
 */
export function graphAsOf(clientId: string, own: readonly HistoryEntry[], linked: ReadonlyMap<string, readonly HistoryEntry[]>): ClientGraph | null {
  const records = replay(clientId, own);
  const client = records.client.get(clientId);
  if (!client) return null;
  const links = [...records.link.values()] as ClientLinkRow[];
  const linkedClients = new Map<string, ClientRow>();
  const linkedContacts: ContactMethodRow[] = [];
  for (const link of links) {
    const theirs = replay(link.childClientId, linked.get(link.childClientId) ?? []);
    const row = theirs.client.get(link.childClientId);
    if (!row) continue;
    linkedClients.set(link.childClientId, row as ClientRow);
    for (const contact of theirs.contactMethod.values()) {
      if (CONTACT_TYPES_SHOWN.has(contact.type as string)) linkedContacts.push(contact as ContactMethodRow);
    }
  }
  return {
    client: client as ClientRow,
    addresses: [...records.address.values()] as AddressRow[],
    contactMethods: [...records.contactMethod.values()] as ContactMethodRow[],
    bankAccounts: [...records.bankAccount.values()] as BankAccountRow[],
    documents: [...records.document.values()] as DocumentRow[],
    links,
    linkedClients,
    linkedContacts,
  };
}
