// Flexible checksums and Content-MD5 on single-request writes: the five
// algorithms through @aws-sdk/client-s3 (header and aws-chunked trailer),
// ChecksumMode on GetObject/HeadObject, and, over raw HTTP, every refusal:
// a wrong value is BadDigest and stores nothing, a malformed one InvalidRequest.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
import {
  CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client,
  type ChecksumAlgorithm as SdkAlgorithm,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CHECKSUM_ALGORITHMS } from '../../src/util/checksums.ts';
import { checksumOf, field } from './checksum-helpers.ts';
import { raw, startTestServer, xmlText, type TestServer } from './harness.ts';

function chunked(data: Buffer, trailer: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from(`\r\n0\r\n${trailer}:${value}\r\n\r\n`)]);
}

describe('checksums on PutObject, GetObject and HeadObject', () => {
  let s: TestServer;
  let c: S3Client;
  const data = Buffer.from('The quick brown fox jumps over the lazy dog\n'.repeat(100));
  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: 'cksum' }));
  });
  after(async () => { await s.stop(); });

  async function stagingEmpty(): Promise<void> {
    assert.deepEqual(await readdir(join(s.dataDir, '.strata', 'staging')), []);
  }

  for (const algorithm of CHECKSUM_ALGORITHMS) {
    it(`stores and returns a ${algorithm} checksum sent in a header (Buffer body)`, async () => {
      const want = checksumOf(algorithm, data);
      const put = await c.send(new PutObjectCommand({ Bucket: 'cksum', Key: `hdr-${algorithm}`, Body: data, ChecksumAlgorithm: algorithm as SdkAlgorithm }));
      assert.equal(field(put, algorithm), want);
      assert.equal(put.ChecksumType, 'FULL_OBJECT');
      const head = await c.send(new HeadObjectCommand({ Bucket: 'cksum', Key: `hdr-${algorithm}`, ChecksumMode: 'ENABLED' }));
      assert.equal(field(head, algorithm), want);
      assert.equal(head.ChecksumType, 'FULL_OBJECT');
      // The SDK also checks the body against the returned checksum (CRC and, here, SHA alike).
      const get = await c.send(new GetObjectCommand({ Bucket: 'cksum', Key: `hdr-${algorithm}`, ChecksumMode: 'ENABLED' }));
      assert.equal(field(get, algorithm), want);
      assert.deepEqual(Buffer.from(await get.Body!.transformToByteArray()), data);
    });

    it(`stores a ${algorithm} checksum sent as an aws-chunked trailer (stream body)`, async () => {
      const put = await c.send(new PutObjectCommand({
        Bucket: 'cksum', Key: `trl-${algorithm}`, Body: Readable.from([data]), ContentLength: data.length, ChecksumAlgorithm: algorithm as SdkAlgorithm,
      }));
      assert.equal(field(put, algorithm), checksumOf(algorithm, data));
      const head = await c.send(new HeadObjectCommand({ Bucket: 'cksum', Key: `trl-${algorithm}`, ChecksumMode: 'ENABLED' }));
      assert.equal(field(head, algorithm), checksumOf(algorithm, data));
    });
  }

  it('returns checksums only with x-amz-checksum-mode: ENABLED, and never for a range', async () => {
    await raw(s.url, 'PUT', '/cksum/modes', { headers: { 'x-amz-checksum-sha1': checksumOf('SHA1', data) }, body: data });
    const off = await raw(s.url, 'HEAD', '/cksum/modes');
    assert.equal(off.headers['x-amz-checksum-sha1'], undefined);
    const on = await raw(s.url, 'GET', '/cksum/modes', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
    assert.equal(on.headers['x-amz-checksum-sha1'], checksumOf('SHA1', data));
    assert.equal(on.headers['x-amz-checksum-type'], 'FULL_OBJECT');
    const ranged = await raw(s.url, 'GET', '/cksum/modes', { headers: { 'x-amz-checksum-mode': 'ENABLED', range: 'bytes=0-9' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['x-amz-checksum-sha1'], undefined);
    assert.equal(ranged.headers['x-amz-checksum-type'], undefined);
    // The SDK on a range: no checksum comes back, so none is checked against the partial body.
    const sdkRanged = await c.send(new GetObjectCommand({ Bucket: 'cksum', Key: 'modes', Range: 'bytes=0-9', ChecksumMode: 'ENABLED' }));
    assert.equal(sdkRanged.ChecksumSHA1, undefined);
    assert.equal(await sdkRanged.Body!.transformToString(), data.subarray(0, 10).toString());
  });

  it('echoes the validated checksum on PutObject and records nothing when none was sent', async () => {
    const put = await raw(s.url, 'PUT', '/cksum/echo', { headers: { 'x-amz-checksum-crc32c': checksumOf('CRC32C', data) }, body: data });
    assert.equal(put.status, 200);
    assert.equal(put.headers['x-amz-checksum-crc32c'], checksumOf('CRC32C', data));
    assert.equal(put.headers['x-amz-checksum-type'], 'FULL_OBJECT');
    // S3's automatic CRC64NVME is off (see DEFAULT_CHECKSUM_ALGORITHM): a write without one stores none.
    const plain = await raw(s.url, 'PUT', '/cksum/plain', { body: data });
    assert.equal(plain.status, 200);
    const head = await raw(s.url, 'HEAD', '/cksum/plain', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
    assert.equal(Object.keys(head.headers).filter((h) => h.startsWith('x-amz-checksum')).length, 0);
    const sdk = new S3Client({
      endpoint: s.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: 'alice', secretAccessKey: 'x' }, requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    try {
      await sdk.send(new PutObjectCommand({ Bucket: 'cksum', Key: 'sdk-plain', Body: data }));
      const h = await sdk.send(new HeadObjectCommand({ Bucket: 'cksum', Key: 'sdk-plain', ChecksumMode: 'ENABLED' }));
      assert.equal(h.ChecksumCRC64NVME, undefined);
      assert.equal(h.ChecksumType, undefined);
    } finally {
      sdk.destroy();
    }
  });

  it('answers BadDigest for a wrong checksum header and stores nothing', async () => {
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const wrong = checksumOf(algorithm, Buffer.from('other bytes'));
      const res = await raw(s.url, 'PUT', `/cksum/bad-${algorithm}`, { headers: { [`x-amz-checksum-${algorithm.toLowerCase()}`]: wrong }, body: data });
      assert.equal(res.status, 400, algorithm);
      assert.equal(xmlText(res.text, 'Code'), 'BadDigest');
      assert.equal(xmlText(res.text, 'Message'), `The ${algorithm} you specified did not match the calculated checksum.`);
      assert.equal((await raw(s.url, 'HEAD', `/cksum/bad-${algorithm}`)).status, 404);
    }
    await stagingEmpty();
  });

  it('keeps the previous object when a replacement fails its checksum', async () => {
    await raw(s.url, 'PUT', '/cksum/keep', { body: 'version one' });
    const res = await raw(s.url, 'PUT', '/cksum/keep', { headers: { 'x-amz-checksum-crc32': checksumOf('CRC32', Buffer.from('nope')) }, body: 'version two' });
    assert.equal(xmlText(res.text, 'Code'), 'BadDigest');
    assert.equal((await raw(s.url, 'GET', '/cksum/keep')).text, 'version one');
    await stagingEmpty();
  });

  it('answers BadDigest for a wrong trailer checksum and stores nothing', async () => {
    const headers = {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': data.length, 'x-amz-trailer': 'x-amz-checksum-crc64nvme', 'x-amz-sdk-checksum-algorithm': 'CRC64NVME',
    };
    const bad = await raw(s.url, 'PUT', '/cksum/trailer', { headers, body: chunked(data, 'x-amz-checksum-crc64nvme', checksumOf('CRC64NVME', Buffer.from('x'))) });
    assert.equal(bad.status, 400);
    assert.equal(xmlText(bad.text, 'Message'), 'The CRC64NVME you specified did not match the calculated checksum.');
    assert.equal((await raw(s.url, 'HEAD', '/cksum/trailer')).status, 404);
    await stagingEmpty();
    const good = await raw(s.url, 'PUT', '/cksum/trailer', { headers, body: chunked(data, 'x-amz-checksum-crc64nvme', checksumOf('CRC64NVME', data)) });
    assert.equal(good.status, 200);
    assert.equal(good.headers['x-amz-checksum-crc64nvme'], checksumOf('CRC64NVME', data));
  });

  it('refuses malformed, unknown, repeated or contradictory checksum headers with InvalidRequest', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ 'x-amz-checksum-crc32': 'not base64!' }, 'Value for x-amz-checksum-crc32 header is invalid.'],
      [{ 'x-amz-checksum-crc32': checksumOf('SHA1', data) }, 'Value for x-amz-checksum-crc32 header is invalid.'],
      [{ 'x-amz-checksum-sha256': 'AAAA' }, 'Value for x-amz-checksum-sha256 header is invalid.'],
      [{ 'x-amz-checksum-crc32': checksumOf('CRC32', data), 'x-amz-checksum-sha1': checksumOf('SHA1', data) },
        'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.'],
      [{ 'x-amz-checksum-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' }, 'The algorithm type you specified in x-amz-checksum- header is invalid.'],
      [{ 'x-amz-sdk-checksum-algorithm': 'CRC32' },
        'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.'],
      [{ 'x-amz-sdk-checksum-algorithm': 'SHA1', 'x-amz-checksum-crc32': checksumOf('CRC32', data) }, 'Value for x-amz-sdk-checksum-algorithm header is invalid.'],
      [{ 'x-amz-sdk-checksum-algorithm': 'MD5', 'x-amz-checksum-crc32': checksumOf('CRC32', data) },
        'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]'],
    ];
    for (const [headers, message] of cases) {
      const res = await raw(s.url, 'PUT', '/cksum/invalid', { headers, body: data });
      assert.equal(res.status, 400, message);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidRequest');
      assert.equal(xmlText(res.text, 'Message'), message);
    }
    const both = await raw(s.url, 'PUT', '/cksum/invalid', {
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': data.length,
        'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-checksum-crc32': checksumOf('CRC32', data),
      },
      body: chunked(data, 'x-amz-checksum-crc32', checksumOf('CRC32', data)),
    });
    assert.equal(xmlText(both.text, 'Message'), 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    assert.equal((await raw(s.url, 'HEAD', '/cksum/invalid')).status, 404);
  });

  it('checks Content-MD5: accepted when right, BadDigest when wrong, InvalidDigest when malformed', async () => {
    const md5 = createHash('md5').update(data).digest('base64');
    const ok = await raw(s.url, 'PUT', '/cksum/md5', { headers: { 'content-md5': md5 }, body: data });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.etag, `"${createHash('md5').update(data).digest('hex')}"`);
    const sdk = await c.send(new PutObjectCommand({ Bucket: 'cksum', Key: 'md5-sdk', Body: data, ContentMD5: md5 }));
    assert.ok(sdk.ETag);

    const wrong = await raw(s.url, 'PUT', '/cksum/md5-wrong', { headers: { 'content-md5': createHash('md5').update('x').digest('base64') }, body: data });
    assert.equal(wrong.status, 400);
    assert.equal(xmlText(wrong.text, 'Code'), 'BadDigest');
    assert.equal(xmlText(wrong.text, 'Message'), 'The Content-MD5 you specified did not match what we received.');
    assert.equal((await raw(s.url, 'HEAD', '/cksum/md5-wrong')).status, 404);

    for (const bad of ['abc', createHash('sha1').update(data).digest('base64'), createHash('md5').update(data).digest('hex')]) {
      const res = await raw(s.url, 'PUT', '/cksum/md5-bad', { headers: { 'content-md5': bad }, body: data });
      assert.equal(res.status, 400, bad);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidDigest');
      assert.equal(xmlText(res.text, 'Message'), 'The Content-MD5 you specified is not valid.');
    }
    assert.equal((await raw(s.url, 'HEAD', '/cksum/md5-bad')).status, 404);
    await stagingEmpty();
  });

  it('verifies a checksum on an empty directory-marker object', async () => {
    const empty = Buffer.alloc(0);
    const ok = await raw(s.url, 'PUT', '/cksum/dir/', { headers: { 'x-amz-checksum-crc32': checksumOf('CRC32', empty) } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-amz-checksum-crc32'], checksumOf('CRC32', empty));
    const bad = await raw(s.url, 'PUT', '/cksum/dir2/', { headers: { 'x-amz-checksum-crc32': checksumOf('CRC32', data) } });
    assert.equal(xmlText(bad.text, 'Code'), 'BadDigest');
  });
});
