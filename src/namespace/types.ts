// What the namespace layers share: their dependencies and the shape of a write.
import type { Readable } from 'node:stream';
import type { MetadataStore, ObjectExtras } from '../meta/metadata-store.ts';
import type { UnderStorage } from '../storage/under-storage.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';

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
  storage: UnderStorage;
  locks: KeyedLock;
  options: NamespaceOptions;
}

/** A body is asked for only after every check that can refuse the request has passed. */
export type BodySource = () => Readable;

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
}

export function lockKey(bucket: string, key: string): string {
  return `${bucket}\u0000${key}`;
}
