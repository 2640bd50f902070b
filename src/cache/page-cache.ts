// The page cache (issue 4, "Cache"): files are cut into fixed-size pages held
// in a memory tier and an optional local-disk tier, each bounded by a byte
// capacity and evicting by its own swappable evictor (LRU by default).
// A read streams a byte range using only the pages it touches: hits come from
// memory, then disk (promoted to memory), misses from `fetch` (the
// under-storage), and are cached in both tiers while the reader gets them;
// a read larger than the memory tier goes to the disk tier only. Pages are
// kept in the chunks they arrived in, not copied into one buffer.
// Concurrent misses on one page share one fetch; up to `readAheadPages` pages
// of the range are fetched ahead of the one being sent, and a reader waits
// when more than `readAheadPages + 1` pages it has sent are still being
// written to the tiers, so memory stays bounded when the disk is slower than
// the under-storage.
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
import { pageKeyString, pageLength, sliceChunks, type PageChunks, type PageKey } from './page-store.ts';
import { CacheTier, type TierName } from './tier.ts';

export type {
  ByteRange, CacheStats, FreeResult, LoadResult, PageCacheOptions, PageFetch, ReadOptions, TierPages,
} from './page-cache-types.ts';
export type { TierStats } from './tier.ts';

export const DEFAULT_PAGE_SIZE = 1024 * 1024;
export const DEFAULT_READ_AHEAD_PAGES = 4;

type Source = TierName | 'under';

interface FoundPage {
  readonly chunks: PageChunks;
  readonly source: Source;
}

interface Flight {
  readonly promise: Promise<FoundPage>;
  /** Settles once the page's inserts have finished. */
  done: Promise<void>;
  cancelled: boolean;
}

/** A promise with whether it has settled yet, readable synchronously. */
interface Settling {
  readonly promise: Promise<void>;
  settled: boolean;
}

function settling(promise: Promise<void>): Settling {
  const state: Settling = { promise, settled: false };
  const mark = (): void => { state.settled = true; };
  promise.then(mark, mark);
  return state;
}

/** The tiers a read's misses go to, and whether its disk hits are promoted to memory. */
interface Fill {
  readonly tiers: CacheTier[];
  readonly promote: boolean;
}

