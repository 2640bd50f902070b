// The MetadataStore contract: what S3 clients see is what this store holds.
// SQLite (embedded default) and PostgreSQL (many nodes) implement it; one
// contract suite (contract.ts) runs against each.

/** A bucket's sub-resource documents, stored as given and validated on the way in. */
export interface BucketExtras {
  tags?: Record<string, string>;
  /** The access control list, as the acl module models it. */
  acl?: unknown;
  /** The bucket policy JSON text. */
  policy?: string;
  /** CORS rules, as the cors module models them. */
  cors?: unknown;
}

export interface BucketRecord {
  name: string;
  owner: string;
  /** epoch milliseconds */
  createdAt: number;
  extras: BucketExtras;
}

/** S3 sub-resources and attributes of an object beyond its headers. */
export interface ObjectExtras {
  tags?: Record<string, string>;
  acl?: unknown;
  storageClass?: string;
  /** The object's checksum: algorithm (CRC32, ...), base64 value, and whether it covers the whole object or is a checksum of part checksums. */
  checksum?: { algorithm: string; value: string; type: 'FULL_OBJECT' | 'COMPOSITE' };
  /** For multipart objects: each part's checksum (same algorithm), for GetObjectAttributes. */
  partChecksums?: string[];
  /** `strata fs pin`: the object's cached pages are never evicted (re-applied at start). */
  pinned?: boolean;
  /**
   * Written ASYNC_THROUGH or MUST_CACHE and not yet persisted: the bytes are in
   * this file of the local data directory (not in the mount's under-storage).
   */
  pending?: { path: string };
  /**
   * The version of the file in the mount's store that this row's bytes are: the
   * store's tag for it (S3's ETag, unquoted: FileStatus.etag) as the store
   * reported it when Strata wrote the file there or found it by metadata sync.
   * Reads from the store are pinned to it (If-Match), so bytes of a version
   * that replaced it are never served or cached under this row's dataId.
   * Absent on local mounts, pending copies, and stores without tags.
   */
  remoteVersion?: string;
}

export interface UploadExtras {
  tags?: Record<string, string>;
  acl?: unknown;
  storageClass?: string;
  checksumAlgorithm?: string;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  /** A native multipart upload on a remote mount: its id there, the mount and the object's path in that store. */
  native?: { uploadId: string; mountPath: string; path: string };
}

export interface PartExtras {
  /** Checksum of the part's bytes in the upload's algorithm, base64. */
  checksum?: string;
  /** The algorithm of `checksum` (the upload's; or the client's own choice when the upload named none). */
  checksumAlgorithm?: string;
  /** Native multipart: the ETag the remote returned for the part (as returned, quoted), sent back at complete. */
  remoteETag?: string;
  /** Native multipart: a CRC of the part's bytes from which the object's FULL_OBJECT checksum is combined. */
  objectCrc?: { algorithm: string; value: string };
}

/** Versions from day one: `versionId` is 'null' while a bucket is unversioned. */
export const NULL_VERSION = 'null';

export interface ObjectRecord {
  bucket: string;
  key: string;
  versionId: string;
  size: number;
  /** Unquoted: 32 hex digits, or `hex-N` for a multipart object. */
  etag: string;
  /** epoch milliseconds */
  lastModified: number;
  owner: string;
  /** Lower-case stored response headers: content-type, content-encoding, cache-control, ... */
  headers: Record<string, string>;
  /** User metadata, keys lower-case without the `x-amz-meta-` prefix. */
  userMetadata: Record<string, string>;
  /** An explicit directory marker (key ends in '/'), made by `fs mkdir` or a PUT of `dir/`. */
  isDirectory: boolean;
  /** Sizes of the parts of a multipart object, in order; null for a single PUT. */
  partSizes: number[] | null;
  /** Unique per write: with the key it names one content version (cache pages use it). */
  dataId: string;
  extras: ObjectExtras;
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  owner: string;
  initiated: number;
  headers: Record<string, string>;
  userMetadata: Record<string, string>;
  extras: UploadExtras;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  size: number;
  /** unquoted MD5 hex */
  etag: string;
  lastModified: number;
  /** Where the part's bytes live in the under-storage. */
  path: string;
  extras: PartExtras;
}

/**
 * A write that has been staged but not yet made visible. Recorded before the
 * staged data is renamed into place, removed in the same commit that makes the
 * object visible, so a restart can finish or roll back whatever was in flight.
 */
export interface IntentRecord {
  id: string;
  /** The staged data's location, which exists until the rename happens. */
  stagedPath: string;
  /** The row to commit once the data is in place. */
  object: ObjectRecord;
  created: number;
}

export interface ListObjectsQuery {
  prefix: string;
  /** Only keys strictly greater than this. */
  after?: string;
  /** Only keys greater than or equal to this (a skip-ahead bound). */
  from?: string;
  limit: number;
}

export interface ListUploadsQuery {
  prefix: string;
  /** Uploads with (key, uploadId) strictly after this pair. */
  afterKey?: string;
  afterUploadId?: string;
  limit: number;
}

/** A user of the credential store (sigv4 mode). */
export interface UserRecord {
  name: string;
  /** May administer users and mounts. */
  isRoot: boolean;
  created: number;
}

