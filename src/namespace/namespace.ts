// The file system every API shares: the S3 operations and the FS REST API both
// call this facade, which wires the layers below and owns start-up recovery.
import type { BucketExtras, BucketRecord, MetadataStore, ObjectRecord, PartRecord, UploadRecord } from '../meta/metadata-store.ts';
import type { ReadRange, UnderStorage } from '../storage/under-storage.ts';
import { KeyedLock } from '../util/keyed-lock.ts';
import * as attributes from './attributes.ts';
import * as buckets from './buckets.ts';
import * as copy from './copy.ts';
import { recoverIntents } from './commit.ts';
import { listPage, type ListPage, type ListRequest } from './listing.ts';
import * as multipart from './multipart.ts';
import * as objects from './objects.ts';
import * as mountAdmin from './mount-admin.ts';
import * as cacheAdmin from './cache-admin.ts';
import { MountTable } from './mounts.ts';
import type { PageCache } from '../cache/page-cache.ts';
import { MetadataSync } from './sync.ts';
import { listUploadsPage, type UploadsPage, type UploadsRequest } from './uploads-listing.ts';
import type { NamespaceDeps, NamespaceOptions, ReadOptions, WriteRequest } from './types.ts';

export class Namespace {
  readonly deps: NamespaceDeps;
  readonly #sync: MetadataSync;
  #mountEnv: mountAdmin.MountEnvironment | undefined;

  constructor(store: MetadataStore, storage: UnderStorage, options: NamespaceOptions, cache: PageCache) {
    const mounts = new MountTable({
      path: '/', storage, kind: 'local', syncIntervalMs: options.syncIntervalMs, writeType: 'CACHE_THROUGH', readType: 'CACHE',
    });
    this.deps = { store, storage, mounts, cache, locks: new KeyedLock(), options };
    this.#sync = new MetadataSync(this.deps);
  }

  /** Finishes or rolls back writes a crash interrupted. Call before serving. */
  async recover(): Promise<{ rolledBack: number; completed: number }> {
    const result = await recoverIntents(this.deps);
    await this.deps.storage.sweepStaging();
    // Other stores may hold staged leftovers of their own; one that is down now is swept next start.
    for (const mount of this.deps.mounts.all()) {
      if (mount.storage !== this.deps.storage) await mount.storage.sweepStaging().catch(() => undefined);
    }
    return result;
  }

  createBucket(name: string, owner: string, extras?: BucketExtras): Promise<BucketRecord> {
    return buckets.createBucket(this.deps, name, owner, extras);
  }

  getBucket(name: string): Promise<BucketRecord> {
    return buckets.requireBucket(this.deps, name);
  }

  listBuckets(owner?: string): Promise<BucketRecord[]> {
    return buckets.listBuckets(this.deps, owner);
  }

  deleteBucket(name: string): Promise<void> {
    return buckets.deleteBucket(this.deps, name);
  }

  putObject(req: WriteRequest): Promise<ObjectRecord> {
    return objects.putObject(this.deps, req);
  }

  headObject(bucket: string, key: string): Promise<ObjectRecord> {
    return objects.headObject(this.deps, bucket, key);
  }

  openObject(
    bucket: string,
    key: string,
    range?: (row: ObjectRecord) => ReadRange | undefined,
    options?: ReadOptions,
  ): Promise<objects.OpenedObject> {
    return objects.openObject(this.deps, bucket, key, range, options);
  }

  deleteObject(bucket: string, key: string): Promise<boolean> {
    return objects.deleteObject(this.deps, bucket, key);
  }

  /** Replaces an object's extras (tags, ACL, ...) under its key lock; NoSuchKey if it is gone. */
  updateObjectExtras(bucket: string, key: string, mutate: Parameters<typeof attributes.updateObjectExtras>[3]): Promise<ObjectRecord> {
    return attributes.updateObjectExtras(this.deps, bucket, key, mutate);
  }

  /** Replaces a bucket's extras (tags, ACL, policy, CORS, ...), serialized per bucket. */
  updateBucketExtras(bucket: string, mutate: Parameters<typeof attributes.updateBucketExtras>[2]): Promise<BucketRecord> {
    return attributes.updateBucketExtras(this.deps, bucket, mutate);
  }

  /** One page of a listing; `sync` re-reads the storage first (subject to the sync interval). */
  async list(bucket: string, req: ListRequest): Promise<ListPage> {
    await buckets.requireBucket(this.deps, bucket);
    await this.#sync.syncForListing(bucket, req.prefix, req.delimiter !== '/');
    return listPage(this.deps, bucket, req);
  }

  /** Directories that other programs made at the top of the storage become buckets, owned by the default owner. */
  syncBuckets(): Promise<string[]> {
    return buckets.importBucketDirectories(this.deps);
  }

