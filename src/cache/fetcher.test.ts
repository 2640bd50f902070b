// Tests for streamFetch (UnderStorage-style ranged streams -> PageFetch): exact
// bytes from many chunks, kept as the stream's own buffers, a source that sends too much or too little fails
// the fetch; and the whole path over a real LocalUnderStorage file, as the
// namespace will wire it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { LocalUnderStorage } from '../storage/local/local-storage.ts';
import { patternBytes, readAll } from './cache-test-fixtures.ts';
import { streamFetch } from './fetcher.ts';
import { MemoryPageStore } from './memory-page-store.ts';
import { PageCache } from './page-cache.ts';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function chunked(data: Buffer, size: number): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })());
}

describe('streamFetch', () => {
  it('collects a ranged stream into exactly the requested bytes, keeping its chunks uncopied', async () => {
    const data = patternBytes(1000, 41);
    const ranges: Array<{ start: number; end: number }> = [];
    const sent: Buffer[] = [];
    const fetch = streamFetch(async (range) => {
      ranges.push(range);
      const stream = chunked(data.subarray(range.start, range.end + 1), 7);
      stream.on('data', (chunk: Buffer) => sent.push(chunk));
      return stream;
    });
    const got = await fetch(2, 200, 299);
    assert.ok(Array.isArray(got));
    assert.deepEqual(Buffer.concat(got), data.subarray(200, 300));
    assert.equal(got.length, 15);
    got.forEach((chunk, i) => assert.equal(chunk, sent[i], `chunk ${i} is the stream's own`));
    assert.deepEqual(ranges, [{ start: 200, end: 299 }]);
  });

  it('fails when the source sends too much or too little', async () => {
    const data = patternBytes(1000, 42);
    const tooMuch = streamFetch(async () => chunked(data.subarray(0, 150), 40));
    await assert.rejects(tooMuch(0, 0, 99), /more than the 100 bytes/);
    const tooLittle = streamFetch(async () => chunked(data.subarray(0, 60), 40));
    await assert.rejects(tooLittle(0, 0, 99), /ended after 60 of 100 bytes/);
  });

  it('reads a LocalUnderStorage file through the cache', async () => {
    const root = await mkdtemp(join(tmpdir(), 'strata-fetch-'));
    dirs.push(root);
    const data = patternBytes(5000, 43);
    await mkdir(join(root, 'bucket'));
    await writeFile(join(root, 'bucket', 'key'), data);
    const storage = await LocalUnderStorage.open(root, { durable: false });
    const fetch = streamFetch((range) => storage.read('bucket/key', range));
    const cache = new PageCache({ memory: new MemoryPageStore(100_000), pageSize: 1024 });
    assert.deepEqual(await readAll(cache.read('d1', 5000, { start: 1000, end: 4321 }, fetch)), data.subarray(1000, 4322));
    assert.deepEqual(await readAll(cache.read('d1', 5000, { start: 0, end: 4999 }, fetch)), data);
    assert.equal(cache.stats().fetches, 5);
  });
});
