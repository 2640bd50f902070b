// The spec's REST examples (../shared/spec/alluxio-s3-api.txt), request for
// request, under /api/v1/s3, with real S3's answers where the spec shows a quirk.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { raw, startTestServer, xmlText, type TestServer } from './harness.ts';

const P = '/api/v1/s3';
const LICENSE = Buffer.from('Apache License\nVersion 2.0, January 2004\n'.repeat(640));
const LICENSE_ETAG = `"${createHash('md5').update(LICENSE).digest('hex')}"`;

describe('the spec walkthrough over raw HTTP', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s.stop(); });

  it('creates a bucket as the user named in "Authorization: AWS testuser:" and lists only that user\'s buckets', async () => {
    const put = await raw(s.url, 'PUT', `${P}/testbucket0`, { headers: { Authorization: 'AWS testuser:' } });
    assert.equal(put.status, 200);
    assert.equal(put.headers['content-length'], '0');
    await raw(s.url, 'PUT', `${P}/otherbucket`, { headers: { Authorization: 'AWS someoneelse:' } });
    const list = await raw(s.url, 'GET', P, { headers: { Authorization: 'AWS testuser:' } });
    assert.equal(list.status, 200);
    assert.equal(list.headers['content-type'], 'application/xml');
    assert.match(list.text, /<ListAllMyBucketsResult[^>]*><Owner><ID>testuser<\/ID>/);
    const names = [...list.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]);
    assert.deepEqual(names, ['testbucket0']);
    // SigV4-style credentials name the user the same way.
    const v4 = await raw(s.url, 'GET', P, {
      headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=someoneelse/20210302/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' },
    });
    assert.deepEqual([...v4.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]), ['otherbucket']);
  });

  it('requests without Authorization act as the default user', async () => {
    assert.equal((await raw(s.url, 'PUT', `${P}/testbucket`)).status, 200);
    const mine = await raw(s.url, 'GET', P);
    assert.deepEqual([...mine.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]), ['testbucket']);
  });

  it('lists an empty bucket with KeyCount 0, MaxKeys 1000 and the bucket name without a slash', async () => {
    const res = await raw(s.url, 'GET', `${P}/testbucket`);
    assert.equal(res.status, 200);
    assert.equal(xmlText(res.text, 'Name'), 'testbucket');
    assert.equal(xmlText(res.text, 'KeyCount'), '0');
    assert.equal(xmlText(res.text, 'MaxKeys'), '1000');
    assert.equal(xmlText(res.text, 'IsTruncated'), 'false');
    assert.match(res.text, /<Prefix><\/Prefix>|<Prefix\/>/);
  });

  it('PUTs an object with Expect: 100-continue and answers its MD5 ETag', async () => {
    const res = await raw(s.url, 'PUT', `${P}/testbucket/testobject`, {
      headers: { Expect: '100-continue', 'Content-Length': LICENSE.length },
      body: LICENSE,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.etag, LICENSE_ETAG);
  });

  it('GETs the object back with its length, ETag and Last-Modified, as bytes not XML', async () => {
    const res = await raw(s.url, 'GET', `${P}/testbucket/testobject`);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(LICENSE));
    assert.equal(res.headers['content-length'], String(LICENSE.length));
    assert.equal(res.headers.etag, LICENSE_ETAG);
    assert.equal(res.headers['content-type'], 'binary/octet-stream');
    assert.ok(Date.parse(String(res.headers['last-modified'])) > Date.now() - 60_000);
  });

  it('lists one object with its real ETag and size', async () => {
    const res = await raw(s.url, 'GET', `${P}/testbucket`);
    assert.equal(xmlText(res.text, 'KeyCount'), '1');
    assert.equal(xmlText(res.text, 'Key'), 'testobject');
    assert.equal(xmlText(res.text, 'Size'), String(LICENSE.length));
    assert.equal(xmlText(res.text, 'ETag'), LICENSE_ETAG.replaceAll('"', '&quot;'));
    assert.equal(xmlText(res.text, 'StorageClass'), 'STANDARD');
  });

  it('walks the listing with max-keys=2 and the continuation-token it returned', async () => {
    for (const key of ['key1', 'key2', 'key3']) {
      const put = await raw(s.url, 'PUT', `${P}/testbucket/${key}`, { headers: { Expect: '100-continue' }, body: LICENSE });
      assert.equal(put.headers.etag, LICENSE_ETAG);
    }
    const first = await raw(s.url, 'GET', `${P}/testbucket?max-keys=2`);
    assert.equal(first.status, 200);
    assert.equal(xmlText(first.text, 'KeyCount'), '2');
    assert.equal(xmlText(first.text, 'MaxKeys'), '2');
    assert.equal(xmlText(first.text, 'IsTruncated'), 'true');
    assert.deepEqual([...first.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['key1', 'key2']);
    const token = xmlText(first.text, 'NextContinuationToken');
    assert.equal(token, 'key3');
    assert.equal(xmlText(first.text, 'NextMarker'), 'key2');

    const second = await raw(s.url, 'GET', `${P}/testbucket?max-keys=2&continuation-token=${encodeURIComponent(token!)}`);
    assert.equal(xmlText(second.text, 'ContinuationToken'), 'key3');
    assert.equal(xmlText(second.text, 'KeyCount'), '2');
    assert.equal(xmlText(second.text, 'IsTruncated'), 'false');
    assert.deepEqual([...second.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['key3', 'testobject']);
  });

  it('deletes objects with 204, a missing one too', async () => {
    for (const key of ['key1', 'key2', 'key3', 'testobject', 'never-existed']) {
      const res = await raw(s.url, 'DELETE', `${P}/testbucket/${key}`);
      assert.equal(res.status, 204, key);
    }
    const gone = await raw(s.url, 'GET', `${P}/testbucket/key1`);
    assert.equal(gone.status, 404);
    assert.equal(xmlText(gone.text, 'Code'), 'NoSuchKey');
  });

  it('runs a multipart upload with an empty part, ListParts and a body-less complete', async () => {
    const init = await raw(s.url, 'POST', `${P}/testbucket/testobject?uploads`);
    assert.equal(init.status, 200);
    assert.equal(xmlText(init.text, 'Bucket'), 'testbucket');
    assert.equal(xmlText(init.text, 'Key'), 'testobject');
    const uploadId = xmlText(init.text, 'UploadId')!;
    assert.ok(uploadId.length >= 32, 'upload ids are unguessable');

    const part = await raw(s.url, 'PUT', `${P}/testbucket/testobject?partNumber=1&uploadId=${uploadId}`);
    assert.equal(part.status, 200);
    assert.equal(part.headers.etag, '"d41d8cd98f00b204e9800998ecf8427e"');

    const parts = await raw(s.url, 'GET', `${P}/testbucket/testobject?uploadId=${uploadId}`);
    assert.equal(parts.status, 200);
    assert.equal(xmlText(parts.text, 'Bucket'), 'testbucket');
    assert.equal(xmlText(parts.text, 'PartNumber'), '1');
    assert.equal(xmlText(parts.text, 'ETag'), '&quot;d41d8cd98f00b204e9800998ecf8427e&quot;');
    assert.equal(xmlText(parts.text, 'Size'), '0');

    const done = await raw(s.url, 'POST', `${P}/testbucket/testobject?uploadId=${uploadId}`);
    assert.equal(done.status, 200);
    assert.equal(xmlText(done.text, 'Location'), '/testbucket/testobject');
    const md5OfMd5s = createHash('md5').update(Buffer.from('d41d8cd98f00b204e9800998ecf8427e', 'hex')).digest('hex');
    assert.equal(xmlText(done.text, 'ETag'), `&quot;${md5OfMd5s}-1&quot;`);
    const head = await raw(s.url, 'HEAD', `${P}/testbucket/testobject`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '0');
  });

  it('aborts an upload with 204 and then knows it no more', async () => {
    const init = await raw(s.url, 'POST', `${P}/testbucket/other?uploads`);
    const uploadId = xmlText(init.text, 'UploadId')!;
    assert.equal((await raw(s.url, 'PUT', `${P}/testbucket/other?partNumber=1&uploadId=${uploadId}`, { body: 'abc' })).status, 200);
    const abort = await raw(s.url, 'DELETE', `${P}/testbucket/other?uploadId=${uploadId}`);
    assert.equal(abort.status, 204);
    const again = await raw(s.url, 'GET', `${P}/testbucket/other?uploadId=${uploadId}`);
    assert.equal(again.status, 404);
    assert.equal(xmlText(again.text, 'Code'), 'NoSuchUpload');
  });

  it('refuses to delete a non-empty bucket, then deletes it empty with 204', async () => {
    const busy = await raw(s.url, 'DELETE', `${P}/testbucket`);
    assert.equal(busy.status, 409);
    assert.equal(xmlText(busy.text, 'Code'), 'BucketNotEmpty');
    assert.equal((await raw(s.url, 'DELETE', `${P}/testbucket/testobject`)).status, 204);
    assert.equal((await raw(s.url, 'DELETE', `${P}/testbucket`)).status, 204);
    const gone = await raw(s.url, 'GET', `${P}/testbucket`);
    assert.equal(gone.status, 404);
    assert.equal(xmlText(gone.text, 'Code'), 'NoSuchBucket');
  });
});
