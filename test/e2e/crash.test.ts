// Crash atomicity: a child Strata is killed with SIGKILL while writes are in
// flight; after a restart on the same data directory every visible object must
// be whole (its bytes hash to its ETag) and no upload may leave a partial object.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { killChild, raw, startChildServer, xmlText } from './harness.ts';

/** Streams `total` bytes of `fill` slowly enough that a kill lands mid-body; never resolves on a dead server. */
function slowPut(url: string, path: string, total: number, fill: number): void {
  const req = request(new URL(path, url), { method: 'PUT', headers: { 'Content-Length': total } });
  req.on('error', () => {});
  const chunk = Buffer.alloc(256 * 1024, fill);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      if (!req.write(chunk)) {
        req.once('drain', () => setTimeout(pump, 5));
        return;
      }
    }
    req.end();
  };
  pump();
}

async function allKeys(url: string, bucket: string): Promise<{ key: string; etag: string; size: number }[]> {
  const res = await raw(url, 'GET', `/${bucket}?list-type=2`);
  return [...res.text.matchAll(/<Contents><Key>([^<]*)<\/Key>.*?<ETag>&quot;([^&]*)&quot;<\/ETag><Size>(\d+)<\/Size>/g)]
    .map((m) => ({ key: m[1], etag: m[2], size: Number(m[3]) }));
}

describe('crash atomicity', () => {
  let dataDir: string;
  before(async () => { dataDir = await mkdtemp(join(tmpdir(), 'strata-crash-')); });
  after(async () => { await rm(dataDir, { recursive: true, force: true }); });

  it('keeps the old object whole when the server dies during an overwrite', async () => {
    let child = await startChildServer(dataDir);
    assert.equal((await raw(child.url, 'PUT', '/crash')).status, 200);
    const original = randomBytes(300_000);
    const put = await raw(child.url, 'PUT', '/crash/stable', { body: original });
    assert.equal(put.status, 200);

    slowPut(child.url, '/crash/stable', 64 * 1024 * 1024, 0x42);
    slowPut(child.url, '/crash/fresh', 64 * 1024 * 1024, 0x43);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await killChild(child);

    child = await startChildServer(dataDir);
    try {
      const got = await raw(child.url, 'GET', '/crash/stable');
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(original), 'the old bytes survive whole');
      assert.equal(got.headers.etag, put.headers.etag);
      const fresh = await raw(child.url, 'GET', '/crash/fresh');
      assert.equal(fresh.status, 404, 'an upload cut off mid-body is not visible');
      assert.deepEqual(await readdir(join(dataDir, '.strata', 'staging')), [], 'staging leftovers are swept at start');
    } finally {
      await killChild(child);
    }
  });

  it('leaves only whole objects after kills at random moments among concurrent writes', async () => {
    for (let round = 0; round < 3; round++) {
      let child = await startChildServer(dataDir);
      await raw(child.url, 'PUT', '/storm');
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        const body = randomBytes(20_000 + ((i * 7919) % 200_000));
        writes.push(raw(child.url, 'PUT', `/storm/k${i % 10}`, { body }).catch(() => undefined));
      }
      const init = await raw(child.url, 'POST', `/storm/multi-${round}?uploads`);
      const uploadId = xmlText(init.text, 'UploadId');
      if (uploadId) {
        await raw(child.url, 'PUT', `/storm/multi-${round}?partNumber=1&uploadId=${uploadId}`, { body: randomBytes(400_000) }).catch(() => undefined);
        writes.push(raw(child.url, 'POST', `/storm/multi-${round}?uploadId=${uploadId}`).catch(() => undefined));
      }
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 60)));
      await killChild(child);
      await Promise.all(writes);

      child = await startChildServer(dataDir);
      try {
        for (const { key, etag, size } of await allKeys(child.url, 'storm')) {
          const got = await raw(child.url, 'GET', `/storm/${key}`);
          assert.equal(got.status, 200, key);
          assert.equal(got.body.length, size, `${key}: listed size matches the bytes`);
          if (!etag.includes('-')) assert.equal(createHash('md5').update(got.body).digest('hex'), etag, `${key}: bytes match the ETag`);
        }
      } finally {
        await killChild(child);
      }
    }
  });
});
