// Object operations: PutObject, GetObject (with Range), HeadObject, DeleteObject.
import type { ReadRange } from '../../storage/under-storage.ts';
import type { Handler } from '../context.ts';
import { S3Error } from '../errors.ts';
import { checkVersionId, objectHeaders, quoteETag, storedHeadersFrom, userMetadataFrom } from './common.ts';

export const putObject: Handler = async (ctx) => {
  const row = await ctx.ns.putObject({
    bucket: ctx.bucket,
    key: ctx.key,
    user: ctx.user,
    headers: storedHeadersFrom(ctx),
    userMetadata: userMetadataFrom(ctx),
    extras: {},
    contentLength: ctx.contentLength,
    body: () => ctx.body(),
    signal: ctx.signal,
  });
  return { headers: { ETag: quoteETag(row.etag) } };
};

/**
 * One `bytes=` range per RFC 9110: `a-b`, `a-` or `-n`. S3 ignores a header it
 * cannot parse and serves the whole object, and so do we.
 */
export function parseRange(header: string | undefined, size: number): ReadRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): S3Error {
  return new S3Error('InvalidRange', undefined, { ActualObjectSize: String(size) }, { 'Content-Range': `bytes */${size}` });
}

export const getObject: Handler = async (ctx) => {
  checkVersionId(ctx);
  let range: ReadRange | undefined;
  const { row, body } = await ctx.ns.openObject(ctx.bucket, ctx.key, (r) => (range = parseRange(ctx.header('range'), r.size)));
  const headers = objectHeaders(row);
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${row.size}`;
    headers['Content-Length'] = range.end - range.start + 1;
    return { status: 206, headers, body };
  }
  headers['Content-Length'] = row.size;
  return { headers, body };
};

export const headObject: Handler = async (ctx) => {
  checkVersionId(ctx);
  const row = await ctx.ns.headObject(ctx.bucket, ctx.key);
  const headers = objectHeaders(row);
  const range = parseRange(ctx.header('range'), row.size);
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${row.size}`;
    headers['Content-Length'] = range.end - range.start + 1;
    return { status: 206, headers };
  }
  headers['Content-Length'] = row.size;
  return { headers };
};

export const deleteObject: Handler = async (ctx) => {
  checkVersionId(ctx);
  await ctx.ns.deleteObject(ctx.bucket, ctx.key);
  return { status: 204 };
};
