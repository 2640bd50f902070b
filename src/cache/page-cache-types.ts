// The PageCache's public types (options, results, stats) and argument checks,
// apart from page-cache.ts so that file stays about the read path.
import type { Evictor } from './evictor.ts';
import { isValidFileId, type PageChunks, type PageStore } from './page-store.ts';
import type { TierStats } from './tier.ts';

/**
 * Reads bytes start..end (inclusive) of page `pageIndex` from the under-storage,
 * in one buffer or in the chunks they arrived in (kept as they are).
 */
export type PageFetch = (pageIndex: number, start: number, end: number) => Promise<Buffer | PageChunks>;

/** A byte range, both ends inclusive (as in HTTP Range and UnderStorage.read). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PageCacheOptions {
  memory: PageStore;
  disk?: PageStore;
  /** Bytes per page; default 1 MiB. */
  pageSize?: number;
  /** Pages of a range fetched ahead of the one being sent; default 4. */
  readAheadPages?: number;
  /** One evictor per tier; default LRU. */
  newEvictor?: () => Evictor<string>;
}

export interface ReadOptions {
  /** Read type NO_CACHE: serve what is cached, fetch only the bytes asked for, cache nothing. */
  noCache?: boolean;
}

export interface CacheStats {
  pageSize: number;
  memory: TierStats;
  disk?: TierStats;
  /** Page reads by readers served from a tier. */
  hits: number;
  /** Page reads by readers served from the under-storage. */
  misses: number;
  /** hits / (hits + misses); 0 before any read. */
  hitRatio: number;
  /** Calls to `fetch`. */
  fetches: number;
  fetchedBytes: number;
  /** Page reads that joined a fetch already in flight instead of starting one. */
  sharedFetches: number;
  fetchErrors: number;
  /** Bytes handed to readers straight from the under-storage. */
  underStorageBytesServed: number;
}

export interface TierPages {
  pages: number;
  bytes: number;
}

export interface LoadResult {
  pages: number;
  /** Pages fetched from the under-storage by this load. */
  fetchedPages: number;
  /** Pages cached in some tier when the load finished. */
  cachedPages: number;
}

export interface FreeResult {
  /** Bytes removed, summed over tiers. */
  bytes: number;
  /** True when nothing was freed because the file is pinned (and `force` was not given). */
  pinned: boolean;
}

export function checkFileId(fileId: string): void {
  if (!isValidFileId(fileId)) throw new RangeError(`invalid cache file id: ${JSON.stringify(fileId)}`);
}

export function checkFile(fileId: string, size: number): void {
  checkFileId(fileId);
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid file size: ${size}`);
}

export function checkRange(fileId: string, fileSize: number, range: ByteRange): void {
  checkFile(fileId, fileSize);
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end >= fileSize) {
    throw new RangeError(`invalid range ${start}-${end} for a file of ${fileSize} bytes`);
  }
}
