// ListObjects (V1) and ListObjectsV2. The spec's V1 requests pass
// `continuation-token` and read `KeyCount`/`NextContinuationToken`, so V1
// honours the token and returns those elements beside Marker/NextMarker.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import type { ListPage } from '../../namespace/listing.ts';
import type { Handler, RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { S3_XMLNS, el, elA, opt, type XmlElement } from '../xml/writer.ts';
import { intParam, isoDate, ownerXml, quoteETag } from './common.ts';

const MAX_KEYS = 1000;

/** S3's `encoding-type=url`: form-style percent-encoding that botocore's unquote_plus reverses. */
function urlEncode(text: string): string {
  return encodeURIComponent(text).replace(/%2F/g, '/').replace(/%20/g, '+');
}

function encoder(ctx: RequestContext): (text: string) => string {
  const type = ctx.query.get('encoding-type');
  if (type === null) return (t) => t;
  if (type !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: type });
  return urlEncode;
}

function contentsXml(row: ObjectRecord, encode: (t: string) => string, withOwner: boolean): XmlElement {
  return el('Contents',
    el('Key', encode(row.key)),
    el('LastModified', isoDate(row.lastModified)),
    el('ETag', quoteETag(row.etag)),
    el('Size', row.size),
    withOwner ? ownerXml(row.owner) : undefined,
    el('StorageClass', 'STANDARD'));
}

function commonPrefixesXml(page: ListPage, encode: (t: string) => string): XmlElement[] {
  return page.commonPrefixes.map((p) => el('CommonPrefixes', el('Prefix', encode(p))));
}

interface Common {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: (t: string) => string;
}

function commonParams(ctx: RequestContext): Common {
  return {
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: ctx.query.get('delimiter') ?? '',
    maxKeys: intParam(ctx, 'max-keys', MAX_KEYS, 0, MAX_KEYS),
    encode: encoder(ctx),
  };
}

export const listObjectsV1: Handler = async (ctx) => {
  const p = commonParams(ctx);
  const marker = ctx.query.get('marker') ?? '';
  const token = ctx.query.get('continuation-token');
  const page = await ctx.ns.list(ctx.bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    after: token === null && marker !== '' ? marker : undefined,
    from: token ?? undefined,
    maxKeys: p.maxKeys,
  });
  const keyCount = page.contents.length + page.commonPrefixes.length;
  return {
    xml: elA('ListBucketResult', { xmlns: S3_XMLNS },
      el('Name', ctx.bucket),
      el('Prefix', p.encode(p.prefix)),
      el('Marker', p.encode(marker)),
      page.isTruncated ? opt('NextMarker', page.lastReturned === undefined ? undefined : p.encode(page.lastReturned)) : undefined,
      // Present even when empty, as the spec's responses show them.
      el('ContinuationToken', token ?? ''),
      el('NextContinuationToken', page.isTruncated ? (page.nextStart ?? '') : ''),
      el('KeyCount', keyCount),
      el('MaxKeys', p.maxKeys),
      p.delimiter !== '' ? el('Delimiter', p.encode(p.delimiter)) : undefined,
      el('IsTruncated', page.isTruncated),
      ctx.query.has('encoding-type') ? el('EncodingType', 'url') : undefined,
      page.contents.map((row) => contentsXml(row, p.encode, true)),
      commonPrefixesXml(page, p.encode)),
  };
};

export const listObjectsV2: Handler = async (ctx) => {
  if (ctx.query.get('list-type') !== '2') {
    throw new S3Error('InvalidArgument', 'Invalid List Type specified in Request', { ArgumentName: 'list-type', ArgumentValue: ctx.query.get('list-type') ?? '' });
  }
  const p = commonParams(ctx);
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after') ?? '';
  if (token === '') throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  const page = await ctx.ns.list(ctx.bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    after: token === null && startAfter !== '' ? startAfter : undefined,
    from: token ?? undefined,
    maxKeys: p.maxKeys,
  });
  const withOwner = ctx.query.get('fetch-owner') === 'true';
  return {
    xml: elA('ListBucketResult', { xmlns: S3_XMLNS },
      el('Name', ctx.bucket),
      el('Prefix', p.encode(p.prefix)),
      p.delimiter !== '' ? el('Delimiter', p.encode(p.delimiter)) : undefined,
      el('MaxKeys', p.maxKeys),
      el('KeyCount', page.contents.length + page.commonPrefixes.length),
      el('IsTruncated', page.isTruncated),
      token !== null ? el('ContinuationToken', token) : undefined,
      page.isTruncated ? opt('NextContinuationToken', page.nextStart) : undefined,
      startAfter !== '' ? el('StartAfter', p.encode(startAfter)) : undefined,
      ctx.query.has('encoding-type') ? el('EncodingType', 'url') : undefined,
      page.contents.map((row) => contentsXml(row, p.encode, withOwner)),
      commonPrefixesXml(page, p.encode)),
  };
};
