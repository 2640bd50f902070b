// Adapts a stream-returning ranged read (UnderStorage.read(path, {start, end}))
// to the PageCache's PageFetch: collects the range into one Buffer of exactly
// the requested length, failing if the source sends more or less (the file is
// then not the version the cache key names, and must not be cached).
import type { Readable } from 'node:stream';
import type { ByteRange, PageFetch } from './page-cache.ts';

export function streamFetch(open: (range: ByteRange) => Promise<Readable>): PageFetch {
  return async (pageIndex, start, end) => {
    const expected = end - start + 1;
    const page = Buffer.allocUnsafe(expected);
    let filled = 0;
    const stream = await open({ start, end });
    for await (const chunk of stream) {
      const bytes = chunk as Uint8Array;
      if (filled + bytes.length > expected) {
        stream.destroy();
        throw new Error(`page ${pageIndex}: source sent more than the ${expected} bytes of ${start}-${end}`);
      }
      page.set(bytes, filled);
      filled += bytes.length;
    }
    if (filled !== expected) throw new Error(`page ${pageIndex}: source ended after ${filled} of ${expected} bytes`);
    return page;
  };
}
