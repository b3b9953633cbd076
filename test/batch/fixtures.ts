// Shared fixtures of the POST /clients/batch tests (API.md §4.1, §5, §9).
import { expect } from "vitest";
import { FULL_CLIENT_KEYS } from "../support/contract-keys";
import type { ApiResponse, Harness } from "../support/harness";

export { FULL_CLIENT_KEYS };

export const PROBLEM_KEYS = ["type", "title", "status", "code", "detail", "requestId"];

let counter = 0;
/** A fresh externalId (storage is shared by every test of a file). */
export const xid = (label = "c") => `${label}-${(++counter).toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

/** CURP check digit, written here independently of src/validators (alphabet 0-9A-NÑO-Z, weights 18…2). */
export function curpWithCheckDigit(first17: string): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";
  let sum = 0;
  [...first17].forEach((c, i) => (sum += alphabet.indexOf(c) * (18 - i)));
  return first17 + String((10 - (sum % 10)) % 10);
}

/** A CURP that verifies, and one whose check digit is off by one. */
export const VALID_CURP = curpWithCheckDigit("GOMA800101HDFRRN0");
export const BAD_CHECK_CURP = VALID_CURP.slice(0, 17) + String((Number(VALID_CURP[17]) + 1) % 10);

/** UTC today and tomorrow as YYYY-MM-DD. */
export const today = () => new Date().toISOString().slice(0, 10);
export const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

/** The sorted, de-duplicated pointers of a problem's `errors`. */
export function pointers(body: { errors?: { pointer: string }[] }): string[] {
  return [...new Set((body.errors ?? []).map((e) => e.pointer))].sort();
}

/** Every error entry is a {pointer, code, detail} with non-empty strings. */
export function expectWellFormedErrors(body: { errors?: unknown[] }) {
  expect(Array.isArray(body.errors)).toBe(true);
  for (const error of body.errors ?? []) {
    expect(Object.keys(error as object).sort()).toEqual(["code", "detail", "pointer"]);
    const e = error as { pointer: string; code: string; detail: string };
    expect(e.pointer).toMatch(/^\/items\/\d+(\/.*)?$|^\/[A-Za-z]*$|^$/);
    expect(e.code.length).toBeGreaterThan(0);
    expect(e.detail.length).toBeGreaterThan(0);
  }
}

/** A problem+json body of the given code. */
export function expectProblem(res: ApiResponse, status: number, code: string, withErrors = true) {
  expect(res.status, res.text.slice(0, 2000)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(res.body.status).toBe(status);
  expect(res.body.code).toBe(code);
  expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
  if (withErrors) expectWellFormedErrors(res.body);
}

/** POST /clients/batch. */
export const batch = (h: Harness, key: string, body: unknown, env: "test" | "live" = "test") =>
  h.post("/clients/batch", body, { key, env });

/** Every returned client equals what GET /clients/{id} answers for it. */
export async function expectEqualToGet(h: Harness, key: string, data: { id: string }[], env: "test" | "live" = "test") {
  for (const client of data) {
    const get = await h.get(`/clients/${client.id}`, { key, env });
    expect(get.status).toBe(200);
    expect(get.body).toEqual(client);
    expect(Object.keys(get.body)).toEqual(FULL_CLIENT_KEYS);
    expect(Object.keys(client)).toEqual(FULL_CLIENT_KEYS);
  }
}

/** A minimal valid item. */
export const minimal = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ type: "individual", name: "Ana", ...over });
