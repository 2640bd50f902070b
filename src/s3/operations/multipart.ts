// Multipart operations: CreateMultipartUpload, UploadPart, ListParts,
// CompleteMultipartUpload (with the standard body, or none: then every uploaded
// part in order, as the spec does), AbortMultipartUpload.
import type { CompletedPart } from '../../namespace/multipart.ts';
import type { PartChecksum } from '../../namespace/multipart-checksums.ts';
import { CHECKSUM_ALGORITHMS, isWellFormedChecksum } from '../../util/checksums.ts';
import { parsePartNumber } from '../../namespace/multipart.ts';
import type { Handler } from '../context.ts';
import { S3Error } from '../errors.ts';
import { childrenOf, isTree, readXmlBody, textOf, type XmlTree } from '../xml/parser.ts';
import { S3_XMLNS, el, elA, opt } from '../xml/writer.ts';
import { intParam, isoDate, ownerXml, quoteETag, storedHeadersFrom, userMetadataFrom } from './common.ts';
import {
  DEFAULT_CHECKSUM_ALGORITHM, checksumHeaders, checksumXml, completeChecksumHeader, parseChecksumType,
  partChecksumFallback, requestChecksum, uploadChecksumFrom,
} from './checksum-headers.ts';
import { checkWriteEarly, writePrecondition } from './conditional.ts';
import { objectExtrasFromHeaders } from './write-extras.ts';

export const createMultipartUpload: Handler = async (ctx) => {
  const checksum = uploadChecksumFrom(ctx);
  const upload = await ctx.ns.createUpload({
    bucket: ctx.bucket,
    key: ctx.key,
    user: ctx.user,
    headers: storedHeadersFrom(ctx),
    userMetadata: userMetadataFrom(ctx),
    extras: { ...(await objectExtrasFromHeaders(ctx)), ...checksum },
  });
  return {
    headers: { 'x-amz-checksum-algorithm': checksum.checksumAlgorithm, 'x-amz-checksum-type': checksum.checksumType },
    xml: elA('InitiateMultipartUploadResult', { xmlns: S3_XMLNS },
      el('Bucket', ctx.bucket), el('Key', ctx.key), el('UploadId', upload.uploadId)),
  };
};

function uploadIdOf(ctx: Parameters<Handler>[0]): string {
  const id = ctx.query.get('uploadId');
  if (!id) throw new S3Error('NoSuchUpload', undefined, { UploadId: id ?? '' });
  return id;
}

export const uploadPart: Handler = async (ctx) => {
  const partNumber = parsePartNumber(ctx.query.get('partNumber'));
  const sent = requestChecksum(ctx);
  const part = await ctx.ns.uploadPart({
    bucket: ctx.bucket,
    key: ctx.key,
    uploadId: uploadIdOf(ctx),
    partNumber,
    contentLength: ctx.contentLength,
    body: sent.body,
    signal: ctx.signal,
    // The upload's declared checksum decides: a part of another algorithm is refused, a missing one may be computed.
    checksum: (upload) => {
      const fallback = partChecksumFallback(upload.extras, sent.requested);
      return fallback === undefined ? sent.checks : { ...sent.checks, algorithm: fallback };
    },
  });
  const { checksum, checksumAlgorithm } = part.extras;
  const echo = checksum !== undefined && checksumAlgorithm !== undefined ? checksumHeaders(checksumAlgorithm, checksum) : {};
  return { headers: { ETag: quoteETag(part.etag), ...echo } };
};

