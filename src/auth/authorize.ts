// The authorization decision for one S3 request, as a pure function of the
// request and the bucket/object rows it touches: bucket policy (explicit Deny
// first), root user, ownership, policy Allow, ACL grants, in S3's order.
// Authentication (who the user is) happens before; the handler runs after.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//
// Decisions (S3 has accounts, Strata has users; each user is like an account):
// - An explicit Deny in the bucket policy beats everything: root, bucket owner,
//   object owner, ACLs. Except that the bucket owner and root may always
//   Get/Put/DeleteBucketPolicy, so a policy cannot lock everyone out (S3 keeps
//   that right for the owning account's root user).
// - The root user may do everything else, on every bucket (it is the admin).
// - The bucket owner may do everything on the bucket and every object in it
//   (S3 with "bucket owner enforced" object ownership, its default); an
//   object's owner may do every object-level thing on that object. Writes
//   (PUT, DELETE, multipart) are the bucket's: they need the bucket's WRITE.
// - Otherwise a policy Allow or an ACL grant allows; nothing else does.
// - Anonymous requests get only what AllUsers grants or a policy gives to "*".
// - ListBuckets and CreateBucket: every signed-in user; anonymous may not.
// - A bucket that does not exist: allowed, so the handler answers NoSuchBucket
//   (S3 answers NoSuchBucket to anonymous requests too: bucket names are
//   global and their existence is no secret).
// - An object that does not exist, for an op that reads it: allowed (so the
//   handler answers 404) only when the caller may s3:ListBucket the bucket;
//   otherwise denied, which is S3's 403 that hides whether the key exists.
import type { BucketRecord, ObjectRecord, UploadRecord } from '../meta/metadata-store.ts';
import { aclAllows, effectiveAcl } from '../s3/acl-model.ts';
import { checkContext, requestContext } from './condition-keys.ts';
import { OP_RULES, headerChecks, requiredResources, type CheckRule } from './op-actions.ts';
import type { ConditionContext } from './policy-conditions.ts';
import { evaluatePolicy, type PolicyPrincipal } from './policy-eval.ts';

