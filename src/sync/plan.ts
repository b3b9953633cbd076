// The sync planner (API.md §6): a pure function from the stored graph and the request to a plan —
// the rows to insert, update and delete, and the response — with no I/O. An item identical to what
// is stored produces nothing, so a repeated sync plans no write at all.
import { byCreation, fullClient, linkOut, type ClientGraph, type FullClient, type LinkOut } from "../db/mappers";
import type { ClientLinkRow, ClientRow } from "../db/schema";
import { ApiError, VALIDATION_DETAIL, type FieldError } from "../http/errors";
import type { ChildKind, ChildRow, ListName } from "../schemas/child";
import { CLIENT_FIELDS, clientRules, mergeClient, type ClientInput, type ClientState } from "../schemas/client";
import { fieldError } from "../schemas/common";
import { CHILD_KINDS } from "../schemas/kinds";
import type { LinkItem } from "../schemas/link";
import { NO_INVALID_PARTS, type InvalidParts } from "../schemas/partial-sync";
import type { SyncRequest } from "../schemas/requests";
import type { Loaded } from "./load";

export interface PlanContext {
  tenantId: string;
  now: Date;
  newId: () => string;
  /** Parts of the request that failed validation and stand only for the records they name. */
  invalid?: InvalidParts;
}

export interface ListChanges<Row> {
  insert: Row[];
  update: Row[];
  delete: string[];
}

/** A child list's changes; `release` lists updated rows whose stored externalId another row takes. */
export interface ChildChanges extends ListChanges<ChildRow> {
  release: string[];
}

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

export interface Plan {
  clientId: string;
  /** Clients whose stored version the write batch must still find (else the plan is stale). */
  guards: { id: string; version: number }[];
  clients: { insert: ClientRow[]; update: ClientRow[] };
  /** The synced client's version moves when only its children or links changed. */
  bumpVersion: boolean;
  children: Record<ListName, ChildChanges>;
  links: ListChanges<ClientLinkRow>;
  /** True when the plan writes nothing at all. */
  noop: boolean;
  response: SyncResponse;
}

/** Canonical JSON (sorted object keys), to compare stored and requested values. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

function stateOf(row: ClientRow): ClientState {
  return Object.fromEntries(CLIENT_FIELDS.map((k) => [k, row[k]])) as unknown as ClientState;
}

function clientChanged(row: ClientRow, state: ClientState): boolean {
  return CLIENT_FIELDS.some((k) => !same(row[k], state[k]));
}

class Problems {
  readonly bad: FieldError[] = [];
  readonly notFound: FieldError[] = [];
  readonly conflict: FieldError[] = [];

  /**
   * Every problem in one answer (API.md §3). The status is the first kind present: 400 (the request
   * is wrong whatever is stored), then 404, then 409; each error keeps its own code.
   */
  throwIfAny(): void {
    const all = [...this.bad, ...this.notFound, ...this.conflict];
    if (this.bad.length > 0) throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, all);
    if (this.notFound.length > 0) {
      throw new ApiError("NOT_FOUND", "The request names records that do not exist for this client", all);
    }
    if (this.conflict.length > 0) {
      throw new ApiError("CONFLICT", "The request conflicts with records of other clients", all);
    }
  }
}

