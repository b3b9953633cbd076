// POST /clients/sync (API.md §6): one read batch, a pure plan, one write batch. A plan made from
// state that changed before it was written is refused by the batch itself and made again.
import { isForeignKeyViolation, isStaleGraph, isUniqueViolation } from "../db/constraints";
import { etagOf, etagOfJson, fullClient } from "../db/mappers";
import { bothReads } from "../db/database";
import { duplicatesRead, type DuplicatesState } from "../db/duplicates";
import { syncDuplicates, syncIdentifiers, type Brought, type Duplicate } from "../lookup/duplicates";
import { normalize } from "../lookup/normalize";
import type { ClientGraph } from "../db/mappers";
import { loadClient, syncHeadsRead, syncRead } from "../db/sync-reads";
import type { Head } from "../history/entry";
import { syncDrafts } from "../history/drafts";
import { syncWrite } from "../db/sync-writes";
import { readJsonBody, withInexact } from "../http/body";
import { readWithKey } from "../http/auth";
import type { ApiRequest } from "../http/context";
import { ApiError, badRequest, VALIDATION_DETAIL, type FieldError } from "../http/errors";
import { idempotencyOf, type StoredAnswer } from "../http/idempotency";
import { newId } from "../ids";
import { fieldErrors } from "../schemas/common";
import { checkableParts } from "../schemas/partial-sync";
import { parseSyncRequest, type SyncRequest } from "../schemas/requests";
import type { Loaded } from "../sync/load";
import { planSync, type Plan, type PlanContext, type SyncResponse } from "../sync/plan";
import { apiErrorOf } from "./plan-errors";
import { runWrite, type Recording, type WriteDecision, type WriteOperation } from "./runner";

/** Attempts at read → plan → write before answering 409. */
export const MAX_SYNC_ATTEMPTS = 3;

/**
 * The answer's text, JSON.stringify(response) exactly, and the client's JSON inside it: the ETag
 * hashes that same text, so the client (most of the answer) is serialized once.
 */
