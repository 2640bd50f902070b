// Multipart uploads: state lives in metadata and part data in the
// under-storage, never in process memory, so any node can finish an upload.
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { ObjectRecord, PartExtras, PartRecord, UploadExtras, UploadRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { requireBucket } from './buckets.ts';
import { checkKeyConflicts, commitObject, newObjectRow } from './commit.ts';
import { isDirectoryKey, validateKey } from './names.ts';
import { planCompleteChecksum, verifyListedPartChecksums, type CompleteChecksumRequest, type PartChecksum } from './multipart-checksums.ts';
import { stageBody } from './objects.ts';
import { abortNativeUpload, combinedObjectChecksum, completeNativeUpload, startNativeUpload, uploadNativePart } from './multipart-native.ts';
import type { ComputedChecksum } from './body-checksum.ts';
import type { BodyChecksum, BodySource, NamespaceDeps, WritePrecondition } from './types.ts';

export const MAX_PART_NUMBER = 10_000;

export async function createUpload(
  deps: NamespaceDeps,
  req: { bucket: string; key: string; user: string; headers: Record<string, string>; userMetadata: Record<string, string>; extras: UploadExtras },
): Promise<UploadRecord> {
  validateKey(req.key);
  if (isDirectoryKey(req.key)) throw new S3Error('InvalidArgument', 'A key ending in "/" is a directory and cannot be uploaded in parts.', { Key: req.key });
  await requireBucket(deps, req.bucket);
  await checkKeyConflicts(deps, req.bucket, req.key);
  // On a remote mount with native multipart the parts go straight to an upload there.
  const native = await startNativeUpload(deps, req.bucket, req.key);
  const upload: UploadRecord = {
    // Unguessable: knowing an upload id is what lets a client add to it.
    uploadId: randomBytes(24).toString('base64url'),
    bucket: req.bucket,
    key: req.key,
    owner: req.user,
    initiated: Date.now(),
    headers: req.headers,
    userMetadata: req.userMetadata,
    extras: native ? { ...req.extras, native } : req.extras,
  };
  try {
    await deps.store.createUpload(upload);
  } catch (err) {
    if (native) await abortNativeUpload(deps, upload).catch(() => {});
    throw err;
  }
  return upload;
}

/** The upload, or NoSuchUpload if it does not exist or belongs to another key. */
export async function requireUpload(deps: NamespaceDeps, bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
  await requireBucket(deps, bucket);
  const upload = await deps.store.getUpload(uploadId);
  if (!upload || upload.bucket !== bucket || upload.key !== key) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
  return upload;
}

export function parsePartNumber(text: string | null): number {
  const n = Number(text);
  if (text === null || !/^\d+$/.test(text) || n < 1 || n > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, {
      ArgumentName: 'partNumber',
      ArgumentValue: String(text),
    });
  }
  return n;
}

export async function uploadPart(
  deps: NamespaceDeps,
  req: {
    bucket: string; key: string; uploadId: string; partNumber: number; contentLength?: number; body: BodySource; signal?: AbortSignal; extras?: PartExtras;
    /** The checksum to verify and record, decided against the upload (which may refuse the part before its body is read). */
    checksum?: (upload: UploadRecord) => BodyChecksum;
  },
): Promise<PartRecord> {
  const upload = await requireUpload(deps, req.bucket, req.key, req.uploadId);
  if (upload.extras.native) return uploadNativePart(deps, upload, req);
  const checks = req.checksum?.(upload);
  const { staged, md5, size, checksum } = await stageBody(deps, req.body(), req.contentLength, req.signal, checks);
  // A unique name per attempt: a retried part never overwrites data a listing may still show.
  const path = `.strata/uploads/${req.uploadId}/${req.partNumber}-${randomBytes(6).toString('hex')}`;
  await deps.storage.commit(staged, path);
  const extras: PartExtras = checksum ? { ...req.extras, checksum: checksum.value, checksumAlgorithm: checksum.algorithm } : { ...req.extras };
  const part: PartRecord = { uploadId: req.uploadId, partNumber: req.partNumber, size, etag: md5, lastModified: Date.now(), path, extras };
  // The upload may have been completed or aborted while the part streamed in.
  if (!(await deps.store.getUpload(req.uploadId))) {
    await deps.storage.deleteFile(path);
    throw new S3Error('NoSuchUpload', undefined, { UploadId: req.uploadId });
  }
  const replaced = await deps.store.putPart(part);
  if (replaced && replaced.path !== path) await deps.storage.deleteFile(replaced.path);
  return part;
}

export async function listParts(deps: NamespaceDeps, uploadId: string, after: number, limit: number): Promise<PartRecord[]> {
  return deps.store.listParts(uploadId, after, limit);
}

export async function allParts(deps: NamespaceDeps, uploadId: string): Promise<PartRecord[]> {
  const parts: PartRecord[] = [];
  for (;;) {
    const page = await deps.store.listParts(uploadId, parts.at(-1)?.partNumber ?? 0, 1000);
    parts.push(...page);
    if (page.length < 1000) return parts;
  }
}

export interface CompletedPart {
  partNumber: number;
  /** Quoted or not; compared without quotes. */
  etag: string;
  /** The part's checksum as listed (ChecksumCRC32, ...), checked against the stored one. */
  checksum?: PartChecksum;
}

