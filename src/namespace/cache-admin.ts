// The cache's user-facing side (issue 4, "Cache" / `strata fs load|free|pin|unpin`):
// operations on the page cache named by namespace path (a file, or a directory
// or bucket taken recursively) instead of by content version, and the cache
// status that `fs ls` / `fs stat` show for one object.
// Only objects on remote mounts have cacheable data: a local mount's files are
// their own cache, always 100% cached, and loading or freeing them does nothing;
// so are objects written ASYNC_THROUGH / MUST_CACHE and not yet persisted
// (extras.pending, persist-pending.ts): their bytes are a local copy, and
// `persist` uploads them to the mount's store now.
// Pins are an attribute of the object row (extras.pinned), written under the
// key lock, so they survive a restart: `restorePins` re-applies them at start.
// Cf. Alluxio's `fs load`, `fs free`, `fs pin` (https://docs.alluxio.io/os/user/stable/en/operation/User-CLI.html).
import type { ObjectRecord } from '../meta/metadata-store.ts';
import type { TierPages } from '../cache/page-cache.ts';
import { S3Error } from '../s3/errors.ts';
import { updateObjectExtras } from './attributes.ts';
import { requireBucket } from './buckets.ts';
import { headObject } from './objects.ts';
import { persistNow } from './persist-pending.ts';
import { changedWhileReading, followStoreChangeLocked, isStoreChange, pinnedFetch } from './remote-read.ts';
import type { NamespaceDeps } from './types.ts';

export interface CacheStatus {
  /** False while the object's bytes are only in a local pending copy (not yet in its mount's store). */
  persisted: boolean;
  /** 0..100 of the object's bytes held by some tier; a local mount's files (and pending copies): 100. */
  cachedPercent: number;
  /** Pages and bytes of the object in each tier; only for objects on remote mounts. */
  tiers?: { memory: TierPages; disk?: TierPages };
  pinned: boolean;
}

/** Called as a load goes: bytes of the loaded objects done so far (cached or fetched), and their total. */
export type LoadProgress = (doneBytes: number, totalBytes: number) => void;

export interface LoadReport {
  /** Objects with cacheable data (on remote mounts) that the load went through. */
  files: number;
  bytes: number;
  pages: number;
  /** Pages fetched from the under-storage by this load. */
  fetchedPages: number;
  /** Pages in the cache when the load finished: fewer than `pages` when the cache is too small. */
  cachedPages: number;
}

export interface FreeReport {
  files: number;
  /** Bytes removed from the cache, summed over tiers. */
  bytes: number;
  /** Paths of pinned objects, left in the cache. */
  pinned: string[];
}

/** Re-reads the storage below a directory (metadata sync), as a listing would. */
export type SyncDirectory = (bucket: string, prefix: string) => Promise<void>;

/** Whether `row` is a file whose data the page cache holds (a remote mount's, persisted there). */
export function isCacheable(deps: NamespaceDeps, row: ObjectRecord): boolean {
  return !row.isDirectory && row.size > 0 && !row.extras.pending && deps.mounts.resolve(row.bucket, row.key).mount.kind === 'remote';
}

export function isPinned(row: ObjectRecord): boolean {
  return row.extras.pinned === true;
}

export function cacheStatus(deps: NamespaceDeps, row: ObjectRecord): CacheStatus {
  const persisted = row.extras.pending === undefined;
  if (!isCacheable(deps, row)) return { persisted, cachedPercent: 100, pinned: isPinned(row) };
  return {
    persisted,
    cachedPercent: deps.cache.cachedPercent(row.dataId, row.size),
    tiers: deps.cache.pagesPerTier(row.dataId),
    pinned: isPinned(row),
  };
}

/** '/bucket/a/b/' -> {bucket, key: 'a/b'}; '/' -> {bucket: '', key: ''}. */
export function parsePath(path: string): { bucket: string; key: string } {
  if (!path.startsWith('/')) throw new S3Error('InvalidArgument', 'Paths are absolute: they start with "/".', { ArgumentName: 'path', ArgumentValue: path });
  const trimmed = path.replace(/\/+$/, '').slice(1);
  const slash = trimmed.indexOf('/');
  return slash < 0 ? { bucket: trimmed, key: '' } : { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
}

const PAGE = 1000;

/** Every file row below `prefix` of `bucket` (directory markers left out), in key order. */
async function* filesBelow(deps: NamespaceDeps, bucket: string, prefix: string): AsyncGenerator<ObjectRecord> {
  let after: string | undefined;
  for (;;) {
    const rows = await deps.store.listObjects(bucket, { prefix, after, limit: PAGE });
    for (const row of rows) if (!row.isDirectory) yield row;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].key;
  }
}

/**
 * The file rows `path` names: the file itself, or every file below a directory,
 * bucket, or the root. NoSuchKey / NoSuchBucket when nothing is there.
 */
