// Helpers of the document file tests (API.md §15): a tenant with a client and a pending document,
// uploads through the harness, and what the environment's bucket holds.
import { env as workerEnv } from "cloudflare:workers";
import type { Environment, Harness } from "../support/harness";

export const bucketOf = (environment: Environment): R2Bucket => (environment === "test" ? workerEnv.FILES_TEST : workerEnv.FILES_LIVE);

/** The keys under a document's prefix in its environment's bucket. */
export async function objectsOf(environment: Environment, tenantId: string, clientId: string, documentId: string): Promise<string[]> {
  const listed = await bucketOf(environment).list({ prefix: `files/${tenantId}/${clientId}/${documentId}/` });
  return listed.objects.map((o) => o.key);
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function reprDigest(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `sha-256=:${btoa(String.fromCharCode(...digest))}:`;
}

/** Bytes that look like a PDF, different for each call. */
export function pdfBytes(size = 2048): Uint8Array {
  const bytes = new Uint8Array(size);
  crypto.getRandomValues(bytes.subarray(0, Math.min(size, 65536)));
  bytes.set(new TextEncoder().encode("%PDF-1.7\n").subarray(0, size));
  return bytes;
}

export async function setUp(h: Harness, environment: Environment = "test") {
  const { tenantId, key } = await h.newTenantWithKey(environment);
  const client = await h.seedClient(environment, tenantId);
  const document = await h.seedDocument(environment, client, { contentType: "application/pdf" });
  const path = `/clients/${client.id}/documents/${document.id}/file`;
  return { tenantId, key, client, document, path };
}

export function upload(h: Harness, path: string, key: string, bytes: Uint8Array, headers: Record<string, string> = {}, environment: Environment = "test") {
  return h.request("PUT", path, {
    env: environment,
    key,
    body: bytes,
    headers: { "content-type": "application/pdf", "content-length": String(bytes.byteLength), ...headers },
  });
}