export function answerText(response: SyncResponse): { body: string; clientJson: string } {
  const clientJson = JSON.stringify(response.client);
  const members: string[] = [];
  for (const [key, value] of Object.entries(response)) {
    const text = key === "client" ? clientJson : JSON.stringify(value);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return { body: `{${members.join(",")}}`, clientJson };
}

/** Does the stored graph hold this identifier already (then the sync writes no new key for it)? */
function heldBy(graph: ClientGraph | null, b: Brought): boolean {
  if (!graph) return false;
  if (b.kind === "clabe") return graph.bankAccounts.some((a) => a.clabe !== null && normalize("clabe", a.clabe) === b.normalized);
  const mx = (graph.client.scopeData as { MX?: Record<string, unknown> }).MX;
  const stored = mx?.[b.kind];
  return typeof stored === "string" && normalize(b.kind, stored) === b.normalized;
}

async function answerOf(response: SyncResponse & { duplicates: Duplicate[] }): Promise<StoredAnswer> {
  const { body, clientJson } = answerText(response);
  return { status: 200, headers: { etag: await etagOfJson(clientJson) }, body };
}

/** If-Match (RFC 9110 §13.1.1): strong comparison; `*` matches any existing client. */
function ifMatchPasses(header: string, etag: string | null): boolean {
  if (etag === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim() === etag);
}

/**
 * The If-Match header, or null without one. An empty one (the document's `minLength: 1`) is a 400:
 * it can match nothing, and a 412 would say the client changed when it is the request that is wrong.
 * (The Workers runtime trims header values, so only-spaces arrives empty too.)
 */
function ifMatchOf(request: ApiRequest): string | null {
  const header = request.headers.get("if-match");
  if (header !== null && header.trim() === "") {
    const detail = 'If-Match is empty: send the client\'s ETag ("<etag>" as GET or sync returned it), or *, or leave the header out';
    throw badRequest(detail, [{ pointer: "/headers/if-match", code: "invalid_header", detail }]);
  }
  return header;
}

/** The plan, or the API error its refusal answers. */
function plan(request: SyncRequest, loaded: Loaded, context: PlanContext): Plan {
  try {
    return planSync(request, loaded, context);
  } catch (error) {
    throw apiErrorOf(error) ?? error;
  }
}

/** What a plan records: one entry per client it creates or changes. */
function recordingOf(plan: Plan, loaded: Loaded, heads: ReadonlyMap<string, Head>, now: Date): Recording {
  return { operation: "sync", at: now.toISOString(), drafts: syncDrafts(plan, loaded), heads };
}

/**
 * A body that failed validation: its shape errors together with what the stored client says about
 * its valid parts (unknown ids, conflicts, rules on the merged state), in ONE answer (API.md §3).
 */
async function invalidBody(request: ApiRequest, raw: unknown, shapeErrors: FieldError[]): Promise<ApiError> {
  const parts = checkableParts(raw);
  const stateErrors: FieldError[] = [];
  if (parts) {
    // The first read: it checks the API key too, so a refused key answers 401/403 first.
    const loaded = await readWithKey(request, syncRead(request.db, request.tenant, parts.request));
    try {
      planSync(parts.request, loaded, { tenantId: request.tenantId, now: new Date(), newId, invalid: parts.invalid });
    } catch (error) {
      const refusal = apiErrorOf(error);
      if (!refusal) throw error;
      stateErrors.push(...refusal.errors);
    }
  }
  const reported = new Set(shapeErrors.map((e) => `${e.pointer} ${e.code}`));
  return new ApiError("BAD_REQUEST", VALIDATION_DETAIL, [...shapeErrors, ...stateErrors.filter((e) => !reported.has(`${e.pointer} ${e.code}`))]);
}

export async function syncClient(request: ApiRequest) {
  const { value, text, inexact } = await readJsonBody(request);
  const idempotency = await idempotencyOf(request, text);
  const parsed = parseSyncRequest(value);
  if (!parsed.success || inexact.length > 0) {
    throw await invalidBody(request, value, withInexact(inexact, parsed.success ? [] : fieldErrors(parsed.error)));
  }
  const body = parsed.data;
  const { db } = request;
  const ifMatch = ifMatchOf(request);
  // A keyed answer is stored as planned, and If-Match is about the whole graph: both strict.
  const mode = idempotency || ifMatch !== null ? "strict" : "relaxed";

  // The RFC, CURP and CLABEs the body brings (API.md §14): who else holds them, read with the rest.
  const brought = syncIdentifiers(body);
  const operation: WriteOperation<[[Loaded, Map<string, Head>], DuplicatesState]> = {
    read: () => bothReads(bothReads(syncRead(db, request.tenant, body), syncHeadsRead(db, request.tenant, body)), duplicatesRead(db, request.tenant, brought)),
    async decide([[loaded, heads], duplicateState]): Promise<WriteDecision> {
      if (ifMatch !== null) {
        const current = loaded.graph ? await etagOf(fullClient(loaded.graph, new Date())) : null;
        if (!ifMatchPasses(ifMatch, current)) {
          throw new ApiError("PRECONDITION_FAILED", current ? `If-Match ${ifMatch} does not match the client's ETag ${current}` : "If-Match was sent but the client does not exist yet");
        }
      }
      const { tenantId } = request;
      const now = new Date();
      const planned = plan(body, loaded, { tenantId, now, newId });
      const self = new Set(loaded.graph ? [loaded.graph.client.id] : []);
      const { duplicates, refusals } = syncDuplicates(brought, duplicateState, self, (b) => heldBy(loaded.graph, b));
      if (refusals.length > 0) {
        throw new ApiError("CONFLICT", "The tenant's duplicate rule rejects identifiers that another live client holds; nothing was written", refusals);
      }
      const answer = await answerOf({ ...planned.response, duplicates });
      // A dry run writes nothing, not even its answer; a no-op writes only the answer, if keyed.
      if (body.dryRun) return { answer, writes: [], record: null, dryRun: true };
      if (planned.noop) return { answer, writes: [], record: null };
      const write = syncWrite(db, tenantId, planned, loaded, body, mode);
      const record = recordingOf(planned, loaded, heads, now);
      if (mode === "strict") return { answer, writes: write.statements, record };
      return {
        writes: write.statements,
        record,
        // Another request changed the graph between the read and the write (none of what this plan
        // depends on, or the batch would have been refused): answer the client as it is now.
        async answerAfter(results) {
          if (write.answerIsExact(results)) return answer;
          const current = await loadClient(db, tenantId, planned.clientId);
          return current ? answerOf({ ...planned.response, client: fullClient(current, new Date()), duplicates }) : answer;
        },
      };
    },
    // The batch's guard found the graph changed, or an externalId (or, under a "reject" duplicate
    // rule, an identifier: client_lookup_keys_exclusive) was taken or a client deleted meanwhile.
    raced: (error) => isStaleGraph(error) || isUniqueViolation(error) || isForeignKeyViolation(error),
    // Relaxed: the guards re-check in the batch all the plan depends on, so a rival's entry on the
    // chain only moves the heads. Strict: the answer is the whole graph as planned, so it is planned again.
    resealOnChainRace: mode === "relaxed",
    attempts: MAX_SYNC_ATTEMPTS,
    conflict: (attempts) => `The client changed concurrently ${attempts} times while this sync was applied; nothing was written, retry the request`,
  };
  return runWrite(request, operation, idempotency);
}
