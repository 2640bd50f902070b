// Write types on S3 mounts whose remote is a second, real Strata (issue 4,
// "Write types per mount ... as in Alluxio"): CACHE_THROUGH fills the cache,
// THROUGH does not, ASYNC_THROUGH acknowledges while the remote is down and
// persists once it is back (even across a SIGKILL of the gateway: the queue is
// rows), MUST_CACHE stays local until `persistNow`. Per-request override:
// the x-strata-write-type header.
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { persistNow } from '../../src/namespace/persist-pending.ts';
import { fsApi, md5, objectBytes, raw, startTestServer, xmlText, type TestServer } from './harness.ts';
import { eventually, killChild, mountRemote, startChildGateway, startRemote, type Remote } from './remote-peer.ts';

async function remoteBytes(remote: Remote, key: string): Promise<Buffer | undefined> {
  try {
    const got = await remote.client.send(new GetObjectCommand({ Bucket: 'remote-bucket', Key: key }));
    return Buffer.from(await got.Body!.transformToByteArray());
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

describe('write types on S3 mounts', () => {
  let remote: Remote;
  let gateway: TestServer;
  let c: S3Client;
  before(async () => {
    remote = await startRemote();
    await remote.client.send(new CreateBucketCommand({ Bucket: 'remote-bucket' }));
    gateway = await startTestServer(['--cache-disk', '0']);
    c = gateway.client('alice');
    await mountRemote(gateway.url, '/cthru', remote, 'remote-bucket', 'cthru', { 'sync-interval': 'always' });
    await mountRemote(gateway.url, '/thru', remote, 'remote-bucket', 'thru', { 'write-type': 'THROUGH' });
    await mountRemote(gateway.url, '/async', remote, 'remote-bucket', 'async', { 'write-type': 'ASYNC_THROUGH' });
    await mountRemote(gateway.url, '/mcache', remote, 'remote-bucket', 'mcache', { 'write-type': 'must_cache', 'sync-interval': 'always' });
  });
  after(async () => {
    await gateway.stop();
    await remote.destroy();
  });

  const cache = (): TestServer['strata']['ns']['deps']['cache'] => gateway.strata.ns.deps.cache;
  const rowOf = (bucket: string, key: string) => gateway.strata.ns.deps.store.getObject(bucket, key);

  it('CACHE_THROUGH (the default) writes the remote before acknowledging and fills the cache: the first read fetches nothing', async () => {
    const body = randomBytes(2 * 1024 * 1024 + 77);
    const put = await c.send(new PutObjectCommand({ Bucket: 'cthru', Key: 'dir/a.bin', Body: body }));
    assert.equal(put.ETag, `"${md5(body)}"`);
    assert.ok((await remoteBytes(remote, 'cthru/dir/a.bin'))?.equals(body), 'the remote has the object as a plain object');
    const row = (await rowOf('cthru', 'dir/a.bin'))!;
    assert.equal(row.extras.pending, undefined);
    assert.equal(cache().cachedPercent(row.dataId, row.size), 100);
    const fetches = cache().stats().fetches;
    assert.ok((await objectBytes(c, 'cthru', 'dir/a.bin')).equals(body));
    assert.equal(cache().stats().fetches, fetches, 'served from the cache the write filled');
    assert.deepEqual(
      (await c.send(new ListObjectsV2Command({ Bucket: 'cthru' }))).Contents?.map((o) => [o.Key, o.ETag]),
      [['dir/a.bin', `"${md5(body)}"`]],
    );
  });

  it('THROUGH writes the remote and caches nothing: the first read fetches from the remote', async () => {
    const body = randomBytes(300_000);
    await c.send(new PutObjectCommand({ Bucket: 'thru', Key: 'b.bin', Body: body }));
    assert.ok((await remoteBytes(remote, 'thru/b.bin'))?.equals(body));
    const row = (await rowOf('thru', 'b.bin'))!;
    assert.equal(cache().cachedPercent(row.dataId, row.size), 0);
    const fetches = cache().stats().fetches;
    assert.ok((await objectBytes(c, 'thru', 'b.bin')).equals(body));
    assert.ok(cache().stats().fetches > fetches, 'the read went to the remote');
  });

  it('x-strata-write-type overrides the mount for one PUT; an unknown value is 400 InvalidArgument and writes nothing', async () => {
    const body = randomBytes(100_000);
    const put = await raw(gateway.url, 'PUT', '/cthru/override.bin', { headers: { 'x-strata-write-type': 'through' }, body });
    assert.equal(put.status, 200);
    const row = (await rowOf('cthru', 'override.bin'))!;
    assert.equal(cache().cachedPercent(row.dataId, row.size), 0, 'THROUGH for this request: no cache fill');
    assert.ok((await remoteBytes(remote, 'cthru/override.bin'))?.equals(body));

    const bad = await raw(gateway.url, 'PUT', '/cthru/bad.bin', { headers: { 'x-strata-write-type': 'SOMETIMES' }, body: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(xmlText(bad.text, 'Code'), 'InvalidArgument');
    assert.equal(xmlText(bad.text, 'ArgumentName'), 'x-strata-write-type');
    assert.equal(await rowOf('cthru', 'bad.bin'), undefined);
    assert.equal(await remoteBytes(remote, 'cthru/bad.bin'), undefined);
  });

  it('MUST_CACHE keeps the object only in the local data dir, visible to S3 clients, until it is persisted', async () => {
    const body = randomBytes(500_000);
    const put = await c.send(new PutObjectCommand({ Bucket: 'mcache', Key: 'm.bin', Body: body, Metadata: { color: 'blue' } }));
    assert.equal(put.ETag, `"${md5(body)}"`);
    const row = (await rowOf('mcache', 'm.bin'))!;
    assert.equal(row.extras.pending?.path, `.strata/pending/${row.dataId}`);
    const local = join(gateway.dataDir, row.extras.pending!.path);
    assert.ok(existsSync(local), 'the acknowledged bytes are in the pending copy');
    assert.equal(await remoteBytes(remote, 'mcache/m.bin'), undefined, 'not on the remote');
    // No task was queued: a persister round does not upload it.
    assert.deepEqual(await gateway.strata.persister.runOnce(), { persisted: 0, stale: 0, failed: 0 });
    assert.equal(await remoteBytes(remote, 'mcache/m.bin'), undefined);
    // Reads come from the pending copy; a syncing listing (sync-interval always) keeps the row the remote lacks.
    assert.ok((await objectBytes(c, 'mcache', 'm.bin')).equals(body));
    assert.deepEqual((await c.send(new ListObjectsV2Command({ Bucket: 'mcache' }))).Contents?.map((o) => o.Key), ['m.bin']);
    const head = await c.send(new HeadObjectCommand({ Bucket: 'mcache', Key: 'm.bin' }));
    assert.equal(head.Metadata?.color, 'blue');
    // Unmounting would forget the only copy: refused until it is persisted.
    const unmount = await fsApi(gateway.url, 'DELETE', 'unmount', '/mcache');
    assert.equal(unmount.status, 409);
    assert.match(String(unmount.json.message), /not yet persisted.*fs persist/);

    assert.deepEqual(await persistNow(gateway.strata.ns.deps, 'mcache', 'm.bin'), { persisted: true });
    assert.ok((await remoteBytes(remote, 'mcache/m.bin'))?.equals(body), 'persisted: now on the remote');
    assert.equal(existsSync(local), false, 'the pending copy is gone');
    const persisted = (await rowOf('mcache', 'm.bin'))!;
    assert.equal(persisted.extras.pending, undefined);
    assert.equal(persisted.etag, md5(body), 'the row keeps its ETag and metadata');
    assert.equal(persisted.userMetadata.color, 'blue');
    assert.deepEqual(await persistNow(gateway.strata.ns.deps, 'mcache', 'm.bin'), { persisted: false }, 'nothing left to persist');
    const fetches = cache().stats().fetches;
    assert.ok((await objectBytes(c, 'mcache', 'm.bin')).equals(body));
    assert.equal(cache().stats().fetches, fetches, 'persisting filled the cache from the local copy');
    assert.deepEqual((await c.send(new ListObjectsV2Command({ Bucket: 'mcache' }))).Contents?.map((o) => [o.Key, o.ETag]), [['m.bin', `"${md5(body)}"`]]);
  });

  it('MUST_CACHE: overwriting or deleting a pending object removes its local copy', async () => {
    await c.send(new PutObjectCommand({ Bucket: 'mcache', Key: 'over.bin', Body: 'first' }));
    const first = (await rowOf('mcache', 'over.bin'))!;
    await c.send(new PutObjectCommand({ Bucket: 'mcache', Key: 'over.bin', Body: 'second' }));
    const second = (await rowOf('mcache', 'over.bin'))!;
    assert.equal(existsSync(join(gateway.dataDir, first.extras.pending!.path)), false);
    assert.equal((await objectBytes(c, 'mcache', 'over.bin')).toString(), 'second');
    await c.send(new DeleteObjectCommand({ Bucket: 'mcache', Key: 'over.bin' }));
    assert.equal(existsSync(join(gateway.dataDir, second.extras.pending!.path)), false);
    await assert.rejects(c.send(new HeadObjectCommand({ Bucket: 'mcache', Key: 'over.bin' })), { name: 'NotFound' });
  });

  it('ASYNC_THROUGH acknowledges while the remote is down, serves the local copy, and persists once the remote is back', async () => {
    await remote.stop();
    const body = randomBytes(1024 * 1024 + 5);
    try {
      const put = await raw(gateway.url, 'PUT', '/async/later.bin', { body });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.headers.etag, `"${md5(body)}"`);
      const row = (await rowOf('async', 'later.bin'))!;
      assert.ok(row.extras.pending);
      const tasks = await gateway.strata.ns.deps.store.duePersistTasks(Number.MAX_SAFE_INTEGER, 10);
      assert.deepEqual(tasks.map((t) => [t.bucket, t.key, t.dataId]), [['async', 'later.bin', row.dataId]], 'a durable persist task');
      const got = await raw(gateway.url, 'GET', '/async/later.bin');
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(body), 'read from the pending copy with the remote down');
      const cthrough = await raw(gateway.url, 'PUT', '/cthru/while-down.bin', { body: 'x' });
      assert.equal(cthrough.status, 503, 'a write-through mount cannot acknowledge without its remote');
    } finally {
      await remote.restart();
    }
    const there = await eventually('the object reaches the remote', () => remoteBytes(remote, 'async/later.bin'));
    assert.ok(there.equals(body));
    const row = await eventually('the row is marked persisted', async () => {
      const r = await rowOf('async', 'later.bin');
      return r && !r.extras.pending ? r : undefined;
    });
    assert.equal(row.etag, md5(body));
    // The task row goes in the persister's next commit, just after the object row's.
    await eventually('the persist task is done', async () =>
      (await gateway.strata.ns.deps.store.duePersistTasks(Number.MAX_SAFE_INTEGER, 10)).length === 0 ? true : undefined);
    assert.ok((await objectBytes(c, 'async', 'later.bin')).equals(body));
  });
});

describe('ASYNC_THROUGH persist queue across a SIGKILL of the gateway', () => {
  let remote: Remote;
  let dataDir: string;
  before(async () => {
    remote = await startRemote();
    await remote.client.send(new CreateBucketCommand({ Bucket: 'remote-bucket' }));
    dataDir = await mkdtemp(join(tmpdir(), 'strata-async-kill-'));
  });
  after(async () => {
    await remote.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('persists, after a restart, what was acknowledged before the kill while the remote was down', async () => {
    let child = await startChildGateway(dataDir);
    try {
      await mountRemote(child.url, '/async', remote, 'remote-bucket', 'q', { 'write-type': 'ASYNC_THROUGH' });
      await remote.stop();
      const bodies = [randomBytes(200_000), randomBytes(3 * 1024 * 1024)];
      for (const [i, body] of bodies.entries()) {
        assert.equal((await raw(child.url, 'PUT', `/async/obj-${i}`, { body })).status, 200);
      }
      await killChild(child);
      child = await startChildGateway(dataDir);
      const got = await raw(child.url, 'GET', '/async/obj-1');
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(bodies[1]), 'the pending copy survived the kill');
      await remote.restart();
      for (const [i, body] of bodies.entries()) {
        const there = await eventually(`obj-${i} reaches the remote`, () => remoteBytes(remote, `q/obj-${i}`));
        assert.ok(there.equals(body));
      }
      await eventually('the pending copies are removed', async () => {
        const names = await readdir(join(dataDir, '.strata', 'pending')).catch(() => []);
        return names.length === 0 ? true : undefined;
      });
    } finally {
      await killChild(child);
    }
  });
});
