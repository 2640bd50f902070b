// Every operation of the foundation through @aws-sdk/client-s3, the client most
// users' code is built on; each test fails if its behaviour breaks.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, GetBucketLocationCommand, GetObjectCommand, HeadBucketCommand,
  HeadObjectCommand, ListBucketsCommand, ListObjectsCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput, ListPartsCommand,
  PutObjectCommand, S3Client, UploadPartCommand, type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { md5, s3Error, startTestServer, type TestServer } from './harness.ts';

describe('S3 operations through @aws-sdk/client-s3', () => {
  let s: TestServer;
  let c: S3Client;
  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: 'sdk' }));
  });
  after(async () => { await s.stop(); });

  describe('buckets', () => {
    it('lists the caller\'s buckets only, with creation dates', async () => {
      await s.client('bob').send(new CreateBucketCommand({ Bucket: 'bobs-bucket' }));
      const mine = await c.send(new ListBucketsCommand({}));
      assert.deepEqual(mine.Buckets?.map((b) => b.Name), ['sdk']);
      assert.equal(mine.Owner?.ID, 'alice');
      assert.ok(mine.Buckets?.[0].CreationDate instanceof Date);
      const bobs = await s.client('bob').send(new ListBucketsCommand({}));
      assert.deepEqual(bobs.Buckets?.map((b) => b.Name), ['bobs-bucket']);
    });

    it('answers BucketAlreadyOwnedByYou to the owner and BucketAlreadyExists to others', async () => {
      assert.equal((await s3Error(c.send(new CreateBucketCommand({ Bucket: 'sdk' })))).name, 'BucketAlreadyOwnedByYou');
      const other = await s3Error(s.client('mallory').send(new CreateBucketCommand({ Bucket: 'sdk' })));
      assert.equal(other.name, 'BucketAlreadyExists');
      assert.equal(other.$metadata.httpStatusCode, 409);
    });

    it('refuses names S3 refuses', async () => {
      for (const name of ['ab', 'UpperCase', 'under_score', '-dash', 'dots..dots', '192.168.1.1', 'x'.repeat(64), 'xn--punycode']) {
        const err = await s3Error(c.send(new CreateBucketCommand({ Bucket: name })));
        assert.equal(err.name, 'InvalidBucketName', name);
      }
    });

    it('heads a bucket and reports its location', async () => {
      await c.send(new HeadBucketCommand({ Bucket: 'sdk' }));
      const missing = await s3Error(c.send(new HeadBucketCommand({ Bucket: 'nope-nope' })));
      assert.equal(missing.$metadata.httpStatusCode, 404);
      const loc = await c.send(new GetBucketLocationCommand({ Bucket: 'sdk' }));
      assert.equal(loc.LocationConstraint, undefined);
    });

    it('deletes an empty bucket and refuses a non-empty one', async () => {
      await c.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
      await c.send(new PutObjectCommand({ Bucket: 'short-lived', Key: 'a/b', Body: 'x' }));
      assert.equal((await s3Error(c.send(new DeleteBucketCommand({ Bucket: 'short-lived' })))).name, 'BucketNotEmpty');
      await c.send(new DeleteObjectCommand({ Bucket: 'short-lived', Key: 'a/b' }));
      await c.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
      assert.equal((await s3Error(c.send(new HeadBucketCommand({ Bucket: 'short-lived' })))).$metadata.httpStatusCode, 404);
      assert.equal((await s3Error(c.send(new DeleteBucketCommand({ Bucket: 'short-lived' })))).name, 'NoSuchBucket');
    });
  });

  describe('objects', () => {
    it('round-trips bytes, Content-Type and user metadata', async () => {
      const body = randomBytes(100_000);
      const put = await c.send(new PutObjectCommand({
        Bucket: 'sdk', Key: 'dir/sub/obj.bin', Body: body, ContentType: 'application/x-test',
        Metadata: { colour: 'blue', 'with-dash': 'Ünïcode' }, CacheControl: 'max-age=60', ContentDisposition: 'attachment',
      }));
      assert.equal(put.ETag, `"${md5(body)}"`);
      const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'dir/sub/obj.bin' }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
      assert.equal(got.ContentType, 'application/x-test');
      assert.equal(got.ContentLength, body.length);
      assert.equal(got.ETag, `"${md5(body)}"`);
      assert.equal(got.CacheControl, 'max-age=60');
      assert.equal(got.ContentDisposition, 'attachment');
      assert.deepEqual(got.Metadata, { colour: 'blue', 'with-dash': 'Ünïcode' });
      const head = await c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'dir/sub/obj.bin' }));
      assert.equal(head.ContentLength, body.length);
      assert.equal(head.ETag, `"${md5(body)}"`);
      assert.ok(head.LastModified instanceof Date);
    });

    it('streams a body of unknown length (aws-chunked with a checksum trailer)', async () => {
      const chunks = [randomBytes(70_000), randomBytes(1), randomBytes(200_000)];
      const body = Buffer.concat(chunks);
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'streamed', Body: Readable.from(chunks), ContentLength: body.length }));
      const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'streamed' }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
      assert.equal(got.ETag, `"${md5(body)}"`);
    });

    it('stores the file at its key under the data directory, as a plain file', async () => {
      const { readFile } = await import('node:fs/promises');
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'plain/file.txt', Body: 'visible to files' }));
      assert.equal(await readFile(`${s.dataDir}/sdk/plain/file.txt`, 'utf8'), 'visible to files');
    });

    it('serves byte ranges', async () => {
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'range', Body: '0123456789' }));
      const mid = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'range', Range: 'bytes=2-4' }));
      assert.equal(await mid.Body!.transformToString(), '234');
      assert.equal(mid.ContentRange, 'bytes 2-4/10');
      const tail = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'range', Range: 'bytes=-3' }));
      assert.equal(await tail.Body!.transformToString(), '789');
      const bad = await s3Error(c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'range', Range: 'bytes=10-' })));
      assert.equal(bad.name, 'InvalidRange');
      assert.equal(bad.$metadata.httpStatusCode, 416);
    });

    it('answers NoSuchKey and NoSuchBucket', async () => {
      assert.equal((await s3Error(c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'missing' })))).name, 'NoSuchKey');
      assert.equal((await s3Error(c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'missing' })))).$metadata.httpStatusCode, 404);
      assert.equal((await s3Error(c.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })))).name, 'NoSuchBucket');
      assert.equal((await s3Error(c.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).name, 'NoSuchBucket');
    });

    it('deletes, with success for a missing key too', async () => {
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'doomed', Body: 'x' }));
      const del = await c.send(new DeleteObjectCommand({ Bucket: 'sdk', Key: 'doomed' }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      assert.equal((await c.send(new DeleteObjectCommand({ Bucket: 'sdk', Key: 'doomed' }))).$metadata.httpStatusCode, 204);
      assert.equal((await s3Error(c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'doomed' })))).$metadata.httpStatusCode, 404);
    });

    it('accepts versionId=null on GET, HEAD and DELETE, and no other version', async () => {
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'versioned', Body: 'v' }));
      assert.equal(await (await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'versioned', VersionId: 'null' }))).Body!.transformToString(), 'v');
      await c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'versioned', VersionId: 'null' }));
      assert.equal((await s3Error(c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'versioned', VersionId: 'abc' })))).name, 'NoSuchVersion');
      await c.send(new DeleteObjectCommand({ Bucket: 'sdk', Key: 'versioned', VersionId: 'null' }));
      assert.equal((await s3Error(c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'versioned' })))).$metadata.httpStatusCode, 404);
    });

    it('overwrites: the last PUT wins whole', async () => {
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'over', Body: 'first version' }));
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'over', Body: 'second' }));
      const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'over' }));
      assert.equal(await got.Body!.transformToString(), 'second');
      assert.equal(got.ContentLength, 6);
    });

    it('ends concurrent PUTs to one key with one whole winner', async () => {
      const bodies = Array.from({ length: 12 }, (_, i) => Buffer.alloc(50_000 + i * 1000, i));
      await Promise.all(bodies.map((b) => c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'contended', Body: b }))));
      const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'contended' }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      const winner = bodies.find((b) => b.equals(bytes));
      assert.ok(winner, 'the stored bytes are exactly one of the bodies');
      assert.equal(got.ETag, `"${md5(winner)}"`);
      assert.equal(got.ContentLength, winner.length);
    });

    it('refuses keys that would escape the bucket or collide as paths', async () => {
      for (const key of ['../escape', 'a/../../b', 'a/./b', 'a//b', 'nul\u0000byte']) {
        const err = await s3Error(c.send(new PutObjectCommand({ Bucket: 'sdk', Key: key, Body: 'x' })));
        assert.equal(err.$metadata.httpStatusCode, 400, key);
      }
      const long = await s3Error(c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'k'.repeat(1025), Body: 'x' })));
      assert.equal(long.name, 'KeyTooLongError');
    });

    it('gives clear errors when a key conflicts with a directory', async () => {
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'tree/leaf', Body: 'x' }));
      const asDir = await s3Error(c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'tree', Body: 'y' })));
      assert.equal(asDir.name, 'ObjectExistsAsDirectory');
      assert.equal(asDir.$metadata.httpStatusCode, 409);
      const underFile = await s3Error(c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'tree/leaf/deeper', Body: 'z' })));
      assert.equal(underFile.name, 'ParentIsObject');
      const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'tree/leaf' }));
      assert.equal(await got.Body!.transformToString(), 'x');
    });

    it('keeps directory markers (keys ending in /) as empty objects', async () => {
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'folder/', Body: '' }));
      const head = await c.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'folder/' }));
      assert.equal(head.ContentLength, 0);
      await c.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'folder/inside', Body: 'i' }));
      await c.send(new DeleteObjectCommand({ Bucket: 'sdk', Key: 'folder/inside' }));
      const list = await c.send(new ListObjectsV2Command({ Bucket: 'sdk', Prefix: 'folder/' }));
      assert.deepEqual(list.Contents?.map((o) => o.Key), ['folder/']);
    });
  });

  describe('listing', () => {
    let lc: S3Client;
    before(async () => {
      lc = s.client('lister');
      await lc.send(new CreateBucketCommand({ Bucket: 'listing' }));
      const keys = ['a.txt', 'b/1', 'b/2', 'b/c/3', 'd', 'e/f', 'é', '中文', 'z z'];
      await Promise.all(keys.map((Key) => lc.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }))));
    });

    it('lists keys in UTF-8 byte order with sizes and ETags', async () => {
      const res = await lc.send(new ListObjectsV2Command({ Bucket: 'listing' }));
      assert.deepEqual(res.Contents?.map((o) => o.Key), ['a.txt', 'b/1', 'b/2', 'b/c/3', 'd', 'e/f', 'z z', 'é', '中文']);
      assert.equal(res.KeyCount, 9);
      assert.equal(res.IsTruncated, false);
      const d = res.Contents?.find((o) => o.Key === 'd');
      assert.equal(d?.Size, 1);
      assert.equal(d?.ETag, `"${md5(Buffer.from('d'))}"`);
    });

    it('groups by delimiter into CommonPrefixes', async () => {
      const res = await lc.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
      assert.deepEqual(res.Contents?.map((o) => o.Key), ['a.txt', 'd', 'z z', 'é', '中文']);
      assert.deepEqual(res.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'e/']);
      assert.equal(res.KeyCount, 7);
      const inner = await lc.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', Prefix: 'b/' }));
      assert.deepEqual(inner.Contents?.map((o) => o.Key), ['b/1', 'b/2']);
      assert.deepEqual(inner.CommonPrefixes?.map((p) => p.Prefix), ['b/c/']);
    });

    it('pages V2 with continuation tokens, prefixes counting as keys', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const res: ListObjectsV2CommandOutput = await lc.send(new ListObjectsV2Command({ Bucket: "listing", Delimiter: "/", MaxKeys: 2, ContinuationToken: token }));
        assert.ok((res.KeyCount ?? 0) <= 2);
        seen.push(...(res.Contents ?? []).map((o) => o.Key!), ...(res.CommonPrefixes ?? []).map((p) => p.Prefix!));
        token = res.NextContinuationToken;
        assert.equal(res.IsTruncated, token !== undefined);
        pages++;
      } while (token);
      assert.equal(pages, 4);
      assert.deepEqual(seen.sort(), ['a.txt', 'b/', 'd', 'e/', 'z z', 'é', '中文'].sort());
    });

    it('honours start-after', async () => {
      const res = await lc.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'b/2' }));
      assert.deepEqual(res.Contents?.map((o) => o.Key), ['b/c/3', 'd', 'e/f', 'z z', 'é', '中文']);
    });

    it('pages V1 with markers', async () => {
      const first = await lc.send(new ListObjectsCommand({ Bucket: 'listing', MaxKeys: 3 }));
      assert.deepEqual(first.Contents?.map((o) => o.Key), ['a.txt', 'b/1', 'b/2']);
      assert.equal(first.IsTruncated, true);
      assert.equal(first.NextMarker, 'b/2');
      const second = await lc.send(new ListObjectsCommand({ Bucket: 'listing', Marker: first.NextMarker, Delimiter: '/' }));
      assert.deepEqual(second.Contents?.map((o) => o.Key), ['d', 'z z', 'é', '中文']);
      assert.deepEqual(second.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'e/']);
      assert.equal(second.Contents?.[0].Owner?.ID, 'lister');
    });

    it('caps max-keys at 1000 and refuses a negative one', async () => {
      const res = await lc.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 5000 }));
      assert.equal(res.MaxKeys, 1000);
      assert.equal((await s3Error(lc.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: -1 })))).name, 'InvalidArgument');
    });
  });

  describe('multipart', () => {
    it('uploads parts, lists them, completes with the standard body and S3\'s ETag', async () => {
      const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(12345)];
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/object', ContentType: 'video/mp4', Metadata: { m: '1' } }));
      assert.ok(UploadId);
      const etags: string[] = [];
      for (const [i, body] of parts.entries()) {
        const res: UploadPartCommandOutput = await c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/object', UploadId, PartNumber: i + 1, Body: body }));
        assert.equal(res.ETag, `"${md5(body)}"`);
        etags.push(res.ETag!);
      }
      const listed = await c.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'mp/object', UploadId }));
      assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]), parts.map((b, i) => [i + 1, etags[i], b.length]));
      const paged = await c.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'mp/object', UploadId, MaxParts: 2 }));
      assert.equal(paged.IsTruncated, true);
      assert.equal(paged.NextPartNumberMarker, '2');
      const rest = await c.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'mp/object', UploadId, PartNumberMarker: '2' }));
      assert.deepEqual(rest.Parts?.map((p) => p.PartNumber), [3]);

      const done = await c.send(new CompleteMultipartUploadCommand({
        Bucket: 'sdk', Key: 'mp/object', UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }));
      const expected = createHash('md5').update(Buffer.concat(parts.map((b) => Buffer.from(md5(b), 'hex')))).digest('hex');
      assert.equal(done.ETag, `"${expected}-3"`);
      const got = await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'mp/object' }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts)));
      assert.equal(got.ContentType, 'video/mp4');
      assert.deepEqual(got.Metadata, { m: '1' });
      assert.equal((await s3Error(c.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'mp/object', UploadId })))).name, 'NoSuchUpload');
    });

    it('refuses wrong ETags, out-of-order parts and unknown uploads', async () => {
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/bad' }));
      const p1 = await c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/bad', UploadId, PartNumber: 1, Body: 'one' }));
      const p2 = await c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/bad', UploadId, PartNumber: 2, Body: 'two' }));
      const complete = (Parts: { ETag: string; PartNumber: number }[]) =>
        c.send(new CompleteMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/bad', UploadId, MultipartUpload: { Parts } }));
      assert.equal((await s3Error(complete([{ ETag: '"00000000000000000000000000000000"', PartNumber: 1 }]))).name, 'InvalidPart');
      assert.equal((await s3Error(complete([{ ETag: p2.ETag!, PartNumber: 2 }, { ETag: p1.ETag!, PartNumber: 1 }]))).name, 'InvalidPartOrder');
      assert.equal((await s3Error(complete([{ ETag: p1.ETag!, PartNumber: 3 }]))).name, 'InvalidPart');
      const badNumber = await s3Error(c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/bad', UploadId, PartNumber: 10001, Body: 'x' })));
      assert.equal(badNumber.name, 'InvalidArgument');
      const unknown = await s3Error(c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/bad', UploadId: 'not-an-upload', PartNumber: 1, Body: 'x' })));
      assert.equal(unknown.name, 'NoSuchUpload');
      await c.send(new AbortMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/bad', UploadId }));
      assert.equal((await s3Error(complete([{ ETag: p1.ETag!, PartNumber: 1 }]))).name, 'NoSuchUpload');
    });

    it('replaces a re-uploaded part', async () => {
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/retry' }));
      await c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/retry', UploadId, PartNumber: 1, Body: 'old' }));
      const again = await c.send(new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/retry', UploadId, PartNumber: 1, Body: 'new!' }));
      await c.send(new CompleteMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/retry', UploadId, MultipartUpload: { Parts: [{ ETag: again.ETag, PartNumber: 1 }] } }));
      assert.equal(await (await c.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'mp/retry' }))).Body!.transformToString(), 'new!');
    });
  });
});
