// The one error module: a closed set of codes, each with its status, rendered as RFC 9457 problems.
import type { FieldError } from "../field-errors";

export { pointer, type FieldError } from "../field-errors";

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLES: Record<ErrorCode, string> = {
  BAD_REQUEST: "Bad Request",
  UNAUTHORIZED: "Unauthorized",
  FORBIDDEN: "Forbidden",
  NOT_FOUND: "Not Found",
  METHOD_NOT_ALLOWED: "Method Not Allowed",
  CONFLICT: "Conflict",
  PRECONDITION_FAILED: "Precondition Failed",
  PAYLOAD_TOO_LARGE: "Payload Too Large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported Media Type",
  UNPROCESSABLE_CONTENT: "Unprocessable Content",
  TOO_MANY_REQUESTS: "Too Many Requests",
  INTERNAL_SERVER_ERROR: "Internal Server Error",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  requestId: string;
  /** Every problem carries its list (API.md §3): `[]` when there is nothing to point at. */
  errors: FieldError[];
}

/** Thrown anywhere in a request; the router's catch turns it into a problem response. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: FieldError[];
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    errors: FieldError[] = [],
    readonly headers?: Record<string, string>,
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

export function problemOf(code: ErrorCode, detail: string, source: ProblemSource, errors?: FieldError[]): Problem {
  const problem: Problem = {
    type: `${source.origin}/problems/${problemSlug(code)}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    code,
    detail,
    requestId: source.requestId,
    errors: errors ?? [],
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

/** The detail used for every body validation failure; the `errors` list says what and where. */
export const VALIDATION_DETAIL = "Request body failed validation";
