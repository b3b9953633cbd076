// The planner's layering (issue 11, item 3), read from the sources: it reaches nothing of http/,
// not even through the modules it imports, and the planner and the schemas type the child kinds
// without escaping the type checker (`as never`, `as unknown as`).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");
// The read and write round trips of a sync live here until they move to src/db and src/write;
// they are not the planner.
const NOT_PLANNER = new Set(["load.ts", "write.ts"]);

const plannerModules = () =>
  readdirSync(join(SRC, "sync"))
    .filter((name) => name.endsWith(".ts") && !NOT_PLANNER.has(name))
    .map((name) => join(SRC, "sync", name));

/** The relative imports of a module (type-only ones included), as file paths. */
function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return [...source.matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm)].map((m) => resolve(dirname(file), `${m[1]}.ts`));
}

/** Every module reachable from `roots` through relative imports. */
function reachable(roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file));
  }
  return seen;
}

describe("the sync planner's layering", () => {
  it("reaches no module of http/, directly or through what it imports", () => {
    const modules = reachable(plannerModules());
    expect(modules.size).toBeGreaterThan(plannerModules().length); // the walk follows imports
    expect(modules).toContain(join(SRC, "schemas/kinds.ts"));
    const http = [...modules].map((file) => relative(SRC, file)).filter((file) => file.startsWith("http/"));
    expect(http).toEqual([]);
  });

  it("has no `as never` or `as unknown as` in the planner or the schemas", () => {
    const files = [...plannerModules(), ...readdirSync(join(SRC, "schemas")).map((name) => join(SRC, "schemas", name))];
    const casts = files.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) => (/\bas (never|unknown as)\b/.test(line) ? [`${relative(SRC, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(casts).toEqual([]);
  });

  it("schemas/ imports no table and no SQL, and http/ runs no SQL (all of it lives in db/)", () => {
    const files = (dir: string) => readdirSync(join(SRC, dir)).filter((name) => name.endsWith(".ts")).map((name) => join(SRC, dir, name));
    const offending = [...files("schemas"), ...files("http"), ...files("routes")].flatMap((file) => {
      const source = readFileSync(file, "utf8");
      const problems: string[] = [];
      if (/from\s+"drizzle-orm/.test(source)) problems.push("imports drizzle-orm");
      // A value import from db/schema (a table); `import type` of row types is fine.
      if (/^import\s+(?!type\b)[^;]*from\s+"\.\.\/db\/schema"/m.test(source)) problems.push("imports a table");
      if (/\.prepare\(|\b(db|binding)\.(batch|exec|select|insert|update|delete)\(/.test(source)) problems.push("runs SQL");
      return problems.map((p) => `${relative(SRC, file)}: ${p}`);
    });
    expect(offending).toEqual([]);
  });
});
