// The child lists of a sync (API.md §6): each item is matched to a stored row of its list (by id,
// else by externalId) or creates one; items delete rows, replaceMode drops the rows no item names;
// what is written is the diff, so an item equal to its row writes nothing.
import type { ChildItem, ChildKind, ChildRow, ListName } from "../schemas/child";
import { CHILD_KIND, type ChildItemLists, type ChildRowLists, type ChildRowOf } from "../schemas/kinds";
import { same } from "./compare";
import type { ChildOwner } from "./load";
import type { Planning } from "./planning";
import { settlePrimarySlots, type TouchedRow } from "./primary";

export interface ListChanges<Row> {
  insert: Row[];
  update: Row[];
  delete: string[];
}

/** A child list's changes; `release` lists updated rows whose stored externalId another row takes. */
export interface ChildChanges<Row extends ChildRow = ChildRow> extends ListChanges<Row> {
  release: string[];
}

/** What a list's items did, as rows (the response renders them). */
export interface RowsReport<Row> {
  created: Row[];
  updated: Row[];
  deleted: string[];
}

export interface ChildListPlan<Row extends ChildRow> {
  changes: ChildChanges<Row>;
  report: RowsReport<Row>;
  /** The list as the plan leaves it. */
  final: Row[];
}

export type ChildListPlans = { [L in ListName]: ChildListPlan<ChildRowOf[L]> };

export function planChildLists(planning: Planning): ChildListPlans {
  // In the API's order, which is also the order of the problems they report.
  return {
    addresses: planChildList("addresses", planning),
    contactMethods: planChildList("contactMethods", planning),
    bankAccounts: planChildList("bankAccounts", planning),
    documents: planChildList("documents", planning),
  };
}

const NOTHING_STORED: ChildRowLists = { addresses: [], contactMethods: [], bankAccounts: [], documents: [] };

/** Picks the list's kind, stored rows and items, typed by the list (through the mapped types). */
function planChildList<L extends ListName>(list: L, planning: Planning): ChildListPlan<ChildRowOf[L]> {
  const stored: ChildRowLists = planning.stored ?? NOTHING_STORED;
  const requested: ChildItemLists = planning.request;
  return diffList({
    kind: CHILD_KIND[list],
    existing: stored[list],
    items: requested[list],
    owners: planning.loaded.childOwners[list],
    invalidItems: planning.invalid.items[list],
    planning,
  });
}

interface ListInput<Row extends ChildRow, Item extends ChildItem> {
  kind: ChildKind<Row, Item>;
  existing: readonly Row[];
  items: readonly Item[] | undefined;
  /** The tenant's rows of this list holding an externalId that an item names. */
  owners: readonly ChildOwner[];
  /** Items that failed validation: they stand only for the records they name. */
  invalidItems: ReadonlyMap<number, ReadonlySet<string>>;
  planning: Planning;
}

/** One list being planned: its input, what the items matched so far, and what they change. */
interface ListRun<Row extends ChildRow, Item extends ChildItem> extends ListInput<Row, Item> {
  byId: Map<string, Row>;
  byExternalId: Map<string, Row>;
  ownerOf: Map<string, ChildOwner>;
  /** Stored row id → index of the item that targets it. */
  targeted: Map<string, number>;
  seenIds: Map<string, number>;
  seenExternalIds: Map<string, number>;
  /** Rows of the final list that items wrote or kept. */
  touched: TouchedRow<Row>[];
  deleted: Set<string>;
  changes: ChildChanges<Row>;
  report: RowsReport<Row>;
}

function diffList<Row extends ChildRow, Item extends ChildItem>(input: ListInput<Row, Item>): ChildListPlan<Row> {
  const changes: ChildChanges<Row> = { insert: [], update: [], delete: [], release: [] };
  const report: RowsReport<Row> = { created: [], updated: [], deleted: [] };
  if (!input.items) return { changes, report, final: [...input.existing] };

  const run: ListRun<Row, Item> = {
    ...input,
    byId: new Map(input.existing.map((row) => [row.id, row])),
    byExternalId: new Map(input.existing.flatMap((row) => (row.externalId !== null ? [[row.externalId, row]] : []))),
    ownerOf: new Map(input.owners.map((owner) => [owner.externalId, owner])),
    targeted: new Map(),
    seenIds: new Map(),
    seenExternalIds: new Map(),
    touched: [],
    deleted: new Set(),
    changes,
    report,
  };
  input.items.forEach((item, index) => planItem(run, item, index));
  if (input.planning.request.replaceMode) dropUnlisted(run);

  // The final list: stored rows no item wrote nor deleted (copies: a demotion changes them), then the items' rows.
  const touchedIds = new Set(run.touched.map((t) => t.row.id));
  const survivors = input.existing.filter((row) => !run.deleted.has(row.id) && !touchedIds.has(row.id)).map((row) => ({ ...row }));
  const holders = checkExternalIdsUnique(run, survivors);
  const { problems, timestamp } = input.planning;
  const demoted = settlePrimarySlots({ kind: input.kind, touched: run.touched, survivors, problems, timestamp });
  collectWrites(run, demoted);
  releaseTakenExternalIds(run, holders);
  return { changes, report, final: [...survivors, ...run.touched.map((t) => t.row)] };
}

