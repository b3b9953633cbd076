// The planner's domain problems. It collects every problem of the request (API.md §3: one answer
// lists them all) and refuses the plan with ONE PlanRejected; the HTTP layer turns that into a
// problem response (http/plan-problems.ts). Nothing here knows HTTP.
import type { FieldError } from "../field-errors";
import { fieldError } from "../schemas/common";

/**
 * invalid: the request is wrong whatever is stored; not_found: it names records that do not exist;
 * conflict: it collides with records of other clients; immutable: it changes what a stored record
 * no longer lets change (an uploaded document's file fields).
 */
export type PlanProblemKind = "invalid" | "not_found" | "conflict" | "immutable";

/** The kinds in order of precedence: a rejection is of the first kind it has problems of. */
const PRECEDENCE: readonly PlanProblemKind[] = ["invalid", "not_found", "conflict", "immutable"];

/** The request cannot be planned; `issues` lists every problem found, of every kind. */
export class PlanRejected extends Error {
  constructor(
    readonly kind: PlanProblemKind,
    readonly issues: FieldError[],
    /** What went wrong in one sentence, when the request fails for one reason only. */
    readonly summary?: string,
  ) {
    super(summary ?? `The sync cannot be planned: ${issues.map((i) => `${i.pointer} ${i.code}`).join(", ")}`);
    this.name = "PlanRejected";
  }
}

/** The problems found while planning, by kind, each at its place in the request. */
export class PlanProblems {
  private readonly found: Record<PlanProblemKind, FieldError[]> = { invalid: [], not_found: [], conflict: [], immutable: [] };

  invalid(path: readonly PropertyKey[], code: string, detail: string): void {
    this.found.invalid.push(fieldError(path, code, detail));
  }

  /** Problems that rules checked elsewhere found (the client's rules, a child kind's rules). */
  invalidAll(errors: readonly FieldError[]): void {
    this.found.invalid.push(...errors);
  }

  notFound(path: readonly PropertyKey[], code: string, detail: string): void {
    this.found.not_found.push(fieldError(path, code, detail));
  }

  conflict(path: readonly PropertyKey[], code: string, detail: string): void {
    this.found.conflict.push(fieldError(path, code, detail));
  }

  immutable(path: readonly PropertyKey[], code: string, detail: string): void {
    this.found.immutable.push(fieldError(path, code, detail));
  }

  /** Refuses the plan when anything was found: every problem in one rejection, of the first kind present. */
  throwIfAny(): void {
    const kind = PRECEDENCE.find((k) => this.found[k].length > 0);
    if (kind) throw new PlanRejected(kind, PRECEDENCE.flatMap((k) => this.found[k]));
  }
}
