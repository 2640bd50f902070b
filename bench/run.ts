// `npm run bench`: measures Strata side by side with the plain-Node reference
// server (bench/reference-server.ts) in one run and prints a markdown table of
// throughput, p50/p99 latency and peak server RSS with Strata/reference ratios;
// the same results go to bench/results/latest.json. Each workload group gets a
// fresh server child process on a fresh temp data dir; all children and temp
// data are removed at the end, on failure, on SIGINT/SIGTERM and on timeout.
//
//   node bench/run.ts [--quick] [--only ROW[,ROW]] [--size-mib N] [--help]
// Hidden, for harness development: --target-cmd "CMD ARGS" (or env
// STRATA_BENCH_TARGET_CMD) runs CMD in Strata's place; the harness appends
// --port 0 --data-dir DIR and the row's flags (e.g. --fsync false).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { MiB } from './client.ts';
import { runGroup } from './group-runner.ts';
import type { TargetId } from './group-runner.ts';
import { REPO_ROOT, checkStrataAvailable, killAllSync, referenceSpec, strataSpec } from './servers.ts';
import { soloErrorNotes, soloRowsOf, soloTable } from './solo-report.ts';
import type { SoloRow } from './solo-report.ts';
import { errorNotes, markdownTable, nowMs, ratioOf, ratioRangeOf } from './stats.ts';
import type { Row } from './stats.ts';
import { allGroups, describeSize } from './workloads.ts';
import type { BenchOptions } from './workloads.ts';

interface Cli {
  opts: BenchOptions;
  only: Set<string> | null;
  targetCmd: string | undefined;
  jsonPath: string;
  timeoutMin: number;
  quick: boolean;
}

const USAGE = `Usage: npm run bench -- [flags]
  --quick                 smoke run: few ops, 64 MiB large objects, small listing
  --only ROW[,ROW...]     rows or groups to run: put-4k get-4k head-4k put-4k-nofsync list
                          put-large get-large multipart (groups: small-durable small-nofsync list large multipart)
                          sigv4 vs simple (bench/auth-workloads.ts): auth-put-4k auth-get-4k auth-put-large auth-get-large
                          (groups: auth-small auth-large)
                          Strata only (S3 mount; see bench/mount-workloads.ts): get-large-root get-large-cold get-large-warm
                          (-disk: disk tier) get-64k-{root,cold,warm}-{1,16} (groups: mount-large mount-large-disk mount-latency)
  --size-mib N            large PUT/GET and multipart size (default 1024, --quick 64)
  --ops N                 small-object ops per row (default 5000, --quick 300)
  --concurrency N         small-op concurrency (default 16)
  --large-concurrency N   parallel large objects (default 1)
  --part-size-mib N       multipart part size (default 16)
  --part-concurrency N    parts in flight (default 4)
  --list-keys N           keys to list (default 10000, --quick 1000)
  --max-keys N            ListObjectsV2 page size (default 1000, --quick 100)
  --list-walks N          full listing walks (default 10, --quick 3)
  --read-passes N         GET/HEAD passes over the PUT objects (default 3, --quick 1)
  --rounds N              slices per small/list row, alternating targets (default 6, --quick 2)
  --large-rounds N        large PUT/GET and multipart repetitions per target (default 2)
  --json PATH             results file (default bench/results/latest.json)
  --timeout-min N         abort the whole run after N minutes (default 9)`;

