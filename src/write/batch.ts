// POST /clients/batch (API.md §5): validate every item, check externalIds against the body and the
// tenant's clients, then write all new clients in ONE D1 batch (one json_each INSERT per 1.9 MB).
import { and, eq, inArray, sql } from "drizzle-orm";
import * as z from "zod";
import { insertRows } from "../db/bulk";
import { isUniqueViolation } from "../db/constraints";
import { runBatch, type Db } from "../db/database";
import { fullClient, type FullClient } from "../db/mappers";
import { clients, type ClientRow } from "../db/schema";
import type { ApiRequest } from "../http/context";
import { ApiError, problemOf, VALIDATION_DETAIL, type FieldError, type Problem } from "../http/errors";
import { readJsonBody, withInexact } from "../http/body";
import { answer, idempotencyOf, type Idempotency, type StoredAnswer } from "../http/idempotency";
import { sourceOf } from "../http/pipeline";
import { newId } from "../ids";
import { clientInput, clientRules, mergeClient, missingOnCreate, type ClientState } from "../schemas/client";
import { fieldErrors } from "../schemas/common";
import { MAX_ITEMS } from "../schemas/requests";

const envelope = z.strictObject({
  items: z.array(z.unknown()).min(1).max(MAX_ITEMS),
  atomic: z.boolean().optional(),
});

interface Candidate {
  index: number;
  state: ClientState;
}

interface Failure {
  index: number;
  code: "BAD_REQUEST" | "CONFLICT";
  errors: FieldError[];
}

export function newClientRow(state: ClientState, tenantId: string, isPrimary: boolean, now: string): ClientRow {
  return { id: newId(), tenantId, isPrimary, version: 1, createdAt: now, updatedAt: now, ...state };
}

/** The tenant's clients holding any of these externalIds (unique index on tenant + externalId). */
export function clientsByExternalId(db: Db, tenantId: string, externalIds: readonly string[]) {
  return db
    .select({ id: clients.id, externalId: clients.externalId })
    .from(clients)
    .where(
      and(
        eq(clients.tenantId, tenantId),
        inArray(clients.externalId, sql`(SELECT value FROM json_each(${JSON.stringify(externalIds)}))`),
      ),
    );
}

const takenError = (index: number, externalId: string): FieldError => ({
  pointer: `/items/${index}/externalId`,
  code: "external_id_taken",
  detail: `A client with externalId "${externalId}" already exists`,
});

