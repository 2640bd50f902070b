// ListMultipartUploads (GET /bucket?uploads): in-progress uploads in (key,
// upload id) order, grouped by delimiter into CommonPrefixes, paged by
// key-marker / upload-id-marker.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
import type { UploadRecord } from '../../meta/metadata-store.ts';
import type { Handler } from '../context.ts';
import { S3Error } from '../errors.ts';
import { S3_XMLNS, el, elA, opt, type XmlElement } from '../xml/writer.ts';
import { intParam, isoDate, ownerXml } from './common.ts';
import { encoderFor, encodingTypeXml, type Encode } from './list-encoding.ts';
import { commonPrefixesXml } from './list.ts';

/** "Sets the maximum number of multipart uploads, from 1 to 1,000": the default, and the cap. */
const MAX_UPLOADS = 1000;

function uploadXml(upload: UploadRecord, encode: Encode): XmlElement {
  return el('Upload',
    el('Key', encode(upload.key)),
    el('UploadId', upload.uploadId),
    el('Initiator', el('ID', upload.owner), el('DisplayName', upload.owner)),
    ownerXml(upload.owner),
    el('StorageClass', upload.extras.storageClass ?? 'STANDARD'),
    el('Initiated', isoDate(upload.initiated)),
    opt('ChecksumAlgorithm', upload.extras.checksumAlgorithm),
    opt('ChecksumType', upload.extras.checksumType));
}

export const listMultipartUploads: Handler = async (ctx) => {
  if (ctx.key !== '') throw new S3Error('InvalidRequest', 'Key is not expected for the GET method ?uploads subresource');
  const maxUploads = intParam(ctx, 'max-uploads', MAX_UPLOADS, 0, MAX_UPLOADS);
  const encode = encoderFor(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  // Without a key marker S3 ignores the upload-id marker (and echoes it all the same).
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const page = await ctx.ns.listUploads(ctx.bucket, {
    prefix, delimiter, keyMarker, uploadIdMarker: keyMarker === '' ? '' : uploadIdMarker, maxUploads,
  });
  return {
    xml: elA('ListMultipartUploadsResult', { xmlns: S3_XMLNS },
      el('Bucket', ctx.bucket),
      el('KeyMarker', encode(keyMarker)),
      el('UploadIdMarker', uploadIdMarker),
      // S3 sends the next markers whenever the page lists something, truncated or not.
      page.nextKeyMarker !== undefined ? el('NextKeyMarker', encode(page.nextKeyMarker)) : undefined,
      page.nextKeyMarker !== undefined ? el('NextUploadIdMarker', page.nextUploadIdMarker ?? '') : undefined,
      delimiter !== '' ? el('Delimiter', encode(delimiter)) : undefined,
      el('Prefix', encode(prefix)),
      el('MaxUploads', maxUploads),
      el('IsTruncated', page.isTruncated),
      encodingTypeXml(ctx),
      page.uploads.map((u) => uploadXml(u, encode)),
      commonPrefixesXml(page.commonPrefixes, encode)),
  };
};
