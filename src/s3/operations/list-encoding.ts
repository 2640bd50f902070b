// What the listing operations (ListObjects, ListObjectsV2, ListObjectVersions,
// ListMultipartUploads) share: `encoding-type=url`, and the per-object fields
// that come from an object's extras (storage class, checksum algorithm).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#API_ListObjectsV2_RequestSyntax
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { el, type XmlElement } from '../xml/writer.ts';

export type Encode = (text: string) => string;

/**
 * S3's `encoding-type=url`: form-style percent-encoding ('/' kept, space as
 * '+', '+' as %2B), which botocore's unquote_plus reverses. Measured against
 * S3: `a b.txt` -> `a+b.txt`, `a+b.txt` -> `a%2Bb.txt`, `100%.csv` -> `100%25.csv`.
 */
export function urlEncode(text: string): string {
  return encodeURIComponent(text).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** The encoder the request asked for: identity, or urlEncode for `encoding-type=url`. */
export function encoderFor(ctx: RequestContext): Encode {
  const type = ctx.query.get('encoding-type');
  if (type === null) return (t) => t;
  if (type !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: type });
  }
  return urlEncode;
}

/** The `<EncodingType>` element, present only when the request asked for an encoding. */
export function encodingTypeXml(ctx: RequestContext): XmlElement | undefined {
  return ctx.query.has('encoding-type') ? el('EncodingType', 'url') : undefined;
}

export function storageClassOf(row: ObjectRecord): string {
  return row.extras.storageClass ?? 'STANDARD';
}

/** ChecksumAlgorithm and ChecksumType of a listed object, when it has a checksum (they follow ETag). */
export function checksumListXml(row: ObjectRecord): XmlElement[] {
  const checksum = row.extras.checksum;
  if (checksum === undefined) return [];
  return [el('ChecksumAlgorithm', checksum.algorithm), el('ChecksumType', checksum.type)];
}
