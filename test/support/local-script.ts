// The project's commands run for real (the project's Node, as `npm run` runs them) on a temporary
// local state directory (CLIENTS_API_STATE_DIR), and the local SQLite files they leave there.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = join(ROOT, "node_modules", ".bin", "node");

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node <script> …args` to the end, on `stateDir`, with `env` added (a value undefined removes the variable). */
export async function runScript(script: string, stateDir: string, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Finished> {
  const childEnv: Record<string, string | undefined> = { ...process.env, CLIENTS_API_STATE_DIR: stateDir, NO_COLOR: "1", ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  try {
    const { stdout, stderr } = await promisify(execFile)(NODE, [script, ...args], { cwd: ROOT, env: childEnv as NodeJS.ProcessEnv });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The local D1 file under `stateDir` that holds `table` (the one a command migrated first). */
export async function localDatabaseWith(stateDir: string, table: string) {
  const { DatabaseSync } = await import("node:sqlite");
  const dir = join(stateDir, "v3", "d1", "miniflare-D1DatabaseObject");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sqlite"))) {
    const db = new DatabaseSync(join(dir, file));
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(table) !== undefined) return db;
    db.close();
  }
  throw new Error("no migrated local database");
}
