// `npm run lint:openapi` (CI, after npm test): Spectral with the committed ruleset (.spectral.mjs)
// finds no error in the document GET /openapi.json serves, and it would find them in a document
// that breaks what generated clients need (the checks check).
import { execFileSync } from "node:child_process";
import { Document, Spectral } from "@stoplight/spectral-core";
import { Json as JsonParser } from "@stoplight/spectral-parsers";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document";

const ROOT = new URL("../..", import.meta.url).pathname;
const SLOW = { timeout: 60_000 };

const { default: ruleset } = (await import(new URL("../../.spectral.mjs", import.meta.url).href)) as { default: object };

async function errorsOf(doc: object): Promise<string[]> {
  const spectral = new Spectral();
  spectral.setRuleset(ruleset as never);
  const results = await spectral.run(new Document(JSON.stringify(doc, null, 2), JsonParser));
  return results.filter((r) => r.severity === 0).map((r) => `${r.code} at ${r.path.join(".")}`);
}

describe("the committed Spectral ruleset", () => {
  it("npm run lint:openapi passes on the served document (exit 0, no error)", SLOW, () => {
    const out = execFileSync(process.execPath, ["scripts/lint-openapi.mjs"], { cwd: ROOT, encoding: "utf8", stdio: "pipe" });
    expect(out).toMatch(/lint:openapi: 0 error\(s\)/);
  });

  it("finds an error in each break of what generated clients need", SLOW, async () => {
    const document = openApiDocument("http://localhost:8787") as any;
    expect(await errorsOf(document)).toEqual([]);

    const param = structuredClone(document);
    param.paths["/clients"].get.parameters.push({ name: "X-Environment", in: "header", required: true, schema: { type: "string" } });
    expect(await errorsOf(param)).toEqual(expect.arrayContaining([expect.stringMatching(/^clients-api-environment-is-a-security-scheme/)]));

    const security = structuredClone(document);
    security.security = [{ ApiKey: [] }];
    expect(await errorsOf(security)).toEqual(expect.arrayContaining([expect.stringMatching(/^clients-api-environment-required/)]));

    const discriminator = structuredClone(document);
    discriminator.components.schemas.BatchResult.discriminator = { propertyName: "atomic" };
    expect(await errorsOf(discriminator)).toEqual(expect.arrayContaining([expect.stringMatching(/^clients-api-no-discriminator/)]));

    const undocumented = structuredClone(document);
    undocumented.paths["/clients"].get.responses["400"].description = "Invalid query parameters.";
    expect(await errorsOf(undocumented)).toEqual(expect.arrayContaining([expect.stringMatching(/^clients-api-400-documents-header-problems/)]));
  });
});
