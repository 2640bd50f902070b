// Operation name -> handler. A routed operation without a handler answers
// 501 NotImplemented with its name.
import type { Handler } from '../context.ts';
import * as acl from './acl.ts';
import * as attributes from './attributes.ts';
import * as buckets from './buckets.ts';
import * as copy from './copy.ts';
import * as cors from './cors.ts';
import * as deleteObjects from './delete-objects.ts';
import * as list from './list.ts';
import * as multipart from './multipart.ts';
import * as objects from './objects.ts';
import * as policy from './policy.ts';
import * as postObject from './post-object.ts';
import * as tagging from './tagging.ts';
import * as uploads from './uploads.ts';
import * as versions from './versions.ts';

export const HANDLERS: Readonly<Record<string, Handler | undefined>> = {
  ListBuckets: buckets.listBuckets,
  CreateBucket: buckets.createBucket,
  DeleteBucket: buckets.deleteBucket,
  HeadBucket: buckets.headBucket,
  GetBucketLocation: buckets.getBucketLocation,
  ListObjects: list.listObjectsV1,
  ListObjectsV2: list.listObjectsV2,
  ListObjectVersions: versions.listObjectVersions,
  ListMultipartUploads: uploads.listMultipartUploads,
  DeleteObjects: deleteObjects.deleteObjects,
  GetObjectAttributes: attributes.getObjectAttributes,
  PutObject: objects.putObject,
  PostObject: postObject.postObject,
  GetObject: objects.getObject,
  HeadObject: objects.headObject,
  DeleteObject: objects.deleteObject,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  ListParts: multipart.listParts,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  CopyObject: copy.copyObject,
  UploadPartCopy: copy.uploadPartCopy,
  PutObjectTagging: tagging.putObjectTagging,
  GetObjectTagging: tagging.getObjectTagging,
  DeleteObjectTagging: tagging.deleteObjectTagging,
  PutBucketTagging: tagging.putBucketTagging,
  GetBucketTagging: tagging.getBucketTagging,
  DeleteBucketTagging: tagging.deleteBucketTagging,
  GetObjectAcl: acl.getObjectAcl,
  PutObjectAcl: acl.putObjectAcl,
  GetBucketAcl: acl.getBucketAcl,
  PutBucketAcl: acl.putBucketAcl,
  PutBucketPolicy: policy.putBucketPolicy,
  GetBucketPolicy: policy.getBucketPolicy,
  DeleteBucketPolicy: policy.deleteBucketPolicy,
  GetBucketPolicyStatus: policy.getBucketPolicyStatus,
  PutBucketCors: cors.putBucketCors,
  GetBucketCors: cors.getBucketCors,
  DeleteBucketCors: cors.deleteBucketCors,
  OptionsObject: cors.optionsObject,
};