/** Validates the requested parts against the stored ones, as S3 does, and returns the stored parts in order. */
function selectParts(stored: PartRecord[], requested: CompletedPart[] | undefined, minPartSize: number): PartRecord[] {
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  let chosen: PartRecord[];
  if (requested === undefined) {
    chosen = stored; // the spec's body-less complete: every uploaded part, in order
  } else {
    chosen = [];
    let previous = 0;
    for (const want of requested) {
      if (want.partNumber <= previous) throw new S3Error('InvalidPartOrder');
      previous = want.partNumber;
      const part = byNumber.get(want.partNumber);
      if (!part || part.etag !== want.etag.replace(/^"|"$/g, '')) {
        throw new S3Error('InvalidPart', undefined, { PartNumber: String(want.partNumber), ETag: want.etag });
      }
      chosen.push(part);
    }
  }
  if (chosen.length === 0) throw new S3Error('MalformedXML', 'You must specify at least one part.');
  for (const part of chosen.slice(0, -1)) {
    if (part.size < minPartSize) {
      throw new S3Error('EntityTooSmall', undefined, {
        ProposedSize: String(part.size),
        MinSizeAllowed: String(minPartSize),
        PartNumber: String(part.partNumber),
        ETag: `"${part.etag}"`,
      });
    }
  }
  return chosen;
}

/** The parts' bytes one after another, opening each part only when the previous one is done. */
function concatenate(deps: NamespaceDeps, parts: PartRecord[]): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  (async () => {
    for (const part of parts) {
      if (part.size === 0) continue;
      const body = await deps.storage.read(part.path);
      for await (const chunk of body) {
        if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
      }
    }
    out.end();
  })().catch((err: Error) => out.destroy(err));
  return out;
}

export async function completeUpload(
  deps: NamespaceDeps,
  req: {
    bucket: string; key: string; uploadId: string; parts: CompletedPart[] | undefined; signal?: AbortSignal; precondition?: WritePrecondition;
    checksum?: CompleteChecksumRequest;
  },
): Promise<ObjectRecord> {
  const upload = await requireUpload(deps, req.bucket, req.key, req.uploadId);
  const stored = await allParts(deps, req.uploadId);
  const chosen = selectParts(stored, req.parts, deps.options.minPartSize);
  if (req.parts !== undefined) verifyListedPartChecksums(upload, chosen, req.parts);
  const plan = planCompleteChecksum(upload, chosen, req.checksum);
  await checkKeyConflicts(deps, req.bucket, req.key);

  const etagOfEtags = createHash('md5');
  for (const part of chosen) etagOfEtags.update(Buffer.from(part.etag, 'hex'));
  const total = chosen.reduce((sum, p) => sum + p.size, 0);
  const etag = `${etagOfEtags.digest('hex')}-${chosen.length}`;
  const afterCommit = async (row: ObjectRecord): Promise<void> => {
    await deps.store.completeUpload(req.uploadId, row);
    await removePartFiles(deps, stored);
  };
  if (upload.extras.native) {
    // The remote assembles the parts itself: nothing is concatenated or copied here.
    const row = completedRow(req, upload, chosen, total, etag, plan, plan.composite ?? combinedObjectChecksum(chosen, plan));
    await completeNativeUpload(deps, upload, chosen, row, () => afterCommit(row), req.precondition);
    return row;
  }
  // A FULL_OBJECT checksum is computed while the parts are copied into one file: no extra pass.
  const { staged, size, checksum } = await stageBody(deps, concatenate(deps, chosen), total, req.signal, plan.fullObject);
  const row = completedRow(req, upload, chosen, size, etag, plan, plan.composite ?? checksum);
  await commitObject(deps, staged, row, () => afterCommit(row), req.precondition);
  return row;
}

/** The object row a completed upload becomes. */
function completedRow(
  req: { bucket: string; key: string },
  upload: UploadRecord,
  chosen: PartRecord[],
  size: number,
  etag: string,
  plan: ReturnType<typeof planCompleteChecksum>,
  objectChecksum: ComputedChecksum | undefined,
): ObjectRecord {
  return newObjectRow({
    bucket: req.bucket,
    key: req.key,
    size,
    etag,
    owner: upload.owner,
    headers: upload.headers,
    userMetadata: upload.userMetadata,
    partSizes: chosen.map((p) => p.size),
    extras: {
      tags: upload.extras.tags,
      acl: upload.extras.acl,
      storageClass: upload.extras.storageClass,
      ...(objectChecksum && { checksum: { ...objectChecksum, type: plan.composite ? 'COMPOSITE' : 'FULL_OBJECT' } }),
      ...(plan.partChecksums && { partChecksums: plan.partChecksums }),
    },
  });
}

export async function abortUpload(deps: NamespaceDeps, bucket: string, key: string, uploadId: string): Promise<void> {
  const upload = await requireUpload(deps, bucket, key, uploadId);
  // Remote first: if it cannot be reached (503), the upload stays for the client to abort again.
  if (upload.extras.native) await abortNativeUpload(deps, upload);
  const parts = await deps.store.deleteUpload(uploadId);
  await removePartFiles(deps, parts);
}

async function removePartFiles(deps: NamespaceDeps, parts: PartRecord[]): Promise<void> {
  const files = parts.filter((part) => part.path !== ''); // native parts live only on the remote
  for (const part of files) await deps.storage.deleteFile(part.path);
  const dir = files[0]?.path.slice(0, files[0].path.lastIndexOf('/'));
  if (dir) await deps.storage.pruneEmptyDirs(dir, '.strata/uploads');
}
