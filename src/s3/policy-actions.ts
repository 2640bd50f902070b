// The S3 actions a bucket policy can name, split by the resource each applies
// to: the bucket (arn:aws:s3:::bucket) or its objects (arn:aws:s3:::bucket/*).
// A statement whose actions apply to none of its resources is refused, so the
// policy validator needs this table.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html

/** Actions on the bucket resource (names without the `s3:` prefix). */
export const BUCKET_ACTIONS: readonly string[] = [
  'CreateBucket', 'DeleteBucket', 'ListBucket', 'ListBucketVersions', 'ListBucketMultipartUploads',
  'GetBucketLocation', 'GetBucketAcl', 'PutBucketAcl', 'GetBucketCORS', 'PutBucketCORS',
  'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy', 'GetBucketPolicyStatus',
  'GetBucketTagging', 'PutBucketTagging', 'GetBucketVersioning', 'PutBucketVersioning',
  'GetBucketWebsite', 'PutBucketWebsite', 'DeleteBucketWebsite', 'GetBucketLogging', 'PutBucketLogging',
  'GetBucketNotification', 'PutBucketNotification', 'GetLifecycleConfiguration', 'PutLifecycleConfiguration',
  'GetReplicationConfiguration', 'PutReplicationConfiguration', 'GetEncryptionConfiguration', 'PutEncryptionConfiguration',
  'GetBucketObjectLockConfiguration', 'PutBucketObjectLockConfiguration', 'GetAccelerateConfiguration',
  'PutAccelerateConfiguration', 'GetBucketRequestPayment', 'PutBucketRequestPayment',
  'GetBucketOwnershipControls', 'PutBucketOwnershipControls', 'GetBucketPublicAccessBlock', 'PutBucketPublicAccessBlock',
  'GetAnalyticsConfiguration', 'PutAnalyticsConfiguration', 'GetInventoryConfiguration', 'PutInventoryConfiguration',
  'GetMetricsConfiguration', 'PutMetricsConfiguration', 'GetIntelligentTieringConfiguration',
  'PutIntelligentTieringConfiguration', 'ListBucketByTags',
];

/** Actions on object resources. */
export const OBJECT_ACTIONS: readonly string[] = [
  'GetObject', 'GetObjectVersion', 'PutObject', 'DeleteObject', 'DeleteObjectVersion',
  'GetObjectAcl', 'PutObjectAcl', 'GetObjectVersionAcl', 'PutObjectVersionAcl',
  'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging',
  'GetObjectVersionTagging', 'PutObjectVersionTagging', 'DeleteObjectVersionTagging',
  'GetObjectAttributes', 'GetObjectVersionAttributes', 'ListMultipartUploadParts', 'AbortMultipartUpload',
  'RestoreObject', 'GetObjectRetention', 'PutObjectRetention', 'GetObjectLegalHold', 'PutObjectLegalHold',
  'BypassGovernanceRetention', 'GetObjectTorrent', 'GetObjectVersionTorrent', 'ReplicateObject', 'ReplicateDelete',
  'ReplicateTags', 'ObjectOwnerOverrideToBucketOwner', 'GetObjectVersionForReplication', 'InitiateReplication',
];
