// The one write path: every write operation (batch, sync, DELETE) runs here as
//   one read round trip (with the Idempotency-Key's record, when there is a key, and on the first
//   attempt the API key lookup: http/auth.ts readWithKey)
//   → a decision made from what was read, with no I/O
//   → one D1 write batch: the stored answer first, then the history entries (and outbox rows),
//     then the decision's guards and rows, then the lookup keys of what changed (API.md §14), then
//     the completeness column of the clients it changed and of those they are a beneficiary of (§16)
//   → the answer (made from the batch's results when only the batch can tell what it did).
// D1 has no interactive transactions, so a decision made from state that moved before it was
// written is refused by the batch itself (a guard, a unique index, a foreign key) and made again
// from a fresh read; after the last attempt the answer is 409. A batch refused only because a
// rival's history entry took the next sequence of a chain is, when the decision allows it, sealed
// again on the new heads and sent again (resealOnChainRace). Pauses between attempts are random
// and grow (retryPause). A concurrent request that stored an answer under the same key meanwhile
// is replayed instead.
import { runBatch, type Read, type Statement } from "../db/database";
import { isUniqueViolation } from "../db/constraints";
import { affectsCompleteness } from "../compliance/sql";
import { recomputeCompleteness } from "../db/completeness";
import { deleteKeysOf, insertKeysOf, markKeysDeleted } from "../db/lookup-keys";
import { keyChangesOf } from "../lookup/sources";
import { appendEntries, headsOf, headsStatement, tenantClientIds, versionsOf, versionsStatement } from "../db/history";
import { withVersionsNow } from "../history/drafts";
import { withClientLock } from "./client-lock";
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
  /**
   * True when the decision stays right whatever a rival appended to the chains it records into:
   * its batch re-checks everything the decision depends on (a relaxed sync's guards). A batch
   * refused only because a rival's entry took the next sequence is then sealed again on the new
   * heads and sent again, without reading and deciding again (API.md §6: disjoint writes of one
   * client all succeed).
   */
  resealOnChainRace?: boolean;
  /** Attempts at read → decide → write before answering 409. */
  attempts: number;
  /** The 409's detail after `attempts` refused batches. */
  conflict(attempts: number): string;
}

/**
 * Batches sent again on new chain heads, in the client's turn, before answering 409
 * (resealOnChainRace): in its turn a write loses only to a fresh writer that took no turn (its
 * first attempt), so a few suffice; each costs the batch again and the heads' read.
 */
export const MAX_RESEALS = 4;
/** Statements of the heads' read before a batch is sealed again (heads, versions). */
const RESEAL_READ_STATEMENTS = 2;

/**
 * The random pause before trying again after `failures` refused batches in a row ("full jitter"
 * backoff): up to the last attempt's own duration (which measures the distance to D1: a rival
 * commits within about one round trip) times 2^(failures − 1), at most × 8, so that writers refused
 * together spread out instead of colliding again in step.
 */
