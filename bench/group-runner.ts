// Runs one workload group against both targets at once: a fresh server child
// process and temp data dir per target, unmeasured setup on each, then every
// row as alternating slices (S R, R S, ...) with dirty pages flushed before
// each slice, so machine noise and writeback debt fall on both targets alike.
// A target that fails is dropped for the rest of the group; the other goes on.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from './client.ts';
import { RssMonitor, ServerProcess } from './servers.ts';
import type { TargetSpec } from './servers.ts';
import { Latencies, nowMs } from './stats.ts';
import type { Measurement, Row, TargetResult } from './stats.ts';
import type { BenchOptions, Group, GroupContext, Slice, SliceOutcome } from './workloads.ts';

export type TargetId = TargetSpec['id'];

interface Target {
  spec: TargetSpec;
  dataDir: string;
  server: ServerProcess | null;
  client: S3Client | null;
  /** set once the target failed; later rows are not run on it */
  error: string | null;
  /** the row, "(setup)" or "(group)" where it failed */
  failedAt: string;
  results: Map<string, TargetResult>;
}

export interface GroupResult {
  results: Map<TargetId, Map<string, TargetResult>>;
  /** targets whose server did not start, with the reason */
  startErrors: Map<TargetId, string>;
}

export interface GroupRunOptions {
  opts: BenchOptions;
  /** rows to report */
  selected: ReadonlySet<string>;
  tempRoot: string;
  /** index of the target that goes first in round 0 (alternated per group) */
  firstIndex: number;
  /** targets not to start at all, with the reason (e.g. failed to start before) */
  skip: ReadonlyMap<TargetId, string>;
  log(line: string): void;
}

/** Flushes dirty pages so one slice's writeback is not paid by the next. */
function settle(): void {
  try {
    execFileSync('sync', { stdio: 'ignore', timeout: 120_000 });
  } catch {
    /* no sync(1): measure anyway */
  }
}

/** The error's message, plus the server's stderr if it died (a reset can arrive before its exit). */
async function messageOf(err: unknown, t: Target): Promise<string> {
  let message = err instanceof Error ? err.message : String(err);
  if (t.server) {
    const stderr = t.server.stderr().replace(/\n/g, ' | ').slice(-500);
    if (await t.server.waitExit(500)) message += ` (server died; output: ${stderr || 'none'})`;
    else if (stderr) message += ` (server output: ${stderr})`;
  }
  return message;
}

function throughputOf(unit: Row['unit'], ops: number, bytes: number, seconds: number): number {
  return unit === 'MB/s' ? bytes / 1e6 / seconds : ops / seconds;
}

