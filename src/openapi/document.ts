// The OpenAPI 3.1 document of the API (served as GET /openapi.json), made by zod-openapi from the
// operation list (src/routes): each operation's parameters, body, answer and headers from its zod
// schemas (JSON Schema 2020-12, OpenAPI 3.1's dialect; request schemas on their input side, responses
// on their output side), its error answers from the error table. Only the examples (./examples.ts)
// and the document's own prose are written here.
import * as z from "zod";
import { webhookEventSchema } from "../schemas/webhook-event";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import { ENVIRONMENTS } from "../env";
import { ERROR_STATUS, type ErrorCode } from "../http/errors";
import { OPERATIONS } from "../routes";
import type { Operation, OperationDoc } from "../routes/operation";
import { problemResponse, requestIdHeader } from "../schemas/responses";
import { EXAMPLES, type ApiExample } from "./examples";

type Documented = Operation & { doc: OperationDoc };

const consistencyTokenParameter = z
  .string()
  .regex(/^[0-9a-f]+(?:-[0-9a-f]+){1,7}$/)
  .max(128)
  .optional()
  .describe(
    "The X-Consistency-Token of an earlier response: this call then sees at least what that one saw or wrote (read-your-writes " +
      "from any region). Without it a read may be served by the nearest D1 replica, a little behind. Malformed: 400.",
  );

const consistencyTokenHeader = z
  .string()
  .regex(/^[0-9a-f]+(?:-[0-9a-f]+){1,7}$/)
  .optional()
  .describe("The D1 bookmark after this call (API.md §13): send it back as X-Consistency-Token to read your own writes.");

const requestIdParameter = z
  .string()
  .optional()
  .describe("Your id for the request, echoed in the response (and in a problem's `requestId`) when it matches `[A-Za-z0-9._:-]{1,128}`.");

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
function requestOf(operation: Documented, e: ApiExample): string {
  const key = e.key === "none" ? "no API key" : e.key === "read-only" ? "a key with clients:read only" : "a key with every permission";
  const given = e.given ? `, after the request of the example \`${e.given}\`` : "";
  const body = e.request.body === undefined ? "" : `\n\n\`\`\`json\n${JSON.stringify(e.request.body, null, 2)}\n\`\`\``;
  return `Answer to \`${operation.method} ${e.request.path}\` with ${key}${given}.${body}`;
}

function responsesOf(operation: Documented): ZodOpenApiResponsesObject {
  const { doc } = operation;
  const examples = EXAMPLES.filter((e) => e.operationId === doc.operationId);
  const answered = (status: number) => examples.filter((e) => e.response.status === status);
  const responses: ZodOpenApiResponsesObject = {
    "200": {
      description: doc.response.description,
      headers: z.object({
        "X-Request-Id": requestIdHeader,
        ...(operation.permissions ? { "X-Consistency-Token": consistencyTokenHeader } : {}),
        ...doc.response.headers?.shape,
      }),
      content: doc.response.contentTypes
        ? Object.fromEntries(doc.response.contentTypes.map((type) => [type, { schema: doc.response.schema }]))
        : {
            "application/json": {
              schema: doc.response.schema,
              ...examplesOf(answered(200), (e) => e.response.body, (e) => (e.given || !doc.body ? requestOf(operation, e) : undefined)),
            },
          },
    },
  };
  if (doc.response.contentTypes) {
    // A Range request's answer (RFC 9110 §15.3.7).
    responses["206"] = {
      description: "The bytes of the one range asked for, with Content-Range.",
      headers: z.object({
        "X-Request-Id": requestIdHeader,
        "X-Consistency-Token": consistencyTokenHeader,
        ...doc.response.headers?.shape,
        "Content-Range": z.string().regex(/^bytes \d+-\d+\/\d+$/).describe("`bytes <first>-<last>/<size>`"),
      }),
      content: Object.fromEntries(doc.response.contentTypes.map((type) => [type, { schema: doc.response.schema }])),
    };
  }
  for (const [code, description] of Object.entries(doc.errors) as [ErrorCode, string][]) {
    const status = ERROR_STATUS[code];
    responses[String(status) as `${1 | 2 | 3 | 4 | 5}${string}`] = {
      description,
      headers: z.object({
        "X-Request-Id": requestIdHeader,
        ...(operation.permissions ? { "X-Consistency-Token": consistencyTokenHeader } : {}),
        ...(code === "UNAUTHORIZED" ? { "WWW-Authenticate": z.literal('Bearer realm="clients-api"') } : {}),
        ...(code === "TOO_MANY_REQUESTS" ? { "Retry-After": z.string().regex(/^\d+$/).describe("Seconds to wait: the rate limit's whole period.") } : {}),
        ...(code === "SERVICE_UNAVAILABLE" ? { "Retry-After": z.string().regex(/^\d+$/).describe("Seconds to wait before sending the same request again.") } : {}),
      }),
      content: {
        "application/problem+json": { schema: problemResponse, ...examplesOf(answered(status), (e) => e.response.body, (e) => requestOf(operation, e)) },
      },
    };
  }
  if (operation.permissions && !/X-Environment[\s\S]*X-Consistency-Token/.test(doc.errors.BAD_REQUEST ?? "")) {
    throw new Error(`${doc.operationId}: its BAD_REQUEST must say a missing X-Environment and a malformed X-Consistency-Token are 400s (ENVIRONMENT_PROBLEM)`);
  }
  for (const e of examples) {
    if (!(String(e.response.status) in responses)) {
      throw new Error(`Example ${e.name} answers ${e.response.status}, which ${doc.operationId} does not document`);
    }
  }
  return responses;
}

