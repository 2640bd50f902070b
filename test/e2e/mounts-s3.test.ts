// An S3 mount whose remote is a second, real Strata: writes land in the remote
// as plain objects, objects put into the remote directly appear after sync,
// reads go through the page cache, and cached data outlives the remote.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fsApi, md5, raw, startTestServer, type TestServer } from './harness.ts';

describe('mounting a second Strata as S3 under-storage', () => {
  let remote: TestServer;
  let gateway: TestServer;
  let c: S3Client;
  let direct: S3Client;
  before(async () => {
    remote = await startTestServer();
    direct = remote.client('remote-owner');
    await direct.send(new CreateBucketCommand({ Bucket: 'remote-bucket' }));
    gateway = await startTestServer(['--cache-disk', '0']);
    c = gateway.client('alice');
    const res = await fsApi(gateway.url, 'POST', 'mount', '/cloud', {
      uri: 's3://remote-bucket/data',
      options: { endpoint: remote.url, 'path-style': 'true', 'access-key': 'remote-owner', 'secret-key': 'unused-secret', 'sync-interval': 'always' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
  });
  after(async () => {
    await gateway.stop();
    await remote.stop().catch(() => undefined);
  });

  it('writes through the gateway into the remote as plain objects at the mapped path', async () => {
    const body = randomBytes(300_000);
    const put = await c.send(new PutObjectCommand({ Bucket: 'cloud', Key: 'dir/object.bin', Body: body }));
    assert.equal(put.ETag, `"${md5(body)}"`);
    const there = await direct.send(new GetObjectCommand({ Bucket: 'remote-bucket', Key: 'data/dir/object.bin' }));
    assert.ok(Buffer.from(await there.Body!.transformToByteArray()).equals(body));
    const back = await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'dir/object.bin' }));
    assert.ok(Buffer.from(await back.Body!.transformToByteArray()).equals(body));
  });

  it('shows objects put straight into the remote once metadata syncs', async () => {
    await direct.send(new PutObjectCommand({ Bucket: 'remote-bucket', Key: 'data/dropped/in.txt', Body: 'from elsewhere' }));
    const listed = await c.send(new ListObjectsV2Command({ Bucket: 'cloud', Prefix: 'dropped/' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['dropped/in.txt']);
    const got = await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'dropped/in.txt' }));
    assert.equal(await got.Body!.transformToString(), 'from elsewhere');
  });

  it('streams a multi-MiB object and a range of it, the range fetching only its pages', async () => {
    const body = randomBytes(9 * 1024 * 1024 + 123);
    // THROUGH: written without filling the cache (CACHE_THROUGH would), so the reads below start cold.
    assert.equal((await raw(gateway.url, 'PUT', '/cloud/big.bin', { headers: { 'x-strata-write-type': 'THROUGH' }, body })).status, 200);
    const cache = gateway.strata.ns.deps.cache;
    const before = cache.stats().fetches;
    const range = await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'big.bin', Range: 'bytes=5000000-5000099' }));
    assert.ok(Buffer.from(await range.Body!.transformToByteArray()).equals(body.subarray(5_000_000, 5_000_100)));
    const afterRange = cache.stats().fetches;
    assert.ok(afterRange - before <= 1 + 4, `a 100-byte range fetched ${afterRange - before} pages (one plus bounded read-ahead)`);
    const whole = await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'big.bin' }));
    assert.ok(Buffer.from(await whole.Body!.transformToByteArray()).equals(body));
    const fetchedOnce = cache.stats().fetches;
    const again = await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'big.bin' }));
    assert.ok(Buffer.from(await again.Body!.transformToByteArray()).equals(body));
    assert.equal(cache.stats().fetches, fetchedOnce, 'a warm read fetches nothing from the remote');
  });

  it('reads with x-strata-read-type: NO_CACHE without caching, and refuses other read types', async () => {
    const body = randomBytes(300_000);
    await raw(gateway.url, 'PUT', '/cloud/nocache.bin', { body, headers: { 'x-strata-write-type': 'THROUGH' } });
    const cache = gateway.strata.ns.deps.cache;
    const row = (await gateway.strata.ns.deps.store.getObject('cloud', 'nocache.bin'))!;
    const first = await raw(gateway.url, 'GET', '/cloud/nocache.bin', { headers: { 'x-strata-read-type': 'NO_CACHE' } });
    assert.ok(first.body.equals(body));
    assert.equal(cache.cachedPercent(row.dataId, row.size), 0, 'nothing was cached');
    const cached = await raw(gateway.url, 'GET', '/cloud/nocache.bin');
    assert.ok(cached.body.equals(body));
    assert.equal(cache.cachedPercent(row.dataId, row.size), 100, 'a CACHE read fills the cache');
    const bad = await raw(gateway.url, 'GET', '/cloud/nocache.bin', { headers: { 'x-strata-read-type': 'SOMETIMES' } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<Code>InvalidArgument<\/Code>/);
  });

  it('completes a multipart upload under the mount', async () => {
    const init = await raw(gateway.url, 'POST', '/cloud/parts.bin?uploads');
    const uploadId = /<UploadId>([^<]+)</.exec(init.text)![1];
    const partA = randomBytes(1024 * 1024);
    const partB = randomBytes(1000);
    assert.equal((await raw(gateway.url, 'PUT', `/cloud/parts.bin?partNumber=1&uploadId=${uploadId}`, { body: partA })).status, 200);
    assert.equal((await raw(gateway.url, 'PUT', `/cloud/parts.bin?partNumber=2&uploadId=${uploadId}`, { body: partB })).status, 200);
    assert.equal((await raw(gateway.url, 'POST', `/cloud/parts.bin?uploadId=${uploadId}`)).status, 200);
    const there = await direct.send(new GetObjectCommand({ Bucket: 'remote-bucket', Key: 'data/parts.bin' }));
    assert.ok(Buffer.from(await there.Body!.transformToByteArray()).equals(Buffer.concat([partA, partB])));
  });

  it('serves cached data while the remote is down and fails the rest fast with 503', async () => {
    const hot = randomBytes(200_000);
    await c.send(new PutObjectCommand({ Bucket: 'cloud', Key: 'hot.bin', Body: hot }));
    await raw(gateway.url, 'PUT', '/cloud/cold.bin', { headers: { 'x-strata-write-type': 'THROUGH' }, body: randomBytes(1000) }); // never cached
    await (await c.send(new GetObjectCommand({ Bucket: 'cloud', Key: 'hot.bin' }))).Body!.transformToByteArray();
    await remote.strata.close();

    const cached = await raw(gateway.url, 'GET', '/cloud/hot.bin');
    assert.equal(cached.status, 200);
    assert.ok(cached.body.equals(hot));
    const cold = await raw(gateway.url, 'GET', '/cloud/cold.bin');
    assert.equal(cold.status, 503);
    assert.match(cold.text, /<Code>ServiceUnavailable<\/Code>/);
    const write = await raw(gateway.url, 'PUT', '/cloud/new.bin', { body: 'x' });
    assert.equal(write.status, 503);
    const local = await raw(gateway.url, 'PUT', '/cloud-free-bucket');
    assert.equal(local.status, 200, 'the rest of the namespace keeps working');
  });
});
