// Write types (Alluxio's CACHE_THROUGH, THROUGH, ASYNC_THROUGH, MUST_CACHE,
// https://docs.alluxio.io/os/user/stable/en/overview/Architecture.html#data-flow-write):
// which one a write uses, the local "pending" copy that ASYNC_THROUGH and
// MUST_CACHE writes keep in the data directory instead of the mount's store,
// and persisting such a copy to the store (by the background persister, or now
// for `fs persist`). See docs/design.md "Write types".
import type { Readable } from 'node:stream';
import type { ObjectRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import type { ReadRange } from '../storage/under-storage.ts';
import { streamFetch } from '../cache/fetcher.ts';
import { writeWhole } from './commit.ts';
import type { Location, WriteType } from './mounts.ts';
import { lockKey, type NamespaceDeps } from './types.ts';

const WRITE_TYPES: readonly WriteType[] = ['CACHE_THROUGH', 'THROUGH', 'MUST_CACHE', 'ASYNC_THROUGH'];

/** The per-request override of a mount's write type. */
export const WRITE_TYPE_HEADER = 'x-strata-write-type';

/** Where a pending object's bytes live in the data directory: one file per content version. */
export function pendingPath(dataId: string): string {
  return `.strata/pending/${dataId}`;
}

/** An `x-strata-write-type` value (any case); undefined when absent, InvalidArgument when unknown. */
export function parseWriteType(text: string | undefined): WriteType | undefined {
  if (text === undefined || text === '') return undefined;
  const upper = text.trim().toUpperCase();
  if ((WRITE_TYPES as readonly string[]).includes(upper)) return upper as WriteType;
  throw new S3Error('InvalidArgument', `${WRITE_TYPE_HEADER} is one of ${WRITE_TYPES.join(', ')}.`, {
    ArgumentName: WRITE_TYPE_HEADER,
    ArgumentValue: text,
  });
}

/**
 * The write type a write to `location` uses: the request's, else the mount's.
 * The root mount is the data directory itself, cache and store at once, so
 * every write there is simply written.
 */
export function writeTypeFor(deps: NamespaceDeps, location: Location, requested?: WriteType): WriteType {
  if (location.mount.storage === deps.storage) return 'CACHE_THROUGH';
  return requested ?? location.mount.writeType;
}

/** Write types acknowledged once the bytes are durable in the data directory, before the mount's store has them. */
export function keepsLocalCopy(writeType: WriteType): boolean {
  return writeType === 'ASYNC_THROUGH' || writeType === 'MUST_CACHE';
}

/**
 * Puts a just-written object's pages into the cache from a local copy of its
 * bytes, so its first read fetches nothing from the remote. Skipped when the
 * object is larger than the tier it would fill (it would only evict the hot set
 * for pages that cannot all stay); a cache failure never fails the write.
 */
export async function fillCache(deps: NamespaceDeps, row: ObjectRecord, read: (range: ReadRange) => Promise<Readable>): Promise<void> {
  if (row.size === 0 || row.isDirectory) return;
  const stats = deps.cache.stats();
  if (row.size > (stats.disk?.capacity ?? stats.memory.capacity)) return;
  try {
    await deps.cache.load(row.dataId, row.size, streamFetch(read));
  } catch {
    // Counted by the cache as a fetch error; the object is written all the same.
  }
}

/**
 * Drops what a pending row kept locally (its copy, its persist task) once the
 * row is replaced or deleted. Call under the key lock.
 */
export async function dropPending(deps: NamespaceDeps, row: ObjectRecord): Promise<void> {
  const pending = row.extras.pending;
  if (!pending) return;
  await deps.storage.deleteFile(pending.path);
  await deps.store.deletePersistTask(row.dataId);
}

/**
 * Uploads the pending copy of version `dataId` of the object to its mount's
 * store and makes the row say so: 'stale' when that version is no longer the
 * object's or is already persisted (its leftovers are cleaned up). Runs under
 * the key lock, so a write through to the same key (which also runs under it)
 * can never be overwritten by an older version finishing its upload.
 */
export async function persistPending(deps: NamespaceDeps, bucket: string, key: string, dataId: string): Promise<'persisted' | 'stale'> {
  return deps.locks.run(lockKey(bucket, key), async () => {
    const row = await deps.store.getObject(bucket, key);
    const pending = row?.extras.pending;
    if (!row || row.dataId !== dataId || !pending) {
      // Replaced, deleted (or unmounted), or persisted already: no row names this copy any more.
      await deps.storage.deleteFile(pendingPath(dataId));
      await deps.store.deletePersistTask(dataId);
      return 'stale';
    }
    const location = deps.mounts.resolve(bucket, key);
    const read = (range?: ReadRange): Promise<Readable> => deps.storage.read(pending.path, range);
    const written = await writeWhole(location.mount.storage, location.path, () => read(), row.size);
    if (location.mount.kind === 'remote') await fillCache(deps, row, read);
    const extras = { ...row.extras };
    delete extras.pending;
    if (written.etag !== undefined) extras.remoteVersion = written.etag;
    // The store's copy is newer than the acknowledgement: a later metadata sync must not take it for an outside change.
    await deps.store.putObject({ ...row, lastModified: Math.max(row.lastModified, Date.now()), extras });
    // Copy before task: a crash in between leaves a stale task, which cleans up after itself.
    await deps.storage.deleteFile(pending.path);
    await deps.store.deletePersistTask(dataId);
    return 'persisted';
  });
}

/**
 * `fs persist`: persists the object now if it is pending (ASYNC_THROUGH not yet
 * uploaded, or MUST_CACHE). Fails (e.g. 503 when the store is down) without
 * changing anything; a queued ASYNC_THROUGH task stays queued.
 */
export async function persistNow(deps: NamespaceDeps, bucket: string, key: string): Promise<{ persisted: boolean }> {
  const row = await deps.store.getObject(bucket, key);
  if (!row) throw new S3Error('NoSuchKey', undefined, { Key: key });
  if (!row.extras.pending) return { persisted: false };
  return { persisted: (await persistPending(deps, bucket, key, row.dataId)) === 'persisted' };
}
