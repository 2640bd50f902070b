// Flexible checksums on multipart uploads through @aws-sdk/client-s3 (and raw
// HTTP where the SDK would fill in what the test leaves out): the algorithm and
// type declared at CreateMultipartUpload, per-part checksums on UploadPart and
// ListParts, their check at CompleteMultipartUpload, and the object checksum
// (COMPOSITE `-N` or FULL_OBJECT) it returns and stores.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  ListPartsCommand, S3Client, UploadPartCommand,
  type ChecksumAlgorithm as SdkAlgorithm, type ChecksumType, type CompletedPart,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../../src/util/checksums.ts';
import { checksumOf, field } from './checksum-helpers.ts';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const PARTS = [Buffer.alloc(70_000, 'a'), Buffer.alloc(50_000, 'b'), Buffer.from('tail')];

/** COMPOSITE: the checksum of the parts' binary checksums, then `-N`. */
function composite(algorithm: ChecksumAlgorithm, parts: Buffer[]): string {
  return `${checksumOf(algorithm, ...parts.map((p) => Buffer.from(checksumOf(algorithm, p), 'base64')))}-${parts.length}`;
}

describe('checksums on multipart uploads', () => {
  let s: TestServer;
  let c: S3Client;
  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: 'mpck' }));
  });
  after(async () => { await s.stop(); });

  /** Creates an upload and sends PARTS with the SDK computing `algorithm`; returns the id and the completed-part list. */
  async function upload(key: string, algorithm: ChecksumAlgorithm, type?: ChecksumType): Promise<{ id: string; parts: CompletedPart[] }> {
    const created = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpck', Key: key, ChecksumAlgorithm: algorithm as SdkAlgorithm, ChecksumType: type }));
    assert.equal(created.ChecksumAlgorithm, algorithm);
    const parts: CompletedPart[] = [];
    for (const [i, body] of PARTS.entries()) {
      const out = await c.send(new UploadPartCommand({
        Bucket: 'mpck', Key: key, UploadId: created.UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: algorithm as SdkAlgorithm,
      }));
      assert.equal(field(out, algorithm), checksumOf(algorithm, body));
      parts.push({ PartNumber: i + 1, ETag: out.ETag, [`Checksum${algorithm}`]: field(out, algorithm) });
    }
    return { id: created.UploadId!, parts };
  }

  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const type: ChecksumType = algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE';
    it(`${algorithm}: parts, ListParts, Complete and the ${type} object checksum on Head and Get`, async () => {
      const key = `mp-${algorithm}`;
      const { id, parts } = await upload(key, algorithm);
      const listed = await c.send(new ListPartsCommand({ Bucket: 'mpck', Key: key, UploadId: id }));
      assert.equal(listed.ChecksumAlgorithm, algorithm);
      assert.equal(listed.ChecksumType, type);
      assert.deepEqual(listed.Parts?.map((p) => field(p, algorithm)), PARTS.map((p) => checksumOf(algorithm, p)));

      const want = type === 'COMPOSITE' ? composite(algorithm, PARTS) : checksumOf(algorithm, ...PARTS);
      const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: 'mpck', Key: key, UploadId: id, MultipartUpload: { Parts: parts } }));
      assert.equal(field(done, algorithm), want);
      assert.equal(done.ChecksumType, type);
      const head = await c.send(new HeadObjectCommand({ Bucket: 'mpck', Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(field(head, algorithm), want);
      assert.equal(head.ChecksumType, type);
      const get = await c.send(new GetObjectCommand({ Bucket: 'mpck', Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(field(get, algorithm), want);
      assert.deepEqual(Buffer.from(await get.Body!.transformToByteArray()), Buffer.concat(PARTS));
      // One part of the object: that part's own checksum.
      const part2 = await c.send(new GetObjectCommand({ Bucket: 'mpck', Key: key, PartNumber: 2, ChecksumMode: 'ENABLED' }));
      assert.equal(field(part2, algorithm), checksumOf(algorithm, PARTS[1]));
      assert.deepEqual(Buffer.from(await part2.Body!.transformToByteArray()), PARTS[1]);
    });
  }

  for (const algorithm of ['CRC32', 'CRC32C'] as const) {
    it(`${algorithm} FULL_OBJECT: the checksum of all the bytes, computed for parts sent without one`, async () => {
      const key = `full-${algorithm}`;
      const created = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpck', Key: key, ChecksumAlgorithm: algorithm, ChecksumType: 'FULL_OBJECT' }));
      assert.equal(created.ChecksumType, 'FULL_OBJECT');
      const parts: CompletedPart[] = [];
      for (const [i, body] of PARTS.entries()) {
        // Raw: the SDK would always add a checksum; S3 computes a FULL_OBJECT upload's when a part has none.
        const res = await raw(s.url, 'PUT', `/mpck/${key}?partNumber=${i + 1}&uploadId=${created.UploadId}`, { body });
        assert.equal(res.status, 200);
        assert.equal(res.headers[`x-amz-checksum-${algorithm.toLowerCase()}`], checksumOf(algorithm, body));
        parts.push({ PartNumber: i + 1, ETag: String(res.headers.etag), [`Checksum${algorithm}`]: checksumOf(algorithm, body) });
      }
      const want = checksumOf(algorithm, ...PARTS);
      const done = await c.send(new CompleteMultipartUploadCommand({
        Bucket: 'mpck', Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: parts }, ChecksumType: 'FULL_OBJECT', [`Checksum${algorithm}`]: want,
      }));
      assert.equal(field(done, algorithm), want);
      assert.equal(done.ChecksumType, 'FULL_OBJECT');
      const get = await c.send(new GetObjectCommand({ Bucket: 'mpck', Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(field(get, algorithm), want);
      assert.deepEqual(Buffer.from(await get.Body!.transformToByteArray()), Buffer.concat(PARTS));
    });
  }

  it('refuses algorithm/type combinations S3 refuses at CreateMultipartUpload', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ 'x-amz-checksum-algorithm': 'SHA1', 'x-amz-checksum-type': 'FULL_OBJECT' }, 'The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.'],
      [{ 'x-amz-checksum-algorithm': 'SHA256', 'x-amz-checksum-type': 'FULL_OBJECT' }, 'The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.'],
      [{ 'x-amz-checksum-algorithm': 'CRC64NVME', 'x-amz-checksum-type': 'COMPOSITE' }, 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.'],
      [{ 'x-amz-checksum-type': 'COMPOSITE' }, 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.'],
      [{ 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-type': 'PARTIAL' }, 'Value for x-amz-checksum-type header is invalid.'],
      [{ 'x-amz-checksum-algorithm': 'MD5' }, 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]'],
    ];
    for (const [headers, message] of cases) {
      const res = await raw(s.url, 'POST', '/mpck/combo?uploads', { headers });
      assert.equal(res.status, 400, message);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidRequest');
      assert.equal(xmlText(res.text, 'Message'), message);
    }
    const ok = await raw(s.url, 'POST', '/mpck/combo?uploads', { headers: { 'x-amz-checksum-algorithm': 'crc32c' } });
    assert.equal(ok.headers['x-amz-checksum-algorithm'], 'CRC32C');
    assert.equal(ok.headers['x-amz-checksum-type'], 'COMPOSITE');
  });

  it('refuses a part without the upload\'s checksum (COMPOSITE), with another algorithm, or not matching its checksum or Content-MD5', async () => {
    const created = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpck', Key: 'strict', ChecksumAlgorithm: 'CRC32' }));
    const none = await raw(s.url, 'PUT', `/mpck/strict?partNumber=1&uploadId=${created.UploadId}`, { body: PARTS[0] });
    assert.equal(none.status, 400);
    assert.equal(xmlText(none.text, 'Code'), 'InvalidRequest');
    assert.equal(xmlText(none.text, 'Message'), 'Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: null');
    const other = await s3Error(c.send(new UploadPartCommand({
      Bucket: 'mpck', Key: 'strict', UploadId: created.UploadId, PartNumber: 1, Body: PARTS[0], ChecksumAlgorithm: 'SHA1',
    })));
    assert.equal(other.name, 'InvalidRequest');
    assert.equal(other.message, 'Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: sha1');
    const wrong = await raw(s.url, 'PUT', `/mpck/strict?partNumber=1&uploadId=${created.UploadId}`,
      { headers: { 'x-amz-checksum-crc32': checksumOf('CRC32', PARTS[1]) }, body: PARTS[0] });
    assert.equal(xmlText(wrong.text, 'Code'), 'BadDigest');
    const badMd5 = await raw(s.url, 'PUT', `/mpck/strict?partNumber=1&uploadId=${created.UploadId}`, {
      headers: { 'x-amz-checksum-crc32': checksumOf('CRC32', PARTS[0]), 'content-md5': createHash('md5').update('x').digest('base64') }, body: PARTS[0],
    });
    assert.equal(xmlText(badMd5.text, 'Code'), 'BadDigest');
    assert.equal(xmlText(badMd5.text, 'Message'), 'The Content-MD5 you specified did not match what we received.');
    const listed = await c.send(new ListPartsCommand({ Bucket: 'mpck', Key: 'strict', UploadId: created.UploadId }));
    assert.equal(listed.Parts, undefined);
  });

  it('checks the part checksums listed at CompleteMultipartUpload', async () => {
    const { id, parts } = await upload('listed', 'CRC32C');
    const complete = (list: CompletedPart[]) => c.send(new CompleteMultipartUploadCommand({ Bucket: 'mpck', Key: 'listed', UploadId: id, MultipartUpload: { Parts: list } }));

    const missing = await s3Error(complete([{ PartNumber: 1, ETag: parts[0].ETag }, ...parts.slice(1)]));
    assert.equal(missing.name, 'InvalidRequest');
    assert.equal(missing.message, 'The upload was created using a crc32c checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.');
    const wrongValue = await s3Error(complete([parts[0], { ...parts[1], ChecksumCRC32C: checksumOf('CRC32C', PARTS[0]) }, parts[2]]));
    assert.equal(wrongValue.name, 'InvalidPart');
    const otherAlgorithm = await s3Error(complete([{ PartNumber: 1, ETag: parts[0].ETag, ChecksumSHA1: checksumOf('SHA1', PARTS[0]) }, ...parts.slice(1)]));
    assert.equal(otherAlgorithm.name, 'BadDigest');
    assert.equal(otherAlgorithm.message, 'The sha1 you specified for part 1 did not match what we received.');
    const wrongMode = await s3Error(c.send(new CompleteMultipartUploadCommand({
      Bucket: 'mpck', Key: 'listed', UploadId: id, MultipartUpload: { Parts: parts }, ChecksumType: 'FULL_OBJECT',
    })));
    assert.equal(wrongMode.message, 'The upload was created using the COMPOSITE checksum mode. The complete request must use the same checksum mode.');
    const wrongTotal = await s3Error(c.send(new CompleteMultipartUploadCommand({
      Bucket: 'mpck', Key: 'listed', UploadId: id, MultipartUpload: { Parts: parts }, ChecksumCRC32C: `${checksumOf('CRC32C', PARTS[0])}-3`,
    })));
    assert.equal(wrongTotal.name, 'BadDigest');
    assert.equal(wrongTotal.message, 'The CRC32C you specified did not match the calculated checksum.');
    // Nothing was written by the refusals, and the upload is still there to complete.
    assert.equal((await raw(s.url, 'HEAD', '/mpck/listed')).status, 404);
    const done = await c.send(new CompleteMultipartUploadCommand({
      Bucket: 'mpck', Key: 'listed', UploadId: id, MultipartUpload: { Parts: parts }, ChecksumCRC32C: composite('CRC32C', PARTS),
    }));
    assert.equal(done.ChecksumCRC32C, composite('CRC32C', PARTS));
  });

  it('refuses a wrong full-object checksum at Complete, storing nothing and keeping the upload', async () => {
    const { id, parts } = await upload('fullwrong', 'CRC64NVME');
    const wrong = await s3Error(c.send(new CompleteMultipartUploadCommand({
      Bucket: 'mpck', Key: 'fullwrong', UploadId: id, MultipartUpload: { Parts: parts }, ChecksumCRC64NVME: checksumOf('CRC64NVME', PARTS[0]),
    })));
    assert.equal(wrong.name, 'BadDigest');
    assert.equal(wrong.message, 'The CRC64NVME you specified did not match the calculated checksum.');
    const otherAlgorithm = await s3Error(c.send(new CompleteMultipartUploadCommand({
      Bucket: 'mpck', Key: 'fullwrong', UploadId: id, MultipartUpload: { Parts: parts }, ChecksumCRC32: checksumOf('CRC32', PARTS[0]),
    })));
    assert.equal(otherAlgorithm.message, 'Checksum Type mismatch occurred, expected checksum Type: crc64nvme, actual checksum Type: crc32');
    assert.equal((await raw(s.url, 'HEAD', '/mpck/fullwrong')).status, 404);
    const listed = await c.send(new ListPartsCommand({ Bucket: 'mpck', Key: 'fullwrong', UploadId: id }));
    assert.equal(listed.Parts?.length, 3);
  });

  it('accepts part checksums an upload without an algorithm got by default (as lib-storage lists them)', async () => {
    const created = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpck', Key: 'plain' }));
    assert.equal(created.ChecksumAlgorithm, undefined);
    const parts: CompletedPart[] = [];
    for (const [i, body] of PARTS.entries()) {
      // The SDK adds a CRC32 to every part by default; S3 verifies it and echoes it.
      const out = await c.send(new UploadPartCommand({ Bucket: 'mpck', Key: 'plain', UploadId: created.UploadId, PartNumber: i + 1, Body: body }));
      assert.equal(out.ChecksumCRC32, checksumOf('CRC32', body));
      parts.push({ PartNumber: i + 1, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
    }
    const listed = await c.send(new ListPartsCommand({ Bucket: 'mpck', Key: 'plain', UploadId: created.UploadId }));
    assert.equal(listed.ChecksumAlgorithm, undefined);
    assert.equal(listed.Parts?.[0].ChecksumCRC32, undefined);
    const bad = await s3Error(c.send(new CompleteMultipartUploadCommand({
      Bucket: 'mpck', Key: 'plain', UploadId: created.UploadId, MultipartUpload: { Parts: [{ ...parts[0], ChecksumCRC32: checksumOf('CRC32', PARTS[1]) }, ...parts.slice(1)] },
    })));
    assert.equal(bad.name, 'InvalidPart');
    const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: 'mpck', Key: 'plain', UploadId: created.UploadId, MultipartUpload: { Parts: parts } }));
    assert.equal(done.ChecksumCRC32, undefined);
    assert.equal(done.ChecksumType, undefined);
    const get = await c.send(new GetObjectCommand({ Bucket: 'mpck', Key: 'plain', ChecksumMode: 'ENABLED' }));
    assert.deepEqual(Buffer.from(await get.Body!.transformToByteArray()), Buffer.concat(PARTS));
  });
});
