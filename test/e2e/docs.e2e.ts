// GET /docs in a real browser: the Worker runs under `wrangler dev` on a free local port, headless
// Chromium (Debian's, driven by playwright-core) loads the page — Scalar's API reference, served from
// the Worker's static assets — which renders /openapi.json. Checks that every operation and its fields
// are shown, that nothing is fetched from another origin, and that "Test Request" reaches the API;
// keeps screenshots in test-artifacts/ (docs.png, docs-sync.png).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
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
/** The headers of the last request to each path. */
const sentHeaders = new Map<string, Record<string, string>>();
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
  page.on("request", (request) => {
    requested.push(request.url());
    sentHeaders.set(new URL(request.url()).pathname, request.headers());
  });
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

/** Scalar's element for an operation (`GET /clients`) or one of its fields (`GET /clients`, `query.limit`). */
function reference(operation: string, field?: string): Locator {
  const [method, path] = operation.split(" ");
  return page.locator(`[id$="tag/clients/${method}${path}${field ? `.${field}` : ""}"]`);
}

const OPERATIONS = {
  "POST /clients/batch": ["Create clients in a batch", ["headers.Idempotency-Key", "body.items", "body.atomic"]],
  "POST /clients/sync": [
    "Sync a client graph",
    ["headers.If-Match", "headers.Idempotency-Key", ...["clientId", "client", "addresses", "contactMethods", "bankAccounts", "documents", "linkedClients", "replaceMode", "dryRun"].map((f) => `body.${f}`)],
  ],
  "GET /clients": ["List clients", ["query.limit", "query.cursor", "query.externalId"]],
  "GET /clients/{id}": ["Get a client", ["path.id"]],
  "DELETE /clients/{id}": ["Delete a client", ["path.id"]],
} as const;

describe("GET /docs", () => {
  it("renders every operation and its fields from /openapi.json, needing no API key", async () => {
    const response = await page.goto(`${origin}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
    expect(response?.headers()["content-security-policy"]).toMatch(/connect-src 'self'/);
    await reference("POST /clients/batch").waitFor({ timeout: 30_000 });

    for (const [operation, [summary, fields]] of Object.entries(OPERATIONS)) {
      // The sidebar leads to each operation (Scalar renders an operation when it is reached).
      await page.getByRole("link", { name: summary }).first().click();
      const section = reference(operation);
      await section.waitFor();
      await expect(section.getByRole("heading", { name: summary }).first().isVisible(), operation).resolves.toBe(true);
      for (const field of fields) {
        await expect(reference(operation, field).first().isVisible(), `${operation} ${field}`).resolves.toBe(true);
      }
      // The answer's schema and the documented errors.
      await expect(reference(operation, "responses.200").first().isVisible(), `${operation} 200`).resolves.toBe(true);
      await expect(reference(operation, "responses.401").count(), `${operation} 401`).resolves.toBeGreaterThan(0);
    }
    // Sync's 200: the fields of the answer are shown.
    for (const field of ["action", "client", "dryRun"]) {
      await expect(reference("POST /clients/sync", `responses.200.${field}`).first().isVisible(), field).resolves.toBe(true);
    }
    // Nested schemas open on demand: the client of a sync request shows its nationalities and scopeData.
    const client = reference("POST /clients/sync", "body.client").locator("xpath=ancestor::li[1]");
    await client.locator("button[data-schema-toggle]").first().click();
    await expect(client.getByText("nationalities", { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(client.getByText("scopeData", { exact: true }).first().isVisible()).resolves.toBe(true);
    // The request example is the one the test suite sends.
    await expect(reference("POST /clients/sync").innerText()).resolves.toContain("crm-1001");
  });

  it("sends requests from 'Test Request' to the API itself, with the required X-Environment (a security scheme, prefilled test) sent", async () => {
    await page.getByRole("link", { name: "List clients" }).first().click();
    await reference("GET /clients").getByRole("button", { name: /Test Request/ }).first().click();
    const client = page.getByRole("dialog").first();
    await client.getByRole("button", { name: /^Send/ }).first().click();
    await client.getByText("401 Unauthorized").first().waitFor({ timeout: 20_000 });
    await expect(client.innerText()).resolves.toContain("Authorization header must be");
    const sent = requested.filter((url) => new URL(url).pathname === "/clients");
    expect(sent.length).toBeGreaterThan(0);
    expect(sentHeaders.get("/clients")?.["x-environment"]).toBe("test");
    await page.keyboard.press("Escape");
  });

  it("loads nothing from another origin and logs no error; keeps screenshots", async () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    // The one expected error: Chromium logs the 401 that "Test Request" got without a key.
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.goto(`${origin}/docs`);
    await reference("POST /clients/batch").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "docs.png"), fullPage: false });
    await page.getByRole("link", { name: "Sync a client graph" }).first().click();
    await reference("POST /clients/sync").screenshot({ path: join(ARTIFACTS, "docs-sync.png") });
  });
});
