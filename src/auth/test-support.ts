// Test support for the signature verifiers (not a test itself): a local HTTP
// server that records exactly what real signing clients send (method, raw
// path and query, headers, body), SDK clients pointed at it (path-style, or
// virtual-hosted through a resolver that sends every host to 127.0.0.1), a
// Node crypto sha256 for @smithy/signature-v4, and helpers to assert S3Errors.
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Agent, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { S3Error, type S3ErrorCode } from '../s3/errors.ts';
import type { SignedRequest } from './sigv4.ts';

export const ACCESS_KEY = 'AKIDSTRATATEST01';
export const SECRET_KEY = 'sEcReT+/strata-test-key/0123456789abcdEF';
export const lookupSecret = async (ak: string): Promise<string | undefined> => (ak === ACCESS_KEY ? SECRET_KEY : undefined);

export interface Captured extends SignedRequest {
  rawUrl: string;
  body: Buffer;
}

export interface CaptureServer {
  port: number;
  url: string;
  requests: Captured[];
  close(): Promise<void>;
}

/** Answers every request with a small success response so clients carry on; records each request. */
export async function startCapture(): Promise<CaptureServer> {
  const requests: Captured[] = [];
  const server: Server = createServer((req, res) => {
    const pieces: Buffer[] = [];
    req.on('data', (p: Buffer) => pieces.push(p));
    req.on('end', () => {
      const rawUrl = req.url ?? '/';
      const q = rawUrl.indexOf('?');
      requests.push({
        method: req.method ?? 'GET', rawUrl,
        rawPath: q < 0 ? rawUrl : rawUrl.slice(0, q), rawQuery: q < 0 ? '' : rawUrl.slice(q + 1),
        headers: req.headers, headersDistinct: req.headersDistinct, body: Buffer.concat(pieces),
      });
      const xml = req.method === 'GET' || req.method === 'POST';
      const text = Buffer.from(xml ? '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult/>' : '');
      res.writeHead(200, {
        ETag: '"d41d8cd98f00b204e9800998ecf8427e"', 'Content-Type': xml ? 'application/xml' : 'binary/octet-stream',
        'Content-Length': text.length,
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port, url: `http://127.0.0.1:${port}`, requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** An SDK client signing with the test key; virtual-hosted clients use s3.example.com (resolved to 127.0.0.1). */
export function sdkClient(capture: CaptureServer, options: { virtualHosted?: boolean; secret?: string; region?: string } = {}): S3Client {
  return new S3Client({
    endpoint: options.virtualHosted === true ? `http://s3.example.com:${capture.port}` : capture.url,
    forcePathStyle: options.virtualHosted !== true,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: options.secret ?? SECRET_KEY },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup: toLoopback }) }),
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** The last request recorded, removed from the list. */
export function takeLast(capture: CaptureServer): Captured {
  const last = capture.requests.pop();
  assert.ok(last, 'no request was captured');
  capture.requests.length = 0;
  return last;
}

/** A copy of a captured request with some headers replaced (undefined removes one). */
export function withHeaders(req: Captured, changes: Record<string, string | undefined>): Captured {
  const headers: IncomingHttpHeaders = { ...req.headers };
  const distinct: Record<string, string[] | undefined> = { ...req.headersDistinct };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) {
      delete headers[name];
      delete distinct[name];
    } else {
      headers[name] = value;
      distinct[name] = [value];
    }
  }
  return { ...req, headers, headersDistinct: distinct };
}

/** Asserts that `promise` rejects with an S3Error of `code`, and returns it for further checks. */
export async function rejectsWith(promise: Promise<unknown>, code: S3ErrorCode): Promise<S3Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof S3Error, `expected an S3Error, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

/** A @smithy/signature-v4 hash constructor (SHA-256, or HMAC-SHA256 when given a key) over node:crypto. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}
