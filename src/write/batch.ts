// POST /clients/batch (API.md §5): validate every item, check externalIds against the body and the
// tenant's clients, then write all new clients in ONE D1 batch (one json_each INSERT per 1.9 MB).
import * as z from "zod";
import {
  batchAnswer,
  duplicateFailures,
  externalIdsOf,
  failedCall,
  newClientRow,
  takenFailure,
  takenFailures,
  validateItems,
  type Candidate,
  type Created,
  type Failure,
} from "../batch/items";
import { insertClients, insertClientsSkippingTaken, insertedIds, takenExternalIdsRead } from "../db/clients";
import { isUniqueViolation } from "../db/constraints";
import { bothReads } from "../db/database";
import { duplicatesRead, type DuplicatesState } from "../db/duplicates";
import { batchDuplicates, clientIdentifiers, resolvedDuplicates, type PendingDuplicate } from "../lookup/duplicates";
import { readJsonBody, withInexact } from "../http/body";
import type { ApiRequest } from "../http/context";
import { ApiError, VALIDATION_DETAIL } from "../http/errors";
import { idempotencyOf } from "../http/idempotency";
import { sourceOf } from "../http/pipeline";
import { fieldErrors } from "../schemas/common";
import { MAX_ITEMS } from "../schemas/requests";
import { createdClientDrafts } from "../history/drafts";
import { runWrite, type Recording, type WriteDecision, type WriteOperation } from "./runner";

const envelope = z.strictObject({
  items: z.array(z.unknown()).min(1).max(MAX_ITEMS),
  atomic: z.boolean().optional(),
});

/**
 * Attempts at read → write when another request takes an externalId in between. Each attempt's read
 * sees the clients that won the previous race, so only a new rival per attempt can exhaust them.
 */
const MAX_BATCH_ATTEMPTS = 5;

/** The envelope, or a 400 with every issue of the body. */
function parseEnvelope(value: unknown, inexact: Parameters<typeof withInexact>[0]) {
  const parsed = envelope.safeParse(value);
  if (parsed.success && inexact.length === 0) return parsed.data;
  // Every issue: when `items` itself is a list, its items' issues are reported with the envelope's;
  // a body not read exactly as sent is refused whole, with its other issues.
  const items = (value as { items?: unknown } | null)?.items;
  const itemErrors = Array.isArray(items) ? validateItems(items).failures.flatMap((f) => f.errors) : [];
  const envelopeErrors = parsed.success ? [] : fieldErrors(parsed.error);
  throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, withInexact(inexact, [...envelopeErrors, ...itemErrors]));
}

export async function createClients(request: ApiRequest) {
  const { value, text, inexact } = await readJsonBody(request);
  const idempotency = await idempotencyOf(request, text);
  const { items, atomic = true } = parseEnvelope(value, inexact);
  const checked = validateItems(items);
  const invalid = [...checked.failures, ...duplicateFailures(checked.candidates)];
  const failing = new Set(invalid.map((f) => f.index));
  const valid = checked.candidates.filter((c) => !failing.has(c.index));

  const { db } = request;
  const now = new Date();
  const answerOf = (created: readonly Created[], failures: readonly Failure[], pending: readonly PendingDuplicate[]) =>
    batchAnswer(atomic, created, failures, now, sourceOf(request), resolvedDuplicates(pending, new Map(created.map((c) => [c.index, c.row.id]))));
  // The RFCs and CURPs the valid items bring (API.md §14): who else holds them, read with the rest.
  const brought = valid.flatMap((c) => clientIdentifiers(c.state.scopeData, `/items/${c.index}`, c.index));

  const operation: WriteOperation<[Set<string>, DuplicatesState]> = {
    // Read even when some items are invalid: an atomic failure lists EVERY failing item (§5),
    // conflicting ones included.
    read: () => bothReads(takenExternalIdsRead(db, request.tenant, externalIdsOf(valid)), duplicatesRead(db, request.tenant, brought)),
    async decide([taken, duplicateState]): Promise<WriteDecision> {
      const conflicts = takenFailures(valid, taken);
      const { refused, pending } = batchDuplicates(brought, duplicateState, new Set(conflicts.map((f) => f.index)));
      const clashes = [...refused].map(([index, errors]): Failure => ({ index, code: "CONFLICT", errors }));
      const failures = [...invalid, ...conflicts, ...clashes];
      if (atomic && failures.length > 0) throw failedCall(failures);
      const conflicting = new Set([...conflicts, ...clashes].map((f) => f.index));
      const created = valid
        .filter((c) => !conflicting.has(c.index))
        .map((c: Candidate): Created => ({ index: c.index, row: newClientRow(c.state, request.tenantId, true, now.toISOString()) }));
      const rows = created.map((c) => c.row);
      const record = (skipping: boolean): Recording => ({
        operation: "batch",
        at: now.toISOString(),
        drafts: createdClientDrafts(rows),
        heads: new Map(),
        onlyIfClientExists: skipping,
      });
      if (atomic || idempotency) {
        // A keyed non-atomic answer is stored with the writes, so it must be exact: a taken
        // externalId refuses the batch and it is decided again, like an atomic one.
        return { answer: answerOf(created, failures, pending), writes: insertClients(db, rows), record: record(false) };
      }
      // Non-atomic without a stored answer: an item whose externalId a rival took after the read is
      // skipped by the database itself and reported failed, so this call always answers 200 (§5).
      // RETURNING rows are matched to items by id, never by position.
      return {
        writes: insertClientsSkippingTaken(db, rows),
        record: record(true),
        answerAfter(results) {
          const inserted = insertedIds(results);
          const raced = created.filter((c) => !inserted.has(c.row.id));
          const racedFailures = raced.map((c) => takenFailure(c.index, c.row.externalId ?? ""));
          return answerOf(created.filter((c) => inserted.has(c.row.id)), [...failures, ...racedFailures], pending);
        },
      };
    },
    // Another request took one of these externalIds between the read and the write, or (under a
    // "reject" duplicate rule) one of these identifiers: read again (the read then names the clash).
    raced: (error) => isUniqueViolation(error, "clients") || isUniqueViolation(error, "client_lookup_keys"),
    attempts: MAX_BATCH_ATTEMPTS,
    conflict: (attempts) =>
      `The tenant's clients changed concurrently ${attempts} times while this batch was written; nothing was written, retry the request`,
  };
  return runWrite(request, operation, idempotency);
}
