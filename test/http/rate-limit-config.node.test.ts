// wrangler.toml as wrangler reads it: Smart Placement on, and the two rate limiters the Worker uses
// (src/env.ts), with the period src/http/rate-limit.ts answers in Retry-After; and the OpenAPI
// document tells of the 429 on every operation behind an API key.
import { readFileSync } from "node:fs";
import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/http/rate-limit";
import { openApiDocument } from "../../src/openapi/document";
import { OPERATIONS } from "../../src/routes";

interface RateLimitBinding {
  name: string;
  namespace_id: string;
  simple: { limit: number; period: number };
}

const config = unstable_readConfig({ config: new URL("../../wrangler.toml", import.meta.url).pathname });
const ratelimits = config.ratelimits as RateLimitBinding[];

describe("wrangler.toml: placement and rate limits", () => {
  it("runs with Smart Placement", () => {
    expect(config.placement?.mode).toBe("smart");
  });

  it("binds a reads limiter and a writes limiter, in their own namespaces, over the period Retry-After answers", () => {
    const byName = Object.fromEntries(ratelimits.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(["RATE_LIMIT_READS", "RATE_LIMIT_WRITES"]);
    expect(byName.RATE_LIMIT_READS!.namespace_id).not.toBe(byName.RATE_LIMIT_WRITES!.namespace_id);
    for (const limiter of ratelimits) {
      expect(limiter.simple.period).toBe(RATE_LIMIT_PERIOD_SECONDS);
      expect(limiter.simple.limit).toBeGreaterThan(0);
    }
  });

  it("are the limits the README states", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const limitOf = (name: string) => ratelimits.find((r) => r.name === name)!.simple.limit;
    expect(readme).toContain(`at most **${limitOf("RATE_LIMIT_READS")} reads**`);
    expect(readme).toContain(`**${limitOf("RATE_LIMIT_WRITES")} writes**`);
    expect(readme).toContain(`per ${RATE_LIMIT_PERIOD_SECONDS} seconds`);
    expect(readme).toContain(`Retry-After: ${RATE_LIMIT_PERIOD_SECONDS}`);
  });
});

describe("the OpenAPI document", () => {
  it("documents the 429 of every operation behind an API key", () => {
    const document = openApiDocument("http://localhost:8787") as Record<string, any>;
    const keyed = OPERATIONS.filter((o) => o.permissions && o.doc);
    expect(keyed.length).toBeGreaterThan(0);
    for (const operation of keyed) {
      expect(Object.keys(document.paths[operation.path]![operation.method.toLowerCase()]!.responses), `${operation.method} ${operation.path}`).toContain("429");
    }
  });
});