/** Per-item validation; items that pass become candidates, the rest failures. */
function validateItems(items: readonly unknown[]) {
  const candidates: Candidate[] = [];
  const failures: Failure[] = [];
  items.forEach((item, index) => {
    const parsed = clientInput.safeParse(item);
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
function duplicateFailures(candidates: readonly Candidate[]): Failure[] {
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

/**
 * The read round trip of a batch: which externalIds stored clients hold, and the Idempotency-Key's
 * record (when there is a key), in ONE D1 batch.
 */
async function readForBatch(db: Db, tenantId: string, candidates: readonly Candidate[], idempotency: Idempotency | null) {
  const externalIds = candidates.flatMap((c) => (c.state.externalId === null ? [] : [c.state.externalId]));
  const statements = [
    ...(externalIds.length > 0 ? [clientsByExternalId(db, tenantId, externalIds)] : []),
    ...(idempotency ? [idempotency.lookup()] : []),
  ];
  const results = await runBatch(db, statements);
  const replay = idempotency ? idempotency.replayOf(results.at(-1)) : null;
  const taken = new Set(externalIds.length > 0 ? (results[0] as { externalId: string }[]).map((r) => r.externalId) : []);
  const conflicts = candidates
    .filter((c) => c.state.externalId !== null && taken.has(c.state.externalId))
    .map((c) => ({ index: c.index, code: "CONFLICT" as const, errors: [takenError(c.index, c.state.externalId!)] }));
  return { conflicts, replay };
}

function failedCall(failures: readonly Failure[]): ApiError {
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

/**
 * Attempts at read → write when another request takes an externalId in between. Each attempt's read
 * sees the clients that won the previous race, so only a new rival per attempt can exhaust them.
 */
const MAX_BATCH_ATTEMPTS = 5;

export async function createClients(request: ApiRequest) {
  const { value, text, inexact } = await readJsonBody(request);
  const idempotency = await idempotencyOf(request, text);

  const parsedEnvelope = envelope.safeParse(value);
  if (!parsedEnvelope.success || inexact.length > 0) {
    // Every issue: when `items` itself is a list, its items' issues are reported with the envelope's;
    // a body not read exactly as sent is refused whole, with its other issues.
    const items = (value as { items?: unknown } | null)?.items;
    const itemErrors = Array.isArray(items) ? validateItems(items).failures.flatMap((f) => f.errors) : [];
    const envelopeErrors = parsedEnvelope.success ? [] : fieldErrors(parsedEnvelope.error);
    throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, withInexact(inexact, [...envelopeErrors, ...itemErrors]));
  }
  const { items, atomic = true } = parsedEnvelope.data;
  const { db, tenantId } = request;
  const now = new Date();
  const nowIso = now.toISOString();
  const source = sourceOf(request);

  const checkedItems = validateItems(items);
  const invalid = [...checkedItems.failures, ...duplicateFailures(checkedItems.candidates)];
  const failing = new Set(invalid.map((f) => f.index));
  const valid = checkedItems.candidates.filter((c) => !failing.has(c.index));

  const render = (created: readonly { index: number; row: ClientRow }[], failures: Failure[]): StoredAnswer => {
    const succeeded = created.map(({ index, row }) => ({ index, data: renderNew(row, now) }));
    const failed = [...failures]
      .sort((a, b) => a.index - b.index)
      .map((f): { index: number; error: Problem } => ({
        index: f.index,
        error: problemOf(f.code, f.code === "CONFLICT" ? "The item conflicts with an existing client or an earlier item" : VALIDATION_DETAIL, source, f.errors),
      }));
    const body = atomic
      ? { atomic: true, data: succeeded.map((s) => s.data) }
      : { atomic: false, data: succeeded.map((s) => s.data), succeeded, failed };
    return { status: 200, headers: {}, body: JSON.stringify(body) };
  };

  for (let attempt = 1; ; attempt++) {
    // Read even when some items are invalid: an atomic failure lists EVERY failing item (§5),
    // conflicting ones included.
    const { conflicts, replay } = await readForBatch(db, tenantId, valid, idempotency);
    // A key used before answers first: its replay, or a 422 when this body is not that request's.
    if (replay) return replay;
    const failures = [...invalid, ...conflicts];
    if (atomic && failures.length > 0) throw failedCall(failures);
    const conflicting = new Set(conflicts.map((f) => f.index));
    const created = valid
      .filter((c) => !conflicting.has(c.index))
      .map((c) => ({ index: c.index, row: newClientRow(c.state, tenantId, true, nowIso), externalId: c.state.externalId }));

    if (!atomic && !idempotency) {
      // Non-atomic without a stored answer: an item whose externalId a rival took after the read is
      // skipped by the database itself and reported failed, so this call always answers 200 (§5).
      // RETURNING rows are matched to items by id, never by position.
      const results = await runBatch(db, insertRows(db, clients, created.map((c) => c.row), { onConflictDoNothing: true, returning: { id: clients.id } }));
      const inserted = new Set((results as { id: string }[][]).flat().map((r) => r.id));
      const raced = created.filter((c) => !inserted.has(c.row.id));
      const racedFailures = raced.map((c) => ({ index: c.index, code: "CONFLICT" as const, errors: [takenError(c.index, c.externalId ?? "")] }));
      return answer(render(created.filter((c) => inserted.has(c.row.id)), [...failures, ...racedFailures]));
    }

    const stored = render(created, failures);
    try {
      // ONE batch: the new clients, and the answer under the Idempotency-Key if there is one.
      // The answer goes first: a concurrent request with the same key fails on it, before anything else.
      await runBatch(db, [...(idempotency?.record(stored) ?? []), ...insertRows(db, clients, created.map((c) => c.row))]);
      return answer(stored);
    } catch (error) {
      const replay = await idempotency?.replayAfterRace(error);
      if (replay) return replay;
      if (!isUniqueViolation(error, "clients")) throw error;
      // Another request took one of these externalIds between our read and our write: read again.
      // (A keyed non-atomic answer is stored with the writes, so it must be exact: it retries too.)
      if (attempt >= MAX_BATCH_ATTEMPTS) {
        throw new ApiError("CONFLICT", `The tenant's clients changed concurrently ${attempt} times while this batch was written; nothing was written, retry the request`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

function renderNew(row: ClientRow, now: Date): FullClient {
  return fullClient(
    { client: row, addresses: [], contactMethods: [], bankAccounts: [], documents: [], links: [], linkedClients: new Map(), linkedContacts: [] },
    now,
  );
}
