// PUT /clients/{id}/documents/{documentId}/file (API.md §15): happy path, what is refused, and that a
// refused upload keeps nothing — no object in R2, no D1 change, no history entry.
import { describe, expect, it } from "vitest";
import { clientHistory, clients, documents, eventOutbox } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import { objectsOf, pdfBytes, reprDigest, setUp, sha256Hex, upload, bucketOf } from "./support";

const h = createHarness();

describe("upload", () => {
  it("streams the file to R2 and marks the document uploaded with size, sha256 and uploadedAt", async () => {
    const { tenantId, key, client, document, path } = await setUp(h);
    const bytes = pdfBytes(10_000);
    const sha = await sha256Hex(bytes);
    const res = await upload(h, path, key, bytes, { "repr-digest": await reprDigest(bytes) });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: document.id, clientId: client.id, status: "uploaded", size: 10_000, sha256: sha });
    expect(res.body.uploadedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [row] = await h.rows("test", documents, { id: document.id });
    expect(row).toMatchObject({ status: "uploaded", size: 10_000, sha256: sha, uploadedAt: res.body.uploadedAt });
    const keys = await objectsOf("test", tenantId, client.id, document.id);
    expect(keys).toEqual([row!.fileKey]);
    const object = await bucketOf("test").get(row!.fileKey!);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
    expect(object!.httpMetadata?.contentType).toBe("application/pdf");
    // The client's representation changed: its version moved.
    const [clientRow] = await h.rows("test", clients, { id: client.id });
    expect(clientRow!.version).toBe(client.version + 1);
  });

  it("records a history entry carrying the file's sha256, and the GET shows the document uploaded", async () => {
    const { key, client, path } = await setUp(h);
    const bytes = pdfBytes(3000);
    const sha = await sha256Hex(bytes);
    expect((await upload(h, path, key, bytes)).status).toBe(200);
    const history = await h.get(`/clients/${client.id}/history`, { key });
    expect(history.status).toBe(200);
    const entry = history.body.data.at(-1);
    expect(entry.operation).toBe("upload");
    const change = entry.changes.find((c: { entity: string }) => c.entity === "document");
    expect(change.action).toBe("updated");
    expect(change.fields.status).toEqual({ from: "pending_upload", to: "uploaded" });
    expect(change.fields.sha256).toEqual({ from: null, to: sha });
    expect(change.fields.size).toEqual({ from: null, to: 3000 });
    expect(change.fields.uploadedAt.from).toBeNull();
    expect(change.fields.fileKey).toBeUndefined();
    expect((await h.get(`/clients/${client.id}/history/verify`, { key })).body.valid).toBe(true);
    const got = await h.get(`/clients/${client.id}`, { key });
    expect(got.body.documents[0]).toMatchObject({ status: "uploaded", sha256: sha, size: 3000 });
  });

  it("every document has sha256 and uploadedAt, null until its upload", async () => {
    const { key, client } = await setUp(h);
    const got = await h.get(`/clients/${client.id}`, { key });
    expect(got.body.documents[0]).toMatchObject({ status: "pending_upload", sha256: null, uploadedAt: null });
  });

  it("writes an outbox event when the tenant has a webhook endpoint", async () => {
    const { tenantId, key, path } = await setUp(h);
    const endpoint = await h.post("/webhook-endpoints", { url: "http://example.com/hook" }, { key });
    expect(endpoint.status).toBe(200);
    expect((await upload(h, path, key, pdfBytes(100))).status).toBe(200);
    expect(await h.count("test", eventOutbox, tenantId)).toBe(1);
  });

  it("a document that declared no contentType takes the file's", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const document = await h.seedDocument("test", client, { contentType: null });
    const res = await upload(h, `/clients/${client.id}/documents/${document.id}/file`, key, pdfBytes(40), { "content-type": "image/webp" });
    expect(res.status).toBe(200);
    expect(res.body.contentType).toBe("image/webp");
  });

  it("accepts the RFC 3230 Digest header", async () => {
    const { key, path } = await setUp(h);
    const bytes = pdfBytes(500);
    const digest = (await reprDigest(bytes)).replace(/^sha-256=:(.*):$/, "SHA-256=$1");
    expect((await upload(h, path, key, bytes, { digest })).status).toBe(200);
  });
});

