// The local-disk tier's PageStore: one file per page at
// <dir>/<fileId[0..2]>/<fileId>/<index>, framed with a CRC32 (page-file.ts).
// Writes go to a temp file renamed into place, so a reader sees a whole page
// or none. No fsync: after a crash a torn page fails its checksum and reads as
// a miss, which is all a cache owes. Every disk failure is counted and turned
// into a miss or a refused put, never thrown.
// An in-memory index (rebuilt by `open` from the directory, so the cache
// survives a restart) answers misses without touching the disk and keeps
// `bytesUsed` exact. Writes and deletes are serialized per fileId, which also
// makes "remove the file's directory when its last page goes" safe; reads
// take no lock (rename keeps them whole).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KeyedLock } from '../util/keyed-lock.ts';
import { PAGE_HEADER_BYTES, decodePage, errorCode, nodeDiskOps, pageHeader, type DiskOps } from './page-file.ts';
import {
  assertPageKey, isValidFileId, pageKeyString, parsePageKeyString, zeroErrorCounts,
  pageLength, type PageChunks, type PageEntry, type PageKey, type PageStore, type StoreErrorCounts,
} from './page-store.ts';

export interface DiskPageStoreOptions {
  /** File-system calls; tests inject failures here. */
  ops?: DiskOps;
}

const PAGE_NAME = /^(0|[1-9][0-9]*)$/;

export class DiskPageStore implements PageStore {
  readonly capacity: number;
  readonly dir: string;
  readonly #ops: DiskOps;
  readonly #locks = new KeyedLock();
  /** key string -> page size; insertion order is write order. */
  readonly #sizes = new Map<string, number>();
  /** fileId -> pages held, to know when a file's directory empties. */
  readonly #perFile = new Map<string, number>();
  #used = 0;
  readonly #errors = zeroErrorCounts();

  /** Opens (creating) a cache directory, indexing the pages already there. */
  static async open(dir: string, capacity: number, options: DiskPageStoreOptions = {}): Promise<DiskPageStore> {
    const store = new DiskPageStore(dir, capacity, options.ops ?? nodeDiskOps);
    await store.#ops.mkdir(dir);
    await store.#scan();
    return store;
  }

