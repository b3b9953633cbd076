// Vitest config of the benchmark's cost runner (bench/cost/cost.run.ts), run by `npm run bench`
// (bench/run.ts) as `vitest run --config bench/cost.bench-config.ts`: the Workers runtime with the
// bindings of wrangler.toml, like the test suite, plus the migrations and the populate statements
// (bench/lib/populate.ts) for a database of BENCH_CLIENTS clients.
//
// The runner's figures come back as one console line; onConsoleLog (which runs here, in Node)
// writes it to BENCH_COST_OUT and shows progress lines on stderr.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { populateStatements } from "./lib/populate.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const migrations = await readD1Migrations(fileURLToPath(new URL("../migrations", import.meta.url)));
const positive = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const rttLevels = (value: string) => {
  if (value === "") return "";
  const levels = value.split(",").map(Number);
  if (!levels.every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 10_000)) throw new Error("BENCH_RTT must be integers (ms) from 0 to 10000, comma-separated");
  return levels.join(",");
};
const clients = positive("BENCH_CLIENTS", 10_000);
const out = process.env.BENCH_COST_OUT;

const MARKER = "@@bench-cost@@";
const PROGRESS = "@@bench-progress@@ ";

export default defineConfig({
  root,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: fileURLToPath(new URL("../wrangler.toml", import.meta.url)) },
      miniflare: {
        bindings: {
          BENCH_MIGRATIONS: migrations,
          BENCH_CLIENTS: clients,
          BENCH_POPULATE: populateStatements(clients),
          BENCH_COST_REPS: positive("BENCH_COST_REPS", 7),
          BENCH_FLOOR_REPS: positive("BENCH_FLOOR_REPS", 9),
          // `--rtt` of bench/run.ts: round-trip times in ms, comma-separated ("" = no edge sweep).
          BENCH_RTT: rttLevels(process.env.BENCH_RTT ?? ""),
        },
      },
    }),
  ],
  test: {
    name: "bench-cost",
    include: ["bench/cost/**/*.run.ts"],
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
    // Vitest hands over buffered output, several lines at a time: each line is looked at.
    onConsoleLog(log) {
      const rest: string[] = [];
      for (const line of log.split("\n")) {
        if (line.startsWith(MARKER)) {
          if (out) writeFileSync(out, line.slice(MARKER.length));
        } else if (line.startsWith(PROGRESS)) process.stderr.write(`${line.slice(PROGRESS.length)}\n`);
        else if (line !== "") rest.push(line);
      }
      if (rest.length > 0) process.stdout.write(`${rest.join("\n")}\n`);
      return false;
    },
  },
});
