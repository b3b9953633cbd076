// The sync's answer is serialized once (src/write/sync.ts answerText): its text is exactly
// JSON.stringify of the answer, and the ETag it carries hashes the client's JSON inside it, which is
// what a GET of the client answers (and hashes) too.
import { describe, expect, it } from "vitest";
import { etagOf } from "../../src/db/mappers";
import { answerText } from "../../src/write/sync";
import { createHarness } from "../support/harness";
import { clabe, uniq } from "../sync/helpers";

const h = createHarness();

describe("the sync answer", () => {
  it("is JSON.stringify of the answer, and its ETag is the GET's", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `ans-${uniq()}`;
    const res = await h.post(
      "/clients/sync",
      {
        client: { type: "individual", name: "Ana \u00e9 \u{1F600}", externalId: ext, metadata: { "\u00fc": [1, { b: null }], __proto__: { x: 1 } } },
        addresses: [{ street: "s", city: "c", state: "st", postalCode: "01000", country: "MX", externalId: `${ext}-a` }],
        bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: `${ext}-b` }],
        linkedClients: [{ child: { type: "company", name: "Co", externalId: `${ext}-co` } }],
      },
      { key },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.text).toBe(JSON.stringify(res.body));
    const get = await h.get(`/clients/${res.body.client.id}`, { key });
    expect(get.text).toBe(JSON.stringify(res.body.client));
    expect(res.headers.get("etag")).toBe(get.headers.get("etag"));
    expect(res.headers.get("etag")).toBe(await etagOf(res.body.client));
  });

  it("answerText gives JSON.stringify of any answer, the client's JSON with it", () => {
    const client = { id: "c", name: "x\u2028", tags: [], nested: { a: undefined, b: 1 } };
    const response = { action: "created", client, addresses: { created: [{ id: "a" }], updated: [], deleted: [] }, skipped: undefined, dryRun: false } as never;
    const { body, clientJson } = answerText(response);
    expect(body).toBe(JSON.stringify(response));
    expect(clientJson).toBe(JSON.stringify(client));
  });
});
