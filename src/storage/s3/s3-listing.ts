// Read-only probes of the S3 under-storage: HeadObject of one key, "is anything
// under this prefix", a directory listing over all pages, and iterators over
// every key / every incomplete multipart upload under a prefix (for the sweep).
// Errors are raw SDK errors; the caller maps them with the path it works on.
// ListObjectsV2: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
// ListMultipartUploads: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type HeadObjectCommandOutput,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import type { DirEntry } from '../under-storage.ts';
import { isNotFound } from './s3-errors.ts';

/** HeadObject, or undefined when the key does not exist. */
export async function headKey(client: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Up to `max` objects under `prefix` (in key order), one request. */
export async function keysUnder(client: S3Client, bucket: string, prefix: string, max: number): Promise<_Object[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: max }));
  return page.Contents ?? [];
}

export interface DirListing {
  entries: DirEntry[];
  /** The directory's own `prefix/` marker object is there. */
  marker: boolean;
}

/** Direct children of the directory whose keys start with `dirPrefix` ('' or ending in '/'), all pages. */
export async function listDirectory(client: S3Client, bucket: string, dirPrefix: string): Promise<DirListing> {
  const entries: DirEntry[] = [];
  let marker = false;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: dirPrefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const name = (object.Key ?? '').slice(dirPrefix.length);
      if (name === '') marker = true;
      else if (usableName(name)) entries.push({ name, isDirectory: false });
    }
    for (const common of page.CommonPrefixes ?? []) {
      const name = (common.Prefix ?? '').slice(dirPrefix.length, -1);
      if (usableName(name)) entries.push({ name, isDirectory: true });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { entries, marker };
}

/** Keys that cannot be paths (`a//b`, `a/./b`) are left out: no path could address them. */
function usableName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..';
}

/** Every key under `prefix`, a page (up to 1000) at a time. */
export async function* allKeys(client: S3Client, bucket: string, prefix: string): AsyncGenerator<string[]> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
    if (keys.length > 0) yield keys;
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** Every incomplete multipart upload under `prefix`. */
export async function* incompleteUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<{ key: string; uploadId: string }> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key !== undefined && upload.UploadId !== undefined) yield { key: upload.Key, uploadId: upload.UploadId };
    }
    if (page.IsTruncated !== true) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
    if (keyMarker === undefined && uploadIdMarker === undefined) return;
  }
}
