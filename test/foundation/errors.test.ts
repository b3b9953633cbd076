// Error responses (API.md §1, §3): RFC 9457 problems, request ids, 404/405/413/415/400, and a 500
// that says nothing internal. Body checks go through POST /clients/batch: its body is read first.
import { describe, expect, it } from "vitest";
import { clients } from "../../src/db/schema";
import { MAX_BODY_BYTES } from "../../src/http/body";
import { createHarness } from "../support/harness";

const h = createHarness();
const PROBLEM_KEYS = ["type", "title", "status", "code", "detail", "requestId"];

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string, title: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const keys = Object.keys(res.body);
  expect(keys.slice(0, PROBLEM_KEYS.length)).toEqual(PROBLEM_KEYS);
  // API.md §3: every problem carries `errors`, `[]` when there is nothing to point at.
  expect(keys.filter((k) => !PROBLEM_KEYS.includes(k))).toEqual(["errors"]);
  expect(Array.isArray(res.body.errors)).toBe(true);
  expect(res.body).toMatchObject({ status, code, title, type: `http://localhost/problems/${code.toLowerCase().replaceAll("_", "-")}` });
  expect(typeof res.body.detail).toBe("string");
  expect(res.body.detail.length).toBeGreaterThan(0);
  expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
}

describe("problem documents", () => {
  it("every error is an RFC 9457 problem whose type URI describes it", async () => {
    const res = await h.get(`/nowhere`);
    expectProblem(res, 404, "NOT_FOUND", "Not Found");
    const described = await h.get(new URL(res.body.type).pathname);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ type: res.body.type, title: "Not Found", status: 404, code: "NOT_FOUND" });
    expect(described.body.description).toEqual(expect.any(String));
    expectProblem(await h.get(`/problems/no-such-problem`), 404, "NOT_FOUND", "Not Found");
  });

  it("validation problems list their errors with JSON Pointers", async () => {
    const { key } = await h.newTenantWithKey();
    const res = await h.get(`/clients?limit=0&cursor=bad&extra=1`, { key });
    expectProblem(res, 400, "BAD_REQUEST", "Bad Request");
    expect(res.body.errors.map((e: any) => e.pointer).sort()).toEqual(["/cursor", "/extra", "/limit"]);
    for (const error of res.body.errors) expect(Object.keys(error)).toEqual(["pointer", "code", "detail"]);
  });
});

