// The on-disk form of one cache page and the file-system calls the disk store
// makes. A page file is a 12-byte header (magic "SPG1", CRC32 of the data,
// data length; big-endian) followed by the data, so a torn write, a flipped
// bit or a truncated file is detected on read and never served.
// The calls go through `DiskOps` so tests can inject ENOSPC / EIO: the suite
// runs as root, where a read-only directory stops nothing.
import { mkdir, open, readFile, readdir, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { pageLength, sliceChunks } from './page-store.ts';

export const PAGE_HEADER_BYTES = 12;
const MAGIC = 0x53504731; // "SPG1"

/** The header of a page file holding `chunks`, in order. */
export function pageHeader(chunks: readonly Buffer[]): Buffer {
  let crc = 0;
  let length = 0;
  for (const chunk of chunks) {
    crc = crc32(chunk, crc);
    length += chunk.length;
  }
  const header = Buffer.allocUnsafe(PAGE_HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(crc, 4);
  header.writeUInt32BE(length, 8);
  return header;
}

/** The page data in a page file's bytes, or undefined when anything fails to verify. */
export function decodePage(file: Buffer): Buffer | undefined {
  if (file.length < PAGE_HEADER_BYTES) return undefined;
  if (file.readUInt32BE(0) !== MAGIC) return undefined;
  if (file.readUInt32BE(8) !== file.length - PAGE_HEADER_BYTES) return undefined;
  const data = file.subarray(PAGE_HEADER_BYTES);
  return crc32(data) === file.readUInt32BE(4) ? data : undefined;
}

export interface FileInfo {
  size: number;
  mtimeMs: number;
  isDirectory(): boolean;
}

/** The file-system calls DiskPageStore makes; `nodeDiskOps` is the real thing. */
export interface DiskOps {
  /** Creates a directory and its parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  writeFile(path: string, chunks: readonly Buffer[]): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<FileInfo>;
}

export const nodeDiskOps: DiskOps = {
  mkdir: async (path) => { await mkdir(path, { recursive: true }); },
  writeFile: async (path, chunks) => {
    const file = await open(path, 'w');
    try {
      await writeAll(file, chunks);
    } finally {
      await file.close();
    }
  },
  rename: (from, to) => rename(from, to),
  readFile: (path) => readFile(path),
  unlink: (path) => unlink(path),
  rmdir: (path) => rmdir(path),
  readdir: (path) => readdir(path),
  stat: (path) => stat(path),
};

/**
 * Writes the chunks with as few writev calls as the kernel allows (one, for a
 * page): fs.writeFile would write them one by one, in 512 KiB pieces, each
 * its own trip through the thread pool.
 */
async function writeAll(file: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  const total = pageLength(chunks);
  let written = 0;
  while (written < total) {
    const { bytesWritten } = await file.writev(sliceChunks(chunks, written, total - written), written);
    if (bytesWritten === 0) throw Object.assign(new Error(`no progress writing ${file.fd}`), { code: 'EIO' });
    written += bytesWritten;
  }
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}
