// What an operation handler receives (a typed request) and returns (data);
// handlers never touch the raw response.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { AccessAsk, AccessControl } from '../auth/access.ts';
import type { Authenticator, AuthMode, Identity } from '../auth/authenticate.ts';
import { declaredBodySha256, verifiedBody } from '../auth/body-verify.ts';
import type { Namespace } from '../namespace/namespace.ts';
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
  /** 'simple' trusts the user a request names; 'sigv4' verifies signatures and enforces access control. */
  auth: AuthMode;
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
  /** Who is asking, as authentication found (ctx.user is identity.user). */
  readonly identity: Identity;
  readonly query: URLSearchParams;
  readonly ns: Namespace;
  readonly settings: S3Settings;
  readonly signal: AbortSignal;
  readonly authenticator: Authenticator;
  /** Access control, for checks a handler makes itself (DeleteObjects' keys, POST Object). */
  readonly access: AccessControl;
  readonly peer: AccessAsk['peer'];
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  #bodyTaken = false;

  constructor(init: {
    id: string; op: string; bucket: string; key: string; identity: Identity; query: URLSearchParams;
    ns: Namespace; settings: S3Settings; signal: AbortSignal; req: IncomingMessage; res: ServerResponse;
    authenticator: Authenticator; access: AccessControl; peer: AccessAsk['peer'];
  }) {
    this.id = init.id;
    this.op = init.op;
    this.bucket = init.bucket;
    this.key = init.key;
    this.identity = init.identity;
    this.user = init.identity.user;
    this.authenticator = init.authenticator;
    this.access = init.access;
    this.peer = init.peer;
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
   * The request body, decoded and checked against what the signature covers
   * (body-verify.ts). The first call answers `Expect: 100-continue`, so a
   * request refused by the checks before it never sends its body.
   * `sha256CheckedByConsumer`: the caller checks bodySha256 itself (see verifiedBody).
   */
  body(options: { sha256CheckedByConsumer?: boolean } = {}): Readable {
    if (this.#bodyTaken) throw new Error('request body taken twice');
    this.#bodyTaken = true;
    if (/100-continue/i.test(this.header('expect') ?? '') && !this.#res.headersSent) this.#res.writeContinue();
    const awsChunked = this.isAwsChunked;
    return verifiedBody(this.#req, this.identity.result, {
      awsChunked, decodedLength: awsChunked ? this.contentLength : undefined, trailer: this.header('x-amz-trailer'),
    }, options);
  }

  /** The hex SHA-256 a plain body must hash to (x-amz-content-sha256, sigv4 mode); undefined for aws-chunked bodies and in simple mode. */
  get bodySha256(): string | undefined {
    return this.isAwsChunked ? undefined : declaredBodySha256(this.#req, this.identity.result);
  }

  /** The question "may the caller do `op` on `key` of this bucket?", with this request's context. */
  accessAsk(op: string, key: string, extra: Partial<AccessAsk> = {}): AccessAsk {
    return {
      op, bucket: this.bucket, key, identity: this.identity, peer: this.peer, query: this.query,
      header: (name) => this.header(name), ...extra,
    };
  }
}
