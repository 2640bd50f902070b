// Which S3 policy actions each routed operation needs, on which resource (the
// bucket, the object, or a copy's source object), and which ACL permission
// grants each: the table the authorizer walks. Every operation name in
// src/s3/router.ts ROUTES has a row (op-actions.test.ts walks them).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#acl-access-policy-permission-mapping
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuAndPermissions.html
import type { Permission } from '../s3/acl-model.ts';

/** One permission an operation needs. */
export interface CheckRule {
  /** The policy action, e.g. `s3:GetObject`. */
  action: string;
  /** The action instead when the request names a version (`versionId`), e.g. `s3:GetObjectVersion`. */
  versionAction?: string;
  /** The resource the action is on: the bucket ARN or the object ARN (`bucket/key`). */
  resource: 'bucket' | 'object';
  /** On the copy source (x-amz-copy-source) rather than the request's bucket and key. */
  source?: boolean;
  /** The ACL permission that grants the action, and whose ACL: the bucket's or the object's. */
  acl?: { on: 'bucket' | 'object'; permission: Permission };
  /**
   * The action is on an existing object: its owner may, its ACL may grant it,
   * and when it does not exist the answer is 404 only to those who may list the bucket.
   */
  existing: boolean;
  /** The initiator of the multipart upload (resources.upload) may. */
  initiator?: boolean;
}

/**
 * checks: every rule must pass. perKey: the key comes from the body
 * (DeleteObjects' entries, PostObject's form), so the handler authorizes each.
 * authenticated: every signed-in user (ListBuckets, CreateBucket). public: no
 * check at all (the CORS preflight, which CORS rules answer).
 */
export type OpRule =
  | { kind: 'checks'; checks: readonly CheckRule[]; perKey?: boolean }
  | { kind: 'authenticated' }
  | { kind: 'public' };

const s3 = (name: string): string => `s3:${name}`;

const bucketRead = (action: string): CheckRule =>
  ({ action: s3(action), resource: 'bucket', acl: { on: 'bucket', permission: 'READ' }, existing: false });
/** Bucket sub-resources no ACL permission maps to: the owner's, or a policy's. */
const bucketOwner = (action: string): CheckRule => ({ action: s3(action), resource: 'bucket', existing: false });
const bucketAcp = (action: string, permission: Permission): CheckRule =>
  ({ action: s3(action), resource: 'bucket', acl: { on: 'bucket', permission }, existing: false });
const objectRead = (action: string, versionAction: string): CheckRule =>
  ({ action: s3(action), versionAction: s3(versionAction), resource: 'object', acl: { on: 'object', permission: 'READ' }, existing: true });
const objectAcp = (action: string, versionAction: string, permission: Permission): CheckRule =>
  ({ action: s3(action), versionAction: s3(versionAction), resource: 'object', acl: { on: 'object', permission }, existing: true });
/** Object sub-resources no ACL permission maps to (tagging, retention, legal hold, restore). */
const objectOwner = (action: string, versionAction?: string): CheckRule =>
  ({ action: s3(action), versionAction: versionAction && s3(versionAction), resource: 'object', existing: true });
/** Writes into the bucket: the bucket's WRITE grants them, whoever owns the key now. */
const bucketWrite = (action: string, versionAction?: string): CheckRule =>
  ({ action: s3(action), versionAction: versionAction && s3(versionAction), resource: 'object', acl: { on: 'bucket', permission: 'WRITE' }, existing: false });
const sourceRead: CheckRule = { ...objectRead('GetObject', 'GetObjectVersion'), source: true };
const uploadOwner = (action: string): CheckRule => ({ action: s3(action), resource: 'object', existing: false, initiator: true });

const checks = (...list: CheckRule[]): OpRule => ({ kind: 'checks', checks: list });

/**
 * Bucket sub-resources (router.ts BUCKET_SUBRESOURCES) -> the Get, Put and
 * Delete actions. Deletes S3 has no action of its own for need the Put action
 * (DeleteBucketCors needs s3:PutBucketCORS); the router's Delete rows S3 does
 * not have at all (DeleteBucketVersioning, ...) answer 501, and are given the
 * Put action so that even they are owner-only.
 */
