// Recognising the D1 failures that are D1's state, not the request's: a database that is full, or
// one that is overloaded or being reset. The caller gets 503 SERVICE_UNAVAILABLE with Retry-After
// (http/pipeline.ts): the batch that failed rolled back whole, so nothing was written, and the
// same request sent later is the right move. D1 gives no error code, only the message
// (developers.cloudflare.com/d1/observability/debug-d1, "Errors"), so the sentences are matched,
// also inside an error's `cause` (drizzle wraps D1's error).

export type Unavailability = "full" | "overloaded" | "moving";

/**
 * The words of the trigger a tenant move puts on the source shard (scripts/lib/tenant-move.ts):
 * the tenant's writes wait there while its rows are copied, and after (the tenant lives elsewhere).
 */
export const TENANT_MOVING = "TENANT_MOVING";

/** D1's words, and SQLite's (local D1 over a capped file), for a database that cannot grow. */
const FULL = /Exceeded maximum DB size|database or disk is full|SQLITE_FULL/;

/**
 * D1's words for a database that is overloaded, or whose object was reset or could not be reached
 * for a moment: the request did not run, and may later.
 */
const OVERLOADED =
  /D1 DB is overloaded|Too many requests queued|Requests queued for too long|exceeded its (?:CPU time|memory) limit and was reset|storage caused object to be reset|storage operation exceeded timeout|reset because its code was updated|Cannot resolve D1 DB due to transient issue|Network connection lost/;

/** Seconds the caller is told to wait: a full database needs an operator, an overloaded one a moment. */
export const RETRY_AFTER_SECONDS: Record<Unavailability, number> = { full: 600, overloaded: 2, moving: 5 };

/** Which unavailability `error` reports (walking its causes), or null for any other error. */
export function unavailabilityOf(error: unknown): Unavailability | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.message.includes(TENANT_MOVING)) return "moving";
    if (FULL.test(e.message)) return "full";
    if (OVERLOADED.test(e.message)) return "overloaded";
  }
  return null;
}