describe("refused uploads keep nothing", () => {
  async function expectNothingKept(s: Awaited<ReturnType<typeof setUp>>) {
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([]);
    const [row] = await h.rows("test", documents, { id: s.document.id });
    expect(row).toMatchObject({ status: "pending_upload", sha256: null, uploadedAt: null, fileKey: null, size: null });
    expect(await h.count("test", clientHistory, s.tenantId)).toBe(0);
    const [clientRow] = await h.rows("test", clients, { id: s.client.id });
    expect(clientRow!.version).toBe(s.client.version);
  }

  it("a Repr-Digest that does not match: 400, no object, no D1 change, no history entry", async () => {
    const s = await setUp(h);
    const res = await upload(h, s.path, s.key, pdfBytes(5000), { "repr-digest": await reprDigest(pdfBytes(5000)) });
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/problem\+json/);
    await expectNothingKept(s);
  });

  it("a malformed digest header: 400 naming it", async () => {
    const s = await setUp(h);
    const res = await upload(h, s.path, s.key, pdfBytes(50), { "repr-digest": "sha-256=abc" });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe("/headers/repr-digest");
    await expectNothingKept(s);
  });

  it("a type outside §4.5: 415", async () => {
    const s = await setUp(h);
    const res = await upload(h, s.path, s.key, pdfBytes(50), { "content-type": "text/html" });
    expect(res.status).toBe(415);
    await expectNothingKept(s);
  });

  it("a type other than the document's declared contentType: 415", async () => {
    const s = await setUp(h); // declares application/pdf
    const res = await upload(h, s.path, s.key, pdfBytes(50), { "content-type": "image/png" });
    expect(res.status).toBe(415);
    expect(res.body.detail).toMatch(/declares contentType application\/pdf/);
    await expectNothingKept(s);
  });

  it("over 25 MiB: 413, before a byte is stored", async () => {
    const s = await setUp(h);
    const bytes = new Uint8Array(25 * 1024 * 1024 + 1);
    const res = await upload(h, s.path, s.key, bytes);
    expect(res.status).toBe(413);
    await expectNothingKept(s);
  });

  it("exactly 25 MiB is accepted", async () => {
    const s = await setUp(h);
    const bytes = new Uint8Array(25 * 1024 * 1024);
    bytes[0] = 1;
    const res = await upload(h, s.path, s.key, bytes);
    expect(res.status, res.text).toBe(200);
    expect(res.body.size).toBe(25 * 1024 * 1024);
    expect(res.body.sha256).toBe(await sha256Hex(bytes));
  }, 60_000); // 25 MiB through local R2 on shared cores

  it("a body shorter than its Content-Length: 400, nothing kept", async () => {
    const s = await setUp(h);
    const res = await upload(h, s.path, s.key, pdfBytes(100), { "content-length": "200" });
    expect([400]).toContain(res.status);
    await expectNothingKept(s);
  });

  it("an empty body: 400", async () => {
    const s = await setUp(h);
    const res = await upload(h, s.path, s.key, new Uint8Array(0));
    expect(res.status).toBe(400);
    await expectNothingKept(s);
  });

  it("a second upload: 409, the first file untouched", async () => {
    const s = await setUp(h);
    const first = pdfBytes(700);
    expect((await upload(h, s.path, s.key, first)).status).toBe(200);
    const [before] = await h.rows("test", documents, { id: s.document.id });
    const res = await upload(h, s.path, s.key, pdfBytes(700));
    expect(res.status).toBe(409);
    const [after] = await h.rows("test", documents, { id: s.document.id });
    expect(after).toEqual(before);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([before!.fileKey]);
    expect(await h.count("test", clientHistory, s.tenantId)).toBe(1);
    const object = await bucketOf("test").get(before!.fileKey!);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(first);
  });

  it("without clients:update: 403, nothing kept", async () => {
    const s = await setUp(h);
    const readOnly = await h.createKey({ tenantId: s.tenantId, permissions: ["clients:read"] });
    const res = await upload(h, s.path, readOnly, pdfBytes(100));
    expect(res.status).toBe(403);
    await expectNothingKept(s);
  });

  it("an unknown document or client: 404; a malformed id: 400", async () => {
    const s = await setUp(h);
    expect((await upload(h, `/clients/${s.client.id}/documents/${crypto.randomUUID()}/file`, s.key, pdfBytes(10))).status).toBe(404);
    expect((await upload(h, `/clients/${crypto.randomUUID()}/documents/${s.document.id}/file`, s.key, pdfBytes(10))).status).toBe(404);
    expect((await upload(h, `/clients/${s.client.id}/documents/nope/file`, s.key, pdfBytes(10))).status).toBe(400);
    await expectNothingKept(s);
  });
});

describe("idempotency", () => {
  it("a keyed retry replays the answer; the same key with another file is a 422; nothing more is stored", async () => {
    const s = await setUp(h);
    const bytes = pdfBytes(900);
    const first = await upload(h, s.path, s.key, bytes, { "idempotency-key": "k1" });
    expect(first.status).toBe(200);
    const again = await upload(h, s.path, s.key, bytes, { "idempotency-key": "k1" });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    const other = await upload(h, s.path, s.key, pdfBytes(900), { "idempotency-key": "k1" });
    expect(other.status).toBe(422);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toHaveLength(1);
    expect(await h.count("test", clientHistory, s.tenantId)).toBe(1);
  });
});
