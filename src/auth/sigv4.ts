// AWS Signature Version 4 verification for S3 requests: the Authorization
// header (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html)
// and presigned URLs (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
// It rebuilds the canonical request with S3's rules (path signed once-encoded and
// never normalised, query sorted by encoded name, header values trimmed and
// folded), checks the signature in constant time, and returns what the body
// checks need: the payload mode from x-amz-content-sha256 and, for aws-chunked
// bodies, the signing context that chunk signatures chain from
// (ChunkSignatureVerifier in chunk-signature.ts; Sha256Verifier for hex hashes).
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../s3/errors.ts';
import { canonicalQuery, canonicalUri, EMPTY_SHA256, reencodedCanonicalUri, sha256Hex } from './aws-encoding.ts';
import {
  checkSkew, invalidAccessKey, noDate, parseRequestDate, signatureMismatch,
} from './auth-errors.ts';
import { ALGORITHM, parseAuthorizationHeader, parsePresignQuery, type ParsedSigV4 } from './sigv4-parse.ts';
import { deriveSigningKey, signaturesEqual, type SigningKey } from './signing-key.ts';

export { Sha256Verifier } from './sha256-verifier.ts';

/** A request as it came off the wire. */
export interface SignedRequest {
  method: string;
  /** The path exactly as sent (still percent-encoded, before any prefix is stripped), e.g. /bucket/key%20x. */
  rawPath: string;
  /** The query string as sent, without the '?'. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  /**
   * req.headersDistinct: every value of a repeated header, which SigV4 joins
   * with ',' (IncomingHttpHeaders joins them with ', ' or drops all but one).
   */
  headersDistinct?: Readonly<Record<string, string[] | undefined>>;
}

export interface VerifyOptions {
  /**
   * The secret key of an access key id; undefined when there is no such key.
   * A cached secret may come back synchronously: every request asks, and an
   * await on a value that is already there still costs a turn of the queue.
   */
  lookupSecret: (accessKeyId: string) => string | undefined | Promise<string | undefined>;
  now?: Date;
  /** The only region accepted in credential scopes; any region when undefined. */
  region?: string;
}

/** What x-amz-content-sha256 says about the body. */
export type PayloadMode =
  | { kind: 'unsigned' }
  /** The body must hash to `hex` (check it with Sha256Verifier). */
  | { kind: 'sha256'; hex: string }
  /** aws-chunked; with signedChunks, every chunk signature must be verified (ChunkSignatureVerifier). */
  | { kind: 'streaming'; signedChunks: boolean; trailer: boolean };

/** What chunk signatures are computed from (sigv4-streaming.html). */
export interface SigningContext {
  /** The request timestamp as signed, 'YYYYMMDDTHHMMSSZ'. */
  amzDate: string;
  /** 'YYYYMMDD/region/s3/aws4_request' */
  scope: string;
  signingKey: SigningKey;
  /** The request's own signature: the "previous signature" of the first chunk. */
  seedSignature: string;
}

export interface SigV4Result {
  version: 4;
  accessKeyId: string;
  presigned: boolean;
  payload: PayloadMode;
  signing: SigningContext;
}

const STREAMING_MODES: Record<string, PayloadMode> = {
  'UNSIGNED-PAYLOAD': { kind: 'unsigned' },
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER': { kind: 'streaming', signedChunks: false, trailer: true },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': { kind: 'streaming', signedChunks: true, trailer: false },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': { kind: 'streaming', signedChunks: true, trailer: true },
};

/** The payload mode an x-amz-content-sha256 value names, or undefined for a value S3 refuses. */
export function payloadMode(value: string): PayloadMode | undefined {
  if (value.length === 64) {
    // Every GET declares the hash of the empty body: that one answer is shared.
    if (value === EMPTY_SHA256) return EMPTY_PAYLOAD;
    return isHex(value) ? { kind: 'sha256', hex: value.toLowerCase() } : undefined;
  }
  return Object.hasOwn(STREAMING_MODES, value) ? STREAMING_MODES[value] : undefined;
}

