// Rate limits per API key (API.md §13): over the limit → 429 TOO_MANY_REQUESTS with Retry-After, and
// nothing read or written; one key's burst does not limit another key; reads and writes are counted
// apart. The limiters are wrangler.toml's real bindings (miniflare's local implementation); the
// production limits (hundreds a minute) are too high to reach here, so each test's env hands the app
// the same binding with a small `limit` (an option miniflare's local binding takes; the app itself
// only ever passes { key }).
//
// miniflare's windows are aligned to the wall clock (as Cloudflare's are), so a burst may straddle
// the end of a window: a burst of 2·limit + 1 requests within one 60 s period always meets a 429
// (two windows hold at most 2·limit), and the tests count what was allowed rather than assume it.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { clients } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { hashKey } from "../../src/http/keys";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/http/rate-limit";
import { createD1Guard } from "../support/d1-guard";
import { createHarness } from "../support/harness";

const h = createHarness();
const guard = createD1Guard();
const logged: { message: string; details: Record<string, unknown> }[] = [];
const app = createApp({ wrapDatabase: guard.wrap, logError: (message, details) => logged.push({ message, details }) });
const realEnv = workerEnv as unknown as Env;

const LIMIT = 3;
const BURST = 2 * LIMIT + 1;

/** The binding, with a test-sized limit, and the keys it was asked about. */
function limited(binding: RateLimit, keys: string[] = []): RateLimit {
  return {
    limit: (options) => {
      keys.push(options.key);
      return binding.limit({ ...options, limit: LIMIT } as RateLimitOptions);
    },
  };
}

interface Sent {
  status: number;
  headers: Headers;
  body: any;
  /** D1 round trips the request made, through the guard. */
  roundTrips: number;
}

async function send(env: Env, method: string, path: string, key: string, body?: unknown): Promise<Sent> {
  const headers = new Headers({ "x-environment": "test", authorization: `Bearer ${key}` });
  if (body !== undefined) headers.set("content-type", "application/json");
  const request = new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const ctx = createExecutionContext();
  const response = await app.fetch(request, env, ctx);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  const roundTrips = guard.recordsOf(request).reduce((n, r) => n + r.roundTrips, 0);
  return { status: response.status, headers: response.headers, body: text === "" ? null : JSON.parse(text), roundTrips };
}

const batchOf = (externalId: string) => ({ items: [{ type: "company", name: `Co ${externalId}`, externalId }] });

/** Sends `next(i)` until the first 429, at most BURST times; the allowed answers before it, and the 429. */
async function burst(next: (i: number) => Promise<Sent>, allowedStatus: number) {
  const allowed: Sent[] = [];
  for (let i = 0; i < BURST; i++) {
    const res = await next(i);
    if (res.status === 429) return { allowed, refused: res, refusedAt: i };
    expect(res.status).toBe(allowedStatus);
    allowed.push(res);
  }
  throw new Error(`no 429 in ${BURST} requests with a limit of ${LIMIT}`);
}

