// The response bodies and headers of the API (API.md §3–§7), as zod schemas: the single source of the
// response shapes in the OpenAPI document (src/openapi/document.ts). The mappers in src/db/mappers.ts
// build the values; the key sets are checked against them at compile time (bottom of this file), and
// the values by test/openapi, which validates live responses against the generated document.
import * as z from "zod";
import type { FullClient, LinkOut } from "../db/mappers";
import type { addressOut, bankAccountOut, clientFields, contactMethodOut, documentOut } from "../db/mappers";
import { ERROR_STATUS, type FieldError as FieldErrorShape, type Problem as ProblemShape } from "../http/errors";
import { ADDRESS_TYPES, addressScopeData } from "./address";
import { BANK_ACCOUNT_TYPES } from "./bank-account";
import { CLIENT_TYPES, clientScopeData, SCOPES } from "./client";
import { CONTACT_TYPES } from "./contact-method";
import { DOCUMENT_CATEGORIES, DOCUMENT_CONTENT_TYPES } from "./document";
import { RELATIONSHIP_TYPES } from "./link";
import { COUNTRY_CODES } from "../validators/countries";

const id = z.uuid().describe("Server-generated UUID");
const timestamp = z.iso.datetime({ precision: 3 }).describe("ISO 8601 UTC with milliseconds");
const calendarDate = z.iso.date();
const object = z.record(z.string(), z.unknown());
const country = z.enum(COUNTRY_CODES as [string, ...string[]]).meta({ id: "CountryCode", description: "An ISO 3166-1 alpha-2 country code, upper-cased" });

const childKeys = { id, clientId: id };
const stamps = { createdAt: timestamp, updatedAt: timestamp };

export const addressResponse = z
  .strictObject({
    ...childKeys,
    type: z.enum(ADDRESS_TYPES),
    isPrimary: z.boolean(),
    street: z.string(),
    city: z.string(),
    state: z.string(),
    postalCode: z.string(),
    country: country.nullable(),
    externalId: z.string().nullable(),
    metadata: object,
    scopeData: addressScopeData,
    ...stamps,
  })
  .meta({ id: "Address", description: "An address of a client (API.md §4.2)." });

export const contactMethodResponse = z
  .strictObject({
    ...childKeys,
    type: z.enum(CONTACT_TYPES),
    value: z.string(),
    isPrimary: z.boolean(),
    label: z.string().nullable(),
    externalId: z.string().nullable(),
    metadata: object,
    isVerified: z.boolean(),
    verifiedAt: timestamp.nullable(),
    ...stamps,
  })
  .meta({ id: "ContactMethod", description: "A contact method of a client (API.md §4.3). `isVerified` is false until verification exists." });

export const bankAccountResponse = z
  .strictObject({
    ...childKeys,
    accountNumber: z.string(),
    bankName: z.string(),
    bankCode: z.string().nullable(),
    country,
    currency: z.string().regex(/^[A-Z]{3}$/).describe("ISO 4217"),
    type: z.enum(BANK_ACCOUNT_TYPES),
    isPrimary: z.boolean(),
    isActive: z.boolean(),
    label: z.string().nullable(),
    externalId: z.string().nullable(),
    metadata: object,
    clabe: z.string().regex(/^\d{18}$/).nullable(),
    codigoBanco: z.string().regex(/^\d{3}$/).nullable().describe("Digits 1–3 of the CLABE"),
    codigoPlaza: z.string().regex(/^\d{3}$/).nullable().describe("Digits 4–6 of the CLABE"),
    ...stamps,
  })
  .meta({ id: "BankAccount", description: "A bank account of a client (API.md §4.4)." });

export const documentResponse = z
  .strictObject({
    ...childKeys,
    type: z.string(),
    category: z.enum(DOCUMENT_CATEGORIES).nullable(),
    expiresAt: calendarDate.nullable(),
    externalId: z.string().nullable(),
    metadata: object,
    fields: object,
    filename: z.string().nullable(),
    contentType: z.enum(DOCUMENT_CONTENT_TYPES).nullable(),
    size: z.int().min(0).nullable(),
    status: z.string().describe("Set by the server: `pending_upload` when created, `uploaded` once its file is (API.md §15); a sync never changes it"),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable()
      .describe("The uploaded file's SHA-256, lower-case hex (API.md §15); null until the upload"),
    uploadedAt: timestamp.nullable().describe("When the file's upload committed; null until then"),
    verifiedAt: timestamp.nullable(),
    verifiedBy: z.string().nullable(),
    rejectionReason: z.string().nullable(),
    reviewedAt: timestamp.nullable(),
    reviewedBy: z.string().nullable(),
    ...stamps,
  })
  .meta({ id: "Document", description: "A document of a client (API.md §4.5). The review keys are null until review exists." });

