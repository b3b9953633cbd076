// Request and response examples of the OpenAPI document. test/openapi/examples.test.ts sends every
// request below through the real app and checks that the answer matches its response example
// (ids, timestamps and request ids compared by shape, everything else by value) — so these examples
// are exactly what the API does.
//
// Ids in the examples are UUIDs: the test maps each distinct one, in order of appearance, to the
// real one at the same place. Timestamps only need to be ISO 8601 with milliseconds.

export type OperationId =
  | "listClients"
  | "lookupClients"
  | "searchClients"
  | "getClient"
  | "getClientCompleteness"
  | "previewCopyToLive"
  | "copyToLive"
  | "getClientHistory"
  | "verifyClientHistory"
  | "deleteClient"
  | "createClients"
  | "syncClient"
  | "uploadDocumentFile"
  | "downloadDocumentFile"
  | "createDocumentFileUploadUrl"
  | "completeDocumentFileUpload"
  | "createWebhookEndpoint"
  | "listWebhookEndpoints"
  | "deleteWebhookEndpoint"
  | "listWebhookDeliveries"
  | "redeliverEvent"
  | "getDuplicateRule"
  | "putDuplicateRule";

export interface ApiExample {
  /** Key of the example in the document (unique across the document). */
  name: string;
  summary: string;
  operationId: OperationId;
  /**
   * Another example whose request runs first, in the same fresh tenant; its created client's id
   * (`client.id` of a sync) replaces `{id}` in `path`.
   */
  given?: string;
  /** Which API key the request carries: every permission (default), only clients:read, or none. */
  key?: "full" | "read-only" | "none";
  request: {
    /** Path with query; `{id}` as in the document's path template. */
    path: string;
    body?: unknown;
  };
  response: {
    status: number;
    body: unknown;
  };
}

const T1 = "2026-11-21T17:41:25.123Z";
const T2 = "2026-11-21T17:42:03.456Z";
const ORIGIN = "http://localhost:8787";

// Ids of the examples (UUIDv7, as the server generates them).
const ANA = "019aa7c1-2b3f-7000-8a1e-3c4d5e6f7a01";
const REP = "019aa7c1-2b3f-7001-9b2e-4d5e6f7a8b02";
const ADDRESS = "019aa7c1-2b3f-7002-8c3f-5e6f7a8b9c03";
const EMAIL = "019aa7c1-2b3f-7003-ad40-6f7a8b9cad04";
const PHONE = "019aa7c1-2b3f-7004-be51-7a8b9cadbe05";
const BANK = "019aa7c1-2b3f-7005-8f62-8b9cadbecf06";
const DOCUMENT = "019aa7c1-2b3f-7006-9073-9cadbecfd007";
const LINK = "019aa7c1-2b3f-7007-a184-adbecfd0e108";
const ACME = "019aa7c2-0a11-7000-8b95-becfd0e1f209";
const BETO = "019aa7c2-0a11-7001-9ca6-cfd0e1f2030a";
const MISSING = "019aa7c3-4c5d-7e6f-8a7b-8c9d0e1f2a3b";
const ENTRY = "019aa7c1-2b3f-7008-b295-becfd0e1f20a";
const HASH = "57be82c4769728bdf50581c13b963ce42e7578215797e334677ca4a804a90f0d";

// --- Requests ---------------------------------------------------------------------------------------

