// The memory tier's PageStore: a Map of pages, bounded by a byte capacity.
// Pages are kept as given (no copy) unless their chunks are views into
// buffers much larger than the page, which would pin the larger allocations
// in the cache: those are copied into one allocation of the page's size.
import {
  assertPageKey, pageKeyString, pageLength, parsePageKeyString, zeroErrorCounts,
  type PageChunks, type PageEntry, type PageKey, type PageStore, type StoreErrorCounts,
} from './page-store.ts';

/** A page may keep up to this much more memory alive than it holds (network chunks: nothing). */
const MAX_RETAINED_OVERHEAD = 1 / 8;

interface StoredPage {
  readonly chunks: PageChunks;
  readonly size: number;
}

export class MemoryPageStore implements PageStore {
  readonly capacity: number;
  /** Insertion order is write order: what `entries()` promises. */
  readonly #pages = new Map<string, StoredPage>();
  #used = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`invalid capacity: ${capacity}`);
    this.capacity = capacity;
  }

  bytesUsed(): number {
    return this.#used;
  }

  async put(key: PageKey, chunks: PageChunks): Promise<boolean> {
    assertPageKey(key);
    const k = pageKeyString(key);
    const size = pageLength(chunks);
    const previous = this.#pages.get(k)?.size ?? 0;
    if (this.#used - previous + size > this.capacity) return false;
    const kept = retainedBytes(chunks) > size * (1 + MAX_RETAINED_OVERHEAD) ? [ownCopy(chunks, size)] : chunks;
    this.#pages.delete(k);
    this.#pages.set(k, { chunks: kept, size });
    this.#used += size - previous;
    return true;
  }

  async get(key: PageKey): Promise<PageChunks | undefined> {
    return this.#pages.get(pageKeyString(key))?.chunks;
  }

  has(key: PageKey): boolean {
    return this.#pages.has(pageKeyString(key));
  }

  async delete(key: PageKey): Promise<void> {
    const k = pageKeyString(key);
    const page = this.#pages.get(k);
    if (page === undefined) return;
    this.#pages.delete(k);
    this.#used -= page.size;
  }

  entries(): PageEntry[] {
    return [...this.#pages].map(([k, page]) => ({ key: parsePageKeyString(k), size: page.size }));
  }

  errors(): StoreErrorCounts {
    // Nothing in memory can fail short of the process itself.
    return zeroErrorCounts();
  }
}

/** Bytes of the allocations the chunks keep alive, each counted once. */
function retainedBytes(chunks: PageChunks): number {
  const seen = new Set<ArrayBufferLike>();
  let total = 0;
  for (const chunk of chunks) {
    if (seen.has(chunk.buffer)) continue;
    seen.add(chunk.buffer);
    total += chunk.buffer.byteLength;
  }
  return total;
}

/** The page in one allocation of its own: Buffer.concat would take a slice of the shared pool. */
function ownCopy(chunks: PageChunks, size: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(copy, at);
  return copy;
}
