// The MetadataStore contract suite: every implementation (SQLite, PostgreSQL) runs
// these tests, so S3 behaviour does not depend on which store is configured.
// `open` must return a store over the same data each time (tests close and reopen);
// tests use unique names, so a shared or non-empty store is fine. `cleanup` runs once at the end.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import {
  MetaConflictError,
  MetaNotFoundError,
  NULL_VERSION,
  type BucketRecord,
  type IntentRecord,
  type MetadataStore,
  type ObjectRecord,
  type PartRecord,
  type UploadRecord,
} from './metadata-store.ts';

export function metadataStoreContract(
  name: string,
  open: () => Promise<MetadataStore>,
  cleanup?: () => Promise<void>,
): void {
  describe(`MetadataStore contract: ${name}`, () => {
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    const uniq = (label: string): string => `${label}-${run}-${++counter}`;
    let store: MetadataStore;

    beforeEach(async () => void (store = await open()));
    afterEach(() => store.close());
    after(async () => cleanup?.());

    const bucketRec = (name: string, owner = 'alice', createdAt = 1_700_000_000_000): BucketRecord => ({ name, owner, createdAt, extras: {} });
    const bucketTags = { tags: { cost: 'centre-7' }, policy: '{"Version":"2012-10-17","Statement":[]}' };
    const obj = (bucket: string, key: string, over: Partial<ObjectRecord> = {}): ObjectRecord => ({
      bucket,
      key,
      versionId: NULL_VERSION,
      size: 1234,
      etag: '0123456789abcdef0123456789abcdef',
      lastModified: 1_700_000_001_000,
      owner: 'alice',
      headers: { 'content-type': 'text/plain', 'cache-control': 'no-cache' },
      userMetadata: { color: 'blue' },
      isDirectory: false,
      partSizes: null,
      dataId: `data-${key}`,
      extras: { tags: { team: 'a' }, storageClass: 'STANDARD' },
      ...over,
    });
    const upload = (bucket: string, key: string, uploadId = uniq('up')): UploadRecord => ({
      uploadId,
      bucket,
      key,
      owner: 'alice',
      initiated: 1_700_000_002_000,
      headers: { 'content-type': 'application/zip' },
      userMetadata: { origin: 'test' },
      extras: { checksumAlgorithm: 'CRC32' },
    });
    const part = (uploadId: string, partNumber: number, over: Partial<PartRecord> = {}): PartRecord => ({
      uploadId,
      partNumber,
      size: 5 * 1024 * 1024,
      etag: `etag${partNumber}`.padEnd(32, '0'),
      lastModified: 1_700_000_003_000 + partNumber,
      path: `.parts/${uploadId}/${partNumber}`,
      extras: { checksum: 'AAAAAA==' },
      ...over,
    });
    const newBucket = async (label = 'bkt'): Promise<string> => {
      const b = uniq(label);
      await store.createBucket(bucketRec(b));
      return b;
    };
    const keysOf = (rows: ReadonlyArray<{ key: string }>): string[] => rows.map((r) => r.key);
    const putAll = (bucket: string, keys: string[]): Promise<void[]> =>
      Promise.all(keys.map((k) => store.putObject(obj(bucket, k))));

    describe('buckets', () => {
      it('creates and gets a bucket; a missing one is undefined', async () => {
        const b = uniq('get');
        await store.createBucket(bucketRec(b, 'alice', 42));
        assert.deepEqual(await store.getBucket(b), { name: b, owner: 'alice', createdAt: 42, extras: {} });
        assert.equal(await store.getBucket(uniq('missing')), undefined);
      });

      it('replaces a bucket\'s extras, and refuses a missing bucket', async () => {
        const b = uniq('extras');
        await store.createBucket(bucketRec(b, 'alice', 5));
        await store.updateBucketExtras(b, bucketTags);
        assert.deepEqual(await store.getBucket(b), { name: b, owner: 'alice', createdAt: 5, extras: bucketTags });
        await assert.rejects(store.updateBucketExtras(uniq('missing'), {}), MetaNotFoundError);
      });

      it('rejects a taken name with MetaConflictError and keeps the original', async () => {
        const b = uniq('dup');
        await store.createBucket(bucketRec(b, 'alice', 1));
        await assert.rejects(store.createBucket(bucketRec(b, 'bob', 2)), MetaConflictError);
        assert.deepEqual(await store.getBucket(b), { name: b, owner: 'alice', createdAt: 1, extras: {} });
      });

      it('lists by owner, or all, sorted by name', async () => {
        const owner = uniq('owner');
        const other = uniq('other');
        const names = [`c-${run}`, `a-${run}`, `b-${run}`].map((n) => `${owner}-${n}`);
        for (const n of names) await store.createBucket(bucketRec(n, owner, 7));
        const foreign = `${owner}-0-${run}`;
        await store.createBucket(bucketRec(foreign, other, 8));
        assert.deepEqual(await store.listBuckets(owner), [
          { name: `${owner}-a-${run}`, owner, createdAt: 7, extras: {} },
          { name: `${owner}-b-${run}`, owner, createdAt: 7, extras: {} },
          { name: `${owner}-c-${run}`, owner, createdAt: 7, extras: {} },
        ]);
        const all = await store.listBuckets();
        const ours = all.map((b) => b.name).filter((n) => n.startsWith(owner));
        assert.deepEqual(ours, [foreign, `${owner}-a-${run}`, `${owner}-b-${run}`, `${owner}-c-${run}`]);
        for (let i = 1; i < all.length; i++) {
          assert.ok(Buffer.compare(Buffer.from(all[i - 1].name), Buffer.from(all[i].name)) < 0, 'all buckets sorted');
        }
      });

      it('deletes an empty bucket; deleting a missing one is a no-op', async () => {
        const b = await newBucket();
        await store.deleteBucket(b);
        assert.equal(await store.getBucket(b), undefined);
        await store.deleteBucket(b);
      });

      it('refuses to delete a bucket holding objects', async () => {
        const b = await newBucket();
        await store.putObject(obj(b, 'k'));
        await assert.rejects(store.deleteBucket(b), MetaConflictError);
        assert.ok(await store.getBucket(b));
        await store.deleteObject(b, 'k');
        await store.deleteBucket(b);
        assert.equal(await store.getBucket(b), undefined);
      });

      it('refuses to delete a bucket with uploads in progress', async () => {
        const b = await newBucket();
        const u = upload(b, 'big');
        await store.createUpload(u);
        await assert.rejects(store.deleteBucket(b), MetaConflictError);
        assert.ok(await store.getBucket(b));
        await store.deleteUpload(u.uploadId);
        await store.deleteBucket(b);
        assert.equal(await store.getBucket(b), undefined);
      });
    });

    describe('objects', () => {
      it('puts and gets a row exactly', async () => {
        const b = await newBucket();
        const dir = obj(b, 'dir/', { size: 0, isDirectory: true, headers: {}, userMetadata: {} });
        const multi = obj(b, 'multi', { etag: 'abcdef0123456789abcdef0123456789-3', partSizes: [5, 5, 2] });
        await Promise.all([store.putObject(dir), store.putObject(multi)]);
        assert.deepEqual(await store.getObject(b, 'dir/'), dir);
        assert.deepEqual(await store.getObject(b, 'multi'), multi);
        assert.equal(await store.getObject(b, 'nope'), undefined);
      });

      it('replaces the row for the same key', async () => {
        const b = await newBucket();
        await store.putObject(obj(b, 'k', { size: 1, dataId: 'd1' }));
        const second = obj(b, 'k', { size: 2, dataId: 'd2', userMetadata: { v: '2' }, lastModified: 5 });
        await store.putObject(second);
        assert.deepEqual(await store.getObject(b, 'k'), second);
        assert.deepEqual(await store.listObjects(b, { prefix: '', limit: 10 }), [second]);
      });

      it('deletes and returns the removed row', async () => {
        const b = await newBucket();
        const o = obj(b, 'gone');
        await store.putObject(o);
        assert.deepEqual(await store.deleteObject(b, 'gone'), o);
        assert.equal(await store.getObject(b, 'gone'), undefined);
        assert.equal(await store.deleteObject(b, 'gone'), undefined);
      });

      it('keeps buckets apart', async () => {
        const b1 = await newBucket();
        const b2 = await newBucket();
        await store.putObject(obj(b1, 'same', { size: 1 }));
        await store.putObject(obj(b2, 'same', { size: 2 }));
        assert.equal((await store.getObject(b1, 'same'))?.size, 1);
        await store.deleteObject(b2, 'same');
        assert.equal((await store.getObject(b1, 'same'))?.size, 1);
        assert.deepEqual(keysOf(await store.listObjects(b2, { prefix: '', limit: 10 })), []);
      });
    });

    describe('listObjects', () => {
      it('orders keys by UTF-8 bytes, not UTF-16 units', async () => {
        const b = await newBucket();
        // 'ｚ' (U+FF5A) sorts before '😀' (U+1F600) in UTF-8 but after it in UTF-16.
        const sorted = ['Z', 'a', 'a b', 'a!', 'a/b', 'a0', 'b', 'é', '中', 'ｚ', '😀'];
        await putAll(b, ['😀', 'b', 'ｚ', 'a/b', '中', 'a', 'Z', 'a0', 'é', 'a!', 'a b']);
        assert.deepEqual(keysOf(await store.listObjects(b, { prefix: '', limit: 100 })), sorted);
      });

      it('bounds a prefix exactly', async () => {
        const b = await newBucket();
        await putAll(b, ['a', 'a.', 'a/', 'a/b', 'a/c/d', 'a0', 'b', '\uD7FFx', '\uD7FF', '\uE000', '\u{10FFFF}z', 'é']);
        const list = async (prefix: string) => keysOf(await store.listObjects(b, { prefix, limit: 100 }));
        assert.deepEqual(await list('a/'), ['a/', 'a/b', 'a/c/d']);
        assert.deepEqual(await list('a'), ['a', 'a.', 'a/', 'a/b', 'a/c/d', 'a0']);
        assert.deepEqual(await list('a/c'), ['a/c/d']);
        assert.deepEqual(await list('\uD7FF'), ['\uD7FF', '\uD7FFx']);
        assert.deepEqual(await list('\u{10FFFF}'), ['\u{10FFFF}z']);
        assert.deepEqual(await list('x'), []);
      });

      it('applies after (exclusive) and from (inclusive)', async () => {
        const b = await newBucket();
        await putAll(b, ['p/1', 'p/2', 'p/3', 'p/4', 'q']);
        const list = async (q: { prefix: string; after?: string; from?: string }) =>
          keysOf(await store.listObjects(b, { ...q, limit: 100 }));
        assert.deepEqual(await list({ prefix: 'p/', after: 'p/2' }), ['p/3', 'p/4']);
        assert.deepEqual(await list({ prefix: 'p/', from: 'p/2' }), ['p/2', 'p/3', 'p/4']);
        assert.deepEqual(await list({ prefix: 'p/', after: 'p/1', from: 'p/3' }), ['p/3', 'p/4']);
        assert.deepEqual(await list({ prefix: 'p/', after: 'p/3', from: 'p/2' }), ['p/4']);
        assert.deepEqual(await list({ prefix: 'p/', after: 'p/3', from: 'p/3' }), ['p/4']);
        assert.deepEqual(await list({ prefix: 'p/', after: 'a', from: 'b' }), ['p/1', 'p/2', 'p/3', 'p/4']);
        assert.deepEqual(await list({ prefix: 'p/', after: 'p/4' }), []);
        assert.deepEqual(await list({ prefix: '', after: 'p/4' }), ['q']);
        assert.deepEqual(await list({ prefix: 'p/', from: 'p/25' }), ['p/3', 'p/4']);
      });

      it('lists keys alone with the same bounds', async () => {
        const b = await newBucket();
        await putAll(b, ['p/1', 'p/2', 'p/3', 'q', 'é']);
        assert.deepEqual(await store.listKeys(b, { prefix: 'p/', after: 'p/1', limit: 100 }), ['p/2', 'p/3']);
        assert.deepEqual(await store.listKeys(b, { prefix: '', from: 'q', limit: 100 }), ['q', 'é']);
        assert.deepEqual(await store.listKeys(b, { prefix: '', limit: 2 }), ['p/1', 'p/2']);
      });

      it('honours limit and pages with after', async () => {
        const b = await newBucket();
        await putAll(b, ['k1', 'k2', 'k3', 'k4', 'k5']);
        const pages: string[][] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = keysOf(await store.listObjects(b, { prefix: 'k', after: cursor, limit: 2 }));
          if (page.length === 0) break;
          pages.push(page);
          cursor = page[page.length - 1];
        }
        assert.deepEqual(pages, [['k1', 'k2'], ['k3', 'k4'], ['k5']]);
        assert.deepEqual(await store.listObjects(b, { prefix: '', limit: 0 }), []);
      });
    });

    describe('uploads and parts', () => {
      it('creates and gets an upload; a taken id is a conflict', async () => {
        const b = await newBucket();
        const u = upload(b, 'file.zip');
        await store.createUpload(u);
        assert.deepEqual(await store.getUpload(u.uploadId), u);
        await assert.rejects(store.createUpload({ ...u, key: 'other' }), MetaConflictError);
        assert.deepEqual(await store.getUpload(u.uploadId), u);
        assert.equal(await store.getUpload(uniq('missing')), undefined);
      });

      it('puts, replaces and lists parts', async () => {
        const b = await newBucket();
        const u = upload(b, 'f');
        await store.createUpload(u);
        const p2 = part(u.uploadId, 2);
        assert.equal(await store.putPart(part(u.uploadId, 3)), undefined);
        assert.equal(await store.putPart(part(u.uploadId, 1)), undefined);
        assert.equal(await store.putPart(p2), undefined);
        const p2b = part(u.uploadId, 2, { size: 7, etag: 'f'.repeat(32), path: 'new' });
        assert.deepEqual(await store.putPart(p2b), p2);
        assert.deepEqual(await store.listParts(u.uploadId, 0, 100), [part(u.uploadId, 1), p2b, part(u.uploadId, 3)]);
        assert.deepEqual(await store.listParts(u.uploadId, 1, 100), [p2b, part(u.uploadId, 3)]);
        assert.deepEqual(await store.listParts(u.uploadId, 0, 1), [part(u.uploadId, 1)]);
        assert.deepEqual(await store.listParts(u.uploadId, 3, 100), []);
      });

      it('rejects a part for a missing upload', async () => {
        await assert.rejects(store.putPart(part(uniq('missing'), 1)), MetaNotFoundError);
      });

      it('deletes an upload with its parts and returns them', async () => {
        const b = await newBucket();
        const u = upload(b, 'f');
        await store.createUpload(u);
        await Promise.all([store.putPart(part(u.uploadId, 2)), store.putPart(part(u.uploadId, 1))]);
        assert.deepEqual(await store.deleteUpload(u.uploadId), [part(u.uploadId, 1), part(u.uploadId, 2)]);
        assert.equal(await store.getUpload(u.uploadId), undefined);
        assert.deepEqual(await store.listParts(u.uploadId, 0, 100), []);
        assert.deepEqual(await store.deleteUpload(u.uploadId), []);
      });

      it('lists uploads by (key, uploadId) with after-pair and prefix', async () => {
        const b = await newBucket();
        const us = [
          upload(b, 'x/b', 'u2'), upload(b, 'x/a', 'u3'), upload(b, 'x/a', 'u1'),
          upload(b, 'x0', 'u4'), upload(b, 'y', 'u5'), upload(b, 'x/b', 'u6'),
        ];
        // Upload ids are global, so scope them to this test's bucket.
        const scoped = us.map((u) => ({ ...u, uploadId: `${b}-${u.uploadId}` }));
        for (const u of scoped) await store.createUpload(u);
        const ids = (rows: UploadRecord[]) => rows.map((u) => `${u.key}:${u.uploadId.slice(b.length + 1)}`);
        const list = async (q: { prefix: string; afterKey?: string; afterUploadId?: string; limit?: number }) =>
          ids(await store.listUploads(b, { limit: 100, ...q }));
        assert.deepEqual(await list({ prefix: '' }), ['x/a:u1', 'x/a:u3', 'x/b:u2', 'x/b:u6', 'x0:u4', 'y:u5']);
        assert.deepEqual(await list({ prefix: 'x/' }), ['x/a:u1', 'x/a:u3', 'x/b:u2', 'x/b:u6']);
        assert.deepEqual(await list({ prefix: 'x/', afterKey: 'x/a', afterUploadId: `${b}-u1` }), [
          'x/a:u3', 'x/b:u2', 'x/b:u6',
        ]);
        assert.deepEqual(await list({ prefix: '', afterKey: 'x/b', afterUploadId: `${b}-u4` }), ['x/b:u6', 'x0:u4', 'y:u5']);
        assert.deepEqual(await list({ prefix: '', afterKey: 'x/a' }), ['x/b:u2', 'x/b:u6', 'x0:u4', 'y:u5']);
        assert.deepEqual(await list({ prefix: 'x/', afterKey: 'a', afterUploadId: 'zzz' }), [
          'x/a:u1', 'x/a:u3', 'x/b:u2', 'x/b:u6',
        ]);
        assert.deepEqual(await list({ prefix: '', afterKey: 'x/b', afterUploadId: `${b}-u6`, limit: 1 }), ['x0:u4']);
        assert.deepEqual(await store.listUploads(uniq('empty'), { prefix: '', limit: 10 }), []);
      });

      it('completes an upload in one commit', async () => {
        const b = await newBucket();
        const u = upload(b, 'big');
        await store.createUpload(u);
        await Promise.all([1, 2].map((n) => store.putPart(part(u.uploadId, n))));
        const o = obj(b, 'big', { etag: 'abcdef0123456789abcdef0123456789-2', partSizes: [5, 5] });
        await store.completeUpload(u.uploadId, o);
        assert.deepEqual(await store.getObject(b, 'big'), o);
        assert.equal(await store.getUpload(u.uploadId), undefined);
        assert.deepEqual(await store.listParts(u.uploadId, 0, 100), []);
      });

      it('does not complete an aborted upload', async () => {
        const b = await newBucket();
        const u = upload(b, 'raced');
        await store.createUpload(u);
        await store.putPart(part(u.uploadId, 1));
        await store.deleteUpload(u.uploadId);
        await assert.rejects(store.completeUpload(u.uploadId, obj(b, 'raced')), MetaNotFoundError);
        assert.equal(await store.getObject(b, 'raced'), undefined);
      });
    });

    describe('intents', () => {
      const intent = (bucket: string, key: string): IntentRecord => ({
        id: uniq('intent'),
        stagedPath: `.staging/${uniq('s')}`,
        object: obj(bucket, key, { partSizes: [1, 2], isDirectory: false }),
        created: 1_700_000_004_000,
      });
      const ours = async (want: IntentRecord[]): Promise<IntentRecord[]> => {
        const ids = new Set(want.map((i) => i.id));
        return (await store.listIntents()).filter((i) => ids.has(i.id)).sort((x, y) => (x.id < y.id ? -1 : 1));
      };

      it('adds, lists and resolves intents', async () => {
        const b = await newBucket();
        const i1 = intent(b, 'one');
        const i2 = intent(b, 'two');
        await Promise.all([store.addIntent(i1), store.addIntent(i2)]);
        assert.deepEqual(await ours([i1, i2]), [i1, i2]);
        await assert.rejects(store.addIntent({ ...i1, stagedPath: 'other' }), MetaConflictError);
        await store.resolveIntent(i1.id, i1.object);
        assert.deepEqual(await store.getObject(b, 'one'), i1.object);
        await store.resolveIntent(i2.id, undefined);
        assert.equal(await store.getObject(b, 'two'), undefined);
        assert.deepEqual(await ours([i1, i2]), []);
      });

      it('does not apply a stale resolution', async () => {
        const b = await newBucket();
        const i = intent(b, 'k');
        await store.addIntent(i);
        await store.resolveIntent(i.id, undefined);
        await assert.rejects(store.resolveIntent(i.id, i.object), MetaNotFoundError);
        assert.equal(await store.getObject(b, 'k'), undefined);
      });
    });

    describe('group commit and durability', () => {
      it('commits 500 concurrent writes', async () => {
        const b = await newBucket();
        const keys = Array.from({ length: 500 }, (_, i) => `k${String(i).padStart(4, '0')}`);
        await putAll(b, [...keys].reverse());
        assert.deepEqual(keysOf(await store.listObjects(b, { prefix: '', limit: 1000 })), keys);
      });

      it('fails only the failing writes of a batch', async () => {
        const b = await newBucket();
        const full = await newBucket('full');
        await store.putObject(obj(full, 'x'));
        const results = await Promise.allSettled([
          store.putObject(obj(b, 'k1')),
          store.createBucket(bucketRec(b, 'mallory')),
          store.putObject(obj(b, 'k2')),
          store.deleteBucket(full),
          store.completeUpload(uniq('missing'), obj(b, 'never')),
          store.putObject(obj(b, 'k3')),
        ]);
        assert.deepEqual(results.map((r) => r.status), [
          'fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled',
        ]);
        const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : undefined));
        assert.ok(reasons[1] instanceof MetaConflictError);
        assert.ok(reasons[3] instanceof MetaConflictError);
        assert.ok(reasons[4] instanceof MetaNotFoundError);
        assert.deepEqual(keysOf(await store.listObjects(b, { prefix: '', limit: 10 })), ['k1', 'k2', 'k3']);
        assert.equal((await store.getBucket(b))?.owner, 'alice');
        assert.ok(await store.getBucket(full));
      });

      it('keeps data across close and reopen', async () => {
        const b = await newBucket();
        const o = obj(b, 'kept', { partSizes: [3] });
        const u = upload(b, 'pending');
        const i: IntentRecord = { id: uniq('intent'), stagedPath: 's', object: o, created: 9 };
        await store.createUpload(u);
        // Not awaited before close(): close must flush writes still queued.
        const writes = Promise.all([store.putObject(o), store.putPart(part(u.uploadId, 1)), store.addIntent(i)]);
        await store.close();
        await writes;
        store = await open();
        assert.deepEqual(await store.getBucket(b), bucketRec(b));
        assert.deepEqual(await store.getObject(b, 'kept'), o);
        assert.deepEqual(await store.getUpload(u.uploadId), u);
        assert.deepEqual(await store.listParts(u.uploadId, 0, 10), [part(u.uploadId, 1)]);
        assert.deepEqual((await store.listIntents()).filter((x) => x.id === i.id), [i]);
      });
    });
  });
}
