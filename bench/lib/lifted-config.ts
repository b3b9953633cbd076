// wrangler.toml with the rate limits lifted: the bench measures the Worker, and its workloads send
// more requests per minute with one key than a key may (API.md §13). Written next to wrangler.toml,
// so that its relative paths hold; git-ignored (.bench*.wrangler.toml). The caller removes it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function writeLiftedConfig(projectRoot: string, name: string): string {
  const path = join(projectRoot, `.bench-${name}.wrangler.toml`);
  const original = readFileSync(join(projectRoot, "wrangler.toml"), "utf8");
  writeFileSync(path, original.replace(/simple = \{ limit = \d+, period = (\d+) \}/g, "simple = { limit = 1000000, period = $1 }"));
  return path;
}
