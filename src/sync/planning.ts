// The one context object every step of the planner takes: the request, what the read round trip
// found, the clock and ids, and where problems go.
import type { ClientGraph } from "../db/mappers";
import type { ClientRow } from "../db/schema";
import type { InvalidParts } from "../schemas/partial-sync";
import type { SyncRequest } from "../schemas/requests";
import type { Loaded } from "./load";
import type { PlanProblems } from "./problems";

/** What planSync needs besides the request and the read. */
export interface PlanContext {
  tenantId: string;
  now: Date;
  newId: () => string;
  /** Parts of the request that failed validation and stand only for the records they name. */
  invalid?: InvalidParts;
}

/** One planning run. */
export interface Planning {
  request: SyncRequest;
  loaded: Loaded;
  /** The synced client's graph as stored, or null when the sync creates it. */
  stored: ClientGraph | null;
  tenantId: string;
  now: Date;
  /** `now` as rows store it (createdAt, updatedAt). */
  timestamp: string;
  newId: () => string;
  invalid: InvalidParts;
  /** The tenant's clients the request names (link targets, client.externalId), by id and by externalId. */
  namedById: ReadonlyMap<string, ClientRow>;
  namedByExternalId: ReadonlyMap<string | null, ClientRow>;
  problems: PlanProblems;
  /** The synced client's row as the plan leaves it. */
  client: ClientRow;
}

/** Planning before the synced client's row is known (the step that plans it). */
export type ClientPlanning = Omit<Planning, "client">;
