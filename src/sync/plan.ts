// The sync planner (API.md §6): a pure function from the stored graph and the request to a plan —
// the rows to insert, update and delete, and the response — with no I/O. An item identical to what
// is stored produces nothing, so a repeated sync plans no write at all. A request that cannot be
// planned throws PlanRejected (./problems) with every problem it has.
//
// Steps, one module each: the synced client (./client), the child lists (./lists, with the primary
// slots in ./primary), the links (./links), then the answer (./render).
import type { ClientLinkRow, ClientRow } from "../db/schema";
import type { ListName } from "../schemas/child";
import { NO_INVALID_PARTS } from "../schemas/partial-sync";
import type { ChildRowOf } from "../schemas/kinds";
import type { SyncRequest } from "../schemas/requests";
import { planClient } from "./client";
import { planLinks } from "./links";
import { planChildLists, type ChildChanges, type ListChanges } from "./lists";
import type { Loaded } from "./load";
import type { ClientPlanning, PlanContext, Planning } from "./planning";
import { PlanProblems } from "./problems";
import { renderResponse, type SyncResponse } from "./render";

export type { ChildChanges, ListChanges } from "./lists";
export type { PlanContext } from "./planning";
export type { ListReport, SyncResponse } from "./render";

export interface Plan {
  clientId: string;
  /** Clients whose stored version the write batch must still find (else the plan is stale). */
  guards: { id: string; version: number }[];
  clients: { insert: ClientRow[]; update: ClientRow[] };
  /** The synced client's version moves when only its children or links changed. */
  bumpVersion: boolean;
  children: { [L in ListName]: ChildChanges<ChildRowOf[L]> };
  links: ListChanges<ClientLinkRow>;
  /** True when the plan writes nothing at all. */
  noop: boolean;
  response: SyncResponse;
}

export function planSync(request: SyncRequest, loaded: Loaded, context: PlanContext): Plan {
  const start: ClientPlanning = {
    request,
    loaded,
    stored: loaded.graph,
    tenantId: context.tenantId,
    now: context.now,
    timestamp: context.now.toISOString(),
    newId: context.newId,
    invalid: context.invalid ?? NO_INVALID_PARTS,
    namedById: new Map(loaded.namedClients.map((c) => [c.id, c])),
    namedByExternalId: new Map(loaded.namedClients.map((c) => [c.externalId, c])),
    problems: new PlanProblems(),
  };
  const client = planClient(start);
  const planning: Planning = { ...start, client: client.row };
  const lists = planChildLists(planning);
  const links = planLinks(planning);
  planning.problems.throwIfAny();

  const children = {
    addresses: lists.addresses.changes,
    contactMethods: lists.contactMethods.changes,
    bankAccounts: lists.bankAccounts.changes,
    documents: lists.documents.changes,
  };
  const writes = (changes: ListChanges<unknown>) => changes.insert.length + changes.update.length + changes.delete.length > 0;
  const graphChanged = client.action !== "unchanged" || Object.values(children).some(writes) || writes(links.changes);
  const clients = {
    insert: [...(client.action === "created" ? [client.row] : []), ...links.clientInserts],
    update: [...(client.action === "updated" ? [client.row] : []), ...links.clientUpdates],
  };
  const stored = loaded.graph?.client;
  return {
    clientId: client.row.id,
    guards: [...(stored ? [{ id: stored.id, version: stored.version }] : []), ...links.guards],
    clients,
    bumpVersion: client.action === "unchanged" && graphChanged,
    children,
    links: links.changes,
    noop: !graphChanged && links.clientInserts.length + links.clientUpdates.length === 0,
    response: renderResponse({ planning, client, lists, links }),
  };
}
