// `npm start` run for real, for the tests that call the API as a user does: over HTTP, on a free
// port, on a temporary state directory (CLIENTS_API_STATE_DIR), in its own process group so that
// stopping it leaves nothing running.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = join(ROOT, "node_modules", ".bin", "node");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on now, on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Served {
  base: string;
  /** The local test key npm start made (tenant "dev"). */
  key: string;
  /** The environment its commands run with (the same local state: npm run apikey, tenant, …). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts `npm start -- --port <free> …args` (with `env` added) and waits until it answers. */
export async function npmStart(args: string[] = [], extraEnv: Record<string, string> = {}): Promise<Served> {
  const temp = mkdtempSync(join(tmpdir(), "clients-api-http-"));
  const port = await freePort();
  const commandEnv = { CLIENTS_API_STATE_DIR: join(temp, "state"), NO_COLOR: "1", ...extraEnv };
  const child: ChildProcess = spawn(NODE, ["scripts/start.ts", "--port", String(port), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...commandEnv },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      process.kill(-child.pid!, "SIGKILL");
      await exited;
    }
    rmSync(temp, { recursive: true, force: true });
  };
  const deadline = Date.now() + 200_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not answer within 200 s:\n${output}`);
    }
    if (await fetch(`${base}/openapi.json`).then((r) => r.ok, () => false)) break;
    await sleep(250);
  }
  return { base, key: readFileSync(join(temp, "dev-api-key"), "utf8").trim(), env: commandEnv, stop };
}
