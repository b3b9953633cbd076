// Orphan objects (API.md §15): every upload attempt has an upload_attempts row written before its
// R2 put and deleted by the batch that commits it. A crash between the put and the batch leaves the
// row: the cron sweep (files/attempts.ts, run by events/sweep.ts) removes the object and the row once
// it is older than ORPHAN_MIN_AGE_MS, and never a committed file. Real local R2 and D1.
import { describe, expect, it } from "vitest";
import { createScheduledController } from "cloudflare:test";
import { isStaleGraph } from "../../src/db/constraints";
import { openDb, runBatch } from "../../src/db/database";
import { documents, uploadAttempts } from "../../src/db/schema";
import { attemptOpenGuard, insertAttempt } from "../../src/db/upload-attempts";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { ORPHAN_MIN_AGE_MS, POSTPONE_MS, sweepAttempts } from "../../src/files/attempts";
import { fileKeyOf } from "../../src/files/upload";
import { createHarness } from "../support/harness";
import { bucketOf, objectsOf, pdfBytes, setUp, upload } from "./support";

const h = createHarness();
const later = () => Date.now() + ORPHAN_MIN_AGE_MS + 60_000;

/** What an upload does before its D1 batch, and then the Worker dies: the attempt's row and its object. */
async function crashedAttempt(s: Awaited<ReturnType<typeof setUp>>, at = new Date()) {
  const key = fileKeyOf(s.tenantId, s.client.id, s.document.id, crypto.randomUUID());
  await insertAttempt(openDb(h.binding("test")), { key, tenantId: s.tenantId, clientId: s.client.id, documentId: s.document.id, at: at.toISOString() });
  await bucketOf("test").put(key, pdfBytes(16));
  return key;
}

describe("upload attempts", () => {
  it("a committed upload leaves no attempt row, and its object is the document's file", async () => {
    const s = await setUp(h);
    expect((await upload(h, s.path, s.key, pdfBytes(64))).status).toBe(200);
    const [row] = await h.rows("test", documents, { id: s.document.id });
    expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toEqual([]);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([row!.fileKey]);
  });

  it("a refused upload (digest mismatch) leaves neither object nor attempt row", async () => {
    const s = await setUp(h);
    const res = await upload(h, s.path, s.key, pdfBytes(64), { "repr-digest": `sha-256=:${btoa("x".repeat(32))}:` });
    expect(res.status).toBe(400);
    expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toEqual([]);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([]);
  });

  it("a crash between the put and the batch: no uploaded document without its object; the sweep removes the orphan once 15 min old", async () => {
    const s = await setUp(h);
    const orphan = await crashedAttempt(s);
    const [row] = await h.rows("test", documents, { id: s.document.id });
    expect(row).toMatchObject({ status: "pending_upload", fileKey: null, sha256: null });
    // Young: maybe still streaming, or about to commit — left alone.
    expect((await sweepAttempts(openDb(h.binding("test")), bucketOf("test"))).removed).not.toContain(orphan);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([orphan]);
    // The cron's sweep (the Worker's scheduled handler), 16 minutes later: object and row gone.
    await worker.scheduled(createScheduledController({ scheduledTime: later(), cron: "* * * * *" }), h.env as Env);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([]);
    expect(await h.rows("test", uploadAttempts, { key: orphan })).toEqual([]);
    // The document can still be uploaded.
    expect((await upload(h, s.path, s.key, pdfBytes(32))).status).toBe(200);
  });

  it("the sweep never removes a committed file: a stale row naming it (its document's file_key) only loses the row", async () => {
    const s = await setUp(h);
    const earlier = await crashedAttempt(s, new Date(Date.now() - 1000));
    expect((await upload(h, s.path, s.key, pdfBytes(64))).status).toBe(200);
    const [row] = await h.rows("test", documents, { id: s.document.id });
    // As if the commit's row deletion had been lost: a row with the committed key.
    await insertAttempt(openDb(h.binding("test")), { key: row!.fileKey!, tenantId: s.tenantId, clientId: s.client.id, documentId: s.document.id, at: new Date().toISOString() });
    const swept = await sweepAttempts(openDb(h.binding("test")), bucketOf("test"), later());
    expect(swept.removed).toContain(earlier);
    expect(swept.removed).not.toContain(row!.fileKey);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([row!.fileKey]);
    expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toEqual([]);
    expect((await h.get(s.path, { key: s.key })).status).toBe(200);
  });

  it("an upload whose attempt the sweep claimed while it streamed cannot commit: 409, nothing kept", async () => {
    const s = await setUp(h);
    const bytes = pdfBytes(4096);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes.subarray(0, 1024));
        await gate;
        controller.enqueue(bytes.subarray(1024));
        controller.close();
      },
    });
    const pending = upload(h, s.path, s.key, body as unknown as Uint8Array, { "content-length": String(bytes.byteLength) });
    // Wait for the attempt's row (written before the put), then sweep as if 16 minutes had passed.
    for (let i = 0; i < 100 && (await h.rows("test", uploadAttempts, { documentId: s.document.id })).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toHaveLength(1);
    await sweepAttempts(openDb(h.binding("test")), bucketOf("test"), later());
    release();
    const res = await pending;
    expect(res.status, res.text).toBe(409);
    const [row] = await h.rows("test", documents, { id: s.document.id });
    expect(row).toMatchObject({ status: "pending_upload", sha256: null, fileKey: null });
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([]);
    expect(await h.rows("test", uploadAttempts, { documentId: s.document.id })).toEqual([]);
  });

  it("an object that cannot be deleted (bucket lock): its row stays claimed and waits a day; nothing else is lost", async () => {
    const s = await setUp(h);
    const orphan = await crashedAttempt(s);
    const locked = { delete: async () => Promise.reject(new Error("object is locked")) } as unknown as R2Bucket;
    const now = later();
    const swept = await sweepAttempts(openDb(h.binding("test")), locked, now);
    expect(swept.kept).toContain(orphan);
    expect(swept.removed).not.toContain(orphan);
    const [row] = await h.rows("test", uploadAttempts, { key: orphan });
    expect(row!.sweptAt).not.toBeNull();
    expect(row!.at).toBe(new Date(now + POSTPONE_MS).toISOString());
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([orphan]);
    // The next run (with a bucket that can delete) leaves it until then.
    expect((await sweepAttempts(openDb(h.binding("test")), bucketOf("test"), now + 60_000)).removed).not.toContain(orphan);
  });

  it("the upload batch's guard: fails the whole batch once the sweep claimed the attempt (or its row is gone), passes while open", async () => {
    const s = await setUp(h);
    const db = openDb(h.binding("test"));
    const open = await crashedAttempt(s);
    await expect(runBatch(db, [attemptOpenGuard(db, open)])).resolves.toBeDefined();
    // Claimed, its object not deleted yet (here: a bucket that refuses): the row is there, swept_at set.
    const locked = { delete: async () => Promise.reject(new Error("object is locked")) } as unknown as R2Bucket;
    await sweepAttempts(db, locked, later());
    expect((await h.rows("test", uploadAttempts, { key: open }))[0]!.sweptAt).not.toBeNull();
    await expect(runBatch(db, [attemptOpenGuard(db, open)])).rejects.toSatisfy(isStaleGraph);
    // No row at all (swept and removed).
    await expect(runBatch(db, [attemptOpenGuard(db, crypto.randomUUID())])).rejects.toSatisfy(isStaleGraph);
  });
});
