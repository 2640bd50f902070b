// Objects: write (stream, hash, stage, commit), read, stat and delete.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectExtras, ObjectRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { StorageError, type ReadRange, type StagedWrite } from '../storage/under-storage.ts';
import { pipeInto } from '../util/pipe.ts';
import { digestsOf, digestStreamFor, settleChecksum, settleEmptyChecksum, type ComputedChecksum } from './body-checksum.ts';
import { existingBucket, requireBucket } from './buckets.ts';
import { checkKeyConflicts, commitObject, newObjectRow } from './commit.ts';
import { isDirectoryKey, parentKeys, validateKey } from './names.ts';
import { followStoreChange, importIfPresent } from './sync.ts';
import { changedWhileReading, followStoreChangeLocked, isStoreChange, pinnedFetch } from './remote-read.ts';
import { lockKey, type BodyChecksum, type NamespaceDeps, type ReadOptions, type WriteRequest } from './types.ts';
import { dropPending } from './persist-pending.ts';

const EMPTY_MD5 = createHash('md5').digest('hex');
const EMPTY_MD5_BASE64 = Buffer.from(EMPTY_MD5, 'hex').toString('base64');

/**
 * Streams a body to staging while hashing it (MD5, plus the checksum `checks`
 * asks for, in the same pass); IncompleteBody if it is shorter than declared,
 * BadDigest if it does not match a checksum the client sent. On either the
 * staged data is discarded.
 */
export async function stageBody(
  deps: NamespaceDeps,
  source: Readable,
  declaredLength: number | undefined,
  signal?: AbortSignal,
  checks?: BodyChecksum,
): Promise<{ staged: StagedWrite; md5: string; size: number; checksum?: ComputedChecksum }> {
  const digest = digestStreamFor(checks);
  // An error in the source (e.g. a bad aws-chunked frame) destroys the digest stream and so fails the staging write.
  pipeInto(source, digest).catch(() => {});
  const staged = await deps.storage.stage(digest, { signal });
  let checksum: ComputedChecksum | undefined;
  try {
    if (declaredLength !== undefined && digest.size !== declaredLength) throw new S3Error('IncompleteBody');
    checksum = settleChecksum(checks, digestsOf(digest));
  } catch (err) {
    await deps.storage.discard(staged);
    throw err;
  }
  return { staged, md5: digest.md5Hex(), size: digest.size, checksum };
}

/** The extras a written object records: the request's, plus the checksum of its bytes. */
function withChecksum(extras: ObjectExtras, checksum: ComputedChecksum | undefined): ObjectExtras {
  if (checksum === undefined) return extras;
  return { ...extras, checksum: { algorithm: checksum.algorithm, value: checksum.value, type: 'FULL_OBJECT' } };
}

export async function putObject(deps: NamespaceDeps, req: WriteRequest): Promise<ObjectRecord> {
  validateKey(req.key);
  await existingBucket(deps, req.bucket);
  await checkKeyConflicts(deps, req.bucket, req.key);
  if (isDirectoryKey(req.key)) return putDirectoryMarker(deps, req);

  const { staged, md5, size, checksum } = await stageBody(deps, req.body(), req.contentLength, req.signal, req.checksum);
  const row = newObjectRow({
    bucket: req.bucket,
    key: req.key,
    size,
    etag: md5,
    owner: req.user,
    headers: req.headers,
    userMetadata: req.userMetadata,
    extras: withChecksum(req.extras, checksum),
  });
  await commitObject(deps, staged, row, undefined, req.precondition, req.writeType);
  return row;
}

/** `dir/` keys are directories: S3 tools create them as empty "folder" objects. */
async function putDirectoryMarker(deps: NamespaceDeps, req: WriteRequest): Promise<ObjectRecord> {
  let size = 0;
  for await (const chunk of req.body()) size += (chunk as Buffer).length;
  if (size > 0) throw new S3Error('InvalidArgument', 'An object whose key ends in "/" is a directory and must be empty.', { Key: req.key });
  const checksum = settleEmptyChecksum(req.checksum, EMPTY_MD5_BASE64);
  const row = newObjectRow({
    bucket: req.bucket,
    key: req.key,
    size: 0,
    etag: EMPTY_MD5,
    owner: req.user,
    headers: req.headers,
    userMetadata: req.userMetadata,
    isDirectory: true,
    extras: withChecksum(req.extras, checksum),
  });
  await deps.locks.run(lockKey(req.bucket, req.key), async () => {
    req.precondition?.(await deps.store.getObject(req.bucket, req.key));
    const location = deps.mounts.resolve(req.bucket, req.key);
    try {
      await location.mount.storage.mkdir(location.path);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NOT_DIRECTORY') throw new S3Error('ParentIsObject', undefined, { Key: req.key });
      throw err;
    }
    await deps.store.putObject(row);
  });
  return row;
}

/** The object's metadata, or NoSuchKey; a file another program put in place is imported first. */
export async function headObject(deps: NamespaceDeps, bucket: string, key: string): Promise<ObjectRecord> {
  validateKey(key);
  await existingBucket(deps, bucket);
  const row = (await deps.store.getObject(bucket, key)) ?? (await importIfPresent(deps, bucket, key));
  if (!row) throw new S3Error('NoSuchKey', undefined, { Key: key });
  return row;
}

export interface OpenedObject {
  row: ObjectRecord;
  body: Readable;
}

