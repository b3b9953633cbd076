// How the sync planner's refusals (sync/problems.ts) become API errors: the kind gives the status,
// and the issues are the problem's `errors`, every one of them (API.md §3). The only place that
// knows how the planner refuses a request.
import { ApiError, VALIDATION_DETAIL, type ErrorCode } from "../http/errors";
import { PlanRejected, type PlanProblemKind } from "../sync/problems";

const ANSWERS: Record<PlanProblemKind, { code: ErrorCode; detail: string }> = {
  invalid: { code: "BAD_REQUEST", detail: VALIDATION_DETAIL },
  not_found: { code: "NOT_FOUND", detail: "The request names records that do not exist for this client" },
  conflict: { code: "CONFLICT", detail: "The request conflicts with records of other clients" },
  immutable: { code: "CONFLICT", detail: "The request changes what an uploaded document's immutable file fixes (its contentType, size)" },
};

/** The API error a planner refusal answers, or null when `error` is not a refusal. */
export function apiErrorOf(error: unknown): ApiError | null {
  if (!(error instanceof PlanRejected)) return null;
  const { code, detail } = ANSWERS[error.kind];
  return new ApiError(code, error.summary ?? detail, error.issues);
}
