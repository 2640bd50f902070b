// The page cache (issue 4, "Cache"): files are cut into fixed-size pages held
// in a memory tier and an optional local-disk tier, each bounded by a byte
// capacity and evicting by its own swappable evictor (LRU by default).
// A read streams a byte range using only the pages it touches: hits come from
// memory, then disk (promoted to memory), misses from `fetch` (the
// under-storage), and are cached in both tiers while the reader gets them.
// Concurrent misses on one page share one fetch; up to `readAheadPages` pages
// of the range are fetched ahead of the one being sent.
// Pages are keyed by the object's content version (dataId), so a stale page
// cannot be served. A cache failure (disk full, corrupt page) is a counted
// miss, never a failed read; only `fetch` failures fail a read.
import { Readable } from 'node:stream';
import { LRUEvictor } from './evictor.ts';
import { DiskPageStore } from './disk-page-store.ts';
import { MemoryPageStore } from './memory-page-store.ts';
import {
  checkFile, checkFileId, checkRange,
  type ByteRange, type CacheStats, type FreeResult, type LoadResult, type PageCacheOptions, type PageFetch,
  type ReadOptions, type TierPages,
} from './page-cache-types.ts';
import { pageKeyString, type PageKey } from './page-store.ts';
import { CacheTier, type TierName } from './tier.ts';

export type {
  ByteRange, CacheStats, FreeResult, LoadResult, PageCacheOptions, PageFetch, ReadOptions, TierPages,
} from './page-cache-types.ts';
export type { TierStats } from './tier.ts';

export const DEFAULT_PAGE_SIZE = 1024 * 1024;
export const DEFAULT_READ_AHEAD_PAGES = 4;

type Source = TierName | 'under';

interface Flight {
  readonly promise: Promise<{ data: Buffer; source: Source }>;
  /** Settles once the page's inserts have finished. */
  done: Promise<void>;
  cancelled: boolean;
}

export class PageCache {
  readonly pageSize: number;
  readonly readAheadPages: number;
  readonly #memory: CacheTier;
  readonly #disk: CacheTier | undefined;
  readonly #tiers: CacheTier[];
  readonly #pinned = new Set<string>();
  readonly #flights = new Map<string, Flight>();
  readonly #pending = new Set<Promise<unknown>>();
  #hits = 0;
  #misses = 0;
  #fetches = 0;
  #fetchedBytes = 0;
  #shared = 0;
  #fetchErrors = 0;
  #underServed = 0;

  /** A cache over a new memory store and, with `disk`, a disk store opened at `disk.dir`. */
  static async create(options: {
    memoryBytes: number;
    disk?: { dir: string; bytes: number };
    pageSize?: number;
    readAheadPages?: number;
  }): Promise<PageCache> {
    const disk = options.disk ? await DiskPageStore.open(options.disk.dir, options.disk.bytes) : undefined;
    return new PageCache({ ...options, memory: new MemoryPageStore(options.memoryBytes), disk });
  }

