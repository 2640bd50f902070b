// Shared fixtures for the PageCache tests: a fake under-storage that records
// every fetch and can hold fetches until released (to make concurrency
// deterministic without timers), a seeded PRNG, and stream/iterator helpers.
import type { Readable } from 'node:stream';
import type { PageFetch } from './page-cache.ts';

export interface FetchCall {
  index: number;
  start: number;
  end: number;
}

export class FakeUnderStorage {
  readonly data: Buffer;
  readonly calls: FetchCall[] = [];
  /** When set, fetches wait for `release()`. */
  held = false;
  /** When set, the next fetch fails with it (once). */
  failNext: Error | undefined;
  /** When set, pages come back in chunks of this many bytes, as a network read delivers them. */
  readonly chunkSize: number | undefined;
  #waiting: Array<() => void> = [];
  #watchers: Array<{ count: number; resolve: () => void }> = [];

  constructor(data: Buffer, options: { chunkSize?: number } = {}) {
    this.data = data;
    this.chunkSize = options.chunkSize;
  }

  readonly fetch: PageFetch = async (index, start, end) => {
    this.calls.push({ index, start, end });
    this.#watchers = this.#watchers.filter((w) => (this.calls.length >= w.count ? (w.resolve(), false) : true));
    if (this.held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    const failure = this.failNext;
    if (failure !== undefined) {
      this.failNext = undefined;
      throw failure;
    }
    // Copies, as a network read would produce: the cache must not depend on sharing.
    const bytes = this.data.subarray(start, end + 1);
    if (this.chunkSize === undefined) return Buffer.from(bytes);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += this.chunkSize) chunks.push(Buffer.from(bytes.subarray(at, at + this.chunkSize)));
    return chunks;
  };

  /** Resolves once `count` fetches have started. */
  started(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ count, resolve }));
  }

  release(): void {
    this.held = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  indices(): number[] {
    return this.calls.map((c) => c.index);
  }
}

export async function readAll(stream: Readable | AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** mulberry32: small, seeded, good enough to pick ranges reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic bytes for a file, so a wrong offset shows up as wrong content. */
export function patternBytes(size: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(random() * 256);
  return out;
}

export const FILE_A = 'aaaa0000000000000000000000000001';
export const FILE_B = 'bbbb0000000000000000000000000002';