export async function* filesAt(deps: NamespaceDeps, path: string, sync?: SyncDirectory): AsyncGenerator<ObjectRecord> {
  const { bucket, key } = parsePath(path);
  if (bucket === '') {
    for (const b of await deps.store.listBuckets()) yield* filesAt(deps, `/${b.name}`, sync);
    return;
  }
  await requireBucket(deps, bucket);
  if (key !== '') {
    const file = await headObject(deps, bucket, key).catch((err: unknown) => {
      if (err instanceof S3Error && err.code === 'NoSuchKey') return undefined;
      throw err;
    });
    if (file && !file.isDirectory) {
      yield file;
      return;
    }
  }
  const prefix = key === '' ? '' : `${key}/`;
  await sync?.(bucket, prefix);
  let found = false;
  for await (const row of filesBelow(deps, bucket, prefix)) {
    found = true;
    yield row;
  }
  if (!found && key !== '' && !(await deps.store.getObject(bucket, prefix))) {
    throw new S3Error('NoSuchKey', `Path ${path.replace(/\/+$/, '')} does not exist.`, { Key: key });
  }
}

/**
 * Warms the cache with every cacheable file at `path` (PageCache.load: pages
 * cached nowhere are fetched from the mount's under-storage). The targets are
 * found first, so a wrong path fails before `onProgress` is first called
 * (with 0 done); then it is called as pages complete, summed over the files.
 */
export async function load(deps: NamespaceDeps, path: string, onProgress?: LoadProgress, sync?: SyncDirectory): Promise<LoadReport> {
  const rows: ObjectRecord[] = [];
  for await (const row of filesAt(deps, path, sync)) if (isCacheable(deps, row)) rows.push(row);
  const total = rows.reduce((sum, row) => sum + row.size, 0);
  const report: LoadReport = { files: rows.length, bytes: total, pages: 0, fetchedPages: 0, cachedPages: 0 };
  onProgress?.(0, total);
  let before = 0;
  for (const row of rows) {
    const { mount, path: where } = deps.mounts.resolve(row.bucket, row.key);
    const fetch = pinnedFetch(mount.storage, where, row);
    const result = await deps.cache.load(row.dataId, row.size, fetch, (done) => onProgress?.(before + done, total)).catch(async (err: unknown) => {
      if (!isStoreChange(err)) throw err;
      // Replaced in the store since its row was read: the row follows, and loading again loads the new version.
      await followStoreChangeLocked(deps, row);
      throw changedWhileReading();
    });
    before += row.size;
    report.pages += result.pages;
    report.fetchedPages += result.fetchedPages;
    report.cachedPages += result.cachedPages;
  }
  return report;
}

/** Drops the cached pages of every file at `path`; pinned files keep theirs and are reported. */
export async function free(deps: NamespaceDeps, path: string, sync?: SyncDirectory): Promise<FreeReport> {
  const report: FreeReport = { files: 0, bytes: 0, pinned: [] };
  for await (const row of filesAt(deps, path, sync)) {
    if (!isCacheable(deps, row)) continue;
    if (isPinned(row) || deps.cache.isPinned(row.dataId)) {
      report.pinned.push(`/${row.bucket}/${row.key}`);
      continue;
    }
    report.bytes += (await deps.cache.free(row.dataId)).bytes;
    report.files++;
  }
  return report;
}

/**
 * Pins (or unpins) every file at `path`: the flag is written into the row
 * under its key lock (so it survives a restart), then the row's content
 * version is pinned in the cache. Returns how many files changed.
 */
export async function setPinned(deps: NamespaceDeps, path: string, pinned: boolean, sync?: SyncDirectory): Promise<{ files: number }> {
  let files = 0;
  for await (const found of filesAt(deps, path, sync)) {
    const row = await updateObjectExtras(deps, found.bucket, found.key, (extras) => {
      const next = { ...extras };
      if (pinned) next.pinned = true;
      else delete next.pinned;
      return next;
    });
    if (pinned) deps.cache.pin(row.dataId);
    else {
      deps.cache.unpin(row.dataId);
      // The version listed may have been replaced meanwhile; its pin must not linger.
      if (found.dataId !== row.dataId) deps.cache.unpin(found.dataId);
    }
    files++;
  }
  return { files };
}

/**
 * `fs persist`: uploads every pending file at `path` (written ASYNC_THROUGH and
 * not uploaded yet, or MUST_CACHE) to its mount's store now, one at a time
 * (persist-pending.ts persistNow). Fails at the first file that cannot be
 * persisted (e.g. 503 while the store is down), the ones before it done.
 */
export async function persist(deps: NamespaceDeps, path: string, sync?: SyncDirectory): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for await (const row of filesAt(deps, path, sync)) {
    if (!row.extras.pending) continue;
    if ((await persistNow(deps, row.bucket, row.key)).persisted) {
      files++;
      bytes += row.size;
    }
  }
  return { files, bytes };
}

/**
 * At start, after the mounts are loaded: pins in the cache every pinned object
 * on a remote mount (only those have pages to keep), so pages the disk tier
 * kept across the restart, and those cached later, are never evicted.
 */
export async function restorePins(deps: NamespaceDeps): Promise<number> {
  const restored = new Set<string>();
  for (const mount of deps.mounts.all()) {
    if (mount.kind !== 'remote') continue;
    const { bucket, key } = parsePath(mount.path);
    if (!(await deps.store.getBucket(bucket))) continue;
    for await (const row of filesBelow(deps, bucket, key === '' ? '' : `${key}/`)) {
      // A deeper mount of another kind may sit below this one.
      if (isPinned(row) && isCacheable(deps, row)) {
        deps.cache.pin(row.dataId);
        restored.add(row.dataId);
      }
    }
  }
  return restored.size;
}
