// How the sync planner's refusals become API errors. The only place that knows how the planner
// refuses a request (an ApiError today; soon its own PlanRejected, mapped here).
import { ApiError } from "../http/errors";

/** The API error a planner refusal answers, or null when `error` is not a refusal. */
export function apiErrorOf(error: unknown): ApiError | null {
  return error instanceof ApiError ? error : null;
}