const BUCKET_CONFIG: ReadonlyArray<readonly [string, string, string, string]> = [
  ['BucketPolicy', 'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy'],
  ['BucketCors', 'GetBucketCORS', 'PutBucketCORS', 'PutBucketCORS'],
  ['BucketTagging', 'GetBucketTagging', 'PutBucketTagging', 'PutBucketTagging'],
  ['BucketVersioning', 'GetBucketVersioning', 'PutBucketVersioning', 'PutBucketVersioning'],
  ['BucketLifecycleConfiguration', 'GetLifecycleConfiguration', 'PutLifecycleConfiguration', 'PutLifecycleConfiguration'],
  ['BucketWebsite', 'GetBucketWebsite', 'PutBucketWebsite', 'DeleteBucketWebsite'],
  ['BucketLogging', 'GetBucketLogging', 'PutBucketLogging', 'PutBucketLogging'],
  ['BucketNotificationConfiguration', 'GetBucketNotification', 'PutBucketNotification', 'PutBucketNotification'],
  ['BucketReplication', 'GetReplicationConfiguration', 'PutReplicationConfiguration', 'PutReplicationConfiguration'],
  ['BucketEncryption', 'GetEncryptionConfiguration', 'PutEncryptionConfiguration', 'PutEncryptionConfiguration'],
  ['ObjectLockConfiguration', 'GetBucketObjectLockConfiguration', 'PutBucketObjectLockConfiguration', 'PutBucketObjectLockConfiguration'],
  ['BucketAccelerateConfiguration', 'GetAccelerateConfiguration', 'PutAccelerateConfiguration', 'PutAccelerateConfiguration'],
  ['BucketRequestPayment', 'GetBucketRequestPayment', 'PutBucketRequestPayment', 'PutBucketRequestPayment'],
  ['BucketOwnershipControls', 'GetBucketOwnershipControls', 'PutBucketOwnershipControls', 'PutBucketOwnershipControls'],
  ['PublicAccessBlock', 'GetBucketPublicAccessBlock', 'PutBucketPublicAccessBlock', 'PutBucketPublicAccessBlock'],
  ['BucketIntelligentTieringConfiguration', 'GetIntelligentTieringConfiguration', 'PutIntelligentTieringConfiguration', 'PutIntelligentTieringConfiguration'],
  ['BucketAnalyticsConfiguration', 'GetAnalyticsConfiguration', 'PutAnalyticsConfiguration', 'PutAnalyticsConfiguration'],
  ['BucketInventoryConfiguration', 'GetInventoryConfiguration', 'PutInventoryConfiguration', 'PutInventoryConfiguration'],
  ['BucketMetricsConfiguration', 'GetMetricsConfiguration', 'PutMetricsConfiguration', 'PutMetricsConfiguration'],
];

function bucketConfigRules(): Record<string, OpRule> {
  const rules: Record<string, OpRule> = {};
  for (const [name, get, put, del] of BUCKET_CONFIG) {
    rules[`Get${name}`] = checks(bucketOwner(get));
    rules[`Put${name}`] = checks(bucketOwner(put));
    rules[`Delete${name}`] = checks(bucketOwner(del));
  }
  return rules;
}

/** Operation name (router.ts) -> what it needs. */
export const OP_RULES: Readonly<Record<string, OpRule>> = {
  ListBuckets: { kind: 'authenticated' },
  CreateBucket: { kind: 'authenticated' },
  OptionsObject: { kind: 'public' },

  // Listing: READ on the bucket.
  ListObjects: checks(bucketRead('ListBucket')),
  ListObjectsV2: checks(bucketRead('ListBucket')),
  HeadBucket: checks(bucketRead('ListBucket')),
  ListObjectVersions: checks(bucketRead('ListBucketVersions')),
  ListMultipartUploads: checks(bucketRead('ListBucketMultipartUploads')),

  // The bucket itself and its ACL.
  DeleteBucket: checks(bucketOwner('DeleteBucket')),
  GetBucketLocation: checks(bucketOwner('GetBucketLocation')),
  GetBucketPolicyStatus: checks(bucketOwner('GetBucketPolicyStatus')),
  GetBucketAcl: checks(bucketAcp('GetBucketAcl', 'READ_ACP')),
  PutBucketAcl: checks(bucketAcp('PutBucketAcl', 'WRITE_ACP')),
  DeleteBucketAcl: checks(bucketAcp('PutBucketAcl', 'WRITE_ACP')),
  ...bucketConfigRules(),

  // Reading objects: READ on the object.
  GetObject: checks(objectRead('GetObject', 'GetObjectVersion')),
  HeadObject: checks(objectRead('GetObject', 'GetObjectVersion')),
  GetObjectTorrent: checks(objectRead('GetObjectTorrent', 'GetObjectVersionTorrent')),
  SelectObjectContent: checks(objectRead('GetObject', 'GetObjectVersion')),
  // "you need both s3:GetObject and s3:GetObjectAttributes" (API_GetObjectAttributes.html, Permissions).
  GetObjectAttributes: checks(objectRead('GetObject', 'GetObjectVersion'), objectRead('GetObjectAttributes', 'GetObjectVersionAttributes')),

  // Object ACLs: READ_ACP / WRITE_ACP on the object.
  GetObjectAcl: checks(objectAcp('GetObjectAcl', 'GetObjectVersionAcl', 'READ_ACP')),
  PutObjectAcl: checks(objectAcp('PutObjectAcl', 'PutObjectVersionAcl', 'WRITE_ACP')),
  DeleteObjectAcl: checks(objectAcp('PutObjectAcl', 'PutObjectVersionAcl', 'WRITE_ACP')),

  // Object sub-resources: the owners' or a policy's.
  GetObjectTagging: checks(objectOwner('GetObjectTagging', 'GetObjectVersionTagging')),
  PutObjectTagging: checks(objectOwner('PutObjectTagging', 'PutObjectVersionTagging')),
  DeleteObjectTagging: checks(objectOwner('DeleteObjectTagging', 'DeleteObjectVersionTagging')),
  GetObjectLegalHold: checks(objectOwner('GetObjectLegalHold')),
  PutObjectLegalHold: checks(objectOwner('PutObjectLegalHold')),
  DeleteObjectLegalHold: checks(objectOwner('PutObjectLegalHold')),
  GetObjectRetention: checks(objectOwner('GetObjectRetention')),
  PutObjectRetention: checks(objectOwner('PutObjectRetention')),
  DeleteObjectRetention: checks(objectOwner('PutObjectRetention')),
  RestoreObject: checks(objectOwner('RestoreObject')),

  // Writes: WRITE on the bucket.
  PutObject: checks(bucketWrite('PutObject')),
  DeleteObject: checks(bucketWrite('DeleteObject', 'DeleteObjectVersion')),
  CreateMultipartUpload: checks(bucketWrite('PutObject')),
  UploadPart: checks(bucketWrite('PutObject')),
  CompleteMultipartUpload: checks(bucketWrite('PutObject')),
  CopyObject: checks(sourceRead, bucketWrite('PutObject')),
  UploadPartCopy: checks(sourceRead, bucketWrite('PutObject')),
  DeleteObjects: { kind: 'checks', checks: [bucketWrite('DeleteObject', 'DeleteObjectVersion')], perKey: true },
  PostObject: { kind: 'checks', checks: [bucketWrite('PutObject')], perKey: true },

  // Multipart uploads in progress: "the bucket owner and the initiator" (mpuAndPermissions.html).
  AbortMultipartUpload: checks(uploadOwner('AbortMultipartUpload')),
  ListParts: checks(uploadOwner('ListMultipartUploadParts')),
};