function planItem<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, item: Item, index: number): void {
  const match = matchItem(run, item, index);
  if (!match) return;
  const present = run.invalidItems.get(index);
  if (present) {
    // Its fields are reported already: only the records it names, and the keys it lacks, are checked.
    externalIdOfAnotherClient(run, item, index, match.target);
    const names = present.has("id") || present.has("externalId");
    if (item._delete === true && !match.target && !names) {
      run.planning.problems.invalid([run.kind.list, index, "_delete"], "invalid_delete", "_delete needs the id or the externalId of the item to delete");
    } else if (item._delete !== true && !match.target && !present.has("id") && !(present.has("externalId") && item.externalId === undefined)) {
      for (const key of run.kind.requiredOnCreate) {
        if (!present.has(key)) run.planning.problems.invalid([run.kind.list, index, key], "required", `${key} is required when creating a ${run.kind.noun}`);
      }
    }
    return;
  }
  if (item._delete === true) {
    deleteItem(run, item, index, match.target);
    return;
  }
  if (externalIdOfAnotherClient(run, item, index, match.target)) return;
  run.touched.push(writeItem(run, item, index, match.target));
}

/**
 * The stored row an item names (`target`, undefined when it creates one), or null when the item is
 * refused: a clientId that is not the synced client's is reported and the item still matched; an
 * id or externalId another item already names, an unknown id, or a row another item targets end it.
 */
function matchItem<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, item: Item, index: number): { target: Row | undefined } | null {
  const { kind, planning } = run;
  const { problems } = planning;
  const path = [kind.list, index];
  const { id, externalId } = item;
  if (item.clientId !== undefined) {
    if (planning.stored === null) {
      problems.invalid([...path, "clientId"], "invalid_client_id", "Items carry no clientId when the sync creates the client");
    } else if (item.clientId !== planning.client.id) {
      problems.invalid([...path, "clientId"], "invalid_client_id", `clientId must be the synced client's id, ${planning.client.id}`);
    }
  }
  if (id !== undefined) {
    const first = run.seenIds.get(id);
    if (first !== undefined) {
      problems.invalid([...path, "id"], "duplicate_reference", `id ${id} also appears in /${kind.list}/${first}`);
      return null;
    }
    run.seenIds.set(id, index);
  }
  if (typeof externalId === "string") {
    const first = run.seenExternalIds.get(externalId);
    if (first !== undefined) {
      problems.invalid([...path, "externalId"], "duplicate_reference", `externalId "${externalId}" also appears in /${kind.list}/${first}`);
      return null;
    }
    run.seenExternalIds.set(externalId, index);
  }

  let target: Row | undefined;
  if (id !== undefined) {
    target = run.byId.get(id);
    if (!target) {
      problems.notFound([...path, "id"], "not_found", `No ${kind.noun} ${id} on this client`);
      return null;
    }
  } else if (typeof externalId === "string") {
    target = run.byExternalId.get(externalId);
  }
  if (target) {
    const other = run.targeted.get(target.id);
    if (other !== undefined) {
      problems.invalid(path, "duplicate_reference", `This item targets the same ${kind.noun} as /${kind.list}/${other}`);
      return null;
    }
    run.targeted.set(target.id, index);
  }
  return { target };
}

/** Reports (and answers true) when the externalId an item sets belongs to a row of another client. */
function externalIdOfAnotherClient<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, item: Item, index: number, target: Row | undefined): boolean {
  const { externalId } = item;
  if (typeof externalId !== "string" || externalId === target?.externalId) return false;
  const owner = run.ownerOf.get(externalId);
  if (!owner || owner.clientId === run.planning.client.id) return false;
  run.planning.problems.conflict([run.kind.list, index, "externalId"], "external_id_taken", `externalId "${externalId}" belongs to a ${run.kind.noun} of another client`);
  return true;
}

