// Rate limits per API key (API.md §13) with the Workers Rate Limiting binding: reads and writes are
// counted apart, by two bindings whose limits wrangler.toml sets. The check runs after withApiKey has
// checked the key's form and hashed it, and before the key is looked up (in the route's first read),
// so a limited request makes no D1 call: it reads nothing and writes nothing.
import type { Env } from "../env";
import type { ApiRequest, WorkerOptions } from "./context";
import { ApiError } from "./errors";
import { loggerOf } from "./pipeline";

/**
 * The `period` of both [[ratelimits]] in wrangler.toml, in seconds. The binding only answers
 * allowed or not, never when its window ends: Retry-After is the whole period, the longest wait
 * that can be needed. test/http/rate-limit-config.node.test.ts holds wrangler.toml to it.
 */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

export type RateLimitKind = "reads" | "writes";

/** GET (and the HEAD answered with it) reads; POST and DELETE write. */
export const rateLimitKindOf = (method: string): RateLimitKind => (method === "GET" || method === "HEAD" ? "reads" : "writes");

/**
 * Counts the request against its key's limit; over it, a 429 with Retry-After. Runs after withApiKey:
 * only a well-formed key of the request's environment gets here (anything else is a 401 already).
 */
export function withRateLimit(kind: RateLimitKind, options: WorkerOptions) {
  return async (request: ApiRequest, env: Env): Promise<void> => {
    let allowed: boolean;
    try {
      // The key's SHA-256 (what api_keys stores), never the key itself; an unknown key is counted
      // under its own hash, so guessing keys never spends another key's budget.
      const limiter = kind === "reads" ? env.RATE_LIMIT_READS : env.RATE_LIMIT_WRITES;
      allowed = (await limiter.limit({ key: request.apiKey.hash })).success;
    } catch (error) {
      // A failing limiter does not take the API down with it: the request goes on, and the log says so.
      loggerOf(options)("rate limiter failed; request let through", {
        requestId: request.requestId,
        kind,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      return;
    }
    if (!allowed) {
      throw new ApiError(
        "TOO_MANY_REQUESTS",
        `This API key is over its rate limit for ${kind}; nothing was done. Retry after ${RATE_LIMIT_PERIOD_SECONDS} seconds`,
        [],
        { "retry-after": String(RATE_LIMIT_PERIOD_SECONDS) },
      );
    }
  };
}
