// What the namespace layers share: their dependencies and the shape of a write.
import type { Readable } from 'node:stream';
import type { MetadataStore, ObjectExtras, ObjectRecord } from '../meta/metadata-store.ts';
import type { UnderStorage } from '../storage/under-storage.ts';
import type { ChecksumAlgorithm } from '../util/checksums.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import type { PageCache } from '../cache/page-cache.ts';
import type { MountTable, WriteType } from './mounts.ts';

export interface NamespaceOptions {
  /** Smallest non-final multipart part; 0 = no minimum. */
  minPartSize: number;
  /** How often a directory of the under-storage is re-read: ms; 0 = always, -1 = never. */
  syncIntervalMs: number;
  /** Owner of objects found in the under-storage rather than written through Strata, when the bucket's is unknown. */
  defaultOwner: string;
}

export interface NamespaceDeps {
  store: MetadataStore;
  /**
   * The local data directory (the root mount's storage): staging, multipart
   * parts and other internal files live here whatever mount an object is on.
   */
  storage: UnderStorage;
  /** Where each object's data lives. */
  mounts: MountTable;
  /** Pages of objects on remote mounts, in memory and on local disk. */
  cache: PageCache;
  locks: KeyedLock;
  options: NamespaceOptions;
}

/** A body is asked for only after every check that can refuse the request has passed. */
export type BodySource = () => Readable;

/**
 * What to compute and verify while a body streams to staging, in the same pass
 * as its MD5 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
 * A mismatch is BadDigest and the staged data is discarded: nothing is stored.
 */
export interface BodyChecksum {
  /** The algorithm whose checksum is recorded; undefined: none. */
  algorithm?: ChecksumAlgorithm;
  /** The value the client gave before the body (an x-amz-checksum-* header). */
  expected?: string;
  /**
   * Set when an earlier stage (the aws-chunked decoder, for a trailer) computes
   * and verifies `algorithm` itself: its value is read once the body ended,
   * instead of hashing the bytes a second time.
   */
  verified?: () => string | undefined;
  /** A Content-MD5 header (base64 of 16 bytes). */
  contentMd5?: string;
  /**
   * The lower-case hex SHA-256 the body must hash to (a SigV4 request's
   * x-amz-content-sha256): the body came unchecked, so nothing may be kept
   * unless settleChecksum confirms it (XAmzContentSHA256Mismatch otherwise).
   */
  contentSha256?: string;
}

/**
 * A write's precondition (S3's If-Match / If-None-Match): given the key's
 * current row, undefined when there is none, it throws to refuse the write.
 * It runs under the key lock right before the data is renamed into place, so
 * no other write to the key can slip in between the check and the commit.
 */
export type WritePrecondition = (current: ObjectRecord | undefined) => void;

export interface WriteRequest {
  bucket: string;
  key: string;
  user: string;
  headers: Record<string, string>;
  userMetadata: Record<string, string>;
  extras: ObjectExtras;
  /** Declared length (Content-Length or x-amz-decoded-content-length), when known. */
  contentLength?: number;
  body: BodySource;
  signal?: AbortSignal;
  precondition?: WritePrecondition;
  checksum?: BodyChecksum;
  /** x-strata-write-type: this write's write type instead of the mount's. */
  writeType?: WriteType;
}

/** Per-request read options (Alluxio's read types). */
export interface ReadOptions {
  /** Serve from the cache what is there, but cache nothing new (NO_CACHE). */
  noCache?: boolean;
}

export function lockKey(bucket: string, key: string): string {
  return `${bucket}\u0000${key}`;
}
