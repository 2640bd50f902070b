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
  return headers;
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
