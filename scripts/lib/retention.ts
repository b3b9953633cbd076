// The retention period of the compliance record, as wrangler.toml sets it ([vars]
// HISTORY_RETENTION_YEARS): scripts/purge.ts erases what is older.
import { unstable_readConfig } from "wrangler";
import { CommandError, configPath } from "./wrangler.ts";

export const RETENTION_VAR = "HISTORY_RETENTION_YEARS";

/** wrangler.toml as wrangler reads it. */
export function projectConfig(): { vars?: Record<string, unknown> } {
  return unstable_readConfig({ config: configPath }) as { vars?: Record<string, unknown> };
}

/** The retention in whole years (at least 1) that a wrangler configuration sets; a CommandError when it sets none or another value. */
export function retentionYears(config: { vars?: Record<string, unknown> } = projectConfig()): number {
  const value = config.vars?.[RETENTION_VAR];
  if (value === undefined) throw new CommandError(`wrangler.toml sets no ${RETENTION_VAR} in [vars]: nothing is erased without a retention period`);
  const text = String(value);
  if (!/^[1-9]\d{0,2}$/.test(text)) throw new CommandError(`${RETENTION_VAR} in wrangler.toml must be a whole number of years (1–999), not "${text}"`);
  return Number(text);
}
