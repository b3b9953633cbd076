// D1 Sessions API (API.md §13): every request's queries run in one D1 session, so that read
// replicas can serve reads near the caller. The session's bookmark goes back to the caller as
// X-Consistency-Token; a read sent with it starts its session there, so it sees at least what the
// request that returned it saw or wrote (read-your-writes from any region).
import { badRequest } from "./errors";

export const CONSISTENCY_TOKEN_HEADER = "x-consistency-token";

/**
 * What D1 issues: hyphen-separated lowercase hex groups, today 8-8-8-32 digits
 * ("00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683"). The shape is not pinned to
 * those widths, so that a longer bookmark D1 may issue one day still passes; anything else would
 * only reach D1 to fail there (or, locally, be taken as is), so it is refused here.
 */
const BOOKMARK = /^[0-9a-f]+(?:-[0-9a-f]+){1,7}$/;
const MAX_TOKEN_LENGTH = 128;

/** Methods whose requests write: their session's first query goes to the primary. */
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** POST routes that only read (a body too big for a query string): they start like a GET (API.md §14). */
const READ_ONLY_POSTS = new Set(["/clients/lookup"]);

/** The caller's X-Consistency-Token, checked; null when it sent none. A malformed one is a 400. */
export function consistencyTokenOf(request: Request): string | null {
  const token = request.headers.get(CONSISTENCY_TOKEN_HEADER);
  if (token === null) return null;
  if (token.length > MAX_TOKEN_LENGTH || !BOOKMARK.test(token)) {
    throw badRequest("Malformed X-Consistency-Token header: send back exactly the X-Consistency-Token of an earlier response, or leave it out");
  }
  return token;
}

/**
 * Where the request's D1 session starts. A write starts at the primary, whatever the token says:
 * its reads (a sync's current graph, a key's revocation) must see the latest state, and the
 * primary is at least as fresh as any bookmark. A read starts at the caller's bookmark when it
 * sent one, else on any copy (the nearest replica, possibly a little behind the primary).
 */
export function sessionStartOf(request: Request): D1SessionBookmark | D1SessionConstraint {
  const token = consistencyTokenOf(request); // checked on writes too: a malformed one is a 400 everywhere
  const readOnly = request.method === "POST" && READ_ONLY_POSTS.has(new URL(request.url).pathname);
  if (WRITE_METHODS.has(request.method) && !readOnly) return "first-primary";
  return token ?? "first-unconstrained";
}
