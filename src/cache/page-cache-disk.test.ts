// Tests for PageCache with a disk tier: pages fall back to disk when memory
// evicts them and are promoted on a disk hit; a read larger than the memory
// tier goes to disk only and is not promoted; pages survive a restart; a
// corrupt page on disk is detected, refetched and counted; a full or failing
// disk is a counted miss, never a failed read; load fills the disk tier; free
// removes the files.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeUnderStorage, FILE_A, FILE_B, patternBytes, readAll } from './cache-test-fixtures.ts';
import { DiskPageStore } from './disk-page-store.ts';
import { MemoryPageStore } from './memory-page-store.ts';
import { PageCache } from './page-cache.ts';
import { nodeDiskOps, type DiskOps } from './page-file.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-cache-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function twoTierCache(options: { memory?: number; disk?: number; dir?: string; ops?: DiskOps } = {}) {
  const dir = options.dir ?? (await tempDir());
  const disk = await DiskPageStore.open(dir, options.disk ?? 10_000, { ops: options.ops });
  const cache = new PageCache({ memory: new MemoryPageStore(options.memory ?? 10_000), disk, pageSize: 100, readAheadPages: 1 });
  return { cache, disk, dir };
}

const page = (n: number) => ({ start: n * 100, end: n * 100 + 99 });

