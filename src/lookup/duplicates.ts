// Duplicate identifiers (API.md §14): which RFCs, CURPs and CLABEs a batch or a sync brings, and,
// from what its read found, which of them another live client holds — listed in every answer
// (`duplicates`), and refused under the tenant's "reject" rule (409 CONFLICT, one
// `duplicate_identifier` error per clash). Pure. The refusal here names the clash; the guarantee
// is the database's (db/duplicates.ts): a rival that commits the same identifier after this read
// makes the write batch fail on the unique index, and the write is read and decided again.
import type { BroughtIdentifier, DuplicatesState, RuledKind } from "../db/duplicates";
import type { FieldError } from "../field-errors";
import { normalize } from "./normalize";

/** An identifier of the request that another live client holds. */
export interface Duplicate {
  pointer: string;
  kind: RuledKind;
  existingClientId: string;
}

/** An identifier brought by the request, with what the request knows of it. */
export interface Brought extends BroughtIdentifier {
  /** The batch item it belongs to (a sync: 0). */
  item: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The RFC and CURP of a client's scopeData, with their pointers under `base`. */
export function clientIdentifiers(scopeData: unknown, base: string, item: number): Brought[] {
  const mx = isObject(scopeData) ? scopeData.MX : null;
  if (!isObject(mx)) return [];
  return (["rfc", "curp"] as const).flatMap((kind) => {
    const value = mx[kind];
    const normalized = typeof value === "string" ? normalize(kind, value) : "";
    return normalized === "" ? [] : [{ pointer: `${base}/scopeData/MX/${kind}`, kind, normalized, item }];
  });
}

/** A sync's identifiers: its client's RFC and CURP, the CLABEs of the bank accounts it sends. */
export function syncIdentifiers(body: { client?: { scopeData?: unknown }; bankAccounts?: readonly unknown[] }): Brought[] {
  const own = clientIdentifiers(body.client?.scopeData, "/client", 0);
  const accounts = (body.bankAccounts ?? []).flatMap((account, j): Brought[] => {
    if (!isObject(account) || account._delete === true || typeof account.clabe !== "string") return [];
    const normalized = normalize("clabe", account.clabe);
    return normalized === "" ? [] : [{ pointer: `/bankAccounts/${j}/clabe`, kind: "clabe", normalized, item: 0 }];
  });
  return [...own, ...accounts];
}

/** The refusal of one clash. */
export function clashError(duplicate: { pointer: string; kind: RuledKind; existingClientId: string | null }, earlierPointer?: string): FieldError {
  const label = duplicate.kind === "rfc" ? "RFC" : duplicate.kind === "curp" ? "CURP" : "CLABE";
  const detail =
    duplicate.existingClientId === null
      ? `This ${label} also appears at ${earlierPointer}, and the tenant's duplicate rule rejects a second client with the same ${label}`
      : `Client ${duplicate.existingClientId} already holds this ${label}, and the tenant's duplicate rule rejects a second client with the same ${label}`;
  return { pointer: duplicate.pointer, code: "duplicate_identifier", detail, kind: duplicate.kind, existingClientId: duplicate.existingClientId };
}

/**
 * The first live client other than `self` that holds identifier `i` (the read's order), or null.
 */
export function otherHolder(state: DuplicatesState, i: number, self: ReadonlySet<string>): string | null {
  return (state.holders.get(i) ?? []).find((id) => !self.has(id)) ?? null;
}

/** A batch's duplicate found before its rows exist: held by a stored client, or by an earlier item. */
export type PendingDuplicate = { pointer: string; kind: RuledKind; item: number } & ({ existingClientId: string } | { earlierItem: number });

/**
 * A batch's identifiers against what its read found and against each other (items in `failing`
 * are left out): the clashes its rule refuses (per item: every error of the item) and the
 * duplicates it only reports.
 */
export function batchDuplicates(brought: readonly Brought[], state: DuplicatesState, failing: ReadonlySet<number>) {
  const refused = new Map<number, FieldError[]>();
  const pending: PendingDuplicate[] = [];
  const first = new Map<string, Brought>();
  brought.forEach((b, i) => {
    if (failing.has(b.item)) return;
    const stored = otherHolder(state, i, new Set());
    const seen = `${b.kind} ${b.normalized}`;
    const earlier = first.get(seen);
    if (state.rejected.has(b.kind) && (stored !== null || earlier)) {
      refused.set(b.item, [...(refused.get(b.item) ?? []), clashError({ pointer: b.pointer, kind: b.kind, existingClientId: stored }, earlier?.pointer)]);
      return;
    }
    if (stored !== null) pending.push({ pointer: b.pointer, kind: b.kind, item: b.item, existingClientId: stored });
    else if (earlier) pending.push({ pointer: b.pointer, kind: b.kind, item: b.item, earlierItem: earlier.item });
    if (!earlier) first.set(seen, b);
  });
  return { refused, pending };
}

/** The batch's duplicates among the items created (`created`: item → new client id). */
export function resolvedDuplicates(pending: readonly PendingDuplicate[], created: ReadonlyMap<number, string>): Duplicate[] {
  return pending.flatMap((d): Duplicate[] => {
    if (!created.has(d.item)) return [];
    const existingClientId = "existingClientId" in d ? d.existingClientId : created.get(d.earlierItem);
    return existingClientId === undefined ? [] : [{ pointer: d.pointer, kind: d.kind, existingClientId }];
  });
}

/**
 * A sync's identifiers against what its read found: `self` is the synced client (its own keys are
 * no duplicate), `holdsAlready` tells an identifier the stored graph has (it writes no new key, so
 * the rule has nothing to refuse: it is only reported). Returns the duplicates and the refusals.
 */
export function syncDuplicates(brought: readonly Brought[], state: DuplicatesState, self: ReadonlySet<string>, holdsAlready: (b: Brought) => boolean) {
  const duplicates: Duplicate[] = [];
  const refusals: FieldError[] = [];
  brought.forEach((b, i) => {
    const existingClientId = otherHolder(state, i, self);
    if (existingClientId === null) return;
    if (state.rejected.has(b.kind) && !holdsAlready(b)) refusals.push(clashError({ pointer: b.pointer, kind: b.kind, existingClientId }));
    else duplicates.push({ pointer: b.pointer, kind: b.kind, existingClientId });
  });
  return { duplicates, refusals };
}
