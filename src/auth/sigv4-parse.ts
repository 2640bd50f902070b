// Reads the SigV4 credential out of a request: the Authorization header
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html)
// or the X-Amz-* query parameters of a presigned URL
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
// Refusals use the codes and messages Amazon S3 answers with:
// AuthorizationHeaderMalformed for the header, AuthorizationQueryParametersError
// for the query, AccessDenied for expired or not-yet-valid presigned URLs.
import { S3Error } from '../s3/errors.ts';
import { isoSeconds, MAX_SKEW_MS, parseAmzDate } from './auth-errors.ts';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** The longest X-Amz-Expires S3 accepts: seven days. */
export const MAX_PRESIGN_SECONDS = 604800;

export interface CredentialScope {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  /** 'date/region/s3/aws4_request' as it goes into the string to sign. */
  scope: string;
}

export interface ParsedSigV4 {
  credential: CredentialScope;
  /** Lower-case names in the order the client listed them (shared between parses of one header shape: never changed). */
  signedHeaders: readonly string[];
  signature: string;
}

export interface ParsedPresign extends ParsedSigV4 {
  amzDate: string;
  requestTime: Date;
  expiresSeconds: number;
}

const HEADER_MALFORMED = 'The authorization header is malformed; ';
const QUERY_CREDENTIAL = 'Error parsing the X-Amz-Credential parameter; ';

/**
 * Splits 'AK/YYYYMMDD/region/s3/aws4_request', checking each part in the order
 * S3 does; `region` (when given) is the only region accepted.
 */
