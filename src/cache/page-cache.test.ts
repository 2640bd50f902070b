// Tests for PageCache's read path with a memory tier: range reads fetch only
// the pages they touch, concurrent misses share one fetch, capacity and LRU
// eviction, pinning under pressure, NO_CACHE reads, fetch failures, free,
// % cached, and the counters. Page size 100 keeps the arithmetic readable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeUnderStorage, FILE_A, FILE_B, patternBytes, readAll } from './cache-test-fixtures.ts';
import { MemoryPageStore } from './memory-page-store.ts';
import { PageCache } from './page-cache.ts';

function memoryCache(capacity: number, readAheadPages = 2): PageCache {
  return new PageCache({ memory: new MemoryPageStore(capacity), pageSize: 100, readAheadPages });
}

/** Which pages of a file (of `pages` 100-byte pages) are cached in some tier. */
function cachedIndices(cache: PageCache, fileId: string, pages: number): number[] {
  const upTo = (n: number): number => cache.cachedBytes(fileId, n * 100);
  return Array.from({ length: pages }, (_, i) => i).filter((i) => upTo(i + 1) - upTo(i) > 0);
}

describe('PageCache read path (memory tier)', () => {
  it('fetches only the pages a range touches, with page-aligned bounds', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 1));
    const cache = memoryCache(10_000);
    const got = await readAll(cache.read(FILE_A, 1000, { start: 250, end: 449 }, under.fetch));
    assert.deepEqual(got, under.data.subarray(250, 450));
    assert.deepEqual(under.calls, [
      { index: 2, start: 200, end: 299 },
      { index: 3, start: 300, end: 399 },
      { index: 4, start: 400, end: 499 },
    ]);
  });

  it('fetches the short last page with its real end', async () => {
    const under = new FakeUnderStorage(patternBytes(950, 2));
    const cache = memoryCache(10_000);
    const got = await readAll(cache.read(FILE_A, 950, { start: 920, end: 949 }, under.fetch));
    assert.deepEqual(got, under.data.subarray(920, 950));
    assert.deepEqual(under.calls, [{ index: 9, start: 900, end: 949 }]);
  });

  it('serves a second read from memory without fetching, counting hits and bytes', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 3));
    const cache = memoryCache(10_000);
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 999 }, under.fetch));
    await cache.idle();
    const got = await readAll(cache.read(FILE_A, 1000, { start: 150, end: 250 }, under.fetch));
    assert.deepEqual(got, under.data.subarray(150, 251));
    assert.equal(under.calls.length, 10);
    const stats = cache.stats();
    assert.equal(stats.misses, 10);
    assert.equal(stats.hits, 2);
    assert.equal(stats.hitRatio, 2 / 12);
    assert.equal(stats.memory.bytesServed, 101);
    assert.equal(stats.underStorageBytesServed, 1000);
    assert.equal(stats.fetches, 10);
    assert.equal(stats.fetchedBytes, 1000);
    assert.equal(stats.memory.pages, 10);
    assert.equal(stats.memory.bytesUsed, 1000);
  });

  it('fetches a page once for concurrent readers of it', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 4));
    const cache = memoryCache(10_000);
    under.held = true;
    // next() claims the page before its first await: all five are waiting on it when it is released.
    const readers = Array.from({ length: 5 }, (_, i) => cache.readChunks(FILE_A, 1000, { start: 300 + i, end: 350 + i }, under.fetch));
    const firsts = readers.map((r) => r.next());
    await under.started(1);
    under.release();
    const chunks = await Promise.all(firsts);
    chunks.forEach((chunk, i) => assert.deepEqual(chunk.value, under.data.subarray(300 + i, 351 + i)));
    assert.deepEqual(under.indices(), [3]);
    assert.equal(cache.stats().sharedFetches, 4);
  });

  it('shares a fetch between overlapping streamed ranges', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 5));
    const cache = memoryCache(10_000);
    under.held = true;
    const a = cache.readChunks(FILE_A, 1000, { start: 0, end: 399 }, under.fetch);
    const b = cache.readChunks(FILE_A, 1000, { start: 250, end: 699 }, under.fetch);
    const [gotA, gotB] = [readAll(a), readAll(b)];
    under.release();
    assert.deepEqual(await gotA, under.data.subarray(0, 400));
    assert.deepEqual(await gotB, under.data.subarray(250, 700));
    await cache.idle();
    assert.deepEqual([...under.indices()].sort(), [0, 1, 2, 3, 4, 5, 6]);
  });

  it('keeps read-ahead within the range and bounded', async () => {
    const under = new FakeUnderStorage(patternBytes(2000, 6));
    const cache = memoryCache(10_000, 2);
    under.held = true;
    const reader = cache.readChunks(FILE_A, 2000, { start: 0, end: 1999 }, under.fetch);
    const first = reader.next();
    // Nothing more can start while page 0 is held: the window is full.
    await under.started(3);
    assert.deepEqual(under.indices(), [0, 1, 2], 'the page being read plus two ahead');
    under.release();
    await first;
    await reader.return(undefined);
    await cache.idle();
    assert.deepEqual(under.indices(), [0, 1, 2, 3], 'one more page per page consumed, none after the reader stops');
  });

  it('evicts the least recently used pages past capacity', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 7));
    const cache = memoryCache(300);
    for (const page of [0, 1, 2]) await readAll(cache.read(FILE_A, 1000, { start: page * 100, end: page * 100 }, under.fetch));
    await cache.idle();
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 0 }, under.fetch)); // page 0 is now most recent
    await readAll(cache.read(FILE_A, 1000, { start: 300, end: 300 }, under.fetch));
    await cache.idle();
    assert.deepEqual(cachedIndices(cache, FILE_A, 10), [0, 2, 3]);
    const stats = cache.stats();
    assert.equal(stats.memory.evictions, 1);
    assert.equal(stats.memory.bytesUsed, 300);
    under.calls.length = 0;
    await readAll(cache.read(FILE_A, 1000, { start: 100, end: 100 }, under.fetch));
    assert.deepEqual(under.indices(), [1], 'the evicted page is fetched again');
  });

  it('keeps pinned pages under pressure and caches other pages around them', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 8));
    const other = new FakeUnderStorage(patternBytes(1000, 9));
    const cache = memoryCache(300);
    cache.pin(FILE_A);
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 199 }, under.fetch));
    await readAll(cache.read(FILE_B, 1000, { start: 0, end: 999 }, other.fetch));
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_A, 1000), 200);
    assert.deepEqual(cache.pagesPerTier(FILE_B).memory, { pages: 1, bytes: 100 });
    assert.equal(cache.stats().memory.evictions, 9);
  });

  it('serves reads without caching when a tier is full of pinned pages, until unpinned', async () => {
    const under = new FakeUnderStorage(patternBytes(300, 10));
    const other = new FakeUnderStorage(patternBytes(500, 11));
    const cache = memoryCache(300);
    cache.pin(FILE_A);
    await readAll(cache.read(FILE_A, 300, { start: 0, end: 299 }, under.fetch));
    await cache.idle();
    assert.deepEqual(await readAll(cache.read(FILE_B, 500, { start: 50, end: 449 }, other.fetch)), other.data.subarray(50, 450));
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_B, 500), 0);
    assert.equal(cache.stats().memory.insertsRefused, 5);
    assert.equal(cache.cachedPercent(FILE_A, 300), 100);
    cache.unpin(FILE_A);
    await readAll(cache.read(FILE_B, 500, { start: 0, end: 99 }, other.fetch));
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_B, 500), 100);
    assert.equal(cache.cachedBytes(FILE_A, 300), 200);
  });

  it('NO_CACHE fetches only the bytes asked for and caches nothing, but serves what is cached', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 12));
    const cache = memoryCache(10_000);
    const got = await readAll(cache.read(FILE_A, 1000, { start: 150, end: 349 }, under.fetch, { noCache: true }));
    assert.deepEqual(got, under.data.subarray(150, 350));
    assert.deepEqual(under.calls, [
      { index: 1, start: 150, end: 199 },
      { index: 2, start: 200, end: 299 },
      { index: 3, start: 300, end: 349 },
    ]);
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_A, 1000), 0);
    await readAll(cache.read(FILE_A, 1000, { start: 200, end: 299 }, under.fetch));
    await cache.idle();
    under.calls.length = 0;
    const again = await readAll(cache.read(FILE_A, 1000, { start: 210, end: 220 }, under.fetch, { noCache: true }));
    assert.deepEqual(again, under.data.subarray(210, 221));
    assert.deepEqual(under.calls, []);
  });

  it('fails the read when the fetch fails, caches nothing, and retries next time', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 13));
    const cache = memoryCache(10_000);
    under.failNext = new Error('under-storage down');
    await assert.rejects(readAll(cache.read(FILE_A, 1000, { start: 0, end: 99 }, under.fetch)), /under-storage down/);
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_A, 1000), 0);
    assert.deepEqual(await readAll(cache.read(FILE_A, 1000, { start: 0, end: 99 }, under.fetch)), under.data.subarray(0, 100));
    assert.equal(under.calls.length, 2);
    assert.equal(cache.stats().fetchErrors, 1);
  });

  it('rejects a fetch that returns the wrong length and does not cache it', async () => {
    const cache = memoryCache(10_000);
    const short = async (): Promise<Buffer> => Buffer.alloc(10);
    await assert.rejects(readAll(cache.read(FILE_A, 1000, { start: 0, end: 99 }, short)), /returned 10 bytes/);
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_A, 1000), 0);
  });

  it('throws RangeError at once for a bad range or file id', () => {
    const cache = memoryCache(10_000);
    const fetch = async (): Promise<Buffer> => Buffer.alloc(0);
    for (const [id, size, start, end] of [[FILE_A, 100, 0, 100], [FILE_A, 100, 5, 4], [FILE_A, 100, -1, 5], [FILE_A, 0, 0, 0], ['../x', 100, 0, 1]] as const) {
      assert.throws(() => cache.read(id, size, { start, end }, fetch), RangeError, `${id} ${size} ${start}-${end}`);
    }
  });

  it('frees a file, refusing a pinned one unless forced', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 14));
    const cache = memoryCache(10_000);
    await readAll(cache.read(FILE_A, 1000, { start: 0, end: 449 }, under.fetch));
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_A, 1000), 500);
    assert.equal(cache.cachedPercent(FILE_A, 1000), 50);
    cache.pin(FILE_A);
    assert.deepEqual(await cache.free(FILE_A), { bytes: 0, pinned: true });
    assert.equal(cache.cachedBytes(FILE_A, 1000), 500);
    assert.deepEqual(await cache.free(FILE_A, { force: true }), { bytes: 500, pinned: false });
    assert.equal(cache.cachedBytes(FILE_A, 1000), 0);
    assert.deepEqual(cache.pagesPerTier(FILE_A), { memory: { pages: 0, bytes: 0 } });
    assert.equal(cache.stats().memory.bytesUsed, 0);
  });

  it('does not let a fill in flight re-cache a freed file', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 15));
    const cache = memoryCache(10_000);
    under.held = true;
    const reading = readAll(cache.readChunks(FILE_A, 1000, { start: 0, end: 99 }, under.fetch));
    const freeing = cache.free(FILE_A);
    under.release();
    assert.deepEqual(await reading, under.data.subarray(0, 100), 'the reader still gets its bytes');
    await freeing;
    await cache.idle();
    assert.equal(cache.cachedBytes(FILE_A, 1000), 0);
  });

  it('loads a whole file into memory when there is no disk tier, reporting progress', async () => {
    const under = new FakeUnderStorage(patternBytes(950, 16));
    const cache = memoryCache(10_000);
    await readAll(cache.read(FILE_A, 950, { start: 100, end: 199 }, under.fetch));
    const progress: number[] = [];
    const result = await cache.load(FILE_A, 950, under.fetch, (done, total) => {
      assert.equal(total, 950);
      progress.push(done);
    });
    assert.deepEqual(result, { pages: 10, fetchedPages: 9, cachedPages: 10 });
    assert.equal(progress.length, 10);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
    assert.equal(progress.at(-1), 950);
    assert.equal(cache.cachedPercent(FILE_A, 950), 100);
    assert.equal(under.calls.length, 10);
    assert.deepEqual((await cache.load(FILE_A, 950, under.fetch)).fetchedPages, 0);
  });

  it('does not cache a page larger than the tier, and still serves it', async () => {
    const under = new FakeUnderStorage(patternBytes(1000, 17));
    const cache = memoryCache(50);
    assert.deepEqual(await readAll(cache.read(FILE_A, 1000, { start: 0, end: 999 }, under.fetch)), under.data);
    await cache.idle();
    assert.equal(cache.stats().memory.pages, 0);
    assert.equal(cache.stats().memory.insertsRefused, 10);
  });
});
