// Presigned uploads of document files (API.md §15): an S3 SigV4 query-signed PUT for R2's S3 API
// (aws4fetch's signer), valid PRESIGN_TTL_SECONDS, whose signed headers bind the object to the size,
// SHA-256 and type the caller declared: Content-Length, Content-Type and x-amz-checksum-sha256 (R2
// refuses bytes whose SHA-256 differs). The credentials are Worker secrets; local R2 (miniflare)
// has no S3 API, so a local URL cannot be used (README) — the tests check the signing against
// AWS's published example and the completion against local R2.
import { AwsV4Signer } from "aws4fetch";
import type { Env, Environment } from "../env";
import { hexToBase64 } from "./upload";

/** A presigned URL is valid 15 minutes at most (API.md §15). */
export const PRESIGN_TTL_SECONDS = 15 * 60;

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface PresignInput {
  method: "GET" | "PUT";
  /** The object's URL, without query. */
  url: string;
  credentials: S3Credentials;
  region: string;
  /** Headers the request must carry, all of them signed (besides host). */
  headers?: Record<string, string>;
  expiresSeconds: number;
  now: Date;
}

export interface Presigned {
  url: string;
  expiresAt: string;
  /** The headers to send with it, exactly (they are signed). */
  headers: Record<string, string>;
}

const amzDate = (at: Date) => at.toISOString().replace(/[:-]|\.\d{3}/g, "");

/** A SigV4 query-signed URL (AWS "Authenticating Requests: Using Query Parameters"). */
export async function presign(input: PresignInput): Promise<Presigned> {
  const url = new URL(input.url);
  url.searchParams.set("X-Amz-Expires", String(input.expiresSeconds));
  const signer = new AwsV4Signer({
    method: input.method,
    url: url.toString(),
    headers: input.headers ?? {},
    accessKeyId: input.credentials.accessKeyId,
    secretAccessKey: input.credentials.secretAccessKey,
    service: "s3",
    region: input.region,
    signQuery: true,
    // Content-Length and Content-Type are signed too: the size and type are part of the grant.
    allHeaders: true,
    datetime: amzDate(input.now),
  });
  const signed = await signer.sign();
  return {
    url: signed.url.toString(),
    expiresAt: new Date(input.now.getTime() + input.expiresSeconds * 1000).toISOString(),
    headers: { ...(input.headers ?? {}) },
  };
}

/** The R2 S3 API's settings of an environment, or the name of the first one missing. */
export function s3SettingsOf(env: Env, environment: Environment): { accountId: string; bucket: string; credentials: S3Credentials } | { missing: string } {
  const bucket = environment === "test" ? env.FILES_TEST_BUCKET : env.FILES_LIVE_BUCKET;
  const settings = {
    R2_ACCOUNT_ID: env.R2_ACCOUNT_ID,
    R2_ACCESS_KEY_ID: env.R2_ACCESS_KEY_ID,
    R2_SECRET_ACCESS_KEY: env.R2_SECRET_ACCESS_KEY,
    [environment === "test" ? "FILES_TEST_BUCKET" : "FILES_LIVE_BUCKET"]: bucket,
  };
  const missing = Object.entries(settings).find(([, value]) => !value)?.[0];
  if (missing) return { missing };
  return { accountId: env.R2_ACCOUNT_ID!, bucket: bucket!, credentials: { accessKeyId: env.R2_ACCESS_KEY_ID!, secretAccessKey: env.R2_SECRET_ACCESS_KEY! } };
}

/** The presigned PUT of one object of R2 (path-style URL of the account's S3 endpoint, region "auto"). */
export function presignFilePut(
  settings: { accountId: string; bucket: string; credentials: S3Credentials },
  key: string,
  file: { size: number; sha256: string; contentType: string },
  now = new Date(),
): Promise<Presigned> {
  const path = key.split("/").map(encodeURIComponent).join("/");
  return presign({
    method: "PUT",
    url: `https://${settings.accountId}.r2.cloudflarestorage.com/${encodeURIComponent(settings.bucket)}/${path}`,
    credentials: settings.credentials,
    region: "auto",
    headers: {
      "content-length": String(file.size),
      "content-type": file.contentType,
      "x-amz-checksum-sha256": hexToBase64(file.sha256),
    },
    expiresSeconds: PRESIGN_TTL_SECONDS,
    now,
  });
}
