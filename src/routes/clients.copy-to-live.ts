// POST /clients/{id}/copy-to-live and …/preview (API.md §16): the test client's graph written into
// live (write/copy.ts), or what that would create and update.
import * as z from "zod";
import { clientIdParams } from "../schemas/list-query";
import { syncResponse } from "../schemas/responses";
import { copyToLive } from "../write/copy";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

const headers = z.object({
  "X-Live-Authorization": z
    .string()
    .regex(/^Bearer +sk_live_\S+$/)
    .describe("Bearer sk_live_…: a live API key of the same tenant, with clients:create and clients:update"),
});

const errors = (dry: boolean) => ({
  BAD_REQUEST:
    `A malformed id; X-Environment is not test (a copy goes test → live only); the client or a linked client has no externalId (live ` +
    `matches by it); the client fails live validation; ${ENVIRONMENT_PROBLEM}.`,
  ...KEY_ERRORS,
  UNAUTHORIZED: "The test API key, or the live key of X-Live-Authorization (missing, malformed, a test key, unknown, revoked), is refused.",
  FORBIDDEN: "The test key lacks clients:read, the live key lacks clients:create or clients:update, or the live key belongs to another tenant.",
  NOT_FOUND: "No such client in test for this tenant (or a linked client named in live does not exist).",
  CONFLICT: dry
    ? "An externalId the copy would write is held by another live record."
    : "An externalId the copy would write is held by another live record, or the live client kept changing; nothing was written.",
});

const description = (dry: boolean) =>
  (dry ? "What copying the test client into live would create and update, writing nothing (a sync dryRun in live). " : "") +
  "The client's graph — its own fields, addresses, contact methods, bank accounts, documents (metadata) and links with their linked " +
  "clients' own fields — written into the live database of the same tenant as a sync: matched by externalId (children without one " +
  "by identical content), only differences written, nothing deleted in live; a second copy of an unchanged client writes nothing. " +
  "Recorded as `operation: \"copy\"` in live's history and, when live changed, in the test client's (same requestId). Called with X-Environment: test and a test key with clients:read; the live key " +
  "goes in X-Live-Authorization. Document files are not copied yet (docs/DECISIONS.md).";

export const previewCopyToLive = operation({
  method: "POST",
  path: "/clients/{id}/copy-to-live/preview",
  permissions: ["clients:read"],
  params: clientIdParams,
  handler: (request, { params }) => copyToLive(request, params.id, true),
  doc: {
    operationId: "previewCopyToLive",
    summary: "Preview copying a test client into live",
    description: description(true),
    headers,
    response: { description: "The live sync's answer, with dryRun: true.", schema: syncResponse },
    errors: errors(true),
  },
});

export const copyClientToLive = operation({
  method: "POST",
  path: "/clients/{id}/copy-to-live",
  permissions: ["clients:read"],
  params: clientIdParams,
  handler: (request, { params }) => copyToLive(request, params.id, false),
  doc: {
    operationId: "copyToLive",
    summary: "Copy a test client into live",
    description: description(false),
    headers,
    response: { description: "The live sync's answer: the live client and what was created and updated.", schema: syncResponse },
    errors: errors(false),
  },
});
