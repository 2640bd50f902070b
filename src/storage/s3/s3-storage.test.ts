// Tests for S3UnderStorage against a second, real Strata as the remote: the
// shared UnderStorage contract (unprefixed and under a key prefix), then what
// only the S3 adapter promises: big bodies stream as multipart uploads, objects
// are plain objects at prefix/path, aborted stages leave no upload behind,
// commits past the single-copy limit use UploadPartCopy, and native multipart
// passthrough. Remote failures are in s3-storage-unavailable.test.ts.
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { underStorageContract } from '../contract.ts';
import { StorageError, type StorageErrorCode } from '../under-storage.ts';
import { copyObject } from './s3-copy.ts';
import { S3UnderStorage } from './s3-storage.ts';
import { put, readAll, startPeer, type Peer } from './test-peer.ts';

const MiB = 1024 * 1024;
let peer: Peer | undefined;
const getPeer = async (): Promise<Peer> => (peer ??= await startPeer());
after(async () => {
  await peer?.stop();
});

for (const [bucket, prefix] of [['contract-root', ''], ['contract-prefixed', 'some/prefix']] as const) {
  underStorageContract(`S3 bucket ${bucket}, prefix ${JSON.stringify(prefix)} (peer: a second Strata)`, async () => {
    const p = await getPeer();
    await p.createBucket(bucket);
    return p.storage(bucket, { prefix });
  });
}

async function rejectsWith(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** `size` bytes in 64 KiB chunks, made as they are read (never all in memory at once). */
function generated(size: number, seed: string): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0, n = 0; offset < size; n++) {
        const block = createHash('sha512').update(`${seed}:${n}`).digest();
        const chunk = Buffer.alloc(Math.min(64 * 1024, size - offset));
        for (let i = 0; i < chunk.length; i += block.length) block.copy(chunk, i);
        offset += chunk.length;
        yield chunk;
      }
    })(),
  );
}

