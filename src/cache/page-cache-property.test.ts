// Property-style tests for PageCache: byte-exactness of random ranges (across
// page boundaries, first/last bytes, short last pages) against the reference
// buffer, under tiers small enough that pages keep moving between memory,
// disk and the under-storage; pages fetched whole or in chunks; sequential
// and concurrent, cached and NO_CACHE, with frees in between. Seeded, so a
// failure reproduces.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeUnderStorage, patternBytes, readAll, seededRandom } from './cache-test-fixtures.ts';
import { DiskPageStore } from './disk-page-store.ts';
import { MemoryPageStore } from './memory-page-store.ts';
import { PageCache } from './page-cache.ts';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface File {
  id: string;
  under: FakeUnderStorage;
}

function files(count: number, seed: number, random: () => number): File[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `f${seed}x${i}`,
    // Sizes from 1 byte to ~12 pages of 97, so short last pages and one-page files occur;
    // every other file's pages arrive in chunks of 1 to 40 bytes, as network reads do.
    under: new FakeUnderStorage(patternBytes(1 + Math.floor(random() * 1200), seed * 100 + i), {
      chunkSize: i % 2 === 1 ? 1 + Math.floor(random() * 40) : undefined,
    }),
  }));
}

function randomRange(size: number, random: () => number): { start: number; end: number } {
  const a = Math.floor(random() * size);
  const b = Math.floor(random() * size);
  return random() < 0.2 ? { start: a, end: a } : { start: Math.min(a, b), end: Math.max(a, b) };
}

async function newCache(seed: number, withDisk: boolean): Promise<PageCache> {
  // Odd page size and capacities that are not multiples of it: nothing lines up by accident.
  const options = { memory: new MemoryPageStore(350), pageSize: 97, readAheadPages: 1 + (seed % 3) };
  if (!withDisk) return new PageCache(options);
  const dir = await mkdtemp(join(tmpdir(), 'strata-prop-'));
  dirs.push(dir);
  return new PageCache({ ...options, disk: await DiskPageStore.open(dir, 1500) });
}

for (const withDisk of [false, true]) {
  describe(`PageCache random ranges (${withDisk ? 'memory + disk' : 'memory only'})`, () => {
    for (const seed of [1, 2, 3]) {
      it(`returns exactly the reference bytes, sequentially (seed ${seed})`, async () => {
        const random = seededRandom(seed);
        const cache = await newCache(seed, withDisk);
        const all = files(4, seed, random);
        for (let round = 0; round < 150; round++) {
          const file = all[Math.floor(random() * all.length)];
          const size = file.under.data.length;
          const range = randomRange(size, random);
          const noCache = random() < 0.15;
          const got = await readAll(cache.read(file.id, size, range, file.under.fetch, { noCache }));
          assert.deepEqual(got, file.under.data.subarray(range.start, range.end + 1), `round ${round} ${file.id} ${range.start}-${range.end}`);
          if (random() < 0.05) await cache.free(file.id);
        }
        await cache.idle();
        const stats = cache.stats();
        assert.ok(stats.hits > 0 && stats.misses > 0, 'both paths were exercised');
        assert.ok(stats.memory.evictions > 0, 'the memory tier was under pressure');
        assert.ok(stats.memory.bytesUsed <= 350);
        if (withDisk) assert.ok((stats.disk?.hits ?? 0) > 0, 'the disk tier served pages');
      });

      it(`returns exactly the reference bytes, concurrently (seed ${seed})`, async () => {
        const random = seededRandom(seed + 1000);
        const cache = await newCache(seed, withDisk);
        const all = files(3, seed + 10, random);
        for (let batch = 0; batch < 12; batch++) {
          const reads = Array.from({ length: 8 }, () => {
            const file = all[Math.floor(random() * all.length)];
            const size = file.under.data.length;
            const range = randomRange(size, random);
            const noCache = random() < 0.15;
            return { file, range, got: readAll(cache.read(file.id, size, range, file.under.fetch, { noCache })) };
          });
          for (const { file, range, got } of reads) {
            assert.deepEqual(await got, file.under.data.subarray(range.start, range.end + 1), `batch ${batch} ${file.id} ${range.start}-${range.end}`);
          }
        }
        await cache.idle();
        const stats = cache.stats();
        assert.ok(stats.memory.bytesUsed <= 350);
        if (withDisk) assert.ok((stats.disk?.bytesUsed ?? 0) <= 1500);
      });
    }
  });
}