  /** Forces a sync of the directory holding `prefix` now, whatever the interval. */
  async syncNow(bucket: string, prefix: string, recursive: boolean): Promise<void> {
    await buckets.requireBucket(this.deps, bucket);
    await this.#sync.syncForListing(bucket, prefix, recursive, true);
  }

  createUpload(req: Parameters<typeof multipart.createUpload>[1]): Promise<UploadRecord> {
    return multipart.createUpload(this.deps, req);
  }

  requireUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
    return multipart.requireUpload(this.deps, bucket, key, uploadId);
  }

  uploadPart(req: Parameters<typeof multipart.uploadPart>[1]): Promise<PartRecord> {
    return multipart.uploadPart(this.deps, req);
  }

  listParts(uploadId: string, after: number, limit: number): Promise<PartRecord[]> {
    return multipart.listParts(this.deps, uploadId, after, limit);
  }

  /** One page of the bucket's in-progress multipart uploads (ListMultipartUploads). */
  listUploads(bucket: string, req: UploadsRequest): Promise<UploadsPage> {
    return listUploadsPage(this.deps, bucket, req);
  }

  completeUpload(req: Parameters<typeof multipart.completeUpload>[1]): Promise<ObjectRecord> {
    return multipart.completeUpload(this.deps, req);
  }

  abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return multipart.abortUpload(this.deps, bucket, key, uploadId);
  }

  /** CopyObject: streams the source (read under its key lock) into a new object. */
  copyObject(req: copy.CopyObjectRequest): Promise<{ row: ObjectRecord; source: ObjectRecord }> {
    return copy.copyObject(this.deps, req);
  }

  /** UploadPartCopy: streams a byte range of the source into a part of an upload. */
  copyPart(req: copy.CopyPartRequest): Promise<copy.CopyPartResult> {
    return copy.copyPart(this.deps, req);
  }

  /** Loads the persisted mount table; `env` opens stores and seals secrets from now on. Call before recover(). */
  async loadMounts(env: mountAdmin.MountEnvironment): Promise<{ loaded: string[]; failed: { path: string; error: string }[] }> {
    this.#mountEnv = env;
    return mountAdmin.loadMounts(this.deps, env);
  }

  mount(req: { path: string; uri: string; options: Record<string, string>; user: string }): Promise<mountAdmin.MountInfo> {
    return mountAdmin.mount(this.deps, this.#requireMountEnv(), req);
  }

  unmount(path: string): Promise<void> {
    return mountAdmin.unmount(this.deps, path);
  }

  listMounts(): Promise<mountAdmin.MountInfo[]> {
    return mountAdmin.listMounts(this.deps, this.#requireMountEnv());
  }

  /** `fs load`: warms the cache with the file at `path` or every file below it (remote mounts only). */
  loadCache(path: string, onProgress?: cacheAdmin.LoadProgress): Promise<cacheAdmin.LoadReport> {
    return cacheAdmin.load(this.deps, path, onProgress, this.#syncBelow);
  }

  /** `fs free`: drops the cached pages of the file(s) at `path`; pinned files keep theirs. */
  freeCache(path: string): Promise<cacheAdmin.FreeReport> {
    return cacheAdmin.free(this.deps, path, this.#syncBelow);
  }

  /** `fs pin` / `fs unpin`: persisted in the rows, so pins survive a restart. */
  pin(path: string): Promise<{ files: number }> {
    return cacheAdmin.setPinned(this.deps, path, true, this.#syncBelow);
  }

  unpin(path: string): Promise<{ files: number }> {
    return cacheAdmin.setPinned(this.deps, path, false, this.#syncBelow);
  }

  /** `fs persist`: uploads the pending (ASYNC_THROUGH / MUST_CACHE) file(s) at `path` to their mount now. */
  persist(path: string): Promise<{ files: number; bytes: number }> {
    return cacheAdmin.persist(this.deps, path, this.#syncBelow);
  }

  /** Re-pins in the cache the pinned objects of remote mounts. Call after loadMounts(). */
  restorePins(): Promise<number> {
    return cacheAdmin.restorePins(this.deps);
  }

  /** % cached and pages per tier of one object, as `fs ls` / `fs stat` show them. */
  cacheStatus(row: ObjectRecord): cacheAdmin.CacheStatus {
    return cacheAdmin.cacheStatus(this.deps, row);
  }

  readonly #syncBelow: cacheAdmin.SyncDirectory = (bucket, prefix) => this.#sync.syncForListing(bucket, prefix, true);

  #requireMountEnv(): mountAdmin.MountEnvironment {
    if (!this.#mountEnv) throw new Error('mounts are not configured: call loadMounts first');
    return this.#mountEnv;
  }

  close(): Promise<void> {
    return this.deps.store.close();
  }
}
