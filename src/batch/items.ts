// The pure part of POST /clients/batch (API.md §5): which items are valid, which conflict (with
// each other, or with the externalIds stored clients hold), the new rows, and the answer.
import { fullClient, type FullClient } from "../db/mappers";
import { NEW_CLIENT_COMPLETENESS } from "../compliance/columns";
import type { ClientRow } from "../db/schema";
import { ApiError, problemOf, VALIDATION_DETAIL, type FieldError, type Problem, type ProblemSource } from "../http/errors";
import type { StoredAnswer } from "../http/idempotency";
import { newId } from "../ids";
import { clientRules, mergeClient, missingOnCreate, parseClientInput, type ClientState } from "../schemas/client";
import { fieldErrors } from "../schemas/common";
import type { Duplicate } from "../lookup/duplicates";

/** An item that passed validation. */
export interface Candidate {
  index: number;
  state: ClientState;
}

export interface Failure {
  index: number;
  code: "BAD_REQUEST" | "CONFLICT";
  errors: FieldError[];
}

/** An item to create, with its new row. */
export interface Created {
  index: number;
  row: ClientRow;
}

export function newClientRow(state: ClientState, tenantId: string, isPrimary: boolean, now: string): ClientRow {
  return { id: newId(), tenantId, isPrimary, version: 1, createdAt: now, updatedAt: now, ...state, ...NEW_CLIENT_COMPLETENESS };
}

/** Per-item validation; items that pass become candidates, the rest failures. */
export function validateItems(items: readonly unknown[]) {
  const candidates: Candidate[] = [];
  const failures: Failure[] = [];
  items.forEach((item, index) => {
    const parsed = parseClientInput(item);
    if (!parsed.success) {
      // Every issue of the item: the keys a new client requires are checked on the raw item too,
      // since clientRules (below) only sees items whose shape is valid.
      const errors = [...fieldErrors(parsed.error, ["items", index]), ...missingOnCreate(item, ["items", index])];
      failures.push({ index, code: "BAD_REQUEST", errors });
      return;
    }
    const state = mergeClient(null, parsed.data);
    const errors = clientRules(state, ["items", index]);
    if (errors.length > 0) failures.push({ index, code: "BAD_REQUEST", errors });
    else candidates.push({ index, state });
  });
  return { candidates, failures };
}

/** Later occurrences of an externalId within the body conflict with the first one. */
export function duplicateFailures(candidates: readonly Candidate[]): Failure[] {
  const first = new Map<string, number>();
  const failures: Failure[] = [];
  for (const { index, state } of candidates) {
    if (state.externalId === null) continue;
    const earlier = first.get(state.externalId);
    if (earlier === undefined) first.set(state.externalId, index);
    else {
      failures.push({
        index,
        code: "CONFLICT",
        errors: [{ pointer: `/items/${index}/externalId`, code: "duplicate_external_id", detail: `externalId "${state.externalId}" also appears in /items/${earlier}` }],
      });
    }
  }
  return failures;
}

/** The externalIds the candidates name. */
export function externalIdsOf(candidates: readonly Candidate[]): string[] {
  return candidates.flatMap((c) => (c.state.externalId === null ? [] : [c.state.externalId]));
}

/** The item conflicts with a stored client holding its externalId. */
export function takenFailure(index: number, externalId: string): Failure {
  return {
    index,
    code: "CONFLICT",
    errors: [{ pointer: `/items/${index}/externalId`, code: "external_id_taken", detail: `A client with externalId "${externalId}" already exists` }],
  };
}

/** The candidates whose externalId a stored client holds. */
export function takenFailures(candidates: readonly Candidate[], taken: ReadonlySet<string>): Failure[] {
  return candidates.filter((c) => c.state.externalId !== null && taken.has(c.state.externalId)).map((c) => takenFailure(c.index, c.state.externalId!));
}

/** An atomic batch with failing items: every failure in one problem; 400 if any item is invalid, else 409. */
export function failedCall(failures: readonly Failure[]): ApiError {
  const sorted = [...failures].sort((a, b) => a.index - b.index);
  const invalid = sorted.some((f) => f.code === "BAD_REQUEST");
  const count = new Set(sorted.map((f) => f.index)).size;
  return new ApiError(
    invalid ? "BAD_REQUEST" : "CONFLICT",
    invalid
      ? `${VALIDATION_DETAIL}: ${count} of the items failed; nothing was written`
      : `${count} of the items conflict with existing clients or with each other; nothing was written`,
    sorted.flatMap((f) => f.errors),
  );
}

function renderNew(row: ClientRow, now: Date): FullClient {
  return fullClient(
    { client: row, addresses: [], contactMethods: [], bankAccounts: [], documents: [], links: [], linkedClients: new Map(), linkedContacts: [] },
    now,
  );
}

/** The 200 answer: the created clients, and (non-atomic) which items succeeded and which failed. */
export function batchAnswer(
  atomic: boolean,
  created: readonly Created[],
  failures: readonly Failure[],
  now: Date,
  source: ProblemSource,
  duplicates: readonly Duplicate[] = [],
): StoredAnswer {
  const succeeded = created.map(({ index, row }) => ({ index, data: renderNew(row, now) }));
  const failed = [...failures]
    .sort((a, b) => a.index - b.index)
    .map((f): { index: number; error: Problem } => ({
      index: f.index,
      error: problemOf(f.code, f.code === "CONFLICT" ? "The item conflicts with an existing client or an earlier item" : VALIDATION_DETAIL, source, f.errors),
    }));
  const body = atomic
    ? { atomic: true, data: succeeded.map((s) => s.data), duplicates }
    : { atomic: false, data: succeeded.map((s) => s.data), succeeded, failed, duplicates };
  return { status: 200, headers: {}, body: JSON.stringify(body) };
}
