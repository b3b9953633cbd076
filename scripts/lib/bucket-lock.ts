// The R2 bucket lock rules of the document files (API.md §15): one per files bucket of
// wrangler.toml ([[r2_buckets]]), on the prefix the Worker writes files under, for the retention
// period of the compliance record ([vars] HISTORY_RETENTION_YEARS), so that no key, leaked or not,
// can overwrite or delete a file before then. Set by `npm run deploy` (scripts/deploy.ts).
import { projectConfig, retentionYears } from "./retention.ts";

/** The rule's name in each bucket (a second deploy finds it by this name and leaves it). */
export const LOCK_RULE_NAME = "kyc-retention";
/** Where src/files/upload.ts fileKeyOf puts every file. */
export const FILES_PREFIX = "files/";

/**
 * Days that cover `years` whatever the calendar: 365 a year plus the most leap days such a span
 * can hold (10 years → 3653).
 */
export const lockRetentionDays = (years: number) => years * 365 + Math.ceil(years / 4);

export interface LockRule {
  binding: string;
  bucket: string;
  days: number;
}

interface Config {
  vars?: Record<string, unknown>;
  r2_buckets?: { binding: string; bucket_name?: string }[];
}

/** The rule for each files bucket that a wrangler configuration declares. */
export function lockRules(config: Config = projectConfig() as Config): LockRule[] {
  const days = lockRetentionDays(retentionYears(config));
  return (config.r2_buckets ?? [])
    .filter((b) => b.binding.startsWith("FILES_") && b.bucket_name)
    .map((b) => ({ binding: b.binding, bucket: b.bucket_name!, days }));
}

/** The wrangler command that adds a rule (non-interactive). */
export const lockAddArgs = (rule: LockRule) => ["r2", "bucket", "lock", "add", rule.bucket, LOCK_RULE_NAME, FILES_PREFIX, "--retention-days", String(rule.days), "--force"];
/** The wrangler command that shows a bucket's rules. */
export const lockListArgs = (rule: LockRule) => ["r2", "bucket", "lock", "list", rule.bucket];
