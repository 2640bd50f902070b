// The on-disk form of one cache page and the file-system calls the disk store
// makes. A page file is a 12-byte header (magic "SPG1", CRC32 of the data,
// data length; big-endian) followed by the data, so a torn write, a flipped
// bit or a truncated file is detected on read and never served.
// The calls go through `DiskOps` so tests can inject ENOSPC / EIO: the suite
// runs as root, where a read-only directory stops nothing.
import { mkdir, readFile, readdir, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

export const PAGE_HEADER_BYTES = 12;
const MAGIC = 0x53504731; // "SPG1"

export function pageHeader(data: Buffer): Buffer {
  const header = Buffer.allocUnsafe(PAGE_HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(crc32(data), 4);
  header.writeUInt32BE(data.length, 8);
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
  writeFile: (path, chunks) => writeFile(path, chunks),
  rename: (from, to) => rename(from, to),
  readFile: (path) => readFile(path),
  unlink: (path) => unlink(path),
  rmdir: (path) => rmdir(path),
  readdir: (path) => readdir(path),
  stat: (path) => stat(path),
};

export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}