  constructor(options: PageCacheOptions) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.readAheadPages = options.readAheadPages ?? DEFAULT_READ_AHEAD_PAGES;
    if (!Number.isSafeInteger(this.pageSize) || this.pageSize < 1) throw new RangeError(`invalid page size: ${this.pageSize}`);
    if (!Number.isSafeInteger(this.readAheadPages) || this.readAheadPages < 0) {
      throw new RangeError(`invalid read-ahead: ${this.readAheadPages}`);
    }
    const newEvictor = options.newEvictor ?? (() => new LRUEvictor<string>());
    const isPinned = (fileId: string): boolean => this.#pinned.has(fileId);
    this.#memory = new CacheTier('memory', options.memory, newEvictor(), isPinned);
    this.#disk = options.disk ? new CacheTier('disk', options.disk, newEvictor(), isPinned) : undefined;
    this.#tiers = this.#disk ? [this.#memory, this.#disk] : [this.#memory];
  }

  /** Streams bytes range.start..range.end of the file; throws RangeError for a bad range. */
  read(fileId: string, fileSize: number, range: ByteRange, fetch: PageFetch, options: ReadOptions = {}): Readable {
    return Readable.from(this.readChunks(fileId, fileSize, range, fetch, options), { objectMode: false });
  }

  /**
   * `read` as an async iterator of chunks (one per page touched). Calling
   * `next()` claims the first pages at once (joining or starting their
   * fetches) before its first await. Throws RangeError for a bad range.
   */
  readChunks(fileId: string, fileSize: number, range: ByteRange, fetch: PageFetch, options: ReadOptions = {}): AsyncGenerator<Buffer> {
    checkRange(fileId, fileSize, range);
    return this.#readPages(fileId, fileSize, { start: range.start, end: range.end }, fetch, options.noCache === true);
  }

  async *#readPages(fileId: string, fileSize: number, range: ByteRange, fetch: PageFetch, noCache: boolean): AsyncGenerator<Buffer> {
    const last = Math.floor(range.end / this.pageSize);
    let next = Math.floor(range.start / this.pageSize);
    const window: Array<Promise<Buffer>> = [];
    const launch = (): void => {
      const slice = this.#slice(fileId, fileSize, next++, range, fetch, noCache);
      // Observed here so a reader that stops early leaves no unhandled rejection behind.
      slice.catch(() => {});
      window.push(slice);
    };
    while (next <= last && window.length <= this.readAheadPages) launch();
    while (window.length > 0) {
      const chunk = await window.shift()!;
      if (next <= last) launch();
      yield chunk;
    }
  }

  /** The bytes of `range` that fall in page `index`, with the accounting. */
  async #slice(fileId: string, fileSize: number, index: number, range: ByteRange, fetch: PageFetch, noCache: boolean): Promise<Buffer> {
    const pageStart = index * this.pageSize;
    const from = Math.max(range.start, pageStart);
    const to = Math.min(range.end, pageStart + this.pageSize - 1);
    const key = { fileId, index };
    const found = noCache ? await this.#peek(key) : await this.#page(key, fileSize, fetch, this.#tiers, true);
    let bytes: Buffer;
    let source: Source;
    if (found === undefined) {
      // NO_CACHE miss: only the bytes asked for, kept nowhere.
      bytes = await this.#fetch(index, from, to, fetch);
      source = 'under';
    } else {
      bytes = found.data.subarray(from - pageStart, to - pageStart + 1);
      source = found.source;
    }
    if (source === 'under') {
      this.#misses++;
      this.#underServed += bytes.length;
    } else {
      this.#hits++;
      this.#tier(source).addServed(bytes.length);
    }
    return bytes;
  }

  /** A page from a fetch in flight or a tier, without caching or promoting anything. */
  async #peek(key: PageKey): Promise<{ data: Buffer; source: Source } | undefined> {
    const flight = this.#flights.get(pageKeyString(key));
    if (flight !== undefined) return this.#join(flight);
    for (const tier of this.#tiers) {
      const data = await tier.get(key);
      if (data !== undefined) return { data, source: tier.name };
    }
    return undefined;
  }

  /** A whole page, through the single flight for its key. */
  #page(key: PageKey, fileSize: number, fetch: PageFetch, fill: CacheTier[], promote: boolean): Promise<{ data: Buffer; source: Source }> {
    const flight = this.#flights.get(pageKeyString(key));
    return flight !== undefined ? this.#join(flight) : this.#startFlight(key, fileSize, fetch, fill, promote).promise;
  }

  async #join(flight: Flight): Promise<{ data: Buffer; source: Source }> {
    const result = await flight.promise;
    if (result.source === 'under') this.#shared++;
    return result;
  }

  /**
   * Registers the page's flight before its first await, so every later
   * request for the page joins it; the flight stays registered until its
   * inserts finish, so no request can slip between "fetched" and "cached".
   */
  #startFlight(key: PageKey, fileSize: number, fetch: PageFetch, fill: CacheTier[], promote: boolean): Flight {
    const k = pageKeyString(key);
    const inserts: Array<Promise<unknown>> = [];
    const flight: Flight = {
      promise: this.#resolvePage(key, fileSize, fetch, fill, promote, inserts, () => !flight.cancelled),
      done: Promise.resolve(),
      cancelled: false,
    };
    this.#flights.set(k, flight);
    flight.done = flight.promise
      .then(() => Promise.all(inserts))
      .then(() => {}, () => {})
      .finally(() => {
        if (this.#flights.get(k) === flight) this.#flights.delete(k);
      });
    this.#track(flight.done);
    return flight;
  }

  async #resolvePage(
    key: PageKey, fileSize: number, fetch: PageFetch, fill: CacheTier[], promote: boolean,
    inserts: Array<Promise<unknown>>, stillWanted: () => boolean,
  ): Promise<{ data: Buffer; source: Source }> {
    const memoryHit = await this.#memory.get(key);
    if (memoryHit !== undefined) return { data: memoryHit, source: 'memory' };
    if (this.#disk !== undefined) {
      const diskHit = await this.#disk.get(key);
      if (diskHit !== undefined) {
        if (promote) inserts.push(this.#memory.insert(key, diskHit, stillWanted));
        return { data: diskHit, source: 'disk' };
      }
    }
    const start = key.index * this.pageSize;
    const end = Math.min(fileSize, start + this.pageSize) - 1;
    const data = await this.#fetch(key.index, start, end, fetch);
    for (const tier of fill) inserts.push(tier.insert(key, data, stillWanted));
    return { data, source: 'under' };
  }

  async #fetch(index: number, start: number, end: number, fetch: PageFetch): Promise<Buffer> {
    this.#fetches++;
    let data: Buffer;
    try {
      data = await fetch(index, start, end);
    } catch (err) {
      this.#fetchErrors++;
      throw err;
    }
    if (data.length !== end - start + 1) {
      this.#fetchErrors++;
      // Never cache it: the under-storage file is not the version this fileId names.
      throw new Error(`page ${index}: under-storage returned ${data.length} bytes for ${start}-${end}; the object changed?`);
    }
    this.#fetchedBytes += data.length;
    return data;
  }

  /**
   * Warms the whole file: pages cached nowhere are fetched (`readAheadPages`
   * + 1 at a time) into the disk tier, or memory when there is no disk tier,
   * so a bulk load does not flush the hot memory set. Resolves once they are
   * written. `onProgress` gets bytes done so far (cached or fetched) and the total.
   */
  async load(fileId: string, size: number, fetch: PageFetch, onProgress?: (doneBytes: number, totalBytes: number) => void): Promise<LoadResult> {
    checkFile(fileId, size);
    const pages = Math.ceil(size / this.pageSize);
    const fill = [this.#disk ?? this.#memory];
    let next = 0;
    let fetchedPages = 0;
    let doneBytes = 0;
    const worker = async (): Promise<void> => {
      while (next < pages) {
        const index = next++;
        const key = { fileId, index };
        if (!this.#tiers.some((tier) => tier.has(key))) {
          const flight = this.#flights.get(pageKeyString(key)) ?? this.#startFlight(key, size, fetch, fill, false);
          const { source } = await flight.promise;
          await flight.done;
          if (source === 'under') fetchedPages++;
        }
        doneBytes += Math.min(size, (index + 1) * this.pageSize) - index * this.pageSize;
        onProgress?.(doneBytes, size);
      }
    };
    await Promise.all(Array.from({ length: Math.min(pages, this.readAheadPages + 1) }, worker));
    let cachedPages = 0;
    for (let index = 0; index < pages; index++) {
      if (this.#tiers.some((tier) => tier.has({ fileId, index }))) cachedPages++;
    }
    return { pages, fetchedPages, cachedPages };
  }

  /** Drops the file's pages from every tier; a pinned file only with `force`. */
  async free(fileId: string, options: { force?: boolean } = {}): Promise<FreeResult> {
    checkFileId(fileId);
    if (this.#pinned.has(fileId) && options.force !== true) return { bytes: 0, pinned: true };
    const prefix = `${fileId}/`;
    for (const [k, flight] of this.#flights) {
      // A fill still in flight must not re-cache what is being freed.
      if (k.startsWith(prefix)) {
        flight.cancelled = true;
        this.#flights.delete(k);
      }
    }
    const bytes = await Promise.all(this.#tiers.map((tier) => tier.drop(fileId)));
    return { bytes: bytes.reduce((a, b) => a + b, 0), pinned: false };
  }

  /** Pages of a pinned file are never evicted, present ones and later ones (in-process state). */
  pin(fileId: string): void {
    checkFileId(fileId);
    this.#pinned.add(fileId);
    for (const tier of this.#tiers) tier.pinFile(fileId);
  }

  unpin(fileId: string): void {
    this.#pinned.delete(fileId);
    for (const tier of this.#tiers) tier.unpinFile(fileId);
  }

  isPinned(fileId: string): boolean {
    return this.#pinned.has(fileId);
  }

  /** Bytes of the file cached in at least one tier. */
  cachedBytes(fileId: string, size: number): number {
    const pages = Math.ceil(size / this.pageSize);
    const seen = new Map<number, number>();
    for (const tier of this.#tiers) {
      for (const [index, bytes] of tier.pagesOf(fileId)) if (index < pages) seen.set(index, bytes);
    }
    let total = 0;
    for (const bytes of seen.values()) total += bytes;
    return Math.min(total, size);
  }

  /** 0..100; an empty file counts as fully cached. */
  cachedPercent(fileId: string, size: number): number {
    return size === 0 ? 100 : (this.cachedBytes(fileId, size) / size) * 100;
  }

  pagesPerTier(fileId: string): { memory: TierPages; disk?: TierPages } {
    const count = (tier: CacheTier): TierPages => {
      let bytes = 0;
      for (const size of tier.pagesOf(fileId).values()) bytes += size;
      return { pages: tier.pagesOf(fileId).size, bytes };
    };
    return this.#disk ? { memory: count(this.#memory), disk: count(this.#disk) } : { memory: count(this.#memory) };
  }

  stats(): CacheStats {
    const reads = this.#hits + this.#misses;
    return {
      pageSize: this.pageSize,
      memory: this.#memory.stats(),
      ...(this.#disk ? { disk: this.#disk.stats() } : {}),
      hits: this.#hits,
      misses: this.#misses,
      hitRatio: reads === 0 ? 0 : this.#hits / reads,
      fetches: this.#fetches,
      fetchedBytes: this.#fetchedBytes,
      sharedFetches: this.#shared,
      fetchErrors: this.#fetchErrors,
      underStorageBytesServed: this.#underServed,
    };
  }

  /** Resolves when no fill, promotion or eviction is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    await Promise.all(this.#tiers.map((tier) => tier.settled()));
  }

  #tier(name: TierName): CacheTier {
    return name === 'disk' && this.#disk !== undefined ? this.#disk : this.#memory;
  }

  #track(promise: Promise<unknown>): void {
    this.#pending.add(promise);
    const untrack = (): void => { this.#pending.delete(promise); };
    promise.then(untrack, untrack);
  }
}
