// Metadata sync: files and directories that other programs put in (or removed
// from) the under-storage become visible to S3 clients. A directory is re-read
// at most once per sync interval; single keys are checked on a lookup miss.
import { createHash } from 'node:crypto';
import type { ObjectRecord } from '../meta/metadata-store.ts';
import { StorageError, type DirEntry, type FileStatus } from '../storage/under-storage.ts';
import { newObjectRow } from './commit.ts';
import { validateKey } from './names.ts';
import { lockKey, type NamespaceDeps } from './types.ts';

/**
 * Files found in storage have no MD5 we computed while writing; reading whole
 * files to get one would make a listing cost what the data weighs. Their ETag
 * is derived from the file's identity instead, so it changes when the file does.
 */
function foundETag(status: FileStatus): string {
  return createHash('md5').update(`${status.path}\0${status.size}\0${status.mtimeMs}`).digest('hex');
}

function foundRow(bucket: string, key: string, owner: string, status: FileStatus): ObjectRecord {
  const row = newObjectRow({
    bucket,
    key,
    size: status.isDirectory ? 0 : status.size,
    etag: status.isDirectory ? createHash('md5').digest('hex') : foundETag(status),
    lastModified: Math.floor(status.mtimeMs),
    owner,
    headers: {},
    userMetadata: {},
    isDirectory: status.isDirectory,
  });
  // Reads of the store are pinned to the version found (see ObjectExtras.remoteVersion).
  if (!status.isDirectory && status.etag !== undefined) row.extras.remoteVersion = status.etag;
  return row;
}

/**
 * Whether `row` still describes the file `status` reports. By the store's
 * version tag when both have one: a replacement within the same second as the
 * row was written (S3 times have whole seconds) has the same size and an
 * older-looking time, but never the same tag. Otherwise by size and time.
 */
function describes(row: ObjectRecord, status: FileStatus): boolean {
  const pinned = row.extras.remoteVersion;
  if (pinned !== undefined && status.etag !== undefined) return pinned === status.etag;
  return row.size === status.size && Math.floor(status.mtimeMs) <= row.lastModified;
}

function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}

async function ownerOf(deps: NamespaceDeps, bucket: string): Promise<string> {
  return (await deps.store.getBucket(bucket))?.owner ?? deps.options.defaultOwner;
}

/** On a lookup miss: if storage has a file at the key's path, record it and return its row. */
export async function importIfPresent(deps: NamespaceDeps, bucket: string, key: string): Promise<ObjectRecord | undefined> {
  const location = deps.mounts.resolve(bucket, key);
  if (location.mount.syncIntervalMs < 0) return undefined;
  const status = await location.mount.storage.stat(location.path);
  if (!status || status.isDirectory !== key.endsWith('/')) return undefined;
  const owner = await ownerOf(deps, bucket);
  return deps.locks.run(lockKey(bucket, key), async () => {
    const existing = await deps.store.getObject(bucket, key);
    if (existing) return existing;
    const row = foundRow(bucket, key, owner, status);
    await deps.store.putObject(row);
    return row;
  });
}

/**
 * A read pinned to `stale`'s version found another version in the store (or
 * none): the row is made to follow the store, as a sync would, whatever the
 * mount's sync interval (a row whose bytes are gone can serve no read). The
 * replaced version's pages are dropped. Call under the key lock; a no-op when
 * the row has already changed (a write through Strata replaced it).
 */
export async function followStoreChange(deps: NamespaceDeps, stale: ObjectRecord): Promise<void> {
  const current = await deps.store.getObject(stale.bucket, stale.key);
  if (!current || current.dataId !== stale.dataId || current.extras.pending) return;
  const location = deps.mounts.resolve(stale.bucket, stale.key);
  const status = await location.mount.storage.stat(location.path);
  const present = status !== undefined && status.isDirectory === stale.key.endsWith('/');
  if (present && describes(current, status)) return;
  await deps.cache.free(stale.dataId, { force: true });
  if (present) await deps.store.putObject(foundRow(stale.bucket, stale.key, current.owner, status));
  else await deps.store.deleteObject(stale.bucket, stale.key);
}

