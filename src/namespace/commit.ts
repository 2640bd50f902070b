// The one way an object becomes visible: staged data is recorded in an intent,
// renamed into place and committed with its metadata row, under the key's lock.
// A crash at any point is finished or rolled back by `recoverIntents`.
import { randomUUID } from 'node:crypto';
import type { ObjectRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { StorageError, type StagedWrite } from '../storage/under-storage.ts';
import { isDirectoryKey, objectPath, parentKeys } from './names.ts';
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
  const path = objectPath(row.bucket, row.key);
  await deps.locks.run(lockKey(row.bucket, row.key), async () => {
    if (precondition) {
      try {
        precondition(await deps.store.getObject(row.bucket, row.key));
      } catch (err) {
        await deps.storage.discard(staged);
        throw err;
      }
    }
    const intentId = newDataId();
    await deps.store.addIntent({ id: intentId, stagedPath: staged.stagedPath, object: row, created: Date.now() });
    try {
      await renameIntoPlace(deps, staged, path, row.key);
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
    if (afterCommit) await afterCommit();
  });
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
 * place gets its metadata row.
 */
export async function recoverIntents(deps: NamespaceDeps): Promise<{ rolledBack: number; completed: number }> {
  let rolledBack = 0;
  let completed = 0;
  for (const intent of await deps.store.listIntents()) {
    if (await deps.storage.stagedExists(intent.stagedPath)) {
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
