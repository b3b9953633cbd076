// Runs in Node (the "node" vitest project), where the OpenAPI tools run: the generated document is a
// valid OpenAPI 3.1 document (@readme/openapi-parser), and Spectral's OpenAPI ruleset finds no error
// in it. The Workers tests (live.test.ts) check that GET /openapi.json serves this same document.
import { compileErrors, validate } from "@readme/openapi-parser";
import { Document, Spectral } from "@stoplight/spectral-core";
import { Json as JsonParser } from "@stoplight/spectral-parsers";
import { oas } from "@stoplight/spectral-rulesets";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document";

const document = openApiDocument("http://localhost:8787");

/** The project has no public contact or license to name: these info rules are the only exceptions. */
const ACCEPTED_WARNINGS = new Set(["info-contact", "info-license", "license-url"]);

async function lint(doc: object) {
  const spectral = new Spectral();
  // Every rule of the OpenAPI ruleset, not only the recommended ones.
  spectral.setRuleset({ extends: [[oas, "all"]] } as never);
  const results = await spectral.run(new Document(JSON.stringify(doc, null, 2), JsonParser));
  return results.map((r) => ({
    severity: (["error", "warn", "info", "hint"] as const)[r.severity],
    code: String(r.code),
    text: `${r.code}: ${r.message} at ${r.path.join(".")}`,
  }));
}

// Spectral and the parser take seconds on a loaded machine (vitest's default is 5 s): a generous
// explicit timeout, so that only a hang fails.
const SLOW = { timeout: 60_000 };

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document (@readme/openapi-parser)", SLOW, async () => {
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? "" : compileErrors(result)).toBe("");
    expect(result.specification).toBe("OpenAPI");
  });

  it("has no error, and no warning but the accepted ones, under Spectral's OpenAPI ruleset", SLOW, async () => {
    const results = await lint(document);
    expect(results.filter((r) => r.severity === "error").map((r) => r.text)).toEqual([]);
    expect(results.filter((r) => r.severity === "warn" && !ACCEPTED_WARNINGS.has(r.code)).map((r) => r.text)).toEqual([]);
  });

  it("would be caught by both tools if it were wrong (the checks check)", SLOW, async () => {
    const broken = structuredClone(document) as any;
    broken.paths["/clients/{id}"].get.responses["200"].content["application/json"].examples.fullClient.value.age = "old";
    expect((await lint(broken)).filter((r) => r.severity === "error").map((r) => r.code)).toContain("oas3-valid-media-example");
    delete broken.info;
    expect((await validate(broken as never)).valid).toBe(false);
  });
});

describe("the permissions in the document", () => {
  it("are, for every operation behind a key, exactly those its declaration makes the router check", async () => {
    const { OPERATIONS } = await import("../../src/routes");
    const documented = OPERATIONS.filter((o) => o.doc && o.permissions);
    expect(documented.map((o) => o.path)).toContain("/clients/{id}/history");
    for (const operation of documented) {
      const object = (document.paths as Record<string, Record<string, any>>)[operation.path]![operation.method.toLowerCase()]!;
      expect(object["x-permissions"], `${operation.method} ${operation.path}`).toEqual([...operation.permissions!]);
      for (const permission of operation.permissions!) expect(object.description).toContain(`\`${permission}\``);
    }
  });
});