export function planSync(request: SyncRequest, loaded: Loaded, context: PlanContext): Plan {
  const { tenantId, newId } = context;
  const now = context.now.toISOString();
  const problems = new Problems();
  const stored = loaded.graph;
  const namedById = new Map(loaded.namedClients.map((c) => [c.id, c]));
  const namedByExternalId = new Map(loaded.namedClients.map((c) => [c.externalId, c]));

  // --- Which client -------------------------------------------------------------------------
  if (request.clientId && !stored) {
    throw new ApiError("NOT_FOUND", `Client ${request.clientId} not found`, [
      fieldError(["clientId"], "not_found", `No client ${request.clientId}`),
    ]);
  }
  if (!request.clientId && !request.client) {
    throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, [
      fieldError(["client"], "required", "client is required when clientId is absent"),
    ]);
  }
  const clientInput: ClientInput = request.client ?? {};
  const state = mergeClient(stored ? stateOf(stored.client) : null, clientInput);
  const invalid = context.invalid ?? NO_INVALID_PARTS;
  // An invalid client input is reported already; only the externalId it names is checked below.
  if (!invalid.client) problems.bad.push(...clientRules(state, ["client"]));
  let clientRow: ClientRow;
  let action: SyncResponse["action"];
  if (!stored) {
    clientRow = { id: newId(), tenantId, isPrimary: true, version: 1, createdAt: now, updatedAt: now, ...state };
    action = "created";
  } else if (clientChanged(stored.client, state)) {
    clientRow = { ...stored.client, ...state, updatedAt: now, version: stored.client.version + 1 };
    action = "updated";
  } else {
    clientRow = stored.client;
    action = "unchanged";
  }
  const clientId = clientRow.id;
  if (state.externalId !== null && state.externalId !== stored?.client.externalId) {
    const holder = namedByExternalId.get(state.externalId);
    if (holder && holder.id !== clientId) {
      problems.conflict.push(
        fieldError(["client", "externalId"], "external_id_taken", `Another client already has externalId "${state.externalId}"`),
      );
    }
  }

  // --- Child lists ----------------------------------------------------------------------------
  const children = {} as Record<ListName, ChildChanges>;
  const reports = {} as Record<ListName, ListReport<Record<string, unknown>>>;
  const finalChildren = {} as Record<ListName, ChildRow[]>;
  for (const kind of CHILD_KINDS) {
    const result = planList(kind, request, stored, loaded, clientId, !stored, now, newId, problems, invalid.items[kind.list]);
    children[kind.list] = result.changes;
    reports[kind.list] = result.report;
    finalChildren[kind.list] = result.final;
  }

  // --- Links ----------------------------------------------------------------------------------
  const links = planLinks(request.linkedClients, request.replaceMode ?? false, stored, clientRow, namedById, namedByExternalId, context, problems, invalid.items.linkedClients);

  problems.throwIfAny();

  // --- The plan and the response --------------------------------------------------------------
  const childWrites = Object.values(children).some((c) => c.insert.length + c.update.length + c.delete.length > 0);
  const linkWrites = links.changes.insert.length + links.changes.update.length + links.changes.delete.length > 0;
  const clientInsert = [...(action === "created" ? [clientRow] : []), ...links.clientInserts];
  const clientUpdate = [...(action === "updated" ? [clientRow] : []), ...links.clientUpdates];
  const graphChanged = action !== "unchanged" || childWrites || linkWrites;
  const bumpVersion = action === "unchanged" && graphChanged;

  const guards = [...(stored ? [{ id: stored.client.id, version: stored.client.version }] : []), ...links.guards];
  const linkedContacts = dedupeById([...(stored?.linkedContacts ?? []), ...loaded.namedContacts]);
  const finalGraph: ClientGraph = {
    client: clientRow,
    addresses: finalChildren.addresses as ClientGraph["addresses"],
    contactMethods: finalChildren.contactMethods as ClientGraph["contactMethods"],
    bankAccounts: finalChildren.bankAccounts as ClientGraph["bankAccounts"],
    documents: finalChildren.documents as ClientGraph["documents"],
    links: links.final,
    linkedClients: links.finalClients,
    linkedContacts,
  };
  const render = (link: ClientLinkRow) => linkOut(link, links.finalClients.get(link.childClientId)!, linkedContacts, context.now);
  const response: SyncResponse = {
    action,
    client: fullClient(finalGraph, context.now),
    addresses: reports.addresses,
    contactMethods: reports.contactMethods,
    bankAccounts: reports.bankAccounts,
    documents: reports.documents,
    linkedClients: {
      created: links.report.created.map(render),
      updated: links.report.updated.map(render),
      deleted: links.report.deleted,
    },
    dryRun: request.dryRun ?? false,
  };
  return {
    clientId,
    guards,
    clients: { insert: clientInsert, update: clientUpdate },
    bumpVersion,
    children,
    links: links.changes,
    noop: !graphChanged && links.clientInserts.length + links.clientUpdates.length === 0,
    response,
  };
}

