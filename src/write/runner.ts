// The one write path: every write operation (batch, sync, DELETE) runs here as
//   one read round trip (with the Idempotency-Key's record, when there is a key, and on the first
//   attempt the API key lookup: http/auth.ts readWithKey)
//   → a decision made from what was read, with no I/O
//   → one D1 write batch: the stored answer first, then the decision's guards and rows
//   → the answer (made from the batch's results when only the batch can tell what it did).
// D1 has no interactive transactions, so a decision made from state that moved before it was
// written is refused by the batch itself (a guard, a unique index, a foreign key) and made again
// from a fresh read; after the last attempt the answer is 409. A concurrent request that stored
// an answer under the same key meanwhile is replayed instead.
import { runBatch, type Read, type Statement } from "../db/database";
import { appendEntries } from "../db/history";
import { sendRecordedEvents } from "../events/publish";
import { sealEntries, type EntryDraft, type Head, type Operation, type SealedEntry } from "../history/entry";
import { actorOf } from "../http/actor";
import { readWithKey } from "../http/auth";
import type { ApiRequest } from "../http/context";
import { ApiError } from "../http/errors";
import { answer, type Idempotency, type StoredAnswer } from "../http/idempotency";
import { newId } from "../ids";

/** What a write records of its change (API.md §11): one entry per client it changes. */
export interface Recording {
  operation: Operation;
  /** When the change was decided: the entries' `at` (and the timestamps the rows were given). */
  at: string;
  drafts: EntryDraft[];
  /** The chains' heads as the write's read found them (a client absent here starts its chain). */
  heads: ReadonlyMap<string, Head>;
  /** A non-atomic batch may skip clients in SQL: their entries must be skipped with them. */
  onlyIfClientExists?: boolean;
}

interface Writes {
  /** The batch's statements: guards first, then the rows. None when nothing changes. */
  writes: Statement[];
  /** What is recorded of `writes`, in the same batch; null when nothing changes. */
  record: Recording | null;
}

/** What an operation decided from one read: the writes, and the answer. */
export type WriteDecision =
  | (Writes & {
      /** Sent, and stored under the Idempotency-Key by the write batch itself. */
      answer: StoredAnswer;
      /** A dry run writes nothing, not even its answer under the key. */
      dryRun?: boolean;
    })
  | (Writes & {
      /**
       * Without a key only (a stored answer must be the one decided): the answer made from the
       * results of `writes` (none when there are no writes), when only the batch can tell what it did.
       */
      answerAfter(results: readonly unknown[]): Promise<StoredAnswer> | StoredAnswer;
    });

export interface WriteOperation<State> {
  /** The read round trip, made again for each attempt. */
  read(): Read<State>;
  /** From what was read: the answer and the writes; throws an ApiError to refuse the request. */
  decide(state: State): Promise<WriteDecision>;
  /** True for a failed write batch that another request's change refused: read and decide again. */
  raced(error: unknown): boolean;
  /** Attempts at read → decide → write before answering 409. */
  attempts: number;
  /** The 409's detail after `attempts` refused batches. */
  conflict(attempts: number): string;
}

/** Upper bound of the random pause before attempt n + 1, times n. */
const RETRY_PAUSE_MS = 5;

/** A write's history entries and their outbox rows (one per entry), made to join its batch. */
interface Recorded {
  statements: Statement[];
  entries: SealedEntry[];
  eventIds: string[];
}

/**
 * The statements recorded in the same batch as the change itself: the history entries (API.md
 * §11) and, for a tenant with webhook endpoints, their outbox rows (§12). The one place where they
 * join a write.
 */
async function recordedWith(request: ApiRequest, record: Recording | null): Promise<Recorded> {
  if (!record || record.drafts.length === 0) return { statements: [], entries: [], eventIds: [] };
  const context = { at: record.at, requestId: request.requestId, operation: record.operation, actor: actorOf(request), newId };
  const entries = await sealEntries(record.drafts, record.heads, context);
  const eventIds = entries.map(() => newId());
  const statements = appendEntries(request.db, request.tenantId, entries, { onlyIfClientExists: record.onlyIfClientExists, eventIds });
  return { statements, entries, eventIds };
}

export async function runWrite<State>(request: ApiRequest, operation: WriteOperation<State>, idempotency: Idempotency | null): Promise<Response> {
  const { db } = request;
  for (let attempt = 1; ; attempt++) {
    const read = operation.read();
    const results = await readWithKey(request, {
      statements: [...read.statements, ...(idempotency ? [idempotency.lookup()] : [])],
      parse: (results) => results,
    });
    // A key used before answers first: its replay, or a 422 when this body is not that request's.
    const replay = idempotency?.replayOf(results.at(-1));
    if (replay) return replay;
    const decision = await operation.decide(read.parse(results.slice(0, read.statements.length)));
    if ("answer" in decision && decision.dryRun) return answer(decision.answer);
    if (idempotency && !("answer" in decision)) throw new Error("a keyed write stores its answer with the writes: it must decide it first");

    // The answer goes first: a concurrent request with the same key fails on it, before anything else.
    const stored = idempotency && "answer" in decision ? idempotency.record(decision.answer) : [];
    const recorded = decision.writes.length > 0 ? await recordedWith(request, decision.record) : null;
    const batch = [...stored, ...decision.writes, ...(recorded?.statements ?? [])];
    let written: unknown[] = [];
    if (batch.length > 0) {
      try {
        written = await runBatch(db, batch);
      } catch (error) {
        const replay = await idempotency?.replayAfterRace(error);
        if (replay) return replay;
        if (!operation.raced(error)) throw error;
        if (attempt >= operation.attempts) throw new ApiError("CONFLICT", operation.conflict(attempt));
        // A short random pause, so that writes refused together do not read and collide again in step.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS * attempt));
        continue;
      }
    }
    const background = request.background;
    if (recorded && background) background.ctx.waitUntil(sendRecordedEvents(background.queue, request.environment, recorded, written, background.log));
    if ("answer" in decision) return answer(decision.answer);
    return answer(await decision.answerAfter(written.slice(stored.length, stored.length + decision.writes.length)));
  }
}