describe("rate limits per API key", () => {
  let env: Env;
  const writeKeys: string[] = [];
  beforeAll(() => {
    env = { ...realEnv, RATE_LIMIT_READS: limited(realEnv.RATE_LIMIT_READS), RATE_LIMIT_WRITES: limited(realEnv.RATE_LIMIT_WRITES, writeKeys) };
  });

  it("wrangler.toml's two limiters are bound", () => {
    expect(typeof realEnv.RATE_LIMIT_READS?.limit).toBe("function");
    expect(typeof realEnv.RATE_LIMIT_WRITES?.limit).toBe("function");
  });

  it("a write over the limit is a 429 problem with Retry-After, made no D1 call, and wrote nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const run = `x${crypto.randomUUID().slice(0, 8)}`;
    const { allowed, refused, refusedAt } = await burst((i) => send(env, "POST", "/clients/batch", key, batchOf(`${run}-${i}`)), 200);
    expect(allowed.length).toBeGreaterThanOrEqual(LIMIT);

    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe(String(RATE_LIMIT_PERIOD_SECONDS));
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, code: "TOO_MANY_REQUESTS", title: "Too Many Requests", errors: [] });
    expect(refused.body.type).toMatch(/\/problems\/too-many-requests$/);
    expect(typeof refused.body.requestId).toBe("string");
    // Refused before the key lookup: not one D1 round trip, so nothing read and nothing written.
    expect(refused.roundTrips).toBe(0);
    expect(await h.count("test", clients, tenantId)).toBe(allowed.length);
    expect(await h.rows("test", clients, { tenantId, externalId: `${run}-${refusedAt}` })).toEqual([]);
  });

  it("a read over the limit is a 429 with Retry-After, made no D1 call", async () => {
    const { key } = await h.newTenantWithKey();
    const { allowed, refused } = await burst(() => send(env, "GET", "/clients", key), 200);
    expect(allowed.length).toBeGreaterThanOrEqual(LIMIT);
    expect(refused.body).toMatchObject({ code: "TOO_MANY_REQUESTS", errors: [] });
    expect(refused.headers.get("retry-after")).toBe(String(RATE_LIMIT_PERIOD_SECONDS));
    expect(refused.roundTrips).toBe(0);
  });

  it("one key's burst does not limit another key, even of the same tenant", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const other = await h.createKey({ tenantId });
    const run = `y${crypto.randomUUID().slice(0, 8)}`;
    const { allowed } = await burst((i) => send(env, "POST", "/clients/batch", key, batchOf(`${run}-${i}`)), 200);
    const res = await send(env, "POST", "/clients/batch", other, batchOf(`${run}-other`));
    expect(res.status).toBe(200);
    expect(await h.count("test", clients, tenantId)).toBe(allowed.length + 1);
  });

  it("writes and reads are counted apart: a key out of writes still reads, and out of reads still writes", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const run = `z${crypto.randomUUID().slice(0, 8)}`;
    const { allowed } = await burst((i) => send(env, "POST", "/clients/batch", key, batchOf(`${run}-${i}`)), 200);
    const read = await send(env, "GET", "/clients", key);
    expect(read.status).toBe(200);
    expect(read.body.data).toHaveLength(allowed.length);

    const second = await h.newTenantWithKey();
    await burst(() => send(env, "GET", "/clients", second.key), 200);
    const write = await send(env, "POST", "/clients/batch", second.key, batchOf(`${run}-second`));
    expect(write.status).toBe(200);
    expect(await h.count("test", clients, second.tenantId)).toBe(1);
    // DELETE is a write too: out of writes, the key cannot delete.
    const refused = await send(env, "DELETE", `/clients/${write.body.data[0].id}`, key);
    expect(refused.status).toBe(429);
    expect(await h.count("test", clients, tenantId)).toBe(allowed.length);
  });

  it("the limiter is keyed by the key's SHA-256, never the key; malformed keys are not counted", async () => {
    const { key } = await h.newTenantWithKey();
    writeKeys.length = 0;
    await send(env, "POST", "/clients/batch", key, batchOf(`k${crypto.randomUUID().slice(0, 8)}`));
    expect(writeKeys).toEqual([await hashKey(key)]);

    writeKeys.length = 0;
    expect((await send(env, "POST", "/clients/batch", "sk_test_short", batchOf("never"))).status).toBe(401);
    expect((await send(env, "POST", "/clients/batch", key.replace("sk_test_", "sk_live_"), batchOf("never"))).status).toBe(401);
    expect(writeKeys).toEqual([]);
  });

  it("a failing limiter lets the request through and logs it", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const failing: RateLimit = { limit: () => Promise.reject(new Error("limiter unavailable")) };
    const before = logged.length;
    const res = await send({ ...realEnv, RATE_LIMIT_WRITES: failing }, "POST", "/clients/batch", key, batchOf(`f${crypto.randomUUID().slice(0, 8)}`));
    expect(res.status).toBe(200);
    expect(await h.count("test", clients, tenantId)).toBe(1);
    expect(logged.slice(before).map((l) => l.message)).toEqual(["rate limiter failed; request let through"]);
  });
});
