// Issue 4 ("Storage abstraction and caching") rows of `npm run bench`, run on
// Strata alone: the gateway (the group's server) mounts a second Strata child
// process as S3 under-storage at /remote, and every row is compared with the
// same gateway's local-root GET of an object of the same size (and warm rows
// with the cold ones). Done means: a warm 1 GiB GET within 90% of the local
// root's, and with 20 ms of added latency on the under-storage, 64 KiB warm
// GETs at least 10x the cold ones.
// Objects are written straight into the remote (never through the gateway),
// then imported by one forced `fs sync`, so the first gateway read of each is
// truly cold whatever write type fills the cache on write.
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrapeServed, servedExtras } from './cache-metrics.ts';
import { MiB, S3Client, runPool, smallBody } from './client.ts';
import { DelayProxy } from './delay-proxy.ts';
import { ServerProcess, strataSpec } from './servers.ts';
import { Latencies, nowMs } from './stats.ts';
import type { Group, RowDef, Slice } from './workloads.ts';

const REMOTE_BUCKET = 'under-storage';
const REMOTE_PREFIX = 'mounted';
/** The gateway's mount point: bucket "remote" maps to s3://under-storage/mounted. */
const MOUNT = 'remote';
const LOCAL = 'local';
/** The user the remote trusts (simple auth) and the mount signs as. */
const REMOTE_USER = 'bench';
const ADDED_RTT_MS = 20;
const SMALL = 64 * 1024;
/** Memory tier of the memory-cache group; the 1 GiB object must fit in it. */
const MEMORY_TIER_MIB = 1200;
/** Memory tier of the disk-cache group: smaller than any object it reads, so warm reads come from disk. */
const SMALL_MEMORY_TIER_MIB = 32;
const DISK_TIER_MIB = 2048;

// ---- temp dirs: removed when a group ends, and at exit whatever happened ----
const tempDirs = new Set<string>();
let exitHook = false;

