// The one way an object becomes visible: staged data is recorded in an intent,
// renamed into place and committed with its metadata row, under the key's lock.
// A crash at any point is finished or rolled back by `recoverIntents`.
import { randomUUID } from 'node:crypto';
import type { ObjectRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import type { Readable } from 'node:stream';
import { StorageError, type StagedWrite, type UnderStorage } from '../storage/under-storage.ts';
import type { Location } from './mounts.ts';
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

export function newDataId(): string {
  // randomUUID draws from a cached entropy pool: no syscall per write.
  return randomUUID().replaceAll('-', '');
}

/**
 * Makes staged data the object `row` describes; `afterCommit` runs under the
 * key lock (e.g. removing a completed upload). `precondition` (If-Match,
 * If-None-Match) is checked under the same lock, against the row the commit
 * replaces: when it throws, the staged data is dropped and nothing changes.
 */
export async function commitObject(
  deps: NamespaceDeps,
  staged: StagedWrite,
  row: ObjectRecord,
  afterCommit?: () => Promise<void>,
  precondition?: WritePrecondition,
): Promise<void> {
  const location = deps.mounts.resolve(row.bucket, row.key);
  await deps.locks.run(lockKey(row.bucket, row.key), async () => {
    if (precondition) {
      try {
        precondition(await deps.store.getObject(row.bucket, row.key));
      } catch (err) {
        await deps.storage.discard(staged);
        throw err;
      }
    }
    // Pages of the version this write replaces can go once it is committed.
    const replaced = location.mount.kind === 'remote' ? await deps.store.getObject(row.bucket, row.key) : undefined;
    const intentId = newDataId();
    await deps.store.addIntent({ id: intentId, stagedPath: staged.stagedPath, object: row, created: Date.now() });
    try {
      await placeData(deps, staged, location, row.key);
    } catch (err) {
      // Intent first: a crash between the two leaves an orphan staged file
      // (swept at start), never an intent whose data looks renamed.
      await deps.store.resolveIntent(intentId, undefined);
      await deps.storage.discard(staged);
      throw err;
    }
    // The data is in place: from here the intent alone is enough to finish after a crash.
    row.lastModified = Date.now();
    await deps.store.resolveIntent(intentId, row);
    // Uploaded to another store: the local staged copy has served its purpose.
    if (location.mount.storage !== deps.storage) await deps.storage.discard(staged);
    if (replaced) await deps.cache.free(replaced.dataId, { force: true });
    if (afterCommit) await afterCommit();
  });
}

/**
 * Puts staged data at its location: a rename on the local data directory; on
 * another store, an upload of the staged file (which stays until the row is
 * committed, so a crash before that can upload it again).
 */
async function placeData(deps: NamespaceDeps, staged: StagedWrite, location: Location, key: string): Promise<void> {
  const storage = location.mount.storage;
  const path = location.path;
  if (storage !== deps.storage) {
    await mapPlacementErrors(key, () => writeWhole(storage, path, () => deps.storage.read(staged.stagedPath), staged.size));
    return;
  }
  await renameIntoPlace(deps, staged, path, key);
}

/** One atomic write of a whole file on any store: its own `write`, or stage + commit there. */
export async function writeWhole(storage: UnderStorage, path: string, open: () => Promise<Readable>, size: number): Promise<void> {
  if (storage.write) {
    await storage.write(path, open, size);
    return;
  }
  const staged = await storage.stage(await open());
  try {
    await storage.commit(staged, path);
  } catch (err) {
    await storage.discard(staged);
    throw err;
  }
}

async function mapPlacementErrors(key: string, place: () => Promise<void>): Promise<void> {
  try {
    await place();
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
    const location = deps.mounts.resolve(intent.object.bucket, intent.object.key);
    const stagedThere = await deps.storage.stagedExists(intent.stagedPath);
    if (stagedThere && location.mount.storage !== deps.storage) {
      try {
        await writeWhole(location.mount.storage, location.path, () => deps.storage.read(intent.stagedPath), intent.object.size);
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