export const listParts: Handler = async (ctx) => {
  const uploadId = uploadIdOf(ctx);
  const upload = await ctx.ns.requireUpload(ctx.bucket, ctx.key, uploadId);
  const maxParts = intParam(ctx, 'max-parts', 1000, 0, 1000);
  const marker = intParam(ctx, 'part-number-marker', 0, 0, Number.MAX_SAFE_INTEGER);
  const page = await ctx.ns.listParts(uploadId, marker, maxParts + 1);
  const truncated = page.length > maxParts;
  const parts = page.slice(0, maxParts);
  return {
    xml: elA('ListPartsResult', { xmlns: S3_XMLNS },
      el('Bucket', ctx.bucket),
      el('Key', ctx.key),
      el('UploadId', uploadId),
      el('Initiator', el('ID', upload.owner), el('DisplayName', upload.owner)),
      ownerXml(upload.owner),
      el('StorageClass', 'STANDARD'),
      el('PartNumberMarker', marker),
      el('NextPartNumberMarker', parts.at(-1)?.partNumber ?? marker),
      el('MaxParts', maxParts),
      el('IsTruncated', truncated),
      parts.map((p) => el('Part',
        el('PartNumber', p.partNumber),
        el('LastModified', isoDate(p.lastModified)),
        el('ETag', quoteETag(p.etag)),
        el('Size', p.size),
        // Per-part checksums are listed for uploads that declared an algorithm (API_ListParts.html, Part).
        checksumXml(upload.extras.checksumAlgorithm, p.extras.checksum))),
      opt('ChecksumAlgorithm', upload.extras.checksumAlgorithm),
      opt('ChecksumType', upload.extras.checksumType)),
  };
};

/** The Checksum* element of a listed part, if any: one at most, well-formed (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html). */
function listedPartChecksum(part: XmlTree): PartChecksum | undefined {
  const found: PartChecksum[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = textOf(part[`Checksum${algorithm}`]);
    if (value === undefined) continue;
    if (!isWellFormedChecksum(algorithm, value.trim())) throw new S3Error('InvalidArgument', 'Invalid Base64 or multiple checksums present in request');
    found.push({ algorithm, value: value.trim() });
  }
  if (found.length > 1) throw new S3Error('InvalidArgument', 'Invalid Base64 or multiple checksums present in request');
  return found[0];
}

/** The parts a CompleteMultipartUpload body lists; undefined for an empty body. */
async function requestedParts(ctx: Parameters<Handler>[0]): Promise<CompletedPart[] | undefined> {
  const tree = await readXmlBody(ctx.body());
  if (tree === undefined) return undefined;
  const root = tree.CompleteMultipartUpload;
  if (!isTree(root) && textOf(root) !== '') throw new S3Error('MalformedXML');
  if (!isTree(root)) return [];
  return childrenOf(root, 'Part').map((part) => {
    if (!isTree(part)) throw new S3Error('MalformedXML');
    const number = textOf(part.PartNumber);
    const etag = textOf(part.ETag);
    if (number === undefined || !/^\d+$/.test(number) || etag === undefined) throw new S3Error('MalformedXML');
    return { partNumber: Number(number), etag, checksum: listedPartChecksum(part) };
  });
}

export const completeMultipartUpload: Handler = async (ctx) => {
  const uploadId = uploadIdOf(ctx);
  await ctx.ns.requireUpload(ctx.bucket, ctx.key, uploadId);
  // If-None-Match: * / If-Match: checked now (before the body) and again under the key lock.
  const precondition = writePrecondition(ctx);
  await checkWriteEarly(ctx, precondition);
  // The object checksum the client expects, and the type it believes the upload has: judged before the body is read.
  const checksum = { type: parseChecksumType(ctx), expected: completeChecksumHeader(ctx), defaultAlgorithm: DEFAULT_CHECKSUM_ALGORITHM };
  const parts = await requestedParts(ctx);
  const row = await ctx.ns.completeUpload({ bucket: ctx.bucket, key: ctx.key, uploadId, parts, signal: ctx.signal, precondition, checksum });
  const stored = row.extras.checksum;
  return {
    xml: elA('CompleteMultipartUploadResult', { xmlns: S3_XMLNS },
      el('Location', `/${ctx.bucket}/${ctx.key}`),
      el('Bucket', ctx.bucket),
      el('Key', ctx.key),
      el('ETag', quoteETag(row.etag)),
      checksumXml(stored?.algorithm, stored?.value),
      opt('ChecksumType', stored?.type)),
  };
};

export const abortMultipartUpload: Handler = async (ctx) => {
  await ctx.ns.abortUpload(ctx.bucket, ctx.key, uploadIdOf(ctx));
  return { status: 204 };
};
