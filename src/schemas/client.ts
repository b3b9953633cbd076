// Client input (API.md §4.1): the shape, checked by zod, and the rules that depend on the whole
// client (type-dependent RFC/CURP rules, required keys on create), checked on the merged state.
import * as z from "zod";
import type { FieldError } from "../field-errors";
import { curpProblems, normalizeCurp, normalizeRfc, rfcProblems } from "../validators/mexico";
import { countryCode, date, fieldError, jsonObject, metadata, text, uniqueList } from "./common";
import { withFastPath } from "./fast-path";

export const CLIENT_TYPES = ["individual", "company", "trust"] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export const SCOPES = [
  "base",
  "MX",
  "MX:AV",
  "MX:AV:ARI",
  "MX:AV:AVI",
  "MX:AV:INM",
  "MX:AV:JYS",
  "MX:AV:MJR",
  "MX:AV:MPC",
  "MX:AV:TSC",
  "MX:AV:VEH",
  "MX:CNBV",
  "MX:CNBV:TRANSMISOR",
] as const;

const todayIso = () => new Date().toISOString().slice(0, 10);

const birthDate = date
  .refine((d) => d >= "1900-01-01", { message: "Must not be before 1900-01-01" })
  .refine((d) => d <= todayIso(), { message: "Must not be in the future" })
  .describe("A real date from 1900-01-01 to today");

const nationalities = z
  .union([countryCode.transform((c) => [c]), uniqueList(countryCode, 10)])
  .describe("ISO 3166-1 alpha-2 codes; a single string is stored as a one-element list");

const empty = z.strictObject({});

const mxScopeData = z.strictObject({
  rfc: z
    .string()
    .overwrite(normalizeRfc)
    .superRefine((rfc, ctx) => rfcProblems(rfc).forEach((message) => ctx.addIssue({ code: "custom", message })))
    .nullable()
    .optional(),
  curp: z
    .string()
    .overwrite(normalizeCurp)
    .superRefine((curp, ctx) => curpProblems(curp).forEach((message) => ctx.addIssue({ code: "custom", message })))
    .nullable()
    .optional(),
  actividadVulnerable: z
    .strictObject({
      ARI: empty.optional(),
      AVI: z.strictObject({ username: text(255).nullable().optional() }).optional(),
      INM: empty.optional(),
      JYS: empty.optional(),
      MJR: empty.optional(),
      MPC: empty.optional(),
      TSC: empty.optional(),
      VEH: empty.optional(),
    })
    .optional(),
  cnbv: z
    .strictObject({
      TRANSMISOR: z
        .strictObject({
          numeroCuenta: text(64).nullable().optional(),
          claveSujetoObligado: text(64).nullable().optional(),
        })
        .optional(),
    })
    .optional(),
});

export const clientScopeData = z
  .strictObject({
    MX: mxScopeData.optional(),
    US: jsonObject(64 * 1024).optional(),
  })
  .meta({
    id: "ClientScopeData",
    description:
      "Data of the regulatory scopes (`{}` when none). `MX.rfc` and `MX.curp` are upper-cased, then checked (format, real date, CURP check " +
      "digit; an RFC has 13 characters for an individual, 12 for a company; a CURP is for individuals only).",
  });

export const employment = z.strictObject({
  isEmployee: z.boolean().nullable().optional(),
  employeeId: text(255).nullable().optional(),
  position: text(255).nullable().optional(),
  department: text(255).nullable().optional(),
  startDate: date.nullable().optional(),
});

/** Every key optional: what is required depends on whether the client exists (see `clientRules`). */
const clientKeys = {
  type: z.enum(CLIENT_TYPES).optional(),
  name: text(300).optional(),
  middleName: text(300).nullable().optional(),
  lastName: text(300).nullable().optional(),
  birthDate: birthDate.nullable().optional(),
  nationalities: nationalities.nullable().optional(),
  scopes: uniqueList(z.enum(SCOPES), SCOPES.length).nullable().optional(),
  externalId: text(255).nullable().optional(),
  metadata: metadata.nullable().optional(),
  employment: employment.nullable().optional(),
  scopeData: clientScopeData.nullable().optional(),
};

export const clientInput = z.strictObject(clientKeys).meta({
  id: "ClientInput",
  description:
    "A client's own fields (API.md §4.1). `type` and `name` are required when creating; in a sync, a present key replaces " +
    "the stored value, `null` clears it, an absent key leaves it unchanged.",
});

export type ClientInput = z.infer<typeof clientInput>;

/** A batch item, validated: what `clientInput.safeParse` says (accepted by the fast path when it can). */
export const parseClientInput = withFastPath(clientInput);