/** Lets every promise chain that can move move: the tests hold disk writes, not time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('PageCache with a disk tier', () => {
  it('fills both tiers on a miss', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 21));
    const { cache, disk } = await twoTierCache();
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 299 }, under.fetch));
    await cache.idle();
    assert.deepEqual(cache.pagesPerTier(FILE_A), { memory: { pages: 3, bytes: 300 }, disk: { pages: 3, bytes: 300 } });
    assert.deepEqual(await readFile(disk.pagePath({ fileId: FILE_A, index: 1 })).then((f) => f.subarray(12)), under.data.subarray(100, 200));
  });

  it('serves a page memory evicted from disk and promotes it back', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 22));
    const { cache } = await twoTierCache({ memory: 100 });
    await readAll(cache.read(FILE_A, 1000, page(0), under.fetch));
    await cache.idle();
    await readAll(cache.read(FILE_A, 1000, page(1), under.fetch));
    await cache.idle();
    assert.deepEqual(cache.pagesPerTier(FILE_A), { memory: { pages: 1, bytes: 100 }, disk: { pages: 2, bytes: 200 } });

    const got = await readAll(cache.read(FILE_A, 1000, { start: 10, end: 59 }, under.fetch));
    await cache.idle();
    assert.deepEqual(got, under.data.subarray(10, 60));
    assert.deepEqual(under.indices(), [0, 1], 'no refetch');
    const stats = cache.stats();
    assert.equal(stats.disk?.hits, 1);
    assert.equal(stats.disk?.bytesServed, 50);
    assert.equal(stats.memory.misses, 3);
    assert.equal(stats.memory.evictions, 2);
    // Promoted: the next read of page 0 is a memory hit.
    await readAll(cache.read(FILE_A, 1000, page(0), under.fetch));
    assert.equal(cache.stats().memory.hits, 1);
    assert.equal(cache.stats().disk?.hits, 1);
  });

  it('serves pages cached before a restart without fetching', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 23));
    const first = await twoTierCache();
    await readAll(first.cache.read(FILE_A, 1000, { start: 0, end: 999 }, under.fetch));
    await first.cache.idle();
    const second = await twoTierCache({ dir: first.dir });
    assert.equal(second.cache.cachedPercent(FILE_A, 1000), 100);
    assert.deepEqual(await readAll(second.cache.read(FILE_A, 1000, { start: 5, end: 994 }, under.fetch)), under.data.subarray(5, 995));
    assert.equal(under.calls.length, 10);
    assert.equal(second.cache.stats().disk?.hits, 10);
  });

  it('detects a corrupt page on disk, refetches it, counts it and re-caches it whole', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 24));
    const first = await twoTierCache();
    await readAll(first.cache.read(FILE_A, 1000, { start: 0, end: 299 }, under.fetch));
    await first.cache.idle();
    const path = first.disk.pagePath({ fileId: FILE_A, index: 1 });
    const file = await readFile(path);
    file[12 + 42] ^= 0x10;
    await writeFile(path, file);

    const { cache, disk } = await twoTierCache({ dir: first.dir }); // empty memory: the read goes to disk
    const got = await readAll(cache.read(FILE_A, 1000, { start: 50, end: 249 }, under.fetch));
    await cache.idle();
    assert.deepEqual(got, under.data.subarray(50, 250));
    assert.deepEqual(under.indices(), [0, 1, 2, 1], 'only the corrupt page is fetched again');
    const stats = cache.stats();
    assert.equal(stats.disk?.corruptPages, 1);
    assert.equal(stats.disk?.hits, 2);
    assert.equal(stats.disk?.misses, 1);
    assert.equal(stats.misses, 1);
    const healed = await readFile(disk.pagePath({ fileId: FILE_A, index: 1 }));
    assert.deepEqual(healed.subarray(12), under.data.subarray(100, 200));
  });

  it('still serves reads when the disk is full, counting the failed writes', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 25));
    const ops: DiskOps = {
      ...nodeDiskOps,
      writeFile: async () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); },
    };
    const { cache } = await twoTierCache({ memory: 200, ops });
    // Page by page: a read larger than the memory tier would not fill it at all.
    const got = [];
    for (let n = 0; n < 10; n++) got.push(await readAll(cache.read(FILE_A, 1000, page(n), under.fetch)));
    await cache.idle();
    assert.deepEqual(Buffer.concat(got), under.data);
    const stats = cache.stats();
    assert.equal(stats.disk?.writeErrors, 10);
    assert.equal(stats.disk?.insertsRefused, 10);
    assert.equal(stats.disk?.pages, 0);
    assert.equal(stats.memory.pages, 2, 'the memory tier keeps working');
    assert.deepEqual(await readAll(cache.read(FILE_A, 1000, page(9), under.fetch)), under.data.subarray(900, 1000));
  });

  it('serves reads through a disk that fails to read, counting a miss', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 26));
    let broken = false;
    const ops: DiskOps = {
      ...nodeDiskOps,
      readFile: async (path) => {
        if (broken) throw Object.assign(new Error('input/output error'), { code: 'EIO' });
        return nodeDiskOps.readFile(path);
      },
    };
    const { cache } = await twoTierCache({ memory: 0, ops });
    await readAll(cache.read(FILE_A, 1000, page(3), under.fetch));
    await cache.idle();
    broken = true;
    assert.deepEqual(await readAll(cache.read(FILE_A, 1000, page(3), under.fetch)), under.data.subarray(300, 400));
    assert.equal(under.calls.length, 2);
    assert.equal(cache.stats().disk?.readErrors, 1);
    assert.equal(cache.stats().disk?.misses, 2);
  });

  it('caches a read larger than the memory tier on disk only, and serves it again without promoting it', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 31));
    const hot = new FakeUnderStorage(patternBytes(1000, 32));
    const { cache } = await twoTierCache({ memory: 300 });
    await readAll(cache.read(FILE_B, 1000, page(0), hot.fetch));
    const scan = { start: 0, end: 999 };
    assert.deepEqual(await readAll(cache.read(FILE_A, 1000, scan, under.fetch)), under.data);
    await cache.idle();
    assert.deepEqual(cache.pagesPerTier(FILE_A), { memory: { pages: 0, bytes: 0 }, disk: { pages: 10, bytes: 1000 } });
    assert.deepEqual(await readAll(cache.read(FILE_A, 1000, scan, under.fetch)), under.data);
    await cache.idle();
    assert.equal(under.calls.length, 10, 'the second scan came from disk');
    assert.equal(cache.stats().disk?.hits, 10);
    assert.deepEqual(cache.pagesPerTier(FILE_A).memory, { pages: 0, bytes: 0 });
    assert.deepEqual(cache.pagesPerTier(FILE_B).memory, { pages: 1, bytes: 100 }, 'the hot page was not flushed');
    // A read that fits the memory tier still fills and promotes into it.
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 299 }, under.fetch));
    await cache.idle();
    assert.deepEqual(cache.pagesPerTier(FILE_A).memory, { pages: 3, bytes: 300 });
  });

  it('makes a reader wait while the disk tier trails it, and carry on once the writes land', async () => {
    const under = new FakeUnderStorage(patternBytes(2000, 33));
    // Every page write is held until released: the disk is slower than the under-storage.
    const held: Array<() => void> = [];
    let written = 0;
    const ops: DiskOps = {
      ...nodeDiskOps,
      writeFile: async (path, chunks) => {
        await new Promise<void>((resolve) => held.push(resolve));
        await nodeDiskOps.writeFile(path, chunks);
        written++;
      },
    };
    const { cache } = await twoTierCache({ memory: 0, disk: 10_000, ops }); // readAheadPages: 1
    const reader = cache.readChunks(FILE_A, 2000, { start: 0, end: 1999 }, under.fetch);
    const got: Buffer[] = [];
    const done = (async () => {
      for await (const chunk of reader) got.push(chunk);
    })();
    await settle();
    // Nothing written: three pages sent (two of them trailing, then the one that found the limit), one fetched ahead.
    assert.deepEqual(under.indices(), [0, 1, 2, 3]);
    assert.equal(Buffer.concat(got).length, 300);
    await settle();
    assert.equal(under.calls.length, 4, 'the reader waits for the disk');
    while (got.length < 20) {
      for (const release of held.splice(0)) release();
      await settle();
      // Pages held in memory: fetched but not yet on disk, at most 2 * (readAheadPages + 1).
      assert.ok(under.calls.length - written <= 4, `${under.calls.length} pages fetched, ${written} written`);
    }
    await done;
    assert.deepEqual(Buffer.concat(got), under.data);
    while (written < 20) {
      for (const release of held.splice(0)) release();
      await settle();
    }
    await cache.idle();
    assert.equal(cache.pagesPerTier(FILE_A).disk?.pages, 20);
  });

  it('loads into the disk tier only, leaving memory to the hot set', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 27));
    const { cache } = await twoTierCache();
    const result = await cache.load(FILE_A, 1000, under.fetch);
    assert.deepEqual(result, { pages: 10, fetchedPages: 10, cachedPages: 10 });
    assert.deepEqual(cache.pagesPerTier(FILE_A), { memory: { pages: 0, bytes: 0 }, disk: { pages: 10, bytes: 1000 } });
    assert.equal(cache.cachedPercent(FILE_A, 1000), 100);
  });

  it('frees a file from both tiers and removes its files', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 28));
    const { cache, dir } = await twoTierCache();
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 999 }, under.fetch));
    await cache.idle();
    assert.deepEqual(await cache.free(FILE_A), { bytes: 2000, pinned: false });
    assert.deepEqual(cache.pagesPerTier(FILE_A), { memory: { pages: 0, bytes: 0 }, disk: { pages: 0, bytes: 0 } });
    assert.deepEqual(await readdir(join(dir, FILE_A.slice(0, 2))), []);
  });

  it('keeps pinned pages on disk under pressure', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 29));
    const other = new FakeUnderStorage(patternBytes(1000, 30));
    const { cache } = await twoTierCache({ memory: 0, disk: 500 });
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 299 }, under.fetch));
    await cache.idle();
    cache.pin(FILE_A);
    await readAll(cache.read('cccc0000000000000000000000000003', 1000, { start: 0, end: 999 }, other.fetch));
    await cache.idle();
    assert.deepEqual(cache.pagesPerTier(FILE_A).disk, { pages: 3, bytes: 300 });
    assert.equal(cache.stats().disk?.bytesUsed, 500);
  });
});