export class MetadataSync {
  readonly #deps: NamespaceDeps;
  readonly #lastSync = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(deps: NamespaceDeps) {
    this.#deps = deps;
  }

  /**
   * Brings the rows for the directory holding `prefix` (and, when `recursive`,
   * every directory below it) in line with the storage, unless that was done
   * within the sync interval.
   */
  async syncForListing(bucket: string, prefix: string, recursive: boolean, force = false): Promise<void> {
    const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const interval = this.#deps.mounts.resolve(bucket, dir).mount.syncIntervalMs;
    if (interval < 0 && !force) return;
    const id = `${bucket}\0${dir}\0${recursive}`;
    const last = this.#lastSync.get(id);
    if (!force && last !== undefined && Date.now() - last < interval) return;
    let running = this.#inFlight.get(id);
    if (!running) {
      running = this.#syncDir(bucket, dir, recursive, force).finally(() => {
        this.#inFlight.delete(id);
        this.#lastSync.set(id, Date.now());
      });
      this.#inFlight.set(id, running);
    }
    await running;
  }

  /**
   * `thorough` also stats every known file to catch changes made in place; a
   * periodic sync only compares names (readdir), so its cost does not grow
   * with a stat per object of a big directory.
   */
  async #syncDir(bucket: string, dir: string, recursive: boolean, thorough: boolean): Promise<void> {
    const deps = this.#deps;
    // Rows first, storage second: a write that lands in between is then seen on
    // disk and left alone rather than mistaken for a deletion.
    // Names only: materialising whole rows was most of a big directory's sync.
    const files = new Set<string>();
    const subdirsWithRows = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = await deps.store.listKeys(bucket, { prefix: dir, after, limit: 5000 });
      for (const key of page) {
        const rest = key.slice(dir.length);
        const slash = rest.indexOf('/');
        if (slash < 0) files.add(rest);
        else subdirsWithRows.add(rest.slice(0, slash));
      }
      if (page.length < 5000) break;
      after = page[page.length - 1];
    }
    const { mount, path: base } = deps.mounts.resolve(bucket, dir);
    const childPath = (name: string): string => (base === '' ? name : `${base}/${name}`);
    let entries: DirEntry[];
    try {
      entries = await mount.storage.list(base);
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'NOT_FOUND' || err.code === 'NOT_DIRECTORY')) entries = [];
      else throw err;
    }
    const owner = await ownerOf(deps, bucket);
    const onDisk = new Set<string>();
    for (const entry of entries) {
      // A store's own root may hold Strata's internal area (remote staging).
      if (base === '' && entry.name === '.strata') continue;
      onDisk.add(entry.name);
      if (entry.isDirectory) {
        // A directory nobody recorded holds files nobody recorded: walk into it.
        if (recursive || !subdirsWithRows.has(entry.name)) {
          const childDir = `${dir}${entry.name}/`;
          if (isValidKey(childDir)) await this.#syncDir(bucket, childDir, recursive, thorough);
        }
        continue;
      }
      const key = `${dir}${entry.name}`;
      if (!isValidKey(key)) continue;
      const known = files.has(entry.name);
      if (known && !thorough) continue;
      const row = known ? await deps.store.getObject(bucket, key) : undefined;
      const status = await mount.storage.stat(childPath(entry.name));
      if (!status || status.isDirectory) continue;
      if (row && describes(row, status)) continue;
      await this.#refresh(bucket, key, owner, row);
    }
    for (const name of files) {
      if (!onDisk.has(name)) await this.#refresh(bucket, `${dir}${name}`, owner, undefined);
    }
    const hasMarker = dir !== '' && (await deps.store.getObject(bucket, dir));
    if (dir !== '' && !hasMarker && entries.length === 0 && subdirsWithRows.size === 0 && files.size === 0) {
      // An empty directory made by another program is an empty "folder" to S3.
      await this.#refresh(bucket, dir, owner, undefined);
    }
  }

  /** Re-reads one path under its key lock and makes its row match. */
  async #refresh(bucket: string, key: string, owner: string, seen: ObjectRecord | undefined): Promise<void> {
    const deps = this.#deps;
    await deps.locks.run(lockKey(bucket, key), async () => {
      const location = deps.mounts.resolve(bucket, key);
      const status = await location.mount.storage.stat(location.path);
      const current = await deps.store.getObject(bucket, key);
      if (current && seen && current.dataId !== seen.dataId) return; // rewritten meanwhile: the writer knows best
      if (current?.extras.pending) return; // not persisted yet (ASYNC_THROUGH / MUST_CACHE): the store has no say
      if (!status || status.isDirectory !== key.endsWith('/')) {
        if (current) await deps.store.deleteObject(bucket, key);
        return;
      }
      if (current && describes(current, status)) return;
      await deps.store.putObject(foundRow(bucket, key, current?.owner ?? owner, status));
    });
  }
}
