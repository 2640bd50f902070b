// Who is asking: the one authentication step every API of the server (S3, the
// FS REST API, the admin API) runs before it authorizes anything.
// - simple mode: the Authorization header or a presigned URL names the user
//   and nothing is checked (src/auth/simple.ts); a request naming nobody acts
//   as the default user, who is the administrator ("root") in this mode.
// - sigv4 mode: the request's signature is verified against the credential
//   store (SigV4 header or presigned URL, SigV2 header or query; verify.ts),
//   a request with no credential at all is anonymous, and what the signature
//   says about the body (x-amz-content-sha256) is checked here against the
//   body's framing before any byte of it is read (see body-verify.ts).
// Verification runs over the path exactly as sent, before the API prefix is
// stripped: clients sign the full raw path.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
import type { IncomingMessage } from 'node:http';
import { S3Error } from '../s3/errors.ts';
import type { CredentialStore } from './credentials.ts';
import { identifySimple } from './simple.ts';
import { verifyRequestNow, type AuthResult } from './verify.ts';

export type AuthMode = 'simple' | 'sigv4';

/**
 * The owner recorded for what anonymous requests write (into a public-write
 * bucket) in sigv4 mode. The admin API refuses it as a user name, so nobody
 * can sign in as the owner of anonymous uploads.
 */
export const ANONYMOUS_USER = 'anonymous';

export interface Identity {
  /** The user acting: the signer, the named user (simple mode), or ANONYMOUS_USER. */
  user: string;
  /** The administrator: the root user (sigv4), the default user (simple). */
  isRoot: boolean;
  /** No credential at all, in sigv4 mode: authorization treats the caller as anonymous. Never true in simple mode. */
  anonymous: boolean;
  /**
   * What verification of the request found (sigv4 mode); undefined in simple
   * mode, where nothing is verified, and for POST Object forms (post-policy.ts verifies those).
   */
  result: AuthResult | undefined;
}

export interface AuthenticatorOptions {
  mode: AuthMode;
  /** Required in sigv4 mode; in simple mode it only serves POST Object form signatures. */
  credentials?: CredentialStore;
  defaultUser: string;
  /** The region credential scopes must name. */
  region: string;
}

/** Where a request was addressed, as the verifiers need it. */
export interface RequestTarget {
  /** The path as sent, still percent-encoded, API prefix included. */
  rawPath: string;
  /** The query as sent, without '?'. */
  rawQuery: string;
  /** The bucket the Host header named, for a virtual-hosted request (SigV2 signs it as a path prefix). */
  virtualHostBucket?: string;
}

interface KnownKey {
  user: string;
  isRoot: boolean;
  secretKey: string;
}

/** Entries kept of looked-up access keys; a key not found is never kept. */
const MAX_CACHED_KEYS = 1024;

export class Authenticator {
  readonly mode: AuthMode;
  readonly #options: AuthenticatorOptions;
  /** accessKeyId -> user and secret: saves two queries and an AES-GCM open per request. Cleared on every user change. */
  readonly #keys = new Map<string, KnownKey>();

  constructor(options: AuthenticatorOptions) {
    if (options.mode === 'sigv4' && options.credentials === undefined) throw new Error('sigv4 authentication needs a credential store');
    this.mode = options.mode;
    this.#options = options;
  }

  get defaultUser(): string {
    return this.#options.defaultUser;
  }

  get region(): string {
    return this.#options.region;
  }

  get credentials(): CredentialStore | undefined {
    return this.#options.credentials;
  }

  /** Drops every cached key: call after users or keys were added, removed or rotated. */
  forget(): void {
    this.#keys.clear();
  }

