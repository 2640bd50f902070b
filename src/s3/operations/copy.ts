// CopyObject and UploadPartCopy: reads x-amz-copy-source, the copy-source
// conditions, the metadata and tagging directives and the copy range from the
// request; the copy itself (streamed, with the source read under its key lock)
// is the namespace's (src/namespace/copy.ts).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
import type { ObjectExtras, ObjectRecord } from '../../meta/metadata-store.ts';
import { aclFromHeaders, type Acl } from '../acl-model.ts';
import type { CopyConditions, CopyPlan, CopySource } from '../../namespace/copy.ts';
import { parsePartNumber } from '../../namespace/multipart.ts';
import type { ReadRange } from '../../storage/under-storage.ts';
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from '../../util/checksums.ts';
import type { Handler, RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { tagsFromHeader, validateTags } from '../tags.ts';
import { S3_XMLNS, el, elA, type XmlElement } from '../xml/writer.ts';
import { isoDate, quoteETag, storedHeadersFrom, userMetadataFrom } from './common.ts';
import { checkWriteEarly, writePrecondition } from './conditional.ts';

const SOURCE_HEADER = 'x-amz-copy-source';
const RANGE_HEADER = 'x-amz-copy-source-range';

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#AmazonS3-CopyObject-request-header-StorageClass */
const STORAGE_CLASSES: ReadonlySet<string> = new Set([
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE',
  'OUTPOSTS', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE', 'FSX_OPENZFS', 'FSX_ONTAP',
]);

const SELF_COPY_MESSAGE = 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.';

/**
 * `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally
 * followed by `?versionId=`. Only the null version exists (as for GET), so any
 * other version id is NoSuchVersion.
 */
export function parseCopySource(ctx: RequestContext): CopySource {
  const header = ctx.header(SOURCE_HEADER) ?? '';
  const invalid = (message: string): S3Error => new S3Error('InvalidArgument', message, { ArgumentName: SOURCE_HEADER, ArgumentValue: header });
  let text = header.startsWith('/') ? header.slice(1) : header;
  let versionId: string | null = null;
  const q = text.indexOf('?');
  if (q >= 0) {
    versionId = new URLSearchParams(text.slice(q + 1)).get('versionId');
    text = text.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw invalid('Invalid copy source encoding');
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw invalid('Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const bucket = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  if (versionId !== null && versionId !== 'null') throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
  return { bucket, key, conditions: copyConditions(ctx) };
}

function optionalHeader(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.header(name)?.trim();
  return value === '' ? undefined : value;
}

function copyConditions(ctx: RequestContext): CopyConditions {
  return {
    ifMatch: optionalHeader(ctx, 'x-amz-copy-source-if-match'),
    ifNoneMatch: optionalHeader(ctx, 'x-amz-copy-source-if-none-match'),
    ifModifiedSince: optionalHeader(ctx, 'x-amz-copy-source-if-modified-since'),
    ifUnmodifiedSince: optionalHeader(ctx, 'x-amz-copy-source-if-unmodified-since'),
  };
}

/** x-amz-metadata-directive / x-amz-tagging-directive: COPY (the default) or REPLACE. */
function directive(ctx: RequestContext, name: string, what: string): 'COPY' | 'REPLACE' {
  const value = optionalHeader(ctx, name);
  if (value === undefined) return 'COPY';
  const upper = value.toUpperCase();
  if (upper === 'COPY' || upper === 'REPLACE') return upper;
  throw new S3Error('InvalidArgument', `Unknown ${what} directive.`, { ArgumentName: name, ArgumentValue: value });
}

/** x-amz-storage-class, as stored in extras: undefined for STANDARD (the default) and when absent. */
function storageClassFrom(ctx: RequestContext): { given: boolean; stored: string | undefined } {
  const value = ctx.header('x-amz-storage-class');
  if (value === undefined) return { given: false, stored: undefined };
  if (!STORAGE_CLASSES.has(value)) throw new S3Error('InvalidStorageClass', undefined, { StorageClassRequested: value });
  return { given: true, stored: value === 'STANDARD' ? undefined : value };
}

/**
 * What the copy keeps from the source and what it takes from the request.
 * Metadata (stored headers and x-amz-meta-*) follows x-amz-metadata-directive,
 * tags follow x-amz-tagging-directive, the storage class is the request's
 * (STANDARD when absent: S3 does not copy it), and the ACL is never copied:
 * the copy is private to its writer unless x-amz-acl / x-amz-grant-* say otherwise.
 * The source's checksum is kept (the bytes are the same) unless another
 * algorithm is asked for; a multipart source's composite checksum cannot
 * describe the single-part copy, so a full-object one is computed instead.
 */
function copyPlanner(ctx: RequestContext, source: CopySource, acl: Acl | undefined): (row: ObjectRecord) => CopyPlan {
  const metadata = directive(ctx, 'x-amz-metadata-directive', 'metadata');
  const tagging = directive(ctx, 'x-amz-tagging-directive', 'tagging');
  const storageClass = storageClassFrom(ctx);
  const requestHeaders = metadata === 'REPLACE' ? storedHeadersFrom(ctx) : undefined;
  const requestMetadata = metadata === 'REPLACE' ? userMetadataFrom(ctx) : undefined;
  // x-amz-tagging is read only with REPLACE: with COPY the source's tags are copied and the header is ignored.
  const requestTags = tagging === 'REPLACE' ? validateTags(tagsFromHeader(ctx.header('x-amz-tagging') ?? ''), 'object') : undefined;
  const rawAlgorithm = optionalHeader(ctx, 'x-amz-checksum-algorithm');
  const requestedChecksum: ChecksumAlgorithm | undefined = rawAlgorithm === undefined ? undefined : parseChecksumAlgorithm(rawAlgorithm);
  const selfCopy = source.bucket === ctx.bucket && source.key === ctx.key;

  return (row) => {
    if (selfCopy && metadata !== 'REPLACE' && !storageClass.given) throw new S3Error('InvalidRequest', SELF_COPY_MESSAGE);
    const tags = requestTags ?? row.extras.tags;
    const extras: ObjectExtras = {};
    if (tags !== undefined && Object.keys(tags).length > 0) extras.tags = { ...tags };
    if (storageClass.stored !== undefined) extras.storageClass = storageClass.stored;
    if (acl !== undefined) extras.acl = acl;
    let computeChecksum = requestedChecksum;
    const sourceChecksum = row.extras.checksum;
    if (computeChecksum === undefined && sourceChecksum !== undefined) {
      if (sourceChecksum.type === 'FULL_OBJECT') extras.checksum = { ...sourceChecksum };
      else computeChecksum = parseChecksumAlgorithm(sourceChecksum.algorithm);
    }
    return {
      headers: requestHeaders ?? { ...row.headers },
      userMetadata: requestMetadata ?? { ...row.userMetadata },
      extras,
      computeChecksum,
    };
  };
}

/** The Checksum<ALG> element (and ChecksumType where the result has one) for a stored checksum. */
function checksumXml(algorithm: string | undefined, value: string | undefined, type?: string): XmlElement[] {
  if (algorithm === undefined || value === undefined) return [];
  return [...(type === undefined ? [] : [el('ChecksumType', type)]), el(`Checksum${algorithm}`, value)];
}

export const copyObject: Handler = async (ctx) => {
  const source = parseCopySource(ctx);
  // The destination bucket first: NoSuchBucket before any header is judged, and bucket-owner-* ACLs need its owner.
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  const acl = aclFromHeaders((name) => ctx.header(name), ctx.user, bucket.owner, 'object');
  const plan = copyPlanner(ctx, source, acl);
  const precondition = writePrecondition(ctx);
  await checkWriteEarly(ctx, precondition);
  const { row } = await ctx.ns.copyObject({
    source, bucket: ctx.bucket, key: ctx.key, user: ctx.user, plan, precondition, signal: ctx.signal,
  });
  const checksum = row.extras.checksum;
  return {
    xml: elA('CopyObjectResult', { xmlns: S3_XMLNS },
      el('ETag', quoteETag(row.etag)),
      el('LastModified', isoDate(row.lastModified)),
      checksumXml(checksum?.algorithm, checksum?.value, checksum?.type)),
  };
};

/**
 * x-amz-copy-source-range: exactly `bytes=first-last` (both offsets, inclusive);
 * the syntax is refused before the source is looked at, a range that does not
 * fit the source once its size is known.
 */
function copyRange(ctx: RequestContext): ((row: ObjectRecord) => ReadRange) | undefined {
  const header = ctx.header(RANGE_HEADER);
  if (header === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  const start = m ? Number(m[1]) : NaN;
  const end = m ? Number(m[2]) : NaN;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new S3Error('InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      { ArgumentName: RANGE_HEADER, ArgumentValue: header });
  }
  return (row) => {
    if (end >= row.size) {
      throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${row.size}`,
        { ArgumentName: RANGE_HEADER, ArgumentValue: header });
    }
    return { start, end };
  };
}

export const uploadPartCopy: Handler = async (ctx) => {
  const partNumber = parsePartNumber(ctx.query.get('partNumber'));
  const uploadId = ctx.query.get('uploadId');
  if (!uploadId) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId ?? '' });
  const source = parseCopySource(ctx);
  const range = copyRange(ctx);
  const { part } = await ctx.ns.copyPart({
    source, bucket: ctx.bucket, key: ctx.key, uploadId, partNumber, range, signal: ctx.signal,
  });
  return {
    xml: elA('CopyPartResult', { xmlns: S3_XMLNS },
      el('ETag', quoteETag(part.etag)),
      el('LastModified', isoDate(part.lastModified)),
      checksumXml(part.extras.checksumAlgorithm, part.extras.checksum)),
  };
};
