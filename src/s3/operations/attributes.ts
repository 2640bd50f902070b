// GetObjectAttributes (GET /bucket/key?attributes): the attributes named in
// x-amz-object-attributes, and only those, without the object's data.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
// What S3 answers, beyond the reference: the ETag is unquoted; a composite
// checksum is shown without its "-N" part-count suffix; ObjectParts exists
// only for multipart objects, and lists Part elements (paged by
// x-amz-max-parts / x-amz-part-number-marker) only when the parts carry
// checksums; otherwise it holds PartsCount alone (API_GetObjectAttributesParts).
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import type { Handler, RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { S3_XMLNS, el, elA, type XmlElement } from '../xml/writer.ts';
import { checkVersionId, httpDate } from './common.ts';
import { NotModified, checkReadPreconditions, notModifiedResult } from './conditional.ts';

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];
const MAX_PARTS = 1000;

/** The requested attributes; checked after the bucket, before the key (versitygw's S3 compatibility tests). */
function requestedAttributes(ctx: RequestContext): Set<Attribute> {
  const names = (ctx.header('x-amz-object-attributes') ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) {
    throw new S3Error('InvalidRequest', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
  }
  for (const name of names) {
    if (!(ATTRIBUTES as readonly string[]).includes(name)) throw new S3Error('InvalidArgument', 'Invalid attribute name specified.');
  }
  return new Set(names as Attribute[]);
}

/** An integer request header in [0, 2^31-1], or `fallback` when absent. */
function intHeader(ctx: RequestContext, name: string, fallback: number): number {
  const raw = ctx.header(name)?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 2147483647) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  }
  return Number(raw);
}

function checksumXml(row: ObjectRecord): XmlElement | undefined {
  const checksum = row.extras.checksum;
  if (checksum === undefined) return undefined;
  // Base64 never contains '-', so this only ever strips a composite checksum's part count.
  const value = checksum.value.replace(/-\d+$/, '');
  return el('Checksum', el(`Checksum${checksum.algorithm}`, value), el('ChecksumType', checksum.type));
}

function objectPartsXml(ctx: RequestContext, row: ObjectRecord): XmlElement | undefined {
  const sizes = row.partSizes;
  if (sizes === null) return undefined;
  const partChecksums = row.extras.partChecksums;
  const algorithm = row.extras.checksum?.algorithm;
  const maxParts = Math.min(intHeader(ctx, 'x-amz-max-parts', MAX_PARTS), MAX_PARTS);
  const marker = intHeader(ctx, 'x-amz-part-number-marker', 0);
  if (partChecksums === undefined || algorithm === undefined) return el('ObjectParts', el('PartsCount', sizes.length));
  // Parts are numbered 1..N in the order they were completed.
  const first = Math.min(marker, sizes.length);
  const shown = sizes.slice(first, first + maxParts);
  const truncated = first + shown.length < sizes.length;
  return el('ObjectParts',
    el('IsTruncated', truncated),
    el('MaxParts', maxParts),
    el('NextPartNumberMarker', first + shown.length),
    el('PartNumberMarker', marker),
    shown.map((size, i) => el('Part',
      partChecksums[first + i] === undefined ? undefined : el(`Checksum${algorithm}`, partChecksums[first + i]),
      el('PartNumber', first + i + 1),
      el('Size', size))),
    el('PartsCount', sizes.length));
}

export const getObjectAttributes: Handler = async (ctx) => {
  checkVersionId(ctx);
  await ctx.ns.getBucket(ctx.bucket);
  const wanted = requestedAttributes(ctx);
  const row = await ctx.ns.headObject(ctx.bucket, ctx.key);
  try {
    checkReadPreconditions(ctx, row);
  } catch (err) {
    if (err instanceof NotModified) return notModifiedResult(err.row);
    throw err;
  }
  return {
    headers: { 'Last-Modified': httpDate(row.lastModified) },
    xml: elA('GetObjectAttributesResponse', { xmlns: S3_XMLNS },
      wanted.has('ETag') ? el('ETag', row.etag) : undefined,
      wanted.has('Checksum') ? checksumXml(row) : undefined,
      wanted.has('ObjectParts') ? objectPartsXml(ctx, row) : undefined,
      wanted.has('StorageClass') ? el('StorageClass', row.extras.storageClass ?? 'STANDARD') : undefined,
      wanted.has('ObjectSize') ? el('ObjectSize', row.size) : undefined),
  };
};
