// What the sync planner sees of the database: the read round trip of a sync (db/sync-reads.ts)
// produces it.
import type { ClientGraph } from "../db/mappers";
import type { ClientRow, ContactMethodRow } from "../db/schema";
import type { ListName } from "../schemas/child";

export interface ChildOwner {
  id: string;
  clientId: string;
  externalId: string;
}

export interface Loaded {
  /** The synced client's graph, or null when the sync creates it. */
  graph: ClientGraph | null;
  /** Per list: the tenant's children holding any externalId that the list's items name. */
  childOwners: Record<ListName, ChildOwner[]>;
  /** The tenant's clients that the request names by id or externalId (link targets, client.externalId). */
  namedClients: ClientRow[];
  /** Email/phone/mobile contact methods of `namedClients` (their derived email and phone). */
  namedContacts: ContactMethodRow[];
}
