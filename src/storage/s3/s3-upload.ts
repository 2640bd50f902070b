// Streams a body of unknown length into one S3 object with bounded memory:
// bytes are cut into parts of `partSize`, at most `concurrency` parts are in
// flight, and reading the source pauses while they are (about (concurrency + 1)
// x partSize of memory). A body that ends within the first part is sent as one
// PutObject; anything longer becomes a multipart upload. Either way the object
// appears whole or not at all. On any failure or abort the upload is aborted
// (and a key of our own, a staging key, deleted), so nothing is left behind.
// With `expectedSize`, a body of another length fails before anything is visible.
// Only UploadPart requests are cut off by an abort: CreateMultipartUpload,
// PutObject and CompleteMultipartUpload run to their end, so the outcome is
// always known (an abort mid-flight could leave an upload we cannot name, or
// an object replaced behind a reported failure).
// Multipart upload: https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
// Part limits (5 MiB..5 GiB, 10,000 parts): https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { abortReason, mapS3Error } from './s3-errors.ts';
import { versionTag } from './s3-etag.ts';

const MAX_PARTS = 10_000;

export interface StreamUploadOptions {
  partSize: number;
  concurrency: number;
  signal?: AbortSignal;
  /** The path SDK failures are reported on (as StorageError NOT_FOUND / UNAVAILABLE). */
  errorPath: string;
  /**
   * The key is this upload's alone (a staging key): on failure it is deleted in
   * case a PUT landed just before the abort. Never for a real object's key,
   * where that would delete the object the failed write meant to replace.
   */
  ownKey: boolean;
  /** When set, the body must have exactly this many bytes. */
  expectedSize?: number;
}

export interface StreamUploadResult {
  size: number;
  /** Parts uploaded; 0 when the body went as a single PutObject. */
  parts: number;
  /** Most parts that were in flight at once. */
  peakInFlight: number;
  /** The new object's version tag (its ETag, unquoted), when the store sent one. */
  etag?: string;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`stage: unsupported chunk type ${typeof chunk}`);
}

export async function uploadStream(
  client: S3Client,
  bucket: string,
  key: string,
  source: Readable,
  options: StreamUploadOptions,
): Promise<StreamUploadResult> {
  const { partSize, concurrency, signal, errorPath, ownKey, expectedSize } = options;
  if (signal?.aborted) {
    source.destroy();
    throw abortReason(signal);
  }
  // Only the remote's failures are mapped: an error of the source (say, the
  // client's connection reset) must reach the caller as it is.
  const remote = <T>(pending: Promise<T>): Promise<T> =>
    pending.catch((err: unknown) => {
      throw mapS3Error(err, errorPath);
    });
  // Aborts every request of this upload when the caller aborts or a part fails.
  const internal = new AbortController();
  const send = { abortSignal: internal.signal };
  let uploadId: string | undefined;
  let failure: unknown;
  let chunks: Buffer[] = [];
  let filled = 0;
  let size = 0;
  let partCount = 0;
  let peakInFlight = 0;
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();

  /** Refuses a body of the wrong length before CompleteMultipartUpload / PutObject makes it visible. */
  const checkSize = (final: boolean): void => {
    if (expectedSize === undefined) return;
    if (size > expectedSize) throw new Error(`${errorPath}: the body is longer than the expected ${expectedSize} bytes`);
    if (final && size !== expectedSize) throw new Error(`${errorPath}: the body has ${size} bytes, expected ${expectedSize}`);
  };

  const fail = (err: unknown): void => {
    failure ??= err;
    internal.abort();
    // Wakes a read that is waiting on the source.
    if (!source.destroyed) source.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  const onAbort = (): void => fail(abortReason(signal ?? AbortSignal.abort()));
  signal?.addEventListener('abort', onAbort, { once: true });

  const takeBuffered = (): Buffer => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, filled);
    chunks = [];
    filled = 0;
    return body;
  };

  const startPart = async (body: Buffer): Promise<void> => {
    if (uploadId === undefined) {
      // Not abortable: cut off in flight, the upload could exist on the remote
      // with an id we never learn. Once it is known, the cleanup can abort it.
      const created = await remote(client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })));
      if (created.UploadId === undefined) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
      uploadId = created.UploadId;
      if (failure !== undefined) throw failure;
    }
    const partNumber = ++partCount;
    if (partNumber > MAX_PARTS) throw new Error(`body too large: more than ${MAX_PARTS} parts of ${partSize} bytes`);
    const id = uploadId;
    const part = new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: partNumber, Body: body, ContentLength: body.length });
    const task: Promise<void> = remote(client.send(part, send))
      .then(
        (out) => {
          completed[partNumber - 1] = { PartNumber: partNumber, ETag: out.ETag };
        },
        (err: unknown) => fail(err),
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    peakInFlight = Math.max(peakInFlight, inFlight.size);
    // Backpressure: do not read more of the source while the pipe to the remote is full.
    while (inFlight.size >= concurrency && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };

  try {
    for await (const raw of source as AsyncIterable<unknown>) {
      let buf = toBuffer(raw);
      while (buf.length > 0) {
        // A full part is sent only once more bytes arrive, so a body of exactly
        // one part still goes as a single PutObject.
        if (filled === partSize) await startPart(takeBuffered());
        const take = Math.min(partSize - filled, buf.length);
        chunks.push(take === buf.length ? buf : buf.subarray(0, take));
        filled += take;
        size += take;
        buf = buf.subarray(take);
      }
      checkSize(false);
    }
    if (failure !== undefined) throw failure;
    checkSize(true);
    let etag: string | undefined;
    if (uploadId === undefined) {
      const body = filled === 0 ? Buffer.alloc(0) : takeBuffered();
      const put = await remote(client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length })));
      etag = versionTag(put.ETag);
    } else {
      if (filled > 0) await startPart(takeBuffered());
      while (inFlight.size > 0) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
      const complete = new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      });
      etag = versionTag((await remote(client.send(complete))).ETag);
    }
    // An abort that came during the final request: a staged write is dropped
    // (nobody will commit it); a real object's write has happened and stands.
    if (signal?.aborted && ownKey) throw abortReason(signal);
    return { size, parts: partCount, peakInFlight, etag };
  } catch (err) {
    // The first failure is the cause; parts cut off by the abort below only echo it.
    failure ??= err;
    internal.abort();
    await Promise.allSettled([...inFlight]);
    await cleanUp(client, bucket, key, uploadId, ownKey);
    // The caller's abort wins over whatever the cut-off requests reported.
    if (signal?.aborted) throw abortReason(signal);
    throw failure;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Best effort: what it cannot remove (remote down) is found by sweepStaging later (staging keys). */
async function cleanUp(client: S3Client, bucket: string, key: string, uploadId: string | undefined, ownKey: boolean): Promise<void> {
  if (uploadId !== undefined) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
  }
  // A PutObject or Complete may have landed just before the abort cut it off.
  if (ownKey) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => {});
}
