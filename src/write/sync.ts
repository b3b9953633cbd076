// POST /clients/sync (API.md §6): one read batch, a pure plan, one write batch. A plan made from
// state that changed before it was written is refused by the batch itself and made again.
import { isForeignKeyViolation, isStaleGraph, isUniqueViolation } from "../db/constraints";
import { runBatch } from "../db/database";
import { etagOf, fullClient } from "../db/mappers";
import { readJsonBody, withInexact } from "../http/body";
import type { ApiRequest } from "../http/context";
import { ApiError, VALIDATION_DETAIL, type FieldError } from "../http/errors";
import { answer, idempotencyOf, type StoredAnswer } from "../http/idempotency";
import { apiErrorOf } from "../http/plan-problems";
import { newId } from "../ids";
import { fieldErrors } from "../schemas/common";
import { checkableParts } from "../schemas/partial-sync";
import { syncRequest } from "../schemas/requests";
import { loadClient, loadForSync } from "../sync/load";
import { planSync, type Plan, type SyncResponse } from "../sync/plan";
import { PlanRejected } from "../sync/problems";
import { syncWrite } from "../sync/write";

/** Attempts at read → plan → write before answering 409. */
export const MAX_SYNC_ATTEMPTS = 3;
/** Upper bound of the random pause before attempt n + 1, times n. */
const RETRY_PAUSE_MS = 5;

async function answerOf(response: SyncResponse): Promise<StoredAnswer> {
  return { status: 200, headers: { etag: await etagOf(response.client) }, body: JSON.stringify(response) };
}

/** If-Match (RFC 9110 §13.1.1): strong comparison; `*` matches any existing client. */
function ifMatchPasses(header: string, etag: string | null): boolean {
  if (etag === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim() === etag);
}

/**
 * A body that failed validation: its shape errors together with what the stored client says about
 * its valid parts (unknown ids, conflicts, rules on the merged state), in ONE answer (API.md §3).
 */
async function invalidBody(request: ApiRequest, raw: unknown, shapeErrors: FieldError[]): Promise<ApiError> {
  const parts = checkableParts(raw);
  const stateErrors: FieldError[] = [];
  if (parts) {
    const loaded = await loadForSync(request.db, request.tenantId, parts.request);
    try {
      planSync(parts.request, loaded, { tenantId: request.tenantId, now: new Date(), newId, invalid: parts.invalid });
    } catch (error) {
      if (!(error instanceof PlanRejected)) throw error;
      stateErrors.push(...error.issues);
    }
  }
  const reported = new Set(shapeErrors.map((e) => `${e.pointer} ${e.code}`));
  return new ApiError("BAD_REQUEST", VALIDATION_DETAIL, [...shapeErrors, ...stateErrors.filter((e) => !reported.has(`${e.pointer} ${e.code}`))]);
}

/** The plan, or the problem answering a request the planner refuses. */
function planOrAnswer(...args: Parameters<typeof planSync>): Plan {
  try {
    return planSync(...args);
  } catch (error) {
    throw error instanceof PlanRejected ? apiErrorOf(error) : error;
  }
}

export async function syncClient(request: ApiRequest) {
  const { value, text, inexact } = await readJsonBody(request);
  const idempotency = await idempotencyOf(request, text);
  const parsed = syncRequest.safeParse(value);
  if (!parsed.success || inexact.length > 0) {
    throw await invalidBody(request, value, withInexact(inexact, parsed.success ? [] : fieldErrors(parsed.error)));
  }
  const body = parsed.data;
  const { db, tenantId } = request;
  const ifMatch = request.headers.get("if-match");

  for (let attempt = 1; ; attempt++) {
    const loaded = await loadForSync(db, tenantId, body, idempotency?.lookup());
    // A key used before answers first: its replay, or a 422 when this body is not that request's.
    const replay = idempotency?.replayOf(loaded.extra);
    if (replay) return replay;
    if (ifMatch !== null) {
      const current = loaded.graph ? await etagOf(fullClient(loaded.graph, new Date())) : null;
      if (!ifMatchPasses(ifMatch, current)) {
        throw new ApiError("PRECONDITION_FAILED", current ? `If-Match ${ifMatch} does not match the client's ETag ${current}` : "If-Match was sent but the client does not exist yet");
      }
    }
    const plan = planOrAnswer(body, loaded, { tenantId, now: new Date(), newId });
    const stored = await answerOf(plan.response);
    // A dry run writes nothing, not even its answer; a no-op writes only the answer, if keyed.
    // The answer goes first: a concurrent request with the same key fails on it, before anything else.
    // A keyed answer is stored as planned, and If-Match is about the whole graph: both strict.
    const mode = idempotency || ifMatch !== null ? "strict" : "relaxed";
    const recorded = body.dryRun ? [] : (idempotency?.record(stored) ?? []);
    const write = body.dryRun || plan.noop ? null : syncWrite(db, tenantId, plan, loaded, body, mode);
    const statements = [...recorded, ...(write?.statements ?? [])];
    if (statements.length > 0) {
      let results: unknown[];
      try {
        results = await runBatch(db, statements);
      } catch (error) {
        const replay = await idempotency?.replayAfterRace(error);
        if (replay) return replay;
        const raced = isStaleGraph(error) || isUniqueViolation(error) || isForeignKeyViolation(error);
        if (!raced) throw error;
        if (attempt >= MAX_SYNC_ATTEMPTS) {
          throw new ApiError("CONFLICT", `The client changed concurrently ${attempt} times while this sync was applied; nothing was written, retry the request`);
        }
        // A short random pause, so that syncs refused together do not read and collide again in step.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS * attempt));
        continue;
      }
      // Another request changed the graph between the read and the write (none of what this plan
      // depends on, or the batch would have been refused): answer the client as it is now.
      if (mode === "relaxed" && write && !write.answerIsExact(results.slice(recorded.length))) {
        const current = await loadClient(db, tenantId, plan.clientId);
        if (current) return answer(await answerOf({ ...plan.response, client: fullClient(current, new Date()) }));
      }
    }
    return answer(stored);
  }
}
