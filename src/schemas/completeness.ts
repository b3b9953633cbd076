// The answer of GET /clients/{id}/completeness (API.md §16): per scope the client answers to, what
// its expediente lacks against the requirements of src/compliance/requirements.ts.
import * as z from "zod";
import { SCOPES } from "./client";

const missingItem = z
  .object({
    pointer: z.string().describe("Where in the client's representation the data is missing (JSON Pointer); `/linkedClients/<i>/client/…` for a beneficiary's."),
    requirement: z.string().describe("The id of the requirement (docs/REQUIREMENTS.md), e.g. `MX.rfc`."),
    reason: z.string().describe("Why it is not met, in words."),
  })
  .meta({ id: "MissingRequirement", description: "A requirement of the scope that the client's expediente does not meet." });

const scopeCompleteness = z
  .object({
    scope: z.enum(SCOPES),
    complete: z.boolean(),
    missing: z.array(missingItem),
  })
  .meta({
    id: "ScopeCompleteness",
    description: "The scope's own requirements and those of the scopes above it (MX:AV:INM → MX:AV → MX → base); `complete` when `missing` is empty.",
  });

export const completenessResponse = z
  .object({
    clientId: z.string().meta({ format: "uuid" }),
    complete: z.boolean().describe("Every scope is complete."),
    scopes: z.array(scopeCompleteness).describe("One per scope the client holds, in its order; `base` alone when it holds none."),
  })
  .meta({ id: "Completeness", description: "The completeness of the client's expediente (API.md §16)." });
