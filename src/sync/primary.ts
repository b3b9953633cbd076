// Primary slots (API.md §4.6): within one list, a slot (the primary address, the primary contact
// method of each type, …) has at most one row. Two items claiming one slot is a 400; one claim, or
// else the oldest holder, keeps the slot and the other holders are demoted.
import { byCreation } from "../db/mappers";
import type { ChildItem, ChildKind, ChildRow } from "../schemas/child";
import type { PlanProblems } from "./problems";

/** A row of the final list that an item wrote or kept. */
export interface TouchedRow<Row> {
  row: Row;
  /** The item's index in its list. */
  index: number;
  /** The item sets isPrimary: true. */
  claimsPrimary: boolean;
  isNew: boolean;
  changed: boolean;
}

export interface SlotsInput<Row extends ChildRow, Item extends ChildItem> {
  kind: ChildKind<Row, Item>;
  /** Rows the items wrote or kept, in item order; a demoted one is marked changed. */
  touched: readonly TouchedRow<Row>[];
  /** Stored rows that stay as they are unless demoted (copies: demoting changes them). */
  survivors: readonly Row[];
  problems: PlanProblems;
  timestamp: string;
}

interface Holder<Row> {
  row: Row;
  /** 2: an item claims the slot; 1: an item kept the row, primary already; 0: no item names the row. */
  rank: number;
  /** The item's index, -1 for a survivor. */
  index: number;
  touched: TouchedRow<Row> | null;
}

/** Settles every slot of the list; returns the survivors it demoted (rows to update as well). */
export function settlePrimarySlots<Row extends ChildRow, Item extends ChildItem>(input: SlotsInput<Row, Item>): Row[] {
  const { kind, problems } = input;
  const slots = new Map<string, Holder<Row>[]>();
  const holders: Holder<Row>[] = [
    ...input.touched.map((t) => ({ row: t.row, rank: t.claimsPrimary ? 2 : 1, index: t.index, touched: t })),
    ...input.survivors.map((row) => ({ row, rank: 0, index: -1, touched: null })),
  ];
  for (const holder of holders) {
    const slot = kind.primarySlot(holder.row);
    if (slot !== null) slots.set(slot, [...(slots.get(slot) ?? []), holder]);
  }

  const demoted: Row[] = [];
  for (const holdersOfSlot of slots.values()) {
    if (holdersOfSlot.length < 2) continue;
    const claims = holdersOfSlot.filter((h) => h.rank === 2);
    if (claims.length > 1) {
      const [first, ...others] = claims.map((c) => c.index);
      for (const index of others) {
        problems.invalid([kind.list, index, "isPrimary"], "duplicate_primary", `Only one primary ${kind.noun} is allowed here; /${kind.list}/${first} claims it too`);
      }
      continue;
    }
    const keep = [...holdersOfSlot].sort((a, b) => b.rank - a.rank || byCreation(a.row, b.row))[0];
    for (const holder of holdersOfSlot) {
      if (holder === keep) continue;
      kind.demote(holder.row);
      holder.row.updatedAt = input.timestamp;
      if (holder.touched) holder.touched.changed = true;
      else demoted.push(holder.row);
    }
  }
  return demoted;
}
