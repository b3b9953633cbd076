// Webhook secrets at rest (API.md §12, src/events/secret-box.ts), for scripts/webhook-secrets.ts and
// scripts/start.ts: where the keys come from, the local key `npm start` makes, and sealing the rows
// of one database (SQL cannot do AES-GCM, so this is a command and not a migration).
import { existsSync, readFileSync, writeFileSync, appendFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { isPlain, keyIdOf, keyringOf, newKeyMaterial, resealed, seal, SecretBoxError, type Keyring, type SecretKeySettings } from "../../src/events/secret-box.ts";
import type { KeyDatabase, Row } from "./apikeys.ts";
import { CommandError, projectRoot, sqlString } from "./wrangler.ts";

/** The file `wrangler dev` reads its secrets from (git-ignored). */
export const DEV_VARS = join(projectRoot, ".dev.vars");
const NAMES = ["WEBHOOK_SECRET_KEYS", "WEBHOOK_SECRET_KEY_ID"] as const;

/** The variables of a dotenv file (KEY=value, value optionally in single or double quotes). */
export function readDotenv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trim().startsWith("#")) continue;
    let value = match[2]!;
    if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.at(-1) === value[0]) value = value.slice(1, -1);
    vars[match[1]!] = value;
  }
  return vars;
}

/**
 * The keys, as the Worker they are for sees them: from the shell's environment when
 * WEBHOOK_SECRET_KEYS is set there (needed with --remote: Worker secrets cannot be read back, give
 * the values given to `wrangler secret put`); else, locally, from .dev.vars (what npm start serves).
 */
export async function commandKeyring(remote: boolean, options: { devVarsOnly?: boolean } = {}): Promise<{ keyring: Keyring; source: string }> {
  let settings: SecretKeySettings;
  let source: string;
  if (process.env.WEBHOOK_SECRET_KEYS !== undefined && !options.devVarsOnly) {
    settings = { WEBHOOK_SECRET_KEYS: process.env.WEBHOOK_SECRET_KEYS, WEBHOOK_SECRET_KEY_ID: process.env.WEBHOOK_SECRET_KEY_ID };
    source = "the environment";
  } else if (remote) {
    throw new CommandError(
      "--remote needs the deployed Worker's keys in the environment: WEBHOOK_SECRET_KEYS and WEBHOOK_SECRET_KEY_ID (the values given to `wrangler secret put`).",
    );
  } else {
    settings = readDotenv(DEV_VARS);
    source = ".dev.vars";
  }
  try {
    return { keyring: await keyringOf(settings), source };
  } catch (error) {
    if (error instanceof SecretBoxError) throw new CommandError(`${error.message} (read from ${source}${source === ".dev.vars" ? "; npm start writes one" : ""})`);
    throw error;
  }
}

/** Makes sure .dev.vars holds a local key (added, never replaced); whether one was made. */
export function ensureLocalKeys(): { created: boolean; keyId: string } {
  const vars = readDotenv(DEV_VARS);
  if (NAMES.every((name) => vars[name] !== undefined)) return { created: false, keyId: vars.WEBHOOK_SECRET_KEY_ID! };
  if (NAMES.some((name) => vars[name] !== undefined)) {
    throw new CommandError(`${DEV_VARS} has one of ${NAMES.join(" and ")} but not the other: add the missing one, or remove both to get a new local key.`);
  }
  const keyId = `local-${new Date().toISOString().slice(0, 10)}`;
  const lines = [
    "# Made by npm start: the local AES-GCM key webhook secrets are sealed with (src/events/secret-box.ts).",
    "# Local only. Removing it makes the local endpoints' secrets unreadable (their deliveries are refused).",
    `WEBHOOK_SECRET_KEYS='${JSON.stringify({ [keyId]: newKeyMaterial() })}'`,
    `WEBHOOK_SECRET_KEY_ID=${keyId}`,
    "",
  ];
  const existing = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : "";
  if (existing === "") writeFileSync(DEV_VARS, lines.join("\n"), { mode: 0o600 });
  else appendFileSync(DEV_VARS, `${existing.endsWith("\n") ? "" : "\n"}${lines.join("\n")}`);
  chmodSync(DEV_VARS, 0o600);
  return { created: true, keyId };
}

