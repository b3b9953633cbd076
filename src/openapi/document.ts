// The OpenAPI 3.1 document of the API (served as GET /openapi.json), generated from the zod schemas
// of src/schemas: request bodies from the request schemas (their input side), response bodies from
// src/schemas/responses.ts, with z.toJSONSchema (JSON Schema 2020-12, OpenAPI 3.1's dialect).
// Only the prose (descriptions) and the examples (./examples.ts) are written here.
import * as z from "zod";
import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from "../http/errors";
import { addressItem } from "../schemas/address";
import { bankAccountItem } from "../schemas/bank-account";
import { clientInput } from "../schemas/client";
import { contactMethodItem } from "../schemas/contact-method";
import { documentItem } from "../schemas/document";
import { linkItem } from "../schemas/link";
import { listQuery } from "../schemas/list-query";
import { batchRequest, syncRequest } from "../schemas/requests";
import * as responses from "../schemas/responses";
import { EXAMPLES, type ApiExample, type OperationId } from "./examples";

type Json = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** Request schemas, by component name (converted on their input side). */
const INPUTS: [string, z.ZodType][] = [
  ["SyncRequest", syncRequest],
  ["BatchRequest", batchRequest],
  ["ClientInput", clientInput],
  ["AddressInput", addressItem],
  ["ContactMethodInput", contactMethodItem],
  ["BankAccountInput", bankAccountItem],
  ["DocumentInput", documentItem],
  ["LinkInput", linkItem],
];

/** Response schemas, by component name (converted on their output side). */
const OUTPUTS: [string, z.ZodType][] = [
  ["Client", responses.clientResponse],
  ["LinkedClient", responses.linkedClientResponse],
  ["Link", responses.linkResponse],
  ["Address", responses.addressResponse],
  ["ContactMethod", responses.contactMethodResponse],
  ["BankAccount", responses.bankAccountResponse],
  ["Document", responses.documentResponse],
  ["ClientList", responses.clientListResponse],
  ["DeleteResult", responses.deleteResponse],
  ["BatchResult", responses.batchResponse],
  ["BatchAtomicResult", responses.batchAtomicResponse],
  ["BatchPartialResult", responses.batchPartialResponse],
  ["SyncResult", responses.syncResponse],
  ["Problem", responses.problemResponse],
  ["FieldError", responses.fieldErrorResponse],
];

/** Descriptions of the request components (the request schemas themselves carry none). */
const INPUT_DESCRIPTIONS: Record<string, string> = {
  SyncRequest: "Makes one client graph match the caller's view (API.md §6). Every list holds at most 250 items.",
  BatchRequest: "Creates 1–250 clients (API.md §5). `atomic` defaults to true: all or nothing.",
  ClientInput:
    "A client's own fields (API.md §4.1). `type` and `name` are required when creating; in a sync, a present key replaces " +
    "the stored value, `null` clears it, an absent key leaves it unchanged. Strings must not be blank. `scopeData.MX.rfc` " +
    "and `scopeData.MX.curp` are upper-cased and checked (format, real date, CURP check digit).",
  AddressInput: "An address item (API.md §4.2): `street`, `city`, `state` and `postalCode` are required when creating.",
  ContactMethodInput: "A contact method item (API.md §4.3): `value` is required when creating; `type` is inferred from it when absent.",
  BankAccountInput:
    "A bank account item (API.md §4.4): `accountNumber`, `bankName` and `currency` are required when creating; a CLABE's " +
    "check digit must verify, and it fills `codigoBanco` and `codigoPlaza`.",
  DocumentInput: "A document item (API.md §4.5). `status` is the server's.",
  LinkInput:
    "A `linkedClients` item (API.md §6, Links): `clientId` links an existing client, `child` creates (or, by its " +
    "externalId, updates) one; `_delete` removes the link only.",
};

/**
 * The free-form JSON objects (`metadata`, `fields`, `scopeData.US`) are `z.custom` schemas, which
 * JSON Schema cannot express as such: they are objects with any keys. Anything else unrepresentable
 * is a mistake, and throws.
 */
const unrepresentable = (ctx: { zodSchema: z.core.$ZodType }) =>
  ctx.zodSchema._zod.def.type === "custom" ? { type: "object" as const } : ("throw" as const);

