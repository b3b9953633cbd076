// The linked clients of a sync (API.md §6, Links): an item names a client (by clientId, else by
// child.externalId) or creates one from `child`, may update it with `child`, and links it under the
// synced client; `_delete` unlinks it, and replaceMode unlinks the clients no item names.
import { NEW_CLIENT_COMPLETENESS } from "../compliance/columns";
import type { ClientLinkRow, ClientRow } from "../db/schema";
import { clientRules, mergeClient } from "../schemas/client";
import type { LinkItem } from "../schemas/link";
import { clientChanged, same } from "./compare";
import type { ListChanges, RowsReport } from "./lists";
import type { Planning } from "./planning";

export interface LinksPlan {
  changes: ListChanges<ClientLinkRow>;
  report: RowsReport<ClientLinkRow>;
  /** The synced client's links as the plan leaves them. */
  final: ClientLinkRow[];
  /** The clients `final` links to, by id, as the plan leaves them. */
  finalClients: Map<string, ClientRow>;
  /** Linked clients the items create, and those they change. */
  clientInserts: ClientRow[];
  clientUpdates: ClientRow[];
  /** Linked clients whose stored version the write batch must still find. */
  guards: { id: string; version: number }[];
}

/** The links being planned: what the items matched so far, and what they change. */
interface LinkRun {
  planning: Planning;
  plan: LinksPlan;
  linkByChild: Map<string, ClientLinkRow>;
  /** Client id → index of the item naming it. */
  targeted: Map<string, number>;
  /** externalIds that clients created or renamed by this request take, by the item that takes it. */
  claimed: Map<string, number>;
  /** externalIds that the clients items create take, by item. */
  newExternalIds: Map<string, number>;
  updatedLinks: Map<string, ClientLinkRow>;
  deletedLinks: Set<string>;
}

const PATH = "linkedClients";

export function planLinks(planning: Planning): LinksPlan {
  const stored = planning.stored;
  const existing = stored?.links ?? [];
  const plan: LinksPlan = {
    changes: { insert: [], update: [], delete: [] },
    report: { created: [], updated: [], deleted: [] },
    final: existing,
    finalClients: new Map(stored?.linkedClients ?? []),
    clientInserts: [],
    clientUpdates: [],
    guards: [],
  };
  const items = planning.request.linkedClients;
  if (!items) return plan;

  const run: LinkRun = {
    planning,
    plan,
    linkByChild: new Map(existing.map((link) => [link.childClientId, link])),
    targeted: new Map(),
    claimed: new Map(),
    newExternalIds: new Map(),
    updatedLinks: new Map(),
    deletedLinks: new Set(),
  };
  items.forEach((item, index) => planLinkItem(run, item, index));

  // An externalId that a new linked client takes must not be the synced client's own.
  for (const [externalId, index] of run.newExternalIds) {
    if (externalId === planning.client.externalId) {
      planning.problems.invalid([PATH, index, "child", "externalId"], "self_link", "A client cannot be linked to itself");
    }
  }
  if (planning.request.replaceMode) unlinkUnlisted(run, existing);

  plan.final = [...existing.filter((l) => !run.deletedLinks.has(l.id)).map((l) => run.updatedLinks.get(l.id) ?? l), ...plan.changes.insert];
  for (const id of [...plan.finalClients.keys()]) {
    if (!plan.final.some((l) => l.childClientId === id)) plan.finalClients.delete(id);
  }
  return plan;
}

function planLinkItem(run: LinkRun, item: LinkItem, index: number): void {
  const present = run.planning.invalid.items.linkedClients.get(index);
  if (present) {
    checkInvalidLinkItem(run, item, index, present);
    return;
  }
  const match = matchLinkItem(run, item, index);
  if (!match) return;
  if (item._delete === true) {
    unlink(run, item, index, match.target);
    return;
  }
  const linked = match.target ? updateLinkedClient(run, item, index, match.target) : createLinkedClient(run, item, index);
  if (!linked) return;
  run.plan.finalClients.set(linked.client.id, linked.client);
  linkClient(run, item, linked.client, linked.changed);
}

