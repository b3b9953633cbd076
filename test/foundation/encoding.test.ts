// The one SHA-256-hex and the one base64url helper (src/encoding.ts), on known vectors, and where
// the API relies on them: stored key hashes, generated keys, and the ETag (a hash of exactly the
// body a GET answers).
import { describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/schema";
import { base64url, sha256Hex } from "../../src/encoding";
import { createHarness } from "../support/harness";

const h = createHarness();

describe("sha256Hex", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["Pérez ✓", "78bff9a3cb5fd716965e2eb20e4b51d3205744ebc7a0c8f000ed3d880e68cbfb"], // UTF-8
  ])("%j", async (text, hex) => {
    expect(await sha256Hex(text)).toBe(hex);
  });
});

describe("base64url", () => {
  it.each([
    [[], ""],
    [[0xff], "_w"],
    [[0xfb, 0xff, 0xbf], "-_-_"],
  ])("%j → %j (URL alphabet, no padding)", (bytes, text) => {
    expect(base64url(new Uint8Array(bytes))).toBe(text);
  });
  it("all 256 byte values", () => {
    const text = base64url(new Uint8Array(Array.from({ length: 256 }, (_, i) => i)));
    expect(text).toHaveLength(342);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(text.endsWith("Hy8_T19vf4-fr7_P3-_w")).toBe(true);
  });
});

describe("where the API uses them", () => {
  it("a key is sk_<env>_ (+ s<shard>_ past shard 0) + 43 base64url characters, and api_keys stores its SHA-256 hex", async () => {
    const tenantId = h.newTenant();
    const key = await h.createKey({ tenantId });
    expect(key).toMatch(h.shard === 0 ? /^sk_test_[A-Za-z0-9_-]{43}$/ : new RegExp(`^sk_test_s${h.shard}_[A-Za-z0-9_-]{43}$`));
    const [row] = await h.rows("test", apiKeys, { tenantId });
    expect(row!.keyHash).toBe(await sha256Hex(key));
    expect((await h.get("/clients", { key })).status).toBe(200);
  });

  it("a client's ETag is the first 128 bits of the SHA-256 of the body GET answers", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId, { name: "Éva" });
    await h.seedAddress("test", client);
    const res = await h.get(`/clients/${client.id}`, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`"${(await sha256Hex(res.text)).slice(0, 32)}"`);
  });
});
