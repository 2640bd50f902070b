// Native multipart passthrough: an S3 multipart upload under an S3 mount becomes
// a multipart upload on the remote at the object's final key, so the parts are
// stored once (no staging copy, no copy on commit). The caller (the namespace)
// keeps the part list and enforces S3's part rules; the remote enforces its own.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { errorName } from './s3-errors.ts';
import { versionTag } from './s3-etag.ts';

export interface NativePart {
  partNumber: number;
  /** The ETag the remote returned for the part, as returned (quoted). */
  etag: string;
}

export async function createUpload(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  if (out.UploadId === undefined) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
  return out.UploadId;
}

export async function uploadOnePart(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number,
  body: Readable | Buffer,
  length: number,
  signal?: AbortSignal,
): Promise<{ etag: string }> {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
    throw new Error(`part number must be 1..10000, got ${partNumber}`);
  }
  if (!Number.isSafeInteger(length) || length < 0) throw new Error(`invalid part length ${length}`);
  const out = await client.send(
    new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: length }),
    { abortSignal: signal },
  );
  if (out.ETag === undefined) throw new Error(`UploadPart ${partNumber} of ${key} returned no ETag`);
  return { etag: out.ETag };
}

/** Completes the upload; `etag` is the new object's version tag (unquoted), when the store sent one. */
export async function completeUpload(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  parts: readonly NativePart[],
): Promise<{ etag?: string }> {
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const out = await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
    }),
  );
  return { etag: versionTag(out.ETag) };
}

/** Idempotent: an upload that is already gone (NoSuchUpload) counts as aborted. */
export async function abortUpload(client: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (err) {
    if (errorName(err) === 'NoSuchUpload') return;
    throw err;
  }
}
