// Small statistics and formatting helpers of the benchmark (Node side).

/** Nearest-rank percentile (p in 0–100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface LatencySummary {
  requests: number;
  errors: number;
  /** Milliseconds. */
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
  /** Wall-clock milliseconds of the whole run. */
  wallMs: number;
  /** Completed requests per second. */
  throughput: number;
}

export function summarize(samples: readonly number[], errors: number, wallMs: number): LatencySummary {
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    requests: samples.length,
    errors,
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    p99: round(percentile(samples, 99)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    wallMs: Math.round(wallMs),
    throughput: Math.round((samples.length / (wallMs / 1000)) * 100) / 100,
  };
}

/** A plain-text table: first row is the header; numbers right-aligned. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[], isHeader: boolean) =>
    r
      .map((c, i) => {
        const numeric = !isHeader && /^[-+]?[\d.,]+( ?[a-z×%/]*)?$|^—$/.test(c);
        return numeric ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  const out = [line(cells[0]!, true), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of cells.slice(1)) out.push(line(r, false));
  return out.join("\n");
}

export const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || Number.isNaN(value) ? "—" : value.toFixed(digits);