const childExternalIdOf = (item: LinkItem) => (typeof item.child?.externalId === "string" ? item.child.externalId : undefined);

/**
 * An item that failed validation (its fields are reported already): the client it names is matched
 * like any other's, and the keys it lacks are reported — what it needs to name, unlink or create.
 * `present` holds the keys the item had in the body ("child.<key>" for its child's).
 */
function checkInvalidLinkItem(run: LinkRun, item: LinkItem, index: number, present: ReadonlySet<string>): void {
  const { problems } = run.planning;
  const path = [PATH, index];
  let target: ClientRow | undefined;
  if (item.clientId !== undefined || childExternalIdOf(item) !== undefined) {
    const match = matchLinkItem(run, item, index);
    if (!match) return;
    target = match.target;
  } else if (!present.has("clientId") && !present.has("child")) {
    problems.invalid(path, "required", "A linkedClients item needs clientId, child, or both");
    return;
  }
  const namesNoClient = !present.has("clientId") && !present.has("child.externalId");
  if (item._delete === true) {
    if (!target && namesNoClient) problems.invalid([...path, "_delete"], "invalid_delete", "_delete needs clientId or child.externalId");
    return;
  }
  const creates = !target && !present.has("clientId") && (!present.has("child.externalId") || childExternalIdOf(item) !== undefined);
  if (!creates || !present.has("child")) return;
  for (const key of ["type", "name"] as const) {
    if (!present.has(`child.${key}`)) problems.invalid([...path, "child", key], "required", `${key} is required when creating a client`);
  }
}

/**
 * The stored client an item names (`target`, undefined when it creates one), or null when the item
 * is refused (reported) or, invalid, names no client (its fields are reported already).
 */
function matchLinkItem(run: LinkRun, item: LinkItem, index: number): { target: ClientRow | undefined } | null {
  const { planning } = run;
  const { problems, client: parent } = planning;
  const path = [PATH, index];
  const childExternalId = childExternalIdOf(item);
  if (item.clientId === undefined && item.child === undefined) {
    problems.invalid(path, "required", "A linkedClients item needs clientId, child, or both");
    return null;
  }
  if (item.clientId === parent.id || (childExternalId !== undefined && item.clientId === undefined && childExternalId === parent.externalId)) {
    problems.invalid(path, "self_link", "A client cannot be linked to itself");
    return null;
  }
  let target: ClientRow | undefined;
  if (item.clientId !== undefined) {
    target = planning.namedById.get(item.clientId);
    if (!target) {
      problems.notFound([...path, "clientId"], "not_found", `No client ${item.clientId}`);
      return null;
    }
  } else if (childExternalId !== undefined) {
    target = planning.namedByExternalId.get(childExternalId);
  }
  if (target && target.id === parent.id) {
    // child.externalId naming the synced client under its stored externalId (the sync renames it).
    problems.invalid(path, "self_link", "A client cannot be linked to itself");
    return null;
  }
  if (target) {
    const other = run.targeted.get(target.id);
    if (other !== undefined) {
      problems.invalid(path, "duplicate_reference", `This item names the same client as /${PATH}/${other}`);
      return null;
    }
    run.targeted.set(target.id, index);
  }
  return { target };
}

function unlink(run: LinkRun, item: LinkItem, index: number, target: ClientRow | undefined): void {
  const link = target ? run.linkByChild.get(target.id) : undefined;
  if (link) {
    run.deletedLinks.add(link.id);
    run.plan.changes.delete.push(link.id);
    run.plan.report.deleted.push(link.id);
  } else if (item.clientId === undefined && childExternalIdOf(item) === undefined) {
    run.planning.problems.invalid([PATH, index, "_delete"], "invalid_delete", "_delete needs clientId or child.externalId");
  }
}

/** A second client of this body taking an externalId would fail the unique index: refused here. */
function claimedTwice(run: LinkRun, externalId: string, index: number): boolean {
  const first = run.claimed.get(externalId);
  if (first === undefined) {
    run.claimed.set(externalId, index);
    return false;
  }
  run.planning.problems.invalid([PATH, index, "child", "externalId"], "duplicate_reference", `externalId "${externalId}" is also taken by /${PATH}/${first}`);
  return true;
}

