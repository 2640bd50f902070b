// CORS operations: Put/Get/DeleteBucketCors, the OPTIONS preflight (S3's
// "OPTIONS object", answered for bucket and object paths), and the CORS headers
// an ordinary request with an Origin earns (applied by the server for every
// bucket-scoped request).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
import type { IncomingHttpHeaders } from 'node:http';
import type { Namespace } from '../../namespace/namespace.ts';
import type { Handler } from '../context.ts';
import { CORS_METHODS, corsFromXml, corsHeaders, corsXml, matchRule, readCors, requestedHeaders } from '../cors-rules.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { readXmlBody } from '../xml/parser.ts';

/** "The document is limited to 64 KB in size." */
const MAX_CORS_BYTES = 64 * 1024;

export const putBucketCors: Handler = async (ctx) => {
  await ctx.ns.getBucket(ctx.bucket);
  const tree = await readXmlBody(ctx.body(), MAX_CORS_BYTES);
  if (tree === undefined) throw new S3Error('MissingRequestBodyError');
  const rules = corsFromXml(tree);
  await ctx.ns.updateBucketExtras(ctx.bucket, (extras) => ({ ...extras, cors: rules }));
  return {};
};

export const getBucketCors: Handler = async (ctx) => {
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  const rules = readCors(bucket.extras.cors);
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', undefined, { BucketName: ctx.bucket });
  return { xml: corsXml(rules) };
};

export const deleteBucketCors: Handler = async (ctx) => {
  await ctx.ns.updateBucketExtras(ctx.bucket, (extras) => ({ ...extras, cors: undefined }));
  return { status: 204 };
};

/**
 * The preflight. Its refusals are S3's: 400 BadRequest without an Origin or
 * with a missing or unknown Access-Control-Request-Method, 403 AccessForbidden
 * with the requested Method and ResourceType when the bucket is missing, has
 * no CORS configuration, or no rule matches. It never looks at the key.
 */
export const optionsObject: Handler = async (ctx) => {
  const origin = ctx.header('origin');
  if (origin === undefined || origin === '') throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  const requestMethod = ctx.header('access-control-request-method');
  const forbidden = (message?: string): S3Error => new S3Error('AccessForbidden', message, {
    Method: requestMethod ?? 'OPTIONS',
    ResourceType: ctx.key === '' ? 'BUCKET' : 'OBJECT',
  });
  let raw: unknown;
  try {
    raw = (await ctx.ns.getBucket(ctx.bucket)).extras.cors;
  } catch (err) {
    if (isS3Error(err) && (err.code === 'NoSuchBucket' || err.code === 'InvalidBucketName')) throw forbidden('CORSResponse: Bucket not found');
    throw err;
  }
  const rules = readCors(raw);
  if (!rules) throw forbidden('CORSResponse: CORS is not enabled for this bucket.');
  if (requestMethod === undefined || !CORS_METHODS.includes(requestMethod)) {
    throw new S3Error('BadRequest', `Invalid Access-Control-Request-Method: ${requestMethod ?? 'null'}`);
  }
  const headers = requestedHeaders(ctx.header('access-control-request-headers'));
  const rule = matchRule(rules, origin, requestMethod, headers);
  if (!rule) throw forbidden();
  return { headers: corsHeaders(rule, origin, headers) };
};

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The CORS headers for an ordinary (non-preflight) request to `bucket` that
 * carries an Origin: those of the first rule matching the origin and the
 * method (Access-Control-Request-Method when the request has one, as S3 does),
 * on success and on error alike. Request headers are not checked, and a
 * request no rule matches (or to a bucket without rules) gets none.
 */
export async function actualRequestCorsHeaders(ns: Namespace, bucket: string, method: string, headers: IncomingHttpHeaders): Promise<Record<string, string>> {
  const origin = single(headers.origin);
  if (origin === undefined || origin === '') return {};
  let raw: unknown;
  try {
    raw = (await ns.getBucket(bucket)).extras.cors;
  } catch (err) {
    if (isS3Error(err)) return {};
    throw err;
  }
  const rules = readCors(raw);
  if (!rules) return {};
  const rule = matchRule(rules, origin, single(headers['access-control-request-method']) ?? method);
  return rule ? corsHeaders(rule, origin) : {};
}
