// The server CPU one 4 KiB PUT and one 4 KiB GET cost, sigv4 vs simple: the
// instrument behind docs/design.md "What verification costs". Throughput
// ratios (npm run bench -- --only auth-small) move with whatever else the
// machine does; CPU time per request, read from /proc for the server process
// (all its threads) while it is pinned to one core and this client to the
// other, moves much less, so a change of a few microseconds shows.
//
//   npm run bench:auth-cpu -- [--reps N] [--puts N] [--gets N]
//
// Each rep PUTs then GETs on both servers in turn; the min and median per
// request over the reps are printed. Linux only (/proc, taskset).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { signedEmpty, signedPut, SIGV4_ARGS } from './auth-workloads.ts';
import { S3Client, runPool, smallBody } from './client.ts';
import { killAllSync, NODE_BIN, REPO_ROOT, ServerProcess, type TargetSpec } from './servers.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '8' }, puts: { type: 'string', default: '2000' }, gets: { type: 'string', default: '10000' } } });
const reps = Number(values.reps);
const puts = Number(values.puts);
const gets = Number(values.gets);
const CONCURRENCY = 16;

/** User + system CPU of a process so far, in microseconds (/proc/PID/stat counts clock ticks, 100 per second). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The server on core 1; this process moves itself to core 0. */
const server: TargetSpec = {
  id: 'strata',
  label: 'Strata',
  argv: ['taskset', '-c', '1', NODE_BIN, '--disable-warning=ExperimentalWarning', join(REPO_ROOT, 'src/main.ts'), '--log-level', 'warn'],
  takesRowFlags: true,
};
execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });

const modes = { sigv4: ['--fsync', 'false', ...SIGV4_ARGS], simple: ['--fsync', 'false', '--auth', 'simple'] };
const dirs: string[] = [];
const perRequest: Record<string, { put: number[]; get: number[] }> = {};
try {
  const started: Array<{ mode: string; target: ServerProcess; client: S3Client }> = [];
  for (const [mode, flags] of Object.entries(modes)) {
    const dir = mkdtempSync(join(tmpdir(), 'strata-auth-cpu-'));
    dirs.push(dir);
    const target = await ServerProcess.start(server, dir, flags);
    const client = new S3Client(target.url, CONCURRENCY);
    await signedEmpty(client, 'PUT', '/cpu');
    started.push({ mode, target, client });
    perRequest[mode] = { put: [], get: [] };
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const { mode, target, client } of started) {
      let before = cpuMicros(target.pid);
      await runPool(puts, CONCURRENCY, async (i) => {
        const body = smallBody(4096, i);
        const path = `/cpu/o${i}`;
        await signedPut(client, path, body);
      });
      perRequest[mode].put.push((cpuMicros(target.pid) - before) / puts);
      before = cpuMicros(target.pid);
      await runPool(gets, CONCURRENCY, async (i) => {
        const path = `/cpu/o${i % puts}`;
        await signedEmpty(client, 'GET', path);
      });
      perRequest[mode].get.push((cpuMicros(target.pid) - before) / gets);
    }
  }
  for (const { client, target } of started) {
    client.close();
    await target.stop();
  }
  const summary = (xs: number[]): string => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `min ${sorted[0].toFixed(1)} us, median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} us`;
  };
  console.log(`server CPU per request over ${reps} reps (${puts} PUTs, ${gets} GETs of 4 KiB each, concurrency ${CONCURRENCY})`);
  for (const [mode, r] of Object.entries(perRequest)) console.log(`  ${mode.padEnd(6)} PUT ${summary(r.put)}   GET ${summary(r.get)}`);
} finally {
  killAllSync();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
