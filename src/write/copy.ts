// POST /clients/{id}/copy-to-live[/preview] (API.md §16): a test client's graph written into live as
// a sync — matched by externalId, only differences written, a second copy writing nothing — through
// the one write path (runWrite) on the live database, recorded there as `operation: "copy"`.
//
// Round trips: the test graph (with the request's test key), then the live sync's read (with the
// live key of X-Live-Authorization, checked by the same code as any key: http/auth.ts readWithKey)
// and its write; when live changed, the test side's record (its chain's head, then the entry). The live database is found only through env.ts `databaseOf` (the
// request's `openEnvironment`). Never live → test: the request must name X-Environment: test.
import { clientGraphRead } from "../db/clients-read";
import { bothReads, runBatch, tenantFilter } from "../db/database";
import { insertAttempt } from "../db/upload-attempts";
import { fileKeyOf, type FileContentType } from "../files/upload";
import { commitStored } from "./upload";
import { etagOfJson, type ClientGraph } from "../db/mappers";
import { isForeignKeyViolation, isStaleGraph, isUniqueViolation } from "../db/constraints";
import { syncHeadsRead, syncRead } from "../db/sync-reads";
import { syncWrite } from "../db/sync-writes";
import { keyTenant } from "../db/api-keys";
import { headsOf, headsStatement, tenantClientIds, versionsOf, versionsStatement } from "../db/history";
import { clients } from "../db/schema";
import { and, eq, sql } from "drizzle-orm";
import type { StoredAnswer } from "../http/idempotency";
import type { Head } from "../history/entry";
import { syncDrafts } from "../history/drafts";
import { readWithKey } from "../http/auth";
import type { ApiRequest } from "../http/context";
import { ApiError, badRequest, notFound, type FieldError } from "../http/errors";
import { hashKey, KEY_PATTERN, type Permission } from "../http/keys";
import { newId } from "../ids";
import { CLIENT_FIELDS } from "../schemas/client";
import { fieldErrors } from "../schemas/common";
import { CHILD_KINDS } from "../schemas/kinds";
import { parseSyncRequest, type SyncRequest } from "../schemas/requests";
import { same } from "../sync/compare";
import type { Loaded } from "../sync/load";
import { planSync } from "../sync/plan";
import { apiErrorOf } from "./plan-errors";
import { runWrite, type WriteDecision, type WriteOperation } from "./runner";
import { answerText, MAX_SYNC_ATTEMPTS } from "./sync";

/** What the live key must grant (API.md §16). */
export const LIVE_PERMISSIONS: readonly Permission[] = ["clients:create", "clients:update"];

const LIVE_POINTER = "/headers/x-live-authorization";

const liveUnauthorized = (detail: string) => new ApiError("UNAUTHORIZED", detail, [{ pointer: LIVE_POINTER, code: "invalid_header", detail }]);

/** The live key's hash, from X-Live-Authorization: Bearer sk_live_… (401 naming the header otherwise). */
async function liveKeyOf(request: ApiRequest): Promise<{ text: string; hash: string }> {
  const header = request.headers.get("x-live-authorization");
  if (header === null) throw liveUnauthorized("Missing X-Live-Authorization header: send X-Live-Authorization: Bearer sk_live_… (a live key of this tenant)");
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  const keyMatch = match ? KEY_PATTERN.exec(match[1]!) : null;
  if (!match || !keyMatch) throw liveUnauthorized("X-Live-Authorization must be: Bearer sk_live_… (a live API key)");
  if (keyMatch[1] !== "live") throw liveUnauthorized(`X-Live-Authorization carries a ${keyMatch[1]} key: it must be a live key (sk_live_…) of this tenant`);
  return { text: match[1]!, hash: await hashKey(match[1]!) };
}

const pick = (row: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, row[k] ?? null]));

/**
 * The sync body that makes live hold the test graph: the client's own fields, every child (by its
 * externalId, or — without one — matched later to a live child of identical content), and each
 * linked client by its externalId. Without replaceMode: a copy never deletes anything in live.
 * A client or linked client without externalId cannot be matched in live: 400 naming it.
 */
function copyBody(graph: ClientGraph): SyncRequest | FieldError[] {
  const problems: FieldError[] = [];
  const client = graph.client;
  if (client.externalId === null) {
    problems.push({ pointer: "/externalId", code: "required", detail: "A client copied to live needs an externalId: live matches it by externalId (a second copy then writes nothing)" });
  }
  const links = [...graph.links].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  const linkedClients = links.flatMap((link, index) => {
    const linked = graph.linkedClients.get(link.childClientId);
    if (!linked) return [];
    if (linked.externalId === null) {
      problems.push({ pointer: `/linkedClients/${index}/client/externalId`, code: "required", detail: "A linked client copied to live needs an externalId: live matches it by externalId" });
      return [];
    }
    return [{ child: pick(linked, CLIENT_FIELDS), relationshipType: link.relationshipType, metadata: link.metadata }];
  });
  if (problems.length > 0) return problems;
  const raw: Record<string, unknown> = { client: pick(client, CLIENT_FIELDS), linkedClients };
  for (const kind of CHILD_KINDS) raw[kind.list] = (graph[kind.list] as unknown as Record<string, unknown>[]).map((row) => pick(row, kind.fields));
  const parsed = parseSyncRequest(raw);
  if (!parsed.success) return fieldErrors(parsed.error);
  return parsed.data;
}

