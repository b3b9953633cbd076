// GET and PUT /settings/duplicates (API.md §14): the tenant's duplicate rule for RFC, CURP and
// CLABE in this environment. PUT writes the rule and makes the stored keys follow it in ONE batch
// (db/duplicates.ts putRule), so that from its answer on the unique index enforces it.
import { runBatch } from "../db/database";
import { putRule, ruleRead } from "../db/duplicates";
import { checkKey, readWithKey } from "../http/auth";
import { readJsonBody, withInexact } from "../http/body";
import { ApiError, VALIDATION_DETAIL } from "../http/errors";
import { json } from "../http/pipeline";
import { fieldErrors } from "../schemas/common";
import { duplicateRule } from "../schemas/settings";
import { BODY_ERRORS, ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export const getDuplicateRule = operation({
  method: "GET",
  path: "/settings/duplicates",
  permissions: ["settings:manage"],
  async handler(request) {
    return json(await readWithKey(request, ruleRead(request.db, request.tenant)));
  },
  doc: {
    operationId: "getDuplicateRule",
    summary: "Read the duplicate rule",
    description: "The tenant's duplicate rule in this environment (API.md §14); all `allow` until one is set.",
    response: { description: "The rule.", schema: duplicateRule },
    errors: { BAD_REQUEST: `An unknown query parameter, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS },
  },
});

export const putDuplicateRule = operation({
  method: "PUT",
  path: "/settings/duplicates",
  permissions: ["settings:manage"],
  async handler(request) {
    const { value, inexact } = await readJsonBody(request);
    const parsed = duplicateRule.safeParse(value);
    if (!parsed.success || inexact.length > 0) {
      throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, withInexact(inexact, parsed.success ? [] : fieldErrors(parsed.error)));
    }
    await checkKey(request);
    const rule = parsed.data;
    await runBatch(request.db, putRule(request.db, request.tenantId, rule, new Date().toISOString()));
    return json(rule);
  },
  doc: {
    operationId: "putDuplicateRule",
    summary: "Set the duplicate rule",
    description:
      "Sets, for RFC, CURP and CLABE, whether a second live client of the tenant may hold the same value (API.md §14). Under " +
      "`reject`, a batch item or a sync that would create one is a 409 `CONFLICT` whose errors name each clash " +
      "(`duplicate_identifier`, with `kind` and `existingClientId`); the database enforces it, so two concurrent requests " +
      "cannot both succeed. Values several clients held before the rule stay with them.",
    body: duplicateRule,
    response: { description: "The rule now in force.", schema: duplicateRule },
    errors: {
      BAD_REQUEST: `Malformed JSON, a body that failed validation (a value other than "allow" or "reject", a missing kind), ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      ...BODY_ERRORS,
    },
  },
});
