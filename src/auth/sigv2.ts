// AWS Signature Version 2 for legacy S3 clients (boto 2, s3cmd, old SDKs):
// `Authorization: AWS AccessKeyId:Signature` and query authentication
// (?AWSAccessKeyId=&Expires=&Signature=), Signature = Base64(HMAC-SHA1(secret, StringToSign)) with
//   StringToSign = Method \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html).
// The Date line is empty when x-amz-date is sent (it is signed among the
// x-amz-* headers instead) and is the Expires value for query auth.
// Sub-resource names and which of them are signed with their value follow
// what Amazon S3 was measured to sign (names are case-sensitive; the others
// of the query, e.g. prefix or max-keys, are not signed at all).
import { createHmac } from 'node:crypto';
import { S3Error } from '../s3/errors.ts';
import { percentDecode } from './aws-encoding.ts';
import {
  checkSkew, invalidAccessKey, isoSeconds, noDate, parseRequestDate, signatureMismatch,
} from './auth-errors.ts';
import { signaturesEqual } from './signing-key.ts';
import type { SignedRequest, VerifyOptions } from './sigv4.ts';

const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls',
  'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires', 'restore', 'retention', 'select', 'select-type', 'tagging', 'torrent',
  'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
]);
/** Sub-resources signed as name=value (decoded); the rest are signed by name alone. */
const VALUED = new Set([
  'partNumber', 'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires', 'select-type', 'uploadId', 'versionId',
]);

export interface SigV2Result {
  version: 2;
  accessKeyId: string;
  presigned: boolean;
}

export interface SigV2Options extends VerifyOptions {
  /** The bucket named by the Host header of a virtual-hosted-style request: it is signed as a /bucket path prefix. */
  virtualHostBucket?: string;
}

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headersDistinct?.[name] ?? req.headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

function decodedQuery(rawQuery: string): Array<[string, string | undefined]> {
  if (rawQuery === '') return [];
  return rawQuery.split('&').filter((p) => p !== '').map((part) => {
    const eq = part.indexOf('=');
    const name = percentDecode(eq < 0 ? part : part.slice(0, eq), false).toString('utf8');
    return [name, eq < 0 ? undefined : percentDecode(part.slice(eq + 1), false).toString('utf8')];
  });
}

/** x-amz-* headers (and x-amz-* query parameters, which S3 signs over a header of the same name), one 'name:value\n' each. */
function canonicalAmzHeaders(req: SignedRequest, query: Array<[string, string | undefined]>): string {
  const named = new Map<string, string>();
  for (const name of Object.keys(req.headers)) {
    if (!name.startsWith('x-amz-')) continue;
    const values = req.headersDistinct?.[name] ?? [header(req, name) ?? ''];
    named.set(name, values.map((v) => v.trim()).join(','));
  }
  for (const [name, value] of query) {
    if (name.toLowerCase().startsWith('x-amz-')) named.set(name.toLowerCase(), value ?? '');
  }
  return [...named.keys()].sort().map((name) => `${name}:${named.get(name)}\n`).join('');
}

function canonicalResource(path: string, query: Array<[string, string | undefined]>): string {
  const named = new Map<string, string | undefined>();
  for (const [name, value] of query) {
    if (SUBRESOURCES.has(name) && !named.has(name)) named.set(name, value);
  }
  const parts = [...named.keys()].sort().map((name) => (VALUED.has(name) ? `${name}=${named.get(name) ?? ''}` : name));
  return parts.length > 0 ? `${path}?${parts.join('&')}` : path;
}

export function stringToSignV2(req: SignedRequest, dateLine: string, resourcePath: string): string {
  const query = decodedQuery(req.rawQuery);
  return `${req.method}\n${(header(req, 'content-md5') ?? '').trim()}\n${(header(req, 'content-type') ?? '').trim()}\n`
    + `${dateLine}\n${canonicalAmzHeaders(req, query)}${canonicalResource(resourcePath, query)}`;
}

function signV2(secret: string, toSign: string): string {
  return createHmac('sha1', secret).update(toSign, 'utf8').digest('base64');
}

async function check(req: SignedRequest, options: SigV2Options, accessKeyId: string, signature: string, dateLine: string): Promise<void> {
  const secret = await options.lookupSecret(accessKeyId);
  if (secret === undefined) throw invalidAccessKey(accessKeyId);
  const base = options.virtualHostBucket !== undefined ? `/${options.virtualHostBucket}${req.rawPath}` : req.rawPath || '/';
  // botocore signs a path-style bucket request (URL /bucket) as /bucket/: both name the same bucket.
  const paths = /^\/[^/]+$/.test(base) ? [base, `${base}/`] : [base];
  const candidates = paths.map((p) => stringToSignV2(req, dateLine, p));
  if (candidates.some((toSign) => signaturesEqual(signV2(secret, toSign), signature))) return;
  throw signatureMismatch({ accessKeyId, stringToSign: candidates[0], signatureProvided: signature });
}

/** Verifies `Authorization: AWS AccessKeyId:Signature`; rejects with an S3Error. */
export async function verifySigV2Header(req: SignedRequest, options: SigV2Options): Promise<SigV2Result> {
  const authorization = header(req, 'authorization') ?? '';
  const rest = authorization.slice(authorization.indexOf(' ') + 1);
  const colon = rest.lastIndexOf(':');
  if (rest.startsWith(' ') || colon <= 0 || colon === rest.length - 1 || rest.indexOf(':') !== colon) {
    throw new S3Error('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature',
      { ArgumentName: 'Authorization', ArgumentValue: authorization });
  }
  const xAmzDate = header(req, 'x-amz-date');
  const dateText = xAmzDate ?? header(req, 'date');
  const requestTime = dateText === undefined ? undefined : parseRequestDate(dateText);
  if (dateText === undefined || requestTime === undefined) throw noDate();
  checkSkew(requestTime, dateText, options.now ?? new Date());
  const accessKeyId = rest.slice(0, colon);
  await check(req, options, accessKeyId, rest.slice(colon + 1), xAmzDate !== undefined ? '' : dateText);
  return { version: 2, accessKeyId, presigned: false };
}

/** Verifies ?AWSAccessKeyId=&Expires=&Signature= query authentication; rejects with an S3Error. */
export async function verifySigV2Query(req: SignedRequest, options: SigV2Options): Promise<SigV2Result> {
  const query = new URLSearchParams(req.rawQuery);
  const accessKeyId = query.get('AWSAccessKeyId');
  const expires = query.get('Expires');
  const signature = query.get('Signature');
  if (accessKeyId === null || expires === null || signature === null) {
    throw new S3Error('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  const seconds = /^-?\d{1,10}$/.test(expires) ? Number(expires) : Number.NaN;
  if (!(seconds >= -(2 ** 31) && seconds < 2 ** 31)) {
    throw new S3Error('AccessDenied', `Invalid date (should be seconds since epoch): ${expires}`);
  }
  const now = options.now ?? new Date();
  if (now.getTime() > seconds * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      Expires: isoSeconds(new Date(seconds * 1000)), ServerTime: isoSeconds(now),
    });
  }
  await check(req, options, accessKeyId, signature, expires);
  return { version: 2, accessKeyId, presigned: true };
}