export function retryPause(failures: number, lastAttemptMs: number): number {
  const unit = Math.max(2, lastAttemptMs);
  return Math.random() * unit * Math.min(2 ** (failures - 1), 8);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

/**
 * The lookup keys (API.md §14) of what a write records, made to end its batch: they are computed
 * from the rows the batch has just written, so they come after them. At most three statements
 * whatever the size of the change, none when no identifier changed: one UPDATE marking a deleted
 * client's keys deleted (DELETE), one INSERT of the keys the created or updated records give that
 * are not stored yet, one DELETE of the keys updated or deleted records no longer give (json_each,
 * one JSON parameter each). A client's name gives keys too (the name search's, API.md §14).
 */
export function lookupKeyWrites(request: ApiRequest, record: Recording | null): Statement[] {
  if (!record || record.drafts.length === 0) return [];
  const { db, tenantId } = request;
  const { removed, written, deletedClients } = keyChangesOf(record.operation, record.drafts);
  return [
    ...(deletedClients.length > 0 ? [markKeysDeleted(db, tenantId, deletedClients, record.at)] : []),
    // The new keys first, then the stale ones removed: a key the rows still give is never removed
    // and written again (it keeps its duplicate rule's flag, and costs no rows).
    ...(written.length > 0 ? [insertKeysOf(db, tenantId, written)] : []),
    ...(removed.length > 0 ? [deleteKeysOf(db, tenantId, removed)] : []),
  ];
}

/**
 * The completeness column (API.md §16) of every client the write records a change of, and of the
 * clients linking to them as controlling beneficiary, computed again from the rows the batch has
 * just written: one statement at the end of the batch, none when nothing recorded can change a
 * completeness (a no-op; a change of bank accounts or versions only: compliance/sql.ts affectsCompleteness).
 */
export function completenessWrites(request: ApiRequest, record: Recording | null): Statement[] {
  if (!record) return [];
  const affected = record.drafts.filter((d) => d.changes.some(affectsCompleteness)).map((d) => d.clientId);
  return affected.length === 0 ? [] : [recomputeCompleteness(request.db, request.tenantId, affected, record.at.slice(0, 10))];
}

/**
 * The recording on its chains as they are now: their heads read again, and the version moves it
 * records restated from the clients' versions now (one round trip, the primary's).
 */
async function resealed(request: ApiRequest, record: Recording, run: (statements: Statement[]) => Promise<unknown[]>): Promise<Recording> {
  const { db, tenantId } = request;
  const ids = tenantClientIds(tenantId, [...new Set(record.drafts.map((d) => d.clientId))]);
  const [heads, versions] = await run([headsStatement(db, ids), versionsStatement(db, ids)]);
  return { ...record, heads: headsOf(heads), drafts: withVersionsNow(record.drafts, versionsOf(versions)) };
}

/** A batch sent: its results, and where the recording's and the decision's own results are in them. */
interface Sent {
  written: unknown[];
  recorded: Recorded | null;
  recordingAt: number;
  writesAt: number;
}

/** D1 statements one request may send (the Free plan's queries per invocation, API.md §9). */
const STATEMENTS_PER_REQUEST = 50;

export async function runWrite<State>(request: ApiRequest, operation: WriteOperation<State>, idempotency: Idempotency | null): Promise<Response> {
  const { db } = request;
  let failures = 0;
  let statementsSent = 0;
  let lastBatch = 0;
  const run = async (statements: Statement[]) => {
    statementsSent += statements.length;
    return runBatch(db, statements);
  };
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const read = operation.read();
    const readStatements = [...read.statements, ...(idempotency ? [idempotency.lookup()] : [])];
    statementsSent += readStatements.length + (attempt === 1 ? 1 : 0); // the key lookup joins the first read only
    const results = await readWithKey(request, { statements: readStatements, parse: (results) => results });
    // A key used before answers first: its replay, or a 422 when this body is not that request's.
    const replay = idempotency?.replayOf(results.at(-1));
    if (replay) return replay;
    const decision = await operation.decide(read.parse(results.slice(0, read.statements.length)));
    if ("answer" in decision && decision.dryRun) return answer(decision.answer);
    if (idempotency && !("answer" in decision)) throw new Error("a keyed write stores its answer with the writes: it must decide it first");

    // The answer goes first: a concurrent request with the same key fails on it, before anything else.
    const stored = idempotency && "answer" in decision ? idempotency.record(decision.answer) : [];
    const send = async (record: Recording | null): Promise<Sent> => {
      const recorded = record ? await recordedWith(request, record) : null;
      const recording = recorded?.statements ?? [];
      // The entries come before the rows, so that a batch whose chain head a rival took fails at
      // once, before D1 does the rest of its work — unless the entries depend on rows the batch
      // writes first (a non-atomic batch's onlyIfClientExists).
      const first = !record?.onlyIfClientExists;
      const keys = [...lookupKeyWrites(request, record), ...completenessWrites(request, record)];
      const batch = first ? [...stored, ...recording, ...decision.writes, ...keys] : [...stored, ...decision.writes, ...recording, ...keys];
      lastBatch = batch.length;
      const written = batch.length > 0 ? await run(batch) : [];
      return { written, recorded, recordingAt: first ? stored.length : stored.length + decision.writes.length, writesAt: stored.length + (first ? recording.length : 0) };
    };

    const record = decision.writes.length > 0 ? decision.record : null;
    let sent: Sent | null = null;
    try {
      sent = await send(record);
    } catch (first) {
      let error = first;
      const replay = await idempotency?.replayAfterRace(error);
      if (replay) return replay;
      failures++;
      const resealing = record !== null && operation.resealOnChainRace === true && isChainRace(error);
      if (resealing) {
        try {
          const budgetLeft = () => statementsSent + RESEAL_READ_STATEMENTS + lastBatch <= STATEMENTS_PER_REQUEST;
          sent = await sealedAgainInTurn(request, record, error, send, run, budgetLeft);
        } catch (again) {
          error = again;
        }
      }
      if (!sent) {
        if (!operation.raced(error)) throw error;
        // Another attempt must fit the request's statements too (its read and a batch like the last).
        const nextFits = statementsSent + readStatements.length + lastBatch <= STATEMENTS_PER_REQUEST;
        if (attempt >= operation.attempts || !nextFits || (resealing && isChainRace(error))) throw new ApiError("CONFLICT", operation.conflict(attempt));
        await pause(retryPause(failures, Date.now() - started));
        continue;
      }
    }
    const { written, recorded, recordingAt, writesAt } = sent;
    const background = request.background;
    if (recorded && background) {
      const recordingResults = written.slice(recordingAt, recordingAt + recorded.statements.length);
      background.ctx.waitUntil(sendRecordedEvents(background.queue, request, recorded, recordingResults, background.log));
    }
    if ("answer" in decision) return answer(decision.answer);
    return answer(await decision.answerAfter(written.slice(writesAt, writesAt + decision.writes.length)));
  }
}

/** A batch refused because a rival's history entry took the next sequence of a chain. */
const isChainRace = (error: unknown) => isUniqueViolation(error, "client_history");

/**
 * After a chain race: in the client's turn (its lock, write/client-lock.ts, when the Worker has
 * the binding), the heads read again and the batch sent again, up to MAX_RESEALS times while fresh
 * writers that took no turn still win the race, and while the request has statements left.
 * Throws the last refusal.
 */
async function sealedAgainInTurn(
  request: ApiRequest,
  record: Recording,
  /** The chain race that brought the write here: thrown again when no statements are left to try. */
  race: unknown,
  send: (record: Recording) => Promise<Sent>,
  run: (statements: Statement[]) => Promise<unknown[]>,
  budgetLeft: () => boolean,
): Promise<Sent> {
  const attempt = async () => {
    let error = race;
    for (let k = 1; k <= MAX_RESEALS && budgetLeft(); k++) {
      const fresh = await resealed(request, record, run);
      try {
        return await send(fresh);
      } catch (refused) {
        error = refused;
        if (!isChainRace(refused)) throw refused;
      }
    }
    throw error;
  };
  const locks = request.background?.locks;
  const lockedClient = record.drafts[0]?.clientId;
  return locks && lockedClient ? withClientLock(locks, request.environment, lockedClient, attempt) : attempt();
}
