// README "Use it from your backend", for real (issue 26): against `npm start` (the Worker, over
// HTTP), the TypeScript client is generated from the document the Worker serves (openapi-typescript
// of GET /openapi.json), examples/typescript/client.ts compiles against it under tsc --strict and
// runs, setting X-Environment and the key once for all its calls; examples/python/client.py (the
// standard library: see docs/DECISIONS.md, issue 26) runs when python3 exists. The README shows the
// same code as the example files. Slow (wrangler, workerd, tsc): explicit timeouts.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { typesOf } from "clients-api-openapi-types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmStart, type Served } from "../support/npm-start";

const ROOT = new URL("../..", import.meta.url).pathname;
const TSC = join(ROOT, "node_modules/.bin/tsc");
const NODE = join(ROOT, "node_modules/.bin/node");
const SLOW = { timeout: 180_000 };
const hasPython = spawnSync("python3", ["--version"]).status === 0;
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

let served: Served;
let dir: string;

function compile(file: string): string {
  const config = join(dir, `tsconfig.${file}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "es2022", lib: ["es2023", "dom"], module: "esnext", moduleResolution: "bundler", types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
      files: [file, "api.d.ts"],
    }),
  );
  const result = spawnSync(TSC, ["-p", config], { encoding: "utf8" });
  return result.status === 0 ? "" : `${result.stdout}${result.stderr}`;
}

function run(command: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(command, args, {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, CLIENTS_API_URL: served.base, CLIENTS_API_KEY: served.key, ...env },
  });
}

/** The lines of a file from the first line starting with `from` to its end. */
const tailOf = (text: string, from: string) => text.slice(text.indexOf(from)).trim();

beforeAll(async () => {
  served = await npmStart();
  mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
  dir = mkdtempSync(join(ROOT, "test-artifacts", "examples-"));
  const document = (await (await fetch(`${served.base}/openapi.json`)).json()) as object;
  writeFileSync(join(dir, "api.d.ts"), await typesOf(document));
  copyFileSync(join(ROOT, "examples/typescript/client.ts"), join(dir, "client.ts"));
  copyFileSync(join(ROOT, "examples/python/client.py"), join(dir, "client.py"));
}, 180_000);

afterAll(async () => {
  await served?.stop();
});

describe("examples/ against npm start", () => {
  it("the TypeScript client compiles under tsc --strict against the types of the served document, and runs", SLOW, () => {
    expect(compile("client.ts")).toBe("");
    const result = run(NODE, ["client.ts"]);
    expect(result.stderr + result.stdout).toMatch(/^created Ana "[0-9a-f]+"\n$/);
    expect(result.status).toBe(0);
  });

  it("without X-Environment set on the client, the service answers 400 and the example says so (the check checks)", SLOW, () => {
    const source = readFileSync(join(dir, "client.ts"), "utf8");
    writeFileSync(join(dir, "no-environment.ts"), source.replace(', "X-Environment": "test"', ""));
    expect(compile("no-environment.ts")).toBe(""); // a header of the client, not of each call: tsc cannot see it
    const result = run(NODE, ["no-environment.ts"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/400 BAD_REQUEST: Missing X-Environment header/);
  });

  it.skipIf(!hasPython)("the Python example (standard library) makes the same calls", SLOW, () => {
    const result = run("python3", ["client.py"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^(created|unchanged) Ana "[0-9a-f]+"\n$/);
    expect(result.status).toBe(0);
    const refused = run("python3", ["client.py"], { CLIENTS_API_KEY: "sk_test_wrong" });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/401 UNAUTHORIZED/);
  });
});

describe("README: Use it from your backend", () => {
  const section = readme.slice(readme.indexOf("## Use it from your backend"));
  it("shows the TypeScript example's code and the Python call", () => {
    const ts = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const example = readFileSync(join(ROOT, "examples/typescript/client.ts"), "utf8");
    expect(ts.trim()).toBe(tailOf(example, "import createClient"));
    expect(ts.trim().split("\n").length).toBeLessThanOrEqual(16);
    const py = /```python\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    expect(py).toMatch(/httpx\.Client\(/);
    expect(py).toMatch(/"X-Environment": "test"/);
    expect(py).toMatch(/\/clients\/sync/);
    expect(section).toMatch(/examples\/python\/client\.py/);
  });
});