const anaSync = {
  client: {
    type: "individual",
    name: "Ana",
    lastName: "Gómez",
    nationalities: "mx",
    scopes: ["base", "MX"],
    externalId: "crm-1001",
    metadata: { segment: "retail" },
    scopeData: { MX: { rfc: "goma800101ab1" } },
  },
  addresses: [
    {
      externalId: "crm-1001-home",
      type: "home",
      isPrimary: true,
      street: "Av. Reforma 222",
      city: "Ciudad de México",
      state: "CDMX",
      postalCode: "06600",
      country: "MX",
      scopeData: { MX: { neighborhood: "Juárez", municipality: "Cuauhtémoc" } },
    },
  ],
  contactMethods: [
    { externalId: "crm-1001-email", value: "ana@example.com", isPrimary: true },
    { externalId: "crm-1001-phone", value: "+52 55 1234 5678" },
  ],
  bankAccounts: [
    { externalId: "crm-1001-bank", accountNumber: "0123456789", bankName: "BBVA México", currency: "MXN", clabe: "002010077777777771", isPrimary: true },
  ],
  documents: [{ externalId: "crm-1001-ine", type: "ine", category: "identity", expiresAt: "2031-12-31" }],
  linkedClients: [
    { child: { type: "individual", name: "Roberto", lastName: "Gómez", externalId: "crm-1002" }, relationshipType: "legal_representative" },
  ],
};

// --- Response pieces --------------------------------------------------------------------------------

const employmentNone = null;

const anaOwn = {
  id: ANA,
  type: "individual",
  name: "Ana",
  middleName: null,
  lastName: "Gómez",
  isPrimary: true,
  nationalities: ["MX"],
  scopes: ["base", "MX"],
  externalId: "crm-1001",
  metadata: { segment: "retail" },
  birthDate: null,
  age: null,
  scopeData: { MX: { rfc: "GOMA800101AB1" } },
  employment: employmentNone,
  email: "ana@example.com",
  phone: "+52 55 1234 5678",
  createdAt: T1,
  updatedAt: T1,
};

const anaAddress = {
  id: ADDRESS,
  clientId: ANA,
  type: "home",
  isPrimary: true,
  street: "Av. Reforma 222",
  city: "Ciudad de México",
  state: "CDMX",
  postalCode: "06600",
  country: "MX",
  externalId: "crm-1001-home",
  metadata: {},
  scopeData: { MX: { neighborhood: "Juárez", municipality: "Cuauhtémoc" } },
  createdAt: T1,
  updatedAt: T1,
};

const contact = (id: string, type: string, value: string, isPrimary: boolean, externalId: string) => ({
  id,
  clientId: ANA,
  type,
  value,
  isPrimary,
  label: null,
  externalId,
  metadata: {},
  isVerified: false,
  verifiedAt: null,
  createdAt: T1,
  updatedAt: T1,
});

const anaContacts = [
  contact(EMAIL, "email", "ana@example.com", true, "crm-1001-email"),
  contact(PHONE, "phone", "+52 55 1234 5678", false, "crm-1001-phone"),
];

const anaBank = {
  id: BANK,
  clientId: ANA,
  accountNumber: "0123456789",
  bankName: "BBVA México",
  bankCode: null,
  country: "MX",
  currency: "MXN",
  type: "checking",
  isPrimary: true,
  isActive: true,
  label: null,
  externalId: "crm-1001-bank",
  metadata: {},
  clabe: "002010077777777771",
  codigoBanco: "002",
  codigoPlaza: "010",
  createdAt: T1,
  updatedAt: T1,
};

const anaDocument = {
  id: DOCUMENT,
  clientId: ANA,
  type: "ine",
  category: "identity",
  expiresAt: "2031-12-31",
  externalId: "crm-1001-ine",
  metadata: {},
  fields: {},
  filename: null,
  contentType: null,
  size: null,
  status: "pending_upload",
  sha256: null,
  uploadedAt: null,
  verifiedAt: null,
  verifiedBy: null,
  rejectionReason: null,
  reviewedAt: null,
  reviewedBy: null,
  createdAt: T1,
  updatedAt: T1,
};

const anaLink = {
  id: LINK,
  relationshipType: "legal_representative",
  client: {
    id: REP,
    type: "individual",
    name: "Roberto",
    middleName: null,
    lastName: "Gómez",
    isPrimary: false,
    nationalities: [],
    scopes: [],
    externalId: "crm-1002",
    metadata: {},
    birthDate: null,
    age: null,
    scopeData: {},
    employment: null,
    email: null,
    phone: null,
    createdAt: T1,
    updatedAt: T1,
  },
  metadata: {},
  createdAt: T1,
  updatedAt: T1,
};

