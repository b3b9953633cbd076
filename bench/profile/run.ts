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

const { values: opts } = parseArgs({ options: { clients: { type: "string" }, scale: { type: "string" }, out: { type: "string" } } });
const dir = mkdtempSync(join(tmpdir(), "bench-profile-"));
try {
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
  const result: Record<string, unknown> = {};
  for (const mode of ["cpu", "memory"]) {
    const out = join(dir, `${mode}.json`);
    const run = spawnSync(process.execPath, ["--no-warnings", ...(mode === "memory" ? ["--expose-gc"] : []), bundle, mode, projectRoot, bundle, out, opts.clients ?? "10000", opts.scale ?? "1"], {
      stdio: ["ignore", "inherit", "inherit"],
      cwd: projectRoot,
    });
    if (run.status !== 0) throw new Error(`the ${mode} pass exited ${run.status}`);
    result[mode] = JSON.parse(readFileSync(out, "utf8"));
  }
  const cpu = result.cpu as Record<string, any>;
  for (const [name, set] of Object.entries(cpu)) {
    if (!set || typeof set !== "object" || !("functions" in set)) continue;
    console.log(`\n${name}: ${set.requests} requests, ${set.perRequestMs} ms each (Node, SQL in-process); self time ${set.totalMs} ms`);
    console.log("  by module:");
    for (const m of set.modules.slice(0, 12)) console.log(`    ${String(m.share).padStart(5)}%  ${String(m.ms).padStart(8)} ms  ${m.name}`);
    console.log("  by function:");
    for (const f of set.functions.slice(0, 15)) console.log(`    ${String(f.share).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.name}`);
  }
  const memory = result.memory as Record<string, any>;
  console.log(`\nPeak live heap (after a full GC at each D1 round trip and at the end; workerd's limit is 128 MB): W2 ${memory.W2.peakLiveMiB} MiB, W8 ${memory.W8.peakLiveMiB} MiB, T1 ${memory.typicalCreate.peakLiveMiB} MiB`);
  const json = JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2);
  writeFileSync(opts.out ?? join(projectRoot, "bench/results/profile.json"), json);
  console.log(`Written: ${opts.out ?? "bench/results/profile.json"}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
