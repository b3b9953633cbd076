// What an operation declares, once: method, path, permissions, request schemas, response, errors and
// handler. The router (src/app.ts) and the OpenAPI document (src/openapi/document.ts) are both built
// from the list in ./index.ts.
import type * as z from "zod";
import type { Env } from "../env";
import type { ApiRequest } from "../http/context";
import type { ErrorCode, FieldError } from "../http/errors";
import type { Permission } from "../http/keys";
import type { OperationId } from "../openapi/examples";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** The parsed query and path of a request (what the operation's schemas output). */
export interface OperationInput<Query, Params> {
  query: Query;
  params: Params;
}

export interface Operation<Query extends z.ZodType = z.ZodType, Params extends z.ZodType = z.ZodType> {
  method: Method;
  /** As OpenAPI writes it: `/clients/{id}`. */
  path: string;
  /** What the API key must grant. Without: a public route, which needs no X-Environment and no key. */
  permissions?: readonly Permission[];
  /** Parsed before the handler runs: a query that fails is a 400 listing every problem. */
  query?: Query;
  /**
   * Problems of the raw query that only the request can tell (a cursor issued to another tenant),
   * reported in the same answer as the schema's. Called only when the schema refuses the query;
   * the handler checks a valid query's itself, after the first read has checked the key.
   */
  checkQuery?(query: Readonly<Record<string, unknown>>, request: ApiRequest): Promise<FieldError[]>;
  /** Parsed before the handler runs: a path that fails is a 400. */
  params?: Params;
  handler(request: ApiRequest, input: OperationInput<z.output<Query>, z.output<Params>>, env: Env): Response | Promise<Response>;
  /** Its part of the OpenAPI document. Routes without one serve the service itself (/docs, /openapi.json, /problems). */
  doc?: OperationDoc;
}

export interface OperationDoc {
  operationId: OperationId;
  summary: string;
  description: string;
  /** Request headers besides X-Environment, Authorization and X-Request-Id, which every API operation takes. */
  headers?: z.ZodObject;
  /** The JSON body, for the document: the handler reads and validates the body itself. */
  body?: z.ZodType;
  /** A body of raw bytes (a document's file) in one of these media types, for the document. */
  rawBody?: { contentTypes: readonly string[]; description: string };
  /** `contentTypes`: an answer of raw bytes in one of these media types (default: JSON). */
  response: { description: string; schema: z.ZodType; headers?: z.ZodObject; contentTypes?: readonly string[] };
  /** When each error happens; status and title come from the error table (src/http/errors.ts). */
  errors: Partial<Record<ErrorCode, string>>;
}

/** Declares an operation, inferring its input types from its schemas. */
export function operation<Query extends z.ZodType = z.ZodType, Params extends z.ZodType = z.ZodType>(
  declared: Operation<Query, Params>,
): Operation<Query, Params> {
  return declared;
}

/** The errors every operation behind an API key can answer, and when. */
export const KEY_ERRORS = {
  UNAUTHORIZED: "The API key is missing, malformed, unknown, revoked, or of the other environment.",
  FORBIDDEN: "The API key lacks a permission this operation needs.",
  TOO_MANY_REQUESTS:
    "The API key is over its rate limit (reads and writes are limited apart); nothing was read or written. Retry-After gives the seconds to wait.",
  INTERNAL_SERVER_ERROR: "An unexpected failure; nothing was written. Quote the requestId.",
  SERVICE_UNAVAILABLE: "The environment's database is full or overloaded; nothing was written. Retry-After gives the seconds to wait.",
} as const satisfies Partial<Record<ErrorCode, string>>;

/** The errors of reading a JSON body (src/http/body.ts), and when. */
export const BODY_ERRORS = {
  PAYLOAD_TOO_LARGE: "The body is over 5 MiB (decoded).",
  UNSUPPORTED_MEDIA_TYPE: "The body is not sent as JSON (or in another Content-Encoding than gzip or deflate, or another charset than UTF-8).",
} as const satisfies Partial<Record<ErrorCode, string>>;

/**
 * The tail of every BAD_REQUEST description of an API operation: the header problems every one of
 * them answers 400 (src/http/auth.ts, src/http/consistency.ts). The document checks it is there.
 */
export const ENVIRONMENT_PROBLEM = "a missing or invalid X-Environment header, or a malformed X-Consistency-Token header";
