// HEAD wherever GET is (API.md §1; RFC 9110 §9.3.2): the same status and headers as GET, no body.
// `OPTIONS *` answers for the server (204 with Allow), with a request id; and when the pipeline
// itself fails, the answer is still a problem with a request id, never the runtime's bare 500.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { Env } from "../../src/env";
import { generateKey } from "../../src/http/keys";
import { createHarness } from "../support/harness";

const h = createHarness();
/** An Allow header's methods, in any order. */
const allowOf = (headers: Headers) => (headers.get("allow") ?? "").split(/,\s*/).sort();

/** GET's headers, less the ones that differ per request (id, D1 bookmark) or per body transfer. */
function comparableHeaders(headers: Headers): [string, string][] {
  return [...headers].filter(([name]) => !["x-request-id", "x-consistency-token", "content-length"].includes(name));
}

async function expectHeadLikeGet(path: string, key?: string) {
  const get = await h.get(path, { key });
  const head = await h.request("HEAD", path, { key });
  expect(head.status).toBe(get.status);
  expect(comparableHeaders(head.headers)).toEqual(comparableHeaders(get.headers));
  expect(head.headers.get("x-request-id")).toEqual(expect.any(String));
  expect(head.text).toBe("");
  expect(head.headers.get("content-length")).toBe(String(new TextEncoder().encode(get.text).byteLength));
  return { get, head };
}

describe("HEAD answers as GET would, without a body", () => {
  it("on /clients and /clients/{id} (ETag included)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    await expectHeadLikeGet("/clients", key);
    await expectHeadLikeGet(`/clients?externalId=nobody&limit=5`, key);
    const { head } = await expectHeadLikeGet(`/clients/${client.id}`, key);
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toMatch(/^"/);
  });

  it.each(["/openapi.json", "/docs", "/problems/bad-request"])("on %s", async (path) => {
    const { head } = await expectHeadLikeGet(path);
    expect(head.status).toBe(200);
  });

  it("with GET's errors: 401 without a key, 404 for an unknown client or path, 400 for a bad query", async () => {
    const { key } = await h.newTenantWithKey();
    for (const [path, status, withKey] of [
      ["/clients", 401, false],
      [`/clients/${crypto.randomUUID()}`, 404, true],
      ["/nowhere", 404, false],
      ["/problems/no-such-problem", 404, false],
      ["/clients?limit=0", 400, true],
    ] as const) {
      const { head } = await expectHeadLikeGet(path, withKey ? key : undefined);
      expect(head.status, path).toBe(status);
      expect(head.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("HEAD on a path without GET is a 405 like GET's, without a body", async () => {
    const head = await h.request("HEAD", "/clients/batch");
    expect(head.status).toBe(405);
    expect(head.headers.get("allow")).toBe("POST");
    expect(head.text).toBe("");
  });

  it.each([
    ["PUT", `/clients/${crypto.randomUUID()}`, ["DELETE", "GET", "HEAD"]],
    ["POST", "/clients", ["GET", "HEAD"]],
    ["PATCH", "/openapi.json", ["GET", "HEAD"]],
    ["DELETE", "/clients/batch", ["POST"]],
  ])("405 for %s %s lists HEAD wherever GET is: Allow: %s", async (method, path, allow) => {
    const res = await h.request(method, path);
    expect(res.status).toBe(405);
    expect(allowOf(res.headers)).toEqual(allow);
  });
});

describe("OPTIONS", () => {
  it("OPTIONS * answers for the server: 204, Allow with every method, a request id, no database", async () => {
    const res = await h.request("OPTIONS", "*", { headers: { "x-request-id": "opt-star-1" } });
    expect(res.status).toBe(204);
    expect(allowOf(res.headers)).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
    expect(res.headers.get("x-request-id")).toBe("opt-star-1");
    expect(res.text).toBe("");
    expect(res.stats.statementCount).toBe(0);
    const generated = await h.request("OPTIONS", "*");
    expect(generated.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("OPTIONS on a concrete path stays a 405 problem with Allow", async () => {
    const res = await h.request("OPTIONS", "/clients");
    expect(res.status).toBe(405);
    expect(allowOf(res.headers)).toEqual(["GET", "HEAD"]);
    expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
  });
});

describe("when the pipeline itself fails", () => {
  it("the answer is a 500 problem with the request id, never a bare runtime error", async () => {
    // A database wrapper and an error log that both throw: the error handler fails too.
    const app = createApp({
      wrapDatabase: () => {
        throw new Error("database wrapper down");
      },
      logError: () => {
        throw new Error("log down");
      },
    });
    const ctx = createExecutionContext();
    // A well-formed key: the database is opened once the key's own checks passed.
    const request = new Request("http://localhost/clients", {
      headers: { "x-environment": "test", "x-request-id": "last-resort-1", authorization: `Bearer ${generateKey("test")}` },
    });
    const res = await app.fetch(request, h.env as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-request-id")).toBe("last-resort-1");
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: 500, code: "INTERNAL_SERVER_ERROR", requestId: "last-resort-1" });
    expect(JSON.stringify(body)).not.toMatch(/down|stack/);
  });
});
