// The answer of a sync (API.md §6, Response): the client as the plan leaves it, and per list what
// the request created, updated and deleted.
import { fullClient, linkOut, type ClientGraph, type FullClient, type LinkOut } from "../db/mappers";
import type { ClientLinkRow, ClientRow } from "../db/schema";
import type { ChildItem, ChildKind, ChildRow } from "../schemas/child";
import { CHILD_KIND } from "../schemas/kinds";
import type { ClientPlan } from "./client";
import type { LinksPlan } from "./links";
import type { ChildListPlans, RowsReport } from "./lists";
import type { Planning } from "./planning";

export interface ListReport<Out> {
  created: Out[];
  updated: Out[];
  deleted: string[];
}

export interface SyncResponse {
  action: "created" | "updated" | "unchanged";
  client: FullClient;
  addresses: ListReport<Record<string, unknown>>;
  contactMethods: ListReport<Record<string, unknown>>;
  bankAccounts: ListReport<Record<string, unknown>>;
  documents: ListReport<Record<string, unknown>>;
  linkedClients: ListReport<LinkOut>;
  dryRun: boolean;
}

export interface RenderInput {
  planning: Planning;
  client: ClientPlan;
  lists: ChildListPlans;
  links: LinksPlan;
}

export function renderResponse({ planning, client, lists, links }: RenderInput): SyncResponse {
  const { now } = planning;
  // Contacts give linked clients their derived email and phone: those of the stored links and of the clients the request names.
  const linkedContacts = dedupeById([...(planning.stored?.linkedContacts ?? []), ...planning.loaded.namedContacts]);
  const graph: ClientGraph = {
    client: client.row,
    addresses: lists.addresses.final,
    contactMethods: lists.contactMethods.final,
    bankAccounts: lists.bankAccounts.final,
    documents: lists.documents.final,
    links: links.final,
    linkedClients: links.finalClients,
    linkedContacts,
  };
  const linked = (link: ClientLinkRow) => linkOut(link, linkedClientOf(links, link), linkedContacts, now);
  return {
    action: client.action,
    client: fullClient(graph, now),
    addresses: listReport(CHILD_KIND.addresses, lists.addresses.report),
    contactMethods: listReport(CHILD_KIND.contactMethods, lists.contactMethods.report),
    bankAccounts: listReport(CHILD_KIND.bankAccounts, lists.bankAccounts.report),
    documents: listReport(CHILD_KIND.documents, lists.documents.report),
    linkedClients: {
      created: links.report.created.map(linked),
      updated: links.report.updated.map(linked),
      deleted: links.report.deleted,
    },
    dryRun: planning.request.dryRun ?? false,
  };
}

function listReport<Row extends ChildRow, Item extends ChildItem>(kind: ChildKind<Row, Item>, report: RowsReport<Row>): ListReport<Record<string, unknown>> {
  return { created: report.created.map((row) => kind.out(row)), updated: report.updated.map((row) => kind.out(row)), deleted: report.deleted };
}

/** Every link the report names stays in the final graph, with its client. */
function linkedClientOf(links: LinksPlan, link: ClientLinkRow): ClientRow {
  const client = links.finalClients.get(link.childClientId);
  if (!client) throw new Error(`link ${link.id} to client ${link.childClientId}, which the plan does not hold`);
  return client;
}

function dedupeById<T extends { id: string }>(rows: readonly T[]): T[] {
  return [...new Map(rows.map((r) => [r.id, r])).values()];
}
