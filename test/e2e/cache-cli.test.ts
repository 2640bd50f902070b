// The cache's user-facing side end to end: `strata fs load|free|pin|unpin`, the
// real % cached of `fs ls`, pages per tier in `fs stat`, pins that survive a
// restart, and the Prometheus metrics. The gateway mounts a second, real Strata
// as S3 under-storage and has a tiny memory-only cache (64 KiB of 4 KiB pages)
// so that eviction is easy to provoke.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FsEntry } from '../../src/admin/fs-api.ts';
import { startStrata, type RunningStrata } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fsApi, raw, runChild, startTestServer, type ChildRun, type TestServer } from './harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const BIN = join(ROOT, 'bin', 'strata.js');
const PAGE = 4096;
const CAPACITY = 16 * PAGE;

type CliResult = ChildRun;

/** Runs `node bin/strata.js ...args` as a user would. */
function cli(args: string[]): Promise<CliResult> {
  const env = { ...process.env };
  delete env.STRATA_ENDPOINT;
  delete env.STRATA_USER;
  return runChild(NODE, [BIN, ...args], { cwd: ROOT, env });
}

/** The value of one sample in a Prometheus text exposition, e.g. sample(text, 'strata_cache_pages{tier="memory"}'). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no sample ${series} in the metrics`);
  return Number(line.slice(series.length + 1));
}

describe('cache administration and metrics over an S3 mount', () => {
  let remote: TestServer;
  let direct: S3Client;
  let dataDir: string;
  let gateway: RunningStrata;
  let c: S3Client;
  const config = (): ReturnType<typeof loadConfig>['config'] => loadConfig(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent',
    '--default-user', 'strata', '--cache-memory', String(CAPACITY), '--cache-disk', '0', '--cache-page-size', String(PAGE)], {}).config;
  const fs = (...args: string[]): Promise<CliResult> => cli(['fs', ...args, '--endpoint', gateway.url, '--user', 'alice']);
  const entry = async (path: string): Promise<FsEntry> => {
    const res = await fsApi(gateway.url, 'GET', 'stat', path);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json as unknown as FsEntry;
  };
  const put = async (key: string, body: Buffer): Promise<void> => {
    await c.send(new PutObjectCommand({ Bucket: 'cloud', Key: key, Body: body }));
  };
  const get = async (key: string): Promise<Buffer> =>
    Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: key }))).Body!.transformToByteArray());
  const newClient = (): S3Client => new S3Client({
    endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'alice', secretAccessKey: 'unused' }, maxAttempts: 1,
  });

  before(async () => {
    remote = await startTestServer();
    direct = remote.client('remote-owner');
    await direct.send(new CreateBucketCommand({ Bucket: 'remote-bucket' }));
    dataDir = await mkdtemp(join(tmpdir(), 'strata-cache-cli-'));
    gateway = await startStrata(config());
    c = newClient();
    const res = await fsApi(gateway.url, 'POST', 'mount', '/cloud', {
      uri: 's3://remote-bucket/data',
      options: { endpoint: remote.url, 'path-style': 'true', 'access-key': 'remote-owner', 'secret-key': 'unused-secret' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
  });
  after(async () => {
    c?.destroy();
    await gateway?.close();
    await remote?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('fs load fetches a file into the cache (100% in ls, pages per tier in stat) and fs free drops it (0%)', async () => {
    const body = randomBytes(5 * PAGE - 1000);
    await put('load/a.bin', body);
    let r = await fs('free', '/cloud/load');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\/cloud\/load freed: 1 file, .* dropped from the cache\n$/);
    r = await fs('ls', '/cloud/load');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-rw-r--r-- .* {3}0% \/cloud\/load\/a\.bin\n$/);

    r = await fs('load', '/cloud/load/a.bin', '--progress');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '/cloud/load/a.bin loaded: 1 file, 19.5 kB in 5 pages (5 fetched)\n');
    assert.match(r.stderr, /\r100% \[=+\] 19\.5 kB \/ 19\.5 kB .*\n$/, 'the progress bar ends full');
    r = await fs('ls', '/cloud/load');
    assert.match(r.stdout, /^-rw-r--r-- .* 100% \/cloud\/load\/a\.bin\n$/);
    r = await fs('stat', '/cloud/load/a.bin');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\ncached: {12}100%\nmemory tier: {7}5 pages, 19\.5 kB\netag:/);
    const e = await entry('/cloud/load/a.bin');
    assert.deepEqual([e.cachedPercent, e.cache, e.pinned], [100, { memory: { pages: 5, bytes: body.length } }, false]);
    // Loaded data is served without the remote.
    const fetches = gateway.ns.deps.cache.stats().fetches;
    assert.ok((await get('load/a.bin')).equals(body));
    assert.equal(gateway.ns.deps.cache.stats().fetches, fetches);

    r = await fs('free', '/cloud/load/a.bin');
    assert.equal(r.stdout, '/cloud/load/a.bin freed: 1 file, 19.5 kB dropped from the cache\n');
    const freed = await entry('/cloud/load/a.bin');
    assert.deepEqual([freed.cachedPercent, freed.cache], [0, { memory: { pages: 0, bytes: 0 } }]);
    assert.match((await fs('stat', '/cloud/load/a.bin')).stdout, /\ncached: {12}0%\nmemory tier: {7}0 pages, 0 B\n/);
  });

  it('POST load streams NDJSON progress then the result; a missing path is a plain 404', async () => {
    await put('nd/b.bin', randomBytes(3 * PAGE));
    await put('nd/sub/c.bin', randomBytes(PAGE + 1));
    assert.equal((await fsApi(gateway.url, 'POST', 'free', '/cloud/nd')).status, 200);
    const res = await raw(gateway.url, 'POST', `/api/v1/fs/load?path=${encodeURIComponent('/cloud/nd/')}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/x-ndjson');
    const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const total = 4 * PAGE + 1;
    assert.deepEqual(lines[0], { progress: { done: 0, total } });
    assert.deepEqual(lines.at(-2), { progress: { done: total, total } });
    assert.deepEqual(lines.at(-1), { result: { files: 2, bytes: total, pages: 5, fetchedPages: 5, cachedPages: 5 } });
    const dones = lines.slice(0, -1).map((l) => (l.progress as { done: number }).done);
    assert.deepEqual(dones, [...dones].sort((a, b) => a - b), 'progress only goes forward');

    const missing = await fsApi(gateway.url, 'POST', 'load', '/cloud/nd/nope');
    assert.deepEqual([missing.status, missing.json.error], [404, 'NoSuchKey']);
    const r = await fs('load', '/cloud/nd/nope');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'strata: Path /cloud/nd/nope does not exist.\n');
    assert.equal((await fsApi(gateway.url, 'POST', 'load', '/no-such-bucket/x')).status, 404);
  });

  it('files of the local root are always 100% cached and loading them does nothing', async () => {
    await c.send(new CreateBucketCommand({ Bucket: 'local-bucket' }));
    await c.send(new PutObjectCommand({ Bucket: 'local-bucket', Key: 'f.txt', Body: 'local data' }));
    const r = await fs('load', '/local-bucket');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '/local-bucket loaded: 0 files, 0 B in 0 pages (0 fetched)\n');
    const e = await entry('/local-bucket/f.txt');
    assert.deepEqual([e.cachedPercent, e.cache], [100, undefined]);
    assert.match((await fs('ls', '/local-bucket')).stdout, / 100% \/local-bucket\/f\.txt\n$/);
  });

  it('pinned pages survive filling the cache past capacity; unpinned ones are evicted', async () => {
    const pinned = randomBytes(5 * PAGE);
    await put('pin/keep.bin', pinned);
    let r = await fs('pin', '/cloud/pin');
    assert.deepEqual([r.code, r.stdout], [0, '/cloud/pin pinned (1 file)\n']);
    r = await fs('load', '/cloud/pin/keep.bin');
    assert.equal(r.code, 0, r.stderr);
    assert.match((await fs('stat', '/cloud/pin/keep.bin')).stdout, /\npinned: {12}yes\n/);
    // A pinned file is not freed.
    r = await fs('free', '/cloud/pin');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'strata: 1 pinned file kept in the cache (unpin first): /cloud/pin/keep.bin\n');
    assert.equal((await entry('/cloud/pin/keep.bin')).cachedPercent, 100);

    const evictionsBefore = gateway.ns.deps.cache.stats().memory.evictions;
    const others = [0, 1, 2].map(() => randomBytes(6 * PAGE));
    for (const [i, body] of others.entries()) await put(`fill/${i}.bin`, body);
    for (const [i, body] of others.entries()) assert.ok((await get(`fill/${i}.bin`)).equals(body));
    await gateway.ns.deps.cache.idle();
    assert.ok(gateway.ns.deps.cache.stats().memory.evictions > evictionsBefore, 'the cache overflowed');
    assert.equal((await entry('/cloud/pin/keep.bin')).cachedPercent, 100, 'the pinned file is whole');
    assert.ok((await entry('/cloud/fill/0.bin')).cachedPercent < 100, 'the oldest unpinned file lost pages');
    const fetches = gateway.ns.deps.cache.stats().fetches;
    assert.ok((await get('pin/keep.bin')).equals(pinned));
    assert.equal(gateway.ns.deps.cache.stats().fetches, fetches, 'the pinned file is read from the cache');

    r = await fs('unpin', '/cloud/pin/keep.bin');
    assert.deepEqual([r.code, r.stdout], [0, '/cloud/pin/keep.bin unpinned (1 file)\n']);
    assert.doesNotMatch((await fs('stat', '/cloud/pin/keep.bin')).stdout, /pinned/);
    for (const [i, body] of others.entries()) assert.ok((await get(`fill/${i}.bin`)).equals(body));
    await gateway.ns.deps.cache.idle();
    assert.ok((await entry('/cloud/pin/keep.bin')).cachedPercent < 100, 'once unpinned, its pages are evicted like any');
  });

  it('/metrics exposes the cache and S3 request metrics, and a warm read raises the hit ratio', async () => {
    const body = randomBytes(2 * PAGE);
    await put('metrics/m.bin', body);
    assert.equal((await fsApi(gateway.url, 'POST', 'free', '/cloud/metrics/m.bin')).status, 200);
    const scrape = async (path = '/metrics'): Promise<string> => {
      const res = await raw(gateway.url, 'GET', path);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      return res.text;
    };
    const gets = (t: string): number => {
      const series = 'strata_s3_requests_total{operation="GetObject",status="200"}';
      return t.includes(`${series} `) ? sample(t, series) : 0;
    };
    const m0 = await scrape();
    assert.ok((await get('metrics/m.bin')).equals(body));
    const m1 = await scrape('/api/v1/metrics');
    assert.ok((await get('metrics/m.bin')).equals(body));
    const m2 = await scrape();

    assert.equal(gets(m1), gets(m0) + 1);
    assert.equal(gets(m2), gets(m0) + 2);
    assert.equal(sample(m2, 'strata_s3_request_duration_seconds_count{operation="GetObject",status="200"}'), gets(m2));
    assert.equal(sample(m1, 'strata_cache_misses_total') - sample(m0, 'strata_cache_misses_total'), 2, 'the cold read missed both pages');
    assert.equal(sample(m1, 'strata_under_storage_fetches_total') - sample(m0, 'strata_under_storage_fetches_total'), 2);
    assert.equal(sample(m1, 'strata_under_storage_fetched_bytes_total') - sample(m0, 'strata_under_storage_fetched_bytes_total'), body.length);
    assert.equal(sample(m1, 'strata_cache_served_bytes_total{tier="under_storage"}') - sample(m0, 'strata_cache_served_bytes_total{tier="under_storage"}'), body.length);
    assert.equal(sample(m2, 'strata_cache_hits_total') - sample(m1, 'strata_cache_hits_total'), 2, 'the warm read hit both pages');
    assert.equal(sample(m2, 'strata_cache_served_bytes_total{tier="memory"}') - sample(m1, 'strata_cache_served_bytes_total{tier="memory"}'), body.length);
    assert.equal(sample(m2, 'strata_under_storage_fetches_total'), sample(m1, 'strata_under_storage_fetches_total'));
    assert.ok(sample(m2, 'strata_cache_hit_ratio') > sample(m1, 'strata_cache_hit_ratio'), 'the hit ratio rises on a warm read');
    assert.ok(sample(m2, 'strata_cache_evictions_total{tier="memory"}') > 0, 'earlier tests overflowed the cache');
    assert.equal(sample(m2, 'strata_cache_corrupt_pages_total{tier="memory"}'), 0);
    assert.equal(sample(m2, 'strata_cache_capacity_bytes{tier="memory"}'), CAPACITY);
    assert.equal(sample(m2, 'strata_cache_page_size_bytes'), PAGE);
    assert.match(m2, /^# TYPE strata_cache_hits_total counter$/m);

    // A signed request to /metrics is S3's (a bucket named "metrics"); a write there too.
    const signed = await raw(gateway.url, 'GET', '/metrics', { headers: { Authorization: 'AWS alice:' } });
    assert.equal(signed.status, 404);
    assert.match(signed.text, /<Code>NoSuchBucket<\/Code>/);
    assert.equal((await raw(gateway.url, 'PUT', '/metrics', { headers: { Authorization: 'AWS alice:' } })).status, 200);
    assert.equal((await raw(gateway.url, 'POST', '/api/v1/metrics')).status, 405);
  });

  it('MUST_CACHE files show NOT_PERSISTED until fs persist uploads them', async () => {
    const res = await fsApi(gateway.url, 'POST', 'mount', '/held', {
      uri: 's3://remote-bucket/held',
      options: { endpoint: remote.url, 'path-style': 'true', 'access-key': 'remote-owner', 'secret-key': 'unused-secret', 'write-type': 'MUST_CACHE' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const body = randomBytes(3 * PAGE);
    await c.send(new PutObjectCommand({ Bucket: 'held', Key: 'dir/h.bin', Body: body }));
    let r = await fs('ls', '/held/dir');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-rw-r--r-- .* {9}12288   NOT_PERSISTED .* 100% \/held\/dir\/h\.bin\n$/);
    assert.match((await fs('stat', '/held/dir/h.bin')).stdout, /\npersisted: {9}NOT_PERSISTED\ncached: {12}100%\netag:/);
    // A pending file's bytes are a local copy: nothing to load or free.
    assert.equal((await fs('load', '/held')).stdout, '/held loaded: 0 files, 0 B in 0 pages (0 fetched)\n');
    await assert.rejects(direct.send(new GetObjectCommand({ Bucket: 'remote-bucket', Key: 'held/dir/h.bin' })), { name: 'NoSuchKey' });

    r = await fs('persist', '/held/dir');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '/held/dir persisted: 1 file, 12.3 kB\n', '']);
    const there = await direct.send(new GetObjectCommand({ Bucket: 'remote-bucket', Key: 'held/dir/h.bin' }));
    assert.ok(Buffer.from(await there.Body!.transformToByteArray()).equals(body));
    assert.match((await fs('ls', '/held/dir')).stdout, /^-rw-r--r-- .* {9}12288       PERSISTED .* \/held\/dir\/h\.bin\n$/);
    assert.equal((await entry('/held/dir/h.bin')).persisted, true);
    r = await fs('persist', '/held/dir/h.bin');
    assert.deepEqual([r.code, r.stdout], [0, '/held/dir/h.bin persisted: 0 files, 0 B\n'], 'nothing left to persist');
  });

  it('pins survive a restart', async () => {
    const body = randomBytes(4 * PAGE);
    await put('restart/pinned.bin', body);
    assert.equal((await fs('pin', '/cloud/restart/pinned.bin')).code, 0);
    c.destroy();
    await gateway.close();
    gateway = await startStrata(config());
    c = newClient();

    const e = await entry('/cloud/restart/pinned.bin');
    assert.equal(e.pinned, true);
    assert.equal(e.cachedPercent, 0, 'a memory cache starts empty');
    assert.ok(gateway.ns.deps.cache.isPinned((await gateway.ns.headObject('cloud', 'restart/pinned.bin')).dataId));
    assert.equal((await fs('load', '/cloud/restart/pinned.bin')).code, 0);
    const others = [0, 1, 2].map(() => randomBytes(6 * PAGE));
    for (const [i, b] of others.entries()) await put(`refill/${i}.bin`, b);
    for (const [i, b] of others.entries()) assert.ok((await get(`refill/${i}.bin`)).equals(b));
    await gateway.ns.deps.cache.idle();
    assert.ok(gateway.ns.deps.cache.stats().memory.evictions > 0);
    assert.equal((await entry('/cloud/restart/pinned.bin')).cachedPercent, 100, 'still pinned after the restart');
  });
});
