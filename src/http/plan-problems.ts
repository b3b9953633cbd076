// The answer to a sync the planner refuses (sync/problems.ts): its kind gives the status, and its
// issues are the problem's `errors`, every one of them (API.md §3).
import type { PlanProblemKind, PlanRejected } from "../sync/problems";
import { ApiError, VALIDATION_DETAIL, type ErrorCode } from "./errors";

const ANSWERS: Record<PlanProblemKind, { code: ErrorCode; detail: string }> = {
  invalid: { code: "BAD_REQUEST", detail: VALIDATION_DETAIL },
  not_found: { code: "NOT_FOUND", detail: "The request names records that do not exist for this client" },
  conflict: { code: "CONFLICT", detail: "The request conflicts with records of other clients" },
};

export function apiErrorOf(rejected: PlanRejected): ApiError {
  const { code, detail } = ANSWERS[rejected.kind];
  return new ApiError(code, rejected.summary ?? detail, rejected.issues);
}
