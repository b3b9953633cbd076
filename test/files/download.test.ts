// GET /clients/{id}/documents/{documentId}/file (API.md §15): the file back with its headers, byte
// ranges, and no reach into another tenant's or another environment's files.
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/db/database";
import { insertAttempt } from "../../src/db/upload-attempts";
import { committedObjectOf } from "../../src/files/download";
import { fileKeyOf } from "../../src/files/upload";
import { createHarness } from "../support/harness";
import { bucketOf, pdfBytes, reprDigest, setUp, sha256Hex, upload } from "./support";

const h = createHarness();

async function uploaded(environment: "test" | "live" = "test", size = 4096) {
  const s = await setUp(h, environment);
  const bytes = pdfBytes(size);
  const res = await upload(h, s.path, s.key, bytes, {}, environment);
  expect(res.status, res.text).toBe(200);
  return { ...s, bytes };
}

describe("download", () => {
  it("streams the file with Content-Type, Content-Length, ETag and Repr-Digest", async () => {
    const s = await uploaded();
    const res = await h.request("GET", s.path, { key: s.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-length")).toBe(String(s.bytes.byteLength));
    expect(res.headers.get("etag")).toBe(`"${await sha256Hex(s.bytes)}"`);
    expect(res.headers.get("repr-digest")).toBe(await reprDigest(s.bytes));
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("gives back exactly the uploaded bytes", async () => {
    const s = await uploaded("test", 70_000);
    const answer = await fetchBytes(s.path, s.key);
    expect(answer.status).toBe(200);
    expect(answer.bytes).toEqual(s.bytes);
  });

  it("HEAD: the headers without the body", async () => {
    const s = await uploaded();
    const res = await h.request("HEAD", s.path, { key: s.key });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(res.headers.get("etag")).toBe(`"${await sha256Hex(s.bytes)}"`);
  });

  it("Range: 206 with Content-Range and only those bytes; suffix and open ranges; 416 past the end", async () => {
    const s = await uploaded("test", 1000);
    const part = await fetchBytes(s.path, s.key, { range: "bytes=10-19" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 10-19/1000");
    expect(part.headers.get("content-length")).toBe("10");
    expect(part.bytes).toEqual(s.bytes.slice(10, 20));
    const suffix = await fetchBytes(s.path, s.key, { range: "bytes=-5" });
    expect(suffix.status).toBe(206);
    expect(suffix.bytes).toEqual(s.bytes.slice(995));
    const open = await fetchBytes(s.path, s.key, { range: "bytes=990-" });
    expect(open.bytes).toEqual(s.bytes.slice(990));
    const beyond = await h.request("GET", s.path, { key: s.key, headers: { range: "bytes=1000-" } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */1000");
    // Several ranges, or a malformed one, are ignored: the whole file.
    const several = await fetchBytes(s.path, s.key, { range: "bytes=0-1,5-6" });
    expect(several.status).toBe(200);
    expect(several.bytes).toEqual(s.bytes);
  });

  it("a document without a file: 404", async () => {
    const s = await setUp(h);
    const res = await h.get(s.path, { key: s.key });
    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/no file yet/);
  });

  it("needs clients:read", async () => {
    const s = await uploaded();
    const noRead = await h.createKey({ tenantId: s.tenantId, permissions: ["clients:update"] });
    expect((await h.get(s.path, { key: noRead })).status).toBe(403);
  });
});

describe("a deleted client's file, within retention (asOf, clients:history)", () => {
  it("is served as the record shows it; 404 before its upload; 403 without clients:history; 404 for another tenant", async () => {
    const s = await uploaded("test", 2000);
    const at = new Date().toISOString();
    expect((await h.delete(`/clients/${s.client.id}`, { key: s.key })).status).toBe(200);
    // Gone from the API…
    expect((await h.get(s.path, { key: s.key })).status).toBe(404);
    // …but kept in the record.
    const res = await fetchBytes(`${s.path}?asOf=${encodeURIComponent(at)}`, s.key);
    expect(res.status).toBe(200);
    expect(res.bytes).toEqual(s.bytes);
    expect(res.headers.get("etag")).toBe(`"${await sha256Hex(s.bytes)}"`);
    const part = await fetchBytes(`${s.path}?asOf=${encodeURIComponent(at)}`, s.key, { range: "bytes=0-9" });
    expect(part.status).toBe(206);
    expect(part.bytes).toEqual(s.bytes.slice(0, 10));
    const before = new Date(Date.parse(s.client.createdAt) - 60_000).toISOString();
    expect((await h.get(`${s.path}?asOf=${encodeURIComponent(before)}`, { key: s.key })).status).toBe(404);
    const readOnly = await h.createKey({ tenantId: s.tenantId, permissions: ["clients:read"] });
    expect((await h.get(`${s.path}?asOf=${encodeURIComponent(at)}`, { key: readOnly })).status).toBe(403);
    const other = await h.newTenantWithKey("test");
    expect((await h.get(`${s.path}?asOf=${encodeURIComponent(at)}`, { key: other.key })).status).toBe(404);
    expect((await h.get(`${s.path}?asOf=nope`, { key: s.key })).status).toBe(400);
  });

  it("asOf before the upload of a live client's document: 404 (it had no file then)", async () => {
    const s = await setUp(h);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The seeded client has no history: record one (a sync) before the upload.
    const synced = await h.post("/clients/sync", { clientId: s.client.id, client: { name: "Ana" } }, { key: s.key });
    expect(synced.status, synced.text).toBe(200);
    const beforeUpload = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await upload(h, s.path, s.key, pdfBytes(50))).status).toBe(200);
    expect((await h.get(`${s.path}?asOf=${encodeURIComponent(beforeUpload)}`, { key: s.key })).status).toBe(404);
  });
});

describe("asOf picks the committed upload's object (upload_attempts)", () => {
  it("never an attempt that did not commit, even one put between the committed put and its batch", () => {
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms));
    const objects = [
      { key: "committed", uploaded: at(100) },
      { key: "crashed-later", uploaded: at(150) }, // its put completed after the committed one, before the batch
      { key: "after", uploaded: at(900) },
    ];
    const uploadedAt = at(200).toISOString();
    expect(committedObjectOf(objects, new Set(["crashed-later"]), uploadedAt)?.key).toBe("committed");
    // Without the record of attempts (objects put before they were recorded): the latest before uploadedAt.
    expect(committedObjectOf(objects, new Set(), uploadedAt)?.key).toBe("crashed-later");
    expect(committedObjectOf(objects, new Set(["committed", "crashed-later"]), uploadedAt)).toBeUndefined();
  });

  it("a deleted client's file with a crashed attempt's object beside it: the committed bytes", async () => {
    const s = await setUp(h);
    const crashed = fileKeyOf(s.tenantId, s.client.id, s.document.id, crypto.randomUUID());
    await insertAttempt(openDb(h.binding("test")), { key: crashed, tenantId: s.tenantId, clientId: s.client.id, documentId: s.document.id, at: new Date().toISOString() });
    await bucketOf("test").put(crashed, pdfBytes(77));
    const bytes = pdfBytes(3000);
    expect((await upload(h, s.path, s.key, bytes)).status).toBe(200);
    const at = new Date().toISOString();
    expect((await h.delete(`/clients/${s.client.id}`, { key: s.key })).status).toBe(200);
    const res = await fetchBytes(`${s.path}?asOf=${encodeURIComponent(at)}`, s.key);
    expect(res.status).toBe(200);
    expect(res.bytes).toEqual(bytes);
  });
});

describe("security", () => {
  it("another tenant gets 404 for the file, and cannot upload to the document", async () => {
    const s = await uploaded();
    const other = await h.newTenantWithKey("test");
    const read = await h.get(s.path, { key: other.key });
    expect(read.status).toBe(404);
    expect(read.text).not.toContain(s.tenantId);
    const unknown = await h.get(`/clients/${s.client.id}/documents/${crypto.randomUUID()}/file`, { key: s.key });
    expect(read.body.title).toBe(unknown.body.title);
    const pending = await setUp(h);
    const put = await upload(h, pending.path, other.key, pdfBytes(10));
    expect(put.status).toBe(404);
  });

  it("the other environment gets 404 (its own database and bucket)", async () => {
    const s = await uploaded("test");
    const live = await h.createKey({ env: "live", tenantId: s.tenantId });
    expect((await h.get(s.path, { env: "live", key: live })).status).toBe(404);
    expect((await upload(h, s.path, live, pdfBytes(10), {}, "live")).status).toBe(404);
    const listed = await h.env.FILES_LIVE.list({ prefix: `files/${s.tenantId}/` });
    expect(listed.objects).toHaveLength(0);
  });

  it("a document of another client of the same tenant is not reachable through this client's path", async () => {
    const s = await uploaded();
    const second = await h.seedClient("test", s.tenantId);
    const res = await h.get(`/clients/${second.id}/documents/${s.document.id}/file`, { key: s.key });
    expect(res.status).toBe(404);
  });
});

/** The answer's bytes as bytes (the harness reads bodies as text). */
async function fetchBytes(path: string, key: string, headers: Record<string, string> = {}) {
  const { createApp } = await import("../../src/app");
  const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
  const app = createApp();
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(`http://localhost${path}`, { headers: { "x-environment": "test", authorization: `Bearer ${key}`, ...headers } }),
    h.env,
    ctx,
  );
  const bytes = new Uint8Array(await response.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, bytes };
}
