// The memory tier's PageStore: a Map of Buffers, bounded by a byte capacity.
// Pages are kept as given (no copy) unless they are views into a larger
// buffer, which would pin the whole parent allocation in the cache.
import {
  assertPageKey, pageKeyString, parsePageKeyString, zeroErrorCounts,
  type PageEntry, type PageKey, type PageStore, type StoreErrorCounts,
} from './page-store.ts';

export class MemoryPageStore implements PageStore {
  readonly capacity: number;
  /** Insertion order is write order: what `entries()` promises. */
  readonly #pages = new Map<string, Buffer>();
  #used = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`invalid capacity: ${capacity}`);
    this.capacity = capacity;
  }

  bytesUsed(): number {
    return this.#used;
  }

  async put(key: PageKey, data: Buffer): Promise<boolean> {
    assertPageKey(key);
    const k = pageKeyString(key);
    const previous = this.#pages.get(k)?.length ?? 0;
    if (this.#used - previous + data.length > this.capacity) return false;
    const owned = data.byteOffset === 0 && data.buffer.byteLength === data.length ? data : ownCopy(data);
    this.#pages.delete(k);
    this.#pages.set(k, owned);
    this.#used += data.length - previous;
    return true;
  }

  async get(key: PageKey): Promise<Buffer | undefined> {
    return this.#pages.get(pageKeyString(key));
  }

  has(key: PageKey): boolean {
    return this.#pages.has(pageKeyString(key));
  }

  async delete(key: PageKey): Promise<void> {
    const k = pageKeyString(key);
    const page = this.#pages.get(k);
    if (page === undefined) return;
    this.#pages.delete(k);
    this.#used -= page.length;
  }

  entries(): PageEntry[] {
    return [...this.#pages].map(([k, page]) => ({ key: parsePageKeyString(k), size: page.length }));
  }

  errors(): StoreErrorCounts {
    // Nothing in memory can fail short of the process itself.
    return zeroErrorCounts();
  }
}

/** A copy with its own allocation: Buffer.from would take a slice of the shared pool. */
function ownCopy(data: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}