/**
 * An access key. SigV4 needs the secret itself to recompute signatures, so it
 * cannot be hashed: it is stored sealed (AES-256-GCM) under a master key kept
 * outside the database, as opaque text.
 */
export interface AccessKeyRecord {
  accessKeyId: string;
  user: string;
  sealedSecret: string;
  created: number;
}

/** One entry of the mount table: a namespace path served by an under-storage. */
export interface MountRecord {
  /** '/' for the root, else '/bucket' or '/bucket/dir'. */
  path: string;
  /** file:///dir or s3://bucket/prefix */
  uri: string;
  /** Adapter options; values of secret options are sealed, never stored in clear. */
  options: Record<string, string>;
  created: number;
}

/** An object written ASYNC_THROUGH that still has to reach its under-storage. */
export interface PersistTaskRecord {
  id: string;
  bucket: string;
  key: string;
  dataId: string;
  enqueued: number;
  attempts: number;
  /** epoch ms before which it is not retried */
  notBefore: number;
}

/** Thrown when a row that must not exist already does (e.g. a bucket name). */
export class MetaConflictError extends Error {
  readonly code = 'META_CONFLICT';
}

/**
 * Thrown when a write depends on a row that is gone (e.g. completing an upload
 * that a concurrent abort removed); the write has no effect.
 */
export class MetaNotFoundError extends Error {
  readonly code = 'META_NOT_FOUND';
}

export interface MetadataStore {
  /** Creates the bucket; MetaConflictError if the name is taken. */
  createBucket(bucket: BucketRecord): Promise<void>;
  getBucket(name: string): Promise<BucketRecord | undefined>;
  /** Replaces the bucket's sub-resource documents; MetaNotFoundError if it is gone. */
  updateBucketExtras(name: string, extras: BucketExtras): Promise<void>;
  /** All buckets of one owner, or all buckets when owner is undefined, sorted by name. */
  listBuckets(owner?: string): Promise<BucketRecord[]>;
  /** Deletes the bucket (no-op if absent); MetaConflictError if it still holds objects or uploads. */
  deleteBucket(name: string): Promise<void>;

  getObject(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /** Inserts or replaces the row for (bucket, key, versionId). */
  putObject(object: ObjectRecord): Promise<void>;
  /** Removes the row; returns what was removed. */
  deleteObject(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /** Rows in key order (UTF-8 byte order), a range scan: cost follows `limit`, not bucket size. */
  listObjects(bucket: string, query: ListObjectsQuery): Promise<ObjectRecord[]>;

  /** MetaConflictError if the upload id is taken. */
  /** The same range scan as listObjects, keys only: for callers that compare names (metadata sync). */
  listKeys(bucket: string, query: ListObjectsQuery): Promise<string[]>;

  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(uploadId: string): Promise<UploadRecord | undefined>;
  listUploads(bucket: string, query: ListUploadsQuery): Promise<UploadRecord[]>;
  /** Removes the upload and its part rows; returns the parts that were removed. */
  deleteUpload(uploadId: string): Promise<PartRecord[]>;
  /** Inserts or replaces a part; returns the part it replaced, if any. MetaNotFoundError if the upload is gone. */
  putPart(part: PartRecord): Promise<PartRecord | undefined>;
  /** Parts in part-number order, numbers strictly greater than `after`. */
  listParts(uploadId: string, after: number, limit: number): Promise<PartRecord[]>;
  /**
   * Makes a completed multipart object visible: in one commit, writes the
   * object row and removes the upload with its parts. MetaNotFoundError (and
   * no object row) if the upload is gone.
   */
  completeUpload(uploadId: string, object: ObjectRecord): Promise<void>;

  /** MetaConflictError if the intent id is taken. */
  addIntent(intent: IntentRecord): Promise<void>;
  /**
   * In one commit: writes the object row (if given) and removes the intent.
   * MetaNotFoundError (and no object row) if the intent is gone, so a stale
   * resolution cannot overwrite a newer object.
   */
  resolveIntent(id: string, object: ObjectRecord | undefined): Promise<void>;
  listIntents(): Promise<IntentRecord[]>;

  /** MetaConflictError if the name is taken. */
  createUser(user: UserRecord): Promise<void>;
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** Removes the user and all of its access keys; MetaNotFoundError if absent. */
  deleteUser(name: string): Promise<void>;
  /** MetaConflictError if the id is taken, MetaNotFoundError if the user is gone. */
  addAccessKey(key: AccessKeyRecord): Promise<void>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listAccessKeys(user: string): Promise<AccessKeyRecord[]>;
  deleteAccessKey(accessKeyId: string): Promise<void>;

  /** Inserts or replaces the mount at `path`. */
  putMount(mount: MountRecord): Promise<void>;
  listMounts(): Promise<MountRecord[]>;
  /** MetaNotFoundError if nothing is mounted there. */
  deleteMount(path: string): Promise<void>;

  /** MetaConflictError if the id is taken. */
  addPersistTask(task: PersistTaskRecord): Promise<void>;
  /** Tasks due at `now` (notBefore <= now), oldest first. */
  duePersistTasks(now: number, limit: number): Promise<PersistTaskRecord[]>;
  /** Replaces a task (after a failed attempt); MetaNotFoundError if it is gone. */
  updatePersistTask(task: PersistTaskRecord): Promise<void>;
  deletePersistTask(id: string): Promise<void>;

  close(): Promise<void>;
}
