// `node bench/plot.ts [result.json] [out.svg]`: draws a saved `npm run bench` run (default
// bench/results/latest.json → the same path with .svg) as one self-contained SVG (bench/lib/plot.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { plotInputOf, plotSvg } from "./lib/plot.ts";

const input = process.argv[2] ?? new URL("./results/latest.json", import.meta.url).pathname;
const output = process.argv[3] ?? input.replace(/\.json$/, "") + ".svg";
writeFileSync(output, plotSvg(plotInputOf(JSON.parse(readFileSync(input, "utf8")))));
console.log(`Plot: ${output}`);
