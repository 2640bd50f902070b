// Rows measured on Strata alone (groups with `strataOnly`, e.g. the issue-4
// mount and cache rows): no plain-Node reference exists for an S3 mount, so
// each row is compared with other rows of the same group and the same server
// process instead (its `vs` baselines, e.g. "warm mount GET / local-root GET").
// bench/run.ts prints these in a second table under the Strata/reference one.
import type { GroupResult } from './group-runner.ts';
import { cell, fmt, type TargetResult } from './stats.ts';
import type { Group } from './workloads.ts';

export interface SoloRatio {
  /** the baseline row's name and short label */
  row: string;
  label: string;
  /** this row's throughput / the baseline's; null when either failed */
  ratio: number | null;
}

export interface SoloRow {
  name: string;
  group: string;
  title: string;
  unit: 'ops/s' | 'MB/s' | 'pages/s';
  strata: TargetResult;
  ratios: SoloRatio[];
}

/** The selected rows of a Strata-only group, with their ratios to their baselines. */
export function soloRowsOf(group: Group, result: GroupResult, selected: ReadonlySet<string>, large: string): SoloRow[] {
  const byRow = result.results.get('strata');
  const of = (name: string): TargetResult => byRow?.get(name) ?? { ok: false, error: 'not run' };
  const out: SoloRow[] = [];
  for (const r of group.rows) {
    if (!selected.has(r.name)) continue;
    const strata = of(r.name);
    const ratios = (r.vs ?? []).map((b): SoloRatio => {
      const mine = strata.measurement;
      const base = of(b.row).measurement;
      const ratio = mine && base && base.throughput > 0 ? mine.throughput / base.throughput : null;
      return { row: b.row, label: b.label, ratio };
    });
    out.push({ name: r.name, group: group.id, title: r.title.replace('large', large), unit: r.unit, strata, ratios });
  }
  return out;
}

/** Markdown table of Strata-only rows: throughput, ratios to baselines, latency and the gateway's peak RSS. */
export function soloTable(rows: readonly SoloRow[]): string {
  const header = ['workload (Strata only)', 'unit', 'Strata', 'ratio to baseline', 'p50 ms', 'p99 ms', 'ops', 'peak RSS MiB', 'notes'];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 || i === 3 || i === 8 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const row of rows) {
    const ratios = row.ratios.map((x) => `${x.ratio === null ? '–' : `${x.ratio.toFixed(2)}×`} ${x.label}`).join('; ');
    lines.push(`| ${[
      row.title,
      row.unit,
      cell(row.strata, (m) => m.throughput, 1),
      ratios === '' ? '(baseline)' : ratios,
      cell(row.strata, (m) => m.p50Ms, 2),
      cell(row.strata, (m) => m.p99Ms, 2),
      cell(row.strata, (m) => m.ops, 0),
      cell(row.strata, (m) => m.peakRssMiB, 0),
      Object.entries(row.strata.measurement?.extra ?? {}).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', '),
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Error lines for failed Strata-only rows. */
export function soloErrorNotes(rows: readonly SoloRow[]): string[] {
  return rows.filter((r) => r.strata.error).map((r) => `- ${r.name} (Strata only): ${r.strata.error}`);
}
