// The request pipeline around every route: request id, problem responses for every error
// (including 404/405), and a bare 500 for anything unexpected, logged with the request id.
import type { ApiRequest, WorkerOptions } from "./context";
import { ApiError, problemOf, problemResponse, type ProblemSource } from "./errors";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function withRequestId(request: ApiRequest) {
  const given = request.headers.get("x-request-id");
  request.requestId = given !== null && SANE_REQUEST_ID.test(given) ? given : `req_${crypto.randomUUID().replaceAll("-", "")}`;
  request.origin = new URL(request.url).origin;
}

export function sourceOf(request: Partial<ApiRequest> & Request): ProblemSource {
  return { requestId: request.requestId ?? "unknown", origin: request.origin ?? new URL(request.url).origin };
}

export function handleError(options: WorkerOptions) {
  return (error: unknown, request: ApiRequest): Response => {
    const source = sourceOf(request);
    if (error instanceof ApiError) {
      return problemResponse(problemOf(error.code, error.detail, source, error.errors), error.headers);
    }
    const log = options.logError ?? ((message, details) => console.error(message, JSON.stringify(details)));
    log("unhandled error", {
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

/** Every response carries the request id. */
export function withRequestIdHeader(response: Response | undefined, request: ApiRequest): Response | undefined {
  if (!response) return response;
  const headers = new Headers(response.headers);
  headers.set("x-request-id", request.requestId);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "content-type": "application/json; charset=utf-8", ...init.headers },
  });
}
