// Object and bucket tagging through @aws-sdk/client-s3, plus raw HTTP for the
// x-amz-tagging header forms and the error documents the SDK hides.
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketTaggingCommand,
  DeleteObjectTaggingCommand, GetBucketTaggingCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand,
  PutBucketTaggingCommand, PutObjectAclCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const tagSet = (n: number, prefix = 'k'): { Key: string; Value: string }[] =>
  Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

describe('tagging', () => {
  let s: TestServer;
  let c: S3Client;
  const Bucket = 'tags';
  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket }));
  });
  after(async () => { await s.stop(); });

  describe('object tagging', () => {
    it('puts, gets (in key order) and deletes a tag set', async () => {
      await c.send(new PutObjectCommand({ Bucket, Key: 'obj', Body: 'data' }));
      const empty = await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'obj' }));
      assert.deepEqual(empty.TagSet, []);
      await c.send(new PutObjectTaggingCommand({ Bucket, Key: 'obj', Tagging: { TagSet: [{ Key: 'zeta', Value: '1' }, { Key: 'alpha', Value: 'two words' }] } }));
      const got = await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'obj' }));
      assert.deepEqual(got.TagSet, [{ Key: 'alpha', Value: 'two words' }, { Key: 'zeta', Value: '1' }]);
      const del = await c.send(new DeleteObjectTaggingCommand({ Bucket, Key: 'obj' }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'obj' }))).TagSet, []);
    });

    it('replaces the whole set, and an empty set removes the tags', async () => {
      await c.send(new PutObjectCommand({ Bucket, Key: 'replace', Body: 'data' }));
      await c.send(new PutObjectTaggingCommand({ Bucket, Key: 'replace', Tagging: { TagSet: tagSet(3) } }));
      await c.send(new PutObjectTaggingCommand({ Bucket, Key: 'replace', Tagging: { TagSet: [{ Key: 'only', Value: 'one' }] } }));
      assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'replace' }))).TagSet, [{ Key: 'only', Value: 'one' }]);
      await c.send(new PutObjectTaggingCommand({ Bucket, Key: 'replace', Tagging: { TagSet: [] } }));
      assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'replace' }))).TagSet, []);
    });

    it('answers x-amz-tagging-count on GET and HEAD when the object has tags', async () => {
      await c.send(new PutObjectCommand({ Bucket, Key: 'counted', Body: 'data' }));
      assert.equal((await c.send(new GetObjectCommand({ Bucket, Key: 'counted' }))).TagCount, undefined);
      await c.send(new PutObjectTaggingCommand({ Bucket, Key: 'counted', Tagging: { TagSet: tagSet(3) } }));
      const got = await c.send(new GetObjectCommand({ Bucket, Key: 'counted' }));
      assert.equal(got.TagCount, 3);
      assert.equal(await got.Body?.transformToString(), 'data');
      const head = await raw(s.url, 'HEAD', `/${Bucket}/counted`);
      assert.equal(head.headers['x-amz-tagging-count'], '3');
      await c.send(new HeadObjectCommand({ Bucket, Key: 'counted' }));
    });

    it('keeps tags across an ACL or tag change but not across an overwrite', async () => {
      await c.send(new PutObjectCommand({ Bucket, Key: 'over', Body: 'one', Tagging: 'a=1' }));
      await c.send(new PutObjectAclCommand({ Bucket, Key: 'over', ACL: 'public-read' }));
      assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'over' }))).TagSet, [{ Key: 'a', Value: '1' }]);
      assert.equal(await (await c.send(new GetObjectCommand({ Bucket, Key: 'over' }))).Body?.transformToString(), 'one');
      await c.send(new PutObjectCommand({ Bucket, Key: 'over', Body: 'two' }));
      assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'over' }))).TagSet, []);
    });

    it('refuses 11 tags with BadRequest and bad tags with InvalidTag, storing nothing', async () => {
      await c.send(new PutObjectCommand({ Bucket, Key: 'limits', Body: 'data', Tagging: 'keep=me' }));
      const put = (TagSet: { Key: string; Value: string }[]) => s3Error(c.send(new PutObjectTaggingCommand({ Bucket, Key: 'limits', Tagging: { TagSet } })));
      const tooMany = await put(tagSet(11));
      assert.equal(tooMany.name, 'BadRequest');
      assert.equal(tooMany.message, 'Object tags cannot be greater than 10');
      assert.equal(tooMany.$metadata.httpStatusCode, 400);
      const cases: [{ Key: string; Value: string }[], string][] = [
        [[{ Key: 'k'.repeat(129), Value: 'v' }], 'The TagKey you have provided is too long, max 128'],
        [[{ Key: 'k', Value: 'v'.repeat(257) }], 'The TagValue you have provided is too long, max 256'],
        [[{ Key: 'aws:stack', Value: 'v' }], 'Your TagKey cannot be prefixed with aws:'],
        [[{ Key: 'same', Value: '1' }, { Key: 'same', Value: '2' }], 'Cannot provide multiple Tags with the same key'],
        [[{ Key: 'bad{key}', Value: '1' }], 'The TagKey you have provided is invalid'],
      ];
      for (const [TagSet, message] of cases) {
        const err = await put(TagSet);
        assert.equal(err.name, 'InvalidTag', message);
        assert.equal(err.message, message);
      }
      assert.deepEqual((await c.send(new PutObjectTaggingCommand({ Bucket, Key: 'limits', Tagging: { TagSet: tagSet(10) } }))).$metadata.httpStatusCode, 200);
    });

    it('answers NoSuchKey for a missing object and MalformedXML for a bad document', async () => {
      const missing = await s3Error(c.send(new PutObjectTaggingCommand({ Bucket, Key: 'nope', Tagging: { TagSet: tagSet(1) } })));
      assert.equal(missing.name, 'NoSuchKey');
      assert.equal((await s3Error(c.send(new GetObjectTaggingCommand({ Bucket, Key: 'nope' })))).name, 'NoSuchKey');
      assert.equal((await s3Error(c.send(new DeleteObjectTaggingCommand({ Bucket, Key: 'nope' })))).name, 'NoSuchKey');
      await c.send(new PutObjectCommand({ Bucket, Key: 'xml', Body: 'data' }));
      for (const body of ['<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>', '<Tagging><TagSet>', '']) {
        const res = await raw(s.url, 'PUT', `/${Bucket}/xml?tagging`, { body });
        assert.equal(res.status, 400, body);
        assert.equal(xmlText(res.text, 'Code'), 'MalformedXML', body);
      }
    });

    it('never undoes an overwrite that races with a tag change', async () => {
      await c.send(new PutObjectCommand({ Bucket, Key: 'race', Body: 'start' }));
      for (let round = 0; round < 10; round++) {
        const data = `round ${round} `.repeat(round + 1);
        await Promise.all([
          c.send(new PutObjectCommand({ Bucket, Key: 'race', Body: data })),
          c.send(new PutObjectTaggingCommand({ Bucket, Key: 'race', Tagging: { TagSet: [{ Key: 'round', Value: String(round) }] } })),
        ]);
        const got = await c.send(new GetObjectCommand({ Bucket, Key: 'race' }));
        const body = await got.Body!.transformToString();
        assert.equal(body, data);
        assert.equal(got.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
      }
    });
  });

  describe('x-amz-tagging on writes', () => {
    it('tags a PutObject (URL query form)', async () => {
      await c.send(new PutObjectCommand({ Bucket, Key: 'with-header', Body: 'data', Tagging: 'project=strata&note=two%20words&empty=' }));
      const got = await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'with-header' }));
      assert.deepEqual(got.TagSet, [{ Key: 'empty', Value: '' }, { Key: 'note', Value: 'two words' }, { Key: 'project', Value: 'strata' }]);
    });

    it('tags the object a multipart upload completes', async () => {
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp', Tagging: 'kind=multipart' }));
      const part = await c.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: 1, Body: 'part one' }));
      await c.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
      assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket, Key: 'mp' }))).TagSet, [{ Key: 'kind', Value: 'multipart' }]);
      assert.equal((await c.send(new GetObjectCommand({ Bucket, Key: 'mp' }))).TagCount, 1);
    });

    it('refuses a malformed header with InvalidArgument and too many tags with BadRequest, writing nothing', async () => {
      const bad = await raw(s.url, 'PUT', `/${Bucket}/bad-header`, { headers: { 'x-amz-tagging': 'a=1&a=2' }, body: 'data' });
      assert.equal(bad.status, 400);
      assert.equal(xmlText(bad.text, 'Code'), 'InvalidArgument');
      assert.equal(xmlText(bad.text, 'ArgumentName'), 'x-amz-tagging');
      const many = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
      const tooMany = await raw(s.url, 'POST', `/${Bucket}/bad-header?uploads`, { headers: { 'x-amz-tagging': many } });
      assert.equal(tooMany.status, 400);
      assert.equal(xmlText(tooMany.text, 'Code'), 'BadRequest');
      const reserved = await raw(s.url, 'PUT', `/${Bucket}/bad-header`, { headers: { 'x-amz-tagging': 'aws:x=1' }, body: 'data' });
      assert.equal(xmlText(reserved.text, 'Code'), 'InvalidTag');
      assert.equal((await s3Error(c.send(new HeadObjectCommand({ Bucket, Key: 'bad-header' })))).name, 'NotFound');
    });

    it('answers NoSuchBucket before judging the header', async () => {
      const res = await raw(s.url, 'PUT', '/no-such-bucket/k', { headers: { 'x-amz-tagging': 'a=1&a=2' }, body: 'data' });
      assert.equal(xmlText(res.text, 'Code'), 'NoSuchBucket');
    });
  });

  describe('bucket tagging', () => {
    it('is NoSuchTagSet until set, and again after a delete', async () => {
      await c.send(new CreateBucketCommand({ Bucket: 'tagged-bucket' }));
      const none = await s3Error(c.send(new GetBucketTaggingCommand({ Bucket: 'tagged-bucket' })));
      assert.equal(none.name, 'NoSuchTagSet');
      assert.equal(none.$metadata.httpStatusCode, 404);
      const rawNone = await raw(s.url, 'GET', '/tagged-bucket?tagging');
      assert.equal(xmlText(rawNone.text, 'Message'), 'The TagSet does not exist');
      assert.equal(xmlText(rawNone.text, 'BucketName'), 'tagged-bucket');

      await c.send(new PutBucketTaggingCommand({ Bucket: 'tagged-bucket', Tagging: { TagSet: [{ Key: 'team', Value: 'storage' }, { Key: 'cost', Value: '42' }] } }));
      const got = await c.send(new GetBucketTaggingCommand({ Bucket: 'tagged-bucket' }));
      assert.deepEqual(got.TagSet, [{ Key: 'cost', Value: '42' }, { Key: 'team', Value: 'storage' }]);

      const del = await c.send(new DeleteBucketTaggingCommand({ Bucket: 'tagged-bucket' }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      assert.equal((await s3Error(c.send(new GetBucketTaggingCommand({ Bucket: 'tagged-bucket' })))).name, 'NoSuchTagSet');
    });

    it('takes 50 tags and refuses 51 with BadRequest', async () => {
      await c.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: tagSet(50) } }));
      assert.equal((await c.send(new GetBucketTaggingCommand({ Bucket }))).TagSet?.length, 50);
      const err = await s3Error(c.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: tagSet(51) } })));
      assert.equal(err.name, 'BadRequest');
      assert.equal(err.message, 'Bucket tag count cannot be greater than 50');
      assert.equal((await c.send(new GetBucketTaggingCommand({ Bucket }))).TagSet?.length, 50);
    });

    it('answers NoSuchBucket for a missing bucket', async () => {
      assert.equal((await s3Error(c.send(new GetBucketTaggingCommand({ Bucket: 'missing-bucket' })))).name, 'NoSuchBucket');
      assert.equal((await s3Error(c.send(new PutBucketTaggingCommand({ Bucket: 'missing-bucket', Tagging: { TagSet: [] } })))).name, 'NoSuchBucket');
    });
  });
});