const employmentResponse = z.strictObject({
  isEmployee: z.boolean().nullable(),
  employeeId: z.string().nullable(),
  position: z.string().nullable(),
  department: z.string().nullable(),
  startDate: calendarDate.nullable(),
});

const clientOwnKeys = {
  id,
  type: z.enum(CLIENT_TYPES),
  name: z.string(),
  middleName: z.string().nullable(),
  lastName: z.string().nullable(),
  isPrimary: z.boolean().describe("true for clients created directly, false for clients created inline as a linked child"),
  nationalities: z.array(country),
  scopes: z.array(z.enum(SCOPES)),
  externalId: z.string().nullable(),
  metadata: object,
  birthDate: calendarDate.nullable(),
  age: z.int().min(0).nullable().describe("Whole years from birthDate to today (UTC)"),
  scopeData: clientScopeData,
  employment: employmentResponse.nullable(),
  email: z.string().nullable().describe("The primary email contact method's value, else the oldest one's"),
  phone: z.string().nullable().describe("Likewise over phone, then mobile contact methods"),
  ...stamps,
};

export const linkedClientResponse = z
  .strictObject(clientOwnKeys)
  .meta({ id: "LinkedClient", description: "A linked client's own keys (a full client without its child lists)." });

export const linkResponse = z
  .strictObject({
    id: id.describe("The link's id"),
    relationshipType: z.enum(RELATIONSHIP_TYPES).nullable(),
    client: linkedClientResponse,
    metadata: object,
    ...stamps,
  })
  .meta({ id: "Link", description: "A link from this client (the parent) to another client (API.md §6, Links)." });

export const clientResponse = z
  .strictObject({
    ...clientOwnKeys,
    addresses: z.array(addressResponse),
    contactMethods: z.array(contactMethodResponse),
    bankAccounts: z.array(bankAccountResponse),
    documents: z.array(documentResponse),
    linkedClients: z.array(linkResponse),
    riskAssessments: object.describe("{} until risk assessments exist"),
    tags: z.array(z.string()).describe("[] until tags exist"),
  })
  .meta({ id: "Client", description: "The full client (API.md §4.1). Child lists are ordered by createdAt, then id." });

export const clientListResponse = z
  .strictObject({
    data: z.array(clientResponse),
    pagination: z.strictObject({
      hasMore: z.boolean(),
      nextCursor: z.string().nullable().describe("Opaque; pass it back as `cursor` for the next page"),
    }),
  })
  .meta({ id: "ClientList", description: "A page of clients, ordered by createdAt, then id." });

export const deleteResponse = z
  .strictObject({ id, deleted: z.literal(true) })
  .meta({ id: "DeleteResult", description: "The client, its children and every link touching it were deleted." });

export const fieldErrorResponse = z
  .strictObject({
    pointer: z.string().describe("JSON Pointer (RFC 6901) into the request body (or the query, for GET /clients)"),
    code: z.string(),
    detail: z.string(),
    kind: z.enum(["rfc", "curp", "clabe"]).optional().describe("`duplicate_identifier` only (API.md §14): the identifier's kind"),
    existingClientId: id
      .nullable()
      .optional()
      .describe("`duplicate_identifier` only: the live client that already holds the identifier; null when it is an earlier item of the same body"),
  })
  .meta({ id: "FieldError", description: "One problem with one place in the request." });

export const duplicatesList = z
  .array(
    z.strictObject({
      pointer: z.string().describe("JSON Pointer to the identifier in the request body"),
      kind: z.enum(["rfc", "curp", "clabe"]),
      existingClientId: id.describe("A live client that already holds it (another item of the same batch included)"),
    }),
  )
  .describe(
    "The RFCs, CURPs and CLABEs of the request that another live client of the tenant already holds (API.md §14), in every " +
      "mode: under the tenant's `allow` rule a warning; under `reject` such a request is a 409 instead.",
  );

