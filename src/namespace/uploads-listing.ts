// Listing in-progress multipart uploads (ListMultipartUploads): one page of
// uploads and common prefixes in (key, upload id) order, with the same
// skip-ahead over a whole common prefix that listing.ts does for objects, so
// a page costs one range scan per entry however many uploads a prefix hides.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
import type { UploadRecord } from '../meta/metadata-store.ts';
import { requireBucket } from './buckets.ts';
import { commonPrefixOf } from './listing.ts';
import { prefixSuccessor } from './names.ts';
import type { NamespaceDeps } from './types.ts';

export interface UploadsRequest {
  prefix: string;
  delimiter: string;
  /** Resume after this key: with `uploadIdMarker`, after that upload of the key; alone, after every upload of it. */
  keyMarker: string;
  /** Ignored without `keyMarker`, as S3 ignores it. */
  uploadIdMarker: string;
  maxUploads: number;
}

export interface UploadsPage {
  uploads: UploadRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last upload's key or the last common prefix on the page. */
  nextKeyMarker?: string;
  /** The last upload's id, when the page ends with an upload rather than a common prefix. */
  nextUploadIdMarker?: string;
}

/** Where the scan starts, as the store's strictly-after (key, upload id) bound. */
interface Cursor {
  afterKey?: string;
  afterUploadId?: string;
}

/**
 * "Every key from `key` on": upload ids are never empty, so (key, '') sorts
 * before every upload of `key` and the strictly-after bound becomes inclusive.
 */
function fromKey(key: string): Cursor {
  return { afterKey: key, afterUploadId: '' };
}

/** The first scan's bound; undefined when nothing can sort after the marker. */
function startCursor(req: UploadsRequest): Cursor | undefined {
  if (req.keyMarker === '') return {};
  // A marker that is itself a common prefix (a NextKeyMarker can be one) resumes after everything under it.
  if (req.uploadIdMarker === '' && req.keyMarker.startsWith(req.prefix) &&
      commonPrefixOf(req.keyMarker, req.prefix, req.delimiter) === req.keyMarker) {
    const next = prefixSuccessor(req.keyMarker);
    return next === '' ? undefined : fromKey(next);
  }
  return req.uploadIdMarker === '' ? { afterKey: req.keyMarker } : { afterKey: req.keyMarker, afterUploadId: req.uploadIdMarker };
}

export async function listUploadsPage(deps: NamespaceDeps, bucket: string, req: UploadsRequest): Promise<UploadsPage> {
  await requireBucket(deps, bucket);
  const page: UploadsPage = { uploads: [], commonPrefixes: [], isTruncated: false };
  let cursor = startCursor(req);
  if (req.maxUploads === 0 || cursor === undefined) return page;
  let count = 0;
  for (;;) {
    const want = req.maxUploads - count + 1;
    const rows = await deps.store.listUploads(bucket, { prefix: req.prefix, ...cursor, limit: want });
    let skipped = false;
    for (const row of rows) {
      if (count === req.maxUploads) {
        page.isTruncated = true;
        return page;
      }
      count++;
      const cp = commonPrefixOf(row.key, req.prefix, req.delimiter);
      if (cp === undefined) {
        page.uploads.push(row);
        page.nextKeyMarker = row.key;
        page.nextUploadIdMarker = row.uploadId;
        cursor = { afterKey: row.key, afterUploadId: row.uploadId };
        continue;
      }
      page.commonPrefixes.push(cp);
      page.nextKeyMarker = cp;
      page.nextUploadIdMarker = undefined;
      const next = prefixSuccessor(cp);
      if (next === '') return page; // nothing sorts after this prefix
      cursor = fromKey(next);
      skipped = true;
      break;
    }
    if (!skipped && rows.length < want) return page;
  }
}