/** The named client, with `child` merged into it; its stored version is guarded either way. */
function updateLinkedClient(run: LinkRun, item: LinkItem, index: number, target: ClientRow): { client: ClientRow; changed: boolean } {
  const { planning, plan } = run;
  plan.guards.push({ id: target.id, version: target.version });
  if (!item.child) return { client: target, changed: false };
  const path = [PATH, index, "child"];
  const merged = mergeClient(target, item.child);
  planning.problems.invalidAll(clientRules(merged, path));
  if (merged.externalId !== null && merged.externalId !== target.externalId) {
    const holder = planning.namedByExternalId.get(merged.externalId);
    if ((holder && holder.id !== target.id) || merged.externalId === planning.client.externalId) {
      planning.problems.conflict([...path, "externalId"], "external_id_taken", `Another client already has externalId "${merged.externalId}"`);
    } else {
      claimedTwice(run, merged.externalId, index);
    }
  }
  if (!clientChanged(target, merged)) return { client: target, changed: false };
  const client = { ...target, ...merged, updatedAt: planning.timestamp, version: target.version + 1 };
  plan.clientUpdates.push(client);
  return { client, changed: true };
}

/** A new client made from `child`, or null when its externalId is taken by another item. */
function createLinkedClient(run: LinkRun, item: LinkItem, index: number): { client: ClientRow; changed: boolean } | null {
  const { planning } = run;
  // An item with neither clientId nor child was refused: this one has a child.
  const merged = mergeClient(null, item.child ?? {});
  planning.problems.invalidAll(clientRules(merged, [PATH, index, "child"]));
  if (merged.externalId !== null) {
    if (claimedTwice(run, merged.externalId, index)) return null;
    run.newExternalIds.set(merged.externalId, index);
  }
  const { timestamp } = planning;
  const client = { id: planning.newId(), tenantId: planning.tenantId, isPrimary: false, version: 1, createdAt: timestamp, updatedAt: timestamp, ...merged, ...NEW_CLIENT_COMPLETENESS };
  run.plan.clientInserts.push(client);
  return { client, changed: false };
}

/** The link to `child`: created, or updated where the item changes it. */
function linkClient(run: LinkRun, item: LinkItem, child: ClientRow, childChanged: boolean): void {
  const { planning, plan } = run;
  const link = run.linkByChild.get(child.id);
  if (!link) {
    const row: ClientLinkRow = {
      id: planning.newId(),
      tenantId: planning.tenantId,
      parentClientId: planning.client.id,
      childClientId: child.id,
      relationshipType: item.relationshipType ?? null,
      metadata: item.metadata ?? {},
      createdAt: planning.timestamp,
      updatedAt: planning.timestamp,
    };
    plan.changes.insert.push(row);
    plan.report.created.push(row);
    return;
  }
  const next: ClientLinkRow = {
    ...link,
    relationshipType: item.relationshipType !== undefined ? item.relationshipType : link.relationshipType,
    metadata: item.metadata !== undefined ? (item.metadata ?? {}) : link.metadata,
  };
  const linkChanged = next.relationshipType !== link.relationshipType || !same(next.metadata, link.metadata);
  if (linkChanged) {
    next.updatedAt = planning.timestamp;
    plan.changes.update.push(next);
  }
  run.updatedLinks.set(link.id, next);
  // A link is reported as updated when it, or the client it links, changed.
  if (linkChanged || childChanged) plan.report.updated.push(next);
}

/** replaceMode: the links to clients no item names are deleted. */
function unlinkUnlisted(run: LinkRun, existing: readonly ClientLinkRow[]): void {
  for (const link of existing) {
    if (run.targeted.has(link.childClientId) || run.deletedLinks.has(link.id)) continue;
    run.deletedLinks.add(link.id);
    run.plan.changes.delete.push(link.id);
    run.plan.report.deleted.push(link.id);
  }
}
