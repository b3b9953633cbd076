// The one error table (src/http/errors.ts): API.md §3's closed set of codes with their statuses,
// each served by GET /problems/{slug} with the table's title and description, and the title every
// problem of that code carries.
import { describe, expect, it } from "vitest";
import { ERROR_CODES, ERRORS } from "../../src/http/errors";
import { createHarness } from "../support/harness";

const h = createHarness();

/**
 * API.md §3, with RFC 9110's reason phrases (422: "Unprocessable Content"), and the two codes §11
 * ("Damaged record": 409 HISTORY_BROKEN), §15 (a file upload without its length: 411; a download
 * Range past the end: 416) and issue 20 (a full or overloaded database: 503) add.
 */
const CONTRACT = [
  ["BAD_REQUEST", 400, "Bad Request"],
  ["UNAUTHORIZED", 401, "Unauthorized"],
  ["FORBIDDEN", 403, "Forbidden"],
  ["NOT_FOUND", 404, "Not Found"],
  ["METHOD_NOT_ALLOWED", 405, "Method Not Allowed"],
  ["CONFLICT", 409, "Conflict"],
  ["HISTORY_BROKEN", 409, "History Broken"],
  ["PRECONDITION_FAILED", 412, "Precondition Failed"],
  ["LENGTH_REQUIRED", 411, "Length Required"],
  ["PAYLOAD_TOO_LARGE", 413, "Payload Too Large"],
  ["UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type"],
  ["RANGE_NOT_SATISFIABLE", 416, "Range Not Satisfiable"],
  ["UNPROCESSABLE_CONTENT", 422, "Unprocessable Content"],
  ["TOO_MANY_REQUESTS", 429, "Too Many Requests"],
  ["INTERNAL_SERVER_ERROR", 500, "Internal Server Error"],
  ["SERVICE_UNAVAILABLE", 503, "Service Unavailable"],
] as const;

describe("the error table", () => {
  it("holds exactly API.md §3's codes, with their statuses and titles, and a description each", () => {
    expect(ERROR_CODES).toEqual(CONTRACT.map(([code]) => code));
    for (const [code, status, title] of CONTRACT) {
      expect(ERRORS[code]).toMatchObject({ status, title });
      expect(ERRORS[code].description.length, code).toBeGreaterThan(10);
    }
  });

  it.each(CONTRACT)("GET /problems/{slug} of %s answers its row of the table", async (code, status, title) => {
    const slug = code.toLowerCase().replaceAll("_", "-");
    const res = await h.get(`/problems/${slug}`, { env: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ type: `http://localhost/problems/${slug}`, title, status, code, description: ERRORS[code].description });
  });

  it("a problem answered by the service carries its code's status and title", async () => {
    const answered = [
      [await h.get("/no-such-path", { env: null }), "NOT_FOUND"],
      [await h.get("/clients", { env: null }), "BAD_REQUEST"],
      [await h.get("/clients"), "UNAUTHORIZED"],
      [await h.request("PUT", "/clients"), "METHOD_NOT_ALLOWED"],
    ] as const;
    for (const [res, code] of answered) {
      expect(res.body, code).toMatchObject({ code, status: ERRORS[code].status, title: ERRORS[code].title });
      expect(res.status).toBe(ERRORS[code].status);
    }
  });
});