/** One page's part of a read: its bytes, and when the page's writes to the tiers have ended. */
interface PageSlice {
  readonly bytes: Promise<PageChunks>;
  readonly cached: Settling;
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
   * `read` as an async iterator of chunks (each page's, in order). Calling
   * `next()` claims the first pages at once (joining or starting their
   * fetches) before its first await. Throws RangeError for a bad range.
   */
  readChunks(fileId: string, fileSize: number, range: ByteRange, fetch: PageFetch, options: ReadOptions = {}): AsyncGenerator<Buffer> {
    checkRange(fileId, fileSize, range);
    return this.#readPages(fileId, fileSize, { start: range.start, end: range.end }, fetch, this.#fillFor(range, options));
  }

  /**
   * Where a read's misses are cached: nowhere for NO_CACHE; on disk only (and
   * disk hits not promoted) for a read larger than the memory tier when there
   * is a disk tier. LRU over such a scan would evict the scan's own pages
   * before anything read them again, flushing the memory tier's hot pages on
   * the way; and every page passing through it would outlive a few scavenges
   * and leave as old-generation garbage that only a full GC frees (see
   * gc-pacer.ts), which kept a 1 GiB read's memory and GC work up.
   */
  #fillFor(range: ByteRange, options: ReadOptions): Fill | undefined {
    if (options.noCache === true) return undefined;
    const disk = this.#disk;
    if (disk !== undefined && range.end - range.start + 1 > this.#memory.store.capacity) return { tiers: [disk], promote: false };
    return { tiers: this.#tiers, promote: true };
  }

  /**
   * Up to `readAheadPages` pages are fetched ahead of the one being sent, and
   * pages already sent may still be being written to the tiers (a disk write
   * can be slower than the network): at most `readAheadPages + 1` of those may
   * trail the reader before it waits for them. Without that bound a fast
   * under-storage and a slower disk tier left most of a 1 GiB file queued in
   * memory for its disk writes. The next page is launched before the current
   * one is handed over whenever the trailing pages allow it, as before.
   */
  async *#readPages(fileId: string, fileSize: number, range: ByteRange, fetch: PageFetch, fill: Fill | undefined): AsyncGenerator<Buffer> {
    const last = Math.floor(range.end / this.pageSize);
    let next = Math.floor(range.start / this.pageSize);
    const window: PageSlice[] = [];
    const trailing = new Set<Promise<void>>();
    const launch = (): void => {
      const slice = this.#slice(fileId, fileSize, next++, range, fetch, fill);
      // Observed here so a reader that stops early leaves no unhandled rejection behind.
      slice.bytes.catch(() => {});
      window.push(slice);
    };
    while (next <= last && window.length <= this.readAheadPages) launch();
    while (window.length > 0) {
      const slice = window.shift()!;
      const chunks = await slice.bytes;
      const launchedEarly = next <= last && trailing.size <= this.readAheadPages;
      if (launchedEarly) launch();
      for (const chunk of chunks) yield chunk;
      if (!slice.cached.settled) {
        const cached = slice.cached.promise;
        trailing.add(cached);
        void cached.then(() => trailing.delete(cached));
      }
      if (next <= last && !launchedEarly) {
        while (trailing.size > this.readAheadPages) await Promise.race(trailing);
        launch();
      }
    }
  }

  /** The bytes of `range` that fall in page `index`, with the accounting, and when the page's cache writes end. */
  #slice(fileId: string, fileSize: number, index: number, range: ByteRange, fetch: PageFetch, fill: Fill | undefined): PageSlice {
    const key = { fileId, index };
    // Claimed before any await: every later request for the page joins this flight.
    const joined = this.#flights.get(pageKeyString(key));
    const flight = joined ?? (fill === undefined ? undefined : this.#startFlight(key, fileSize, fetch, fill.tiers, fill.promote));
    const page = joined !== undefined ? this.#join(joined) : flight !== undefined ? flight.promise : this.#peekTiers(key);
    return { bytes: this.#sliceBytes(key, range, fetch, page), cached: settling(flight?.done ?? Promise.resolve()) };
  }

  async #sliceBytes(
    key: PageKey, range: ByteRange, fetch: PageFetch, page: Promise<FoundPage | undefined>,
  ): Promise<PageChunks> {
    const pageStart = key.index * this.pageSize;
    const from = Math.max(range.start, pageStart);
    const to = Math.min(range.end, pageStart + this.pageSize - 1);
    const length = to - from + 1;
    const found = await page;
    let chunks: PageChunks;
    let source: Source;
    if (found === undefined) {
      // NO_CACHE miss: only the bytes asked for, kept nowhere.
      chunks = await this.#fetch(key.index, from, to, fetch);
      source = 'under';
    } else {
      chunks = sliceChunks(found.chunks, from - pageStart, length);
      source = found.source;
    }
    if (source === 'under') {
      this.#misses++;
      this.#underServed += length;
    } else {
      this.#hits++;
      this.#tier(source).addServed(length);
    }
    return chunks;
  }

  /** A page from a tier, without caching or promoting anything (NO_CACHE reads). */
  async #peekTiers(key: PageKey): Promise<FoundPage | undefined> {
    for (const tier of this.#tiers) {
      const chunks = await tier.get(key);
      if (chunks !== undefined) return { chunks, source: tier.name };
    }
    return undefined;
  }

  async #join(flight: Flight): Promise<FoundPage> {
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
  ): Promise<FoundPage> {
    const memoryHit = await this.#memory.get(key);
    if (memoryHit !== undefined) return { chunks: memoryHit, source: 'memory' };
    if (this.#disk !== undefined) {
      const diskHit = await this.#disk.get(key);
      if (diskHit !== undefined) {
        if (promote) inserts.push(this.#memory.insert(key, diskHit, stillWanted));
        return { chunks: diskHit, source: 'disk' };
      }
    }
    const start = key.index * this.pageSize;
    const end = Math.min(fileSize, start + this.pageSize) - 1;
    const chunks = await this.#fetch(key.index, start, end, fetch);
    for (const tier of fill) inserts.push(tier.insert(key, chunks, stillWanted));
    return { chunks, source: 'under' };
  }

  async #fetch(index: number, start: number, end: number, fetch: PageFetch): Promise<PageChunks> {
    this.#fetches++;
    let chunks: PageChunks;
    try {
      const fetched = await fetch(index, start, end);
      chunks = Buffer.isBuffer(fetched) ? [fetched] : fetched;
    } catch (err) {
      this.#fetchErrors++;
      throw err;
    }
    const length = pageLength(chunks);
    if (length !== end - start + 1) {
      this.#fetchErrors++;
      // Never cache it: the under-storage file is not the version this fileId names.
      throw new Error(`page ${index}: under-storage returned ${length} bytes for ${start}-${end}; the object changed?`);
    }
    this.#fetchedBytes += length;
    return chunks;
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
