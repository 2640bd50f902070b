// The UnderStorage contract: where the bytes live. A local directory
// implements it now, an S3-compatible store later; contract.ts runs against each.
// Paths are relative, '/'-separated, already validated by the namespace.
import type { Readable } from 'node:stream';

export interface FileStatus {
  path: string;
  isDirectory: boolean;
  size: number;
  /** epoch milliseconds */
  mtimeMs: number;
  /**
   * The store's tag for this version of the file (S3's ETag, unquoted), for
   * stores that have one; a local directory has none. Equal tags, equal bytes.
   */
  etag?: string;
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export interface ReadRange {
  /** first byte, inclusive */
  start: number;
  /** last byte, inclusive */
  end: number;
}

/** Data written to a staging area; invisible until `commit`. */
export interface StagedWrite {
  /** Where the staged bytes are, as an under-storage path (recorded in intents). */
  readonly stagedPath: string;
  /** Bytes written. */
  readonly size: number;
}

/** What a write made: the store's tag for that version of the file (see FileStatus.etag); none when the store has no tags. */
export interface WrittenVersion {
  etag?: string;
}

export interface FileReadOptions {
  /**
   * Read only the version with this tag (as stat or a write reported it):
   * CHANGED if the file has been replaced since, so bytes of one version are
   * never taken for another's. Only for stores that report tags.
   */
  ifMatch?: string;
}

/**
 * Typed failures; the namespace maps them to S3 errors. CHANGED: a read pinned
 * to a version (`ifMatch`) found another version in its place.
 */
export type StorageErrorCode = 'NOT_FOUND' | 'IS_DIRECTORY' | 'NOT_DIRECTORY' | 'NOT_EMPTY' | 'UNAVAILABLE' | 'CHANGED';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly path: string;
  constructor(code: StorageErrorCode, path: string, message?: string) {
    super(message ?? `${code}: ${path}`);
    this.name = 'StorageError';
    this.code = code;
    this.path = path;
  }
}

export interface WriteOptions {
  signal?: AbortSignal;
}

export interface UnderStorage {
  /**
   * Streams `source` into the staging area, flushed to stable storage when the
   * store is durable. On error or abort nothing is left behind.
   */
  stage(source: Readable, options?: WriteOptions): Promise<StagedWrite>;
  /**
   * Atomically moves staged data to `path`, replacing a file there, creating
   * parent directories. IS_DIRECTORY if `path` is a directory, NOT_DIRECTORY
   * if a parent is a file. Resolves to the version it made.
   */
  commit(staged: StagedWrite | string, path: string): Promise<WrittenVersion>;
  /**
   * Writes a whole file at `path` so readers see all of it or none of it,
   * replacing what is there; `open` supplies the bytes (again, if the store
   * retries). For stores where one write is atomic (S3: an object appears
   * whole when its PUT or multipart upload completes) this avoids staging on
   * the store itself and then copying; without it, callers stage and commit.
   * Resolves to the version it made.
   */
  write?(path: string, open: () => Promise<Readable>, size: number, options?: WriteOptions): Promise<WrittenVersion>;
  /** Releases what the store holds open (connection pools); it is not used afterwards. */
  close?(): Promise<void> | void;
  /** Drops staged data; a no-op if it is already gone. */
  discard(staged: StagedWrite | string): Promise<void>;
  /**
   * Drops every staged write: leftovers of writes a crash interrupted. Call at
   * start-up, after intents are recovered and before any write begins.
   */
  sweepStaging(): Promise<void>;
  /** True while staged data has not been committed or discarded. */
  stagedExists(stagedPath: string): Promise<boolean>;

  /** Reads a file, or a byte range of it. NOT_FOUND / IS_DIRECTORY; CHANGED (see FileReadOptions.ifMatch). */
  read(path: string, range?: ReadRange, options?: FileReadOptions): Promise<Readable>;
  stat(path: string): Promise<FileStatus | undefined>;
  /** Direct children of a directory, unsorted. NOT_FOUND / NOT_DIRECTORY. */
  list(path: string): Promise<DirEntry[]>;
  /** Creates a directory and its parents. NOT_DIRECTORY if a parent is a file. */
  mkdir(path: string): Promise<void>;
  /** Deletes a file; a no-op if it does not exist. IS_DIRECTORY for a directory. */
  deleteFile(path: string): Promise<void>;
  /** Removes empty directories from `path` up to (not including) `stopAt`. */
  pruneEmptyDirs(path: string, stopAt: string): Promise<void>;
  /** Removes an empty directory. NOT_EMPTY / NOT_FOUND. */
  rmdir(path: string): Promise<void>;
}
