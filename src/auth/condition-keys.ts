// The condition context of a request: the global keys (aws:SourceIp,
// aws:SecureTransport, aws:username, aws:userid, aws:PrincipalType,
// aws:CurrentTime, aws:EpochTime, aws:Referer, aws:UserAgent) and S3's keys
// (s3:prefix, s3:delimiter, s3:max-keys on listings; s3:x-amz-* request
// headers; s3:VersionId; s3:RequestObjectTag/<k>; s3:ExistingObjectTag/<k>).
// Keys a request does not carry are absent, as IAM treats them.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-infotouse
import { tagsFromHeader } from '../s3/tags.ts';
import { contextKey, type ConditionContext } from './policy-conditions.ts';

/** What the request carries that condition keys are made of. */
export interface KeySource {
  user: string | undefined;
  isRoot: boolean;
  sourceIp: string;
  secureTransport: boolean;
  query: URLSearchParams;
  header: (name: string) => string | undefined;
  versionId: string | undefined;
  /** epoch ms */
  now: number;
  /** Keys the authentication layer knows (s3:signatureversion, s3:authType, s3:signatureAge, ...). */
  extra?: Readonly<Record<string, string | readonly string[]>>;
}

/** Request headers that are S3 condition keys of the same name (`s3:x-amz-acl`, ...). */
const HEADER_KEYS = [
  'x-amz-acl', 'x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write',
  'x-amz-grant-write-acp', 'x-amz-copy-source', 'x-amz-metadata-directive', 'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-storage-class', 'x-amz-website-redirect-location',
  'x-amz-content-sha256', 'x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold', 'x-amz-object-ownership',
];

/** Listing actions carry the listing's query parameters as keys. */
const LIST_ACTIONS: ReadonlySet<string> = new Set(['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads']);
const LIST_KEYS = ['prefix', 'delimiter', 'max-keys'];

function set(map: Map<string, readonly string[]>, key: string, value: string | readonly string[] | undefined): void {
  if (value === undefined) return;
  map.set(contextKey(key), typeof value === 'string' ? [value] : value);
}

/** The keys every check of a request shares. */
export function requestContext(src: KeySource): Map<string, readonly string[]> {
  const ctx = new Map<string, readonly string[]>();
  set(ctx, 'aws:SourceIp', src.sourceIp === '' ? undefined : src.sourceIp);
  set(ctx, 'aws:SecureTransport', String(src.secureTransport));
  // The variables table: anonymous requests have aws:userid "anonymous" and no aws:username.
  set(ctx, 'aws:username', src.user);
  set(ctx, 'aws:userid', src.user ?? 'anonymous');
  set(ctx, 'aws:PrincipalType', src.user === undefined ? 'Anonymous' : src.isRoot ? 'Account' : 'User');
  set(ctx, 'aws:CurrentTime', new Date(src.now).toISOString());
  set(ctx, 'aws:EpochTime', String(Math.floor(src.now / 1000)));
  set(ctx, 'aws:Referer', src.header('referer'));
  set(ctx, 'aws:UserAgent', src.header('user-agent'));
  for (const name of HEADER_KEYS) set(ctx, `s3:${name}`, src.header(name));
  set(ctx, 's3:VersionId', src.versionId);
  const tagging = src.header('x-amz-tagging');
  if (tagging !== undefined) {
    try {
      const tags = tagsFromHeader(tagging);
      for (const t of tags) set(ctx, `s3:RequestObjectTag/${t.key}`, t.value);
      set(ctx, 's3:RequestObjectTagKeys', tags.map((t) => t.key));
    } catch {
      // A malformed header is refused by the handler; it names no tags here.
    }
  }
  for (const [key, value] of Object.entries(src.extra ?? {})) set(ctx, key, value);
  return ctx;
}

/** The shared keys plus those of one check: the listing's parameters, the existing object's tags. */
export function checkContext(
  base: ConditionContext, action: string, query: URLSearchParams, objectTags: Readonly<Record<string, string>> | undefined,
): ConditionContext {
  const listing = LIST_ACTIONS.has(action);
  if (!listing && objectTags === undefined) return base;
  const ctx = new Map(base);
  if (listing) {
    for (const name of LIST_KEYS) set(ctx, `s3:${name}`, query.get(name) ?? undefined);
  }
  for (const [k, v] of Object.entries(objectTags ?? {})) set(ctx, `s3:ExistingObjectTag/${k}`, v);
  return ctx;
}
