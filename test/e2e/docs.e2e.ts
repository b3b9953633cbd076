// GET /docs in a real browser: the Worker runs under `wrangler dev` on a free local port, headless
// Chromium (Debian's, driven by playwright-core) loads the page, which renders /openapi.json. Checks
// that every operation and its fields are shown, that nothing is fetched from another origin, and
// that "Try it" reaches the API; keeps a screenshot in test-artifacts/docs.png.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = join(ROOT, "test-artifacts");

let wrangler: ChildProcess | undefined;
let wranglerOutput = "";
let stateDir: string;
let browser: Browser;
let page: Page;
let origin: string;
const requested: string[] = [];
const consoleErrors: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForWorker(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (wrangler?.exitCode !== null && wrangler?.exitCode !== undefined) {
      throw new Error(`wrangler dev exited with ${wrangler.exitCode}:\n${wranglerOutput}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not answer ${url} within ${timeoutMs} ms:\n${wranglerOutput}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  stateDir = mkdtempSync(join(tmpdir(), "clients-api-e2e-"));
  wrangler = spawn(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", stateDir, "--show-interactive-dev-session=false"],
    {
      cwd: ROOT,
      detached: true, // its own process group, so that workerd goes with it
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    },
  );
  wrangler.stdout!.on("data", (d) => (wranglerOutput += d));
  wrangler.stderr!.on("data", (d) => (wranglerOutput += d));
  await waitForWorker(`${origin}/openapi.json`, 90_000);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("request", (request) => requested.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  if (wrangler?.pid !== undefined && wrangler.exitCode === null) {
    const exited = new Promise((resolve) => wrangler!.once("exit", resolve));
    process.kill(-wrangler.pid, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (wrangler.exitCode === null) process.kill(-wrangler.pid, "SIGKILL");
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("GET /docs", () => {
  it("renders every operation and its fields from /openapi.json, needing no API key", async () => {
    const response = await page.goto(`${origin}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
    await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });

    const operations = {
      listClients: ["GET", "/clients", ["limit", "cursor", "externalId"]],
      getClient: ["GET", "/clients/{id}", ["id"]],
      deleteClient: ["DELETE", "/clients/{id}", ["id"]],
      createClients: ["POST", "/clients/batch", ["items", "atomic"]],
      syncClient: ["POST", "/clients/sync", ["clientId", "client", "addresses", "contactMethods", "bankAccounts", "documents", "linkedClients", "replaceMode", "dryRun", "If-Match"]],
    } as const;
    for (const [operationId, [method, path, fields]] of Object.entries(operations)) {
      const section = page.locator(`section[data-operation=${operationId}]`);
      await expect(section.locator("h2").innerText()).resolves.toBe(`${method}\n${path}`);
      for (const field of fields) {
        await expect(section.locator(`tr[data-field="${field}"]`).first().isVisible(), `${operationId} ${field}`).resolves.toBe(true);
      }
      // The answer's schema and the documented errors.
      await expect(section.locator(".response[data-status='200']").isVisible()).resolves.toBe(true);
      await expect(section.locator(".response[data-status='401']").isVisible()).resolves.toBe(true);
    }
    // Sync's 200: the fields of the response are shown.
    const sync = page.locator("section[data-operation=syncClient]");
    for (const field of ["action", "client", "dryRun"]) {
      await expect(sync.locator(`.response[data-status='200'] tr[data-field="${field}"]`).first().isVisible()).resolves.toBe(true);
    }
    // Nested schemas open on demand: the client of a sync request, then its scopeData.
    await sync.locator(".request-body tr[data-field=client] summary").first().click();
    await expect(sync.locator('.request-body tr[data-field="nationalities"]').first().isVisible()).resolves.toBe(true);
    await expect(sync.locator('.request-body tr[data-field="scopeData"]').first().isVisible()).resolves.toBe(true);
    // The request example is the one the test suite sends.
    await expect(sync.locator(".examples pre").first().innerText()).resolves.toContain('"externalId": "crm-1001"');
  });

  it("sends requests from 'Try it' to the API itself", async () => {
    const list = page.locator("section[data-operation=listClients]");
    await list.locator("details.try > summary").click();
    await list.locator("details.try button").click();
    await list.locator(".result .status").waitFor();
    await expect(list.locator(".result .status").innerText()).resolves.toBe("401");
    await expect(list.locator(".result").innerText()).resolves.toContain("Missing Authorization header");
  });

  it("loads nothing from another origin and logs no error; keeps a screenshot", async () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    // The one expected error: Chromium logs the 401 that "Try it" got without a key.
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "docs.png"), fullPage: false });
    await page.locator("section[data-operation=syncClient]").screenshot({ path: join(ARTIFACTS, "docs-sync.png") });
  });
});
