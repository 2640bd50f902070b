// ListObjectVersions (GET /bucket?versions). Buckets have no versioning yet,
// so every object is its one `null` version, the latest, and there are no
// delete markers: the listing is the object listing with version fields, and
// (key-marker, version-id-marker=null) resumes strictly after the key, which
// is how tools that empty a bucket page through it before DeleteObjects.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
import { NULL_VERSION, type ObjectRecord } from '../../meta/metadata-store.ts';
import type { Handler, RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { S3_XMLNS, el, elA, type XmlElement } from '../xml/writer.ts';
import { intParam, isoDate, ownerXml, quoteETag } from './common.ts';
import { checksumListXml, encoderFor, encodingTypeXml, storageClassOf, type Encode } from './list-encoding.ts';
import { commonPrefixesXml } from './list.ts';

const MAX_KEYS = 1000;

function versionXml(row: ObjectRecord, encode: Encode): XmlElement {
  return el('Version',
    el('Key', encode(row.key)),
    el('VersionId', row.versionId),
    el('IsLatest', true),
    el('LastModified', isoDate(row.lastModified)),
    el('ETag', quoteETag(row.etag)),
    checksumListXml(row),
    el('Size', row.size),
    ownerXml(row.owner),
    el('StorageClass', storageClassOf(row)));
}

/**
 * The markers, checked in the order S3 checks them (after max-keys, before
 * encoding-type): a version-id marker needs a key marker, may not be empty,
 * and must name a version that can exist, which today is only `null`.
 */
function markersOf(ctx: RequestContext): { keyMarker: string; versionIdMarker: string | null } {
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker');
  if (versionIdMarker !== null) {
    if (keyMarker === '') throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker });
    if (versionIdMarker === '') throw new S3Error('InvalidArgument', 'A version-id marker cannot be empty.', { ArgumentName: 'version-id-marker', ArgumentValue: '' });
    if (versionIdMarker !== NULL_VERSION) throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker });
  }
  return { keyMarker, versionIdMarker };
}

export const listObjectVersions: Handler = async (ctx) => {
  if (ctx.key !== '') throw new S3Error('InvalidRequest', 'There is no such thing as the ?versions sub-resource for a key');
  const maxKeys = intParam(ctx, 'max-keys', MAX_KEYS, 0, MAX_KEYS);
  const { keyMarker, versionIdMarker } = markersOf(ctx);
  const encode = encoderFor(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  // The only version of a key is its null version, so "after (key, null)" and "after key" are the same place.
  const page = await ctx.ns.list(ctx.bucket, { prefix, delimiter, after: keyMarker === '' ? undefined : keyMarker, maxKeys });
  const last = page.lastReturned;
  const lastIsPrefix = last !== undefined && page.commonPrefixes.at(-1) === last;
  return {
    xml: elA('ListVersionsResult', { xmlns: S3_XMLNS },
      el('Name', ctx.bucket),
      el('Prefix', encode(prefix)),
      el('KeyMarker', encode(keyMarker)),
      el('VersionIdMarker', versionIdMarker ?? ''),
      page.isTruncated && last !== undefined ? el('NextKeyMarker', encode(last)) : undefined,
      // A page that ends on a common prefix resumes after the prefix alone: no version marker.
      page.isTruncated && last !== undefined && !lastIsPrefix ? el('NextVersionIdMarker', NULL_VERSION) : undefined,
      el('MaxKeys', maxKeys),
      delimiter !== '' ? el('Delimiter', encode(delimiter)) : undefined,
      el('IsTruncated', page.isTruncated),
      encodingTypeXml(ctx),
      page.contents.map((row) => versionXml(row, encode)),
      commonPrefixesXml(page.commonPrefixes, encode)),
  };
};
