// Object operations: PutObject (with conditional writes), GetObject and
// HeadObject (conditional, with Range or partNumber, response-* overrides),
// DeleteObject.
import type { ObjectRecord } from '../../meta/metadata-store.ts';
import type { Handler } from '../context.ts';
import { S3Error } from '../errors.ts';
import { DEFAULT_CHECKSUM_ALGORITHM, objectChecksumHeaders, requestChecksum, storedChecksumHeaders } from './checksum-headers.ts';
import { applyResponseOverrides, checkVersionId, objectHeaders, quoteETag, storedHeadersFrom, userMetadataFrom } from './common.ts';
import { NotModified, checkReadPreconditions, checkWriteEarly, notModifiedResult, writePrecondition } from './conditional.ts';
import { planRead, readSelection, type ReadPlan } from './ranges.ts';
import { objectExtrasFromHeaders } from './write-extras.ts';
import { WRITE_TYPE_HEADER, parseWriteType } from '../../namespace/persist-pending.ts';

export const putObject: Handler = async (ctx) => {
  // Checksum headers are judged before anything else can read the body; without one, S3's default is computed.
  const checksum = requestChecksum(ctx, DEFAULT_CHECKSUM_ALGORITHM);
  const precondition = writePrecondition(ctx);
  await checkWriteEarly(ctx, precondition);
  const row = await ctx.ns.putObject({
    bucket: ctx.bucket,
    key: ctx.key,
    user: ctx.user,
    headers: storedHeadersFrom(ctx),
    userMetadata: userMetadataFrom(ctx),
    extras: await objectExtrasFromHeaders(ctx),
    contentLength: ctx.contentLength,
    body: checksum.body,
    signal: ctx.signal,
    precondition,
    checksum: checksum.checks,
    writeType: parseWriteType(ctx.header(WRITE_TYPE_HEADER)),
  });
  return { headers: { ETag: quoteETag(row.etag), ...storedChecksumHeaders(row) } };
};

/**
 * GetObject: preconditions, then a Range or partNumber, all judged on the row
 * whose bytes are opened (under the key lock), then response-* overrides.
 */
export const getObject: Handler = async (ctx) => {
  checkVersionId(ctx);
  const selection = readSelection(ctx);
  let plan!: ReadPlan; // set by the callback, which runs before openObject returns
  try {
    const { row, body } = await ctx.ns.openObject(ctx.bucket, ctx.key, (r) => {
      checkReadPreconditions(ctx, r);
      plan = planRead(selection, r);
      return plan.range;
    }, { noCache: readTypeOf(ctx) === 'NO_CACHE' });
    return { status: plan.status, headers: readHeaders(ctx, row, plan), body };
  } catch (err) {
    if (err instanceof NotModified) return notModifiedResult(err.row);
    throw err;
  }
};

/** Alluxio's read type for one request: `x-strata-read-type: CACHE | NO_CACHE` (the mount's when absent). */
function readTypeOf(ctx: Parameters<Handler>[0]): 'CACHE' | 'NO_CACHE' | undefined {
  const value = ctx.header('x-strata-read-type');
  if (value === undefined) return undefined;
  const upper = value.trim().toUpperCase();
  if (upper === 'CACHE' || upper === 'NO_CACHE') return upper;
  throw new S3Error('InvalidArgument', 'x-strata-read-type is CACHE or NO_CACHE.', { ArgumentName: 'x-strata-read-type', ArgumentValue: value });
}

export const headObject: Handler = async (ctx) => {
  checkVersionId(ctx);
  const selection = readSelection(ctx);
  const row = await ctx.ns.headObject(ctx.bucket, ctx.key);
  try {
    checkReadPreconditions(ctx, row);
  } catch (err) {
    if (err instanceof NotModified) return notModifiedResult(err.row);
    throw err;
  }
  const plan = planRead(selection, row);
  return { status: plan.status, headers: readHeaders(ctx, row, plan) };
};

/**
 * The object's headers with the response-* overrides, then the plan's
 * (Content-Length, Content-Range, parts count). Content-Length stays after any
 * non-ASCII value: Node 24 mangles such a value that follows it in the header block.
 */
function readHeaders(ctx: Parameters<Handler>[0], row: ObjectRecord, plan: ReadPlan): Record<string, string | number> {
  const headers = objectHeaders(row);
  const partNumber = ctx.query.get('partNumber');
  Object.assign(headers, objectChecksumHeaders(ctx, row, { ranged: plan.range !== undefined, partNumber: partNumber === null ? undefined : Number(partNumber) }));
  applyResponseOverrides(ctx, headers);
  return { ...headers, ...plan.headers };
}

export const deleteObject: Handler = async (ctx) => {
  checkVersionId(ctx);
  await ctx.ns.deleteObject(ctx.bucket, ctx.key);
  return { status: 204 };
};