export type Mode = "encrypt" | "rotate";

export interface SealReport {
  /** Rows changed: plain → sealed (from null) or another key id → the current one. */
  sealed: { id: string; from: string | null }[];
  /** Rows already as wanted (encrypt: sealed under any key; rotate: under the current one). */
  untouched: number;
  /** Rows that could not be opened (unknown key id, altered): left as they are. */
  failed: { id: string; reason: string }[];
  /** Rows that changed between the read and the write (left to a next run). */
  raced: number;
}

const PAGE = 100;

/**
 * encrypt: seals every plain row under the current key; rotate: also re-seals every row sealed under
 * another key id. Idempotent: a row already as wanted is not written. Pages through the primary key;
 * each update is conditional on the value read, so a concurrent change is never overwritten.
 */
export async function sealRows(db: KeyDatabase, keyring: Keyring, mode: Mode): Promise<SealReport> {
  const report: SealReport = { sealed: [], untouched: 0, failed: [], raced: 0 };
  for (let after = ""; ; ) {
    const [rows = []] = await db.execute([`SELECT id, secret FROM webhook_endpoints WHERE id > ${sqlString(after)} ORDER BY id LIMIT ${PAGE}`]);
    if (rows.length === 0) return report;
    after = String((rows.at(-1) as Row).id);
    const updates: { id: string; from: string | null; statement: string }[] = [];
    for (const row of rows) {
      const id = String(row.id);
      const stored = String(row.secret);
      try {
        let next: { sealed: string; keyId: string; from: string | null } | null;
        if (mode === "encrypt") {
          keyIdOf(stored); // throws on a value that is neither
          next = isPlain(stored) ? { ...(await seal(stored, keyring, id)), from: null } : null;
        } else {
          next = await resealed(stored, keyring, id);
        }
        if (next === null) {
          report.untouched++;
          continue;
        }
        updates.push({
          id,
          from: next.from,
          statement:
            `UPDATE webhook_endpoints SET secret = ${sqlString(next.sealed)}, secret_key_id = ${sqlString(next.keyId)} ` +
            `WHERE id = ${sqlString(id)} AND secret = ${sqlString(stored)} RETURNING id`,
        });
      } catch (error) {
        if (!(error instanceof SecretBoxError)) throw error;
        report.failed.push({ id, reason: error.message });
      }
    }
    if (updates.length === 0) continue;
    const results = await db.execute(updates.map((u) => u.statement));
    updates.forEach((u, i) => {
      if ((results[i] ?? []).length === 1) report.sealed.push({ id: u.id, from: u.from });
      else report.raced++;
    });
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What a run did, one line (and one per row that failed). */
export function describeReport(report: SealReport, keyring: Keyring, mode: Mode): string[] {
  const by = new Map<string, number>();
  for (const { from } of report.sealed) by.set(from ?? "plain", (by.get(from ?? "plain") ?? 0) + 1);
  const origins = [...by].map(([from, n]) => `${n} ${from === "plain" ? "plain" : `from "${from}"`}`).join(", ");
  const lines = [
    mode === "encrypt"
      ? `Sealed ${plural(report.sealed.length, "plain secret")} under key id "${keyring.currentId}"; ${plural(report.untouched, "row")} already sealed (untouched).`
      : `Re-sealed ${plural(report.sealed.length, "secret")} under key id "${keyring.currentId}"${origins ? ` (${origins})` : ""}; ${plural(report.untouched, "row")} already under it (untouched).`,
  ];
  if (report.raced > 0) lines.push(`${plural(report.raced, "row")} changed while this ran: left as they are; run it again.`);
  for (const { id, reason } of report.failed) lines.push(`Could not open the secret of endpoint ${id}: ${reason}. Left as it is.`);
  return lines;
}
