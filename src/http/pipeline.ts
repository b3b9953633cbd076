// The request pipeline around every route: request id, problem responses for every error
// (including 404/405), a 500 problem for anything unexpected, logged with the request id, and
// bodiless answers to HEAD.
import { CONSISTENCY_TOKEN_HEADER } from "./consistency";
import type { ApiRequest, WorkerOptions } from "./context";
import { RETRY_AFTER_SECONDS, unavailabilityOf } from "../db/unavailable";
import { ApiError, problemOf, problemResponse, type ProblemSource } from "./errors";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdOf(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given !== null && SANE_REQUEST_ID.test(given) ? given : `req_${crypto.randomUUID().replaceAll("-", "")}`;
}

export function withRequestId(request: ApiRequest) {
  request.requestId = requestIdOf(request);
  request.origin = new URL(request.url).origin;
}

export function sourceOf(request: Partial<ApiRequest> & Request): ProblemSource {
  return { requestId: request.requestId ?? "unknown", origin: request.origin ?? new URL(request.url).origin };
}

/** Where unexpected errors go: the Worker's option, else the console (one JSON line of details). */
export function loggerOf(options: WorkerOptions): NonNullable<WorkerOptions["logError"]> {
  return options.logError ?? ((message, details) => console.error(message, JSON.stringify(details)));
}

export function handleError(options: WorkerOptions) {
  return (error: unknown, request: ApiRequest): Response => {
    const source = sourceOf(request);
    if (error instanceof ApiError) {
      return problemResponse(problemOf(error.code, error.detail, source, error.errors, error.extensions), error.headers);
    }
    const unavailable = unavailabilityOf(error);
    if (unavailable !== null) {
      // Logged (an operator must know the database is full), answered as what it is: D1 rolled
      // the failed batch back, so the same request later is safe.
      loggerOf(options)(`database ${unavailable}`, { requestId: source.requestId, method: request.method, path: new URL(request.url).pathname });
      const detail =
        unavailable === "full"
          ? "The environment's database is full; nothing was written. Reads still work; retry writes after Retry-After seconds."
          : unavailable === "moving"
            ? "This tenant is being moved to another database; nothing was written. Reads still work; retry writes after Retry-After seconds."
            : "The environment's database is overloaded; nothing was written. Retry after Retry-After seconds.";
      return problemResponse(problemOf("SERVICE_UNAVAILABLE", detail, source), { "retry-after": String(RETRY_AFTER_SECONDS[unavailable]) });
    }
    loggerOf(options)("unhandled error", {
      requestId: source.requestId,
      method: request.method,
      path: new URL(request.url).pathname,
      error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
    });
    return problemResponse(
      problemOf("INTERNAL_SERVER_ERROR", "An unexpected error occurred; quote the requestId when reporting it", source),
    );
  };
}

/**
 * Every response carries the request id and, once the request has a D1 session with a bookmark,
 * that bookmark as X-Consistency-Token (errors included: a 404 read still tells how fresh it was).
 */
export function withRequestIdHeader(response: Response | undefined, request: ApiRequest): Response | undefined {
  if (!response) return response;
  const headers = new Headers(response.headers);
  headers.set("x-request-id", request.requestId);
  const bookmark = request.session?.getBookmark() ?? null;
  if (bookmark !== null) headers.set(CONSISTENCY_TOKEN_HEADER, bookmark);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * HEAD answers what GET would, headers and all, without the body; Content-Length says how long
 * GET's body is (RFC 9110 §9.3.2).
 */
export async function withoutBodyForHead(response: Response | undefined, request: ApiRequest): Promise<Response | undefined> {
  if (!response || request.method !== "HEAD" || response.body === null) return response;
  const length = (await response.arrayBuffer()).byteLength;
  const headers = new Headers(response.headers);
  headers.set("content-length", String(length));
  return new Response(null, { status: response.status, statusText: response.statusText, headers });
}

/**
 * When the pipeline itself fails (its error handler or a step after it threw): still a problem
 * with a request id, never the runtime's bare text/plain 500.
 */
export function lastResort(error: unknown, request: Request & Partial<ApiRequest>, options: WorkerOptions): Response {
  const requestId = request.requestId ?? requestIdOf(request);
  let origin = "";
  try {
    origin = new URL(request.url).origin;
  } catch {
    // An unparsable URL: the problem type stays relative.
  }
  const details = { requestId, method: request.method, error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) };
  try {
    loggerOf(options)("unhandled error in the pipeline", details);
  } catch {
    console.error("unhandled error in the pipeline", JSON.stringify(details));
  }
  const problem = problemOf("INTERNAL_SERVER_ERROR", "An unexpected error occurred; quote the requestId when reporting it", { requestId, origin });
  return problemResponse(problem, { "x-request-id": requestId });
}

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "content-type": JSON_CONTENT_TYPE, ...init.headers },
  });
}
