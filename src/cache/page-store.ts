// The PageStore contract: one tier's storage of cache pages (memory, local
// disk). A store is a dumb, bounded container: it never evicts on its own (the
// tier's evictor decides what goes), refuses a put that would exceed its
// capacity, and never throws for its own failures (a cache failure must be a
// miss, never a failed read): failed puts return false, unreadable or corrupt
// pages read as undefined, and each is counted in `errors()`.
// page-store-contract.ts holds the suite every implementation must pass.

/**
 * Identifies one page. `fileId` is the object's content version (its dataId),
 * so a page of an overwritten object can never be served for the new one.
 */
export interface PageKey {
  readonly fileId: string;
  /** Page number within the file: bytes [index * pageSize, (index + 1) * pageSize). */
  readonly index: number;
}

/**
 * A page's bytes, as the chunks they arrived in: a page fetched over the
 * network is the response's chunks, kept rather than copied into one buffer
 * (a second allocation and a copy of every byte read, and twice the garbage
 * for the GC). A disk read gives one chunk.
 */
export type PageChunks = readonly Buffer[];

/** Bytes in a page's chunks. */
export function pageLength(chunks: PageChunks): number {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  return total;
}

/** Views of bytes [from, from + length) of a page's chunks (no copy), leaving out empty ones. */
export function sliceChunks(chunks: PageChunks, from: number, length: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = from;
  let wanted = length;
  for (const chunk of chunks) {
    if (wanted === 0) break;
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    const take = Math.min(chunk.length - skip, wanted);
    out.push(skip === 0 && take === chunk.length ? chunk : chunk.subarray(skip, skip + take));
    skip = 0;
    wanted -= take;
  }
  return out;
}

/** A page a store holds, as listed by `entries()`. */
export interface PageEntry {
  readonly key: PageKey;
  readonly size: number;
}

/** Cumulative failure counters; never reset. */
export interface StoreErrorCounts {
  /** Pages whose checksum or framing did not verify; each was deleted. */
  corruptPages: number;
  /** Reads that failed for another reason (EIO, EACCES, ...): served as misses. */
  readErrors: number;
  /** Puts that failed (ENOSPC, EIO, EACCES, ...): the page is simply not cached. */
  writeErrors: number;
  /** Deletes that failed; the page is forgotten all the same. */
  deleteErrors: number;
}

export interface PageStore {
  /** Byte capacity: `bytesUsed()` never exceeds it. */
  readonly capacity: number;
  /** Bytes of page data held (headers and file-system overhead excluded). */
  bytesUsed(): number;
  /**
   * Stores a page, replacing one with the same key. False when it would not
   * fit in the remaining capacity or the write failed; never throws.
   * The store may keep the chunks without copying: callers must not mutate them.
   */
  put(key: PageKey, chunks: PageChunks): Promise<boolean>;
  /**
   * The page's bytes (in chunks of the store's choosing), or undefined on a
   * miss, a corrupt page (which is deleted) or a read failure. Never throws.
   * The result may be shared: callers must not mutate it.
   */
  get(key: PageKey): Promise<PageChunks | undefined>;
  /** Whether the store lists the page (a later get may still miss if it proves corrupt). */
  has(key: PageKey): boolean;
  /** Removes a page; a no-op when absent. Never throws. */
  delete(key: PageKey): Promise<void>;
  /** Every page held, least recently written first (seeds an evictor after a restart). */
  entries(): PageEntry[];
  errors(): StoreErrorCounts;
}

const FILE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * File ids become path segments (disk store) and key strings (`fileId/index`),
 * so they are restricted to a safe alphabet; dataIds (hex UUIDs) qualify.
 */
export function isValidFileId(fileId: string): boolean {
  return FILE_ID.test(fileId);
}

export function assertPageKey(key: PageKey): void {
  if (!isValidFileId(key.fileId)) throw new RangeError(`invalid cache file id: ${JSON.stringify(key.fileId)}`);
  if (!Number.isSafeInteger(key.index) || key.index < 0) throw new RangeError(`invalid page index: ${key.index}`);
}

/** One string per page, for maps and evictors: `fileId/index`. */
export function pageKeyString(key: PageKey): string {
  return `${key.fileId}/${key.index}`;
}

export function parsePageKeyString(text: string): PageKey {
  const slash = text.lastIndexOf('/');
  return { fileId: text.slice(0, slash), index: Number(text.slice(slash + 1)) };
}

export function zeroErrorCounts(): StoreErrorCounts {
  return { corruptPages: 0, readErrors: 0, writeErrors: 0, deleteErrors: 0 };
}