describe('S3UnderStorage specifics (peer: a second Strata)', () => {
  const bucket = 'specifics';
  const prefix = 'mnt/x';
  let p: Peer;
  let s: S3UnderStorage;
  const uploadsUnder = async (keyPrefix: string): Promise<string[]> => {
    const out = await p.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: keyPrefix }));
    return (out.Uploads ?? []).map((u) => u.Key ?? '');
  };
  const keysUnder = async (keyPrefix: string): Promise<string[]> => {
    const out = await p.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix }));
    return (out.Contents ?? []).map((o) => o.Key ?? '');
  };

  before(async () => {
    p = await getPeer();
    await p.createBucket(bucket);
    s = p.storage(bucket, { prefix });
  });

  it('streams a 40 MiB body as a multipart upload (8 MiB parts, a few in flight) and reads it back intact', async () => {
    const size = 40 * MiB;
    const expected = await readAll(generated(size, 'big'));
    const before = s.stats;
    const staged = await s.stage(generated(size, 'big'));
    assert.equal(staged.size, size);
    const after = s.stats;
    assert.equal(after.multipartStages - before.multipartStages, 1);
    assert.equal(after.singlePutStages, before.singlePutStages);
    assert.equal(after.partsUploaded - before.partsUploaded, 5);
    assert.ok(after.peakPartsInFlight >= 1 && after.peakPartsInFlight <= 4, `peak ${after.peakPartsInFlight}`);
    await s.commit(staged, 'big/blob.bin');
    assert.equal(await s.stagedExists(staged.stagedPath), false);
    assert.equal((await s.stat('big/blob.bin'))?.size, size);
    const back = await readAll(await s.read('big/blob.bin'));
    assert.ok(back.equals(expected), '40 MiB body differs');
    // A range across the boundary of parts 1 and 2.
    const range = await readAll(await s.read('big/blob.bin', { start: 8 * MiB - 10, end: 8 * MiB + 9 }));
    assert.ok(range.equals(expected.subarray(8 * MiB - 10, 8 * MiB + 10)));
    assert.deepEqual(await uploadsUnder(`${prefix}/`), []);
  });

  it('a body of exactly one part goes as a single PutObject', async () => {
    const before = s.stats;
    const staged = await s.stage(generated(8 * MiB, 'one'));
    assert.equal(s.stats.singlePutStages - before.singlePutStages, 1);
    assert.equal(s.stats.partsUploaded, before.partsUploaded);
    await s.discard(staged);
  });

  it('write uploads straight to the final key: one PUT when small, multipart when big, no staging copy', async () => {
    let opens = 0;
    const opener = (make: () => Readable) => async (): Promise<Readable> => {
      opens++;
      return make();
    };
    const before = s.stats;
    await s.write('w/small', opener(() => Readable.from([Buffer.from('version 1')])), 9);
    assert.equal(s.stats.singlePutStages - before.singlePutStages, 1);
    await s.write('w/small', opener(() => Readable.from([Buffer.from('v2')])), 2);
    assert.equal((await readAll(await s.read('w/small'))).toString(), 'v2');
    const size = 20 * MiB + 1;
    await s.write('w/big', opener(() => generated(size, 'w')), size);
    assert.equal(s.stats.multipartStages - before.multipartStages, 1);
    assert.equal(s.stats.partsUploaded - before.partsUploaded, 3);
    assert.equal(opens, 3, 'each write opens its body once');
    assert.ok((await readAll(await s.read('w/big'))).equals(await readAll(generated(size, 'w'))));
    assert.deepEqual(await keysUnder(`${prefix}/.strata/`), [], 'no staging copy');
    assert.deepEqual(await uploadsUnder(`${prefix}/w/`), []);
  });

  it('pins reads to a version: an object replaced behind a write answers the pinned read with 412, which is CHANGED', async () => {
    const v1 = Buffer.alloc(1000, 'a');
    const written = await s.write('pin/obj', async () => Readable.from([v1]), v1.length);
    assert.equal(written.etag, createHash('md5').update(v1).digest('hex'), 'the tag is the ETag, unquoted');
    assert.equal((await s.stat('pin/obj'))?.etag, written.etag);
    const pinned = { ifMatch: written.etag! };
    assert.ok((await readAll(await s.read('pin/obj', { start: 10, end: 19 }, pinned))).equals(v1.subarray(10, 20)));
    // Another writer to the bucket replaces it with as many bytes.
    const v2 = Buffer.alloc(1000, 'b');
    await p.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/pin/obj`, Body: v2 }));
    for (const range of [{ start: 10, end: 19 }, undefined]) {
      await assert.rejects(s.read('pin/obj', range, pinned), (err: unknown) => {
        assert.ok(err instanceof StorageError, String(err));
        assert.equal(err.code, 'CHANGED');
        assert.equal(err.path, 'pin/obj');
        assert.equal((err.cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 412, 'refused by the remote (If-Match)');
        return true;
      });
    }
    const now = (await s.stat('pin/obj'))?.etag;
    assert.ok(now !== undefined && now !== written.etag);
    assert.ok((await readAll(await s.read('pin/obj', { start: 10, end: 19 }, { ifMatch: now }))).equals(v2.subarray(10, 20)));
    // Deleted: NOT_FOUND, as for any read.
    await s.deleteFile('pin/obj');
    await rejectsWith(s.read('pin/obj', undefined, { ifMatch: now }), 'NOT_FOUND');
  });

  it('write refuses clashes before opening the body; a failed write leaves the old object', async () => {
    await put(s, 'wf/file', 'old');
    await s.mkdir('wf/dir');
    const never = async (): Promise<Readable> => assert.fail('opened the body of a refused write');
    await rejectsWith(s.write('wf/dir', never, 1), 'IS_DIRECTORY');
    await rejectsWith(s.write('wf/file/below', never, 1), 'NOT_DIRECTORY');
    await assert.rejects(s.write('wf/file', async () => Readable.from([Buffer.from('short')]), 10), /5 bytes, expected 10/);
    await assert.rejects(s.write('wf/file', async () => generated(9 * MiB, 'long'), 9 * MiB - 1), /longer than the expected/);
    const controller = new AbortController();
    const writing = s.write('wf/file', async () => new Readable({
      read() {
        this.push(Buffer.alloc(MiB, 1));
        if (!controller.signal.aborted) setTimeout(() => controller.abort(), 0);
      },
    }), 100 * MiB, { signal: controller.signal });
    await assert.rejects(writing, { name: 'AbortError' });
    assert.equal((await readAll(await s.read('wf/file'))).toString(), 'old');
    assert.deepEqual(await uploadsUnder(`${prefix}/wf/`), []);
  });

  it('stores plain objects at prefix/path, and sees objects other programs put there', async () => {
    await put(s, 'plain/a.txt', 'written through the adapter');
    const got = await p.client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/plain/a.txt` }));
    assert.equal(await got.Body?.transformToString(), 'written through the adapter');
    await p.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/plain/dropped/b.txt`, Body: 'out of band' }));
    const names = (await s.list('plain')).map((e) => `${e.name}:${e.isDirectory}`).sort();
    assert.deepEqual(names, ['a.txt:false', 'dropped:true']);
    assert.equal((await readAll(await s.read('plain/dropped/b.txt'))).toString(), 'out of band');
    assert.equal((await s.stat('plain/dropped/b.txt'))?.size, 11);
    // Past the end (S3 answers 416): no bytes, as a file read there gives.
    assert.equal((await readAll(await s.read('plain/dropped/b.txt', { start: 11, end: 20 }))).length, 0);
    assert.equal((await readAll(await s.read('plain/dropped/b.txt', { start: 7, end: 99 }))).toString(), 'band');
    // Nothing of the mount leaks outside its prefix.
    assert.deepEqual((await keysUnder('plain/')), []);
  });

  it('an abort midway through a multipart stage leaves no object and no incomplete upload', async () => {
    const controller = new AbortController();
    let produced = 0;
    const source = new Readable({
      read() {
        // 20 MiB, then nothing more: the stage waits for bytes that never come.
        if (produced < 20 * MiB) {
          produced += MiB;
          this.push(randomBytes(MiB));
        }
      },
    });
    const staging = s.stage(source, { signal: controller.signal });
    // Wait (no timing assumption) until the remote holds an upload of this stage.
    while ((await uploadsUnder(`${prefix}/.strata/staging/`)).length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await assert.rejects(staging, { name: 'AbortError' });
    assert.deepEqual(await uploadsUnder(`${prefix}/.strata/staging/`), []);
    assert.deepEqual(await keysUnder(`${prefix}/.strata/staging/`), []);
  });

  it('sweepStaging aborts incomplete uploads under the staging prefix and leaves other uploads alone', async () => {
    const stale = await p.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}/.strata/staging/${'a'.repeat(32)}` }));
    const other = await p.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}/elsewhere/obj` }));
    assert.ok(stale.UploadId && other.UploadId);
    await s.stage(Readable.from([Buffer.from('left over')]));
    await s.sweepStaging();
    assert.deepEqual(await uploadsUnder(`${prefix}/.strata/staging/`), []);
    assert.deepEqual(await keysUnder(`${prefix}/.strata/staging/`), []);
    assert.deepEqual(await uploadsUnder(`${prefix}/elsewhere/`), [`${prefix}/elsewhere/obj`]);
    await s.abortMultipart(other.UploadId, 'elsewhere/obj');
  });

  it('copies objects past the single-copy limit with UploadPartCopy ranges', async () => {
    const data = randomBytes(3 * MiB + 5);
    await p.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/src', Body: data }));
    const { parts } = await copyObject(p.client, bucket, 'copy/src', 'copy/dst', data.length, { maxSingleCopy: MiB, partSize: MiB });
    assert.equal(parts, 4);
    const got = await p.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/dst' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
    assert.deepEqual(await uploadsUnder('copy/'), []);
  });

  it('native multipart passthrough: parts go to the remote at the final key, once', async () => {
    const first = randomBytes(5 * MiB);
    const second = randomBytes(MiB + 3);
    const uploadId = await s.createMultipart('native/obj.bin');
    assert.deepEqual(await uploadsUnder(`${prefix}/native/`), [`${prefix}/native/obj.bin`]);
    const p1 = await s.uploadPart(uploadId, 'native/obj.bin', 1, first, first.length);
    // A streamed part, as the namespace would pass a request body.
    const p2 = await s.uploadPart(uploadId, 'native/obj.bin', 2, Readable.from([second.subarray(0, 100), second.subarray(100)]), second.length);
    assert.equal(await s.stat('native/obj.bin'), undefined, 'visible before completion');
    const done = await s.completeMultipart(uploadId, 'native/obj.bin', [{ partNumber: 2, etag: p2.etag }, { partNumber: 1, etag: p1.etag }]);
    assert.match(done.etag ?? '', /-2$/);
    assert.equal(done.etag, (await s.stat('native/obj.bin'))?.etag, 'the version complete reports is the one stat sees');
    assert.ok((await readAll(await s.read('native/obj.bin'))).equals(Buffer.concat([first, second])));
    assert.deepEqual(await uploadsUnder(`${prefix}/native/`), []);
    assert.deepEqual(await keysUnder(`${prefix}/.strata/`), [], 'no staging copy');
  });

  it('native multipart: abort is idempotent, a gone upload is NOT_FOUND, clashes are checked', async () => {
    const uploadId = await s.createMultipart('native/aborted');
    await s.abortMultipart(uploadId, 'native/aborted');
    await s.abortMultipart(uploadId, 'native/aborted');
    await rejectsWith(s.uploadPart(uploadId, 'native/aborted', 1, Buffer.from('x'), 1), 'NOT_FOUND');
    await put(s, 'native/file', 'f');
    await rejectsWith(s.createMultipart('native/file/below'), 'NOT_DIRECTORY');
    await s.mkdir('native/dir');
    await rejectsWith(s.createMultipart('native/dir'), 'IS_DIRECTORY');
    const late = await s.createMultipart('native/later-dir');
    const part = await s.uploadPart(late, 'native/later-dir', 1, Buffer.from('p'), 1);
    await s.mkdir('native/later-dir');
    await rejectsWith(s.completeMultipart(late, 'native/later-dir', [{ partNumber: 1, etag: part.etag }]), 'IS_DIRECTORY');
    await s.abortMultipart(late, 'native/later-dir');
  });

  it('list of the mount root shows the reserved .strata directory (the namespace hides it)', async () => {
    await s.stage(Readable.from([Buffer.from('x')]));
    const names = (await s.list('')).map((e) => e.name);
    assert.ok(names.includes('.strata'), names.join(','));
    await s.sweepStaging();
  });

  it('rejects escaping paths, foreign staged paths and bad options with plain errors', async () => {
    for (const bad of ['../x', '/etc/passwd', 'a//b', './a', 'a/', '..', 'a\u0000b']) {
      for (const call of [() => s.read(bad), () => s.stat(bad), () => s.list(bad), () => s.mkdir(bad), () => s.deleteFile(bad), () => s.rmdir(bad)]) {
        await assert.rejects(call(), (err: unknown) => err instanceof Error && !(err instanceof StorageError));
      }
    }
    for (const bad of ['.strata/staging/ABC', 'x/y', '.strata/staging/../../x']) {
      await assert.rejects(s.stagedExists(bad), /not a staged path/);
      await assert.rejects(s.commit(bad, 'victim'), /not a staged path/);
    }
    assert.throws(() => new S3UnderStorage({ bucket, prefix: '/lead' }), /invalid S3 prefix/);
    assert.throws(() => new S3UnderStorage({ bucket, prefix: 'trail/' }), /invalid S3 prefix/);
    assert.throws(() => new S3UnderStorage({ bucket, partSize: MiB }), /partSize/);
  });
});