/** Ops that write a new object and so may also set its ACL, tags and lock from headers. */
const OBJECT_WRITES: ReadonlySet<string> = new Set(['PutObject', 'CopyObject', 'CreateMultipartUpload']);
const GRANT_HEADERS = ['x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write', 'x-amz-grant-write-acp'];

/**
 * Actions a request needs beyond its operation's because of its headers: a
 * write that sets an ACL also needs s3:PutObjectAcl, tags s3:PutObjectTagging,
 * object lock s3:PutObjectRetention / s3:PutObjectLegalHold (the writer will
 * own the new object, so the bucket's WRITE grants these too); bypassing
 * governance retention needs s3:BypassGovernanceRetention.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (Permissions)
 */
export function headerChecks(op: string, header: (name: string) => string | undefined): CheckRule[] {
  const extra: CheckRule[] = [];
  if (OBJECT_WRITES.has(op)) {
    if (header('x-amz-acl') !== undefined || GRANT_HEADERS.some((h) => header(h) !== undefined)) extra.push(bucketWrite('PutObjectAcl'));
    const replacesTags = op !== 'CopyObject' || header('x-amz-tagging-directive')?.trim().toUpperCase() === 'REPLACE';
    if (header('x-amz-tagging') !== undefined && replacesTags) extra.push(bucketWrite('PutObjectTagging'));
    if (header('x-amz-object-lock-mode') !== undefined || header('x-amz-object-lock-retain-until-date') !== undefined) {
      extra.push(bucketWrite('PutObjectRetention'));
    }
    if (header('x-amz-object-lock-legal-hold') !== undefined) extra.push(bucketWrite('PutObjectLegalHold'));
  }
  const bypass = header('x-amz-bypass-governance-retention')?.trim().toLowerCase() === 'true';
  if (bypass && (op === 'PutObjectRetention' || op === 'DeleteObject' || op === 'DeleteObjects')) {
    extra.push({ action: s3('BypassGovernanceRetention'), resource: 'object', existing: false });
  }
  return extra;
}

/** What the caller must load before calling authorize for an op. */
export interface RequiredResources {
  bucket: boolean;
  /** The object row at (bucket, key), or null when there is none. */
  object: boolean;
  /** The copy source's bucket and object rows. */
  source: boolean;
  /** The upload row (uploadId), for the initiator's rights. */
  upload: boolean;
}

const NOTHING: RequiredResources = Object.freeze({ bucket: false, object: false, source: false, upload: false });

/** Per op, worked out once: every request asks. */
const required = new Map<string, RequiredResources>();

export function requiredResources(op: string): RequiredResources {
  const known = required.get(op);
  if (known !== undefined) return known;
  const rule = Object.hasOwn(OP_RULES, op) ? OP_RULES[op] : undefined;
  if (!rule || rule.kind !== 'checks') return NOTHING;
  const needs = Object.freeze({
    bucket: true,
    object: rule.checks.some((c) => c.existing && !c.source),
    source: rule.checks.some((c) => c.source === true),
    upload: rule.checks.some((c) => c.initiator === true),
  });
  required.set(op, needs);
  return needs;
}
