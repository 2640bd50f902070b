// One cache tier: a PageStore, the evictor that decides what leaves it, a
// per-file index of the pages it holds (for free, pin, % cached, pages per
// tier) and its counters. Inserts and file drops run one at a time per tier,
// so "make room, then put" cannot be interleaved by another insert into an
// over-full store; gets run freely.
import type { Evictor } from './evictor.ts';
import { pageKeyString, pageLength, parsePageKeyString, type PageChunks, type PageKey, type PageStore } from './page-store.ts';

export type TierName = 'memory' | 'disk';

/** Plain numbers for `stats()`; counters are cumulative. */
export interface TierStats {
  capacity: number;
  bytesUsed: number;
  pages: number;
  hits: number;
  misses: number;
  /** Bytes handed to readers from this tier. */
  bytesServed: number;
  evictions: number;
  /** Pages not cached here: larger than the tier, no unpinned victim left, or the put failed. */
  insertsRefused: number;
  corruptPages: number;
  readErrors: number;
  writeErrors: number;
  deleteErrors: number;
}

export class CacheTier {
  readonly name: TierName;
  readonly store: PageStore;
  readonly #evictor: Evictor<string>;
  readonly #isPinned: (fileId: string) => boolean;
  /** fileId -> page index -> size, mirroring what the store holds. */
  readonly #files = new Map<string, Map<number, number>>();
  #pageCount = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #hits = 0;
  #misses = 0;
  #bytesServed = 0;
  #evictions = 0;
  #refused = 0;

  constructor(name: TierName, store: PageStore, evictor: Evictor<string>, isPinned: (fileId: string) => boolean) {
    this.name = name;
    this.store = store;
    this.#evictor = evictor;
    this.#isPinned = isPinned;
    // Pages a disk store kept across a restart, oldest first: LRU order survives.
    for (const { key, size } of store.entries()) this.#record(key, size);
  }

  /** The page from this tier, or undefined (a miss, counted). */
  async get(key: PageKey): Promise<PageChunks | undefined> {
    const chunks = await this.store.get(key);
    if (chunks === undefined) {
      this.#misses++;
      // The store dropped it (corrupt, deleted behind our back): follow it.
      if (!this.store.has(key)) this.#forget(key);
      return undefined;
    }
    this.#hits++;
    this.#evictor.onAccess(pageKeyString(key));
    return chunks;
  }

  /**
   * Caches a page, evicting unpinned pages as needed. False (counted) when it
   * cannot be cached here; never throws. `stillWanted` is checked when the
   * insert's turn comes, so a `free` queued earlier wins over a late fill.
   */
  insert(key: PageKey, chunks: PageChunks, stillWanted: () => boolean = () => true): Promise<boolean> {
    const run = this.#queue.then(() => (stillWanted() ? this.#insertNow(key, chunks) : false));
    this.#queue = run.catch(() => false);
    return run;
  }

  /** Removes every page of a file; resolves to the bytes removed. */
  drop(fileId: string): Promise<number> {
    const run = this.#queue.then(async () => {
      const pages = this.#files.get(fileId);
      if (pages === undefined) return 0;
      let bytes = 0;
      for (const [index, size] of [...pages]) {
        bytes += size;
        await this.#remove({ fileId, index });
      }
      return bytes;
    });
    this.#queue = run.catch(() => 0);
    return run;
  }

  pinFile(fileId: string): void {
    for (const index of this.#files.get(fileId)?.keys() ?? []) this.#evictor.pin(pageKeyString({ fileId, index }));
  }

  unpinFile(fileId: string): void {
    for (const index of this.#files.get(fileId)?.keys() ?? []) this.#evictor.unpin(pageKeyString({ fileId, index }));
  }

  /** The file's pages here: index -> size. */
  pagesOf(fileId: string): ReadonlyMap<number, number> {
    return this.#files.get(fileId) ?? new Map<number, number>();
  }

  has(key: PageKey): boolean {
    return this.#files.get(key.fileId)?.has(key.index) ?? false;
  }

  addServed(bytes: number): void {
    this.#bytesServed += bytes;
  }

  /** Resolves once every insert and drop queued so far has finished. */
  async settled(): Promise<void> {
    await this.#queue;
  }

  stats(): TierStats {
    const errors = this.store.errors();
    return {
      capacity: this.store.capacity,
      bytesUsed: this.store.bytesUsed(),
      pages: this.#pageCount,
      hits: this.#hits,
      misses: this.#misses,
      bytesServed: this.#bytesServed,
      evictions: this.#evictions,
      insertsRefused: this.#refused,
      ...errors,
    };
  }

  async #insertNow(key: PageKey, chunks: PageChunks): Promise<boolean> {
    if (this.has(key)) {
      // Same content version, same bytes: nothing to write.
      this.#evictor.onAccess(pageKeyString(key));
      return true;
    }
    const capacity = this.store.capacity;
    const size = pageLength(chunks);
    if (size > capacity) {
      this.#refused++;
      return false;
    }
    while (this.store.bytesUsed() + size > capacity) {
      const victim = this.#evictor.pickVictim();
      if (victim === undefined) {
        // Full of pinned pages: this page is just not cached here.
        this.#refused++;
        return false;
      }
      await this.#remove(parsePageKeyString(victim));
      this.#evictions++;
    }
    if (!(await this.store.put(key, chunks))) {
      this.#refused++;
      return false;
    }
    this.#record(key, size);
    return true;
  }

  #record(key: PageKey, size: number): void {
    let pages = this.#files.get(key.fileId);
    if (pages === undefined) {
      pages = new Map();
      this.#files.set(key.fileId, pages);
    }
    if (!pages.has(key.index)) this.#pageCount++;
    pages.set(key.index, size);
    const k = pageKeyString(key);
    this.#evictor.onInsert(k, size);
    if (this.#isPinned(key.fileId)) this.#evictor.pin(k);
  }

  #forget(key: PageKey): void {
    // Always tell the evictor: the eviction loop relies on each victim leaving it.
    this.#evictor.onRemove(pageKeyString(key));
    const pages = this.#files.get(key.fileId);
    if (pages === undefined || !pages.delete(key.index)) return;
    this.#pageCount--;
    if (pages.size === 0) this.#files.delete(key.fileId);
  }

  async #remove(key: PageKey): Promise<void> {
    this.#forget(key);
    await this.store.delete(key);
  }
}
