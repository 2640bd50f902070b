// The one way an object becomes visible: staged data is recorded in an intent,
// renamed into place and committed with its metadata row, under the key's lock.
// A crash at any point is finished or rolled back by `recoverIntents`.
import { randomUUID } from 'node:crypto';
import { NULL_VERSION, type IntentRecord, type ObjectRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import type { Readable } from 'node:stream';
import { StorageError, type StagedWrite, type UnderStorage, type WrittenVersion } from '../storage/under-storage.ts';
import type { Location, WriteType } from './mounts.ts';
import { dropPending, fillCache, keepsLocalCopy, pendingPath, writeTypeFor } from './persist-pending.ts';
import { notifyPersistQueued } from './persister.ts';
import { isDirectoryKey, parentKeys } from './names.ts';
import { lockKey, type NamespaceDeps, type WritePrecondition } from './types.ts';

/** Refuses, before any body is read, a key that cannot coexist with the objects already there. */
export async function checkKeyConflicts(deps: NamespaceDeps, bucket: string, key: string): Promise<void> {
  for (const parent of parentKeys(key)) {
    const row = await deps.store.getObject(bucket, parent);
    if (row && !row.isDirectory) throw new S3Error('ParentIsObject', undefined, { Key: key, Conflict: parent });
  }
  if (isDirectoryKey(key)) {
    const file = await deps.store.getObject(bucket, key.slice(0, -1));
    if (file) throw new S3Error('ParentIsObject', undefined, { Key: key, Conflict: file.key });
  } else {
    const below = await deps.store.listKeys(bucket, { prefix: `${key}/`, limit: 1 });
    if (below.length > 0) throw new S3Error('ObjectExistsAsDirectory', undefined, { Key: key });
  }
}

/** The fields a new object row cannot do without; the rest default as for a fresh single-part write. */
export type NewRowFields = Pick<ObjectRecord, 'bucket' | 'key' | 'size' | 'etag' | 'owner' | 'headers' | 'userMetadata'> &
  Partial<Pick<ObjectRecord, 'isDirectory' | 'partSizes' | 'extras' | 'lastModified'>>;

/** A row for a new version of an object: the null version, a fresh dataId, written now. */
export function newObjectRow(fields: NewRowFields): ObjectRecord {
  return { versionId: NULL_VERSION, lastModified: Date.now(), isDirectory: false, partSizes: null, extras: {}, ...fields, dataId: newDataId() };
}

export function newDataId(): string {
  // randomUUID draws from a cached entropy pool: no syscall per write.
  return randomUUID().replaceAll('-', '');
}

/**
 * Makes staged data the object `row` describes; `afterCommit` runs under the
 * key lock (e.g. removing a completed upload). `precondition` (If-Match,
 * If-None-Match) is checked under the same lock, against the row the commit
 * replaces: when it throws, the staged data is dropped and nothing changes.
 *
 * The write type (the request's `requested`, else the mount's) decides where
 * the bytes go: CACHE_THROUGH and THROUGH upload them to the mount's store
 * before acknowledging (CACHE_THROUGH also fills the page cache from the local
 * staged copy, so a first read fetches nothing); ASYNC_THROUGH and MUST_CACHE
 * rename them to a local pending copy (durable like any PUT) and acknowledge,
 * ASYNC_THROUGH queueing a persist task in the same critical section.
 */
export async function commitObject(
  deps: NamespaceDeps,
  staged: StagedWrite,
  row: ObjectRecord,
  afterCommit?: () => Promise<void>,
  precondition?: WritePrecondition,
  requested?: WriteType,
): Promise<void> {
  const location = deps.mounts.resolve(row.bucket, row.key);
  const writeType = writeTypeFor(deps, location, requested);
  const keepLocal = keepsLocalCopy(writeType);
  // Only this write decides whether its data is pending, and which version of the store's file it is
  // (a copy's extras come from its source).
  row.extras = { ...row.extras };
  delete row.extras.pending;
  delete row.extras.remoteVersion;
  if (keepLocal) row.extras.pending = { path: pendingPath(row.dataId) };
  const queue = writeType === 'ASYNC_THROUGH';
  await deps.locks.run(lockKey(row.bucket, row.key), async () => {
    if (precondition) {
      try {
        precondition(await deps.store.getObject(row.bucket, row.key));
      } catch (err) {
        await deps.storage.discard(staged);
        throw err;
      }
    }
    // Pages (or a pending copy) of the version this write replaces can go once it is committed.
    const replaced = location.mount.storage !== deps.storage ? await deps.store.getObject(row.bucket, row.key) : undefined;
    const intentId = newDataId();
    await deps.store.addIntent({ id: intentId, stagedPath: staged.stagedPath, object: row, created: Date.now() });
    // Queued before the data is placed: a crash after the intent is rolled back leaves a task
    // whose version never became the object's, which the persister drops.
    if (queue) await deps.store.addPersistTask({ id: row.dataId, bucket: row.bucket, key: row.key, dataId: row.dataId, enqueued: Date.now(), attempts: 0, notBefore: 0 });
    try {
      if (row.extras.pending) await deps.storage.commit(staged, row.extras.pending.path);
      else pinVersion(row, await placeData(deps, staged, location, row.key));
    } catch (err) {
      // Intent first: a crash between the two leaves an orphan staged file
      // (swept at start), never an intent whose data looks renamed.
      await deps.store.resolveIntent(intentId, undefined);
      await deps.storage.discard(staged);
      if (queue) await deps.store.deletePersistTask(row.dataId);
      throw err;
    }
    // The data is in place: from here the intent alone is enough to finish after a crash.
    row.lastModified = Date.now();
    await deps.store.resolveIntent(intentId, row);
    if (!keepLocal && location.mount.storage !== deps.storage) {
      if (writeType === 'CACHE_THROUGH' && location.mount.kind === 'remote') {
        await fillCache(deps, row, (range) => deps.storage.read(staged.stagedPath, range));
      }
      // Uploaded to another store: the local staged copy has served its purpose.
      await deps.storage.discard(staged);
    }
    if (replaced) await releaseReplaced(deps, replaced, location.mount.kind === 'remote');
    if (afterCommit) await afterCommit();
  });
  if (queue) notifyPersistQueued(deps);
}

/**
 * Records on the row which version of the store's file a write made (when the
 * store tags versions), so reads of the store can be pinned to exactly it.
 */
export function pinVersion(row: ObjectRecord, written: WrittenVersion): void {
  if (written.etag !== undefined) row.extras.remoteVersion = written.etag;
}

/** What a replaced version held besides its row: cached pages, a pending copy and its task. */
async function releaseReplaced(deps: NamespaceDeps, replaced: ObjectRecord, remote: boolean): Promise<void> {
  if (remote) await deps.cache.free(replaced.dataId, { force: true });
  await dropPending(deps, replaced);
}

/**
 * Commits an object whose data a store made visible by itself, atomically
 * (a native multipart complete on a remote): `place` runs under the key lock
 * after an intent naming `marker` is recorded, so a crash while the remote
 * completes is settled by `recoverIntents` (see recoverPlaced). It resolves to
 * the version it made, which the row records.
 */
export async function commitPlaced(
  deps: NamespaceDeps,
  row: ObjectRecord,
  marker: string,
  place: () => Promise<WrittenVersion>,
  afterCommit?: () => Promise<void>,
  precondition?: WritePrecondition,
): Promise<void> {
  if (!marker.startsWith(PLACED_MARKER)) throw new Error(`a placed-commit marker starts with ${PLACED_MARKER}`);
  const location = deps.mounts.resolve(row.bucket, row.key);
  row.extras = { ...row.extras };
  delete row.extras.pending;
  delete row.extras.remoteVersion;
  await deps.locks.run(lockKey(row.bucket, row.key), async () => {
    const current = await deps.store.getObject(row.bucket, row.key);
    precondition?.(current);
    const intentId = newDataId();
    await deps.store.addIntent({ id: intentId, stagedPath: marker, object: row, created: Date.now() });
    try {
      pinVersion(row, await mapPlacementErrors(row.key, place));
    } catch (err) {
      await deps.store.resolveIntent(intentId, undefined);
      throw err;
    }
    row.lastModified = Date.now();
    await deps.store.resolveIntent(intentId, row);
    if (current) await releaseReplaced(deps, current, location.mount.kind === 'remote');
    if (afterCommit) await afterCommit();
  });
}

/** Intents of placed commits name this instead of a staged file. */
export const PLACED_MARKER = 'placed:';

/**
 * Puts staged data at its location: a rename on the local data directory; on
 * another store, an upload of the staged file (which stays until the row is
 * committed, so a crash before that can upload it again).
 */
async function placeData(deps: NamespaceDeps, staged: StagedWrite, location: Location, key: string): Promise<WrittenVersion> {
  const storage = location.mount.storage;
  const path = location.path;
  if (storage !== deps.storage) {
    return mapPlacementErrors(key, () => writeWhole(storage, path, () => deps.storage.read(staged.stagedPath), staged.size));
  }
  await renameIntoPlace(deps, staged, path, key);
  return {};
}

/** One atomic write of a whole file on any store: its own `write`, or stage + commit there. */
export async function writeWhole(storage: UnderStorage, path: string, open: () => Promise<Readable>, size: number): Promise<WrittenVersion> {
  if (storage.write) return storage.write(path, open, size);
  const staged = await storage.stage(await open());
  try {
    return await storage.commit(staged, path);
  } catch (err) {
    await storage.discard(staged);
    throw err;
  }
}

export async function mapPlacementErrors<T>(key: string, place: () => Promise<T>): Promise<T> {
  try {
    return await place();
  } catch (err) {
    if (err instanceof StorageError && err.code === 'NOT_DIRECTORY') throw new S3Error('ParentIsObject', undefined, { Key: key });
    if (err instanceof StorageError && err.code === 'IS_DIRECTORY') throw new S3Error('ObjectExistsAsDirectory', undefined, { Key: key });
    throw err;
  }
}

async function renameIntoPlace(deps: NamespaceDeps, staged: StagedWrite, path: string, key: string): Promise<void> {
  try {
    await deps.storage.commit(staged, path);
  } catch (err) {
    if (!(err instanceof StorageError)) throw err;
    if (err.code === 'NOT_DIRECTORY') throw new S3Error('ParentIsObject', undefined, { Key: key });
    if (err.code !== 'IS_DIRECTORY') throw err;
    // A directory with no objects below it (left by another program) may give way.
    try {
      await deps.storage.rmdir(path);
    } catch {
      throw new S3Error('ObjectExistsAsDirectory', undefined, { Key: key });
    }
    await deps.storage.commit(staged, path);
  }
}

/**
 * Finishes what a crash interrupted: an intent whose staged data still exists
 * never reached its rename and is rolled back; one whose data was renamed into
 * place gets its metadata row. For another store the upload may or may not
 * have happened, and the staged data is still here: it is uploaded again and
 * committed (rolled forward).
 */
export async function recoverIntents(deps: NamespaceDeps): Promise<{ rolledBack: number; completed: number }> {
  let rolledBack = 0;
  let completed = 0;
  for (const intent of await deps.store.listIntents()) {
    if (intent.stagedPath.startsWith(PLACED_MARKER)) {
      if (await recoverPlaced(deps, intent)) completed++;
      else rolledBack++;
      continue;
    }
    const location = deps.mounts.resolve(intent.object.bucket, intent.object.key);
    const stagedThere = await deps.storage.stagedExists(intent.stagedPath);
    // A pending copy is a rename in the data directory, settled like one on the root mount.
    if (stagedThere && location.mount.storage !== deps.storage && !intent.object.extras.pending) {
      try {
        const written = await writeWhole(location.mount.storage, location.path, () => deps.storage.read(intent.stagedPath), intent.object.size);
        // The intent was recorded before any upload: the version is learnt only now.
        pinVersion(intent.object, written);
        await deps.store.resolveIntent(intent.id, intent.object);
        await deps.storage.discard(intent.stagedPath);
        completed++;
        continue;
      } catch {
        // The store is unreachable or refuses: the write never happened as far as clients know.
      }
    }
    if (stagedThere) {
      await deps.storage.discard(intent.stagedPath);
      await deps.store.resolveIntent(intent.id, undefined);
      rolledBack++;
    } else {
      await deps.store.resolveIntent(intent.id, intent.object);
      completed++;
    }
  }
  return { rolledBack, completed };
}

/**
 * A placed commit (`placed:<uploadId>`) a crash interrupted: the remote may or
 * may not have made the object visible. It counts as placed when the store
 * holds a file of the row's size that is no older than the intent (the
 * complete's answer is lost, so this is a heuristic); then the row is committed
 * and the upload forgotten. Otherwise, or when the store cannot be asked, the
 * intent is dropped and the upload stays, for the client to complete or abort.
 */
async function recoverPlaced(deps: NamespaceDeps, intent: IntentRecord): Promise<boolean> {
  const { bucket, key, size } = intent.object;
  const location = deps.mounts.resolve(bucket, key);
  let placed = false;
  try {
    const status = await location.mount.storage.stat(location.path);
    // S3 Last-Modified has whole seconds.
    placed = status !== undefined && !status.isDirectory && status.size === size && status.mtimeMs >= Math.floor(intent.created / 1000) * 1000;
    // The complete's answer is lost: the file judged to be its result is the version the row is pinned to.
    if (placed) pinVersion(intent.object, { etag: status?.etag });
  } catch {
    placed = false;
  }
  await deps.store.resolveIntent(intent.id, placed ? intent.object : undefined);
  if (placed) await deps.store.deleteUpload(intent.stagedPath.slice(PLACED_MARKER.length));
  return placed;
}