function track(dir: string): string {
  tempDirs.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Bytes in the files under `dir` (0 if it does not exist). */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    total += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/**
 * Waits until the disk tier under `dir` stops growing (pages are written to
 * disk behind the reader), so a warm read does not race the cold read's
 * inserts; gives up after `timeoutMs`.
 */
async function settleDir(dir: string, timeoutMs = 30_000): Promise<void> {
  const until = nowMs() + timeoutMs;
  let last = -1;
  for (;;) {
    const now = await dirBytes(dir);
    if (now === last || nowMs() > until) return;
    last = now;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The second Strata that plays the S3 under-storage, optionally behind a delay proxy. */
class Remote {
  readonly server: ServerProcess;
  readonly dir: string;
  readonly client: S3Client;
  proxy: DelayProxy | null = null;
  /** what the gateway's mount points at: the remote itself or the proxy */
  endpoint: string;

  private constructor(server: ServerProcess, dir: string, sockets: number) {
    this.server = server;
    this.dir = dir;
    this.client = new S3Client(server.url, sockets);
    this.endpoint = server.url;
  }

  /** Always the real Strata (not a --target-cmd override), with simple auth trusting REMOTE_USER. */
  static async start(sockets: number): Promise<Remote> {
    const dir = track(mkdtempSync(join(tmpdir(), 'strata-bench-remote-')));
    let server: ServerProcess;
    try {
      server = await ServerProcess.start(strataSpec(undefined), dir, ['--auth', 'simple', '--default-user', REMOTE_USER]);
    } catch (err) {
      removeDir(dir);
      throw err;
    }
    return new Remote(server, dir, sockets);
  }

  /** Puts a delay proxy between the gateway and the remote (round trip 0 until set). */
  async addProxy(): Promise<void> {
    this.proxy = new DelayProxy(this.server.url, 0);
    this.endpoint = await this.proxy.start();
  }

  async close(): Promise<void> {
    this.client.close();
    await this.proxy?.close();
    await this.server.stop();
    removeDir(this.dir);
  }
}

function remotePath(key: string): string {
  return `/${REMOTE_BUCKET}/${REMOTE_PREFIX}/${key}`;
}

/** Creates the remote bucket, mounts it at /remote on the gateway (FS API) and creates the local bucket. */
async function mountRemote(gateway: S3Client, remote: Remote): Promise<void> {
  await remote.client.send({ method: 'PUT', path: `/${REMOTE_BUCKET}` });
  const body = JSON.stringify({
    uri: `s3://${REMOTE_BUCKET}/${REMOTE_PREFIX}`,
    options: {
      endpoint: remote.endpoint, 'path-style': 'true', 'access-key': REMOTE_USER, 'secret-key': 'bench-secret',
      'sync-interval': 'always',
    },
  });
  await gateway.send({ method: 'POST', path: `/api/v1/fs/mount?path=${encodeURIComponent(`/${MOUNT}`)}`, body, keepBody: true });
  await gateway.send({ method: 'PUT', path: `/${LOCAL}` });
}

/** Imports what was written into the remote, so no measured GET pays a metadata lookup. */
async function syncMount(gateway: S3Client): Promise<void> {
  await gateway.send({ method: 'POST', path: `/api/v1/fs/sync?path=${encodeURIComponent(`/${MOUNT}`)}`, keepBody: true });
}

async function timed<T>(lat: Latencies, fn: () => Promise<T>): Promise<T> {
  const t0 = nowMs();
  const out = await fn();
  lat.add(nowMs() - t0);
  return out;
}

/** GETs `/bucket/key` for every key, `concurrency` at a time, checking each size. */
function getAll(bucket: string, keys: readonly string[], size: number, concurrency: number, passes = 1): Slice {
  return async (client, _round, lat) => {
    const total = keys.length * passes;
    await runPool(total, concurrency, async (i) => {
      const key = keys[i % keys.length];
      const res = await timed(lat, () => client.send({ method: 'GET', path: `/${bucket}/${key}` }));
      if (res.bytes !== size) throw new Error(`GET /${bucket}/${key}: ${res.bytes} bytes, expected ${size}`);
    });
    return { ops: total, bytes: total * size };
  };
}

/**
 * A mount row's slice, with where its bytes came from (MiB per cache tier and
 * from the remote, from the gateway's metrics) and `extra` figures added. The
 * two metrics scrapes (a few ms) fall inside the timed slice.
 */
function mountSlice(inner: Slice, extra: () => Promise<Record<string, number>> = async () => ({})): Slice {
  return async (client, round, lat) => {
    const before = await scrapeServed(client);
    const out = await inner(client, round, lat);
    const after = await scrapeServed(client);
    return { ...out, extra: { ...servedExtras(before, after), ...(await extra()) } };
  };
}

/** Holds what a group started, so `finally` can stop it. */
interface Rig {
  remote: Remote | null;
}

async function closeRig(rig: Rig): Promise<void> {
  const remote = rig.remote;
  rig.remote = null;
  if (remote) await remote.close();
}

// ---- 1 GiB GET: local root vs S3 mount, cold and warm ----

function largeGroup(tier: 'memory' | 'disk'): Group {
  const sfx = tier === 'memory' ? '' : '-disk';
  const root = `get-large-root${sfx}`;
  const cold = `get-large-cold${sfx}`;
  const warm = `get-large-warm${sfx}`;
  const cacheDir = tier === 'disk' ? track(join(tmpdir(), `strata-bench-cache-${process.pid}`)) : '';
  const flags = tier === 'memory'
    ? ['--cache-memory', `${MEMORY_TIER_MIB}MiB`, '--cache-disk', '0']
    : ['--cache-memory', `${SMALL_MEMORY_TIER_MIB}MiB`, '--cache-disk', `${DISK_TIER_MIB}MiB`, '--cache-dir', cacheDir];
  const config = tier === 'memory'
    ? `cache ${MEMORY_TIER_MIB} MiB memory, no disk`
    : `cache ${SMALL_MEMORY_TIER_MIB} MiB memory + ${DISK_TIER_MIB / 1024} GiB disk`;
  const rows: RowDef[] = [
    { name: root, title: `large GET, local root (${config})`, unit: 'MB/s' },
    { name: cold, title: `large GET, S3 mount, cold (${config})`, unit: 'MB/s', vs: [{ row: root, label: 'of local root' }] },
    {
      name: warm, title: `large GET, S3 mount, warm: ${tier} tier (${config})`, unit: 'MB/s',
      vs: [{ row: root, label: 'of local root' }, { row: cold, label: 'of cold' }],
    },
  ];
  return {
    id: tier === 'memory' ? 'mount-large' : 'mount-large-disk',
    strataOnly: true,
    strataFlags: flags,
    rows,
    sockets: () => 1,
    async run(ctx) {
      const o = ctx.opts;
      const size = o.largeBytes;
      const capacity = (tier === 'memory' ? MEMORY_TIER_MIB : DISK_TIER_MIB) * MiB;
      const rig: Rig = { remote: null };
      try {
        await ctx.setup(async (gateway) => {
          if (size > capacity - 32 * MiB) throw new Error(`a ${size / MiB} MiB object does not fit the ${tier} tier of ${capacity / MiB} MiB`);
          rig.remote = await Remote.start(1);
          await mountRemote(gateway, rig.remote);
          await rig.remote.client.send({ method: 'PUT', path: remotePath('big.bin'), streamBytes: size });
          await syncMount(gateway);
          await gateway.send({ method: 'PUT', path: `/${LOCAL}/big.bin`, streamBytes: size });
        });
        // Evidence of the tier: what the disk tier holds after each read (the memory tier is smaller than the object).
        const diskTier = async (): Promise<Record<string, number>> =>
          (tier === 'disk' ? { diskTierMiB: Math.round((await dirBytes(cacheDir)) / MiB) } : {});
        // Cold first (it must be), then warm and the local root back to back, so
        // the ratio that matters compares two adjacent stretches of the run.
        await ctx.measure(cold, 1, mountSlice(getAll(MOUNT, ['big.bin'], size, 1), diskTier));
        if (tier === 'disk') await settleDir(cacheDir);
        await ctx.measure(warm, o.largeRounds, mountSlice(getAll(MOUNT, ['big.bin'], size, 1), diskTier));
        await ctx.measure(root, o.largeRounds, getAll(LOCAL, ['big.bin'], size, 1));
      } finally {
        await closeRig(rig);
        if (cacheDir !== '') removeDir(cacheDir);
      }
    },
  };
}

// ---- 64 KiB GETs with 20 ms added round-trip latency on the under-storage ----

/** Median of `n` sequential HEADs of `path` through `client`, in ms. */
async function medianHeadMs(client: S3Client, path: string, n: number): Promise<number> {
  const lat = new Latencies();
  for (let i = 0; i < n; i++) await timed(lat, () => client.send({ method: 'HEAD', path }));
  return lat.percentile(50);
}

function smallKeys(set: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${set}/obj-${String(i).padStart(5, '0')}`);
}

const latencyRows = (c: number): RowDef[] => [
  { name: `get-64k-root-${c}`, title: `64 KiB GET @${c}, local root`, unit: 'ops/s' },
  {
    name: `get-64k-cold-${c}`, title: `64 KiB GET @${c}, S3 mount +${ADDED_RTT_MS} ms RTT, cold`, unit: 'ops/s',
    vs: [{ row: `get-64k-root-${c}`, label: 'of local root' }],
  },
  {
    name: `get-64k-warm-${c}`, title: `64 KiB GET @${c}, S3 mount +${ADDED_RTT_MS} ms RTT, warm`, unit: 'ops/s',
    vs: [{ row: `get-64k-cold-${c}`, label: 'of cold (target ≥ 10×)' }, { row: `get-64k-root-${c}`, label: 'of local root' }],
  },
];

const CONCURRENCIES = [1, 16] as const;

const latencyCacheDir = track(join(tmpdir(), `strata-bench-cache-${process.pid}-latency`));

const latencyGroup: Group = {
  id: 'mount-latency',
  strataOnly: true,
  // The default tiers (256 MiB memory, 4 GiB disk), the disk tier where settleDir can watch it.
  strataFlags: ['--cache-dir', latencyCacheDir],
  rows: CONCURRENCIES.flatMap(latencyRows),
  sockets: () => Math.max(...CONCURRENCIES),
  async run(ctx) {
    const o = ctx.opts;
    // Objects per concurrency, each read once cold (each miss pays the remote
    // round trip), scaled from --ops: 250 and 2000 by default, 20 and 120 with --quick.
    const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(n)));
    const counts = new Map<number, number>([[1, clamp(o.ops / 20, 20, 250)], [16, clamp(o.ops * 0.4, 64, 2000)]]);
    // Warm and local-root rows read each object several times, so they last about a second or more.
    const passes = (c: number): number => Math.max(2, o.readPasses) * (c === 1 ? 2 : 1);
    const keys = new Map<number, string[]>(CONCURRENCIES.map((c) => [c, smallKeys(`c${c}`, counts.get(c) ?? 0)]));
    const body = (i: number): Buffer => smallBody(SMALL, i);
    const rig: Rig = { remote: null };
    let addedRttMs = Number.NaN;
    try {
      await ctx.setup(async (gateway) => {
        rig.remote = await Remote.start(16);
        const remote = rig.remote;
        await remote.addProxy();
        await mountRemote(gateway, remote);
        for (const c of CONCURRENCIES) {
          const ks = keys.get(c) ?? [];
          await runPool(ks.length, 16, async (i) => {
            await remote.client.send({ method: 'PUT', path: remotePath(ks[i]), body: body(i) });
            await gateway.send({ method: 'PUT', path: `/${LOCAL}/${ks[i]}`, body: body(i) });
          });
        }
        await syncMount(gateway);
        // One unmeasured pass over the local objects: the local-root rows start
        // with a warm JIT and OS page cache, as the warm mount rows do.
        for (const c of CONCURRENCIES) await getAll(LOCAL, keys.get(c) ?? [], SMALL, 16)(gateway, 0, new Latencies());
        remote.proxy?.setRoundTrip(ADDED_RTT_MS);
        // What the proxy really adds per request, against the same remote directly.
        const viaProxy = new S3Client(remote.endpoint, 1);
        try {
          const probe = remotePath((keys.get(1) ?? [])[0]);
          const direct = await medianHeadMs(remote.client, probe, 15);
          addedRttMs = (await medianHeadMs(viaProxy, probe, 15)) - direct;
        } finally {
          viaProxy.close();
        }
      });
      for (const c of CONCURRENCIES) {
        const ks = keys.get(c) ?? [];
        // Cold, then warm and the local root back to back (as in the 1 GiB groups).
        const rtt = async (): Promise<Record<string, number>> => ({ addedRttMs: Math.round(addedRttMs * 10) / 10 });
        await ctx.measure(`get-64k-cold-${c}`, 1, mountSlice(getAll(MOUNT, ks, SMALL, c), rtt));
        await settleDir(latencyCacheDir);
        await ctx.measure(`get-64k-warm-${c}`, 1, mountSlice(getAll(MOUNT, ks, SMALL, c, passes(c))));
        await ctx.measure(`get-64k-root-${c}`, 1, getAll(LOCAL, ks, SMALL, c, passes(c)));
      }
    } finally {
      await closeRig(rig);
      removeDir(latencyCacheDir);
    }
  },
};

/** The issue-4 groups, in run order. */
export function mountGroups(): Group[] {
  return [largeGroup('memory'), largeGroup('disk'), latencyGroup];
}
