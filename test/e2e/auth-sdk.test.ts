// sigv4 mode against real signing clients: @aws-sdk/client-s3 with and
// without checksums (a Buffer body is signed with its SHA-256, a stream goes
// as STREAMING-UNSIGNED-PAYLOAD-TRAILER), virtual-hosted and under the API
// prefix, multipart and copies, and its presigner (GET and PUT URLs, expiry).
// Each test records the x-amz-content-sha256 the SDK actually sent, so it
// fails if the variant it is about stops being exercised.
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ROOT, startSigv4Server, sha256Hex } from './auth-helpers.ts';
import { raw, s3Error, xmlText, type TestServer } from './harness.ts';

/** Records the x-amz-content-sha256 of every request the client sends, as it went on the wire. */
function recordPayloadModes(client: S3Client): string[] {
  const seen: string[] = [];
  client.middlewareStack.add((next) => async (args) => {
    const request = args.request as { headers?: Record<string, string> };
    seen.push(request.headers?.['x-amz-content-sha256'] ?? '(none)');
    return next(args);
  }, { step: 'deserialize' });
  return seen;
}

describe('sigv4 mode with @aws-sdk/client-s3', () => {
  let s: TestServer;
  let root: S3Client;
  before(async () => {
    s = await startSigv4Server(['--base-domain', 's3.test']);
    root = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey);
    await root.send(new CreateBucketCommand({ Bucket: 'signed' }));
  });
  after(async () => { await s.stop(); });

  it('a Buffer body is signed with its SHA-256 (with the default checksums)', async () => {
    const modes = recordPayloadModes(root);
    const body = Buffer.from('signed with sha256');
    const put = await root.send(new PutObjectCommand({ Bucket: 'signed', Key: 'buffer.txt', Body: body }));
    assert.ok(put.ChecksumCRC32, 'the SDK sent (and the server kept) a CRC32');
    assert.equal(modes[0], sha256Hex(body));
    const got = await root.send(new GetObjectCommand({ Bucket: 'signed', Key: 'buffer.txt' }));
    assert.equal(await got.Body?.transformToString(), 'signed with sha256');
  });

  it('without checksums (requestChecksumCalculation WHEN_REQUIRED) the body is still signed and stored', async () => {
    const plain = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const modes = recordPayloadModes(plain);
    const put = await plain.send(new PutObjectCommand({ Bucket: 'signed', Key: 'plain.txt', Body: Buffer.from('no checksum') }));
    assert.equal(put.ChecksumCRC32, undefined);
    assert.equal(modes[0], sha256Hex('no checksum'));
    const head = await plain.send(new HeadObjectCommand({ Bucket: 'signed', Key: 'plain.txt' }));
    assert.equal(head.ContentLength, 11);
  });

  it('a stream goes as STREAMING-UNSIGNED-PAYLOAD-TRAILER with its checksum trailer verified', async () => {
    const modes = recordPayloadModes(root);
    const data = Buffer.alloc(200_000, 'z');
    await root.send(new PutObjectCommand({ Bucket: 'signed', Key: 'stream.bin', Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length }));
    assert.equal(modes[0], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    const got = await root.send(new GetObjectCommand({ Bucket: 'signed', Key: 'stream.bin' }));
    assert.deepEqual(Buffer.from(await got.Body?.transformToByteArray() ?? []), data);
  });

  it('multipart uploads, copies and DeleteObjects verify', async () => {
    const part = Buffer.alloc(5 * 1024 * 1024, 'p');
    const { UploadId } = await root.send(new CreateMultipartUploadCommand({ Bucket: 'signed', Key: 'multi.bin' }));
    const one = await root.send(new UploadPartCommand({ Bucket: 'signed', Key: 'multi.bin', UploadId, PartNumber: 1, Body: part }));
    const two = await root.send(new UploadPartCommand({ Bucket: 'signed', Key: 'multi.bin', UploadId, PartNumber: 2, Body: Buffer.from('tail') }));
    await root.send(new CompleteMultipartUploadCommand({
      Bucket: 'signed', Key: 'multi.bin', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag, ChecksumCRC32: one.ChecksumCRC32 }, { PartNumber: 2, ETag: two.ETag, ChecksumCRC32: two.ChecksumCRC32 }] },
    }));
    assert.equal((await root.send(new HeadObjectCommand({ Bucket: 'signed', Key: 'multi.bin' }))).ContentLength, part.length + 4);
    await root.send(new CopyObjectCommand({ Bucket: 'signed', Key: 'copy of buffer.txt', CopySource: 'signed/buffer.txt' }));
    const deleted = await root.send(new DeleteObjectsCommand({ Bucket: 'signed', Delete: { Objects: [{ Key: 'multi.bin' }, { Key: 'copy of buffer.txt' }] } }));
    assert.deepEqual(deleted.Deleted?.map((d) => d.Key).sort(), ['copy of buffer.txt', 'multi.bin']);
    assert.equal(deleted.Errors, undefined);
  });

  it('requests signed under the API prefix verify over the full path', async () => {
    const prefixed = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey, { endpoint: `${s.url}/api/v1/s3` });
    await prefixed.send(new PutObjectCommand({ Bucket: 'signed', Key: 'a b/ü+%.txt', Body: Buffer.from('prefixed') }));
    const list = await prefixed.send(new ListObjectsV2Command({ Bucket: 'signed', Prefix: 'a b/' }));
    assert.deepEqual(list.Contents?.map((o) => o.Key), ['a b/ü+%.txt']);
  });

  it('virtual-hosted requests verify (the bucket comes from the Host header)', async () => {
    const toLoopback: LookupFunction = (_hostname, options, callback) => {
      if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    };
    const port = new URL(s.url).port;
    const vh = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey, {
      endpoint: `http://s3.test:${port}`, forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup: toLoopback }) }),
    });
    await vh.send(new PutObjectCommand({ Bucket: 'signed', Key: 'vh/key.txt', Body: Buffer.from('virtual') }));
    const got = await vh.send(new GetObjectCommand({ Bucket: 'signed', Key: 'vh/key.txt' }));
    assert.equal(await got.Body?.transformToString(), 'virtual');
    vh.destroy();
  });

  it('a wrong secret is SignatureDoesNotMatch and an unknown key InvalidAccessKeyId', async () => {
    const wrong = s.signedClient(ROOT.accessKeyId, 'not-the-secret-at-all');
    const err = await s3Error(wrong.send(new GetObjectCommand({ Bucket: 'signed', Key: 'buffer.txt' })));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.$metadata.httpStatusCode, 403);
    const unknown = s.signedClient('NOSUCHKEY00000000000', 'whatever-secret');
    const err2 = await s3Error(unknown.send(new GetObjectCommand({ Bucket: 'signed', Key: 'buffer.txt' })));
    assert.equal(err2.name, 'InvalidAccessKeyId');
    assert.equal(err2.$metadata.httpStatusCode, 403);
  });

  describe('presigned URLs', () => {
    it('GET and PUT URLs work without any header; a changed URL does not', async () => {
      const putUrl = await getSignedUrl(root, new PutObjectCommand({ Bucket: 'signed', Key: 'presigned.txt' }), { expiresIn: 300 });
      const put = await fetch(putUrl, { method: 'PUT', body: 'via presigned put' });
      assert.equal(put.status, 200, await put.text());
      const getUrl = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'signed', Key: 'presigned.txt' }), { expiresIn: 300 });
      assert.match(getUrl, /X-Amz-Algorithm=AWS4-HMAC-SHA256/);
      const got = await fetch(getUrl);
      assert.equal(got.status, 200);
      assert.equal(await got.text(), 'via presigned put');
      const other = await fetch(getUrl.replace('presigned.txt', 'buffer.txt'));
      assert.equal(other.status, 403);
      assert.equal(xmlText(await other.text(), 'Code'), 'SignatureDoesNotMatch');
    });

    it('an expired URL is AccessDenied "Request has expired"; X-Amz-Expires over 7 days is refused', async () => {
      const signingDate = new Date(Date.now() - 2 * 3600_000);
      const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: 'signed', Key: 'buffer.txt' }), { expiresIn: 3600, signingDate });
      const res = await fetch(url);
      const text = await res.text();
      assert.equal(res.status, 403);
      assert.equal(xmlText(text, 'Code'), 'AccessDenied');
      assert.equal(xmlText(text, 'Message'), 'Request has expired');
      const long = new URL(await getSignedUrl(root, new GetObjectCommand({ Bucket: 'signed', Key: 'buffer.txt' }), { expiresIn: 300 }));
      long.searchParams.set('X-Amz-Expires', String(7 * 24 * 3600 + 1));
      const tooLong = await raw(s.url, 'GET', long.pathname + long.search);
      assert.equal(tooLong.status, 400);
      assert.equal(xmlText(tooLong.text, 'Code'), 'AuthorizationQueryParametersError');
    });
  });
});