/**
 * A client input that creates a client: `type` and `name` required. For the document of a batch item;
 * the batch validates each item with `clientInput` and reports the missing keys with its other problems.
 */
export const newClientInput = z.strictObject({ ...clientKeys, type: z.enum(CLIENT_TYPES), name: text(300) }).meta({
  id: "NewClientInput",
  description: "A new client's fields (API.md §4.1, §5): `type` and `name` are required.",
});

/** The stored state of a client's own fields (what `clientInput` merges into). */
export interface ClientState {
  type: string;
  name: string;
  middleName: string | null;
  lastName: string | null;
  birthDate: string | null;
  nationalities: string[];
  scopes: string[];
  externalId: string | null;
  metadata: Record<string, unknown>;
  employment: Record<string, unknown> | null;
  scopeData: Record<string, unknown>;
}

/** The client's own fields: what a client input may set, and what a sync compares and updates. */
export const CLIENT_FIELDS = [
  "type",
  "name",
  "middleName",
  "lastName",
  "birthDate",
  "nationalities",
  "scopes",
  "externalId",
  "metadata",
  "employment",
  "scopeData",
] as const satisfies readonly (keyof ClientState)[];

export const EMPLOYMENT_KEYS = ["isEmployee", "employeeId", "position", "department", "startDate"] as const;

/** Applies a partial input: present keys replace, `null` clears (lists to [], objects to {}). */
export function mergeClient(stored: ClientState | null, input: ClientInput): ClientState {
  const base: ClientState = stored ?? {
    type: "",
    name: "",
    middleName: null,
    lastName: null,
    birthDate: null,
    nationalities: [],
    scopes: [],
    externalId: null,
    metadata: {},
    employment: null,
    scopeData: {},
  };
  const has = (key: keyof ClientInput) => Object.hasOwn(input, key);
  return {
    type: has("type") ? input.type! : base.type,
    name: has("name") ? input.name! : base.name,
    middleName: has("middleName") ? (input.middleName ?? null) : base.middleName,
    lastName: has("lastName") ? (input.lastName ?? null) : base.lastName,
    birthDate: has("birthDate") ? (input.birthDate ?? null) : base.birthDate,
    nationalities: has("nationalities") ? (input.nationalities ?? []) : base.nationalities,
    scopes: has("scopes") ? (input.scopes ?? []) : base.scopes,
    externalId: has("externalId") ? (input.externalId ?? null) : base.externalId,
    metadata: has("metadata") ? (input.metadata ?? {}) : base.metadata,
    employment: has("employment")
      ? input.employment
        ? Object.fromEntries(EMPLOYMENT_KEYS.map((k) => [k, input.employment![k] ?? null]))
        : null
      : base.employment,
    scopeData: has("scopeData") ? (input.scopeData ?? {}) : base.scopeData,
  };
}

/**
 * The keys a new client requires that a raw input (one that failed `clientInput`) lacks, so that
 * a create reports them next to its shape errors. A key present but invalid is zod's to report.
 */
export function missingOnCreate(raw: unknown, path: readonly PropertyKey[]): FieldError[] {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return [];
  return (["type", "name"] as const)
    .filter((key) => !Object.hasOwn(raw, key) || (raw as Record<string, unknown>)[key] === undefined)
    .map((key) => fieldError([...path, key], "required", `${key} is required when creating a client`));
}

/** Rules on the merged client; `path` locates the client input in the request body. */
export function clientRules(state: ClientState, path: readonly PropertyKey[]): FieldError[] {
  const errors: FieldError[] = [];
  if (state.type === "") errors.push(fieldError([...path, "type"], "required", "type is required when creating a client"));
  if (state.name === "") errors.push(fieldError([...path, "name"], "required", "name is required when creating a client"));
  const mx = (state.scopeData as { MX?: { rfc?: string | null; curp?: string | null } }).MX;
  if (mx?.rfc && state.type) {
    const length = mx.rfc.length;
    if (state.type === "individual" && length !== 13) {
      errors.push(fieldError([...path, "scopeData", "MX", "rfc"], "invalid_rfc", `An RFC for an individual has 13 characters, this one has ${length}`));
    }
    if (state.type === "company" && length !== 12) {
      errors.push(fieldError([...path, "scopeData", "MX", "rfc"], "invalid_rfc", `An RFC for a company has 12 characters, this one has ${length}`));
    }
  }
  if (mx?.curp && state.type && state.type !== "individual") {
    errors.push(fieldError([...path, "scopeData", "MX", "curp"], "invalid_curp", `A CURP is only for individuals, and this client is a ${state.type}`));
  }
  return errors;
}
