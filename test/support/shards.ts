// Shards in the tests (API.md §17): each environment has two (vitest.config.ts). Each test file's
// harness puts its tenants on one of them, chosen by the file's path, so that the whole suite runs
// on both shards; SHARD=0 or SHARD=1 (`SHARD=1 npm test`) puts every file on one.
import { expect, inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    SHARD: string;
  }
}

export const TEST_SHARDS = 2;

/** The shard of the running test file's tenants. */
export function fileShard(): number {
  const forced = inject("SHARD");
  if (forced === "0" || forced === "1") return Number(forced);
  // The path from the project root: the same shard on every machine and checkout.
  const absolute = expect.getState().testPath ?? "";
  const path = absolute.slice(Math.max(0, absolute.lastIndexOf("/test/")));
  let hash = 0;
  for (const c of path) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return hash % TEST_SHARDS;
}
