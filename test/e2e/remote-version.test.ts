// Reads of an S3 mount are pinned to the version their row describes: the
// remote (a second, real Strata) has its object replaced behind the gateway's
// back, or by the gateway's own overwrite in the middle of a read, and no read
// may serve, nor the cache keep, bytes of the new version under the old row.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { NULL_VERSION, type ObjectRecord } from '../../src/meta/metadata-store.ts';
import { newDataId, recoverIntents } from '../../src/namespace/commit.ts';
import { S3Error } from '../../src/s3/errors.ts';
import { fsApi, md5, raw, startTestServer, type TestServer } from './harness.ts';

const PAGE = 64 * 1024;

interface PartialResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** False when the connection was cut before the body's Content-Length arrived. */
  complete: boolean;
}

/** A GET that also reports a response cut off mid-body (raw() would reject). */
function getAllowingCut(base: string, path: string): Promise<PartialResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = (complete: boolean): void => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.complete));
      res.on('error', () => done(false));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('reads of an S3 mount are pinned to the version of their row', () => {
  let remote: TestServer;
  let gateway: TestServer;
  let direct: S3Client;
  let c: S3Client;
  before(async () => {
    remote = await startTestServer();
    direct = remote.client('remote-owner');
    await direct.send(new CreateBucketCommand({ Bucket: 'remote-bucket' }));
    // Small pages: a few hundred KiB make an object of many pages. Sync never:
    // only reads can notice a replacement, so these tests see what reads do.
    gateway = await startTestServer(['--cache-disk', '0', '--cache-page-size', String(PAGE)]);
    c = gateway.client('alice');
    const res = await fsApi(gateway.url, 'POST', 'mount', '/cloud', {
      uri: 's3://remote-bucket/data',
      options: { endpoint: remote.url, 'path-style': 'true', 'access-key': 'remote-owner', 'secret-key': 'unused-secret', 'sync-interval': 'never' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
  });
  after(async () => {
    await gateway.stop();
    await remote.stop();
  });

  const row = async (key: string): Promise<ObjectRecord> => {
    const found = await gateway.strata.ns.deps.store.getObject('cloud', key);
    assert.ok(found, `no row for ${key}`);
    return found;
  };
  const cachedBytes = (r: ObjectRecord): number => gateway.strata.ns.deps.cache.cachedBytes(r.dataId, r.size);
  /** Written THROUGH (nothing cached), then its first page read into the cache. */
  const writeAndWarmFirstPage = async (key: string, body: Buffer): Promise<ObjectRecord> => {
    assert.equal((await raw(gateway.url, 'PUT', `/cloud/${key}`, { headers: { 'x-strata-write-type': 'THROUGH' }, body })).status, 200);
    const first = await raw(gateway.url, 'GET', `/cloud/${key}`, { headers: { Range: 'bytes=0-99' } });
    assert.ok(first.body.equals(body.subarray(0, 100)));
    const written = await row(key);
    assert.equal(cachedBytes(written), PAGE, 'only the first page is cached');
    return written;
  };
  /** Another writer replaces the object in the remote bucket, with as many bytes. */
  const replaceOutOfBand = async (key: string, body: Buffer): Promise<void> => {
    await direct.send(new PutObjectCommand({ Bucket: 'remote-bucket', Key: `data/${key}`, Body: body }));
  };

  it('records the version of the remote object on every row that reaches the remote', async () => {
    const remoteETag = async (key: string): Promise<string> =>
      (await direct.send(new HeadObjectCommand({ Bucket: 'remote-bucket', Key: `data/${key}` }))).ETag!.replaceAll('"', '');
    for (const writeType of ['CACHE_THROUGH', 'THROUGH']) {
      const key = `written/${writeType}`;
      await raw(gateway.url, 'PUT', `/cloud/${key}`, { headers: { 'x-strata-write-type': writeType }, body: randomBytes(1000) });
      assert.equal((await row(key)).extras.remoteVersion, await remoteETag(key), writeType);
    }
    // A pending copy (MUST_CACHE, or ASYNC_THROUGH before the persister) has no remote version until persisted.
    await raw(gateway.url, 'PUT', '/cloud/written/pending', { headers: { 'x-strata-write-type': 'MUST_CACHE' }, body: randomBytes(1000) });
    assert.equal((await row('written/pending')).extras.remoteVersion, undefined);
    assert.equal((await fsApi(gateway.url, 'POST', 'persist', '/cloud/written/pending')).status, 200);
    assert.equal((await row('written/pending')).extras.remoteVersion, await remoteETag('written/pending'));
    // Native multipart: the remote's own multipart object.
    const init = await raw(gateway.url, 'POST', '/cloud/written/multipart?uploads');
    const uploadId = /<UploadId>([^<]+)</.exec(init.text)![1];
    await raw(gateway.url, 'PUT', `/cloud/written/multipart?partNumber=1&uploadId=${uploadId}`, { body: randomBytes(2000) });
    assert.equal((await raw(gateway.url, 'POST', `/cloud/written/multipart?uploadId=${uploadId}`)).status, 200);
    assert.match((await row('written/multipart')).extras.remoteVersion ?? '', /-1$/);
    assert.equal((await row('written/multipart')).extras.remoteVersion, await remoteETag('written/multipart'));
    // Uploaded again by start-up recovery (a crash left the intent and the staged copy).
    const deps = gateway.strata.ns.deps;
    const body = randomBytes(1000);
    const staged = await deps.storage.stage(Readable.from([body]));
    await deps.store.addIntent({
      id: 'crash-recovered', stagedPath: staged.stagedPath, created: Date.now(),
      object: {
        bucket: 'cloud', key: 'written/recovered', versionId: NULL_VERSION, size: body.length, etag: md5(body), lastModified: Date.now(),
        owner: 'alice', headers: {}, userMetadata: {}, isDirectory: false, partSizes: null, dataId: newDataId(), extras: {},
      },
    });
    assert.deepEqual(await recoverIntents(deps), { completed: 1, rolledBack: 0 });
    assert.equal((await row('written/recovered')).extras.remoteVersion, await remoteETag('written/recovered'));
    // Found by metadata sync.
    await direct.send(new PutObjectCommand({ Bucket: 'remote-bucket', Key: 'data/written/found', Body: 'from elsewhere' }));
    assert.equal((await fsApi(gateway.url, 'POST', 'sync', '/cloud/written')).status, 200);
    assert.equal((await row('written/found')).extras.remoteVersion, md5('from elsewhere'));
  });

  it('a range read after an out-of-band replacement serves the new version whole, with its own headers', async () => {
    const v1 = randomBytes(6 * PAGE);
    const v2 = randomBytes(6 * PAGE);
    const old = await writeAndWarmFirstPage('replaced-range.bin', v1);
    await replaceOutOfBand('replaced-range.bin', v2);

    const range = await raw(gateway.url, 'GET', '/cloud/replaced-range.bin', { headers: { Range: `bytes=${2 * PAGE}-${3 * PAGE - 1}` } });
    assert.equal(range.status, 206);
    assert.ok(range.body.equals(v2.subarray(2 * PAGE, 3 * PAGE)), 'the bytes are the new version\'s');
    assert.notEqual(range.headers.etag, `"${md5(v1)}"`, 'and the headers are not the old row\'s');
    const now = await row('replaced-range.bin');
    assert.notEqual(now.dataId, old.dataId, 'the row follows the remote');
    assert.equal(now.extras.remoteVersion, md5(v2));
    assert.equal(range.headers.etag, `"${now.etag}"`);
    assert.equal(cachedBytes(old), 0, 'nothing is left under the old version');
    // A client reading ranges pinned to the old ETag is told the object changed.
    const pinnedToOld = await raw(gateway.url, 'GET', '/cloud/replaced-range.bin', { headers: { Range: 'bytes=0-99', 'If-Match': `"${md5(v1)}"` } });
    assert.equal(pinnedToOld.status, 412);
    const whole = await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'replaced-range.bin' }));
    assert.ok(Buffer.from(await whole.Body!.transformToByteArray()).equals(v2));
  });

  it('a read that meets the replacement after its headers is cut, never completed with the new bytes; the retry reads the new version', async () => {
    const v1 = randomBytes(6 * PAGE);
    const v2 = randomBytes(6 * PAGE);
    const old = await writeAndWarmFirstPage('replaced-whole.bin', v1);
    await replaceOutOfBand('replaced-whole.bin', v2);

    // Page 0 comes from the cache (the old version, rightly), so the response starts as the old row's.
    const cut = await getAllowingCut(gateway.url, '/cloud/replaced-whole.bin');
    assert.equal(cut.status, 200);
    assert.equal(cut.headers.etag, `"${md5(v1)}"`);
    assert.equal(cut.complete, false, 'the response is cut short');
    assert.ok(cut.body.length < v1.length);
    assert.ok(cut.body.equals(v1.subarray(0, cut.body.length)), 'every byte sent is the old version\'s');

    const retry = await getAllowingCut(gateway.url, '/cloud/replaced-whole.bin');
    assert.equal(retry.status, 200);
    assert.equal(retry.complete, true);
    assert.ok(retry.body.equals(v2));
    assert.equal(retry.headers.etag, `"${(await row('replaced-whole.bin')).etag}"`);
    assert.equal(cachedBytes(old), 0, 'nothing is left under the old version');
  });

  it('an overwrite through the gateway in the middle of a read cuts that read instead of mixing versions', async () => {
    const v1 = randomBytes(16 * PAGE);
    const v2 = randomBytes(16 * PAGE);
    assert.equal((await raw(gateway.url, 'PUT', '/cloud/raced.bin', { headers: { 'x-strata-write-type': 'THROUGH' }, body: v1 })).status, 200);
    const old = await row('raced.bin');
    // A GET that has sent its first page and holds no lock while the rest streams.
    const opened = await gateway.strata.ns.openObject('cloud', 'raced.bin');
    const reader = opened.body[Symbol.asyncIterator]();
    const received: Buffer[] = [];
    const first = await reader.next();
    received.push(first.value as Buffer);
    // Overwrite meanwhile: the remote object is replaced while pages past the read-ahead are still to be fetched.
    await c.send(new PutObjectCommand({ Bucket: 'cloud', Key: 'raced.bin', Body: v2 }));
    let failure: unknown;
    try {
      for (let next = await reader.next(); !next.done; next = await reader.next()) received.push(next.value as Buffer);
    } catch (err) {
      failure = err;
    }
    const sent = Buffer.concat(received);
    assert.ok(failure instanceof S3Error && failure.code === 'InternalError', `the read fails: ${String(failure)}`);
    assert.ok(sent.length < v1.length);
    assert.ok(sent.equals(v1.subarray(0, sent.length)), 'every byte read is the old version\'s');
    assert.equal(cachedBytes(old), 0, 'nothing is cached under the old version');
    const now = await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'raced.bin' }));
    assert.ok(Buffer.from(await now.Body!.transformToByteArray()).equals(v2));
  });

  it('fs load of a row whose object was replaced caches nothing under it and fails; loading again loads the new version', async () => {
    const v1 = randomBytes(4 * PAGE);
    const v2 = randomBytes(4 * PAGE);
    const old = await writeAndWarmFirstPage('replaced-load.bin', v1);
    await replaceOutOfBand('replaced-load.bin', v2);
    const failed = await raw(gateway.url, 'POST', `/api/v1/fs/load?path=${encodeURIComponent('/cloud/replaced-load.bin')}`);
    assert.match(failed.text, /replaced in its under-storage/);
    assert.equal(cachedBytes(old), 0);
    const loaded = await raw(gateway.url, 'POST', `/api/v1/fs/load?path=${encodeURIComponent('/cloud/replaced-load.bin')}`);
    assert.doesNotMatch(loaded.text, /error/);
    const now = await row('replaced-load.bin');
    assert.equal(cachedBytes(now), v2.length);
    const fetches = gateway.strata.ns.deps.cache.stats().fetches;
    const got = await raw(gateway.url, 'GET', '/cloud/replaced-load.bin');
    assert.ok(got.body.equals(v2));
    assert.equal(gateway.strata.ns.deps.cache.stats().fetches, fetches, 'served from the cache');
  });

  it('fs sync notices a replacement of the same size by its ETag, however soon after the write', async () => {
    const v1 = randomBytes(1000);
    const v2 = randomBytes(1000);
    await raw(gateway.url, 'PUT', '/cloud/synced.bin', { headers: { 'x-strata-write-type': 'THROUGH' }, body: v1 });
    const old = await row('synced.bin');
    // Likely within the same second as the write: S3's whole-second Last-Modified looks no newer than the row.
    await replaceOutOfBand('synced.bin', v2);
    assert.equal((await fsApi(gateway.url, 'POST', 'sync', '/cloud')).status, 200);
    const now = await row('synced.bin');
    assert.notEqual(now.dataId, old.dataId);
    assert.equal(now.extras.remoteVersion, md5(v2));
  });
});