function dedupeById<T extends { id: string }>(rows: readonly T[]): T[] {
  return [...new Map(rows.map((r) => [r.id, r])).values()];
}

// --- One child list -----------------------------------------------------------------------------

function planList(
  kind: ChildKind,
  request: SyncRequest,
  stored: ClientGraph | null,
  loaded: Loaded,
  clientId: string,
  creatingClient: boolean,
  now: string,
  newId: () => string,
  problems: Problems,
  invalidItems: ReadonlySet<number>,
) {
  const list = kind.list;
  const existing = (stored?.[list] ?? []) as ChildRow[];
  const items = request[list] as Record<string, unknown>[] | undefined;
  const changes: ChildChanges = { insert: [], update: [], delete: [], release: [] };
  const report: ListReport<Record<string, unknown>> = { created: [], updated: [], deleted: [] };
  if (!items) return { changes, report, final: existing };

  const byId = new Map(existing.map((c) => [c.id, c]));
  const byExternalId = new Map(existing.filter((c) => c.externalId !== null).map((c) => [c.externalId!, c]));
  const owners = new Map(loaded.childOwners[list].map((o) => [o.externalId, o]));
  const targeted = new Map<string, number>(); // child id → item index
  const seenIds = new Map<string, number>();
  const seenExternalIds = new Map<string, number>();
  /** Rows of the final list that items wrote or kept, with whether the item claimed primary. */
  const touched: { row: ChildRow; index: number; claimsPrimary: boolean; isNew: boolean; changed: boolean }[] = [];
  const deleted = new Set<string>();

  items.forEach((item, index) => {
    const path = [list, index];
    const id = item.id as string | undefined;
    const externalId = item.externalId as string | null | undefined;
    if (item.clientId !== undefined) {
      if (creatingClient) {
        problems.bad.push(fieldError([...path, "clientId"], "invalid_client_id", "Items carry no clientId when the sync creates the client"));
      } else if (item.clientId !== clientId) {
        problems.bad.push(fieldError([...path, "clientId"], "invalid_client_id", `clientId must be the synced client's id, ${clientId}`));
      }
    }
    if (id !== undefined) {
      const first = seenIds.get(id);
      if (first !== undefined) {
        problems.bad.push(fieldError([...path, "id"], "duplicate_reference", `id ${id} also appears in /${list}/${first}`));
        return;
      }
      seenIds.set(id, index);
    }
    if (typeof externalId === "string") {
      const first = seenExternalIds.get(externalId);
      if (first !== undefined) {
        problems.bad.push(fieldError([...path, "externalId"], "duplicate_reference", `externalId "${externalId}" also appears in /${list}/${first}`));
        return;
      }
      seenExternalIds.set(externalId, index);
    }

    let target: ChildRow | undefined;
    if (id !== undefined) {
      target = byId.get(id);
      if (!target) {
        problems.notFound.push(fieldError([...path, "id"], "not_found", `No ${kind.noun} ${id} on this client`));
        return;
      }
    } else if (typeof externalId === "string") {
      target = byExternalId.get(externalId);
    }
    if (target) {
      const other = targeted.get(target.id);
      if (other !== undefined) {
        problems.bad.push(fieldError(path, "duplicate_reference", `This item targets the same ${kind.noun} as /${list}/${other}`));
        return;
      }
      targeted.set(target.id, index);
    }

    // An externalId this item sets must not belong to a child of another client.
    const takenByAnotherClient = () => {
      if (typeof externalId !== "string" || externalId === target?.externalId) return false;
      const owner = owners.get(externalId);
      if (!owner || owner.clientId === clientId) return false;
      problems.conflict.push(
        fieldError([...path, "externalId"], "external_id_taken", `externalId "${externalId}" belongs to a ${kind.noun} of another client`),
      );
      return true;
    };
    if (invalidItems.has(index)) {
      // Its fields are reported already: only the records it names are checked.
      takenByAnotherClient();
      return;
    }

    if (item._delete === true) {
      if (target) {
        deleted.add(target.id);
        changes.delete.push(target.id);
        report.deleted.push(target.id);
      } else if (typeof externalId !== "string") {
        problems.bad.push(fieldError([...path, "_delete"], "invalid_delete", "_delete needs the id or the externalId of the item to delete"));
      }
      return; // an externalId that matches nothing: already gone, nothing to do
    }

    if (takenByAnotherClient()) return;

    const row: ChildRow = target
      ? { ...target }
      : ({ ...kind.defaults, id: newId(), clientId, tenantId: "", createdAt: now, updatedAt: now } as ChildRow);
    if (!target) {
      for (const key of kind.requiredOnCreate) {
        if (item[key] === undefined || item[key] === null) {
          problems.bad.push(fieldError([...path, key], "required", `${key} is required when creating a ${kind.noun}`));
        }
      }
    }
    for (const key of kind.fields) {
      if (!Object.hasOwn(item, key)) continue;
      const value = item[key];
      (row as unknown as Record<string, unknown>)[key] = value === null ? (kind.nullMeans?.[key as never] ?? null) : value;
    }
    problems.bad.push(...kind.complete(row as never, item, !target, path));
    const changed = !target || kind.fields.some((k) => !same((target as unknown as Record<string, unknown>)[k], (row as unknown as Record<string, unknown>)[k]));
    touched.push({ row, index, claimsPrimary: item.isPrimary === true, isNew: !target, changed });
  });

  if (request.replaceMode) {
    for (const child of existing) {
      if (!targeted.has(child.id) && !deleted.has(child.id)) {
        deleted.add(child.id);
        changes.delete.push(child.id);
        report.deleted.push(child.id);
      }
    }
  }

  // Final rows: untouched survivors, then the items' rows.
  const touchedIds = new Set(touched.map((t) => t.row.id));
  const survivors = existing.filter((c) => !deleted.has(c.id) && !touchedIds.has(c.id)).map((row) => ({ row: { ...row }, changed: false }));

  // externalIds must stay unique within the list once every item is applied.
  const holders = new Map<string, number>();
  for (const { row } of survivors) if (row.externalId !== null) holders.set(row.externalId, -1);
  for (const t of touched) {
    if (t.row.externalId === null) continue;
    if (holders.has(t.row.externalId)) {
      problems.conflict.push(fieldError([list, t.index, "externalId"], "external_id_taken", `Another ${kind.noun} of this client has externalId "${t.row.externalId}"`));
    }
    holders.set(t.row.externalId, t.index);
  }

  // Primary slots (API.md §4.6): two items claiming one slot is a 400; one claim demotes the rest.
  const demoted: ChildRow[] = [];
  const slots = new Map<string, { row: ChildRow; rank: number; index: number }[]>();
  const rankedRows = [
    ...touched.map((t) => ({ row: t.row, rank: t.claimsPrimary ? 2 : 1, index: t.index })),
    ...survivors.map((s) => ({ row: s.row, rank: 0, index: -1 })),
  ];
  for (const entry of rankedRows) {
    const slot = kind.primarySlot(entry.row as never);
    if (slot === null) continue;
    slots.set(slot, [...(slots.get(slot) ?? []), entry]);
  }
  for (const holdersOfSlot of slots.values()) {
    if (holdersOfSlot.length < 2) continue;
    const claims = holdersOfSlot.filter((h) => h.rank === 2);
    if (claims.length > 1) {
      for (const claim of claims.slice(1)) {
        problems.bad.push(fieldError([list, claim.index, "isPrimary"], "duplicate_primary", `Only one primary ${kind.noun} is allowed here; /${list}/${claims[0]!.index} claims it too`));
      }
      continue;
    }
    const keep = [...holdersOfSlot].sort((a, b) => b.rank - a.rank || byCreation(a.row, b.row))[0]!;
    for (const holder of holdersOfSlot) {
      if (holder === keep) continue;
      (holder.row as unknown as { isPrimary: boolean }).isPrimary = false;
      holder.row.updatedAt = now;
      const t = touched.find((x) => x.row === holder.row);
      if (t) t.changed = true;
      else demoted.push(holder.row);
    }
  }

  for (const t of touched) {
    if (t.isNew) {
      changes.insert.push(t.row);
      report.created.push(kind.out(t.row as never));
    } else if (t.changed) {
      t.row.updatedAt = now;
      changes.update.push(t.row);
      report.updated.push(kind.out(t.row as never));
    }
  }
  for (const row of demoted) {
    changes.update.push(row);
    report.updated.push(kind.out(row as never));
  }
  // An updated row giving up an externalId that another row of the list takes (a swap, a chain of
  // renames) must let go of it first: the unique index is checked row by row within one UPDATE.
  const storedExternalIds = new Map(existing.map((c) => [c.id, c.externalId]));
  for (const row of changes.update) {
    const old = storedExternalIds.get(row.id);
    if (old == null || old === row.externalId) continue;
    const taker = holders.get(old);
    if (taker !== undefined) changes.release.push(row.id);
  }
  const final = [...survivors.map((s) => s.row), ...touched.map((t) => t.row)];
  return { changes, report, final };
}

