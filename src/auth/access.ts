// Access control as the APIs apply it: loads the bucket, object, upload and
// copy-source rows an operation's rule needs (requiredResources) and asks the
// pure decision (authorize.ts) whether the identity may proceed. Used by the
// S3 server before every handler, by DeleteObjects and POST Object for their
// keys, and by the FS REST API. Enforced in sigv4 mode only: in simple mode
// any request can name any user, so there is nobody to keep out (see
// docs/security.md); `enforced` says which.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html
import type { IncomingMessage } from 'node:http';
import type { MetadataStore, ObjectRecord } from '../meta/metadata-store.ts';
import type { Namespace } from '../namespace/namespace.ts';
import { rememberBucket } from '../namespace/request-rows.ts';
import { S3Error, isS3Error } from '../s3/errors.ts';
import { authConditionKeys, type Identity } from './authenticate.ts';
import { authorize, type AuthDecision, type AuthResources } from './authorize.ts';
import { requiredResources } from './op-actions.ts';

/** One question: may `identity` do `op` on bucket/key? */
export interface AccessAsk {
  op: string;
  bucket: string;
  key: string;
  identity: Identity;
  /** The connection the request came on: aws:SourceIp, aws:SecureTransport. */
  peer: { sourceIp: string; secureTransport: boolean };
  query: URLSearchParams;
  header: (name: string) => string | undefined;
  versionId?: string;
  /** CopyObject / UploadPartCopy: the source as the handler parses it. */
  copySource?: { bucket: string; key: string; versionId?: string };
  /** Condition keys of the authentication instead of the identity's own (POST Object forms: s3:authType POST). */
  conditionKeys?: Record<string, string>;
}

/** The peer of a request as the condition keys need it. */
export function peerOf(req: IncomingMessage): AccessAsk['peer'] {
  return { sourceIp: req.socket.remoteAddress ?? '', secureTransport: 'encrypted' in req.socket && req.socket.encrypted === true };
}

export class AccessControl {
  readonly enforced: boolean;
  readonly #ns: Namespace;

  constructor(ns: Namespace, enforced: boolean) {
    this.#ns = ns;
    this.enforced = enforced;
  }

  get #store(): MetadataStore {
    return this.#ns.deps.store;
  }

  /** The object row, null when there is none (or the key is not valid: the handler answers that to those allowed to know). */
  async #object(bucket: string, key: string): Promise<ObjectRecord | null> {
    try {
      return await this.#ns.headObject(bucket, key);
    } catch (err) {
      if (isS3Error(err)) return null;
      throw err;
    }
  }

  /** Loads what the op's rule needs and decides. */
  async decide(ask: AccessAsk): Promise<AuthDecision> {
    const needs = requiredResources(ask.op);
    const resources: AuthResources = {};
    if (needs.bucket) {
      const bucket = (await this.#store.getBucket(ask.bucket)) ?? null;
      resources.bucket = bucket;
      // The handler's existence check reuses this row within this request only (request-rows.ts).
      if (bucket !== null) rememberBucket(bucket);
      // Root and the bucket's owner may do anything to its objects unless a policy denies it
      // (authorize.ts), so without a policy the object row cannot change the answer: not read.
      const { identity } = ask;
      const ownersOnly = bucket !== null && bucket.extras.policy === undefined
        && (identity.isRoot || (!identity.anonymous && identity.user === bucket.owner));
      if (needs.object) resources.object = ask.key === '' || bucket === null || ownersOnly ? null : await this.#object(ask.bucket, ask.key);
      const uploadId = needs.upload ? ask.query.get('uploadId') : null;
      if (uploadId !== null) {
        const upload = await this.#store.getUpload(uploadId);
        resources.upload = upload !== undefined && upload.bucket === ask.bucket && upload.key === ask.key ? upload : null;
      }
    }
    if (needs.source && ask.copySource !== undefined) {
      const src = ask.copySource;
      resources.sourceBucket = (await this.#store.getBucket(src.bucket)) ?? null;
      resources.sourceObject = resources.sourceBucket === null ? null : await this.#object(src.bucket, src.key);
    }
    const { identity } = ask;
    return authorize({
      op: ask.op,
      bucket: ask.bucket,
      key: ask.key,
      user: identity.anonymous ? undefined : identity.user,
      isRoot: identity.isRoot,
      sourceIp: ask.peer.sourceIp,
      secureTransport: ask.peer.secureTransport,
      query: ask.query,
      header: ask.header,
      versionId: ask.versionId,
      copySource: ask.copySource,
      extraContext: ask.conditionKeys ?? authConditionKeys(identity),
    }, resources);
  }

  /** Whether the ask is allowed; always true when access control is not enforced. */
  async allows(ask: AccessAsk): Promise<boolean> {
    if (!this.enforced) return true;
    return (await this.decide(ask)).allowed;
  }

  /** Throws AccessDenied (403, "Access Denied", as S3 answers) unless allowed. */
  async require(ask: AccessAsk): Promise<AuthDecision | undefined> {
    if (!this.enforced) return undefined;
    const decision = await this.decide(ask);
    if (!decision.allowed) throw new AccessDeniedError(decision.reason);
    return decision;
  }
}

/** AccessDenied with the reason kept for the log (never sent: S3 says only "Access Denied"). */
export class AccessDeniedError extends S3Error {
  readonly reason: string;
  constructor(reason: string) {
    super('AccessDenied');
    this.reason = reason;
  }
}
