// Native multipart on remote mounts (issue 4: "Multipart uploads under an S3
// mount become native multipart uploads on the remote (no second full copy)").
// CreateMultipartUpload starts an upload on the remote at the object's path;
// each UploadPart streams straight to it, hashed on the way (MD5 for our ETag,
// the part checksum, and a CRC from which a FULL_OBJECT checksum is combined),
// never staged locally; CompleteMultipartUpload completes the remote upload
// (atomic there) under the key lock and commits the row; Abort aborts it.
// The part list and S3's part rules stay ours (multipart.ts); the remote keeps
// only bytes. https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ObjectRecord, PartExtras, PartRecord, UploadExtras, UploadRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { DEFAULT_CHECKSUM_ALGORITHM } from '../s3/operations/checksum-headers.ts';
import { StorageError, type UnderStorage, type WriteOptions, type WrittenVersion } from '../storage/under-storage.ts';
import { createChecksum, parseChecksumAlgorithm, type Checksum, type ChecksumAlgorithm } from '../util/checksums.ts';
import { combineCrcs, isCombinable } from '../util/crc-combine.ts';
import { pipeInto } from '../util/pipe.ts';
import { digestsOf, digestStreamFor, settleChecksum, type ComputedChecksum } from './body-checksum.ts';
import { PLACED_MARKER, commitPlaced, mapPlacementErrors } from './commit.ts';
import type { CompleteChecksumPlan } from './multipart-checksums.ts';
import { keepsLocalCopy } from './persist-pending.ts';
import type { BodyChecksum, BodySource, NamespaceDeps, WritePrecondition } from './types.ts';

/** What a store offers for native multipart (S3UnderStorage does). */
interface NativeMultipartStore {
  createMultipart(path: string): Promise<string>;
  uploadPart(uploadId: string, path: string, partNumber: number, body: Readable | Buffer, length: number, options?: WriteOptions): Promise<{ etag: string }>;
  completeMultipart(uploadId: string, path: string, parts: readonly { partNumber: number; etag: string }[]): Promise<WrittenVersion>;
  abortMultipart(uploadId: string, path: string): Promise<void>;
}

/**
 * The checksum a multipart object whose upload named no algorithm gets at
 * complete (S3's default CRC64NVME when turned on there; the S3 layer passes
 * the same setting as `defaultAlgorithm`): each native part of such an upload
 * then carries one in that algorithm, to combine. Read from the S3 layer so the
 * two can never disagree.
 */
const DEFAULT_OBJECT_CRC: ChecksumAlgorithm | undefined = DEFAULT_CHECKSUM_ALGORITHM;

function nativeStoreOf(storage: UnderStorage): NativeMultipartStore | undefined {
  const s = storage as UnderStorage & Partial<NativeMultipartStore>;
  const offers = typeof s.createMultipart === 'function' && typeof s.uploadPart === 'function'
    && typeof s.completeMultipart === 'function' && typeof s.abortMultipart === 'function';
  return offers ? (s as NativeMultipartStore) : undefined;
}

/** A remote refusal as the S3 error a client of ours expects. */
function remoteError(err: unknown, uploadId: string): unknown {
  if (err instanceof StorageError && err.code === 'NOT_FOUND') return new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') return new S3Error(name);
  if (name === 'NoSuchUpload') return new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
  return err;
}

/**
 * Starts the remote upload when `key` lives on a remote mount whose store has
 * native multipart and whose write type writes through (ASYNC_THROUGH and
 * MUST_CACHE uploads stay local: they must not need the remote to succeed).
 */
export async function startNativeUpload(deps: NamespaceDeps, bucket: string, key: string): Promise<UploadExtras['native']> {
  const location = deps.mounts.resolve(bucket, key);
  const store = location.mount.kind === 'remote' ? nativeStoreOf(location.mount.storage) : undefined;
  if (!store || keepsLocalCopy(location.mount.writeType)) return undefined;
  let uploadId = '';
  await mapPlacementErrors(key, async () => { uploadId = await store.createMultipart(location.path); });
  return { uploadId, mountPath: location.mount.path, path: location.path };
}

function target(deps: NamespaceDeps, upload: UploadRecord): { store: NativeMultipartStore; native: NonNullable<UploadExtras['native']> } {
  const native = upload.extras.native;
  const location = deps.mounts.resolve(upload.bucket, upload.key);
  const store = native && location.mount.path === native.mountPath ? nativeStoreOf(location.mount.storage) : undefined;
  if (!native || !store) throw new S3Error('NoSuchUpload', 'The mount this upload was started on is gone.', { UploadId: upload.uploadId });
  return { store, native };
}

/** Feeds a second checksum from the bytes flowing through (the DigestStream takes one). */
class ChecksumTap extends Transform {
  readonly checksum: Checksum;
  constructor(checksum: Checksum) {
    super();
    this.checksum = checksum;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.checksum.update(chunk);
    callback(null, chunk);
  }
}

/** The CRC a part needs for the object's FULL_OBJECT checksum, when its own checksum will not do. */
function objectCrcAlgorithm(upload: UploadRecord, checks: BodyChecksum | undefined): ChecksumAlgorithm | undefined {
  // A declared algorithm: every part carries a checksum in it (planCompleteChecksum insists).
  if (upload.extras.checksumAlgorithm !== undefined || DEFAULT_OBJECT_CRC === undefined) return undefined;
  return checks?.algorithm === DEFAULT_OBJECT_CRC ? undefined : DEFAULT_OBJECT_CRC;
}

