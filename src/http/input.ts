// Parsing a request's query and path with the operation's zod schemas, into 400 problems.
import type * as z from "zod";
import type { Operation, OperationInput } from "../routes/operation";
import type { ApiRequest } from "./context";
import { badRequest, pointer, type FieldError } from "./errors";

/**
 * The problems of a query, one per parameter, each pointing at `/<name>`: an unknown parameter is
 * `unrecognized_keys`, one given more than once `invalid_type`, a value the schema refuses
 * `invalid_value`.
 */
function queryErrors(error: z.ZodError, raw: Record<string, unknown>): FieldError[] {
  const byName = new Map<string, FieldError>();
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const name of issue.keys) {
        byName.set(name, { pointer: pointer([name]), code: "unrecognized_keys", detail: `Unknown query parameter "${name}"` });
      }
      continue;
    }
    const name = String(issue.path[0]);
    if (byName.has(name)) continue;
    byName.set(
      name,
      Array.isArray(raw[name])
        ? { pointer: pointer([name]), code: "invalid_type", detail: `Query parameter "${name}" was given more than once` }
        : { pointer: pointer([name]), code: "invalid_value", detail: issue.message },
    );
  }
  return [...byName.values()];
}

/** The operation's input from the request: its query and path, each parsed by its schema. */
export async function parseInput(operation: Operation, request: ApiRequest): Promise<OperationInput<unknown, unknown>> {
  let params: unknown;
  if (operation.params) {
    const parsed = operation.params.safeParse(request.params);
    // The path has no JSON Pointer: the message says what is wrong, without echoing the value.
    if (!parsed.success) throw badRequest(parsed.error.issues[0]!.message);
    params = parsed.data;
  }
  let query: unknown;
  if (operation.query) {
    const parsed = operation.query.safeParse(request.query);
    // Every problem in one answer: the schema's, and those only the request can tell, each parameter
    // once. The latter are looked for here only when the schema fails (a valid query's are the handler's).
    const errors = parsed.success ? [] : queryErrors(parsed.error, request.query);
    const extra = errors.length > 0 ? ((await operation.checkQuery?.(request.query, request)) ?? []) : [];
    for (const error of extra) {
      if (!errors.some((e) => e.pointer === error.pointer)) errors.push(error);
    }
    if (errors.length > 0) throw badRequest("Invalid query parameters", errors);
    query = parsed.data;
  }
  return { query, params };
}
