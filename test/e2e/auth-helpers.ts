// Shared set-up for the auth end-to-end tests: a Strata in sigv4 mode with a
// root key pair, users created through the admin API, and requests signed by
// @smithy/signature-v4 (the AWS SDK's signer) that a test may then tamper with
// before sending them raw: headers, body, chunk signatures, dates.
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import { NodeSha256 } from '../../src/auth/test-support.ts';
import { createChecksum } from '../../src/util/checksums.ts';
import { raw, startTestServer, type RawResponse, type TestServer } from './harness.ts';

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

export const ROOT: Keys = { accessKeyId: 'STRATAROOTKEY0000001', secretAccessKey: 'root/secret+key-for-the-auth-tests-0123' };

/** A Strata in sigv4 mode whose root user has the ROOT keys. */
export function startSigv4Server(flags: string[] = []): Promise<TestServer> {
  return startTestServer(['--auth', 'sigv4', '--root-access-key', ROOT.accessKeyId, '--root-secret-key', ROOT.secretAccessKey, ...flags]);
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface SignOptions {
  headers?: Record<string, string>;
  /** The x-amz-content-sha256 value to sign; default the body's hash. */
  payload?: string;
  body?: Buffer;
  signingDate?: Date;
  region?: string;
}

function signer(keys: Keys, region = 'us-east-1'): SignatureV4 {
  return new SignatureV4({ credentials: keys, region, service: 's3', sha256: NodeSha256, uriEscapePath: false });
}

/** The headers of a request to `base` + `pathAndQuery` signed with `keys` (Authorization header auth). */
export async function signedHeaders(base: string, keys: Keys, method: string, pathAndQuery: string, options: SignOptions = {}): Promise<Record<string, string>> {
  const url = new URL(pathAndQuery, base);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': options.payload ?? sha256Hex(options.body ?? Buffer.alloc(0)),
    ...options.headers,
  };
  if (options.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(options.body.length);
  const signed = await signer(keys, options.region).sign({
    method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers,
  }, { signingDate: options.signingDate });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) out[name] = String(value);
  return out;
}

/** A signed request sent raw. */
export async function signedRaw(base: string, keys: Keys, method: string, pathAndQuery: string, options: SignOptions = {}): Promise<RawResponse> {
  const headers = await signedHeaders(base, keys, method, pathAndQuery, options);
  return raw(base, method, pathAndQuery, { headers, body: options.body });
}

/** Calls the users admin API as `keys`; returns the status and JSON answer. */
export async function usersApi(base: string, keys: Keys, method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const res = await signedRaw(base, keys, method, `/api/v1/admin/users${pathAndQuery}`, { body: data ?? Buffer.alloc(0) });
  return { status: res.status, json: JSON.parse(res.text) as Record<string, unknown> };
}

/** Creates a user through the admin API (as root) and returns its keys. */
export async function addUser(base: string, name: string): Promise<Keys> {
  const res = await usersApi(base, ROOT, 'POST', '', { name });
  if (res.status !== 200) throw new Error(`adding user ${name}: ${res.status} ${JSON.stringify(res.json)}`);
  return { accessKeyId: String(res.json.accessKeyId), secretAccessKey: String(res.json.secretKey) };
}

export interface SignedUpload {
  headers: Record<string, string>;
  /** Data chunks with their signatures, in order. */
  chunks: Array<[Buffer, string]>;
  /** The final zero-length chunk's signature. */
  final: string;
  /** What follows the final chunk line: the trailer section (or just CRLF). */
  tail: string;
}

/**
 * A STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] upload of `data` to `path`,
 * signed as the SDK's chunked signer does: a seed signature over the headers,
 * then each chunk chained from the one before, then the trailer (CRC32).
 */
export async function signedStreamingUpload(base: string, keys: Keys, path: string, data: Buffer, chunkSize: number, trailer: boolean): Promise<SignedUpload> {
  const sign = signer(keys);
  const signingDate = new Date();
  const url = new URL(path, base);
  const headers: Record<string, string> = {
    host: url.host, 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length),
    'x-amz-content-sha256': trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  };
  if (trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
  const signed = await sign.sign({ method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers }, { signingDate });
  let prior = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  const chunks: Array<[Buffer, string]> = [];
  for (let at = 0; at < data.length; at += chunkSize) {
    const piece = data.subarray(at, at + chunkSize);
    prior = await sign.sign({ headers: new Uint8Array(0), payload: piece }, { priorSignature: prior, signingDate });
    chunks.push([piece, prior]);
  }
  const final = await sign.sign({ headers: new Uint8Array(0), payload: new Uint8Array(0) }, { priorSignature: prior, signingDate });
  let tail = '\r\n';
  if (trailer) {
    const crc = createChecksum('CRC32');
    crc.update(data);
    const text = `x-amz-checksum-crc32:${crc.digest()}\n`;
    const amzDate = String(signed.headers['x-amz-date']);
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', amzDate, `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`, final, sha256Hex(text)].join('\n');
    tail = `${text.trimEnd()}\r\nx-amz-trailer-signature:${await sign.sign(toSign, { signingDate })}\r\n\r\n`;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) out[name] = String(value);
  return { headers: out, chunks, final, tail };
}

/** The aws-chunked body of a signed upload, from (possibly altered) chunks, final signature and tail. */
export function chunkedBody(chunks: Array<[Buffer, string]>, final: string | undefined, tail: string): Buffer {
  const parts: Buffer[] = [];
  for (const [data, sig] of chunks) parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from('\r\n'));
  if (final !== undefined) parts.push(Buffer.from(`0;chunk-signature=${final}\r\n`));
  parts.push(Buffer.from(tail));
  return Buffer.concat(parts);
}

/** Sends a signed upload with the given body (content-length set to it). */
export function sendUpload(base: string, path: string, upload: SignedUpload, body: Buffer): Promise<RawResponse> {
  return raw(base, 'PUT', path, { headers: { ...upload.headers, 'content-length': String(body.length) }, body });
}
