// The file system every API shares: the S3 operations and the FS REST API both
// call this facade, which wires the layers below and owns start-up recovery.
import type { BucketRecord, MetadataStore, ObjectRecord, PartRecord, UploadRecord } from '../meta/metadata-store.ts';
import type { ReadRange, UnderStorage } from '../storage/under-storage.ts';
import { KeyedLock } from '../util/keyed-lock.ts';
import * as buckets from './buckets.ts';
import { recoverIntents } from './commit.ts';
import { listPage, type ListPage, type ListRequest } from './listing.ts';
import * as multipart from './multipart.ts';
import * as objects from './objects.ts';
import { MetadataSync } from './sync.ts';
import type { NamespaceDeps, NamespaceOptions, WriteRequest } from './types.ts';

export class Namespace {
  readonly deps: NamespaceDeps;
  readonly #sync: MetadataSync;

  constructor(store: MetadataStore, storage: UnderStorage, options: NamespaceOptions) {
    this.deps = { store, storage, locks: new KeyedLock(), options };
    this.#sync = new MetadataSync(this.deps);
  }

  /** Finishes or rolls back writes a crash interrupted. Call before serving. */
  async recover(): Promise<{ rolledBack: number; completed: number }> {
    const result = await recoverIntents(this.deps);
    await this.deps.storage.sweepStaging();
    return result;
  }

  createBucket(name: string, owner: string): Promise<BucketRecord> {
    return buckets.createBucket(this.deps, name, owner);
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

  openObject(bucket: string, key: string, range?: (row: ObjectRecord) => ReadRange | undefined): Promise<objects.OpenedObject> {
    return objects.openObject(this.deps, bucket, key, range);
  }

  deleteObject(bucket: string, key: string): Promise<boolean> {
    return objects.deleteObject(this.deps, bucket, key);
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

  completeUpload(req: Parameters<typeof multipart.completeUpload>[1]): Promise<ObjectRecord> {
    return multipart.completeUpload(this.deps, req);
  }

  abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return multipart.abortUpload(this.deps, bucket, key, uploadId);
  }

  close(): Promise<void> {
    return this.deps.store.close();
  }
}
