// Presigned uploads (API.md §15): POST …/file/upload-url hands out a signed PUT and records the
// attempt with its declaration; POST …/file/complete checks the object against it and marks the
// document uploaded through the write path of PUT …/file. Local R2 has no S3 API: the test puts the
// object through the binding (as R2 would store the signed PUT), then completes.
import { describe, expect, it } from "vitest";
import { clientHistory, documents, uploadAttempts } from "../../src/db/schema";
import { fileKeyOf } from "../../src/files/upload";
import { createHarness } from "../support/harness";
import { dumpTenant } from "../sync/helpers";
import { bucketOf, objectsOf, pdfBytes, setUp, sha256Hex } from "./support";

const h = createHarness();
type Setup = Awaited<ReturnType<typeof setUp>>;

async function urlFor(s: Setup, bytes: Uint8Array, extra: Record<string, unknown> = {}) {
  return h.post(`${s.path}/upload-url`, { size: bytes.byteLength, sha256: await sha256Hex(bytes), ...extra }, { key: s.key });
}

/** What R2 stores for the signed PUT: the bytes, their type, and (x-amz-checksum-sha256) their SHA-256. */
async function putAsR2Would(s: Setup, uploadId: string, bytes: Uint8Array, contentType = "application/pdf") {
  await bucketOf("test").put(fileKeyOf(s.tenantId, s.client.id, s.document.id, uploadId), bytes, {
    httpMetadata: { contentType },
    sha256: await sha256Hex(bytes),
  });
}

