// GET/PUT /settings/duplicates (API.md §14): the tenant's duplicate rule, as zod schemas (the PUT
// body is validated with it; the OpenAPI document shows it).
import * as z from "zod";

const ruleValue = (label: string) =>
  z.enum(["allow", "reject"]).describe(`"reject": a second live client with the same ${label} is refused (409); "allow" (the default): it is listed in \`duplicates\``);

export const duplicateRule = z
  .strictObject({ rfc: ruleValue("RFC"), curp: ruleValue("CURP"), clabe: ruleValue("CLABE") })
  .meta({
    id: "DuplicateRule",
    description:
      "The tenant's duplicate rule in this environment (API.md §14). PUT sends all three. Under `reject` the database refuses " +
      "the second live client with the identifier (even from two requests at once); clients that held it together before the " +
      "rule keep it.",
  });
