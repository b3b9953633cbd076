// GET /problems/{slug}: what each problem `type` URI of an error body means.
import * as z from "zod";
import { ERROR_DESCRIPTIONS, ERROR_STATUS, ERROR_TITLES, notFound, problemSlug, type ErrorCode } from "../http/errors";
import { json } from "../http/pipeline";
import { operation } from "./operation";

export default operation({
  method: "GET",
  path: "/problems/{slug}",
  params: z.strictObject({ slug: z.string() }),
  handler(request, { params }) {
    const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => problemSlug(c) === params.slug);
    if (!code) throw notFound(`No problem type "${params.slug}"`);
    const type = `${request.origin}/problems/${problemSlug(code)}`;
    return json({ type, title: ERROR_TITLES[code], status: ERROR_STATUS[code], code, description: ERROR_DESCRIPTIONS[code] });
  },
});
