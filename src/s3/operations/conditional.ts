// Conditional requests: the read preconditions of GetObject and HeadObject
// (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) and the
// write preconditions of PutObject and CompleteMultipartUpload
// (If-None-Match: *, If-Match: etag).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import type { WritePrecondition } from '../../namespace/types.ts';
import type { RequestContext } from '../context.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { httpDate, quoteETag } from './common.ts';

/** 304 is not an error document: the handler catches this and answers without a body. */
export class NotModified extends Error {
  readonly row: ObjectRecord;
  constructor(row: ObjectRecord) {
    super('Not Modified');
    this.name = 'NotModified';
    this.row = row;
  }
}

/**
 * What a 304 carries: the validators, and the caching headers a 200 would
 * have had (RFC 9110 §15.4.5).
 */
export function notModifiedResult(row: ObjectRecord): { status: number; headers: Record<string, string> } {
  const headers: Record<string, string> = { ETag: quoteETag(row.etag), 'Last-Modified': httpDate(row.lastModified) };
  if (row.headers['cache-control'] !== undefined) headers['Cache-Control'] = row.headers['cache-control'];
  if (row.headers.expires !== undefined) headers.Expires = row.headers.expires;
  return { status: 304, headers };
}

function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.header(name)?.trim();
  return value === '' ? undefined : value;
}

/**
 * Whether `etag` (unquoted) is in a comma-separated list of entity tags,
 * quoted or not, or the list is `*`. `weak` is RFC 9110's weak comparison
 * (If-None-Match): W/"x" matches "x"; the strong one (If-Match) never matches a
 * weak tag.
 */
export function etagListMatches(list: string, etag: string, weak: boolean): boolean {
  for (const member of list.split(',')) {
    let tag = member.trim();
    if (tag === '*') return true;
    if (tag.startsWith('W/')) {
      if (!weak) continue;
      tag = tag.slice(2);
    }
    if (tag.replace(/^"(.*)"$/, '$1') === etag) return true;
  }
  return false;
}

/** An HTTP-date in whole seconds; undefined (the header is ignored, RFC 9110 §13.1.3) when unparsable. */
function httpDateSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // asctime dates carry no zone; HTTP dates are always GMT.
  const text = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(value) ? `${value} GMT` : value;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function preconditionFailed(condition: string): S3Error {
  return new S3Error('PreconditionFailed', undefined, { Condition: condition });
}

/**
 * GetObject/HeadObject preconditions in RFC 9110 §13.2.2 order, which is the
 * precedence S3 documents: a true If-Match makes If-Unmodified-Since moot (200),
 * a false If-None-Match wins over a true If-Modified-Since (304).
 * Throws PreconditionFailed (412) or NotModified (304).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
 */
export function checkReadPreconditions(ctx: RequestContext, row: ObjectRecord): void {
  // Last-Modified is sent with one-second resolution, so compare at that resolution.
  const modified = Math.floor(row.lastModified / 1000);
  const ifMatch = header(ctx, 'if-match');
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, row.etag, false)) throw preconditionFailed('If-Match');
  } else {
    const since = httpDateSeconds(header(ctx, 'if-unmodified-since'));
    if (since !== undefined && modified > since) throw preconditionFailed('If-Unmodified-Since');
  }
  const ifNoneMatch = header(ctx, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, row.etag, true)) throw new NotModified(row);
  } else {
    const since = httpDateSeconds(header(ctx, 'if-modified-since'));
    if (since !== undefined && modified <= since) throw new NotModified(row);
  }
}

/**
 * The write precondition a PutObject or CompleteMultipartUpload asks for, or
 * undefined. S3 accepts only `If-None-Match: *` (create only) and
 * `If-Match: <etag>` (replace only that version; NoSuchKey when there is
 * none), one at a time; anything else is NotImplemented.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
export function writePrecondition(ctx: RequestContext): WritePrecondition | undefined {
  const ifMatch = header(ctx, 'if-match');
  const ifNoneMatch = header(ctx, 'if-none-match');
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new S3Error('NotImplemented', 'If-Match and If-None-Match cannot be combined on a write.', { Header: 'If-None-Match' });
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') throw new S3Error('NotImplemented', 'If-None-Match on a write accepts only "*".', { Header: 'If-None-Match' });
    return (current) => {
      if (current) throw preconditionFailed('If-None-Match');
    };
  }
  const list = ifMatch as string;
  const key = ctx.key;
  return (current) => {
    if (!current) throw new S3Error('NoSuchKey', undefined, { Key: key });
    if (!etagListMatches(list, current.etag, false)) throw preconditionFailed('If-Match');
  };
}

/**
 * Evaluates a write precondition against the object as it is now, before the
 * body is read: a doomed request is refused before `100 Continue`. The
 * namespace evaluates it again under the key lock, which is what makes it atomic.
 */
export async function checkWriteEarly(ctx: RequestContext, precondition: WritePrecondition | undefined): Promise<void> {
  if (!precondition) return;
  const current = await ctx.ns.headObject(ctx.bucket, ctx.key).catch((err: unknown) => {
    if (isS3Error(err) && err.code === 'NoSuchKey') return undefined;
    throw err;
  });
  precondition(current);
}