/**
 * Opens the object's data under its key lock, so the bytes returned are the
 * bytes the row describes even while another writer replaces the object.
 * On a remote mount, a file replaced behind the row's back (remote-read.ts)
 * is noticed by the first page fetched: the row then follows the store and the
 * object is opened again, once, as the version now there (`range` judged anew).
 */
export async function openObject(
  deps: NamespaceDeps,
  bucket: string,
  key: string,
  range?: (row: ObjectRecord) => ReadRange | undefined,
  options: ReadOptions = {},
): Promise<OpenedObject> {
  validateKey(key);
  await existingBucket(deps, bucket);
  const opened = await deps.locks.run(lockKey(bucket, key), async () => {
    for (let attempt = 0; ; attempt++) {
      const row = await deps.store.getObject(bucket, key);
      if (!row) return undefined;
      const wanted = range?.(row);
      if (row.isDirectory || row.size === 0) return { row, body: Readable.from([]) };
      try {
        return { row, body: await readData(deps, row, wanted, options) };
      } catch (err) {
        // Deleted behind our back: the metadata follows the storage.
        if (err instanceof StorageError && err.code === 'NOT_FOUND') {
          await deps.store.deleteObject(bucket, key);
          return undefined;
        }
        // Replaced behind our back: so does it, and the new version is read. Twice: it keeps changing.
        if (isStoreChange(err)) {
          if (attempt > 0) throw changedWhileReading();
          await followStoreChange(deps, row);
          continue;
        }
        throw err;
      }
    }
  });
  if (opened) return opened;
  if (await importIfPresent(deps, bucket, key)) return openObject(deps, bucket, key, range, options);
  throw new S3Error('NoSuchKey', undefined, { Key: key });
}

/** Deletes the object if present (S3 answers 204 either way); returns whether one was deleted. */
export async function deleteObject(deps: NamespaceDeps, bucket: string, key: string): Promise<boolean> {
  validateKey(key);
  await requireBucket(deps, bucket);
  const removed = await deps.locks.run(lockKey(bucket, key), async () => {
    const row = await deps.store.deleteObject(bucket, key);
    // A file with no row (written by another program) is deleted all the same.
    const { mount, path } = deps.mounts.resolve(bucket, key);
    if (row && mount.kind === 'remote') await deps.cache.free(row.dataId, { force: true });
    if (row) await dropPending(deps, row);
    try {
      if (isDirectoryKey(key)) await mount.storage.rmdir(path);
      else await mount.storage.deleteFile(path);
    } catch (err) {
      if (!(err instanceof StorageError) || !['NOT_FOUND', 'NOT_EMPTY', 'IS_DIRECTORY', 'NOT_DIRECTORY'].includes(err.code)) throw err;
    }
    return row !== undefined;
  });
  await pruneParents(deps, bucket, key);
  return removed;
}

/**
 * The object's bytes (or a range of them) from wherever its mount keeps them:
 * straight from a local store, through the page cache from a remote one. Cache
 * pages are keyed by the row's dataId, so a newer version never meets an older
 * version's pages, and fetches are pinned to the row's version of the remote
 * file (remote-read.ts). The first chunk is awaited here, so an unreachable
 * store, or a file replaced behind the row's back (CHANGED), fails the request
 * before its status line is sent. A replacement found later cuts the stream
 * (InternalError), after the row has been made to follow the store.
 * Local files are not cached: they are read from a descriptor opened under
 * the key lock, which a rename cannot change.
 */
export async function readData(deps: NamespaceDeps, row: ObjectRecord, range: ReadRange | undefined, options: ReadOptions = {}): Promise<Readable> {
  const { mount, path } = deps.mounts.resolve(row.bucket, row.key);
  // Written ASYNC_THROUGH / MUST_CACHE and not persisted yet: the bytes are only in the local pending copy.
  if (row.extras.pending) return deps.storage.read(row.extras.pending.path, range);
  if (mount.kind === 'local' || row.size === 0) return mount.storage.read(path, range);
  const fetch = pinnedFetch(mount.storage, path, row);
  const chunks = deps.cache.readChunks(row.dataId, row.size, range ?? { start: 0, end: row.size - 1 }, fetch, {
    noCache: options.noCache === true || mount.readType === 'NO_CACHE',
  });
  const first = await chunks.next();
  return Readable.from((async function* () {
    if (!first.done) yield first.value;
    try {
      yield* chunks;
    } catch (err) {
      if (!isStoreChange(err)) throw err;
      // Headers are sent: the bytes promised are gone, so the response is cut. The row follows the store
      // (queued on the key lock now, so a retry queues behind it) without the cut waiting for a writer's upload.
      followStoreChangeLocked(deps, row).catch(() => {});
      throw changedWhileReading();
    }
  })(), { objectMode: false });
}

/** Removes the directories a delete left empty, stopping at one that is an explicit marker. */
async function pruneParents(deps: NamespaceDeps, bucket: string, key: string): Promise<void> {
  const parents = parentKeys(key).reverse();
  for (const parent of parents) {
    const marker = `${parent}/`;
    if (await deps.store.getObject(bucket, marker)) return;
    const stop = await deps.locks.run(lockKey(bucket, marker), async () => {
      const { mount, path } = deps.mounts.resolve(bucket, marker);
      // A mount's own root is never removed.
      if (path === '') return true;
      try {
        await mount.storage.rmdir(path);
        return false;
      } catch (err) {
        if (err instanceof StorageError) return true;
        throw err;
      }
    });
    if (stop) return;
  }
}