const EMPTY_PAYLOAD: PayloadMode = Object.freeze({ kind: 'sha256', hex: EMPTY_SHA256 });

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20; // folds A-F onto a-f
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** The first value of a header (of its distinct values when it was repeated). */
export function firstHeader(req: SignedRequest, name: string): string | undefined {
  const v = req.headersDistinct?.[name]?.[0] ?? req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Canonical header lines: 'name:value\n', values trimmed, inner whitespace runs folded, repeats joined with ','. */
function canonicalHeaders(req: SignedRequest, signed: readonly string[]): string {
  let out = '';
  for (const name of signed) {
    const distinct = req.headersDistinct?.[name];
    if (distinct !== undefined) {
      out += `${name}:${distinct.map(canonicalValue).join(',')}\n`;
      continue;
    }
    const value = req.headers[name];
    if (value === undefined) out += `${name}:\n`;
    else out += `${name}:${Array.isArray(value) ? value.map(canonicalValue).join(',') : canonicalValue(String(value))}\n`;
  }
  return out;
}

/**
 * Trimmed, with inner whitespace runs folded to one space. Only a value with
 * whitespace other than single spaces can change: most have none and skip the replace.
 */
function canonicalValue(value: string): string {
  const trimmed = value.trim();
  return isFolded(trimmed) ? trimmed : trimmed.replace(/\s+/g, ' ');
}

/** True when `text` has no whitespace but single spaces (printable ASCII only, no double space): nothing to fold. */
function isFolded(text: string): boolean {
  let previous = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || (c === 0x20 && previous === 0x20)) return false;
    previous = c;
  }
  return true;
}

export function canonicalRequest(
  req: SignedRequest, canonicalUri: string, canonicalQueryString: string, signed: readonly string[], payloadHash: string,
): string {
  return `${req.method}\n${canonicalUri}\n${canonicalQueryString}\n${canonicalHeaders(req, signed)}\n${signed.join(';')}\n${payloadHash}`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** The last date formatted: requests of the same second share it, and this runs on every one. */
let lastFormatted = { ms: Number.NaN, text: '' };

/** 'YYYYMMDDTHHMMSSZ' */
function amzDateOf(date: Date): string {
  const ms = date.getTime();
  if (lastFormatted.ms === ms) return lastFormatted.text;
  // From 'YYYY-MM-DDTHH:MM:SS.sssZ' by position.
  const iso = date.toISOString();
  const text = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  lastFormatted = { ms, text };
  return text;
}

/**
 * S3 refuses x-amz-* headers (and Content-MD5) that the signature does not
 * cover, and requires Host to be signed: AccessDenied naming them in HeadersNotSigned.
 */
function checkHeadersSigned(req: SignedRequest, signed: readonly string[], exempt: readonly string[]): void {
  const missing: string[] = [];
  if (!signed.includes('host')) missing.push('host');
  for (const name in req.headers) {
    if (!(name.startsWith('x-amz-') || name === 'content-md5') || signed.includes(name) || exempt.includes(name)) continue;
    if (Object.hasOwn(req.headers, name)) missing.push(name);
  }
  if (missing.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed',
      { HeadersNotSigned: missing.sort().join(', ') });
  }
}

/** Computes and compares the signature over every canonical URI the client may have signed. */
function checkSignature(
  req: SignedRequest, parsed: ParsedSigV4, secret: string, amzDate: string, payloadHash: string, forceMismatch: boolean,
): SigningContext {
  const { credential } = parsed;
  const key = deriveSigningKey(secret, credential.date, credential.region);
  const query = canonicalQuery(req.rawQuery, 'X-Amz-Signature');
  const signs = (uri: string): { canonical: string; toSign: string; expected: string } => {
    const canonical = canonicalRequest(req, uri, query, parsed.signedHeaders, payloadHash);
    const toSign = stringToSign(amzDate, credential.scope, canonical);
    return { canonical, toSign, expected: key.signHex(toSign) };
  };
  const uri = canonicalUri(req.rawPath);
  const first = signs(uri);
  let match = !forceMismatch && signaturesEqual(first.expected, parsed.signature) ? first.expected : undefined;
  if (match === undefined && !forceMismatch) {
    const second = reencodedCanonicalUri(uri);
    if (second !== undefined) {
      const expected = signs(second).expected;
      if (signaturesEqual(expected, parsed.signature)) match = expected;
    }
  }
  if (match !== undefined) return { amzDate, scope: credential.scope, signingKey: key, seedSignature: match };
  // S3 reports what it computed for the path as sent.
  throw signatureMismatch({
    accessKeyId: credential.accessKeyId, stringToSign: first.toSign, signatureProvided: parsed.signature, canonicalRequest: first.canonical,
  });
}

