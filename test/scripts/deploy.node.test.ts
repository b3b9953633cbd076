// `npm run deploy -- --dry-run` (scripts/deploy.ts), run for real: it prints every step — the R2
// bucket lock rule of the retention period on files/ for each files bucket (API.md §15) among
// them, before the Worker — and runs none (no wrangler, no network).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { lockRetentionDays, lockRules } from "../../scripts/lib/bucket-lock";
import { projectConfig, retentionYears } from "../../scripts/lib/retention";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = join(ROOT, "node_modules", ".bin", "node");

describe("deploy --dry-run", () => {
  it("prints the bucket lock rule of each files bucket (retention in days, prefix files/) before the Worker, and runs nothing", () => {
    const run = spawnSync(NODE, ["scripts/deploy.ts", "--dry-run"], {
      cwd: ROOT,
      encoding: "utf8",
      // Any wrangler call would need these: none is made.
      env: { ...process.env, CLOUDFLARE_API_TOKEN: "", NO_COLOR: "1", PATH: "/nonexistent" },
    });
    expect(run.status, run.stderr).toBe(0);
    const steps = run.stdout.split("\n").filter((l) => l.startsWith("  $ wrangler ")).map((l) => l.slice("  $ wrangler ".length));
    expect(steps).toEqual([
      "d1 migrations apply DB_TEST_0 --remote",
      "d1 migrations apply DB_LIVE_0 --remote",
      "r2 bucket lock add clients-api-files-test kyc-retention files/ --retention-days 3653 --force",
      "r2 bucket lock add clients-api-files-live kyc-retention files/ --retention-days 3653 --force",
      "deploy",
    ]);
    expect(run.stdout).toMatch(/nothing is run/);
  });

  it("the rule follows wrangler.toml: HISTORY_RETENTION_YEARS and the FILES_ buckets", () => {
    expect(retentionYears(projectConfig())).toBe(10);
    expect(lockRetentionDays(10)).toBe(3653); // 10 × 365 + the 3 leap days a 10-year span can hold
    expect(lockRetentionDays(1)).toBe(366);
    expect(lockRules({ vars: { HISTORY_RETENTION_YEARS: "5" }, r2_buckets: [{ binding: "FILES_TEST", bucket_name: "b" }, { binding: "OTHER", bucket_name: "x" }] })).toEqual([
      { binding: "FILES_TEST", bucket: "b", days: 1827 },
    ]);
  });

  it("the buckets presigned URLs name ([vars] FILES_*_BUCKET) are wrangler.toml's files buckets", () => {
    const config = projectConfig() as { vars?: Record<string, unknown>; r2_buckets?: { binding: string; bucket_name?: string }[] };
    const named = Object.fromEntries((config.r2_buckets ?? []).map((b) => [b.binding, b.bucket_name]));
    expect(config.vars?.FILES_TEST_BUCKET).toBe(named.FILES_TEST);
    expect(config.vars?.FILES_LIVE_BUCKET).toBe(named.FILES_LIVE);
  });
});
