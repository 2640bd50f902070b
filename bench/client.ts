// Minimal S3 client for the benchmark: raw node:http over a keep-alive Agent,
// path-style URLs, no SDK and no signing, so client overhead is small and the
// same for both targets. Large bodies are streamed from one reused random
// buffer; responses are drained and counted, never kept whole unless asked.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export const MiB = 1024 * 1024;

/** One random MiB; every request body is a slice of it or repeats of it. */
export const RANDOM_MIB: Buffer = randomBytes(MiB);

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** body bytes received */
  bytes: number;
  /** the body text, only when `keepBody` was requested */
  text?: string;
}

export interface RequestOptions {
  method: 'GET' | 'PUT' | 'HEAD' | 'POST' | 'DELETE';
  /** path-and-query, e.g. /bucket/key?uploads */
  path: string;
  /** small in-memory body */
  body?: Buffer | string;
  /** large streamed body: this many bytes of repeated RANDOM_MIB */
  streamBytes?: number;
  keepBody?: boolean;
  /** extra request headers (e.g. a SigV4 signature: bench/auth-workloads.ts) */
  headers?: Record<string, string>;
  /** statuses accepted as success (default: any 2xx) */
  expect?: readonly number[];
}

export class HttpError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** Yields `total` bytes as repeats (and a final slice) of RANDOM_MIB. */
export function* repeatedBody(total: number): Generator<Buffer> {
  let left = total;
  while (left > 0) {
    const n = Math.min(left, RANDOM_MIB.length);
    yield n === RANDOM_MIB.length ? RANDOM_MIB : RANDOM_MIB.subarray(0, n);
    left -= n;
  }
}

/** A small body: `size` bytes of RANDOM_MIB starting at a varying offset. */
export function smallBody(size: number, i: number): Buffer {
  const start = (i * 4099) % (RANDOM_MIB.length - size);
  return RANDOM_MIB.subarray(start, start + size);
}

export class S3Client {
  readonly base: URL;
  private readonly agent: Agent;
  /** socket idle timeout: a request that stalls this long fails */
  private readonly idleTimeoutMs: number;

  constructor(baseUrl: string, maxSockets: number, idleTimeoutMs = 60_000) {
    this.base = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.idleTimeoutMs = idleTimeoutMs;
  }

  close(): void {
    this.agent.destroy();
  }

  async send(opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string | number> = { ...opts.headers };
    const small = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
    if (small) headers['Content-Length'] = small.length;
    else if (opts.streamBytes !== undefined) headers['Content-Length'] = opts.streamBytes;
    else if (opts.method === 'PUT' || opts.method === 'POST') headers['Content-Length'] = 0;
    const req = request({
      host: this.base.hostname,
      port: this.base.port,
      method: opts.method,
      path: opts.path,
      agent: this.agent,
      headers,
    });
    req.setTimeout(this.idleTimeoutMs, () => req.destroy(new Error(`${opts.method} ${opts.path}: no progress for ${this.idleTimeoutMs / 1000}s`)));
    const responded = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.on('error', reject);
    });
    // A server may answer early (e.g. an error) while we are still sending.
    let early = false;
    responded.then(() => { early = true; }, () => { early = true; });
    if (small) req.end(small);
    else if (opts.streamBytes !== undefined) {
      for (const chunk of repeatedBody(opts.streamBytes)) {
        if (early || req.destroyed) break;
        if (!req.write(chunk)) {
          await Promise.race([once(req, 'drain'), responded.then(() => undefined, () => undefined)]);
        }
      }
      req.end();
    } else req.end();
    const res = await responded;
    const status = res.statusCode ?? 0;
    const ok = opts.expect ? opts.expect.includes(status) : status >= 200 && status < 300;
    const keep = opts.keepBody === true || !ok;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of res) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      if (keep && bytes <= 4 * MiB) chunks.push(buf);
    }
    const text = keep ? Buffer.concat(chunks).toString('utf8') : undefined;
    if (!ok) {
      const detail = (text ?? '').replace(/\s+/g, ' ').slice(0, 300);
      throw new HttpError(`${opts.method} ${opts.path} -> HTTP ${status}${detail ? `: ${detail}` : ''}`, status);
    }
    return { status, headers: res.headers, bytes, text };
  }
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight; stops at the first error. */
export async function runPool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async (): Promise<void> => {
    while (failed === null && next < n) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        if (failed === null) failed = err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
  if (failed !== null) throw failed;
}

/** Text of the first <Tag>...</Tag> in an XML document, XML entities decoded. */
export function xmlValue(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? xmlDecode(m[1]) : undefined;
}

export function xmlDecode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    }
  });
}

export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