const anaFull = {
  ...anaOwn,
  addresses: [anaAddress],
  contactMethods: anaContacts,
  bankAccounts: [anaBank],
  documents: [anaDocument],
  linkedClients: [anaLink],
  riskAssessments: {},
  tags: [],
};

const bare = (id: string, type: string, name: string, externalId: string | null) => ({
  id,
  type,
  name,
  middleName: null,
  lastName: null,
  isPrimary: true,
  nationalities: [],
  scopes: [],
  externalId,
  metadata: {},
  birthDate: null,
  age: null,
  scopeData: {},
  employment: null,
  email: null,
  phone: null,
  createdAt: T2,
  updatedAt: T2,
  addresses: [],
  contactMethods: [],
  bankAccounts: [],
  documents: [],
  linkedClients: [],
  riskAssessments: {},
  tags: [],
});

// A history entry's change to a record it created: every field it set, from null (API.md §11).
const created = (entity: string, id: string, fields: Record<string, unknown>) => ({
  entity,
  id,
  action: "created",
  fields: Object.fromEntries(Object.entries(fields).map(([key, to]) => [key, { from: null, to }])),
});
const stamped = { createdAt: T1, updatedAt: T1 };

/** The one entry of Ana's history after createGraph: the sync that created her graph. */
const anaCreatedEntry = {
  id: ENTRY,
  clientId: ANA,
  sequence: 1,
  at: T1,
  requestId: "req_5b0e6f3c1d2a4b8e9f7a6c5d4e3b2a19",
  operation: "sync",
  actor: { keyPrefix: "sk_test_AbCd1234", keyName: null, onBehalfOf: null },
  changes: [
    created("client", ANA, {
      id: ANA,
      isPrimary: true,
      version: 1,
      ...stamped,
      type: "individual",
      name: "Ana",
      lastName: "Gómez",
      nationalities: ["MX"],
      scopes: ["base", "MX"],
      externalId: "crm-1001",
      metadata: { segment: "retail" },
      scopeData: { MX: { rfc: "GOMA800101AB1" } },
    }),
    created("address", ADDRESS, {
      id: ADDRESS,
      externalId: "crm-1001-home",
      ...stamped,
      type: "home",
      isPrimary: true,
      street: "Av. Reforma 222",
      city: "Ciudad de México",
      state: "CDMX",
      postalCode: "06600",
      country: "MX",
      metadata: {},
      scopeData: { MX: { neighborhood: "Juárez", municipality: "Cuauhtémoc" } },
    }),
    ...anaContacts.map((c) =>
      created("contactMethod", c.id, { id: c.id, externalId: c.externalId, ...stamped, type: c.type, value: c.value, isPrimary: c.isPrimary, metadata: {}, isVerified: false }),
    ),
    created("bankAccount", BANK, {
      id: BANK,
      externalId: "crm-1001-bank",
      ...stamped,
      accountNumber: "0123456789",
      bankName: "BBVA México",
      currency: "MXN",
      country: "MX",
      type: "checking",
      isPrimary: true,
      isActive: true,
      metadata: {},
      clabe: "002010077777777771",
      codigoBanco: "002",
      codigoPlaza: "010",
    }),
    created("document", DOCUMENT, {
      id: DOCUMENT,
      externalId: "crm-1001-ine",
      ...stamped,
      type: "ine",
      category: "identity",
      expiresAt: "2031-12-31",
      metadata: {},
      fields: {},
      status: "pending_upload",
    }),
    created("link", LINK, { id: LINK, childClientId: REP, relationshipType: "legal_representative", metadata: {}, ...stamped }),
  ],
  hash: HASH,
  previousHash: "",
};