/** Children without externalId, given the id of the live child with the same content (each live child once). */
function matchedByContent(body: SyncRequest, live: ClientGraph | null): SyncRequest {
  if (!live) return body;
  const out: Record<string, unknown> = { ...body };
  for (const kind of CHILD_KINDS) {
    const items = body[kind.list] as Record<string, unknown>[] | undefined;
    if (!items) continue;
    const free = [...(live[kind.list] as unknown as Record<string, unknown>[])].filter((row) => row.externalId === null);
    out[kind.list] = items.map((item) => {
      if (item.externalId !== null && item.externalId !== undefined) return item;
      const at = free.findIndex((row) => kind.fields.every((f) => same(row[f] ?? null, item[f] ?? null)));
      if (at < 0) return item;
      const [row] = free.splice(at, 1);
      return { ...item, id: row!.id };
    });
  }
  return out as SyncRequest;
}

export async function copyToLive(request: ApiRequest, clientId: string, dryRun: boolean): Promise<Response> {
  if (request.environment !== "test") {
    throw badRequest("copy-to-live copies a test client into live: call it with X-Environment: test and a test key (never live → test)", [
      { pointer: "/headers/x-environment", code: "invalid_header", detail: "X-Environment must be test" },
    ]);
  }
  const graph = await readWithKey(request, clientGraphRead(request.db, request.tenant, clientId));
  if (!graph) throw notFound(`Client ${clientId} not found`);
  const liveKey = await liveKeyOf(request);
  const hash = liveKey.hash;
  const built = copyBody(graph);
  if (Array.isArray(built)) throw new ApiError("BAD_REQUEST", "The client cannot be copied to live as it is", built);
  const body: SyncRequest = { ...built, dryRun };

  // The live key's shard (its text, or where this isolate followed it): a moved live tenant is
  // followed by the live read's key check like any key (http/auth.ts TenantMoved).
  const opened = request.openEnvironment!("live", liveKey);
  if (opened === null) throw liveUnauthorized("Unknown live API key (X-Live-Authorization)");
  const live = {
    requestId: request.requestId,
    origin: request.origin,
    environment: "live",
    shard: opened.shard,
    session: opened.session,
    db: opened.db,
    files: opened.files,
    apiKey: { hash, needed: LIVE_PERMISSIONS },
    tenant: keyTenant(hash, LIVE_PERMISSIONS),
    onBehalfOf: request.onBehalfOf,
    background: request.background,
    headers: request.headers,
  } as unknown as ApiRequest;
  const { db } = live;
  /** The live decision's answer, and whether it writes (its last attempt's). */
  let decided: { answer: StoredAnswer; writes: boolean } | null = null;

  const operation: WriteOperation<[Loaded, Map<string, Head>]> = {
    read: () => bothReads(syncRead(db, live.tenant, body), syncHeadsRead(db, live.tenant, body)),
    async decide([loaded, heads]): Promise<WriteDecision> {
      // The live key checked (in that read): it must be the same tenant's.
      if (live.tenantId !== request.tenantId) {
        throw new ApiError("FORBIDDEN", "X-Live-Authorization: that live key belongs to another tenant", [
          { pointer: LIVE_POINTER, code: "invalid_header", detail: "The live key must be of this tenant" },
        ]);
      }
      const now = new Date();
      const matched = matchedByContent(body, loaded.graph);
      let planned;
      try {
        planned = planSync(matched, loaded, { tenantId: live.tenantId, now, newId });
      } catch (error) {
        throw apiErrorOf(error) ?? error;
      }
      const { body: text, clientJson } = answerText(planned.response);
      const answer = { status: 200, headers: { etag: await etagOfJson(clientJson) }, body: text };
      decided = { answer, writes: !dryRun && !planned.noop };
      if (dryRun) return { answer, writes: [], record: null, dryRun: true };
      if (planned.noop) return { answer, writes: [], record: null };
      const write = syncWrite(db, live.tenantId, planned, loaded, matched, "strict");
      return { answer, writes: write.statements, record: { operation: "copy", at: now.toISOString(), drafts: syncDrafts(planned, loaded), heads } };
    },
    raced: (error) => isStaleGraph(error) || isUniqueViolation(error) || isForeignKeyViolation(error),
    attempts: MAX_SYNC_ATTEMPTS,
    conflict: (attempts) => `The live client changed concurrently ${attempts} times while it was copied; nothing was written, retry the request`,
  };
  const copied = await runWrite(live, operation, null);
  if (copied.status !== 200 || !decided) return copied;
  const liveClientId = (JSON.parse((decided as { answer: StoredAnswer }).answer.body) as { client: { id: string } }).client.id;
  const filesCopied = dryRun ? 0 : await copyFiles(request, live, graph, liveClientId);
  if (!(decided as { writes: boolean }).writes && filesCopied === 0) return copied;
  return recordedInTest(request, clientId, (decided as { answer: StoredAnswer }).answer);
}

