// POST /webhook-endpoints (API.md §12): a new endpoint, with its signing secret shown only here.
import { runBatch } from "../db/database";
import { insertEndpoint, MAX_ENDPOINTS_PER_TENANT } from "../db/webhooks";
import { keyringOf, seal } from "../events/secret-box";
import { newSecret } from "../events/signing";
import { urlProblem } from "../events/url-policy";
import { checkKey } from "../http/auth";
import { readJsonBody, withInexact } from "../http/body";
import { ApiError, VALIDATION_DETAIL, type FieldError } from "../http/errors";
import { json } from "../http/pipeline";
import { newId } from "../ids";
import { fieldErrors } from "../schemas/common";
import { createdEndpointResponse, createEndpointRequest, EVENT_TYPES } from "../schemas/webhooks";
import { BODY_ERRORS, ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "POST",
  path: "/webhook-endpoints",
  permissions: ["webhooks:manage"],
  async handler(request, _input, env) {
    const { value, inexact } = await readJsonBody(request);
    const parsed = createEndpointRequest.safeParse(value);
    const errors: FieldError[] = parsed.success ? [] : fieldErrors(parsed.error);
    const url = (value as { url?: unknown } | null)?.url;
    const refused = typeof url === "string" ? urlProblem(url, request.environment) : null;
    if (refused && !errors.some((e) => e.pointer === "/url")) errors.push({ pointer: "/url", code: "invalid_url", detail: refused });
    if (!parsed.success || errors.length > 0 || inexact.length > 0) throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, withInexact(inexact, errors));

    await checkKey(request);
    const body = parsed.data;
    const id = newId();
    const secret = newSecret();
    // Stored sealed, never in plain (API.md §12). Keys missing or malformed: a 500 (logged, naming
    // only the setting), and nothing is written.
    const { sealed, keyId } = await seal(secret, await keyringOf(env), id);
    const row = {
      id,
      tenantId: request.tenantId,
      url: body.url,
      description: body.description ?? null,
      events: body.events ?? [...EVENT_TYPES],
      secret: sealed,
      secretKeyId: keyId,
      createdAt: new Date().toISOString(),
    };
    const [inserted] = (await runBatch(request.db, [insertEndpoint(request.db, row)])) as [{ id: string }[]];
    if (inserted.length === 0) throw new ApiError("CONFLICT", `A tenant has at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints per environment`);
    const { url: saved, description, events, createdAt } = row;
    return json({ id, url: saved, description, events, secret, createdAt });
  },
  doc: {
    operationId: "createWebhookEndpoint",
    summary: "Create a webhook endpoint",
    description:
      "Registers a URL that receives the tenant's change events of this environment (API.md §12), signed with the " +
      "Standard Webhooks scheme. The answer carries the signing `secret`, which is never shown again. Only events " +
      "made after the endpoint was created are sent to it.",
    body: createEndpointRequest,
    response: { description: "The endpoint, with its signing secret.", schema: createdEndpointResponse },
    errors: {
      BAD_REQUEST: `Malformed JSON, a body that failed validation, or a url this environment does not accept (in live: https to a public host), ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      CONFLICT: `The tenant has ${MAX_ENDPOINTS_PER_TENANT} endpoints in this environment already.`,
      ...BODY_ERRORS,
    },
  },
});
