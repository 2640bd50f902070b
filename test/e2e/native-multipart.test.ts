// Native multipart on S3 mounts whose remote is a second, real Strata (issue 4:
// "Multipart uploads under an S3 mount become native multipart uploads on the
// remote (no second full copy)"): the remote sees the upload while it is in
// progress, parts are never staged on the gateway, the completed object on the
// remote is a multipart object (ETag -N), checksums S3 computes at complete are
// combined from the parts, aborts reach the remote, and a crash between the
// remote's complete and our commit is settled at start.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand, UploadPartCopyCommand, S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NULL_VERSION } from '../../src/meta/metadata-store.ts';
import { newDataId, recoverIntents } from '../../src/namespace/commit.ts';
import { createChecksum, type ChecksumAlgorithm } from '../../src/util/checksums.ts';
import { md5, raw, startTestServer, xmlText, type TestServer } from './harness.ts';
import { eventually, mountRemote, startRemote, type Remote } from './remote-peer.ts';

const MiB = 1024 * 1024;

function crc(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksum(algorithm);
  c.update(data);
  return c.digest();
}

function multipartETag(parts: Buffer[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(createHash('md5').update(p).digest());
  return `"${h.digest('hex')}-${parts.length}"`;
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).map(String);
}

describe('native multipart uploads on S3 mounts', () => {
  let remote: Remote;
  let gateway: TestServer;
  let c: S3Client;
  before(async () => {
    remote = await startRemote();
    await remote.client.send(new CreateBucketCommand({ Bucket: 'remote-bucket' }));
    gateway = await startTestServer(['--cache-disk', '0']);
    c = gateway.client('alice');
    await mountRemote(gateway.url, '/native', remote, 'remote-bucket', 'np');
    await mountRemote(gateway.url, '/later', remote, 'remote-bucket', 'later', { 'write-type': 'ASYNC_THROUGH' });
  });
  after(async () => {
    await gateway.stop();
    await remote.destroy();
  });

  const remoteUploads = async (): Promise<string[]> =>
    ((await remote.client.send(new ListMultipartUploadsCommand({ Bucket: 'remote-bucket' }))).Uploads ?? []).map((u) => u.Key!);
  const gatewayPartFiles = (): Promise<string[]> => filesUnder(join(gateway.dataDir, '.strata', 'uploads'));
  const remoteBytes = async (key: string): Promise<Buffer> =>
    Buffer.from(await (await remote.client.send(new GetObjectCommand({ Bucket: 'remote-bucket', Key: key }))).Body!.transformToByteArray());

  it('streams the parts to a multipart upload on the remote and completes it there: a -N ETag, no local part files, no copy', async () => {
    const create = await c.send(new CreateMultipartUploadCommand({ Bucket: 'native', Key: 'dir/big.bin', ContentType: 'application/x-test' }));
    const uploadId = create.UploadId!;
    assert.deepEqual(await remoteUploads(), ['np/dir/big.bin'], 'the remote has an upload in progress at the mapped key');
    const parts = [randomBytes(5 * MiB), randomBytes(MiB + 3)];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const out = await c.send(new UploadPartCommand({ Bucket: 'native', Key: 'dir/big.bin', UploadId: uploadId, PartNumber: i + 1, Body: body }));
      assert.equal(out.ETag, `"${md5(body)}"`, 'our part ETag is the MD5 of the part');
      etags.push(out.ETag!);
    }
    assert.deepEqual(await gatewayPartFiles(), [], 'no part is staged on the gateway');
    const listed = await c.send(new ListPartsCommand({ Bucket: 'native', Key: 'dir/big.bin', UploadId: uploadId }));
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, etags[0], 5 * MiB], [2, etags[1], MiB + 3]]);
    const remoteUpload = (await remote.client.send(new ListMultipartUploadsCommand({ Bucket: 'remote-bucket' }))).Uploads![0];
    const remoteParts = await remote.client.send(new ListPartsCommand({ Bucket: 'remote-bucket', Key: 'np/dir/big.bin', UploadId: remoteUpload.UploadId }));
    assert.deepEqual(remoteParts.Parts?.map((p) => p.Size), [5 * MiB, MiB + 3], 'the parts are on the remote');

    const done = await c.send(new CompleteMultipartUploadCommand({
      Bucket: 'native', Key: 'dir/big.bin', UploadId: uploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
    }));
    assert.equal(done.ETag, multipartETag(parts));
    assert.deepEqual(await remoteUploads(), []);
    const head = await remote.client.send(new HeadObjectCommand({ Bucket: 'remote-bucket', Key: 'np/dir/big.bin' }));
    assert.match(head.ETag!, /^"[0-9a-f]{32}-2"$/, 'the remote object is a multipart object');
    assert.ok((await remoteBytes('np/dir/big.bin')).equals(Buffer.concat(parts)));
    const got = await c.send(new GetObjectCommand({ Bucket: 'native', Key: 'dir/big.bin' }));
    assert.equal(got.ETag, multipartETag(parts));
    assert.equal(got.ContentType, 'application/x-test');
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts)));
    assert.deepEqual(await gatewayPartFiles(), []);
    assert.deepEqual(await filesUnder(join(gateway.dataDir, '.strata', 'staging')), [], 'nothing was concatenated on the gateway');
  });

  it('gives a FULL_OBJECT CRC64NVME upload its object checksum, combined from part checksums computed on the way to the remote', async () => {
    const init = await raw(gateway.url, 'POST', '/native/crc.bin?uploads', {
      headers: { 'x-amz-checksum-algorithm': 'CRC64NVME', 'x-amz-checksum-type': 'FULL_OBJECT' },
    });
    assert.equal(init.status, 200, init.text);
    const uploadId = xmlText(init.text, 'UploadId')!;
    const parts = [randomBytes(MiB), randomBytes(70_001)];
    for (const [i, body] of parts.entries()) {
      assert.equal((await raw(gateway.url, 'PUT', `/native/crc.bin?partNumber=${i + 1}&uploadId=${uploadId}`, { body })).status, 200);
    }
    const complete = await raw(gateway.url, 'POST', `/native/crc.bin?uploadId=${uploadId}`);
    assert.equal(complete.status, 200, complete.text);
    const whole = Buffer.concat(parts);
    const got = await raw(gateway.url, 'GET', '/native/crc.bin', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
    assert.equal(got.headers['x-amz-checksum-crc64nvme'], crc('CRC64NVME', whole));
    assert.equal(got.headers['x-amz-checksum-type'], 'FULL_OBJECT');
    assert.ok(got.body.equals(whole));
  });

  it('combines a declared FULL_OBJECT CRC32C and checks it against the client\'s', async () => {
    const key = 'crc32c.bin';
    const create = await c.send(new CreateMultipartUploadCommand({ Bucket: 'native', Key: key, ChecksumAlgorithm: 'CRC32C', ChecksumType: 'FULL_OBJECT' }));
    const parts = [randomBytes(MiB), randomBytes(12_345)];
    const sent = [];
    for (const [i, body] of parts.entries()) {
      const out = await c.send(new UploadPartCommand({ Bucket: 'native', Key: key, UploadId: create.UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'CRC32C' }));
      assert.equal(out.ChecksumCRC32C, crc('CRC32C', body));
      sent.push({ PartNumber: i + 1, ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C });
    }
    const whole = Buffer.concat(parts);
    const done = await c.send(new CompleteMultipartUploadCommand({
      Bucket: 'native', Key: key, UploadId: create.UploadId, MultipartUpload: { Parts: sent }, ChecksumCRC32C: crc('CRC32C', whole), ChecksumType: 'FULL_OBJECT',
    }));
    assert.equal(done.ChecksumCRC32C, crc('CRC32C', whole));
    assert.ok((await remoteBytes(`np/${key}`)).equals(whole));

    const wrong = await c.send(new CreateMultipartUploadCommand({ Bucket: 'native', Key: 'wrong.bin', ChecksumAlgorithm: 'CRC32C', ChecksumType: 'FULL_OBJECT' }));
    const part = await c.send(new UploadPartCommand({ Bucket: 'native', Key: 'wrong.bin', UploadId: wrong.UploadId, PartNumber: 1, Body: parts[0], ChecksumAlgorithm: 'CRC32C' }));
    await assert.rejects(c.send(new CompleteMultipartUploadCommand({
      Bucket: 'native', Key: 'wrong.bin', UploadId: wrong.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag, ChecksumCRC32C: part.ChecksumCRC32C }] },
      ChecksumCRC32C: crc('CRC32C', parts[1]), ChecksumType: 'FULL_OBJECT',
    })), { name: 'BadDigest' });
    await assert.rejects(remote.client.send(new HeadObjectCommand({ Bucket: 'remote-bucket', Key: 'np/wrong.bin' })), { name: 'NotFound' });
    await c.send(new AbortMultipartUploadCommand({ Bucket: 'native', Key: 'wrong.bin', UploadId: wrong.UploadId }));
  });

  it('copies a part (UploadPartCopy) straight into the remote upload', async () => {
    const source = randomBytes(300_000);
    await c.send(new CreateBucketCommand({ Bucket: 'local-src' }));
    await c.send(new PutObjectCommand({ Bucket: 'local-src', Key: 'src.bin', Body: source }));
    const create = await c.send(new CreateMultipartUploadCommand({ Bucket: 'native', Key: 'copied.bin' }));
    const copied = await c.send(new UploadPartCopyCommand({
      Bucket: 'native', Key: 'copied.bin', UploadId: create.UploadId, PartNumber: 1, CopySource: 'local-src/src.bin', CopySourceRange: 'bytes=1000-200999',
    }));
    assert.equal(copied.CopyPartResult?.ETag, `"${md5(source.subarray(1000, 201_000))}"`);
    await c.send(new CompleteMultipartUploadCommand({
      Bucket: 'native', Key: 'copied.bin', UploadId: create.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: copied.CopyPartResult?.ETag }] },
    }));
    assert.ok((await remoteBytes('np/copied.bin')).equals(source.subarray(1000, 201_000)));
    assert.deepEqual(await gatewayPartFiles(), []);
  });

  it('aborts the remote upload with ours', async () => {
    const create = await c.send(new CreateMultipartUploadCommand({ Bucket: 'native', Key: 'gone.bin' }));
    await c.send(new UploadPartCommand({ Bucket: 'native', Key: 'gone.bin', UploadId: create.UploadId, PartNumber: 1, Body: randomBytes(1000) }));
    assert.deepEqual(await remoteUploads(), ['np/gone.bin']);
    await c.send(new AbortMultipartUploadCommand({ Bucket: 'native', Key: 'gone.bin', UploadId: create.UploadId }));
    assert.deepEqual(await remoteUploads(), []);
    await assert.rejects(c.send(new ListPartsCommand({ Bucket: 'native', Key: 'gone.bin', UploadId: create.UploadId })), { name: 'NoSuchUpload' });
  });

  it('answers 503 for a part while the remote is down, and the upload carries on once it is back', async () => {
    const create = await c.send(new CreateMultipartUploadCommand({ Bucket: 'native', Key: 'flaky.bin' }));
    const one = randomBytes(2000);
    await remote.stop();
    try {
      const down = await raw(gateway.url, 'PUT', `/native/flaky.bin?partNumber=1&uploadId=${create.UploadId}`, { body: one });
      assert.equal(down.status, 503);
      assert.equal(xmlText(down.text, 'Code'), 'ServiceUnavailable');
      const init = await raw(gateway.url, 'POST', '/native/other.bin?uploads');
      assert.equal(init.status, 503, 'a native upload cannot start without its remote');
    } finally {
      await remote.restart();
    }
    const up = await c.send(new UploadPartCommand({ Bucket: 'native', Key: 'flaky.bin', UploadId: create.UploadId, PartNumber: 1, Body: one }));
    await c.send(new CompleteMultipartUploadCommand({
      Bucket: 'native', Key: 'flaky.bin', UploadId: create.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: up.ETag }] },
    }));
    assert.ok((await remoteBytes('np/flaky.bin')).equals(one));
  });

  it('keeps uploads on an ASYNC_THROUGH mount local: no remote upload, a pending object at complete', async () => {
    const create = await c.send(new CreateMultipartUploadCommand({ Bucket: 'later', Key: 'local.bin' }));
    assert.deepEqual(await remoteUploads(), []);
    const body = randomBytes(4000);
    const up = await c.send(new UploadPartCommand({ Bucket: 'later', Key: 'local.bin', UploadId: create.UploadId, PartNumber: 1, Body: body }));
    assert.equal((await gatewayPartFiles()).length > 0, true, 'the part is staged locally');
    await c.send(new CompleteMultipartUploadCommand({
      Bucket: 'later', Key: 'local.bin', UploadId: create.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: up.ETag }] },
    }));
    assert.deepEqual(await gatewayPartFiles(), [], 'the part files are removed at complete');
    // Acknowledged from the local copy, then persisted in the background as one whole object.
    const there = await eventually('the object reaches the remote', () => remoteBytes('later/local.bin'));
    assert.ok(there.equals(body));
  });

  it('settles at start a complete the remote finished but a crash kept from being committed, and rolls back one it did not', async () => {
    const deps = gateway.strata.ns.deps;
    const prepare = async (key: string, finishRemotely: boolean): Promise<{ uploadId: string; body: Buffer }> => {
      const create = await c.send(new CreateMultipartUploadCommand({ Bucket: 'native', Key: key }));
      const body = randomBytes(3000);
      await c.send(new UploadPartCommand({ Bucket: 'native', Key: key, UploadId: create.UploadId, PartNumber: 1, Body: body }));
      const upload = (await deps.store.getUpload(create.UploadId!))!;
      const parts = await deps.store.listParts(create.UploadId!, 0, 10);
      if (finishRemotely) {
        await remote.client.send(new CompleteMultipartUploadCommand({
          Bucket: 'remote-bucket', Key: `np/${key}`, UploadId: upload.extras.native!.uploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: parts[0].extras.remoteETag }] },
        }));
      }
      // What a crash right after the remote's complete leaves: the intent, the upload, no row.
      await deps.store.addIntent({
        id: `crash-${key}`, stagedPath: `placed:${create.UploadId}`, created: Date.now() - 2000,
        object: {
          bucket: 'native', key, versionId: NULL_VERSION, size: body.length, etag: `${md5(md5(body))}-1`, lastModified: Date.now(), owner: 'alice',
          headers: {}, userMetadata: {}, isDirectory: false, partSizes: [body.length], dataId: newDataId(), extras: {},
        },
      });
      return { uploadId: create.UploadId!, body };
    };
    const finished = await prepare('finished.bin', true);
    const unfinished = await prepare('unfinished.bin', false);
    assert.deepEqual(await recoverIntents(deps), { completed: 1, rolledBack: 1 });
    assert.equal((await deps.store.getObject('native', 'finished.bin'))?.size, finished.body.length);
    assert.equal(await deps.store.getUpload(finished.uploadId), undefined, 'the finished upload is forgotten');
    const head = await remote.client.send(new HeadObjectCommand({ Bucket: 'remote-bucket', Key: 'np/finished.bin' }));
    assert.equal((await deps.store.getObject('native', 'finished.bin'))?.extras.remoteVersion, head.ETag?.replaceAll('"', ''),
      'reads are pinned to the version judged to be the complete\'s');
    const got = await c.send(new GetObjectCommand({ Bucket: 'native', Key: 'finished.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(finished.body));
    assert.equal(await deps.store.getObject('native', 'unfinished.bin'), undefined);
    assert.ok(await deps.store.getUpload(unfinished.uploadId), 'the unfinished upload stays, to be completed or aborted');
    await c.send(new AbortMultipartUploadCommand({ Bucket: 'native', Key: 'unfinished.bin', UploadId: unfinished.uploadId }));
  });
});
