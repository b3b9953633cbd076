// The bench's picture (issue 25): `npm run bench -- --plot` writes it next to the JSON, and
// `node bench/plot.ts [result.json] [out.svg]` draws it from a saved run. One self-contained SVG
// (no script, no font or stylesheet fetched): per write workload, bars of its in-process p50, its
// old floor and its honest floor (ms, log scale); per workload and typical request, the Worker's
// own time (CPU ms p50) against the Free plan's 10 ms line. Plain TypeScript without imports.

export interface PlotInput {
  title: string;
  /** Per write workload: in-process p50, the old floor and the honest floor (ms; null = none). */
  floors: { id: string; ours: number | null; floor: number | null; honest: number | null }[];
  /** Per request: the Worker's own time, p50 (ms). */
  cpu: { id: string; ms: number | null }[];
  /** The CPU line (ms): the Free plan's 10. */
  cpuLimitMs: number;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function plotSvg(input: PlotInput): string {
  const width = 960;
  const panelH = 300;
  const top = 60;
  const left = 70;
  const plotW = width - left - 30;
  const out: string[] = [];
  const height = top + panelH + 90 + panelH + 70;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(input.title)}</text>`);

  // Panel 1: ours vs floor vs honest floor, log scale.
  const colors = { ours: "#d9534f", floor: "#999999", honest: "#337ab7" };
  const all = input.floors.flatMap((f) => [f.ours, f.floor, f.honest]).filter((v): v is number => v !== null && v > 0);
  const maxV = Math.max(1, ...all);
  const minV = Math.max(0.5, Math.min(...all, maxV) / 2);
  const lo = Math.log10(minV);
  const hi = Math.log10(maxV * 1.5);
  const y1 = (v: number) => top + panelH - ((Math.log10(Math.max(v, minV)) - lo) / (hi - lo)) * panelH;
  out.push(`<text x="${left}" y="${top - 10}" font-weight="bold">In-process p50 vs its floors (ms, log scale)</text>`);
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v < minV || v > maxV * 1.5) continue;
      const y = y1(v);
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
      out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#666">${v}</text>`);
    }
  }
  const group = plotW / Math.max(1, input.floors.length);
  const bar = Math.min(40, group / 4);
  input.floors.forEach((f, i) => {
    const x0 = left + i * group + (group - 3 * bar) / 2;
    (["ours", "floor", "honest"] as const).forEach((k, j) => {
      const v = f[k];
      if (v === null || !(v > 0)) return;
      const y = y1(v);
      out.push(`<rect x="${(x0 + j * bar).toFixed(1)}" y="${y.toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${(top + panelH - y).toFixed(1)}" fill="${colors[k]}"/>`);
      out.push(`<text x="${(x0 + j * bar + bar / 2 - 1).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="10">${num(v)}</text>`);
    });
    const ratio = f.ours !== null && f.honest ? ` ×${(f.ours / f.honest).toFixed(2)}` : "";
    out.push(`<text x="${(left + i * group + group / 2).toFixed(1)}" y="${top + panelH + 16}" text-anchor="middle">${esc(f.id)}${esc(ratio)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + panelH}" y2="${top + panelH}" stroke="#333"/>`);
  const legendY = top + panelH + 40;
  [["ours (in-process p50)", colors.ours], ["old floor (graph rows only)", colors.floor], ["honest floor (every row the contract writes)", colors.honest]].forEach(([label, color], i) => {
    out.push(`<rect x="${left + i * 290}" y="${legendY - 10}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${left + i * 290 + 18}" y="${legendY}">${esc(label!)} ${i === 2 ? "(×: ours ÷ honest)" : ""}</text>`);
  });

  // Panel 2: CPU ms vs the limit line, linear up to a cap (bars above it are cut and labelled).
  const top2 = top + panelH + 90;
  const cap = Math.max(input.cpuLimitMs * 3, Math.min(60, Math.max(...input.cpu.map((c) => c.ms ?? 0))));
  const y2 = (v: number) => top2 + panelH - (Math.min(v, cap) / cap) * panelH;
  out.push(`<text x="${left}" y="${top2 - 10}" font-weight="bold">Worker CPU ms p50 per request (in-process minus D1 waits) vs the ${input.cpuLimitMs} ms line; bars cut at ${cap} ms</text>`);
  for (let v = 0; v <= cap; v += cap > 40 ? 10 : 5) {
    const y = y2(v);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#666">${v}</text>`);
  }
  const g2 = plotW / Math.max(1, input.cpu.length);
  const b2 = Math.min(40, g2 * 0.6);
  input.cpu.forEach((c, i) => {
    const x = left + i * g2 + (g2 - b2) / 2;
    if (c.ms !== null) {
      const y = y2(c.ms);
      const fits = c.ms <= input.cpuLimitMs;
      out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${b2.toFixed(1)}" height="${(top2 + panelH - y).toFixed(1)}" fill="${fits ? "#5cb85c" : "#d9534f"}"/>`);
      out.push(`<text x="${(x + b2 / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="10">${num(c.ms)}${c.ms > cap ? " ↑" : ""}</text>`);
    }
    out.push(`<text x="${(x + b2 / 2).toFixed(1)}" y="${top2 + panelH + 16}" text-anchor="middle">${esc(c.id)}</text>`);
  });
  const ly = y2(input.cpuLimitMs);
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${ly.toFixed(1)}" y2="${ly.toFixed(1)}" stroke="#f0ad4e" stroke-width="2" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${left + plotW}" y="${(ly - 4).toFixed(1)}" text-anchor="end" fill="#b07000">${input.cpuLimitMs} ms (Workers Free plan)</text>`);
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top2 + panelH}" y2="${top2 + panelH}" stroke="#333"/>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** The plot's input from a result JSON of `npm run bench` (bench/run.ts). */
export function plotInputOf(result: any): PlotInput {
  const w = result.workloads ?? {};
  const t = result.typical?.workloads ?? {};
  const ids = Object.keys(w);
  const floors = ids
    .filter((id) => w[id].ratioToFloor)
    .map((id) => {
      const floorOf = id === "W1" ? result.w1Floor?.p50 : result.floor?.p50;
      const honestOf = id === "W1" ? result.honestFloor?.W1?.p50 : result.honestFloor?.W2?.p50;
      return { id, ours: w[id].cost?.inProcessP50 ?? null, floor: floorOf ?? null, honest: honestOf ?? null };
    });
  if (t.T1) floors.push({ id: "T1", ours: t.T1.inProcessP50 ?? null, floor: null, honest: result.typical?.honestFloorT1?.p50 ?? null });
  const cpu = [...ids.map((id) => ({ id, ms: w[id].cost?.workerMsP50 ?? null })), ...Object.keys(t).map((id) => ({ id, ms: t[id].workerMsP50 ?? null }))];
  const load = result.machine ? `, ${result.machine.nproc} CPUs, load ${result.machine.uptimeAtStart?.replace(/.*load average: /, "") ?? "?"}` : "";
  return { title: `Clients API bench — N = ${result.config?.clients ?? "?"}, ${result.finishedAt ?? ""}${load}`, floors, cpu, cpuLimitMs: 10 };
}