describe("upload-url", () => {
  it("answers a 15-minute presigned PUT of the document's key, signing size, type and SHA-256; records the attempt; changes no document", async () => {
    const s = await setUp(h);
    const bytes = pdfBytes(5000);
    const before = await h.rows("test", documents, { id: s.document.id });
    const res = await urlFor(s, bytes);
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["expiresAt", "headers", "uploadId", "url"]);
    const url = new URL(res.body.url);
    expect(url.hostname).toMatch(/\.r2\.cloudflarestorage\.com$/);
    expect(url.pathname).toBe(`/clients-api-files-test/${fileKeyOf(s.tenantId, s.client.id, s.document.id, res.body.uploadId)}`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("900");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host;x-amz-checksum-sha256");
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeLessThanOrEqual(900_000);
    expect(res.body.headers).toEqual({ "content-length": "5000", "content-type": "application/pdf", "x-amz-checksum-sha256": expect.any(String) });
    const [attempt] = await h.rows("test", uploadAttempts, { documentId: s.document.id });
    expect(attempt).toMatchObject({ size: 5000, sha256: await sha256Hex(bytes), contentType: "application/pdf", at: res.body.expiresAt, sweptAt: null });
    expect(await h.rows("test", documents, { id: s.document.id })).toEqual(before);
  });

  it("live keys sign the live bucket", async () => {
    const s = await setUp(h, "live");
    const bytes = pdfBytes(10);
    const res = await h.post(`${s.path}/upload-url`, { size: 10, sha256: await sha256Hex(bytes) }, { key: s.key, env: "live" });
    expect(res.status, res.text).toBe(200);
    expect(new URL(res.body.url).pathname).toMatch(/^\/clients-api-files-live\//);
  });

  it("refuses: bad body (every pointer), another type than the document's, another tenant's document, an uploaded one; writes nothing", async () => {
    const s = await setUp(h);
    const bad = await h.post(`${s.path}/upload-url`, { size: 0, sha256: "nope", contentType: "text/plain" }, { key: s.key });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(["/contentType", "/sha256", "/size"]);
    const tooBig = await h.post(`${s.path}/upload-url`, { size: 25 * 1024 * 1024 + 1, sha256: "a".repeat(64) }, { key: s.key });
    expect(tooBig.status).toBe(400);
    const otherType = await urlFor(s, pdfBytes(10), { contentType: "image/png" });
    expect(otherType.status).toBe(400);
    expect(otherType.body.errors[0]).toMatchObject({ pointer: "/contentType", code: "content_type_mismatch" });
    const other = await h.newTenantWithKey("test");
    expect((await h.post(`${s.path}/upload-url`, { size: 10, sha256: "a".repeat(64) }, { key: other.key })).status).toBe(404);
    const readOnly = await h.createKey({ tenantId: s.tenantId, permissions: ["clients:read"] });
    expect((await h.post(`${s.path}/upload-url`, { size: 10, sha256: "a".repeat(64) }, { key: readOnly })).status).toBe(403);
    expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toEqual([]);
  });
});

describe("complete", () => {
  it("checks the stored object and marks the document uploaded: history entry (upload), attempt row gone, object kept", async () => {
    const s = await setUp(h);
    const bytes = pdfBytes(7000);
    const { body } = await urlFor(s, bytes);
    await putAsR2Would(s, body.uploadId, bytes);
    const res = await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: s.key });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: s.document.id, status: "uploaded", size: 7000, sha256: await sha256Hex(bytes) });
    const [row] = await h.rows("test", documents, { id: s.document.id });
    expect(row!.fileKey).toBe(fileKeyOf(s.tenantId, s.client.id, s.document.id, body.uploadId));
    expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toEqual([]);
    const history = await h.rows("test", clientHistory, { clientId: s.client.id });
    expect(history.at(-1)!.operation).toBe("upload");
    const got = await h.request("GET", s.path, { key: s.key });
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe(`"${await sha256Hex(bytes)}"`);
    // Completed: a second complete is a 409, and the file stays.
    expect((await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: s.key })).status).toBe(409);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([row!.fileKey]);
  });

  it("a keyed retry replays the answer", async () => {
    const s = await setUp(h);
    const bytes = pdfBytes(100);
    const { body } = await urlFor(s, bytes);
    await putAsR2Would(s, body.uploadId, bytes);
    const headers = { "idempotency-key": crypto.randomUUID() };
    const first = await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: s.key, headers });
    expect(first.status, first.text).toBe(200);
    const again = await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: s.key, headers });
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toHaveLength(1);
  });

  it("nothing PUT yet: 409, nothing written; an unknown or foreign uploadId: 404", async () => {
    const s = await setUp(h);
    const { body } = await urlFor(s, pdfBytes(100));
    const before = await dumpTenant(h, s.tenantId);
    const early = await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: s.key });
    expect(early.status).toBe(409);
    expect(await dumpTenant(h, s.tenantId)).toEqual(before);
    const unknown = await h.post(`${s.path}/complete`, { uploadId: crypto.randomUUID() }, { key: s.key });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].pointer).toBe("/uploadId");
    const other = await h.newTenantWithKey("test");
    expect((await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: other.key })).status).toBe(404);
    expect((await h.post(`${s.path}/complete`, { uploadId: "x" }, { key: s.key })).status).toBe(400);
  });

  it("an object that is not the declared one (size, bytes, type): 400, object and attempt removed, document unchanged", async () => {
    for (const [stored, type] of [
      [pdfBytes(101), "application/pdf"],
      [pdfBytes(100), "application/pdf"],
      [null, "image/png"],
    ] as const) {
      const s = await setUp(h);
      const declared = pdfBytes(100);
      const { body } = await urlFor(s, declared);
      await putAsR2Would(s, body.uploadId, stored ?? declared, type);
      const before = await h.rows("test", documents, { id: s.document.id });
      const res = await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: s.key });
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ pointer: "/uploadId", code: "file_mismatch" });
      expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([]);
      expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toEqual([]);
      expect(await h.rows("test", documents, { id: s.document.id })).toEqual(before);
    }
  });

  it("an object R2 kept no checksum of is hashed to check it", async () => {
    const s = await setUp(h);
    const bytes = pdfBytes(3000);
    const { body } = await urlFor(s, bytes);
    await bucketOf("test").put(fileKeyOf(s.tenantId, s.client.id, s.document.id, body.uploadId), bytes, { httpMetadata: { contentType: "application/pdf" } });
    const res = await h.post(`${s.path}/complete`, { uploadId: body.uploadId }, { key: s.key });
    expect(res.status, res.text).toBe(200);
    expect(res.body.sha256).toBe(await sha256Hex(bytes));
  });
});
