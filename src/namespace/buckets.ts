// Buckets: top-level directories of the namespace, each with an owner.
import { MetaConflictError, type BucketExtras, type BucketRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { StorageError } from '../storage/under-storage.ts';
import { validateBucketName } from './names.ts';
import { rememberedBucket } from './request-rows.ts';
import type { NamespaceDeps } from './types.ts';

/** Creates the bucket with `extras` (e.g. the ACL CreateBucket's headers set) in the same row write. */
export async function createBucket(deps: NamespaceDeps, name: string, owner: string, extras: BucketExtras = {}): Promise<BucketRecord> {
  validateBucketName(name);
  const existing = await deps.store.getBucket(name);
  if (existing) throw alreadyExists(existing, owner);
  const record: BucketRecord = { name, owner, createdAt: Date.now(), extras };
  await deps.storage.mkdir(name);
  try {
    await deps.store.createBucket(record);
  } catch (err) {
    if (!(err instanceof MetaConflictError)) throw err;
    // Lost a race with another create of the same name.
    const winner = await deps.store.getBucket(name);
    throw winner ? alreadyExists(winner, owner) : err;
  }
  return record;
}

function alreadyExists(existing: BucketRecord, owner: string): S3Error {
  return existing.owner === owner
    ? new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: existing.name })
    : new S3Error('BucketAlreadyExists', undefined, { BucketName: existing.name });
}

/** The bucket, or NoSuchBucket. */
export async function requireBucket(deps: NamespaceDeps, name: string): Promise<BucketRecord> {
  const bucket = await deps.store.getBucket(name);
  if (!bucket) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
  return bucket;
}

/**
 * requireBucket for existence checks only: the row authorization read earlier
 * in this same request when there is one (request-rows.ts), else the store's.
 * Never for read-modify-write: that must read the row fresh.
 */
export async function existingBucket(deps: NamespaceDeps, name: string): Promise<BucketRecord> {
  return rememberedBucket(name) ?? requireBucket(deps, name);
}

export async function listBuckets(deps: NamespaceDeps, owner: string | undefined): Promise<BucketRecord[]> {
  return deps.store.listBuckets(owner);
}

export async function deleteBucket(deps: NamespaceDeps, name: string): Promise<void> {
  await requireBucket(deps, name);
  try {
    await deps.store.deleteBucket(name);
  } catch (err) {
    if (err instanceof MetaConflictError) throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
    throw err;
  }
  // Leftovers no S3 client can see (empty directories) must not block a delete.
  await removeTreeIfOnlyDirs(deps, name);
}

export async function importBucketDirectories(deps: NamespaceDeps): Promise<string[]> {
  const imported: string[] = [];
  for (const entry of await deps.storage.list('')) {
    if (!entry.isDirectory || entry.name.startsWith('.')) continue;
    try {
      validateBucketName(entry.name);
    } catch {
      continue; // not a name S3 clients could address
    }
    if (await deps.store.getBucket(entry.name)) continue;
    try {
      await deps.store.createBucket({ name: entry.name, owner: deps.options.defaultOwner, createdAt: Date.now(), extras: {} });
      imported.push(entry.name);
    } catch (err) {
      if (!(err instanceof MetaConflictError)) throw err;
    }
  }
  return imported;
}

async function removeTreeIfOnlyDirs(deps: NamespaceDeps, path: string): Promise<void> {
  try {
    for (const entry of await deps.storage.list(path)) {
      if (entry.isDirectory) await removeTreeIfOnlyDirs(deps, `${path}/${entry.name}`);
    }
    await deps.storage.rmdir(path);
  } catch (err) {
    if (err instanceof StorageError && (err.code === 'NOT_FOUND' || err.code === 'NOT_EMPTY')) return;
    throw err;
  }
}
