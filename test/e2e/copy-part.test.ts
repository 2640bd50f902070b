// UploadPartCopy through @aws-sdk/client-s3 (plus raw HTTP for the wire
// form): parts copied from ranges and whole objects that complete like any
// other part, the upload's checksum, x-amz-copy-source-range rules, the
// copy-source conditions and errors. CopyObject is in copy.test.ts.
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand,
  S3Client, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { md5, objectBytes, raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const MiB = 1024 * 1024;

describe('UploadPartCopy', () => {
  let s: TestServer;
  let c: S3Client;
  const B = 'copies';
  const OTHER = 'elsewhere';

  const body = (bucket: string, key: string): Promise<Buffer> => objectBytes(c, bucket, key);

  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await c.send(new CreateBucketCommand({ Bucket: OTHER }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'source bytes' }));
  });
  after(async () => { await s.stop(); });

  describe('parts', () => {
    const data = randomBytes(3 * MiB + 17);
    before(async () => {
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'part-src', Body: data }));
    });

    it('copies ranges and whole objects into parts that complete like any other', async () => {
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: OTHER, Key: 'assembled' }));
      const first = await c.send(new UploadPartCopyCommand({
        Bucket: OTHER, Key: 'assembled', UploadId: up.UploadId, PartNumber: 1, CopySource: `${B}/part-src`, CopySourceRange: `bytes=0-${2 * MiB - 1}`,
      }));
      assert.equal(first.CopyPartResult?.ETag, `"${md5(data.subarray(0, 2 * MiB))}"`);
      assert.ok(first.CopyPartResult?.LastModified instanceof Date);
      const second = await c.send(new UploadPartCopyCommand({
        Bucket: OTHER, Key: 'assembled', UploadId: up.UploadId, PartNumber: 2, CopySource: `/${B}/part-src`, CopySourceRange: `bytes=${2 * MiB}-${data.length - 1}`,
      }));
      const third = await c.send(new UploadPartCopyCommand({ Bucket: OTHER, Key: 'assembled', UploadId: up.UploadId, PartNumber: 3, CopySource: `${B}/src` }));
      assert.equal(third.CopyPartResult?.ETag, `"${md5(Buffer.from('source bytes'))}"`);
      const parts = [first.CopyPartResult!.ETag!, second.CopyPartResult!.ETag!, third.CopyPartResult!.ETag!];
      await c.send(new CompleteMultipartUploadCommand({
        Bucket: OTHER, Key: 'assembled', UploadId: up.UploadId, MultipartUpload: { Parts: parts.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }));
      assert.ok((await body(OTHER, 'assembled')).equals(Buffer.concat([data, Buffer.from('source bytes')])));
    });

    it('answers CopyPartResult on the wire', async () => {
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: OTHER, Key: 'wire' }));
      const res = await raw(s.url, 'PUT', `/${OTHER}/wire?partNumber=1&uploadId=${encodeURIComponent(up.UploadId!)}`, {
        headers: { 'x-amz-copy-source': `${B}/part-src`, 'x-amz-copy-source-range': 'bytes=10-19' },
      });
      assert.equal(res.status, 200);
      assert.match(res.text, /<CopyPartResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><LastModified>[^<]+<\/LastModified><\/CopyPartResult>$/);
      assert.equal(xmlText(res.text, 'ETag'), `&quot;${md5(data.subarray(10, 20))}&quot;`);
    });

    it('records the upload\'s checksum for a copied part, and the upload completes with it', async () => {
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: OTHER, Key: 'summed-parts', ChecksumAlgorithm: 'SHA256' }));
      const out = await c.send(new UploadPartCopyCommand({
        Bucket: OTHER, Key: 'summed-parts', UploadId: up.UploadId, PartNumber: 1, CopySource: `${B}/part-src`, CopySourceRange: 'bytes=100-1099',
      }));
      const sha = createHash('sha256').update(data.subarray(100, 1100)).digest('base64');
      assert.equal(out.CopyPartResult?.ChecksumSHA256, sha);
      await c.send(new CompleteMultipartUploadCommand({
        Bucket: OTHER, Key: 'summed-parts', UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ ETag: out.CopyPartResult?.ETag, ChecksumSHA256: sha, PartNumber: 1 }] },
      }));
      assert.ok((await body(OTHER, 'summed-parts')).equals(data.subarray(100, 1100)));
    });

    it('refuses a malformed range and one that does not fit the source', async () => {
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: OTHER, Key: 'ranges' }));
      const send = (range: string) => c.send(new UploadPartCopyCommand({
        Bucket: OTHER, Key: 'ranges', UploadId: up.UploadId, PartNumber: 1, CopySource: `${B}/part-src`, CopySourceRange: range,
      }));
      for (const range of ['bytes=0-', 'bytes=-5', 'byte=0-5', 'bytes=9-3', 'bytes=a-b', 'bytes=0-1,4-5']) {
        const err = await s3Error(send(range));
        assert.equal(err.name, 'InvalidArgument', range);
        assert.match(err.message, /must be of the form bytes=first-last/, range);
      }
      for (const range of [`bytes=0-${data.length}`, `bytes=${data.length}-${data.length + 10}`]) {
        const err = await s3Error(send(range));
        assert.equal(err.name, 'InvalidArgument', range);
        assert.equal(err.$metadata.httpStatusCode, 400);
        assert.equal(err.message, `Range specified is not valid for source object of size: ${data.length}`, range);
      }
      await send(`bytes=${data.length - 1}-${data.length - 1}`);
    });

    it('applies the copy-source conditions', async () => {
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: OTHER, Key: 'cond-parts' }));
      const err = await s3Error(c.send(new UploadPartCopyCommand({
        Bucket: OTHER, Key: 'cond-parts', UploadId: up.UploadId, PartNumber: 1, CopySource: `${B}/part-src`, CopySourceIfMatch: '"0000"',
      })));
      assert.equal(err.name, 'PreconditionFailed');
      const ok = await c.send(new UploadPartCopyCommand({
        Bucket: OTHER, Key: 'cond-parts', UploadId: up.UploadId, PartNumber: 1, CopySource: `${B}/part-src`, CopySourceIfNoneMatch: '"0000"',
      }));
      assert.equal(ok.CopyPartResult?.ETag, `"${md5(data)}"`);
    });

    it('NoSuchUpload, NoSuchKey and a bad part number are refused', async () => {
      const noUpload = await s3Error(c.send(new UploadPartCopyCommand({ Bucket: OTHER, Key: 'k', UploadId: 'nope', PartNumber: 1, CopySource: `${B}/src` })));
      assert.equal(noUpload.name, 'NoSuchUpload');
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: OTHER, Key: 'k' }));
      const noKey = await s3Error(c.send(new UploadPartCopyCommand({ Bucket: OTHER, Key: 'k', UploadId: up.UploadId, PartNumber: 1, CopySource: `${B}/missing` })));
      assert.equal(noKey.name, 'NoSuchKey');
      const badPart = await s3Error(c.send(new UploadPartCopyCommand({ Bucket: OTHER, Key: 'k', UploadId: up.UploadId, PartNumber: 10_001, CopySource: `${B}/src` })));
      assert.equal(badPart.name, 'InvalidArgument');
    });
  });
});