function operationObject(operation: Documented): ZodOpenApiOperationObject {
  const { doc } = operation;
  // Request body examples: those of successful calls (the others are shown with their answers).
  const withBody = EXAMPLES.filter((e) => e.operationId === doc.operationId && e.response.status === 200 && e.request.body !== undefined);
  return {
    operationId: doc.operationId,
    tags: ["Clients"],
    summary: doc.summary,
    // The permissions come from the operation's declaration (API.md §2), as the router checks them.
    description: operation.permissions
      ? `${doc.description}\n\nAPI key permission${operation.permissions.length > 1 ? "s" : ""}: ${operation.permissions.map((p) => `\`${p}\``).join(", ")}.`
      : doc.description,
    ...(operation.permissions ? { "x-permissions": [...operation.permissions] } : {}),
    requestParams: {
      ...(operation.params ? { path: operation.params as z.ZodObject } : {}),
      ...(operation.query ? { query: operation.query as z.ZodObject } : {}),
      // X-Environment is not here: it is the `Environment` security scheme, which a generated client
      // sets once (with the API key), not on every call.
      header: z.object({
        ...(operation.permissions ? { "X-Consistency-Token": consistencyTokenParameter } : {}),
        ...doc.headers?.shape,
        "X-Request-Id": requestIdParameter,
      }),
    },
    ...(doc.body
      ? { requestBody: { required: true, content: { "application/json": { schema: doc.body, ...examplesOf(withBody, (e) => e.request.body) } } } }
      : {}),
    ...(doc.rawBody
      ? {
          requestBody: {
            required: true,
            description: doc.rawBody.description,
            content: Object.fromEntries(doc.rawBody.contentTypes.map((type) => [type, { schema: z.string().meta({ format: "binary" }) }])),
          },
        }
      : {}),
    responses: responsesOf(operation),
  };
}

type OpenApiDocument = ReturnType<typeof createDocument>;

function build(): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of OPERATIONS) {
    if (!operation.doc) continue;
    (paths[operation.path] ??= {})[operation.method.toLowerCase() as "get" | "post" | "put" | "delete"] = operationObject(operation as Documented);
  }
  return createDocument(
    {
      openapi: "3.1.1",
      info: {
        title: "Clients API",
        version: "1.0.0",
        description:
          "Clients of a KYC/AML compliance platform: clients with their addresses, contact methods, bank accounts, " +
          "documents and links to other clients. Every call under /clients needs an API key (`Authorization: Bearer " +
          "sk_test_…` or `sk_live_…`) and the header `X-Environment: test` or `live`, which selects the environment's " +
          "database; the key must be of that environment. Both are security schemes (`ApiKey`, `Environment`), required " +
          "together, so that a generated client sets them once. Every error is an RFC 9457 problem (`application/problem+json`) " +
          "whose `type` URI describes it (GET /problems/{slug}). Every successful call answers 200.",
      },
      // Both schemes at once (one requirement object): the API key and the environment it is of.
      security: [{ ApiKey: [], Environment: [] }],
      tags: [{ name: "Clients", description: "Clients and their graphs" }],
      paths,
      // What the service POSTs to a tenant's webhook endpoints (API.md §12).
      webhooks: {
        clientEvent: {
          post: {
            summary: "A change to a client (sent to your endpoint)",
            description:
              "One event per history entry: `client.created`, `client.updated` or `client.deleted`, to every endpoint of the " +
              "tenant and environment whose `events` include its type. Answer 2xx within 10 s.",
            security: [],
            requestBody: { content: { "application/json": { schema: webhookEventSchema } } },
            responses: { "200": { description: "Received (any 2xx)." } },
          },
        },
      },
      components: {
        securitySchemes: {
          ApiKey: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "sk_test_… / sk_live_…",
            description:
              "An API key of the environment named by X-Environment. Missing or invalid: 401. A key grants some of " +
              "`clients:read`, `clients:create`, `clients:update`, `clients:delete`, `clients:history` and `webhooks:manage` " +
              "(new keys: all six); each operation says which it needs, else 403.",
          },
          // An apiKey-in-header scheme, so that a generated client sets it once for all its calls (as
          // it sets the key): a header parameter would be an argument of every call.
          Environment: {
            type: "apiKey",
            in: "header",
            name: "X-Environment",
            description:
              "`test` or `live`: which environment (and database) the call works on; the API key must be of that " +
              "environment. Required on every operation behind an API key, set once per client. Missing or any other " +
              "value: 400 (not 401), before the API key is looked at.",
            "x-enum": [...ENVIRONMENTS],
          },
        },
      },
    },
    // The free-form objects (`metadata`, `fields`, `scopeData.US`) are z.custom schemas, which carry
    // their JSON Schema in `.meta()` (src/schemas/common.ts).
    { allowEmptySchema: { custom: true } },
  );
}

let document: OpenApiDocument | undefined;

export { SERVER_URL_PLACEHOLDER } from "./placeholder";

/**
 * The document. `serverUrl` is where the API is. The Worker does not build it: the build
 * (scripts/docs-assets.mjs) writes it to public/openapi.json with SERVER_URL_PLACEHOLDER as its
 * server, and GET /openapi.json serves that with its own origin in place.
 */
export function openApiDocument(serverUrl = "http://localhost:8787"): OpenApiDocument {
  document ??= build();
  const { openapi, info, ...rest } = document;
  return { openapi, info, servers: [{ url: serverUrl }], ...rest };
}
