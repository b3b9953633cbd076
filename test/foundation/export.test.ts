// The Worker's real default export (src/index.ts), called the way the runtime calls it.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";

const h = createHarness();
const worker = exports.default;

describe("the default export", () => {
  it("answers a 404 problem for an unknown path", async () => {
    const res = await worker.fetch("http://localhost/nowhere");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await res.json<any>();
    expect(body).toMatchObject({ status: 404, code: "NOT_FOUND", requestId: res.headers.get("x-request-id") });
  });

  it("answers 401 without a key, and 200 with one, from the real D1 bindings", async () => {
    const unauthorized = await worker.fetch("http://localhost/clients", { headers: { "x-environment": "test" } });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ code: "UNAUTHORIZED" });

    const tenantId = h.newTenant();
    const key = await h.createKey({ env: "live", tenantId });
    const client = await h.seedClient("live", tenantId);
    const ok = await worker.fetch(`http://localhost/clients/${client.id}`, {
      headers: { "x-environment": "live", authorization: `Bearer ${key}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toMatch(/^"/);
    expect(await ok.json()).toMatchObject({ id: client.id });
  });
});