const problem = (slug: string, title: string, status: number, code: string, detail: string, errors?: unknown[]) => ({
  type: `${ORIGIN}/problems/${slug}`,
  title,
  status,
  code,
  detail,
  requestId: "req_5b0e6f3c1d2a4b8e9f7a6c5d4e3b2a19",
  errors: errors ?? [],
});

const none = { created: [], updated: [], deleted: [] };

// --- The examples -----------------------------------------------------------------------------------

/** Ana's identity document has no uploaded file yet (GET /clients/{id}/completeness). */
const anaNoIdentityFile = {
  pointer: "/documents",
  requirement: "base.identityDocument",
  reason: `No document of category identity has an uploaded file (${DOCUMENT}: pending_upload)`,
};

export const EXAMPLES: ApiExample[] = [
  {
    name: "createGraph",
    summary: "Create a client with its whole graph",
    operationId: "syncClient",
    request: { path: "/clients/sync", body: anaSync },
    response: {
      status: 200,
      body: {
        action: "created",
        client: anaFull,
        addresses: { created: [anaAddress], updated: [], deleted: [] },
        contactMethods: { created: anaContacts, updated: [], deleted: [] },
        bankAccounts: { created: [anaBank], updated: [], deleted: [] },
        documents: { created: [anaDocument], updated: [], deleted: [] },
        linkedClients: { created: [anaLink], updated: [], deleted: [] },
        dryRun: false,
        duplicates: [],
      },
    },
  },
  {
    name: "partialUpdate",
    summary: "Update a client found by externalId and delete one of its contact methods",
    operationId: "syncClient",
    given: "createGraph",
    request: {
      path: "/clients/sync",
      body: { client: { externalId: "crm-1001", middleName: "Lucía" }, contactMethods: [{ externalId: "crm-1001-phone", _delete: true }] },
    },
    response: {
      status: 200,
      body: {
        action: "updated",
        client: {
          ...anaFull,
          middleName: "Lucía",
          phone: null,
          updatedAt: T2,
          contactMethods: [anaContacts[0]],
        },
        addresses: none,
        contactMethods: { created: [], updated: [], deleted: [PHONE] },
        bankAccounts: none,
        documents: none,
        linkedClients: none,
        dryRun: false,
        duplicates: [],
      },
    },
  },
  {
    name: "invalidSync",
    summary: "Every validation failure is reported, each with a JSON Pointer",
    operationId: "syncClient",
    request: {
      path: "/clients/sync",
      body: { client: { type: "company", name: " ", nickname: "ACME" }, addresses: [{ street: "Insurgentes 1", city: "CDMX", state: "CDMX", postalCode: "01000", country: "XX" }] },
    },
    response: {
      status: 400,
      body: problem("bad-request", "Bad Request", 400, "BAD_REQUEST", "Request body failed validation", [
        { pointer: "/client/name", code: "custom", detail: "Must not be empty or only spaces" },
        { pointer: "/client/nickname", code: "unrecognized_key", detail: 'Unknown key "nickname"' },
        { pointer: "/addresses/0/country", code: "custom", detail: "Must be an ISO 3166-1 alpha-2 country code" },
      ]),
    },
  },
  {
    name: "createTwo",
    summary: "Create two clients, all or nothing",
    operationId: "createClients",
    request: {
      path: "/clients/batch",
      body: { items: [{ type: "company", name: "ACME S.A. de C.V.", externalId: "crm-2001" }, { type: "individual", name: "Beto" }] },
    },
    response: {
      status: 200,
      body: { atomic: true, data: [bare(ACME, "company", "ACME S.A. de C.V.", "crm-2001"), bare(BETO, "individual", "Beto", null)], duplicates: [] },
    },
  },
  {
    name: "partialBatch",
    summary: "atomic: false creates the valid items and reports the others",
    operationId: "createClients",
    request: {
      path: "/clients/batch",
      body: { atomic: false, items: [{ type: "company", name: "ACME S.A. de C.V.", externalId: "crm-2001" }, { type: "trust", name: "Fideicomiso 7", externalId: "crm-2001" }] },
    },
    response: {
      status: 200,
      body: {
        atomic: false,
        data: [bare(ACME, "company", "ACME S.A. de C.V.", "crm-2001")],
        succeeded: [{ index: 0, data: bare(ACME, "company", "ACME S.A. de C.V.", "crm-2001") }],
        failed: [
          {
            index: 1,
            error: problem("conflict", "Conflict", 409, "CONFLICT", "The item conflicts with an existing client or an earlier item", [
              { pointer: "/items/1/externalId", code: "duplicate_external_id", detail: 'externalId "crm-2001" also appears in /items/0' },
            ]),
          },
        ],
        duplicates: [],
      },
    },
  },
  {
    name: "forbidden",
    summary: "A key without clients:create",
    operationId: "createClients",
    key: "read-only",
    request: { path: "/clients/batch", body: { items: [{ type: "individual", name: "Beto" }] } },
    response: {
      status: 403,
      body: problem("forbidden", "Forbidden", 403, "FORBIDDEN", "API key lacks permission: test:clients:create"),
    },
  },
  {
    name: "fullClient",
    summary: "The full client",
    operationId: "getClient",
    given: "createGraph",
    request: { path: "/clients/{id}" },
    response: { status: 200, body: anaFull },
  },
  {
    name: "unknownClient",
    summary: "An id that does not exist (or belongs to another tenant)",
    operationId: "getClient",
    request: { path: `/clients/${MISSING}` },
    response: { status: 404, body: problem("not-found", "Not Found", 404, "NOT_FOUND", `Client ${MISSING} not found`) },
  },
  {
    name: "asOfBeforeCreation",
    summary: "asOf: the client as it was at an instant before it existed",
    operationId: "getClient",
    given: "createGraph",
    request: { path: "/clients/{id}?asOf=2020-01-01T00:00:00Z" },
    response: { status: 404, body: problem("not-found", "Not Found", 404, "NOT_FOUND", `Client ${ANA} not found`) },
  },
  {
    name: "completeness",
    summary: "What Ana's expediente lacks for her scopes",
    operationId: "getClientCompleteness",
    given: "createGraph",
    request: { path: "/clients/{id}/completeness" },
    response: {
      status: 200,
      body: {
        clientId: ANA,
        complete: false,
        scopes: [
          { scope: "base", complete: false, missing: [anaNoIdentityFile] },
          {
            scope: "MX",
            complete: false,
            missing: [
              anaNoIdentityFile,
              { pointer: "/birthDate", requirement: "MX.birthDate", reason: "Date of birth (fecha de nacimiento): not set" },
              { pointer: "/scopeData/MX/curp", requirement: "MX.curp", reason: "CURP (for an individual whose nationalities include MX): not set" },
              { pointer: "/documents", requirement: "MX.proofOfAddress", reason: "No document of category address" },
            ],
          },
        ],
      },
    },
  },
  {
    name: "clientHistory",
    summary: "The client's history: one entry per request that changed it",
    operationId: "getClientHistory",
    given: "createGraph",
    request: { path: "/clients/{id}/history" },
    response: { status: 200, body: { data: [anaCreatedEntry], pagination: { hasMore: false, nextCursor: null } } },
  },
  {
    name: "historyForbidden",
    summary: "A key without clients:history",
    operationId: "getClientHistory",
    key: "read-only",
    request: { path: `/clients/${MISSING}/history` },
    response: { status: 403, body: problem("forbidden", "Forbidden", 403, "FORBIDDEN", "API key lacks permission: test:clients:history") },
  },
  {
    name: "historyVerified",
    summary: "A whole, unaltered chain",
    operationId: "verifyClientHistory",
    given: "createGraph",
    request: { path: "/clients/{id}/history/verify" },
    response: { status: 200, body: { valid: true, entries: 1, head: HASH } },
  },
  {
    name: "byExternalId",
    summary: "Find a client by its externalId",
    operationId: "listClients",
    given: "createGraph",
    request: { path: "/clients?externalId=crm-1001&limit=10" },
    response: { status: 200, body: { data: [anaFull], pagination: { hasMore: false, nextCursor: null } } },
  },
  {
    name: "lookupByIdentifiers",
    summary: "Do we already know them? By e-mail (any case), externalId, and an RFC nobody holds",
    operationId: "lookupClients",
    given: "createGraph",
    request: {
      path: "/clients/lookup",
      body: { identifiers: [{ kind: "email", value: "Ana@Example.com" }, { kind: "externalId", value: "crm-1001" }, { kind: "rfc", value: "XAXX010101000" }] },
    },
    response: {
      status: 200,
      body: {
        data: [
          {
            identifier: { kind: "email", value: "Ana@Example.com" },
            normalized: "ana@example.com",
            matches: [{ clientId: ANA, name: "Ana", type: "individual", isPrimary: true, matchedOn: "contactMethod", childId: EMAIL, deletedAt: null }],
          },
          {
            identifier: { kind: "externalId", value: "crm-1001" },
            normalized: "crm-1001",
            matches: [{ clientId: ANA, name: "Ana", type: "individual", isPrimary: true, matchedOn: "client", childId: null, deletedAt: null }],
          },
          { identifier: { kind: "rfc", value: "XAXX010101000" }, normalized: "XAXX010101000", matches: [] },
        ],
      },
    },
  },
  {
    name: "searchByName",
    summary: "Search by name: case, accents and order do not matter, one typo per word is tolerated",
    operationId: "searchClients",
    given: "createGraph",
    request: { path: "/clients/search?name=GOMES%20ana&limit=5" },
    response: { status: 200, body: { data: [{ clientId: ANA, name: "Ana Gómez", type: "individual", score: 0.96 }] } },
  },
  {
    name: "duplicateWarned",
    summary: "Under the default `allow` rule, an RFC another client holds is created and listed in `duplicates`",
    operationId: "createClients",
    given: "createGraph",
    request: { path: "/clients/batch", body: { items: [{ type: "individual", name: "Ana G.", scopeData: { MX: { rfc: "goma800101ab1" } } }] } },
    response: {
      status: 200,
      body: {
        atomic: true,
        data: [{ ...bare(BETO, "individual", "Ana G.", null), scopeData: { MX: { rfc: "GOMA800101AB1" } } }],
        duplicates: [{ pointer: "/items/0/scopeData/MX/rfc", kind: "rfc", existingClientId: ANA }],
      },
    },
  },
  {
    name: "rejectDuplicates",
    summary: "Refuse a second live client with the same RFC or CLABE",
    operationId: "putDuplicateRule",
    request: { path: "/settings/duplicates", body: { rfc: "reject", curp: "allow", clabe: "reject" } },
    response: { status: 200, body: { rfc: "reject", curp: "allow", clabe: "reject" } },
  },
  {
    name: "duplicateRule",
    summary: "The rule in force",
    operationId: "getDuplicateRule",
    given: "rejectDuplicates",
    request: { path: "/settings/duplicates" },
    response: { status: 200, body: { rfc: "reject", curp: "allow", clabe: "reject" } },
  },
  {
    name: "noKey",
    summary: "No Authorization header",
    operationId: "listClients",
    key: "none",
    request: { path: "/clients" },
    response: {
      status: 401,
      body: problem("unauthorized", "Unauthorized", 401, "UNAUTHORIZED", "Missing Authorization header: send Authorization: Bearer <api key>"),
    },
  },
  {
    name: "deleted",
    summary: "Delete a client and its graph",
    operationId: "deleteClient",
    given: "createGraph",
    request: { path: "/clients/{id}" },
    response: { status: 200, body: { id: ANA, deleted: true } },
  },
];
