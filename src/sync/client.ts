// The synced client itself (API.md §6): which one, its own fields merged with `client`, and
// whether the externalId it takes is free.
import { NEW_CLIENT_COMPLETENESS } from "../compliance/columns";
import type { ClientRow } from "../db/schema";
import { clientRules, mergeClient } from "../schemas/client";
import { fieldError } from "../schemas/common";
import { clientChanged } from "./compare";
import type { ClientPlanning } from "./planning";
import { PlanRejected } from "./problems";

export interface ClientPlan {
  /** The row as the plan leaves it. */
  row: ClientRow;
  action: "created" | "updated" | "unchanged";
}

export function planClient(planning: ClientPlanning): ClientPlan {
  const { request, stored, problems, timestamp } = planning;
  // Without its client nothing else of the request can be checked: refused at once, alone.
  if (request.clientId && !stored) {
    throw new PlanRejected("not_found", [fieldError(["clientId"], "not_found", `No client ${request.clientId}`)], `Client ${request.clientId} not found`);
  }
  if (!request.clientId && !request.client) {
    throw new PlanRejected("invalid", [fieldError(["client"], "required", "client is required when clientId is absent")]);
  }
  const state = mergeClient(stored?.client ?? null, request.client ?? {});
  // An invalid client input is reported already: only the externalId it names is checked below,
  // and, when it creates the client, the keys it lacks.
  const present = planning.invalid.client;
  if (!present) problems.invalidAll(clientRules(state, ["client"]));
  else if (!stored) {
    for (const key of ["type", "name"] as const) {
      if (!present.has(key)) problems.invalid(["client", key], "required", `${key} is required when creating a client`);
    }
  }

  let plan: ClientPlan;
  if (!stored) {
    const row = { id: planning.newId(), tenantId: planning.tenantId, isPrimary: true, version: 1, createdAt: timestamp, updatedAt: timestamp, ...state, ...NEW_CLIENT_COMPLETENESS };
    plan = { row, action: "created" };
  } else if (clientChanged(stored.client, state)) {
    plan = { row: { ...stored.client, ...state, updatedAt: timestamp, version: stored.client.version + 1 }, action: "updated" };
  } else {
    plan = { row: stored.client, action: "unchanged" };
  }

  if (state.externalId !== null && state.externalId !== stored?.client.externalId) {
    const holder = planning.namedByExternalId.get(state.externalId);
    if (holder && holder.id !== plan.row.id) {
      problems.conflict(["client", "externalId"], "external_id_taken", `Another client already has externalId "${state.externalId}"`);
    }
  }
  return plan;
}
