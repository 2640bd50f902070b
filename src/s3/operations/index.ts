// Operation name -> handler. A routed operation without a handler answers
// 501 NotImplemented with its name.
import type { Handler } from '../context.ts';
import * as buckets from './buckets.ts';
import * as list from './list.ts';
import * as multipart from './multipart.ts';
import * as objects from './objects.ts';

export const HANDLERS: Readonly<Record<string, Handler | undefined>> = {
  ListBuckets: buckets.listBuckets,
  CreateBucket: buckets.createBucket,
  DeleteBucket: buckets.deleteBucket,
  HeadBucket: buckets.headBucket,
  GetBucketLocation: buckets.getBucketLocation,
  ListObjects: list.listObjectsV1,
  ListObjectsV2: list.listObjectsV2,
  PutObject: objects.putObject,
  GetObject: objects.getObject,
  HeadObject: objects.headObject,
  DeleteObject: objects.deleteObject,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  ListParts: multipart.listParts,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
};