function deleteItem<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, item: Item, index: number, target: Row | undefined): void {
  if (target) {
    run.deleted.add(target.id);
    run.changes.delete.push(target.id);
    run.report.deleted.push(target.id);
  } else if (typeof item.externalId !== "string") {
    run.planning.problems.invalid([run.kind.list, index, "_delete"], "invalid_delete", "_delete needs the id or the externalId of the item to delete");
  }
  // An externalId that matches nothing: already gone, nothing to do.
}

/** The row an item leaves: its target with the item's fields applied, or a new row made of them. */
function writeItem<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, item: Item, index: number, target: Row | undefined): TouchedRow<Row> {
  const { kind, planning } = run;
  const path = [kind.list, index];
  const { timestamp } = planning;
  // A new row's tenant is set by the write (sync/write.ts).
  const row = target ? { ...target } : kind.newRow({ id: planning.newId(), tenantId: "", clientId: planning.client.id, externalId: null, createdAt: timestamp, updatedAt: timestamp });
  if (!target) {
    for (const key of kind.requiredOnCreate) {
      if (item[key] === undefined || item[key] === null) {
        planning.problems.invalid([...path, key], "required", `${key} is required when creating a ${kind.noun}`);
      }
    }
  }
  applyFields(kind, row, item);
  planning.problems.invalidAll(kind.complete(row, item, !target, path));
  if (target) {
    for (const key of kind.frozen?.(target) ?? []) {
      if (!same(target[key], row[key])) {
        planning.problems.immutable([...path, key], "immutable", `${key} describes the ${kind.noun}'s uploaded file, which is immutable: it stays ${JSON.stringify(target[key])}`);
      }
    }
  }
  const changed = !target || kind.fields.some((key) => !same(target[key], row[key]));
  return { row, index, claimsPrimary: item.isPrimary === true, isNew: !target, changed };
}

/** The keys an item gives replace the row's; `null` clears (to `nullMeans` where the column is not nullable). */
function applyFields<Row extends ChildRow, Item extends ChildItem>(kind: ChildKind<Row, Item>, row: Row, item: Item): void {
  for (const key of kind.fields) {
    if (!Object.hasOwn(item, key)) continue;
    const value: unknown = item[key];
    // zod checked the value, and ItemField that the item's type fits the column: TypeScript cannot
    // follow either through a list of keys.
    row[key] = (value === null ? (kind.nullMeans?.[key] ?? null) : value) as Row[typeof key];
  }
}

/** replaceMode: the stored rows that no item names are deleted. */
function dropUnlisted<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>): void {
  for (const row of run.existing) {
    if (run.targeted.has(row.id) || run.deleted.has(row.id)) continue;
    run.deleted.add(row.id);
    run.changes.delete.push(row.id);
    run.report.deleted.push(row.id);
  }
}

/**
 * externalIds stay unique within the list once every item is applied (a 409 at the item taking one
 * already held). Returns each final externalId's holder: the item's index, -1 for a survivor.
 */
function checkExternalIdsUnique<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, survivors: readonly Row[]): Map<string, number> {
  const holders = new Map<string, number>();
  for (const row of survivors) if (row.externalId !== null) holders.set(row.externalId, -1);
  for (const { row, index } of run.touched) {
    if (row.externalId === null) continue;
    if (holders.has(row.externalId)) {
      run.planning.problems.conflict([run.kind.list, index, "externalId"], "external_id_taken", `Another ${run.kind.noun} of this client has externalId "${row.externalId}"`);
    }
    holders.set(row.externalId, index);
  }
  return holders;
}

/** New rows are inserted; rows an item changed, and survivors a new primary demoted, are updated. */
function collectWrites<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, demoted: readonly Row[]): void {
  const { changes, report } = run;
  for (const t of run.touched) {
    if (t.isNew) {
      changes.insert.push(t.row);
      report.created.push(t.row);
    } else if (t.changed) {
      t.row.updatedAt = run.planning.timestamp;
      changes.update.push(t.row);
      report.updated.push(t.row);
    }
  }
  for (const row of demoted) {
    changes.update.push(row);
    report.updated.push(row);
  }
}

/**
 * An updated row giving up an externalId that another row of the list takes (a swap, a chain of
 * renames) must let go of it first: the unique index is checked row by row within one UPDATE.
 */
function releaseTakenExternalIds<Row extends ChildRow, Item extends ChildItem>(run: ListRun<Row, Item>, holders: ReadonlyMap<string, number>): void {
  const storedExternalIds = new Map(run.existing.map((row) => [row.id, row.externalId]));
  for (const row of run.changes.update) {
    const old = storedExternalIds.get(row.id);
    if (old == null || old === row.externalId) continue;
    if (holders.has(old)) run.changes.release.push(row.id);
  }
}