/**
 * The files of the test client's uploaded documents (API.md §15) copied to their live documents
 * (matched by externalId, else by identical type, category, filename and expiry) that have none yet:
 * each object copied between the environments' buckets, then committed as the live document's
 * upload through the same path as PUT …/file (an `upload` entry in live's history, its event).
 * A live document that has its file is left as it is: a second copy copies nothing. The number copied.
 */
async function copyFiles(request: ApiRequest, live: ApiRequest, graph: ClientGraph, liveClientId: string): Promise<number> {
  const uploaded = graph.documents.filter((d) => d.sha256 !== null && d.fileKey !== null && d.contentType !== null);
  if (uploaded.length === 0) return 0;
  const liveGraph = await readWithKey(live, clientGraphRead(live.db, live.tenant, liveClientId));
  const free = [...(liveGraph?.documents ?? [])];
  // The uploads' own requests: no Idempotency-Key of the copy's (each upload is its own write).
  const uploader = { ...live, headers: new Headers() } as ApiRequest;
  let copied = 0;
  for (const document of uploaded) {
    const at = free.findIndex((d) =>
      document.externalId !== null
        ? d.externalId === document.externalId
        : d.externalId === null && d.type === document.type && d.category === document.category && d.filename === document.filename && d.expiresAt === document.expiresAt,
    );
    if (at < 0) continue;
    const [target] = free.splice(at, 1);
    if (target!.sha256 !== null) continue;
    const object = await request.files.get(document.fileKey!);
    if (object === null) continue;
    const key = fileKeyOf(live.tenantId, liveClientId, target!.id, newId());
    await runBatch(live.db, [insertAttempt(live.db, { key, tenantId: live.tenantId, clientId: liveClientId, documentId: target!.id, at: new Date().toISOString() })]);
    await live.files.put(key, object.body.pipeThrough(new FixedLengthStream(object.size)), {
      httpMetadata: { contentType: document.contentType! },
      sha256: document.sha256!,
    });
    const response = await commitStored(uploader, liveClientId, target!.id, `copy\n${document.sha256}`, document.contentType as FileContentType, { key, sha256: document.sha256!, size: object.size });
    if (response.status === 200) copied++;
  }
  return copied;
}

/**
 * The test side's record of a copy that wrote into live (API.md §16: both histories): an entry
 * `operation: "copy"` on the test client's chain, with the same requestId as live's, moving the
 * client's version (an entry always does: the as-of check ends a chain at the client's version; the
 * version is not in the representation, so the ETag stays). A second write, in test, after the live
 * batch committed: D1 has no batch across two databases. If it fails, live keeps the copy and the
 * request answers the error; a retry then finds live unchanged and records nothing more (the gap
 * DECISIONS.md names). Answers the live answer.
 */
async function recordedInTest(request: ApiRequest, clientId: string, liveAnswer: StoredAnswer): Promise<Response> {
  const { db, tenantId } = request;
  const ids = tenantClientIds(tenantId, [clientId]);
  const operation: WriteOperation<[Map<string, Head>, Map<string, number>]> = {
    read: () => ({ statements: [headsStatement(db, ids), versionsStatement(db, ids)], parse: ([heads, versions]) => [headsOf(heads), versionsOf(versions)] }),
    async decide([heads, versions]): Promise<WriteDecision> {
      const version = versions.get(clientId);
      // Deleted in test meanwhile: nothing left to record on.
      if (version === undefined) return { answer: liveAnswer, writes: [], record: null };
      const writes = [
        db
          .update(clients)
          .set({ version: sql`${clients.version} + 1` })
          .where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, clientId))),
      ];
      const change = { entity: "client" as const, id: clientId, action: "updated" as const, fields: { version: { from: version, to: version + 1 } } };
      return { answer: liveAnswer, writes, record: { operation: "copy", at: new Date().toISOString(), drafts: [{ clientId, changes: [change] }], heads } };
    },
    // A rival's entry took the next sequence: read the head again.
    raced: (error) => isUniqueViolation(error),
    attempts: MAX_SYNC_ATTEMPTS,
    conflict: (attempts) => `The test client changed concurrently ${attempts} times while its copy was recorded; live holds the copy, retry to check it`,
  };
  return runWrite(request, operation, null);
}