export async function runGroup(group: Group, specs: readonly TargetSpec[], run: GroupRunOptions): Promise<GroupResult> {
  const { opts, selected, log } = run;
  const startErrors = new Map<TargetId, string>();
  // Strata-only groups (e.g. S3 mounts) start no reference server.
  const targets: Target[] = specs.filter((spec) => !group.strataOnly || spec.id === 'strata').map((spec) => ({
    spec,
    dataDir: join(run.tempRoot, `${spec.id}-${group.id}`),
    server: null,
    client: null,
    error: run.skip.get(spec.id) ?? null,
    failedAt: '',
    results: new Map(),
  }));
  const healthy = (): Target[] => targets.filter((t) => t.error === null && t.client !== null);
  const fail = async (t: Target, row: string, err: unknown): Promise<void> => {
    t.error = await messageOf(err, t);
    t.failedAt = row;
    if (!row.startsWith('(')) t.results.set(row, { ok: false, error: t.error });
    log(`  ${t.spec.id.padEnd(9)} ${row.padEnd(15)} FAILED: ${t.error}`);
  };

  try {
    for (const t of targets) {
      if (t.error !== null) continue;
      mkdirSync(t.dataDir, { recursive: true });
      try {
        t.server = await ServerProcess.start(t.spec, t.dataDir, group.strataFlags);
        t.client = new S3Client(t.server.url, group.sockets(opts));
      } catch (err) {
        t.error = err instanceof Error ? err.message : String(err);
        startErrors.set(t.spec.id, t.error);
        log(`  ${t.spec.id.padEnd(9)} did not start: ${t.error}`);
      }
    }

    const ctx: GroupContext = {
      opts,
      async setup(fn) {
        for (const t of healthy()) {
          try {
            await fn(t.client as S3Client);
          } catch (err) {
            await fail(t, '(setup)', err);
          }
        }
      },
      async measure(row, rounds, slice: Slice) {
        const def = group.rows.find((r) => r.name === row);
        if (!def) throw new Error(`internal: unknown row ${row}`);
        const live = healthy();
        if (live.length === 0) return;
        settle();
        const acc = new Map<Target, {
          ops: number; bytes: number; seconds: number; lat: Latencies; extras: Record<string, number>[]; slices: number[];
        }>();
        const monitors = new Map<Target, RssMonitor>();
        for (const t of live) {
          acc.set(t, { ops: 0, bytes: 0, seconds: 0, lat: new Latencies(), extras: [], slices: [] });
          monitors.set(t, new RssMonitor((t.server as ServerProcess).pid));
        }
        for (let round = 0; round < rounds; round++) {
          const order = (round + run.firstIndex) % 2 === 0 ? live : [...live].reverse();
          for (const t of order) {
            if (t.error !== null) continue;
            const a = acc.get(t);
            if (!a) continue;
            settle();
            const t0 = nowMs();
            let out: SliceOutcome;
            try {
              out = await slice(t.client as S3Client, round, a.lat);
            } catch (err) {
              await fail(t, row, err);
              continue;
            }
            const seconds = (nowMs() - t0) / 1000;
            a.seconds += seconds;
            a.slices.push(throughputOf(def.unit, out.ops, out.bytes, seconds));
            a.ops += out.ops;
            a.bytes += out.bytes;
            if (out.extra) a.extras.push(out.extra);
          }
        }
        for (const t of live) {
          const rss = monitors.get(t)?.finish() ?? { peakMiB: Number.NaN, method: '' };
          const a = acc.get(t);
          if (!a || t.error !== null || !selected.has(row)) continue;
          const m: Measurement = {
            throughput: throughputOf(def.unit, a.ops, a.bytes, a.seconds),
            p50Ms: a.lat.percentile(50),
            p99Ms: a.lat.percentile(99),
            peakRssMiB: rss.peakMiB,
            rssMethod: rss.method,
            ops: a.ops,
            bytes: a.bytes,
            seconds: a.seconds,
            slices: a.slices,
            extra: averageExtras(a.extras),
          };
          t.results.set(row, { ok: true, measurement: m });
          log(`  ${t.spec.id.padEnd(9)} ${row.padEnd(15)} ${m.throughput.toFixed(1)} ${def.unit}, p50 ${m.p50Ms.toFixed(2)} ms, ` +
            `p99 ${m.p99Ms.toFixed(2)} ms, peak RSS ${m.peakRssMiB.toFixed(0)} MiB (${a.seconds.toFixed(1)} s in ${rounds} slices)`);
        }
      },
    };

    try {
      await group.run(ctx);
    } catch (err) {
      for (const t of healthy()) await fail(t, '(group)', err);
    }
  } finally {
    for (const t of targets) {
      t.client?.close();
      if (t.server) await t.server.stop();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  }

  const results = new Map<TargetId, Map<string, TargetResult>>();
  for (const t of targets) {
    const byRow = new Map<string, TargetResult>();
    for (const r of group.rows) {
      let why = 'not run';
      if (startErrors.has(t.spec.id)) why = 'server did not start';
      else if (run.skip.has(t.spec.id)) why = run.skip.get(t.spec.id) ?? why;
      else if (t.failedAt.startsWith('(')) why = `${t.failedAt.slice(1, -1)} failed: ${t.error}`;
      else if (t.error !== null) why = `not run: ${t.failedAt} failed before it`;
      byRow.set(r.name, t.results.get(r.name) ?? { ok: false, error: why });
    }
    results.set(t.spec.id, byRow);
  }
  return { results, startErrors };
}

function averageExtras(extras: readonly Record<string, number>[]): Record<string, number> | undefined {
  if (extras.length === 0) return undefined;
  const sum: Record<string, number> = {};
  for (const e of extras) for (const [k, v] of Object.entries(e)) sum[k] = (sum[k] ?? 0) + v;
  for (const k of Object.keys(sum)) sum[k] /= extras.length;
  return sum;
}
