// Every example of the OpenAPI document is true: its request, sent to the real app, gets its
// response (status, and body where deterministic: see `normalize`).
import { describe, expect, it } from "vitest";
import { EXAMPLES } from "../../src/openapi/examples";
import { createHarness } from "../support/harness";
import { normalize, sendExample } from "./support";

const h = createHarness();

describe("OpenAPI examples", () => {
  it.each(EXAMPLES.map((e) => [e.name, e] as const))("%s", async (_name, example) => {
    const response = await sendExample(h, example);
    const actual = normalize(response.body);
    const expected = normalize(example.response.body);
    expect({ status: response.status, body: actual }).toEqual({ status: example.response.status, body: expected });
    // Key order too (API.md fixes it).
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  });
});
