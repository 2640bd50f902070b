// Multipart operations: CreateMultipartUpload, UploadPart, ListParts,
// CompleteMultipartUpload (with the standard body, or none: then every uploaded
// part in order, as the spec does), AbortMultipartUpload.
import type { CompletedPart } from '../../namespace/multipart.ts';
import { parsePartNumber } from '../../namespace/multipart.ts';
import type { Handler } from '../context.ts';
import { S3Error } from '../errors.ts';
import { childrenOf, isTree, readXmlBody, textOf } from '../xml/parser.ts';
import { S3_XMLNS, el, elA } from '../xml/writer.ts';
import { intParam, isoDate, ownerXml, quoteETag, storedHeadersFrom, userMetadataFrom } from './common.ts';

export const createMultipartUpload: Handler = async (ctx) => {
  const upload = await ctx.ns.createUpload({
    bucket: ctx.bucket,
    key: ctx.key,
    user: ctx.user,
    headers: storedHeadersFrom(ctx),
    userMetadata: userMetadataFrom(ctx),
    extras: {},
  });
  return {
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
  const part = await ctx.ns.uploadPart({
    bucket: ctx.bucket,
    key: ctx.key,
    uploadId: uploadIdOf(ctx),
    partNumber,
    contentLength: ctx.contentLength,
    body: () => ctx.body(),
    signal: ctx.signal,
  });
  return { headers: { ETag: quoteETag(part.etag) } };
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
        el('Size', p.size)))),
  };
};

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
    return { partNumber: Number(number), etag };
  });
}

export const completeMultipartUpload: Handler = async (ctx) => {
  const uploadId = uploadIdOf(ctx);
  await ctx.ns.requireUpload(ctx.bucket, ctx.key, uploadId);
  const parts = await requestedParts(ctx);
  const row = await ctx.ns.completeUpload({ bucket: ctx.bucket, key: ctx.key, uploadId, parts, signal: ctx.signal });
  return {
    xml: elA('CompleteMultipartUploadResult', { xmlns: S3_XMLNS },
      el('Location', `/${ctx.bucket}/${ctx.key}`),
      el('Bucket', ctx.bucket),
      el('Key', ctx.key),
      el('ETag', quoteETag(row.etag))),
  };
};

export const abortMultipartUpload: Handler = async (ctx) => {
  await ctx.ns.abortUpload(ctx.bucket, ctx.key, uploadIdOf(ctx));
  return { status: 204 };
};
