// Webhook secrets at rest (API.md §12), run as `npm run webhook-secrets -- <command> …`.
//
//   encrypt --env test|live [--remote]   seals every plain `whsec_…` row (written before migration
//                                        0005) under the current key; rows already sealed untouched
//   rotate  --env test|live [--remote]   re-seals every row under the current key id (after a new
//                                        key was added to WEBHOOK_SECRET_KEYS and made current)
//
// Both are idempotent and print what they did. The keys (src/events/secret-box.ts): from the
// shell's WEBHOOK_SECRET_KEYS and WEBHOOK_SECRET_KEY_ID when set (required with --remote: Worker
// secrets cannot be read back); else, locally, from .dev.vars (the ones npm start serves). Local by
// default (the databases of npm start, lib/local-d1.ts); --remote works on the deployed database.
// Exit 1 when a row could not be opened (it is left as it is and named).
import { parseArgs } from "node:util";
import { withShardDatabases } from "./lib/apikeys.ts";
import { exitCodeOf, parseEnvironment, UsageError } from "./lib/command.ts";
import { commandKeyring, describeReport, sealRows, type Mode, type SealReport } from "./lib/webhook-secrets.ts";

const USAGE = `Usage: npm run webhook-secrets -- <command> --env test|live [--remote]

Commands:
  encrypt   Seals the webhook secrets still stored in plain (whsec_…) under the current key
            (WEBHOOK_SECRET_KEY_ID); rows already sealed are left untouched.
  rotate    Re-seals every secret not sealed under the current key id (plain ones included).

Keys: WEBHOOK_SECRET_KEYS and WEBHOOK_SECRET_KEY_ID from the environment when set (required with
--remote), else from .dev.vars. Works on the local database (that of npm start) unless --remote.`;

async function main(argv: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { env: { type: "string" }, remote: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    console.error(`Error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  return exitCodeOf(USAGE, async () => {
    const [command, ...extra] = positionals;
    if (command !== "encrypt" && command !== "rotate") throw new UsageError(command === undefined ? "a command is required (encrypt or rotate)" : `unknown command "${command}"`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const mode: Mode = command;
    const environment = parseEnvironment(values.env);
    const remote = values.remote === true;
    const { keyring, source } = await commandKeyring(remote);
    // Every shard of the environment (API.md §17); one report for all.
    const report = await withShardDatabases(environment, remote, (line) => console.log(line), async (dbs) => {
      const all: SealReport = { sealed: [], untouched: 0, failed: [], raced: 0 };
      for (const db of dbs) {
        console.log(`${mode === "encrypt" ? "Encrypting" : "Rotating"} the webhook secrets of ${db.where} (current key id "${keyring.currentId}", keys from ${source}).`);
        const shard = await sealRows(db, keyring, mode);
        all.sealed.push(...shard.sealed);
        all.untouched += shard.untouched;
        all.failed.push(...shard.failed);
        all.raced += shard.raced;
      }
      return all;
    });
    for (const line of describeReport(report, keyring, mode)) console.log(line);
    return report.failed.length > 0 ? 1 : 0;
  });
}

process.exitCode = await main(process.argv.slice(2));
