// `npm run bench:profile [-- --clients 10000] [--scale 1] [--out file.json]`: bundles
// bench/profile/profile.ts with esbuild (unminified, so functions keep their names and lines map to
// src/ files), then runs it twice in the project's Node: the CPU profile (V8's sampling profiler,
// as `node --cpu-prof` takes it, around each workload set only) and the memory pass (--expose-gc).
// Prints the top self-time functions and modules per set, and the peak live heap of W2 and W8.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { projectRoot } from "../../scripts/lib/wrangler.ts";

/** The bundle of profile.ts (unminified: functions keep their names, lines map back to src/ files). */
async function bundled(dir: string): Promise<string> {
  const bundle = join(dir, "profile.mjs");
  await build({
    entryPoints: [join(projectRoot, "bench/profile/profile.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    outfile: bundle,
    alias: { "cloudflare:workers": join(projectRoot, "bench/profile/cloudflare-workers-stub.ts") },
    logLevel: "warning",
  });
  return bundle;
}

/** Runs the given passes of profile.ts (each in a Node process of its own); their JSON by mode. */
export async function profilePasses(modes: ("cpu" | "memory")[], clients: number, scale: number): Promise<Record<string, any>> {
  const dir = mkdtempSync(join(tmpdir(), "bench-profile-"));
  try {
    const bundle = await bundled(dir);
    const result: Record<string, unknown> = {};
    for (const mode of modes) {
      const out = join(dir, `${mode}.json`);
      const run = spawnSync(process.execPath, ["--no-warnings", ...(mode === "memory" ? ["--expose-gc"] : []), bundle, mode, projectRoot, bundle, out, String(clients), String(scale)], {
        stdio: ["ignore", "inherit", "inherit"],
        cwd: projectRoot,
      });
      if (run.status !== 0) throw new Error(`the ${mode} pass exited ${run.status}`);
      result[mode] = JSON.parse(readFileSync(out, "utf8"));
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** workerd's memory limit per isolate (developers.cloudflare.com/workers/platform/limits). */
export const ISOLATE_LIMIT_MB = 128;

export function memoryLine(memory: Record<string, any>): string {
  const mb = (mib: number) => (mib * 1.048576).toFixed(1);
  const fits = Math.max(memory.W2.peakLiveMiB, memory.W8.peakLiveMiB) * 1.048576 <= ISOLATE_LIMIT_MB;
  return `${fits ? "✓" : "✗"} peak live heap in one isolate (Node's V8, a full GC at each D1 round trip and at the end): W2 ${mb(memory.W2.peakLiveMiB)} MB, W8 ${mb(memory.W8.peakLiveMiB)} MB, T1 ${mb(memory.typicalCreate.peakLiveMiB)} MB (workerd's limit: ${ISOLATE_LIMIT_MB} MB)`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: opts } = parseArgs({ options: { clients: { type: "string" }, scale: { type: "string" }, out: { type: "string" } } });
  const result = await profilePasses(["cpu", "memory"], Number(opts.clients ?? 10_000), Number(opts.scale ?? 1));
  const cpu = result.cpu as Record<string, any>;
  for (const [name, set] of Object.entries(cpu)) {
    if (!set || typeof set !== "object" || !("functions" in set)) continue;
    console.log(`\n${name}: ${set.requests} requests, ${set.perRequestMs} ms each (Node, SQL in-process); self time ${set.totalMs} ms`);
    console.log("  by group:");
    for (const g of set.groups) console.log(`    ${String(g.share).padStart(5)}%  ${String(g.ms).padStart(8)} ms  ${g.name}`);
    console.log("  by module:");
    for (const m of set.modules.slice(0, 12)) console.log(`    ${String(m.share).padStart(5)}%  ${String(m.ms).padStart(8)} ms  ${m.name}`);
    console.log("  by function:");
    for (const f of set.functions.slice(0, 15)) console.log(`    ${String(f.share).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.name}`);
  }
  console.log(`\n${memoryLine(result.memory)}`);
  const json = JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2);
  writeFileSync(opts.out ?? join(projectRoot, "bench/results/profile.json"), json);
  console.log(`Written: ${opts.out ?? "bench/results/profile.json"}`);
}
