// Adapts a stream-returning ranged read (UnderStorage.read(path, {start, end}))
// to the PageCache's PageFetch: the range's chunks, as the stream gave them
// (no copy into one page-sized buffer), failing if the source sends more or
// less than the range (the file is then not the version the cache key names,
// and must not be cached).
import type { Readable } from 'node:stream';
import type { ByteRange, PageFetch } from './page-cache.ts';

export function streamFetch(open: (range: ByteRange) => Promise<Readable>): PageFetch {
  return async (pageIndex, start, end) => {
    const expected = end - start + 1;
    const chunks: Buffer[] = [];
    let received = 0;
    const stream = await open({ start, end });
    for await (const chunk of stream) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      if (received + bytes.length > expected) {
        stream.destroy();
        throw new Error(`page ${pageIndex}: source sent more than the ${expected} bytes of ${start}-${end}`);
      }
      chunks.push(bytes);
      received += bytes.length;
    }
    if (received !== expected) throw new Error(`page ${pageIndex}: source ended after ${received} of ${expected} bytes`);
    return chunks;
  };
}