// --- Links --------------------------------------------------------------------------------------

function planLinks(
  items: readonly LinkItem[] | undefined,
  replaceMode: boolean,
  stored: ClientGraph | null,
  parent: ClientRow,
  namedById: Map<string, ClientRow>,
  namedByExternalId: Map<string | null, ClientRow>,
  context: PlanContext,
  problems: Problems,
  invalidItems: ReadonlySet<number>,
) {
  const now = context.now.toISOString();
  const existingLinks = stored?.links ?? [];
  const finalClients = new Map(stored?.linkedClients ?? []);
  const changes: ListChanges<ClientLinkRow> = { insert: [], update: [], delete: [] };
  const report = { created: [] as ClientLinkRow[], updated: [] as ClientLinkRow[], deleted: [] as string[] };
  const clientInserts: ClientRow[] = [];
  const clientUpdates: ClientRow[] = [];
  const guards: { id: string; version: number }[] = [];
  if (!items) return { changes, report, final: existingLinks, finalClients, clientInserts, clientUpdates, guards };

  const linkByChild = new Map(existingLinks.map((l) => [l.childClientId, l]));
  const targetedChildren = new Map<string, number>();
  /** externalIds that clients created or renamed by this request take, by the item that takes it. */
  const claimed = new Map<string, number>();
  /** A second client of this body taking an externalId would fail the unique index: refuse it here. */
  const claimedTwice = (externalId: string, index: number) => {
    const first = claimed.get(externalId);
    if (first === undefined) {
      claimed.set(externalId, index);
      return false;
    }
    problems.bad.push(
      fieldError(["linkedClients", index, "child", "externalId"], "duplicate_reference", `externalId "${externalId}" is also taken by /linkedClients/${first}`),
    );
    return true;
  };
  const newExternalIds = new Map<string, number>();
  const updatedLinks = new Map<string, ClientLinkRow>();
  const deletedLinks = new Set<string>();
  const created: ClientLinkRow[] = [];

  items.forEach((item, index) => {
    const path = ["linkedClients", index];
    const childExternalId = typeof item.child?.externalId === "string" ? item.child.externalId : undefined;
    const invalid = invalidItems.has(index);
    // An invalid item is reported already; what remains of it is only the client it names.
    if (invalid && item.clientId === undefined && childExternalId === undefined) return;
    if (item.clientId === undefined && item.child === undefined) {
      problems.bad.push(fieldError(path, "required", "A linkedClients item needs clientId, child, or both"));
      return;
    }
    if (item.clientId === parent.id || (childExternalId !== undefined && item.clientId === undefined && childExternalId === parent.externalId)) {
      problems.bad.push(fieldError(path, "self_link", "A client cannot be linked to itself"));
      return;
    }
    let target: ClientRow | undefined;
    if (item.clientId !== undefined) {
      target = namedById.get(item.clientId);
      if (!target) {
        problems.notFound.push(fieldError([...path, "clientId"], "not_found", `No client ${item.clientId}`));
        return;
      }
    } else if (childExternalId !== undefined) {
      target = namedByExternalId.get(childExternalId);
    }
    if (target && target.id === parent.id) {
      // child.externalId naming the synced client under its stored externalId (the sync renames it).
      problems.bad.push(fieldError(path, "self_link", "A client cannot be linked to itself"));
      return;
    }
    if (target) {
      const other = targetedChildren.get(target.id);
      if (other !== undefined) {
        problems.bad.push(fieldError(path, "duplicate_reference", `This item names the same client as /linkedClients/${other}`));
        return;
      }
      targetedChildren.set(target.id, index);
    }
    if (invalid) return;

    if (item._delete === true) {
      const link = target ? linkByChild.get(target.id) : undefined;
      if (link) {
        deletedLinks.add(link.id);
        changes.delete.push(link.id);
        report.deleted.push(link.id);
      } else if (item.clientId === undefined && childExternalId === undefined) {
        problems.bad.push(fieldError([...path, "_delete"], "invalid_delete", "_delete needs clientId or child.externalId"));
      }
      return;
    }

    // The linked client: update it with `child`, or create it from `child`.
    let child: ClientRow;
    let childChanged = false;
    if (target) {
      child = target;
      if (item.child) {
        const merged = mergeClient(stateOf(target), item.child);
        problems.bad.push(...clientRules(merged, [...path, "child"]));
        if (merged.externalId !== null && merged.externalId !== target.externalId) {
          const holder = namedByExternalId.get(merged.externalId);
          if ((holder && holder.id !== target.id) || merged.externalId === parent.externalId) {
            problems.conflict.push(fieldError([...path, "child", "externalId"], "external_id_taken", `Another client already has externalId "${merged.externalId}"`));
          } else {
            claimedTwice(merged.externalId, index);
          }
        }
        if (clientChanged(target, merged)) {
          child = { ...target, ...merged, updatedAt: now, version: target.version + 1 };
          clientUpdates.push(child);
          childChanged = true;
        }
      }
      guards.push({ id: target.id, version: target.version });
    } else {
      const merged = mergeClient(null, item.child!);
      problems.bad.push(...clientRules(merged, [...path, "child"]));
      if (merged.externalId !== null) {
        if (claimedTwice(merged.externalId, index)) return;
        newExternalIds.set(merged.externalId, index);
      }
      child = { id: context.newId(), tenantId: context.tenantId, isPrimary: false, version: 1, createdAt: now, updatedAt: now, ...merged };
      clientInserts.push(child);
    }
    finalClients.set(child.id, child);

    const link = linkByChild.get(child.id);
    if (!link) {
      const row: ClientLinkRow = {
        id: context.newId(),
        tenantId: context.tenantId,
        parentClientId: parent.id,
        childClientId: child.id,
        relationshipType: item.relationshipType ?? null,
        metadata: item.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      };
      changes.insert.push(row);
      created.push(row);
      return;
    }
    const next: ClientLinkRow = {
      ...link,
      relationshipType: item.relationshipType !== undefined ? item.relationshipType : link.relationshipType,
      metadata: item.metadata !== undefined ? (item.metadata ?? {}) : link.metadata,
    };
    const linkChanged = next.relationshipType !== link.relationshipType || !same(next.metadata, link.metadata);
    if (linkChanged) {
      next.updatedAt = now;
      changes.update.push(next);
    }
    updatedLinks.set(link.id, next);
    // A link is reported as updated when it, or the client it links, changed.
    if (linkChanged || childChanged) report.updated.push(next);
  });

  // An externalId that a new linked client takes must not be the synced client's own.
  for (const [externalId, index] of newExternalIds) {
    if (externalId === parent.externalId) {
      problems.bad.push(fieldError(["linkedClients", index, "child", "externalId"], "self_link", "A client cannot be linked to itself"));
    }
  }

  if (replaceMode) {
    for (const link of existingLinks) {
      if (!targetedChildren.has(link.childClientId) && !deletedLinks.has(link.id)) {
        deletedLinks.add(link.id);
        changes.delete.push(link.id);
        report.deleted.push(link.id);
      }
    }
  }
  report.created = created;
  const final = [...existingLinks.filter((l) => !deletedLinks.has(l.id)).map((l) => updatedLinks.get(l.id) ?? l), ...created];
  for (const id of [...finalClients.keys()]) {
    if (!final.some((l) => l.childClientId === id)) finalClients.delete(id);
  }
  return { changes, report, final, finalClients, clientInserts, clientUpdates, guards };
}
