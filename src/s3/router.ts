// The one router table: method, target (service, bucket or object), and the
// query parameter or header that selects a sub-resource map to an operation
// named exactly as AWS names it. That name drives handlers, logs and metrics.
import { S3Error } from './errors.ts';

type Target = 'service' | 'bucket' | 'object';

interface Route {
  readonly method: string;
  readonly target: Target;
  /** A query parameter that must be present. */
  readonly query?: string;
  /** A header that must be present. */
  readonly header?: string;
  readonly op: string;
}

/** Sub-resources S3 has and the names of their Get/Put/Delete operations. */
const BUCKET_SUBRESOURCES: ReadonlyArray<readonly [string, string]> = [
  ['acl', 'BucketAcl'], ['policy', 'BucketPolicy'], ['cors', 'BucketCors'], ['tagging', 'BucketTagging'],
  ['versioning', 'BucketVersioning'], ['lifecycle', 'BucketLifecycleConfiguration'], ['website', 'BucketWebsite'],
  ['logging', 'BucketLogging'], ['notification', 'BucketNotificationConfiguration'], ['replication', 'BucketReplication'],
  ['encryption', 'BucketEncryption'], ['object-lock', 'ObjectLockConfiguration'], ['accelerate', 'BucketAccelerateConfiguration'],
  ['requestPayment', 'BucketRequestPayment'], ['ownershipControls', 'BucketOwnershipControls'], ['publicAccessBlock', 'PublicAccessBlock'],
  ['intelligent-tiering', 'BucketIntelligentTieringConfiguration'], ['analytics', 'BucketAnalyticsConfiguration'],
  ['inventory', 'BucketInventoryConfiguration'], ['metrics', 'BucketMetricsConfiguration'],
];
const OBJECT_SUBRESOURCES: ReadonlyArray<readonly [string, string]> = [
  ['acl', 'ObjectAcl'], ['tagging', 'ObjectTagging'], ['legal-hold', 'ObjectLegalHold'], ['retention', 'ObjectRetention'],
];

function subresourceRoutes(target: Target, list: ReadonlyArray<readonly [string, string]>): Route[] {
  return list.flatMap(([query, name]) => [
    { method: 'GET', target, query, op: `Get${name}` },
    { method: 'PUT', target, query, op: `Put${name}` },
    { method: 'DELETE', target, query, op: `Delete${name}` },
  ]);
}

/** First match wins, so rows with a query or header come before their plain form. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', target: 'service', op: 'ListBuckets' },

  { method: 'GET', target: 'bucket', query: 'uploads', op: 'ListMultipartUploads' },
  { method: 'GET', target: 'bucket', query: 'versions', op: 'ListObjectVersions' },
  { method: 'GET', target: 'bucket', query: 'location', op: 'GetBucketLocation' },
  { method: 'GET', target: 'bucket', query: 'policyStatus', op: 'GetBucketPolicyStatus' },
  { method: 'GET', target: 'bucket', query: 'list-type', op: 'ListObjectsV2' },
  ...subresourceRoutes('bucket', BUCKET_SUBRESOURCES),
  { method: 'GET', target: 'bucket', op: 'ListObjects' },
  { method: 'HEAD', target: 'bucket', op: 'HeadBucket' },
  { method: 'PUT', target: 'bucket', op: 'CreateBucket' },
  { method: 'DELETE', target: 'bucket', op: 'DeleteBucket' },
  { method: 'POST', target: 'bucket', query: 'delete', op: 'DeleteObjects' },
  { method: 'POST', target: 'bucket', op: 'PostObject' },
  // The CORS preflight: S3's "OPTIONS object" (RESTOPTIONSobject), on bucket and object paths alike.
  { method: 'OPTIONS', target: 'bucket', op: 'OptionsObject' },

  { method: 'GET', target: 'object', query: 'uploadId', op: 'ListParts' },
  { method: 'GET', target: 'object', query: 'attributes', op: 'GetObjectAttributes' },
  // Bucket-only listings asked of a key: their handlers answer S3's InvalidRequest rather than serving the object.
  { method: 'GET', target: 'object', query: 'uploads', op: 'ListMultipartUploads' },
  { method: 'GET', target: 'object', query: 'versions', op: 'ListObjectVersions' },
  { method: 'GET', target: 'object', query: 'torrent', op: 'GetObjectTorrent' },
  ...subresourceRoutes('object', OBJECT_SUBRESOURCES),
  { method: 'GET', target: 'object', op: 'GetObject' },
  { method: 'HEAD', target: 'object', op: 'HeadObject' },
  { method: 'PUT', target: 'object', query: 'uploadId', header: 'x-amz-copy-source', op: 'UploadPartCopy' },
  { method: 'PUT', target: 'object', query: 'uploadId', op: 'UploadPart' },
  { method: 'PUT', target: 'object', header: 'x-amz-copy-source', op: 'CopyObject' },
  { method: 'PUT', target: 'object', op: 'PutObject' },
  { method: 'DELETE', target: 'object', query: 'uploadId', op: 'AbortMultipartUpload' },
  { method: 'DELETE', target: 'object', op: 'DeleteObject' },
  { method: 'POST', target: 'object', query: 'uploads', op: 'CreateMultipartUpload' },
  { method: 'POST', target: 'object', query: 'uploadId', op: 'CompleteMultipartUpload' },
  { method: 'POST', target: 'object', query: 'restore', op: 'RestoreObject' },
  { method: 'POST', target: 'object', query: 'select', op: 'SelectObjectContent' },
  { method: 'OPTIONS', target: 'object', op: 'OptionsObject' },
];

export interface RoutedRequest {
  op: string;
  bucket: string;
  key: string;
}

/**
 * Splits a path-style URL path (already stripped of the API prefix) into bucket
 * and key, percent-decoded; the key keeps every '/' it had.
 */
export function splitPath(rawPath: string): { bucket: string; key: string } {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const slash = path.indexOf('/');
  const rawBucket = slash < 0 ? path : path.slice(0, slash);
  const rawKey = slash < 0 ? '' : path.slice(slash + 1);
  try {
    return { bucket: decodeURIComponent(rawBucket), key: decodeURIComponent(rawKey) };
  } catch {
    throw new S3Error('InvalidURI');
  }
}

export function route(method: string, rawPath: string, query: URLSearchParams, headers: Record<string, string | string[] | undefined>): RoutedRequest {
  const { bucket, key } = splitPath(rawPath);
  const target: Target = bucket === '' ? 'service' : key === '' ? 'bucket' : 'object';
  // HEAD and OPTIONS on the service have no operation.
  for (const r of ROUTES) {
    if (r.target !== target || r.method !== method) continue;
    if (r.query !== undefined && !query.has(r.query)) continue;
    if (r.header !== undefined && headers[r.header] === undefined) continue;
    return { op: r.op, bucket, key };
  }
  throw new S3Error('MethodNotAllowed', undefined, { Method: method, ResourceType: target.toUpperCase() });
}
