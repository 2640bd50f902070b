// A per-request memo of the bucket rows authorization already read, so the
// handler's existence check (buckets.existingBucket) does not read the same
// row again in the same request. The memo lives in an AsyncLocalStorage store
// that the S3 server opens for ONE request (withRequestRows) and that dies
// with it: nothing is kept across requests, so a changed policy or a deleted
// bucket is seen by the next request as before. Read-modify-write paths
// (attributes.ts) never use it: they read the row fresh under their lock.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BucketRecord } from '../meta/metadata-store.ts';

const rows = new AsyncLocalStorage<Map<string, BucketRecord>>();

/** Runs one request's work with an empty memo of its own. */
export function withRequestRows<T>(fn: () => T): T {
  return rows.run(new Map(), fn);
}

/** Records a bucket row read during this request (no-op outside a request). */
export function rememberBucket(row: BucketRecord): void {
  rows.getStore()?.set(row.name, row);
}

/** The row read earlier in this request, if any. */
export function rememberedBucket(name: string): BucketRecord | undefined {
  return rows.getStore()?.get(name);
}