  private constructor(dir: string, capacity: number, ops: DiskOps) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`invalid capacity: ${capacity}`);
    this.dir = dir;
    this.capacity = capacity;
    this.#ops = ops;
  }

  /** Where a page's file lives. */
  pagePath(key: PageKey): string {
    return join(this.#fileDir(key.fileId), String(key.index));
  }

  bytesUsed(): number {
    return this.#used;
  }

  has(key: PageKey): boolean {
    return this.#sizes.has(pageKeyString(key));
  }

  entries(): PageEntry[] {
    return [...this.#sizes].map(([k, size]) => ({ key: parsePageKeyString(k), size }));
  }

  errors(): StoreErrorCounts {
    return { ...this.#errors };
  }

  async put(key: PageKey, chunks: PageChunks): Promise<boolean> {
    assertPageKey(key);
    const size = pageLength(chunks);
    return this.#locks.run(key.fileId, async () => {
      const k = pageKeyString(key);
      const previous = this.#sizes.get(k) ?? 0;
      // Reserve before the first await: puts of other files run concurrently.
      const reserved = Math.max(0, size - previous);
      if (this.#used + reserved > this.capacity) return false;
      this.#used += reserved;
      const path = this.pagePath(key);
      const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await this.#writeTemp(key.fileId, temp, [pageHeader(chunks), ...chunks]);
        await this.#ops.rename(temp, path);
      } catch {
        this.#used -= reserved;
        this.#errors.writeErrors++;
        await this.#ops.unlink(temp).catch(() => {});
        // A replaced page may be gone or intact; forget it rather than guess.
        if (previous > 0) await this.#removeLocked(key);
        return false;
      }
      this.#used += size - previous - reserved;
      this.#remember(k, key.fileId, size, previous > 0);
      return true;
    });
  }

  /**
   * Under the file's lock: writes a temp page file. Its directory exists while
   * the store holds a page of the file (it goes with the last one, under the
   * same lock), so the mkdir, one more trip through the thread pool per page,
   * is only made for a file's first page, or when the directory vanished
   * behind our back.
   */
  async #writeTemp(fileId: string, temp: string, chunks: readonly Buffer[]): Promise<void> {
    const dir = this.#fileDir(fileId);
    if (!this.#perFile.has(fileId)) await this.#ops.mkdir(dir);
    try {
      await this.#ops.writeFile(temp, chunks);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT' || !this.#perFile.has(fileId)) throw err;
      await this.#ops.mkdir(dir);
      await this.#ops.writeFile(temp, chunks);
    }
  }

  async get(key: PageKey): Promise<PageChunks | undefined> {
    if (!this.has(key)) return undefined;
    const path = this.pagePath(key);
    let file: Buffer;
    try {
      file = await this.#ops.readFile(path);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') {
        // Removed behind our back: the index follows the disk.
        await this.#locks.run(key.fileId, () => this.#dropIfUnreadable(key, false));
      } else {
        this.#errors.readErrors++;
      }
      return undefined;
    }
    const data = decodePage(file);
    if (data !== undefined) return [data];
    // Re-check under the lock: a put may have just replaced the page.
    return this.#locks.run(key.fileId, () => this.#dropIfUnreadable(key, true));
  }

  async delete(key: PageKey): Promise<void> {
    if (!this.has(key)) return;
    await this.#locks.run(key.fileId, () => this.#removeLocked(key));
  }

  /** Under the file's lock: reads the page again; if still bad, deletes and forgets it. */
  async #dropIfUnreadable(key: PageKey, wasCorrupt: boolean): Promise<PageChunks | undefined> {
    if (!this.has(key)) return undefined;
    try {
      const data = decodePage(await this.#ops.readFile(this.pagePath(key)));
      if (data !== undefined) return [data];
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') {
        this.#errors.readErrors++;
        return undefined;
      }
    }
    if (wasCorrupt) this.#errors.corruptPages++;
    await this.#removeLocked(key);
    return undefined;
  }

  /** Under the file's lock: deletes the page file and forgets the page. */
  async #removeLocked(key: PageKey): Promise<void> {
    const k = pageKeyString(key);
    const size = this.#sizes.get(k);
    if (size === undefined) return;
    try {
      await this.#ops.unlink(this.pagePath(key));
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') this.#errors.deleteErrors++;
    }
    this.#sizes.delete(k);
    this.#used -= size;
    const left = (this.#perFile.get(key.fileId) ?? 1) - 1;
    if (left > 0) {
      this.#perFile.set(key.fileId, left);
    } else {
      this.#perFile.delete(key.fileId);
      await this.#ops.rmdir(this.#fileDir(key.fileId)).catch(() => {});
    }
  }

  #remember(k: string, fileId: string, size: number, replaced: boolean): void {
    this.#sizes.delete(k);
    this.#sizes.set(k, size);
    if (!replaced) this.#perFile.set(fileId, (this.#perFile.get(fileId) ?? 0) + 1);
  }

  #fileDir(fileId: string): string {
    return join(this.dir, fileId.slice(0, 2), fileId);
  }

  /**
   * Indexes the pages a previous run left, oldest first; removes temp files,
   * frames too short to be pages, and the oldest pages beyond the capacity.
   */
  async #scan(): Promise<void> {
    const found: Array<{ key: PageKey; size: number; mtimeMs: number }> = [];
    for (const prefix of await this.#list(this.dir)) {
      const prefixDir = join(this.dir, prefix);
      for (const fileId of await this.#list(prefixDir)) {
        if (!isValidFileId(fileId) || fileId.slice(0, 2) !== prefix) continue;
        const fileDir = join(prefixDir, fileId);
        const before = found.length;
        for (const name of await this.#list(fileDir)) {
          const path = join(fileDir, name);
          if (name.endsWith('.tmp')) {
            await this.#ops.unlink(path).catch(() => {});
            continue;
          }
          if (!PAGE_NAME.test(name)) continue;
          const info = await this.#ops.stat(path).catch(() => undefined);
          if (info === undefined || info.isDirectory()) continue;
          if (info.size < PAGE_HEADER_BYTES) {
            await this.#ops.unlink(path).catch(() => {});
            continue;
          }
          found.push({ key: { fileId, index: Number(name) }, size: info.size - PAGE_HEADER_BYTES, mtimeMs: info.mtimeMs });
        }
        if (found.length === before) await this.#ops.rmdir(fileDir).catch(() => {});
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    let total = found.reduce((sum, f) => sum + f.size, 0);
    for (const page of found) {
      const k = pageKeyString(page.key);
      if (total > this.capacity) {
        // The capacity shrank since the last run: drop the oldest pages.
        total -= page.size;
        await this.#ops.unlink(this.pagePath(page.key)).catch(() => {});
        continue;
      }
      this.#remember(k, page.key.fileId, page.size, false);
      this.#used += page.size;
    }
  }

  async #list(dir: string): Promise<string[]> {
    try {
      return await this.#ops.readdir(dir);
    } catch {
      return [];
    }
  }
}