describe("X-Request-Id", () => {
  it.each(["abc-123", "req_0123456789abcdef", "a.b:c_d-e", "x".repeat(128)])("echoes a sane id (%s)", async (id) => {
    const { key } = await h.newTenantWithKey();
    const ok = await h.get(`/clients`, { key, headers: { "x-request-id": id } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toBe(id);
    const failed = await h.get(`/nowhere`, { headers: { "x-request-id": id } });
    expect(failed.headers.get("x-request-id")).toBe(id);
    expect(failed.body.requestId).toBe(id);
  });

  it.each([
    ["spaces", "has spaces"],
    ["too long", "x".repeat(129)],
    ["markup", "<script>"],
    ["quotes", '"quoted"'],
    ["empty", ""],
  ])("generates one instead of an insane id (%s)", async (_name, id) => {
    const res = await h.get(`/nowhere`, { headers: { "x-request-id": id } });
    const generated = res.headers.get("x-request-id");
    expect(generated).toMatch(/^req_[0-9a-f]{32}$/);
    expect(res.body.requestId).toBe(generated);
  });

  it("generates a fresh one per request when none is sent, on successes too", async () => {
    const { key } = await h.newTenantWithKey();
    const a = await h.get(`/clients`, { key });
    const b = await h.get(`/clients`, { key });
    expect(a.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(b.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });
});

describe("routing", () => {
  it.each(["/", "/nowhere", "/client", "/clients/batch/extra", `/clients/${crypto.randomUUID()}/addresses`, "/v1/clients"])(
    "404 for an unknown path (%s), before any authentication",
    async (path) => {
      const res = await h.get(path);
      expectProblem(res, 404, "NOT_FOUND", "Not Found");
      expect(res.stats.statementCount).toBe(0);
    },
  );

  it.each([
    // HEAD works wherever GET does (API.md §1), so Allow names it too.
    ["PUT", `/clients/${crypto.randomUUID()}`, ["GET", "HEAD", "DELETE"]],
    ["PATCH", `/clients/${crypto.randomUUID()}`, ["GET", "HEAD", "DELETE"]],
    ["POST", `/clients/${crypto.randomUUID()}`, ["GET", "HEAD", "DELETE"]],
    ["POST", "/clients", ["GET", "HEAD"]],
    ["DELETE", "/clients", ["GET", "HEAD"]],
  ])("405 for %s %s, with Allow", async (method, path, allowed) => {
    await expect405(method, path, allowed);
  });

  it.each([
    ["GET", "/clients/batch"],
    ["DELETE", "/clients/batch"],
    ["GET", "/clients/sync"],
  ])("405 for %s %s", async (method, path) => {
    const res = await h.request(method, path);
    expectProblem(res, 405, "METHOD_NOT_ALLOWED", "Method Not Allowed");
    expect(res.headers.get("allow")).toContain("POST");
  });

  // /clients/batch also matches the /clients/:id pattern; Allow must not offer GET or DELETE on it.
  it.each([
    ["GET", "/clients/batch", ["POST"]],
    ["DELETE", "/clients/batch", ["POST"]],
    ["GET", "/clients/sync", ["POST"]],
  ])("Allow of %s %s lists only the literal route's methods", async (method, path, allowed) => {
    await expect405(method, path, allowed);
  });

  async function expect405(method: string, path: string, allowed: string[]) {
    const res = await h.request(method, path, { headers: { authorization: "Bearer nonsense" } });
    expectProblem(res, 405, "METHOD_NOT_ALLOWED", "Method Not Allowed");
    const allow = res.headers.get("allow");
    expect(allow?.split(/,\s*/).sort()).toEqual([...allowed].sort());
  }
});

describe("request bodies (POST /clients/batch)", () => {
  it.each([
    ["text/plain", "text/plain"],
    ["form data", "application/x-www-form-urlencoded"],
    ["no content type", null],
  ])("415 for %s", async (_name, contentType) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
    const res = await h.post(`/clients/batch`, JSON.stringify({ items: [{ type: "individual", name: "A" }] }), {
      key,
      headers,
    });
    expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type");
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("413 for a body over 5 MiB with a Content-Length", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = `{"items":[],"pad":"${"x".repeat(MAX_BODY_BYTES)}"}`;
    const res = await h.post(`/clients/batch`, body, {
      key,
      headers: { "content-type": "application/json", "content-length": String(body.length) },
    });
    expectProblem(res, 413, "PAYLOAD_TOO_LARGE", "Payload Too Large");
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("413 for a streamed body over 5 MiB without a Content-Length", async () => {
    const { key } = await h.newTenantWithKey();
    const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"pad":"'));
      },
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await h.post(`/clients/batch`, stream, { key, headers: { "content-type": "application/json" } });
    expectProblem(res, 413, "PAYLOAD_TOO_LARGE", "Payload Too Large");
  });

  it("a body of exactly 5 MiB is read (and then validated)", async () => {
    const { key } = await h.newTenantWithKey();
    const start = '{"items":[]}';
    const body = start + " ".repeat(MAX_BODY_BYTES - start.length);
    const res = await h.post(`/clients/batch`, body, { key, headers: { "content-type": "application/json" } });
    expectProblem(res, 400, "BAD_REQUEST", "Bad Request");
  });

  it.each([
    ["truncated JSON", '{"items": ['],
    ["trailing garbage", '{"items": []} x'],
    ["single quotes", "{'items': []}"],
    ["empty body", ""],
    ["only spaces", "   "],
  ])("400 for malformed JSON: %s", async (_name, body) => {
    const { key } = await h.newTenantWithKey();
    const res = await h.post(`/clients/batch`, body, { key, headers: { "content-type": "application/json" } });
    expectProblem(res, 400, "BAD_REQUEST", "Bad Request");
  });

  it("400 for bytes that are not UTF-8", async () => {
    const { key } = await h.newTenantWithKey();
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
    const res = await h.post(`/clients/batch`, bytes, { key, headers: { "content-type": "application/json" } });
    expectProblem(res, 400, "BAD_REQUEST", "Bad Request");
  });

  it("the body is checked only after authentication", async () => {
    const res = await h.post(`/clients/batch`, "not json", { headers: { "content-type": "text/plain" } });
    expectProblem(res, 401, "UNAUTHORIZED", "Unauthorized");
  });
});

describe("500", () => {
  it("says nothing internal, carries the request id, and logs the full error with it", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    h.guard.failStatement = (info) => info.sql.includes("FROM addresses x"); // the graph read
    const logsBefore = h.logs.length;
    let res;
    try {
      res = await h.get(`/clients/${client.id}`, { key, headers: { "x-request-id": "trace-500" } });
    } finally {
      h.guard.failStatement = undefined;
    }
    expectProblem(res, 500, "INTERNAL_SERVER_ERROR", "Internal Server Error");
    expect(res.body.requestId).toBe("trace-500");
    expect(res.body.errors).toEqual([]);
    for (const leak of ["D1_ERROR", "SQLITE", "select", "from", "json", "malformed", "Error:", "    at ", ".ts", "addresses"]) {
      expect(res.text).not.toContain(leak);
    }
    const logged = h.logs.slice(logsBefore);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.details).toMatchObject({ requestId: "trace-500", method: "GET", path: `/clients/${client.id}` });
    expect(JSON.stringify(logged[0]!.details)).toContain("malformed JSON");
    // Nothing was left half done, and the next request is fine.
    expect((await h.get(`/clients/${client.id}`, { key })).status).toBe(200);
  });
});
