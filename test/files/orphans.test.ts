// Orphan objects (API.md §15): an object a crashed attempt put in R2 before its D1 batch never ran
// is named by no document. removeOrphans (run by the next upload of the document) removes those old
// enough to be no attempt in flight, and never the committed file.
import { describe, expect, it } from "vitest";
import { documents } from "../../src/db/schema";
import { filePrefixOf, ORPHAN_MIN_AGE_MS, removeOrphans } from "../../src/files/upload";
import { createHarness } from "../support/harness";
import { bucketOf, objectsOf, pdfBytes, setUp, upload } from "./support";

const h = createHarness();

describe("orphans", () => {
  it("removes unreferenced objects older than ORPHAN_MIN_AGE_MS, keeps younger ones and the committed file", async () => {
    const s = await setUp(h);
    expect((await upload(h, s.path, s.key, pdfBytes(64))).status).toBe(200);
    const [row] = await h.rows("test", documents, { id: s.document.id });
    const prefix = filePrefixOf(s.tenantId, s.client.id, s.document.id);
    await bucketOf("test").put(`${prefix}crashed`, pdfBytes(8));
    // Now: the orphan is too young (maybe an attempt whose batch is about to commit).
    expect(await removeOrphans(bucketOf("test"), prefix, row!.fileKey)).toEqual([]);
    // Later: it goes; the committed file stays.
    const later = Date.now() + ORPHAN_MIN_AGE_MS + 1000;
    expect(await removeOrphans(bucketOf("test"), prefix, row!.fileKey, later)).toEqual([`${prefix}crashed`]);
    expect(await objectsOf("test", s.tenantId, s.client.id, s.document.id)).toEqual([row!.fileKey]);
  });

  it("a crash between the put and the D1 batch leaves no uploaded document without its object", async () => {
    // The put comes first (write/upload.ts): simulate the crash by an object with no D1 change.
    const s = await setUp(h);
    await bucketOf("test").put(`${filePrefixOf(s.tenantId, s.client.id, s.document.id)}attempt`, pdfBytes(8));
    const [row] = await h.rows("test", documents, { id: s.document.id });
    expect(row).toMatchObject({ status: "pending_upload", fileKey: null });
    // The document is still uploadable, and its file then is the new attempt's.
    const res = await upload(h, s.path, s.key, pdfBytes(32));
    expect(res.status).toBe(200);
    const [after] = await h.rows("test", documents, { id: s.document.id });
    expect(await bucketOf("test").head(after!.fileKey!)).not.toBeNull();
  });
});