  /** The cached entry when there is one (synchronously: this runs on every request), else the store's answer. */
  #known(accessKeyId: string): KnownKey | Promise<KnownKey | undefined> {
    return this.#keys.get(accessKeyId) ?? this.#load(accessKeyId);
  }

  async #load(accessKeyId: string): Promise<KnownKey | undefined> {
    const found = await this.#options.credentials?.lookup(accessKeyId);
    if (found === undefined) return undefined;
    if (this.#keys.size >= MAX_CACHED_KEYS) this.#keys.clear();
    this.#keys.set(accessKeyId, found);
    return found;
  }

  /** The secret of an access key id, for the verifiers; undefined when there is no such key. */
  readonly lookupSecret = (accessKeyId: string): string | Promise<string | undefined> => {
    const known = this.#known(accessKeyId);
    return known instanceof Promise ? known.then((k) => k?.secretKey) : known.secretKey;
  };

  /**
   * The identity behind an access key id verified against the credential
   * store, or of a request with no credential (anonymous in sigv4 mode, the
   * default user in simple mode).
   */
  identityOf(accessKeyId: string | undefined, result: AuthResult | undefined): Identity | Promise<Identity> {
    const defaultUser = this.#options.defaultUser;
    if (accessKeyId === undefined) {
      return this.mode === 'simple'
        ? { user: defaultUser, isRoot: true, anonymous: false, result: undefined }
        : { user: ANONYMOUS_USER, isRoot: false, anonymous: true, result };
    }
    const identify = (known: KnownKey | undefined): Identity => {
      // The key was there a moment ago, when the signature was checked; a user removed in between is gone.
      if (known === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
      return { user: known.user, isRoot: this.mode === 'simple' ? known.user === defaultUser : known.isRoot, anonymous: false, result };
    };
    const found = this.#known(accessKeyId);
    return found instanceof Promise ? found.then(identify) : identify(found);
  }

  /**
   * Authenticates one request; fails with the S3Error S3 would answer. With
   * the credential cached this all happens synchronously (and a refusal is
   * thrown, not rejected): callers await it either way.
   */
  authenticate(req: IncomingMessage, target: RequestTarget): Identity | Promise<Identity> {
    if (this.mode === 'simple') {
      const named = identifySimple(firstValue(req.headers.authorization), new URLSearchParams(target.rawQuery), this.#options.defaultUser);
      return { user: named.user, isRoot: named.user === this.#options.defaultUser, anonymous: false, result: undefined };
    }
    const verified = verifyRequestNow({
      method: req.method ?? 'GET',
      rawPath: target.rawPath,
      rawQuery: target.rawQuery,
      headers: req.headers,
      headersDistinct: repeatsHeaders(req) ? req.headersDistinct : undefined,
    }, { lookupSecret: this.lookupSecret, region: this.#options.region, virtualHostBucket: target.virtualHostBucket });
    const identify = (result: AuthResult): Identity | Promise<Identity> => {
      checkBodyFraming(result, req);
      return this.identityOf(result.version === 'none' ? undefined : result.accessKeyId, result);
    };
    return verified instanceof Promise ? verified.then(identify) : identify(verified);
  }
}

/**
 * Whether a header line is repeated: only then do the distinct values (which
 * Node builds on first access, per request) differ from req.headers.
 */
function repeatsHeaders(req: IncomingMessage): boolean {
  let names = 0;
  for (const name in req.headers) if (Object.hasOwn(req.headers, name)) names++;
  return names * 2 !== req.rawHeaders.length;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const SIGNED_STREAMING = /^STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)?$/;

/**
 * The body's framing must be what the signature covers: aws-chunked framing
 * (Content-Encoding: aws-chunked) only with a STREAMING-* payload mode, since
 * otherwise chunk signatures nobody verifies could frame the data; and signed
 * chunks only on a SigV4-signed request, the only kind they can chain from.
 * Checked before the handler runs, so a refused request never sends its body.
 */
function checkBodyFraming(result: AuthResult, req: IncomingMessage): void {
  const declared = firstValue(req.headers['x-amz-content-sha256']) ?? '';
  const chunkedEncoding = /(^|,)\s*aws-chunked\s*(,|$)/i.test(firstValue(req.headers['content-encoding']) ?? '');
  if (result.version === 4) {
    if (chunkedEncoding && result.payload.kind !== 'streaming') {
      throw new S3Error('InvalidRequest', 'Content-Encoding aws-chunked needs a STREAMING-* x-amz-content-sha256 value that the signature covers.');
    }
    return;
  }
  if (SIGNED_STREAMING.test(declared)) {
    throw new S3Error('InvalidRequest', `x-amz-content-sha256 ${declared} needs a request signed with AWS Signature Version 4.`);
  }
}

/** Condition keys the authentication layer knows: s3:signatureversion ("AWS4-HMAC-SHA256" or "AWS") and s3:authType. */
export function authConditionKeys(identity: Identity): Readonly<Record<string, string>> {
  const result = identity.result;
  if (result === undefined || result.version === 'none') return NO_KEYS;
  return CONDITION_KEYS[result.version === 4 ? 0 : 1][result.presigned ? 0 : 1];
}

/** The answers of authConditionKeys, built once (every authorized request asks): [SigV4, SigV2] x [query, header]. */
const NO_KEYS: Readonly<Record<string, string>> = Object.freeze({});
const CONDITION_KEYS = ['AWS4-HMAC-SHA256', 'AWS'].map((version) => ['REST-QUERY-STRING', 'REST-HEADER'].map((authType) =>
  Object.freeze({ 's3:signatureversion': version, 's3:authType': authType })));