function componentSchemas(entries: [string, z.ZodType][], io: "input" | "output"): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of entries) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io,
    unrepresentable,
    uri: (id) => `#/components/schemas/${id}`,
  }) as unknown as { schemas: Record<string, Json> };
  // Components are not separate resources: drop the per-schema $schema and $id.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

let components: Record<string, Json> | undefined;

function allSchemas(): Record<string, Json> {
  if (!components) {
    const inputs = componentSchemas(INPUTS, "input");
    for (const [id, description] of Object.entries(INPUT_DESCRIPTIONS)) inputs[id] = { description, ...inputs[id] };
    components = { ...inputs, ...componentSchemas(OUTPUTS, "output") };
  }
  return components;
}

// --- Operations -------------------------------------------------------------------------------------

interface Operation {
  method: "get" | "post" | "delete";
  path: string;
  summary: string;
  description: string;
  parameters?: Json[];
  request?: string;
  response: { schema: string; description: string; etag?: boolean };
  errors: ErrorCode[];
}

/** Errors every operation under /clients can answer. */
const COMMON_ERRORS: ErrorCode[] = ["BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "INTERNAL_SERVER_ERROR"];
const BODY_ERRORS: ErrorCode[] = ["PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];

const idempotencyKeyParameter = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "1–255 characters. The first successful answer is stored with the writes it describes (per tenant and environment, " +
    "at least 24 h) and replayed byte for byte, with `Idempotent-Replayed: true`, to a retry with the same body. The same " +
    "key with another body is a 422. A failed request stores nothing and may be retried.",
  schema: { type: "string", minLength: 1, maxLength: 255 },
};

const clientIdParameter = {
  name: "id",
  in: "path",
  required: true,
  description: "The client's id. A malformed id is a 400; an unknown id, or another tenant's, a 404.",
  schema: { type: "string", format: "uuid" },
};

/** The query parameters of GET /clients, from the zod schema of src/schemas/list-query.ts. */
function listParameters(): Json[] {
  const schema = z.toJSONSchema(listQuery, { target: "draft-2020-12", io: "input" }) as {
    properties: Record<string, Json>;
  };
  return Object.entries(schema.properties).map(([name, { description, ...property }]) => ({
    name,
    in: "query",
    required: false,
    description,
    schema: property,
  }));
}

export const OPERATIONS: Record<OperationId, Operation> = {
  listClients: {
    method: "get",
    path: "/clients",
    summary: "List clients",
    description: "The tenant's clients as full clients, ordered by createdAt, then id, a page at a time (API.md §7).",
    get parameters() {
      return listParameters(); // generated when the document is, not when the Worker starts
    },
    response: { schema: "ClientList", description: "A page of clients." },
    errors: COMMON_ERRORS,
  },
  getClient: {
    method: "get",
    path: "/clients/{id}",
    summary: "Get a client",
    description: "The full client with its addresses, contact methods, bank accounts, documents and links (API.md §7).",
    parameters: [clientIdParameter],
    response: { schema: "Client", description: "The full client.", etag: true },
    errors: [...COMMON_ERRORS, "NOT_FOUND"],
  },
  deleteClient: {
    method: "delete",
    path: "/clients/{id}",
    summary: "Delete a client",
    description: "Deletes the client, its children and every link that touches it; the clients it was linked to stay (API.md §7).",
    parameters: [clientIdParameter],
    response: { schema: "DeleteResult", description: "The client was deleted." },
    errors: [...COMMON_ERRORS, "NOT_FOUND"],
  },
  createClients: {
    method: "post",
    path: "/clients/batch",
    summary: "Create clients in a batch",
    description:
      "Creates 1–250 clients in one transaction (API.md §5). Every item is validated first; errors point into " +
      "`/items/<index>/…`. An `externalId` that exists already, or appears twice in the body, is a conflict for that item. " +
      "With `atomic: true` (the default) any failing item fails the whole call (400, or 409 for conflicts only) and nothing " +
      "is written; with `atomic: false` the valid items are created and the others reported, always with a 200.",
    parameters: [idempotencyKeyParameter],
    request: "BatchRequest",
    response: { schema: "BatchResult", description: "The created clients (and, with atomic: false, the failed items)." },
    errors: [...COMMON_ERRORS, "CONFLICT", "UNPROCESSABLE_CONTENT", ...BODY_ERRORS],
  },
  syncClient: {
    method: "post",
    path: "/clients/sync",
    summary: "Sync a client graph",
    description:
      "Makes one client graph match the caller's view, in one transaction (API.md §6). The client is `clientId`'s, or the one " +
      "whose `externalId` matches `client.externalId`, or a new one. Items match children by `id`, then `externalId`; " +
      "unmatched items create children, `_delete: true` deletes, and `replaceMode: true` deletes the children (of the lists " +
      "present) that no item targeted. Unchanged items write nothing. `dryRun: true` answers the same without writing.",
    parameters: [
      {
        name: "If-Match",
        in: "header",
        required: false,
        description: 'Makes the sync conditional on the client\'s current ETag (`"<etag>"` as returned by GET or sync): 412 otherwise.',
        schema: { type: "string" },
      },
      idempotencyKeyParameter,
    ],
    request: "SyncRequest",
    response: { schema: "SyncResult", description: "What the sync did to the graph.", etag: true },
    errors: [...COMMON_ERRORS, "NOT_FOUND", "CONFLICT", "PRECONDITION_FAILED", "UNPROCESSABLE_CONTENT", ...BODY_ERRORS],
  },
};

/** When each error happens, per operation (the `description` of its response). */
function errorDescription(code: ErrorCode, operationId: OperationId): string {
  switch (code) {
    case "BAD_REQUEST":
      if (operationId === "listClients") return "Invalid query parameters, or a missing or invalid X-Environment header.";
      if (operationId === "getClient" || operationId === "deleteClient") return "A malformed id, or a missing or invalid X-Environment header.";
      return "Malformed JSON or a body that failed validation (`errors` lists every issue), or a missing or invalid X-Environment header.";
    case "UNAUTHORIZED":
      return "The API key is missing, malformed, unknown, revoked, or of the other environment.";
    case "FORBIDDEN":
      return "The API key lacks a permission this operation needs.";
    case "NOT_FOUND":
      return operationId === "syncClient"
        ? "`clientId`, an item's `id`, or a linked `clientId` does not exist for this tenant (the pointer says which)."
        : "No such client for this tenant.";
    case "CONFLICT":
      return operationId === "createClients"
        ? "With atomic: true, items conflict (externalId taken or repeated) and none is invalid; nothing was written."
        : "An externalId belongs to another client or to another client's child, or the client kept changing concurrently.";
    case "PRECONDITION_FAILED":
      return "If-Match did not match the client's current ETag.";
    case "UNPROCESSABLE_CONTENT":
      return "The Idempotency-Key was already used with a different request body.";
    case "PAYLOAD_TOO_LARGE":
      return "The body is over 5 MiB.";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "The body is not sent as JSON.";
    case "INTERNAL_SERVER_ERROR":
      return "An unexpected failure; nothing was written. Quote the requestId.";
    default:
      return ERROR_TITLES[code];
  }
}

const REQUEST_ID_HEADER = {
  description: "The request's id: the caller's X-Request-Id when it is a sane token, else a generated one.",
  schema: { type: "string" },
};

function examplesOf(list: ApiExample[], pick: (e: ApiExample) => unknown, describe?: (e: ApiExample) => string | undefined) {
  if (list.length === 0) return {};
  return {
    examples: Object.fromEntries(
      list.map((e) => {
        const description = describe?.(e);
        return [e.name, { summary: e.summary, ...(description ? { description } : {}), value: pick(e) }];
      }),
    ),
  };
}

/** What was sent, for an example answer (request bodies of failing calls are not request examples). */
function requestOf(e: ApiExample): string {
  const { method, path } = OPERATIONS[e.operationId];
  const key = e.key === "none" ? "no API key" : e.key === "read-only" ? "a key with clients:read only" : "a key with every permission";
  const given = e.given ? `, after the request of the example \`${e.given}\`` : "";
  const body = e.request.body === undefined ? "" : `\n\n\`\`\`json\n${JSON.stringify(e.request.body, null, 2)}\n\`\`\``;
  return `Answer to \`${method.toUpperCase()} ${e.request.path === path ? path : e.request.path}\` with ${key}${given}.${body}`;
}

function operationObject(operationId: OperationId, operation: Operation): Json {
  const examples = EXAMPLES.filter((e) => e.operationId === operationId);
  const answered = (status: number) => examples.filter((e) => e.response.status === status);
  const responses: Json = {
    "200": {
      description: operation.response.description,
      headers: {
        "X-Request-Id": REQUEST_ID_HEADER,
        ...(operation.response.etag
          ? { ETag: { description: "The client's ETag; it changes whenever anything in its graph changes.", schema: { type: "string" } } }
          : {}),
        ...(operation.method === "post"
          ? { "Idempotent-Replayed": { description: "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.", schema: { type: "string", enum: ["true"] } } }
          : {}),
      },
      content: {
        "application/json": {
          schema: ref(operation.response.schema),
          ...examplesOf(answered(200), (e) => e.response.body, (e) => (e.given || !operation.request ? requestOf(e) : undefined)),
        },
      },
    },
  };
  for (const code of operation.errors) {
    const status = ERROR_STATUS[code];
    responses[String(status)] = {
      description: errorDescription(code, operationId),
      headers: {
        "X-Request-Id": REQUEST_ID_HEADER,
        ...(code === "UNAUTHORIZED" ? { "WWW-Authenticate": { schema: { type: "string" } } } : {}),
      },
      content: {
        "application/problem+json": { schema: ref("Problem"), ...examplesOf(answered(status), (e) => e.response.body, requestOf) },
      },
    };
  }
  const documented = new Set(Object.keys(responses));
  for (const e of examples) {
    if (!documented.has(String(e.response.status))) throw new Error(`Example ${e.name} answers ${e.response.status}, which ${operationId} does not document`);
  }
  // Request body examples: those of successful calls (the others are shown with their answers).
  const withBody = answered(200).filter((e) => e.request.body !== undefined);
  return {
    operationId,
    tags: ["Clients"],
    summary: operation.summary,
    description: operation.description,
    parameters: [
      ...(operation.parameters ?? []),
      {
        name: "X-Request-Id",
        in: "header",
        required: false,
        description: "Your id for the request, echoed in the response when it matches `[A-Za-z0-9._:-]{1,128}`.",
        schema: { type: "string" },
      },
    ],
    ...(operation.request
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref(operation.request), ...examplesOf(withBody, (e) => e.request.body) } },
          },
        }
      : {}),
    responses,
  };
}

