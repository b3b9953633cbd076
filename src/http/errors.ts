// The one error module: a closed set of codes, each with its status, rendered as RFC 9457 problems.
import type { FieldError } from "../field-errors";

export { pointer, type FieldError } from "../field-errors";

/**
 * THE error table: every code the API answers, with its HTTP status, the problem's `title`, and the
 * `description` GET /problems/{slug} serves for its `type` URI.
 */
export const ERRORS = {
  BAD_REQUEST: {
    status: 400,
    title: "Bad Request",
    description: "The request is malformed or failed validation; `errors` lists every issue with a JSON Pointer into the body.",
  },
  UNAUTHORIZED: {
    status: 401,
    title: "Unauthorized",
    description: "The API key is missing, malformed, unknown, revoked, or belongs to the other environment.",
  },
  FORBIDDEN: { status: 403, title: "Forbidden", description: "The API key is valid but lacks the permission this operation needs." },
  NOT_FOUND: {
    status: 404,
    title: "Not Found",
    description: "The resource does not exist for this tenant and environment, or the path is unknown.",
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: "Method Not Allowed",
    description: "The path exists but not with this method; the Allow header lists the methods it takes.",
  },
  CONFLICT: {
    status: 409,
    title: "Conflict",
    description: "The request conflicts with stored data (an externalId already taken, or a concurrent change).",
  },
  HISTORY_BROKEN: {
    status: 409,
    title: "History Broken",
    description:
      "The client's stored history does not verify (an entry was altered, removed or cannot be decoded) where the answer needs it; " +
      "`brokenAt` is the first sequence that does not verify. Nothing is answered from a record that fails its check.",
  },
  PRECONDITION_FAILED: {
    status: 412,
    title: "Precondition Failed",
    description: "If-Match did not match the client's current ETag: it changed since you read it.",
  },
  LENGTH_REQUIRED: {
    status: 411,
    title: "Length Required",
    description: "A document file's upload must say its size in Content-Length (API.md §15).",
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Payload Too Large", description: "The request body exceeds 5 MiB (a JSON body) or 25 MiB (a document file)." },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: "Unsupported Media Type",
    description: "The request body must be JSON (Content-Type: application/json); a document file, one of the types of API.md §4.5.",
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    title: "Range Not Satisfiable",
    description: "The Range header asks for bytes the file does not have; Content-Range gives its size.",
  },
  UNPROCESSABLE_CONTENT: {
    status: 422,
    title: "Unprocessable Content",
    description: "The Idempotency-Key was already used with a different request body.",
  },
  TOO_MANY_REQUESTS: { status: 429, title: "Too Many Requests", description: "Too many requests; retry later." },
  INTERNAL_SERVER_ERROR: {
    status: 500,
    title: "Internal Server Error",
    description: "Something failed on our side. Nothing was written; quote the requestId when reporting it.",
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    title: "Service Unavailable",
    description:
      "The environment's database is full or overloaded; nothing was written. Send the same request again after Retry-After seconds.",
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Every code, in the table's order. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** Views of the table, by code (for the modules that want one column of it). */
const column = <K extends "status" | "title" | "description">(key: K) =>
  Object.fromEntries(ERROR_CODES.map((code) => [code, ERRORS[code][key]])) as { [C in ErrorCode]: (typeof ERRORS)[C][K] };
export const ERROR_STATUS = column("status");
export const ERROR_TITLES = column("title");
export const ERROR_DESCRIPTIONS = column("description");

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  requestId: string;
  /** Every problem carries its list (API.md §3): `[]` when there is nothing to point at. */
  errors: FieldError[];
  /** HISTORY_BROKEN: the first sequence that does not verify, and whose chain it is. */
  brokenAt?: number;
  clientId?: string;
}

/** Members a problem carries besides the standard ones (RFC 9457 extension members). */
export type ProblemExtensions = Pick<Problem, "brokenAt" | "clientId">;

/** Thrown anywhere in a request; the router's catch turns it into a problem response. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: FieldError[];
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    errors: FieldError[] = [],
    readonly headers?: Record<string, string>,
    readonly extensions?: ProblemExtensions,
  ) {
    super(detail);
    this.errors = errors;
    this.name = "ApiError";
    this.status = ERROR_STATUS[code];
  }
}

export function problemSlug(code: ErrorCode): string {
  return code.toLowerCase().replaceAll("_", "-");
}

/** Where a problem happened: the request's id, and its origin (problem types are served there). */
export interface ProblemSource {
  requestId: string;
  origin: string;
}

export function problemOf(code: ErrorCode, detail: string, source: ProblemSource, errors?: FieldError[], extensions?: ProblemExtensions): Problem {
  const problem: Problem = {
    type: `${source.origin}/problems/${problemSlug(code)}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    code,
    detail,
    requestId: source.requestId,
    errors: errors ?? [],
    ...extensions,
  };
  return problem;
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

export const badRequest = (detail: string, errors?: FieldError[]) => new ApiError("BAD_REQUEST", detail, errors);
export const notFound = (detail: string, errors?: FieldError[]) => new ApiError("NOT_FOUND", detail, errors);
export const conflict = (detail: string, errors?: FieldError[]) => new ApiError("CONFLICT", detail, errors);

/** The record of `clientId` fails its check at `brokenAt` (API.md §11 "Damaged record"). */
export const historyBroken = (clientId: string, brokenAt: number) =>
  new ApiError(
    "HISTORY_BROKEN",
    `The history of client ${clientId} does not verify at sequence ${brokenAt}; GET /clients/${clientId}/history/verify tells the same`,
    [],
    undefined,
    { brokenAt, clientId },
  );

/** The detail used for every body validation failure; the `errors` list says what and where. */
export const VALIDATION_DETAIL = "Request body failed validation";
