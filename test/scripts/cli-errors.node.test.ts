// Every CLI's wrong command line (issue 26): a non-zero exit and a message that names the fix — the
// option to add or correct, with an example or the --help to read. Table-driven; each case fails
// before any database, wrangler or network is touched (a temporary state directory all the same).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = join(ROOT, "node_modules", ".bin", "node");
const temp = mkdtempSync(join(tmpdir(), "clients-api-cli-errors-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

interface Case {
  command: string;
  script: string;
  args: string[];
  env?: Record<string, string>;
  exit: number;
  /** What the message must say: the fix. */
  says: RegExp;
}

const CASES: Case[] = [
  { command: "purge", script: "scripts/purge.ts", args: [], exit: 2, says: /--env is required: add --env test/ },
  { command: "purge", script: "scripts/purge.ts", args: ["--env", "prod"], exit: 2, says: /use --env test or --env live/ },
  { command: "purge", script: "scripts/purge.ts", args: ["--env", "test", "--now", "yesterday"], exit: 2, says: /e\.g\. --now 2030-01-01T00:00:00Z/ },
  { command: "purge", script: "scripts/purge.ts", args: ["--envv", "test"], exit: 2, says: /Unknown option '--envv'[\s\S]*npm run purge -- --help/ },
  { command: "apikey", script: "scripts/apikey.ts", args: [], exit: 2, says: /a command is required: npm run apikey -- create, list or revoke/ },
  { command: "apikey", script: "scripts/apikey.ts", args: ["make"], exit: 2, says: /unknown command "make": use create, list or revoke/ },
  { command: "apikey", script: "scripts/apikey.ts", args: ["create", "--env", "test"], exit: 2, says: /add --tenant <id>.*e\.g\. --tenant acme/ },
  { command: "apikey", script: "scripts/apikey.ts", args: ["create", "--env", "test", "--tenant", "Not OK!"], exit: 2, says: /use 1–64 characters of a-z, 0-9, _ and -/ },
  { command: "apikey", script: "scripts/apikey.ts", args: ["create", "--env", "test", "--tenant", "t", "--permissions", "clients:all"], exit: 2, says: /Unknown permission\(s\): clients:all\. Allowed: clients:read/ },
  { command: "apikey", script: "scripts/apikey.ts", args: ["list"], exit: 2, says: /--env is required: add --env test/ },
  { command: "apikey", script: "scripts/apikey.ts", args: ["revoke", "--env", "test"], exit: 2, says: /--prefix is required \(as shown by `npm run apikey -- list`\)/ },
  { command: "apikey", script: "scripts/apikey.ts", args: ["list", "--env", "test", "--bogus"], exit: 2, says: /Unknown option '--bogus'[\s\S]*npm run apikey -- --help/ },
  { command: "start", script: "scripts/start.ts", args: ["--port", "http"], exit: 1, says: /--port needs a port number \(1–65535\), got "http": e\.g\. npm start -- --port 8787/ },
  { command: "start", script: "scripts/start.ts", args: ["--port"], exit: 1, says: /got nothing: e\.g\. npm start -- --port 8787/ },
  { command: "webhook-receiver", script: "scripts/webhook-receiver.ts", args: [], env: { WEBHOOK_SECRET: "" }, exit: 2, says: /Set it to the endpoint's secret[\s\S]*WEBHOOK_SECRET=whsec_… npm run webhook-receiver/ },
  { command: "webhook-receiver", script: "scripts/webhook-receiver.ts", args: ["--port", "abc"], env: { WEBHOOK_SECRET: "whsec_AAAA" }, exit: 2, says: /--port needs a port number.*e\.g\. --port 4000/ },
  { command: "webhook-receiver", script: "scripts/webhook-receiver.ts", args: ["--fail", "boom"], env: { WEBHOOK_SECRET: "whsec_AAAA" }, exit: 2, says: /--fail needs an HTTP status \(200–599\).*e\.g\. --fail 500/ },
  { command: "bench", script: "bench/run.ts", args: ["--clients", "5"], exit: 2, says: /--clients must be an integer from 100[\s\S]*npm run bench -- --help/ },
  { command: "bench", script: "bench/run.ts", args: ["--scale", "0"], exit: 2, says: /--scale must be a number above 0 and at most 100 \(e\.g\. --scale 0\.5\)/ },
  { command: "bench", script: "bench/run.ts", args: ["--rtt", "fast"], exit: 2, says: /--rtt must be "edge" or milliseconds/ },
  { command: "bench", script: "bench/run.ts", args: ["--rtt", "edge", "--skip-cost"], exit: 2, says: /drop --skip-cost/ },
  { command: "bench", script: "bench/run.ts", args: ["--clientz", "100"], exit: 2, says: /Unknown option '--clientz'[\s\S]*--clients <n>/ },
];

describe("a wrong command line: exit ≠ 0 and a message naming the fix", () => {
  it.each(CASES.map((c) => [`npm run ${c.command} -- ${c.args.join(" ")}`, c] as const))("%s", { timeout: 60_000 }, (_, c) => {
    const result = spawnSync(NODE, [c.script, ...c.args], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 50_000,
      env: { ...process.env, CLIENTS_API_STATE_DIR: join(temp, "state"), NO_COLOR: "1", ...c.env },
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, output).toBe(c.exit);
    expect(result.stderr).toMatch(c.says);
    expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/); // a message, not a stack trace
  });
});