export async function uploadNativePart(
  deps: NamespaceDeps,
  upload: UploadRecord,
  req: { partNumber: number; contentLength?: number; body: BodySource; signal?: AbortSignal; extras?: PartExtras; checksum?: (upload: UploadRecord) => BodyChecksum },
): Promise<PartRecord> {
  // The remote is told the length before the bytes: S3's UploadPart needs it too.
  if (req.contentLength === undefined) throw new S3Error('MissingContentLength');
  const { store, native } = target(deps, upload);
  const checks = req.checksum?.(upload);
  const digest = digestStreamFor(checks);
  const crc = objectCrcAlgorithm(upload, checks);
  const tap = crc ? new ChecksumTap(createChecksum(crc)) : undefined;
  let sourceError: unknown;
  pipeInto(req.body(), digest).catch((err: unknown) => { sourceError = err; });
  if (tap) pipeInto(digest, tap).catch(() => {});
  let remote: { etag: string };
  try {
    remote = await store.uploadPart(native.uploadId, native.path, req.partNumber, tap ?? digest, req.contentLength, { signal: req.signal });
  } catch (err) {
    // A body refused on the way (a bad aws-chunked frame or trailer) explains the failure better.
    if (sourceError instanceof S3Error) throw sourceError;
    throw remoteError(err, upload.uploadId);
  }
  if (digest.size !== req.contentLength) throw new S3Error('IncompleteBody');
  const checksum = settleChecksum(checks, digestsOf(digest));
  const extras: PartExtras = {
    ...req.extras,
    ...(checksum && { checksum: checksum.value, checksumAlgorithm: checksum.algorithm }),
    remoteETag: remote.etag,
    ...(crc && tap && { objectCrc: { algorithm: crc, value: tap.checksum.digest() } }),
  };
  const part: PartRecord = {
    uploadId: upload.uploadId, partNumber: req.partNumber, size: digest.size, etag: digest.md5Hex(), lastModified: Date.now(), path: '', extras,
  };
  // Completed or aborted while the part streamed: the remote upload went with it.
  if (!(await deps.store.getUpload(upload.uploadId))) throw new S3Error('NoSuchUpload', undefined, { UploadId: upload.uploadId });
  await deps.store.putPart(part);
  return part;
}

/**
 * The FULL_OBJECT checksum of a native upload, combined from its parts' CRCs
 * (the bytes were never here together); checked against the client's value.
 */
export function combinedObjectChecksum(chosen: readonly PartRecord[], plan: CompleteChecksumPlan): ComputedChecksum | undefined {
  const full = plan.fullObject;
  if (!full) return undefined;
  if (!isCombinable(full.algorithm)) throw new Error(`a FULL_OBJECT ${full.algorithm} checksum cannot be combined from parts`);
  const pieces = chosen.map((part) => {
    const { checksum, checksumAlgorithm, objectCrc } = part.extras;
    const own = checksumAlgorithm !== undefined && checksum !== undefined && parseChecksumAlgorithm(checksumAlgorithm) === full.algorithm ? checksum : undefined;
    const value = own ?? (objectCrc && parseChecksumAlgorithm(objectCrc.algorithm) === full.algorithm ? objectCrc.value : undefined);
    if (value === undefined) throw new Error(`part ${part.partNumber} has no ${full.algorithm} to combine`);
    return { value, length: part.size };
  });
  const value = combineCrcs(full.algorithm, pieces);
  if (full.expected !== undefined && full.expected !== value) {
    throw new S3Error('BadDigest', `The ${full.algorithm} you specified did not match the calculated checksum.`);
  }
  return { algorithm: full.algorithm, value };
}

/**
 * Completes the remote upload with the remote's part ETags and commits `row`,
 * under the key lock; the intent (`placed:<uploadId>`) lets a restart settle a
 * crash between the remote's complete and our commit. Nothing is concatenated.
 */
export async function completeNativeUpload(
  deps: NamespaceDeps,
  upload: UploadRecord,
  chosen: readonly PartRecord[],
  row: ObjectRecord,
  afterCommit: () => Promise<void>,
  precondition?: WritePrecondition,
): Promise<void> {
  const { store, native } = target(deps, upload);
  const parts = chosen.map((part) => {
    const etag = part.extras.remoteETag;
    if (etag === undefined) throw new S3Error('InvalidPart', undefined, { PartNumber: String(part.partNumber), ETag: `"${part.etag}"` });
    return { partNumber: part.partNumber, etag };
  });
  await commitPlaced(deps, row, `${PLACED_MARKER}${upload.uploadId}`, async () => {
    try {
      return await store.completeMultipart(native.uploadId, native.path, parts);
    } catch (err) {
      throw remoteError(err, upload.uploadId);
    }
  }, afterCommit, precondition);
}

/** Aborts the remote upload (a no-op if it is gone there); the mount being gone leaves nothing to abort. */
export async function abortNativeUpload(deps: NamespaceDeps, upload: UploadRecord): Promise<void> {
  let remote: ReturnType<typeof target>;
  try {
    remote = target(deps, upload);
  } catch {
    return;
  }
  await remote.store.abortMultipart(remote.native.uploadId, remote.native.path);
}
