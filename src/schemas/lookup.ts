// POST /clients/lookup (API.md §14), as zod schemas: the request is validated with them, and the
// OpenAPI document shows them. Whether a value can be an identifier of its kind is checked by
// `identifierProblems` (an RFC that cannot be one is a 400 with its pointer).
import * as z from "zod";
import { LOOKUP_KINDS, normalize, type LookupKind } from "../lookup/normalize";
import { clabeProblems, curpProblems, rfcProblems } from "../validators/mexico";
import { fieldError, text } from "./common";
import type { FieldError } from "../http/errors";

export const MAX_LOOKUP_IDENTIFIERS = 100;

export const lookupIdentifier = z
  .strictObject({
    kind: z.enum(LOOKUP_KINDS).describe("What the value is"),
    value: text(320).describe("As the caller has it: normalized by the service (API.md §14)"),
    key: text(255).optional().describe("The metadata key; required for kind `metadata`, refused for any other kind"),
  })
  .meta({ id: "LookupIdentifier" });

export const lookupRequest = z
  .strictObject({
    identifiers: z.array(lookupIdentifier).min(1).max(MAX_LOOKUP_IDENTIFIERS),
    includeDeleted: z.boolean().optional().describe("Also match deleted clients (default false)"),
  })
  .meta({ id: "LookupRequest" });

export type LookupIdentifier = z.output<typeof lookupIdentifier>;

/** Problems of one identifier that its shape alone does not show; `path` points at it. */
export function identifierProblems(identifier: LookupIdentifier, path: readonly PropertyKey[]): FieldError[] {
  const { kind, value, key } = identifier;
  const at = [...path, "value"];
  const problems: FieldError[] = [];
  if (kind === "metadata" && key === undefined) problems.push(fieldError([...path, "key"], "invalid_value", "A metadata identifier names its key"));
  if (kind !== "metadata" && key !== undefined) problems.push(fieldError([...path, "key"], "invalid_value", "Only a metadata identifier has a key"));
  const normalized = normalize(kind, value);
  const refused = (detail: string) => problems.push(fieldError(at, `invalid_${kind}`, detail));
  switch (kind as LookupKind) {
    case "rfc": {
      const found = rfcProblems(normalized);
      if (found.length > 0) refused(`Not an RFC: ${found.join("; ")}`);
      break;
    }
    case "curp": {
      const found = curpProblems(normalized);
      if (found.length > 0) refused(`Not a CURP: ${found.join("; ")}`);
      break;
    }
    case "clabe": {
      const found = clabeProblems(normalized);
      if (found.length > 0) refused(`Not a CLABE: ${found.join("; ")}`);
      break;
    }
    case "accountNumber":
      if (normalized.length < 1 || normalized.length > 34) refused("An account number has 1–34 characters besides spaces, dots and dashes");
      break;
    case "email":
      if (!/^[^\s@]+@[^\s@]+$/.test(normalized)) refused("Not an e-mail address");
      break;
    case "phone":
      if (!/^\d{7,15}$/.test(normalized)) refused("A phone number holds 7–15 digits (besides + . - ( ) and spaces)");
      break;
    case "externalId":
      if (value.length > 255) refused("An externalId has at most 255 characters");
      break;
    case "metadata":
      if (value.length > 255) refused("Only metadata values of at most 255 characters are looked up");
      break;
  }
  return problems;
}

const id = z.uuid();

export const lookupMatch = z
  .strictObject({
    clientId: id,
    name: z.string(),
    type: z.enum(["individual", "company", "trust"]),
    isPrimary: z.boolean(),
    matchedOn: z.enum(["client", "bankAccount", "contactMethod"]).describe("Where the identifier is held"),
    childId: id.nullable().describe("The bank account or contact method that holds it; null for the client's own fields"),
    deletedAt: z.iso.datetime({ precision: 3 }).nullable().describe("When the client was deleted (only with includeDeleted)"),
  })
  .meta({ id: "LookupMatch" });

export const lookupResponse = z
  .strictObject({
    data: z.array(
      z.strictObject({
        identifier: lookupIdentifier.describe("As sent"),
        normalized: z.string(),
        matches: z.array(lookupMatch),
      }),
    ),
  })
  .meta({ id: "LookupResult", description: "One entry per identifier, in the order sent; live clients first." });
