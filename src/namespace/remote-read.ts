// Reads of a remote mount's files are pinned to the version their row
// describes (ObjectExtras.remoteVersion: the store's ETag when Strata wrote or
// found the file). Each page fetch is conditional on it (If-Match), so when the
// file is replaced under a row (by another writer to the bucket, or by our own
// overwrite racing a read), the fetch fails with CHANGED before any byte: bytes
// of the new version are never served, nor cached under the old dataId.
// A read that meets CHANGED makes the row follow the store (sync.ts
// followStoreChange), so the next read sees the new version.
import type { PageFetch } from '../cache/page-cache.ts';
import { streamFetch } from '../cache/fetcher.ts';
import type { ObjectRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { StorageError, type UnderStorage } from '../storage/under-storage.ts';
import { followStoreChange } from './sync.ts';
import { lockKey, type NamespaceDeps } from './types.ts';

/** The page cache's fetch for `row`'s file at `path` of `storage`, pinned to the row's version when it has one. */
export function pinnedFetch(storage: UnderStorage, path: string, row: ObjectRecord): PageFetch {
  const ifMatch = row.extras.remoteVersion;
  const options = ifMatch === undefined ? undefined : { ifMatch };
  return streamFetch((range) => storage.read(path, range, options));
}

/** The store holds another version than the one a pinned read asked for. */
export function isStoreChange(err: unknown): boolean {
  return err instanceof StorageError && err.code === 'CHANGED';
}

/**
 * What the client gets when the object changed under a read that cannot be
 * answered from the new version (the response had started, or it changed
 * again): S3's transient InternalError, which every SDK retries, as S3 itself
 * answers for a condition that a retry clears.
 */
export function changedWhileReading(): S3Error {
  return new S3Error('InternalError', 'The object was replaced in its under-storage while it was being read. Please try again.');
}

/**
 * followStoreChange under the key lock, for a read that found the change after
 * leaving it. The lock is queued for before this returns its promise, so a
 * request made after the call is served after the row has followed.
 */
export function followStoreChangeLocked(deps: NamespaceDeps, stale: ObjectRecord): Promise<void> {
  return deps.locks.run(lockKey(stale.bucket, stale.key), () => followStoreChange(deps, stale));
}
