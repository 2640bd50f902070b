// Server-side copy of one object to another key in the same bucket: S3 has no
// rename, so a commit is copy + delete. Up to 5 GiB one CopyObject does it
// (atomic: the target appears whole); above that S3 requires a multipart upload
// whose parts are UploadPartCopy ranges of the source, completed at the end
// (equally atomic: nothing is visible until CompleteMultipartUpload).
// CopyObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
// UploadPartCopy: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { versionTag } from './s3-etag.ts';

const GiB = 1024 * 1024 * 1024;

export interface CopyOptions {
  /** Largest object one CopyObject may copy (S3: 5 GiB). */
  maxSingleCopy?: number;
  /** Part size of a multipart copy (default 512 MiB, raised to stay within 10,000 parts). */
  partSize?: number;
  /** UploadPartCopy requests in flight (default 4). */
  concurrency?: number;
}

/** `bucket/key` URL-encoded per segment, as x-amz-copy-source wants it. */
export function copySource(bucket: string, key: string): string {
  return `${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Copies `from` (of `size` bytes) onto `to`, replacing it; `etag` is the copy's version tag. Raw SDK errors. */
export async function copyObject(
  client: S3Client,
  bucket: string,
  from: string,
  to: string,
  size: number,
  options: CopyOptions = {},
): Promise<{ parts: number; etag?: string }> {
  const maxSingleCopy = options.maxSingleCopy ?? 5 * GiB;
  const source = copySource(bucket, from);
  if (size <= maxSingleCopy) {
    const copied = await client.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source }));
    return { parts: 0, etag: versionTag(copied.CopyObjectResult?.ETag) };
  }
  const partSize = Math.max(options.partSize ?? 512 * 1024 * 1024, Math.ceil(size / 10_000));
  const concurrency = options.concurrency ?? 4;
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: to }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error(`CreateMultipartUpload for ${to} returned no UploadId`);
  const count = Math.ceil(size / partSize);
  const parts: CompletedPart[] = new Array<CompletedPart>(count);
  let next = 0;
  // A few workers take part numbers in order until all are copied or one fails.
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const start = index * partSize;
      const end = Math.min(size, start + partSize) - 1;
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: to,
          UploadId: uploadId,
          PartNumber: index + 1,
          CopySource: source,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts[index] = { PartNumber: index + 1, ETag: out.CopyPartResult?.ETag };
    }
  };
  const guarded = async (): Promise<void> => {
    try {
      await worker();
    } catch (err) {
      next = count; // the others stop after their current part
      throw err;
    }
  };
  let etag: string | undefined;
  try {
    const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, count) }, () => guarded()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const completed = await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
    etag = versionTag(completed.ETag);
  } catch (err) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId: uploadId })).catch(() => {});
    throw err;
  }
  return { parts: count, etag };
}
