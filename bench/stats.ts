// Benchmark statistics and reporting: latency percentiles, per-row results,
// Strata/reference ratios, and the markdown table printed by bench/run.ts.

/** What one target (Strata or the reference) achieved on one workload row. */
export interface Measurement {
  /** ops/s, MB/s (10^6 bytes/s) or pages/s, depending on the row's unit */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  /** peak resident set size of the server process during the measured phase */
  peakRssMiB: number;
  /** how peakRssMiB was obtained: "VmHWM" (high-water mark reset before the phase) or "VmRSS-samples" */
  rssMethod: string;
  ops: number;
  bytes: number;
  seconds: number;
  /** throughput of each slice, in round order (ops, MB or pages per second) */
  slices: number[];
  /** row-specific extras (e.g. multipart initiate/complete times) */
  extra?: Record<string, number>;
}

export interface TargetResult {
  ok: boolean;
  measurement?: Measurement;
  error?: string;
}

export interface Row {
  name: string;
  title: string;
  unit: 'ops/s' | 'MB/s' | 'pages/s';
  strata: TargetResult;
  reference: TargetResult;
  /** Strata throughput / reference throughput; null when either side failed */
  ratio: number | null;
  /** min and max of the per-round ratios (slice i of Strata / slice i of the reference) */
  ratioRange: [number, number] | null;
}

/** Latency samples in milliseconds, with nearest-rank percentiles. */
export class Latencies {
  private readonly samples: number[] = [];

  add(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return Number.NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  }
}

/** Milliseconds since an arbitrary origin, monotonic. */
export function nowMs(): number {
  return performance.now();
}

export function ratioOf(strata: TargetResult, reference: TargetResult): number | null {
  if (!strata.measurement || !reference.measurement) return null;
  if (reference.measurement.throughput <= 0) return null;
  return strata.measurement.throughput / reference.measurement.throughput;
}

export function ratioRangeOf(strata: TargetResult, reference: TargetResult): [number, number] | null {
  const a = strata.measurement?.slices;
  const b = reference.measurement?.slices;
  if (!a || !b || a.length !== b.length || a.length < 2) return null;
  const ratios = a.map((x, i) => x / b[i]).filter((r) => Number.isFinite(r));
  if (ratios.length === 0) return null;
  return [Math.min(...ratios), Math.max(...ratios)];
}

export function fmt(n: number | undefined, digits: number): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}

export function cell(r: TargetResult, pick: (m: Measurement) => number, digits: number): string {
  if (!r.ok || !r.measurement) return 'error';
  return fmt(pick(r.measurement), digits);
}

/** The markdown table: one line per row, Strata next to the reference. */
export function markdownTable(rows: readonly Row[]): string {
  const header = [
    'workload', 'unit', 'Strata', 'reference', 'ratio S/R', 'range',
    'p50 ms S', 'p50 ms R', 'p99 ms S', 'p99 ms R', 'peak RSS MiB S', 'peak RSS MiB R',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const row of rows) {
    const ratio = row.ratio === null ? '–' : `${row.ratio.toFixed(2)}×`;
    const range = row.ratioRange === null ? '–' : `${row.ratioRange[0].toFixed(2)}–${row.ratioRange[1].toFixed(2)}`;
    lines.push(`| ${[
      row.title,
      row.unit,
      cell(row.strata, (m) => m.throughput, 1),
      cell(row.reference, (m) => m.throughput, 1),
      ratio,
      range,
      cell(row.strata, (m) => m.p50Ms, 2),
      cell(row.reference, (m) => m.p50Ms, 2),
      cell(row.strata, (m) => m.p99Ms, 2),
      cell(row.reference, (m) => m.p99Ms, 2),
      cell(row.strata, (m) => m.peakRssMiB, 0),
      cell(row.reference, (m) => m.peakRssMiB, 0),
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Error lines to print under the table, one per failed target/row. */
export function errorNotes(rows: readonly Row[]): string[] {
  const notes: string[] = [];
  for (const row of rows) {
    if (row.strata.error) notes.push(`- ${row.name} (Strata): ${row.strata.error}`);
    if (row.reference.error) notes.push(`- ${row.name} (reference): ${row.reference.error}`);
  }
  return notes;
}
