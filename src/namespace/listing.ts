// Listing: one page of keys and common prefixes, by range scans that skip
// over a whole common prefix at once, so a page costs the same in a bucket of
// a million keys as in one of a thousand.
import type { ObjectRecord } from '../meta/metadata-store.ts';
import { prefixSuccessor } from './names.ts';
import type { NamespaceDeps } from './types.ts';

export interface ListRequest {
  prefix: string;
  delimiter: string;
  /** Resume strictly after this key (V1 marker, V2 start-after). */
  after?: string;
  /** Resume at this key or prefix, inclusive (V2 continuation token). */
  from?: string;
  maxKeys: number;
}

export interface ListPage {
  contents: ObjectRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or prefix on this page (V1 NextMarker). */
  lastReturned?: string;
  /** The first key or prefix of the next page (V2 continuation token). */
  nextStart?: string;
}

/** The common prefix `key` rolls up into (prefix up to and including the first delimiter after it), if any. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  if (delimiter === '') return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

const SKIP_BATCH = 2;

export async function listPage(deps: NamespaceDeps, bucket: string, req: ListRequest): Promise<ListPage> {
  const page: ListPage = { contents: [], commonPrefixes: [], isTruncated: false };
  // S3 answers max-keys=0 with an empty page that is not truncated (ceph s3-tests test_bucket_list_maxkeys_zero).
  if (req.maxKeys === 0) return page;
  let after = req.after;
  let from = req.from;
  // Resuming after a common prefix (a V1 NextMarker can be one) means resuming after everything under it.
  if (after !== undefined && after.startsWith(req.prefix) && commonPrefixOf(after, req.prefix, req.delimiter) === after) {
    from = prefixSuccessor(after);
    after = undefined;
  }
  let count = 0;
  // Rows fetched per scan: the whole remaining page at first, but right after a
  // skip over a common prefix only a few (the next rows are often under the
  // next prefix, and fetching a page's worth each time would make a page of
  // prefixes cost page² rows); it grows again while rows keep being used.
  let batch = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const want = Math.min(req.maxKeys - count + 1, batch);
    const rows = await deps.store.listObjects(bucket, { prefix: req.prefix, after, from, limit: want });
    let skipped = false;
    for (const row of rows) {
      const cp = commonPrefixOf(row.key, req.prefix, req.delimiter);
      const item = cp ?? row.key;
      if (count === req.maxKeys) {
        page.isTruncated = true;
        page.nextStart = item;
        return page;
      }
      count++;
      page.lastReturned = item;
      if (cp === undefined) {
        page.contents.push(row);
        after = row.key;
        continue;
      }
      page.commonPrefixes.push(cp);
      const next = prefixSuccessor(cp);
      if (next === '') return page; // nothing sorts after this prefix
      from = next;
      after = undefined;
      skipped = true;
      break;
    }
    if (!skipped && rows.length < want) return page;
    batch = skipped ? SKIP_BATCH : batch * 2;
  }
}
