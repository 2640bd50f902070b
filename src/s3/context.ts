// What an operation handler receives (a typed request) and returns (data);
// handlers never touch the raw response.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Namespace } from '../namespace/namespace.ts';
import { AwsChunkedDecoder } from './body/aws-chunked.ts';
import { S3Error } from './errors.ts';
import type { XmlElement } from './xml/writer.ts';

/** The settings the S3 layer needs; main.ts derives them from the Config. */
export interface S3Settings {
  region: string;
  /** Served under this path prefix as well as at the root. */
  prefix: string;
  defaultUser: string;
  /** Base domains for virtual-hosted style (`bucket.<domain>`), lower-case; empty = path style only. */
  baseDomains: readonly string[];
}

export interface S3Result {
  status?: number;
  headers?: Record<string, string | number | undefined>;
  xml?: XmlElement;
  body?: Readable;
}

export type Handler = (ctx: RequestContext) => Promise<S3Result>;

export class RequestContext {
  readonly id: string;
  readonly op: string;
  readonly bucket: string;
  readonly key: string;
  readonly user: string;
  readonly query: URLSearchParams;
  readonly ns: Namespace;
  readonly settings: S3Settings;
  readonly signal: AbortSignal;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  #bodyTaken = false;

  constructor(init: {
    id: string; op: string; bucket: string; key: string; user: string; query: URLSearchParams;
    ns: Namespace; settings: S3Settings; signal: AbortSignal; req: IncomingMessage; res: ServerResponse;
  }) {
    this.id = init.id;
    this.op = init.op;
    this.bucket = init.bucket;
    this.key = init.key;
    this.user = init.user;
    this.query = init.query;
    this.ns = init.ns;
    this.settings = init.settings;
    this.signal = init.signal;
    this.#req = init.req;
    this.#res = init.res;
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  get headers(): IncomingHttpHeaders {
    return this.#req.headers;
  }

  header(name: string): string | undefined {
    const v = this.#req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  }

  /** Whether the handler asked for the body; an unread body decides how the connection ends. */
  get bodyTaken(): boolean {
    return this.#bodyTaken;
  }

  get isAwsChunked(): boolean {
    return (this.header('x-amz-content-sha256') ?? '').startsWith('STREAMING-') ||
      /(^|,)\s*aws-chunked\s*(,|$)/.test(this.header('content-encoding') ?? '');
  }

  /** The length of the object data: x-amz-decoded-content-length for aws-chunked bodies. */
  get contentLength(): number | undefined {
    const raw = this.isAwsChunked ? this.header('x-amz-decoded-content-length') : this.header('content-length');
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', 'Content length must be a non-negative integer.');
    return Number(raw);
  }

  /**
   * The request body, decoded. The first call answers `Expect: 100-continue`,
   * so a request refused by the checks before it never sends its body.
   */
  body(): Readable {
    if (this.#bodyTaken) throw new Error('request body taken twice');
    this.#bodyTaken = true;
    if (/100-continue/i.test(this.header('expect') ?? '') && !this.#res.headersSent) this.#res.writeContinue();
    if (!this.isAwsChunked) return this.#req;
    const decoder = new AwsChunkedDecoder({ decodedLength: this.contentLength, trailer: this.header('x-amz-trailer') });
    this.#req.on('error', (err) => decoder.destroy(err));
    return this.#req.pipe(decoder);
  }
}
