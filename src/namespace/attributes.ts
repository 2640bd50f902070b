// Sub-resource documents on objects and buckets (tags, ACLs, policy, CORS and
// the like) change without the data changing: these functions replace the
// extras of a row as one read-modify-write, serialized with every other writer
// of the same row so a concurrent overwrite or update is never undone.
import type { BucketExtras, BucketRecord, ObjectExtras, ObjectRecord } from '../meta/metadata-store.ts';
import { MetaNotFoundError } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { requireBucket } from './buckets.ts';
import { headObject } from './objects.ts';
import { lockKey, type NamespaceDeps } from './types.ts';

/**
 * Replaces the object's extras with what `mutate` returns from the current
 * ones. The row is re-read under the key's lock (the lock every commit takes),
 * so an object written meanwhile keeps its new data and gets the change, and
 * one deleted meanwhile is NoSuchKey. Returns the row as stored.
 */
export async function updateObjectExtras(
  deps: NamespaceDeps,
  bucket: string,
  key: string,
  mutate: (extras: ObjectExtras, row: ObjectRecord) => ObjectExtras,
): Promise<ObjectRecord> {
  // Validates the key and bucket, and imports a file another program put in place.
  await headObject(deps, bucket, key);
  return deps.locks.run(lockKey(bucket, key), async () => {
    const current = await deps.store.getObject(bucket, key);
    if (!current) throw new S3Error('NoSuchKey', undefined, { Key: key });
    const row: ObjectRecord = { ...current, extras: mutate({ ...current.extras }, current) };
    await deps.store.putObject(row);
    return row;
  });
}

/** Bucket rows have no key; this lock name cannot collide with an object's (keys are never empty). */
function bucketLockKey(bucket: string): string {
  return lockKey(bucket, '');
}

/**
 * Replaces the bucket's extras with what `mutate` returns from the current
 * ones, serialized with other updates of the same bucket so two sub-resources
 * written at once (say tags and CORS) both survive. Returns the bucket as stored.
 */
export async function updateBucketExtras(
  deps: NamespaceDeps,
  bucket: string,
  mutate: (extras: BucketExtras, record: BucketRecord) => BucketExtras,
): Promise<BucketRecord> {
  return deps.locks.run(bucketLockKey(bucket), async () => {
    const current = await requireBucket(deps, bucket);
    const record: BucketRecord = { ...current, extras: mutate({ ...current.extras }, current) };
    try {
      await deps.store.updateBucketExtras(bucket, record.extras);
    } catch (err) {
      if (err instanceof MetaNotFoundError) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
      throw err;
    }
    return record;
  });
}
