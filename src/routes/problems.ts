// GET /problems/{slug}: what each problem `type` URI of an error body means.
import * as z from "zod";
import { ERROR_STATUS, ERROR_TITLES, notFound, problemSlug, type ErrorCode } from "../http/errors";
import { json } from "../http/pipeline";
import { operation } from "./operation";

const DESCRIPTIONS: Record<ErrorCode, string> = {
  BAD_REQUEST: "The request is malformed or failed validation; `errors` lists every issue with a JSON Pointer into the body.",
  UNAUTHORIZED: "The API key is missing, malformed, unknown, revoked, or belongs to the other environment.",
  FORBIDDEN: "The API key is valid but lacks the permission this operation needs.",
  NOT_FOUND: "The resource does not exist for this tenant and environment, or the path is unknown.",
  METHOD_NOT_ALLOWED: "The path exists but not with this method; the Allow header lists the methods it takes.",
  CONFLICT: "The request conflicts with stored data (an externalId already taken, or a concurrent change).",
  PRECONDITION_FAILED: "If-Match did not match the client's current ETag: it changed since you read it.",
  PAYLOAD_TOO_LARGE: "The request body exceeds 5 MiB.",
  UNSUPPORTED_MEDIA_TYPE: "The request body must be JSON (Content-Type: application/json).",
  UNPROCESSABLE_CONTENT: "The Idempotency-Key was already used with a different request body.",
  TOO_MANY_REQUESTS: "Too many requests; retry later.",
  INTERNAL_SERVER_ERROR: "Something failed on our side. Nothing was written; quote the requestId when reporting it.",
};

export default operation({
  method: "GET",
  path: "/problems/{slug}",
  params: z.strictObject({ slug: z.string() }),
  handler(request, { params }) {
    const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => problemSlug(c) === params.slug);
    if (!code) throw notFound(`No problem type "${params.slug}"`);
    const type = `${request.origin}/problems/${problemSlug(code)}`;
    return json({ type, title: ERROR_TITLES[code], status: ERROR_STATUS[code], code, description: DESCRIPTIONS[code] });
  },
});