export interface AuthRequest {
  /** The operation name router.ts gave the request. */
  op: string;
  bucket: string;
  key: string;
  /** The authenticated user; undefined for an anonymous request. */
  user: string | undefined;
  isRoot: boolean;
  /** The peer address as the socket reports it (`::ffff:127.0.0.1` is fine). */
  sourceIp: string;
  /** Whether the request came over TLS (aws:SecureTransport). */
  secureTransport: boolean;
  query: URLSearchParams;
  /** A request header by lower-case name. */
  header: (name: string) => string | undefined;
  /** The version the request names; defaults to the versionId query parameter. DeleteObjects passes each entry's. */
  versionId?: string;
  /** CopyObject / UploadPartCopy: x-amz-copy-source exactly as the handler parsed it (so both act on the same object). */
  copySource?: { bucket: string; key: string; versionId?: string };
  /** epoch ms, for aws:CurrentTime; defaults to Date.now(). */
  now?: number;
  /** More condition keys from the authentication layer: s3:signatureversion, s3:authType, s3:signatureAge ... */
  extraContext?: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * The rows the request touches. undefined = not loaded (fail closed: denied),
 * null = does not exist. requiredResources(op) says which an op needs.
 */
export interface AuthResources {
  bucket?: BucketRecord | null;
  /** The object at (bucket, key), for ops on an existing object. */
  object?: ObjectRecord | null;
  /** The multipart upload (uploadId), for AbortMultipartUpload and ListParts. */
  upload?: UploadRecord | null;
  /** The copy source's bucket and object. */
  sourceBucket?: BucketRecord | null;
  sourceObject?: ObjectRecord | null;
}

export interface AuthDecision {
  allowed: boolean;
  /** Why, for logs (never sent to clients). */
  reason: string;
  /** DeleteObjects / PostObject without a key: the handler must authorize each key (call again with `key`). */
  perKey?: boolean;
}

const ARN = 'arn:aws:s3:::';
/** "the root user of the account that owns the bucket can always use GetBucketPolicy, PutBucketPolicy and DeleteBucketPolicy". */
const LOCKOUT_SAFE: ReadonlySet<string> = new Set(['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']);
const LIST_BUCKET: CheckRule = { action: 's3:ListBucket', resource: 'bucket', acl: { on: 'bucket', permission: 'READ' }, existing: false };

const allow = (reason: string): AuthDecision => ({ allowed: true, reason });
const deny = (reason: string): AuthDecision => ({ allowed: false, reason });
const ROOT_USER: AuthDecision = Object.freeze(allow('root user'));
const BUCKET_OWNER: AuthDecision = Object.freeze(allow('bucket owner'));

interface Target {
  bucketName: string;
  key: string;
  bucket: BucketRecord | null | undefined;
  object: ObjectRecord | null | undefined;
  versionId: string | undefined;
}

interface Evaluation {
  request: AuthRequest;
  resources: AuthResources;
  principal: PolicyPrincipal;
  /** The request's condition keys, built on first use: only a bucket policy reads them. */
  base: () => ConditionContext;
}

function targetOf(rule: CheckRule, ev: Evaluation): Target | undefined {
  const { request, resources } = ev;
  if (!rule.source) {
    const versionId = request.versionId ?? request.query.get('versionId') ?? undefined;
    return { bucketName: request.bucket, key: request.key, bucket: resources.bucket, object: resources.object, versionId };
  }
  const src = request.copySource;
  if (!src) return undefined;
  return { bucketName: src.bucket, key: src.key, bucket: resources.sourceBucket, object: resources.sourceObject, versionId: src.versionId };
}

/** One permission: Deny, then missing rows, root, owners, initiator, policy Allow, ACL. */
function decideCheck(rule: CheckRule, ev: Evaluation): AuthDecision {
  const { request, resources, principal } = ev;
  const t = targetOf(rule, ev);
  if (!t) return deny(`${request.op} needs the parsed x-amz-copy-source`);
  if (t.bucket === undefined) return deny(`bucket row for ${t.bucketName} not loaded`);
  if (t.bucket === null) return allow(`no bucket ${t.bucketName}: the handler answers NoSuchBucket`);
  if (rule.existing && t.object === undefined) return deny(`object row for ${t.bucketName}/${t.key} not loaded`);
  const bucket = t.bucket;
  const object = rule.existing ? t.object ?? null : null;
  const user = request.user;
  const action = t.versionId !== undefined && rule.versionAction ? rule.versionAction : rule.action;
  const isBucketOwner = user !== undefined && user === bucket.owner;
  const resource = rule.resource === 'bucket' ? `${ARN}${bucket.name}` : `${ARN}${bucket.name}/${t.key}`;
  const effect = bucket.extras.policy === undefined ? 'NoMatch'
    : evaluatePolicy(bucket.extras.policy, { principal, action, resource, context: checkContext(ev.base(), action, request.query, object?.extras.tags) });

  if (effect === 'Deny') {
    if (LOCKOUT_SAFE.has(action) && (principal.isRoot || isBucketOwner)) return allow(`${action}: the bucket owner and root keep it despite a Deny`);
    return deny(`the bucket policy denies ${action} on ${resource}`);
  }
  if (rule.existing && object === null) {
    const listing = decideCheck({ ...LIST_BUCKET, source: rule.source }, ev);
    return listing.allowed
      ? allow(`no object ${t.key}; s3:ListBucket is allowed, so the handler answers 404`)
      : deny(`no object ${t.key} and no s3:ListBucket: 403 hides whether it exists`);
  }
  if (principal.isRoot) return ROOT_USER;
  if (isBucketOwner) return BUCKET_OWNER;
  if (object && user !== undefined && user === object.owner) return allow('object owner');
  if (rule.initiator && resources.upload && user !== undefined && user === resources.upload.owner) return allow('upload initiator');
  if (effect === 'Allow') return allow(`the bucket policy allows ${action} on ${resource}`);
  // Object ACLs only exist for existing objects (`object` is null otherwise).
  const aclHolder = rule.acl?.on === 'bucket' ? bucket : object;
  if (rule.acl && aclHolder) {
    const acl = effectiveAcl(aclHolder.extras.acl, aclHolder.owner);
    if (aclAllows(acl, aclHolder.owner, user, rule.acl.permission)) return allow(`the ${rule.acl.on} ACL grants ${rule.acl.permission}`);
  }
  return deny(`no policy statement or ACL grant allows ${action} on ${resource} to ${user ?? 'anonymous'}`);
}

/**
 * Whether the request may proceed. Every check the op (and its headers)
 * needs must pass; the first refusal is the answer. An op without a row in
 * OP_RULES is refused.
 */
export function authorize(request: AuthRequest, resources: AuthResources): AuthDecision {
  const rule = OP_RULES[request.op];
  if (!rule) return deny(`no authorization rule for ${request.op}`);
  if (rule.kind === 'public') return allow(`${request.op} needs no authorization`);
  if (rule.kind === 'authenticated') {
    return request.user === undefined ? deny(`${request.op} needs a signed-in user`) : allow(`${request.op}: every signed-in user`);
  }
  if (rule.perKey && request.key === '') {
    return { allowed: true, reason: `${request.op}: each key is authorized by the handler`, perKey: true };
  }
  const principal: PolicyPrincipal = { user: request.user, isRoot: request.isRoot && request.user !== undefined };
  // The common case in one step: every check of the op and its headers is on the request's own bucket, which has
  // no policy, and the caller is root or owns it, so each would allow (decideCheck: no Deny, and root or owner); the rows a
  // check needs must still have been loaded (fail closed), and a copy's source bucket is decided check by check.
  const needs = requiredResources(request.op);
  const bucket = resources.bucket;
  if (!needs.source && bucket && bucket.extras.policy === undefined && !(needs.object && resources.object === undefined)
    && (principal.isRoot || (request.user !== undefined && request.user === bucket.owner))) {
    return principal.isRoot ? ROOT_USER : BUCKET_OWNER;
  }
  let built: ConditionContext | undefined;
  const base = (): ConditionContext => built ??= requestContext({
    user: request.user,
    isRoot: principal.isRoot,
    sourceIp: request.sourceIp,
    secureTransport: request.secureTransport,
    query: request.query,
    header: request.header,
    versionId: request.versionId ?? request.query.get('versionId') ?? undefined,
    now: request.now ?? Date.now(),
    extra: request.extraContext,
  });
  const ev: Evaluation = { request, resources, principal, base };
  const reasons: string[] = [];
  for (const checks of [rule.checks, headerChecks(request.op, request.header)]) {
    for (const check of checks) {
      const decision = decideCheck(check, ev);
      if (!decision.allowed) return decision;
      reasons.push(decision.reason);
    }
  }
  return allow(reasons.join('; '));
}