function requirePayloadMode(value: string): PayloadMode {
  const mode = payloadMode(value);
  if (mode !== undefined) return mode;
  throw new S3Error('InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, '
    + 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value });
}

function secretFor(accessKeyId: string, options: VerifyOptions): string | Promise<string> {
  const found = options.lookupSecret(accessKeyId);
  if (found instanceof Promise) return found.then((secret) => secret ?? Promise.reject(invalidAccessKey(accessKeyId)));
  if (found === undefined) throw invalidAccessKey(accessKeyId);
  return found;
}

/** Verifies `Authorization: AWS4-HMAC-SHA256 ...`; rejects with an S3Error. */
export async function verifySigV4Header(req: SignedRequest, options: VerifyOptions): Promise<SigV4Result> {
  return await verifySigV4HeaderNow(req, options);
}

/**
 * verifySigV4Header, synchronous when the secret is at hand (throws then,
 * instead of rejecting): the server's path for every request, where each
 * promise and turn of the queue saved shows in the cost of verification.
 */
export function verifySigV4HeaderNow(req: SignedRequest, options: VerifyOptions): SigV4Result | Promise<SigV4Result> {
  const now = options.now ?? new Date();
  const authorization = firstHeader(req, 'authorization') ?? '';
  // S3's order: the date and the clock skew come before the header's own contents.
  const xAmzDate = firstHeader(req, 'x-amz-date');
  const dateText = xAmzDate ?? firstHeader(req, 'date');
  const requestTime = dateText === undefined ? undefined : parseRequestDate(dateText);
  if (dateText === undefined || requestTime === undefined) throw noDate();
  checkSkew(requestTime, dateText, now);
  const parsed = parseAuthorizationHeader(authorization, options.region);
  const formatted = amzDateOf(requestTime);
  const amzDate = xAmzDate ?? formatted;
  if (!formatted.startsWith(parsed.credential.date) || parsed.credential.date.length !== 8) {
    throw new S3Error('AuthorizationHeaderMalformed',
      'The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.');
  }
  const contentSha = firstHeader(req, 'x-amz-content-sha256');
  if (contentSha === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const payload = requirePayloadMode(contentSha);
  const verify = (secret: string): SigV4Result => {
    // "Signing the x-amz-content-sha256 header is optional" for header auth: its value is the payload hash line anyway.
    checkHeadersSigned(req, parsed.signedHeaders, ['x-amz-content-sha256']);
    const signing = checkSignature(req, parsed, secret, amzDate, contentSha, false);
    return { version: 4, accessKeyId: parsed.credential.accessKeyId, presigned: false, payload, signing };
  };
  const found = secretFor(parsed.credential.accessKeyId, options);
  return typeof found === 'string' ? verify(found) : found.then(verify);
}

/** Verifies a presigned URL (X-Amz-Algorithm etc. in the query); rejects with an S3Error. */
export async function verifySigV4Query(req: SignedRequest, options: VerifyOptions): Promise<SigV4Result> {
  const now = options.now ?? new Date();
  const parsed = parsePresignQuery(new URLSearchParams(req.rawQuery), now, options.region);
  const secret = await secretFor(parsed.credential.accessKeyId, options);
  checkHeadersSigned(req, parsed.signedHeaders, ['x-amz-content-sha256']);
  // A presigned URL signs UNSIGNED-PAYLOAD. An x-amz-content-sha256 header it
  // does not cover could reframe the body, so S3 answers SignatureDoesNotMatch.
  const contentSha = firstHeader(req, 'x-amz-content-sha256');
  const shaSigned = parsed.signedHeaders.includes('x-amz-content-sha256');
  const payload: PayloadMode = contentSha !== undefined && shaSigned ? requirePayloadMode(contentSha) : { kind: 'unsigned' };
  const signing = checkSignature(req, parsed, secret, parsed.amzDate, 'UNSIGNED-PAYLOAD', contentSha !== undefined && !shaSigned);
  return { version: 4, accessKeyId: parsed.credential.accessKeyId, presigned: true, payload, signing };
}
