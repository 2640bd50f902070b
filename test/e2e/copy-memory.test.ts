// A server-side copy streams: copying a large object must not hold it in the
// server's memory. Its own file, so it runs in a fresh process whose peak RSS
// (process.resourceUsage().maxRSS, a high-water mark) no earlier test has raised.
//
// Measured on Node 24: a streamed copy raises the peak by ~60 MiB whatever the
// object's size (allocator and heap churn, flat from 128 MiB to 256 MiB
// objects); reading the 256 MiB source into one Buffer raised it by ~310 MiB.
// So a 256 MiB object and a generous 200 MiB bound fail when someone buffers
// the object, and are far from the streamed figure. (With a 64 MiB object a
// buffered copy grows only ~120 MiB, so no generous bound could catch it.)
// No timing is asserted.
import { CopyObjectCommand, CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './harness.ts';

const MiB = 1024 * 1024;
const OBJECT_MIB = 256;
const MAX_PEAK_GROWTH = 200 * MiB;

/** Peak resident set size so far, in bytes (maxRSS is in KiB). */
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

describe('CopyObject memory', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s.stop(); });

  it(`copies a ${OBJECT_MIB} MiB object without growing the peak RSS by ${MAX_PEAK_GROWTH / MiB} MiB`, async () => {
    const c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: 'mem' }));
    // The source is written straight into the data directory (as another program
    // would) so that making it does not raise the test process's own peak.
    await mkdir(join(s.dataDir, 'mem'), { recursive: true });
    const out = createWriteStream(join(s.dataDir, 'mem', 'source'));
    const block = randomBytes(MiB);
    const md5 = createHash('md5');
    for (let i = 0; i < OBJECT_MIB; i++) {
      block.writeUInt32BE(i); // every MiB differs, so a copy that reorders or repeats blocks is caught
      md5.update(block);
      if (!out.write(Buffer.from(block))) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const expected = md5.digest('hex');
    assert.equal((await c.send(new HeadObjectCommand({ Bucket: 'mem', Key: 'source' }))).ContentLength, OBJECT_MIB * MiB);

    const rssBefore = process.memoryUsage().rss;
    const peakBefore = peakRss();
    const copied = await c.send(new CopyObjectCommand({ Bucket: 'mem', Key: 'copy', CopySource: 'mem/source' }));
    const peakGrowth = peakRss() - peakBefore;
    const rssGrowth = process.memoryUsage().rss - rssBefore;

    // The copy's ETag is the MD5 of the bytes it streamed: they are the source's.
    assert.equal(copied.CopyObjectResult?.ETag, `"${expected}"`);
    assert.equal((await c.send(new HeadObjectCommand({ Bucket: 'mem', Key: 'copy' }))).ContentLength, OBJECT_MIB * MiB);
    assert.ok(peakGrowth < MAX_PEAK_GROWTH, `peak RSS grew by ${Math.round(peakGrowth / MiB)} MiB (rss by ${Math.round(rssGrowth / MiB)} MiB)`);
    assert.ok(rssGrowth < MAX_PEAK_GROWTH, `rss grew by ${Math.round(rssGrowth / MiB)} MiB`);
  });
});
