// The signing of presigned uploads (API.md §15, src/files/presign.ts): AWS's published SigV4
// presigned-URL example (S3 "Authenticating Requests: Using Query Parameters", GET test.txt of
// examplebucket with AKIAIOSFODNN7EXAMPLE on 2013-05-24, 86400 s), then what the upload URL binds.
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { presign, presignFilePut, PRESIGN_TTL_SECONDS, s3SettingsOf } from "../../src/files/presign";

const AWS_EXAMPLE = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

describe("SigV4 query signing", () => {
  it("gives AWS's documented signature for its presigned GET example", async () => {
    const signed = await presign({
      method: "GET",
      url: "https://examplebucket.s3.amazonaws.com/test.txt",
      credentials: AWS_EXAMPLE,
      region: "us-east-1",
      expiresSeconds: 86400,
      now: new Date("2013-05-24T00:00:00Z"),
    });
    const url = new URL(signed.url);
    expect(url.origin + url.pathname).toBe("https://examplebucket.s3.amazonaws.com/test.txt");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
      "X-Amz-Date": "20130524T000000Z",
      "X-Amz-Expires": "86400",
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    });
    expect(signed.expiresAt).toBe("2013-05-25T00:00:00.000Z");
  });

  it("a different secret, time or expiry gives another signature (the vector is not a constant)", async () => {
    const base = { method: "GET" as const, url: "https://examplebucket.s3.amazonaws.com/test.txt", region: "us-east-1", expiresSeconds: 86400, now: new Date("2013-05-24T00:00:00Z") };
    const signatureOf = async (over: Partial<typeof base> & { credentials?: typeof AWS_EXAMPLE }) =>
      new URL((await presign({ ...base, credentials: AWS_EXAMPLE, ...over })).url).searchParams.get("X-Amz-Signature");
    const reference = await signatureOf({});
    expect(await signatureOf({ credentials: { ...AWS_EXAMPLE, secretAccessKey: "other" } })).not.toBe(reference);
    expect(await signatureOf({ now: new Date("2013-05-24T00:00:01Z") })).not.toBe(reference);
    expect(await signatureOf({ expiresSeconds: 900 })).not.toBe(reference);
  });
});

describe("the upload URL of a document file", () => {
  const settings = { accountId: "0123456789abcdef0123456789abcdef", bucket: "clients-api-files-test", credentials: AWS_EXAMPLE };
  const sha256 = "a".repeat(64);
  const key = "files/tenant-a/11111111-1111-4111-8111-111111111111/22222222-2222-4222-8222-222222222222/33333333-3333-4333-8333-333333333333";

  it("is a PUT of R2's S3 endpoint, 15 minutes, signing size, type and SHA-256 besides host", async () => {
    const now = new Date("2026-12-07T12:00:00Z");
    const signed = await presignFilePut(settings, key, { size: 1234, sha256, contentType: "application/pdf" }, now);
    const url = new URL(signed.url);
    expect(url.origin).toBe(`https://${settings.accountId}.r2.cloudflarestorage.com`);
    expect(url.pathname).toBe(`/clients-api-files-test/${key}`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe(String(PRESIGN_TTL_SECONDS));
    expect(PRESIGN_TTL_SECONDS).toBeLessThanOrEqual(900);
    expect(url.searchParams.get("X-Amz-Credential")).toBe("AKIAIOSFODNN7EXAMPLE/20261207/auto/s3/aws4_request");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host;x-amz-checksum-sha256");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.expiresAt).toBe("2026-12-07T12:15:00.000Z");
    expect(signed.headers).toEqual({
      "content-length": "1234",
      "content-type": "application/pdf",
      "x-amz-checksum-sha256": btoa(String.fromCharCode(...new Uint8Array(32).fill(0xaa))),
    });
  });

  it("another declared size or SHA-256 is another signature (the grant is bound to them)", async () => {
    const now = new Date("2026-12-07T12:00:00Z");
    const sig = async (file: { size: number; sha256: string }) =>
      new URL((await presignFilePut(settings, key, { ...file, contentType: "application/pdf" }, now)).url).searchParams.get("X-Amz-Signature");
    const reference = await sig({ size: 1234, sha256 });
    expect(await sig({ size: 1235, sha256 })).not.toBe(reference);
    expect(await sig({ size: 1234, sha256: "b".repeat(64) })).not.toBe(reference);
  });
});

describe("the S3 settings", () => {
  const full = { R2_ACCOUNT_ID: "acc", R2_ACCESS_KEY_ID: "id", R2_SECRET_ACCESS_KEY: "secret", FILES_TEST_BUCKET: "t", FILES_LIVE_BUCKET: "l" } as unknown as Env;
  it("come from the Worker's settings, the bucket per environment; a missing one is named (the 500's log)", () => {
    expect(s3SettingsOf(full, "test")).toEqual({ accountId: "acc", bucket: "t", credentials: { accessKeyId: "id", secretAccessKey: "secret" } });
    expect(s3SettingsOf(full, "live")).toMatchObject({ bucket: "l" });
    expect(s3SettingsOf({ ...full, R2_SECRET_ACCESS_KEY: undefined } as Env, "test")).toEqual({ missing: "R2_SECRET_ACCESS_KEY" });
    expect(s3SettingsOf({ ...full, FILES_LIVE_BUCKET: "" } as Env, "live")).toEqual({ missing: "FILES_LIVE_BUCKET" });
  });
});