function parseCli(argv: readonly string[]): Cli {
  const quick = argv.includes('--quick');
  const opts: BenchOptions = {
    ops: quick ? 300 : 5000,
    concurrency: 16,
    smallSize: 4096,
    largeConcurrency: 1,
    largeBytes: (quick ? 64 : 1024) * MiB,
    partBytes: 16 * MiB,
    partConcurrency: 4,
    listKeys: quick ? 1000 : 10_000,
    listMaxKeys: quick ? 100 : 1000,
    listWalks: quick ? 3 : 10,
    readPasses: quick ? 1 : 3,
    rounds: quick ? 2 : 6,
    largeRounds: 2,
  };
  const cli: Cli = {
    opts, only: null, quick,
    targetCmd: process.env.STRATA_BENCH_TARGET_CMD,
    jsonPath: join(REPO_ROOT, 'bench/results/latest.json'),
    timeoutMin: 9,
  };
  const int = (flag: string, raw: string | undefined, min: number): number => {
    const n = Number(raw);
    if (raw === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${flag}: expected an integer >= ${min}, got ${raw ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '--quick': break;
      case '--help': case '-h': throw new UsageError('');
      case '--only': cli.only = new Set((value() ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')); break;
      case '--size-mib': opts.largeBytes = int(flag, value(), 1) * MiB; break;
      case '--ops': opts.ops = int(flag, value(), 1); break;
      case '--concurrency': opts.concurrency = int(flag, value(), 1); break;
      case '--large-concurrency': opts.largeConcurrency = int(flag, value(), 1); break;
      case '--part-size-mib': opts.partBytes = int(flag, value(), 1) * MiB; break;
      case '--part-concurrency': opts.partConcurrency = int(flag, value(), 1); break;
      case '--list-keys': opts.listKeys = int(flag, value(), 1); break;
      case '--max-keys': opts.listMaxKeys = int(flag, value(), 1); break;
      case '--list-walks': opts.listWalks = int(flag, value(), 1); break;
      case '--read-passes': opts.readPasses = int(flag, value(), 1); break;
      case '--rounds': opts.rounds = int(flag, value(), 1); break;
      case '--large-rounds': opts.largeRounds = int(flag, value(), 1); break;
      case '--json': cli.jsonPath = value() ?? cli.jsonPath; break;
      case '--timeout-min': cli.timeoutMin = int(flag, value(), 1); break;
      // Hidden: benchmark another command in Strata's place (harness development).
      case '--target-cmd': cli.targetCmd = value(); break;
      default: throw new UsageError(`unknown flag ${arg}`);
    }
  }
  if (opts.listMaxKeys > 1000) throw new UsageError('--max-keys: S3 caps pages at 1000');
  if (Math.ceil(opts.largeBytes / opts.partBytes) > 10_000) throw new UsageError('multipart would need more than 10000 parts');
  return cli;
}

class UsageError extends Error {}

// ---- state shared with the cleanup paths ----
let tempRoot = '';
const rows: Row[] = [];
const soloRows: SoloRow[] = [];
let finished = false;

function cleanupSync(): void {
  killAllSync();
  if (tempRoot !== '') {
    try { rmSync(tempRoot, { recursive: true, force: true }); } catch { /* best effort */ }
    tempRoot = '';
  }
}

function bail(message: string, code: number): never {
  process.stderr.write(`\n${message}\n`);
  cleanupSync();
  if (!finished && rows.some((r) => r.strata.ok || r.reference.ok)) {
    process.stderr.write(`\npartial results:\n${markdownTable(rows)}\n`);
  }
  if (!finished && soloRows.some((r) => r.strata.ok)) process.stderr.write(`\n${soloTable(soloRows)}\n`);
  process.exit(code);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(err.message === '' ? `${USAGE}\n` : `bench: ${err.message}\n\n${USAGE}\n`);
      process.exit(err.message === '' ? 0 : 2);
    }
    throw err;
  }
  const groups = allGroups();
  const known = new Set<string>(groups.flatMap((g) => [g.id, ...g.rows.map((r) => r.name)]));
  if (cli.only) {
    const unknown = [...cli.only].filter((n) => !known.has(n));
    if (unknown.length > 0) bail(`bench: --only: unknown row(s) ${unknown.join(', ')}\n\n${USAGE}`, 2);
  }
  const selected = new Set<string>();
  for (const g of groups) {
    for (const r of g.rows) if (!cli.only || cli.only.has(r.name) || cli.only.has(g.id)) selected.add(r.name);
  }
  // GET/HEAD rows need the PUT before them; unselected PUTs still run, unreported.
  const active = groups.filter((g) => g.rows.some((r) => selected.has(r.name)));

  const strata = strataSpec(cli.targetCmd);
  const reference = referenceSpec();
  const unavailable = checkStrataAvailable(strata);
  if (unavailable) bail(`bench: ${unavailable}`, 2);

  tempRoot = mkdtempSync(join(tmpdir(), 'strata-bench-'));
  const deadline = setTimeout(() => bail(`bench: time limit of ${cli.timeoutMin} min exceeded; aborted`, 1), cli.timeoutMin * 60_000);
  deadline.unref();

  const o = cli.opts;
  const large = describeSize(o.largeBytes);
  log(`bench: ${cli.quick ? 'quick, ' : ''}${o.ops} small ops @${o.concurrency}, ${large} large @${o.largeConcurrency}, ` +
    `multipart ${Math.ceil(o.largeBytes / o.partBytes)} x ${describeSize(o.partBytes)} @${o.partConcurrency}, ` +
    `list ${o.listKeys} keys / ${o.listMaxKeys} per page x ${o.listWalks} walks; ${o.readPasses} read passes, ${o.rounds} slices, ${o.largeRounds} large rounds`);
  log(`  Strata:    ${strata.argv.map((a) => (a.startsWith(REPO_ROOT) ? relative(REPO_ROOT, a) : a)).join(' ')}`);
  log(`  reference: ${reference.argv.map((a) => (a.startsWith(REPO_ROOT) ? relative(REPO_ROOT, a) : a)).join(' ')}`);
  log(`  temp dir:  ${tempRoot}`);

  const started = nowMs();
  const startErrors = new Map<string, string>();
  for (const [gi, group] of active.entries()) {
    log(`group ${group.id}${group.strataFlags.length > 0 ? ` (Strata flags: ${group.strataFlags.join(' ')})` : ''}`);
    const skip = new Map<TargetId, string>();
    if (startErrors.has('strata')) skip.set('strata', 'not run: Strata failed to start earlier');
    const result = await runGroup(group, group.targets?.(strata, reference) ?? [strata, reference], {
      opts: o, selected, tempRoot, firstIndex: gi % 2, skip, log,
    });
    for (const [id, err] of result.startErrors) if (!startErrors.has(id)) startErrors.set(id, err);
    if (group.strataOnly) {
      soloRows.push(...soloRowsOf(group, result, selected, large));
      continue;
    }
    for (const r of group.rows) {
      if (!selected.has(r.name)) continue;
      const s = result.results.get('strata')?.get(r.name) ?? { ok: false, error: 'not run' };
      const ref = result.results.get('reference')?.get(r.name) ?? { ok: false, error: 'not run' };
      const title = r.title.replace('large', large);
      rows.push({ name: r.name, title, unit: r.unit, strata: s, reference: ref, ratio: ratioOf(s, ref), ratioRange: ratioRangeOf(s, ref) });
    }
  }
  finished = true;
  clearTimeout(deadline);

  const table = markdownTable(rows);
  const notes = [...errorNotes(rows), ...soloErrorNotes(soloRows)];
  if (rows.length > 0 || soloRows.length === 0) {
    process.stdout.write(`\n${table}\n`);
    process.stdout.write('\nratio S/R = Strata throughput / reference throughput over the whole row (> 1: Strata faster); ' +
      'range = min-max of the per-round ratios (each round pairs adjacent slices), a gauge of machine noise. ' +
      'Latencies are per request (multipart: per part PUT); peak RSS is the server process over the row.\n');
  }
  if (soloRows.length > 0) {
    process.stdout.write(`\n${soloTable(soloRows)}\n\nStrata-only rows: ratios divide the row's throughput by its baseline rows', ` +
      'measured on the same gateway process in the same run; peak RSS is the gateway (not the remote Strata).\n');
  }
  if (strata.label !== 'Strata') process.stdout.write(`note: "Strata" column is ${strata.label}\n`);
  for (const [id, err] of startErrors) notes.unshift(`- ${id} server did not start: ${err}`);
  if (notes.length > 0) process.stdout.write(`\nerrors:\n${notes.join('\n')}\n`);

  const report = {
    generatedAt: new Date().toISOString(),
    durationSec: (nowMs() - started) / 1000,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memMiB: Math.round(totalmem() / MiB), kernel: release(), node: process.version },
    options: { ...o, quick: cli.quick, only: cli.only ? [...cli.only] : null },
    targets: { strata: { label: strata.label, argv: strata.argv }, reference: { label: reference.label, argv: reference.argv } },
    rows,
    strataOnlyRows: soloRows,
  };
  mkdirSync(join(cli.jsonPath, '..'), { recursive: true });
  writeFileSync(cli.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwrote ${relative(process.cwd(), cli.jsonPath) || cli.jsonPath} (${report.durationSec.toFixed(0)} s)`);
  cleanupSync();
  process.exitCode = notes.length > 0 ? 1 : 0;
}

process.on('exit', cleanupSync);
process.on('SIGINT', () => bail('bench: interrupted (SIGINT); servers stopped, temp data removed', 130));
process.on('SIGTERM', () => bail('bench: terminated (SIGTERM); servers stopped, temp data removed', 143));
process.on('SIGHUP', () => bail('bench: hangup (SIGHUP); servers stopped, temp data removed', 129));
process.on('uncaughtException', (err) => bail(`bench: ${err.stack ?? err.message}`, 1));
process.on('unhandledRejection', (err) => bail(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 1));

await main();
