// The table of `npm run bench -- --rtt …`: per workload, its D1 round trips and its in-process p50
// at each round-trip time, with what the delay added next to what it should add (trips × rtt).

import { fmt } from "./stats.ts";
import { WORKLOADS, type WorkloadId } from "./workloads.ts";

export interface RttResult {
  levels: number[];
  reps: number;
  workloads: Partial<Record<WorkloadId, { roundTrips: number[]; ms: Record<string, number[]>; p50: Record<string, number> }>>;
}

/** Header row first; one row per workload. */
export function rttRows(rtt: RttResult): string[][] {
  const base = rtt.levels[0]!;
  const delayed = rtt.levels.slice(1);
  const header = ["", "round trips", `p50 @${base} ms`, ...delayed.flatMap((l) => [`p50 @${l} ms`, `added @${l} (trips × ${l})`])];
  const rows = WORKLOADS.filter((w) => rtt.workloads[w.id]).map((w) => {
    const r = rtt.workloads[w.id]!;
    const trips = [...new Set(r.roundTrips)];
    const p0 = r.p50[base]!;
    return [
      w.id,
      trips.join("/"), // one number unless a workload's round trips vary (they should not)
      fmt(p0, 0),
      ...delayed.flatMap((l) => [fmt(r.p50[l], 0), `+${fmt(r.p50[l]! - p0, 0)} (${trips.map((t) => t * (l - base)).join("/")})`]),
    ];
  });
  return [header, ...rows];
}

/** The same rows as a Markdown table, for docs/PERFORMANCE.md. */
export function markdown(rows: string[][]): string {
  const [header, ...body] = rows;
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header!), line(header!.map((_, i) => (i === 0 ? "---" : "---:"))), ...body.map(line)].join("\n");
}
