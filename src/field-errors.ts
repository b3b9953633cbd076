// The shape of one problem at one place of a request, shared by the validators (schemas/), the sync
// planner (sync/) and the HTTP layer (http/errors.ts re-exports it), so that none of the first two
// depends on HTTP.

/** One problem with one place in the request body. `pointer` is a JSON Pointer (RFC 6901). */
export interface FieldError {
  pointer: string;
  code: string;
  detail: string;
  /** A refused duplicate (API.md §14, code `duplicate_identifier`): the identifier's kind. */
  kind?: string;
  /** A refused duplicate: the live client that holds the identifier already (null: an earlier item of the same body). */
  existingClientId?: string | null;
}

/** JSON Pointer (RFC 6901) for a path of keys and indexes. */
export function pointer(path: readonly PropertyKey[]): string {
  return path.map((p) => "/" + String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}