export function parseCredential(text: string, fail: (message: string, fields?: Record<string, string>) => S3Error, region?: string): CredentialScope {
  const parts = text.split('/');
  if (parts.length !== 5 || !/^\d{8}$/.test(parts[1])) {
    throw fail('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  const [accessKeyId, date, credRegion, service, terminal] = parts;
  if (credRegion === '') throw fail('a non-empty region must be provided in the credential.');
  if (region !== undefined && credRegion !== region) {
    throw fail(`the region '${credRegion}' is wrong; expecting '${region}'`, { Region: region });
  }
  if (service !== 's3') throw fail(`incorrect service "${service}". This endpoint belongs to "s3".`);
  if (terminal !== 'aws4_request') throw fail(`incorrect terminal "${terminal}". This endpoint uses "aws4_request".`);
  return { accessKeyId, date, region: credRegion, scope: `${date}/${credRegion}/s3/aws4_request` };
}

function parseSignedHeaders(text: string): readonly string[] | undefined {
  const names = text.split(';');
  return names.every((n) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(n)) ? names : undefined;
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`
 * (commas optionally followed by spaces). The caller checks the date first, as S3 does.
 */
export function parseAuthorizationHeader(value: string, region?: string): ParsedSigV4 {
  // A client sends the same Credential and SignedHeaders all day, only the Signature changes:
  // the parse of the rest is remembered (only parses that succeeded, so every refusal is still computed).
  // Only a header with one 'Signature=' is remembered: with two, which one the parse takes depends on more than the shape.
  const at = value.indexOf(SIGNATURE);
  const single = at >= 0 && value.indexOf(SIGNATURE, at + SIGNATURE.length) < 0;
  const end = single ? value.indexOf(',', at) : -1;
  const signature = (): string => value.slice(at + SIGNATURE.length, end < 0 ? undefined : end).trim();
  // The previous request's shape first, without building a key: SDKs put the Signature last.
  const last = lastShape;
  if (single && end < 0 && last !== undefined && last.region === region && last.prefix.length === at && value.startsWith(last.prefix)) {
    return { credential: last.parsed.credential, signedHeaders: last.parsed.signedHeaders, signature: signature() };
  }
  const shape = single ? `${region ?? ''}\n${value.slice(0, at)}${end < 0 ? '' : value.slice(end)}` : undefined;
  const known = shape === undefined ? undefined : parsedShapes.get(shape);
  if (known !== undefined) return { ...known, signature: signature() };
  const parsed = parseAuthorizationHeaderUncached(value, region);
  if (shape !== undefined) {
    const kept = { credential: parsed.credential, signedHeaders: parsed.signedHeaders };
    if (parsedShapes.size >= MAX_SHAPES) parsedShapes.clear();
    parsedShapes.set(shape, kept);
    if (end < 0) lastShape = { region, prefix: value.slice(0, at), parsed: kept };
  }
  return parsed;
}

const SIGNATURE = 'Signature=';
const MAX_SHAPES = 256;
const parsedShapes = new Map<string, Omit<ParsedSigV4, 'signature'>>();
/** The last shape parsed whose Signature came last: `prefix` is everything before 'Signature='. */
let lastShape: { region: string | undefined; prefix: string; parsed: Omit<ParsedSigV4, 'signature'> } | undefined;

function parseAuthorizationHeaderUncached(value: string, region?: string): ParsedSigV4 {
  const malformed = (message: string, fields: Record<string, string> = {}): S3Error =>
    new S3Error('AuthorizationHeaderMalformed', HEADER_MALFORMED + message, fields);
  const rest = value.slice(ALGORITHM.length).trim();
  const fields = new Map<string, string>();
  for (const item of rest.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  const names = parseSignedHeaders(signedHeaders);
  if (names === undefined) throw malformed(`invalid SignedHeaders "${signedHeaders}".`);
  return { credential: parseCredential(credential, malformed, region), signedHeaders: names, signature };
}

const REQUIRED_QUERY = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];

/**
 * Parses and checks a presigned URL's X-Amz-* parameters, in S3's order:
 * algorithm, presence, date, X-Amz-Expires, not yet valid, expired, credential.
 */
export function parsePresignQuery(query: URLSearchParams, now: Date, region?: string): ParsedPresign {
  const queryError = (message: string, fields: Record<string, string> = {}): S3Error =>
    new S3Error('AuthorizationQueryParametersError', message, fields);
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) {
    throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  if (REQUIRED_QUERY.some((name) => query.get(name) === null)) {
    throw queryError('Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, '
      + 'X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
  }
  const amzDate = query.get('X-Amz-Date') ?? '';
  const requestTime = parseAmzDate(amzDate);
  if (requestTime === undefined) {
    throw queryError('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  }
  const expiresText = query.get('X-Amz-Expires') ?? '';
  if (!/^-?\d{1,15}$/.test(expiresText)) throw queryError('X-Amz-Expires should be a number');
  const expiresSeconds = Number(expiresText);
  if (expiresSeconds < 0) throw queryError('X-Amz-Expires must be non-negative');
  if (expiresSeconds > MAX_PRESIGN_SECONDS) {
    throw queryError('X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds');
  }
  const expiresAt = new Date(requestTime.getTime() + expiresSeconds * 1000);
  if (requestTime.getTime() - now.getTime() > MAX_SKEW_MS) {
    throw new S3Error('AccessDenied', 'Request is not yet valid', {
      'X-Amz-Date': amzDate, Expires: isoSeconds(expiresAt), ServerTime: isoSeconds(now),
    });
  }
  if (now.getTime() > expiresAt.getTime()) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': expiresText, Expires: isoSeconds(expiresAt), ServerTime: isoSeconds(now),
    });
  }
  const credential = parseCredential(query.get('X-Amz-Credential') ?? '',
    (message, fields) => queryError(QUERY_CREDENTIAL + message, fields), region);
  if (credential.date !== amzDate.slice(0, 8)) {
    throw queryError(`Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  const signedHeaders = parseSignedHeaders(query.get('X-Amz-SignedHeaders') ?? '');
  if (signedHeaders === undefined) throw queryError('X-Amz-SignedHeaders is malformed.');
  return { credential, signedHeaders, signature: query.get('X-Amz-Signature') ?? '', amzDate, requestTime, expiresSeconds };
}