/** The document. `serverUrl` is where the API is (GET /openapi.json passes its own origin). */
export function openApiDocument(serverUrl = "http://localhost:8787"): Json {
  const paths: Record<string, Json> = {};
  for (const [operationId, operation] of Object.entries(OPERATIONS) as [OperationId, Operation][]) {
    (paths[operation.path] ??= {})[operation.method] = operationObject(operationId, operation);
  }
  return {
    openapi: "3.1.1",
    info: {
      title: "Clients API",
      version: "1.0.0",
      description:
        "Clients of a KYC/AML compliance platform: clients with their addresses, contact methods, bank accounts, " +
        "documents and links to other clients. Every call under /clients needs an API key (`Authorization: Bearer " +
        "sk_test_…` or `sk_live_…`) and `X-Environment: test` or `live`, which selects the environment's database; the " +
        "key must be of that environment. Every error is an RFC 9457 problem (`application/problem+json`) whose `type` " +
        "URI describes it (GET /problems/{slug}). Every successful call answers 200.",
    },
    servers: [{ url: serverUrl }],
    security: [{ ApiKey: [], Environment: [] }],
    tags: [{ name: "Clients", description: "Clients and their graphs" }],
    paths,
    components: {
      schemas: allSchemas(),
      securitySchemes: {
        ApiKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "sk_test_… / sk_live_…",
          description: "An API key of the environment named by X-Environment. Missing or invalid: 401.",
        },
        Environment: {
          type: "apiKey",
          in: "header",
          name: "X-Environment",
          description: "`test` or `live`: which environment (and database) the call works on. Missing or any other value: 400.",
        },
      },
    },
  };
}

