// Server-side copies (CopyObject, UploadPartCopy). The source is opened under
// its key lock, so the copy-source conditions are judged against the very row
// whose bytes are read; the bytes then stream through the ordinary staging +
// commit path (a copy is a new write: its MD5 is recomputed on the way), never
// held in memory whatever the object's size.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
import type { ObjectExtras, ObjectRecord, PartRecord, UploadRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import type { ReadRange } from '../storage/under-storage.ts';
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from '../util/checksums.ts';
import { requireBucket } from './buckets.ts';
import { checkKeyConflicts, commitObject, newObjectRow } from './commit.ts';
import { requireUpload, uploadPart } from './multipart.ts';
import { isDirectoryKey, validateKey } from './names.ts';
import { openObject, putObject, stageBody, type OpenedObject } from './objects.ts';
import type { NamespaceDeps, WritePrecondition } from './types.ts';

/** "You create a copy of your object up to 5 GB in size in a single atomic action" (and a copied part is at most 5 GB). */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;

/** The x-amz-copy-source-if-* headers, as sent ('' counts as absent). */
export interface CopyConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export interface CopySource {
  bucket: string;
  key: string;
  conditions: CopyConditions;
}

/** What the new object is given besides its bytes; decided once the source row is known. */
export interface CopyPlan {
  headers: Record<string, string>;
  userMetadata: Record<string, string>;
  extras: ObjectExtras;
  /** Compute this checksum (FULL_OBJECT) while streaming, replacing extras.checksum. */
  computeChecksum?: ChecksumAlgorithm;
}

export interface CopyObjectRequest {
  source: CopySource;
  bucket: string;
  key: string;
  user: string;
  /** Runs under the source's lock after its conditions held; may throw to refuse the copy (e.g. a copy onto itself). */
  plan: (source: ObjectRecord) => CopyPlan;
  /** The destination's If-Match / If-None-Match, judged under its key lock at commit. */
  precondition?: WritePrecondition;
  signal?: AbortSignal;
}

/**
 * Whether `etag` is in a comma-separated list of entity tags (quoted or not, as
 * S3 accepts them) or the list is `*`. `weak` is RFC 9110's weak comparison
 * (if-none-match): W/"x" matches "x"; the strong one (if-match) never matches a weak tag.
 */
function etagListMatches(list: string, etag: string, weak: boolean): boolean {
  return list.split(',').some((item) => {
    let tag = item.trim();
    if (tag.startsWith('W/')) {
      if (!weak) return false;
      tag = tag.slice(2);
    }
    return tag === '*' || tag.replace(/^"(.*)"$/, '$1') === etag;
  });
}

/** Whole seconds: HTTP dates carry no milliseconds, and S3 compares at that resolution. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** An HTTP date; an unparsable one is ignored, as S3 ignores it. */
function parseHttpDate(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  // asctime dates carry no zone; HTTP dates are always GMT.
  const ms = Date.parse(/^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(text) ? `${text} GMT` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

function failed(condition: string): S3Error {
  return new S3Error('PreconditionFailed', undefined, { Condition: condition });
}

/**
 * The copy-source preconditions, each failure a 412. As in RFC 9110 §13.2.2 and
 * the CopyObject reference: a true if-match overrides a false
 * if-unmodified-since (the copy goes ahead), and if-none-match, when present,
 * is judged instead of if-modified-since. An if-modified-since date in the
 * future is ignored, as S3 ignores it.
 */
export function checkCopyConditions(row: ObjectRecord, c: CopyConditions, now = Date.now()): void {
  const modified = seconds(row.lastModified);
  if (c.ifMatch) {
    if (!etagListMatches(c.ifMatch, row.etag, false)) throw failed('x-amz-copy-source-If-Match');
  } else {
    const since = parseHttpDate(c.ifUnmodifiedSince);
    if (since !== undefined && modified > seconds(since)) throw failed('x-amz-copy-source-If-Unmodified-Since');
  }
  if (c.ifNoneMatch) {
    if (etagListMatches(c.ifNoneMatch, row.etag, true)) throw failed('x-amz-copy-source-If-None-Match');
  } else {
    const since = parseHttpDate(c.ifModifiedSince);
    if (since !== undefined && since <= now && modified <= seconds(since)) throw failed('x-amz-copy-source-If-Modified-Since');
  }
}

function checkCopySize(bytes: number): void {
  if (bytes > MAX_COPY_BYTES) {
    throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`);
  }
}

/** A failed length check here means the source file changed under us (another program wrote to it in place). */
function sourceChanged(err: unknown): unknown {
  if (err instanceof S3Error && err.code === 'IncompleteBody') {
    return new S3Error('InternalError', 'The source object changed while it was being copied. Please try again.');
  }
  return err;
}

export async function copyObject(deps: NamespaceDeps, req: CopyObjectRequest): Promise<{ row: ObjectRecord; source: ObjectRecord }> {
  // The destination is checked first: no source is opened for a copy that cannot land.
  validateKey(req.key);
  await requireBucket(deps, req.bucket);
  let plan: CopyPlan | undefined;
  const opened: OpenedObject = await openObject(deps, req.source.bucket, req.source.key, (row) => {
    checkCopyConditions(row, req.source.conditions);
    checkCopySize(row.size);
    plan = req.plan(row);
    return undefined;
  });
  const source = opened.row;
  try {
    if (!plan) throw new Error('copy plan not made');
    // The checksum is computed in the same pass as the MD5.
    const checks = plan.computeChecksum === undefined ? undefined : { algorithm: plan.computeChecksum };
    if (isDirectoryKey(req.key)) {
      // A directory marker is made the one way markers are made (and must be empty).
      const row = await putObject(deps, {
        bucket: req.bucket, key: req.key, user: req.user, headers: plan.headers, userMetadata: plan.userMetadata,
        extras: plan.extras, contentLength: source.size, body: () => opened.body, signal: req.signal, precondition: req.precondition, checksum: checks,
      });
      return { row, source };
    }
    await checkKeyConflicts(deps, req.bucket, req.key);
    const extras: ObjectExtras = { ...plan.extras };
    const { staged, md5, size, checksum } = await stageBody(deps, opened.body, source.size, req.signal, checks)
      .catch((err: unknown) => { throw sourceChanged(err); });
    if (checksum !== undefined) extras.checksum = { algorithm: checksum.algorithm, value: checksum.value, type: 'FULL_OBJECT' };
    const row = newObjectRow({
      bucket: req.bucket,
      key: req.key,
      size,
      // A plain MD5 even when the source was multipart: the copy is one new write (partSizes null).
      etag: md5,
      owner: req.user,
      headers: plan.headers,
      userMetadata: plan.userMetadata,
      extras,
    });
    await commitObject(deps, staged, row, undefined, req.precondition);
    return { row, source };
  } finally {
    opened.body.destroy(); // a no-op once consumed; closes the file when the copy was refused
  }
}

export interface CopyPartRequest {
  source: CopySource;
  bucket: string;
  key: string;
  uploadId: string;
  partNumber: number;
  /** The bytes of the source to copy (x-amz-copy-source-range), judged against the source row; undefined = all. */
  range?: (source: ObjectRecord) => ReadRange | undefined;
  signal?: AbortSignal;
}

export interface CopyPartResult {
  part: PartRecord;
  source: ObjectRecord;
  upload: UploadRecord;
}

export async function copyPart(deps: NamespaceDeps, req: CopyPartRequest): Promise<CopyPartResult> {
  const upload = await requireUpload(deps, req.bucket, req.key, req.uploadId);
  let length = 0;
  const opened = await openObject(deps, req.source.bucket, req.source.key, (row) => {
    checkCopyConditions(row, req.source.conditions);
    const wanted = req.range?.(row);
    length = wanted ? wanted.end - wanted.start + 1 : row.size;
    checkCopySize(length);
    return wanted;
  });
  try {
    const part = await uploadPart(deps, {
      bucket: req.bucket, key: req.key, uploadId: req.uploadId, partNumber: req.partNumber,
      contentLength: length, body: () => opened.body, signal: req.signal,
      // An upload that asked for a checksum gets one for a copied part as for an uploaded one, computed in the same pass.
      checksum: (current) => ({
        algorithm: current.extras.checksumAlgorithm === undefined ? undefined : parseChecksumAlgorithm(current.extras.checksumAlgorithm),
      }),
    }).catch((err: unknown) => { throw sourceChanged(err); });
    return { part, source: opened.row, upload };
  } finally {
    opened.body.destroy();
  }
}