export const problemResponse = z
  .strictObject({
    type: z.url().describe("URI of the problem type; GET it for a description"),
    title: z.string(),
    status: z.int().min(400).max(599),
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    detail: z.string(),
    requestId: z.string().describe("Also in the X-Request-Id header; quote it when reporting a problem"),
    errors: z.array(fieldErrorResponse).describe("Every issue found, each with a JSON Pointer into the request; `[]` when there is nothing to point at"),
    brokenAt: z.int().min(1).optional().describe("HISTORY_BROKEN only: the first sequence of the client's history that does not verify"),
    clientId: z.string().optional().describe("HISTORY_BROKEN only: the client whose history does not verify (the one asked for, or a client it links to)"),
  })
  .meta({ id: "Problem", description: "An RFC 9457 problem: every error of the API has this body (application/problem+json)." });

export const batchAtomicResponse = z
  .strictObject({ atomic: z.literal(true), data: z.array(clientResponse).describe("The created clients, in input order"), duplicates: duplicatesList })
  .meta({ id: "BatchAtomicResult", description: "atomic: true — every item was created." });

export const batchPartialResponse = z
  .strictObject({
    atomic: z.literal(false),
    data: z.array(clientResponse).describe("The created clients, in input order"),
    succeeded: z.array(z.strictObject({ index: z.int().min(0), data: clientResponse })),
    failed: z.array(z.strictObject({ index: z.int().min(0), error: problemResponse })),
    duplicates: duplicatesList,
  })
  .meta({ id: "BatchPartialResult", description: "atomic: false — every valid item was created; the others are reported in `failed`." });

// A plain union (anyOf), no discriminator: OpenAPI's discriminator is for string properties, and
// openapi-typescript types a boolean one as the strings "true"/"false". The `const` of `atomic`
// in each branch already tells them apart, and generators type it as the boolean it is.
export const batchResponse = z
  .union([batchAtomicResponse, batchPartialResponse])
  .meta({ id: "BatchResult", description: "The answer of POST /clients/batch; its shape depends on the request's `atomic`." });

function changes<T extends z.ZodType>(item: T, deleted: string) {
  return z.strictObject({ created: z.array(item), updated: z.array(item), deleted: z.array(id).describe(deleted) });
}

export const syncResponse = z
  .strictObject({
    action: z.enum(["created", "updated", "unchanged"]).describe("About the client's own fields (`unchanged` when only children changed)"),
    client: clientResponse,
    addresses: changes(addressResponse, "Ids of the deleted addresses"),
    contactMethods: changes(contactMethodResponse, "Ids of the deleted contact methods"),
    bankAccounts: changes(bankAccountResponse, "Ids of the deleted bank accounts"),
    documents: changes(documentResponse, "Ids of the deleted documents"),
    linkedClients: changes(linkResponse, "Ids of the deleted links"),
    dryRun: z.boolean(),
    duplicates: duplicatesList,
  })
  .meta({ id: "SyncResult", description: "What a sync did (or, with dryRun, would do) to the client graph (API.md §6)." });

// --- Response headers ---------------------------------------------------------------------------------

export const requestIdHeader = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/)
  .describe("The request's id: the caller's X-Request-Id when it is a sane token, else a generated one.");

export const etagHeader = z
  .string()
  .regex(/^"[0-9a-f]{32}"$/)
  .describe("The client's ETag (a strong validator); it changes whenever anything in its graph changes.");

export const replayedHeader = z
  .literal("true")
  .optional()
  .describe("Present, `true`, when this is the stored answer to an earlier request with the same Idempotency-Key.");

// ---------------------------------------------------------------------------------------------------
// Compile-time check: each schema has exactly the keys its mapper (or the error module) produces.
// (employmentOut builds its object from a key list, so its keys are checked by the live tests only.)
// ---------------------------------------------------------------------------------------------------
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Assert<T extends true> = T;
type Out<T extends z.ZodType> = z.output<T>;
export type ResponseKeysMatchMappers = [
  Assert<SameKeys<FullClient, Out<typeof clientResponse>>>,
  Assert<SameKeys<ReturnType<typeof clientFields>, Out<typeof linkedClientResponse>>>,
  Assert<SameKeys<LinkOut, Out<typeof linkResponse>>>,
  Assert<SameKeys<ReturnType<typeof addressOut>, Out<typeof addressResponse>>>,
  Assert<SameKeys<ReturnType<typeof contactMethodOut>, Out<typeof contactMethodResponse>>>,
  Assert<SameKeys<ReturnType<typeof bankAccountOut>, Out<typeof bankAccountResponse>>>,
  Assert<SameKeys<ReturnType<typeof documentOut>, Out<typeof documentResponse>>>,
  Assert<SameKeys<ProblemShape, Out<typeof problemResponse>>>,
  Assert<SameKeys<FieldErrorShape, Out<typeof fieldErrorResponse>>>,
];
