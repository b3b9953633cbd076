// Retention of document files (API.md §15): a DELETE erases no file; `npm run purge`'s core
// (src/db/purge.ts purgeExpired with the bucket) erases the files of clients deleted before the
// cutoff — first the files, then the history — and nothing else: not a client deleted after the
// cutoff, not a live client's, not another tenant's, not the other environment's.
import { describe, expect, it } from "vitest";
import { clientFilesPrefix, purgeExpired } from "../../src/db/purge";
import { clientFilesPrefixOf } from "../../src/files/upload";
import type { Environment } from "../../src/env";
import { createHarness } from "../support/harness";
import { bucketOf, pdfBytes, setUp, upload } from "./support";

const h = createHarness();

const executor = (environment: Environment) => async (statements: string[]) => {
  const d1 = h.binding(environment);
  const results = await d1.batch(statements.map((sql) => d1.prepare(sql)));
  return results.map((r) => (r.results ?? []) as Record<string, unknown>[]);
};

async function withFile(environment: Environment = "test") {
  const s = await setUp(h, environment);
  expect((await upload(h, s.path, s.key, pdfBytes(300), {}, environment)).status).toBe(200);
  return s;
}

const filesOf = async (environment: Environment, tenantId: string, clientId: string) =>
  (await bucketOf(environment).list({ prefix: clientFilesPrefix(tenantId, clientId) })).objects.map((o) => o.key);

describe("retention of files", () => {
  it("the prefix purge erases is the one uploads write under", () => {
    expect(clientFilesPrefix("t1", "c1")).toBe(clientFilesPrefixOf("t1", "c1"));
  });

  it("DELETE of the client keeps its file (only purge erases it)", async () => {
    const s = await withFile();
    expect((await h.delete(`/clients/${s.client.id}`, { key: s.key })).status).toBe(200);
    expect(await filesOf("test", s.tenantId, s.client.id)).toHaveLength(1);
  });

  it("purge erases the files of clients deleted before the cutoff, and nothing else", async () => {
    const expired = await withFile();
    const otherTenant = await withFile();
    const live = await withFile();
    const liveEnv = await withFile("live");
    expect((await h.delete(`/clients/${expired.client.id}`, { key: expired.key })).status).toBe(200);
    expect((await h.delete(`/clients/${otherTenant.client.id}`, { key: otherTenant.key })).status).toBe(200);
    expect((await h.delete(`/clients/${liveEnv.client.id}`, { env: "live", key: liveEnv.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const cutoff = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const recent = await withFile();
    expect((await h.delete(`/clients/${recent.client.id}`, { key: recent.key })).status).toBe(200);

    const erased = await purgeExpired(executor("test"), cutoff, 100, bucketOf("test"));
    const byClient = new Map(erased.map((e) => [e.clientId, e]));
    expect(byClient.get(expired.client.id)?.files).toBe(1);
    expect(byClient.get(otherTenant.client.id)?.files).toBe(1);
    expect(byClient.has(recent.client.id)).toBe(false);
    expect(await filesOf("test", expired.tenantId, expired.client.id)).toEqual([]);
    expect(await filesOf("test", otherTenant.tenantId, otherTenant.client.id)).toEqual([]);
    // Deleted after the cutoff, never deleted, or in the other environment: kept.
    expect(await filesOf("test", recent.tenantId, recent.client.id)).toHaveLength(1);
    expect(await filesOf("test", live.tenantId, live.client.id)).toHaveLength(1);
    expect(await filesOf("live", liveEnv.tenantId, liveEnv.client.id)).toHaveLength(1);
    // The live client's file is still served.
    expect((await h.get(live.path, { key: live.key })).status).toBe(200);
  });
});
