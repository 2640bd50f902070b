// ListObjects (V1) and ListObjectsV2. The spec's V1 requests pass
// `continuation-token` and read `KeyCount`/`NextContinuationToken`, so V1
// honours the token and returns those elements beside Marker/NextMarker.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import type { ListPage } from '../../namespace/listing.ts';
import type { Handler, RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { S3_XMLNS, el, elA, opt, type XmlElement } from '../xml/writer.ts';
import { intParam, isoDate, ownerXml, quoteETag } from './common.ts';
import { checksumListXml, encoderFor, encodingTypeXml, storageClassOf, type Encode } from './list-encoding.ts';

const MAX_KEYS = 1000;

function contentsXml(row: ObjectRecord, encode: Encode, withOwner: boolean): XmlElement {
  return el('Contents',
    el('Key', encode(row.key)),
    el('LastModified', isoDate(row.lastModified)),
    el('ETag', quoteETag(row.etag)),
    checksumListXml(row),
    el('Size', row.size),
    withOwner ? ownerXml(row.owner) : undefined,
    el('StorageClass', storageClassOf(row)));
}

export function commonPrefixesXml(prefixes: readonly string[], encode: Encode): XmlElement[] {
  return prefixes.map((p) => el('CommonPrefixes', el('Prefix', encode(p))));
}

interface Common {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: Encode;
}

function commonParams(ctx: RequestContext): Common {
  return {
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: ctx.query.get('delimiter') ?? '',
    maxKeys: intParam(ctx, 'max-keys', MAX_KEYS, 0, MAX_KEYS),
    encode: encoderFor(ctx),
  };
}

/** The continuation token, or undefined when absent or empty: S3 treats `continuation-token=` as no token (and echoes it). */
function tokenOf(ctx: RequestContext): string | undefined {
  const token = ctx.query.get('continuation-token');
  return token === null || token === '' ? undefined : token;
}

function keyCount(page: ListPage): number {
  return page.contents.length + page.commonPrefixes.length;
}

export const listObjectsV1: Handler = async (ctx) => {
  const p = commonParams(ctx);
  const marker = ctx.query.get('marker') ?? '';
  const token = tokenOf(ctx);
  const page = await ctx.ns.list(ctx.bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    after: token === undefined && marker !== '' ? marker : undefined,
    from: token,
    maxKeys: p.maxKeys,
  });
  return {
    xml: elA('ListBucketResult', { xmlns: S3_XMLNS },
      el('Name', ctx.bucket),
      el('Prefix', p.encode(p.prefix)),
      el('Marker', p.encode(marker)),
      page.isTruncated ? opt('NextMarker', page.lastReturned === undefined ? undefined : p.encode(page.lastReturned)) : undefined,
      // Present even when empty, as the spec's responses show them.
      el('ContinuationToken', ctx.query.get('continuation-token') ?? ''),
      el('NextContinuationToken', page.isTruncated ? (page.nextStart ?? '') : ''),
      el('KeyCount', keyCount(page)),
      el('MaxKeys', p.maxKeys),
      p.delimiter !== '' ? el('Delimiter', p.encode(p.delimiter)) : undefined,
      el('IsTruncated', page.isTruncated),
      encodingTypeXml(ctx),
      page.contents.map((row) => contentsXml(row, p.encode, true)),
      commonPrefixesXml(page.commonPrefixes, p.encode)),
  };
};

export const listObjectsV2: Handler = async (ctx) => {
  if (ctx.query.get('list-type') !== '2') {
    throw new S3Error('InvalidArgument', 'Invalid List Type specified in Request', { ArgumentName: 'list-type', ArgumentValue: ctx.query.get('list-type') ?? '' });
  }
  const p = commonParams(ctx);
  const token = tokenOf(ctx);
  const startAfter = ctx.query.get('start-after') ?? '';
  const page = await ctx.ns.list(ctx.bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    // A continuation token wins over start-after (both are echoed).
    after: token === undefined && startAfter !== '' ? startAfter : undefined,
    from: token,
    maxKeys: p.maxKeys,
  });
  const withOwner = ctx.query.get('fetch-owner') === 'true';
  const sentToken = ctx.query.get('continuation-token');
  return {
    xml: elA('ListBucketResult', { xmlns: S3_XMLNS },
      el('Name', ctx.bucket),
      el('Prefix', p.encode(p.prefix)),
      p.delimiter !== '' ? el('Delimiter', p.encode(p.delimiter)) : undefined,
      el('MaxKeys', p.maxKeys),
      el('KeyCount', keyCount(page)),
      el('IsTruncated', page.isTruncated),
      sentToken !== null ? el('ContinuationToken', sentToken) : undefined,
      page.isTruncated ? opt('NextContinuationToken', page.nextStart) : undefined,
      startAfter !== '' ? el('StartAfter', p.encode(startAfter)) : undefined,
      encodingTypeXml(ctx),
      page.contents.map((row) => contentsXml(row, p.encode, withOwner)),
      commonPrefixesXml(page.commonPrefixes, p.encode)),
  };
};
