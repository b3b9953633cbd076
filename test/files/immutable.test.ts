// An uploaded document's file fields are immutable (API.md §15): once its sha256 is set, a sync
// cannot change its contentType or size (409, code `immutable`, a pointer at each key), and
// nothing is written. A pending document's, and an uploaded one's other fields, still can.
import { describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";
import { dumpTenant } from "../sync/helpers";
import { pdfBytes, setUp, upload } from "./support";

const h = createHarness();

async function uploaded() {
  const s = await setUp(h);
  const res = await upload(h, s.path, s.key, pdfBytes(4000));
  expect(res.status, res.text).toBe(200);
  return s;
}

const sync = (s: Awaited<ReturnType<typeof setUp>>, document: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  h.post("/clients/sync", { clientId: s.client.id, client: { name: "Ana" }, documents: [{ id: s.document.id, ...document }], ...extra }, { key: s.key });

describe("an uploaded document's file fields", () => {
  it("a sync changing size and contentType is a 409 naming both, and writes nothing", async () => {
    const s = await uploaded();
    const before = await dumpTenant(h, s.tenantId);
    const res = await sync(s, { size: 1, contentType: "image/png", filename: "renamed.pdf" });
    expect(res.status, res.text).toBe(409);
    expect(res.body.code).toBe("CONFLICT");
    expect(res.body.errors).toEqual([
      expect.objectContaining({ pointer: "/documents/0/contentType", code: "immutable" }),
      expect.objectContaining({ pointer: "/documents/0/size", code: "immutable" }),
    ]);
    expect(await dumpTenant(h, s.tenantId)).toEqual(before);
  });

  it("clearing size (null) is a change too: 409, nothing written", async () => {
    const s = await uploaded();
    const before = await dumpTenant(h, s.tenantId);
    const res = await sync(s, { size: null });
    expect(res.status, res.text).toBe(409);
    expect(res.body.errors).toEqual([expect.objectContaining({ pointer: "/documents/0/size", code: "immutable" })]);
    expect(await dumpTenant(h, s.tenantId)).toEqual(before);
  });

  it("an unknown id elsewhere makes it a 404 that still lists the immutable keys (every problem at once)", async () => {
    const s = await uploaded();
    const before = await dumpTenant(h, s.tenantId);
    const res = await h.post(
      "/clients/sync",
      { clientId: s.client.id, client: { name: "Ana" }, documents: [{ id: s.document.id, size: 7 }, { id: crypto.randomUUID() }] },
      { key: s.key },
    );
    expect(res.status, res.text).toBe(404);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(["/documents/1/id", "/documents/0/size"]);
    expect(await dumpTenant(h, s.tenantId)).toEqual(before);
  });

  it("the same size and contentType, with another field changed, is accepted (only what changes is refused)", async () => {
    const s = await uploaded();
    const [row] = (await dumpTenant(h, s.tenantId)).documents as { size: number; content_type: string }[];
    const res = await sync(s, { size: row!.size, contentType: row!.content_type, filename: "ine.pdf" });
    expect(res.status, res.text).toBe(200);
    const got = await h.get(`/clients/${s.client.id}`, { key: s.key });
    expect(got.body.documents[0]).toMatchObject({ status: "uploaded", size: 4000, contentType: "application/pdf", filename: "ine.pdf" });
  });

  it("a document without its file yet can still change them", async () => {
    const s = await setUp(h);
    const res = await sync(s, { size: 12, contentType: "image/png" });
    expect(res.status, res.text).toBe(200);
    const got = await h.get(`/clients/${s.client.id}`, { key: s.key });
    expect(got.body.documents[0]).toMatchObject({ status: "pending_upload", size: 12, contentType: "image/png" });
  });

  it("deleting an uploaded document stays allowed (its file is kept for the record, API.md §15)", async () => {
    const s = await uploaded();
    const res = await sync(s, { _delete: true });
    expect(res.status, res.text).toBe(200);
    const got = await h.get(`/clients/${s.client.id}`, { key: s.key });
    expect(got.body.documents).toEqual([]);
  });
});
