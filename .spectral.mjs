// The OpenAPI linter's ruleset (Spectral), committed: `npm run lint:openapi` (scripts/lint-openapi.mjs)
// lints the document GET /openapi.json serves with it, and CI (.ci/run) fails on any error.
// Every rule of Spectral's OpenAPI ruleset ("all", not only the recommended ones), plus rules of
// this API's own for what generated clients need (issue 26).
import { oas } from "@stoplight/spectral-rulesets";
import { truthy, falsy, pattern } from "@stoplight/spectral-functions";

export default {
  extends: [[oas, "all"]],
  rules: {
    // The project has no public contact or license to name.
    "info-contact": "off",
    "info-license": "off",
    "license-url": "off",
    // A generated client sets the environment once: never a per-call X-Environment parameter.
    "clients-api-environment-is-a-security-scheme": {
      description: "X-Environment is the Environment security scheme, not a parameter (a generated client sets it once).",
      severity: "error",
      given: "$.paths[*][*].parameters[?(@.in == 'header')].name",
      then: { function: pattern, functionOptions: { notMatch: "^[Xx]-[Ee]nvironment$" } },
    },
    "clients-api-environment-required": {
      description: "Every operation requires the API key and the environment together.",
      severity: "error",
      given: "$.security[0]",
      then: [
        { field: "ApiKey", function: truthy },
        { field: "Environment", function: truthy },
      ],
    },
    // OpenAPI's discriminator is for string properties: on a boolean, generators type it as strings.
    "clients-api-no-discriminator": {
      description: "No discriminator: a union is told apart by its branches' const values.",
      severity: "error",
      given: "$..discriminator",
      then: { function: falsy },
    },
    "clients-api-400-documents-header-problems": {
      description: "Every operation's 400 says a missing X-Environment and a malformed X-Consistency-Token are 400s.",
      severity: "error",
      given: "$.paths[*][*].responses['400'].description",
      then: { function: pattern, functionOptions: { match: "X-Environment[\\s\\S]*X-Consistency-Token" } },
    },
  },
};
