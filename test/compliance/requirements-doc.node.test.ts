// docs/REQUIREMENTS.md is the render of the requirement tables (src/compliance/requirements.ts):
// a row changed in the code and not in the docs (or edited by hand in the docs) fails here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderRequirementsMarkdown } from "../../src/compliance/render.ts";
import { REQUIREMENTS } from "../../src/compliance/requirements.ts";

describe("docs/REQUIREMENTS.md", () => {
  it("equals the render of src/compliance/requirements.ts (npm run docs:requirements)", () => {
    const committed = readFileSync(new URL("../../docs/REQUIREMENTS.md", import.meta.url), "utf8");
    expect(committed).toBe(renderRequirementsMarkdown());
  });

  it("every row has a legal source, a unique id and a JSON Pointer", () => {
    const rows = Object.values(REQUIREMENTS).flat();
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const row of rows) {
      expect(row.source.trim().length, row.id).toBeGreaterThan(10);
      expect(row.pointer, row.id).toMatch(/^\//);
      expect(row.appliesTo.length, row.id).toBeGreaterThan(0);
    }
  });
});
