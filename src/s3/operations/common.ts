// Helpers the operation families share: reading stored headers and user
// metadata from a request, writing them back on a response, dates and ETags.
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { el, type XmlElement } from '../xml/writer.ts';

/** Headers S3 stores with an object and returns on GET and HEAD. */
const STORED_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires'] as const;
const META_PREFIX = 'x-amz-meta-';
/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html: user metadata is limited to 2 KB. */
const MAX_USER_METADATA_BYTES = 2048;

export function storedHeadersFrom(ctx: RequestContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = ctx.header(name);
    // aws-chunked is how the body travelled, not how the object is encoded.
    if (name === 'content-encoding' && value !== undefined) {
      value = value.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'aws-chunked').join(',');
      if (value === '') continue;
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function userMetadataFrom(ctx: RequestContext): Record<string, string> {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    const key = name.slice(META_PREFIX.length);
    out[key] = text;
    bytes += Buffer.byteLength(key) + Buffer.byteLength(text);
  }
  if (bytes > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge', undefined, { Size: String(bytes), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) });
  return out;
}

export function quoteETag(etag: string): string {
  return `"${etag}"`;
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** The headers GET and HEAD return for an object. */
export function objectHeaders(row: ObjectRecord): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'Content-Type': row.headers['content-type'] ?? 'binary/octet-stream',
    ETag: quoteETag(row.etag),
    'Last-Modified': httpDate(row.lastModified),
    'Accept-Ranges': 'bytes',
  };
  for (const name of STORED_HEADERS) {
    if (name !== 'content-type' && row.headers[name] !== undefined) headers[name] = row.headers[name];
  }
  for (const [key, value] of Object.entries(row.userMetadata)) headers[`${META_PREFIX}${key}`] = value;
  // "The number of tags, if any, on the object" (GetObject; HEAD answers it too).
  const tagCount = row.extras.tags ? Object.keys(row.extras.tags).length : 0;
  if (tagCount > 0) headers['x-amz-tagging-count'] = tagCount;
  return headers;
}

/** GetObject/HeadObject query parameters that override a response header. */
const RESPONSE_OVERRIDES = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
] as const;

/**
 * Applies the `response-*` query overrides to GET/HEAD object headers. S3
 * honours them only on signed requests; there are no anonymous ones yet.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
 */
export function applyResponseOverrides(ctx: RequestContext, headers: Record<string, string | number>): void {
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const value = ctx.query.get(param);
    if (value === null) continue;
    // A control character would end or split the header.
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
      throw new S3Error('InvalidArgument', `${param} contains a character that cannot be sent in a header.`, { ArgumentName: param, ArgumentValue: value });
    }
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    }
    // Node writes header text as latin1: this puts the value's UTF-8 bytes (a
    // non-ASCII file name, say) on the wire, as stored headers' bytes are.
    headers[name] = Buffer.from(value, 'utf8').toString('latin1');
  }
}

export function ownerXml(user: string): XmlElement {
  return el('Owner', el('ID', user), el('DisplayName', user));
}

/** Only the null version exists until versioning arrives; rclone and others send `versionId=null`. */
export function checkVersionId(ctx: RequestContext): void {
  const versionId = ctx.query.get('versionId');
  if (versionId !== null && versionId !== 'null') throw new S3Error('NoSuchVersion', undefined, { Key: ctx.key, VersionId: versionId });
}

/** An integer query parameter in [min, max], or `fallback` when absent. */
export function intParam(ctx: RequestContext, name: string, fallback: number, min: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  }
  return Math.min(Number(raw), max);
}
