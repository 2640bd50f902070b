// Streaming calculators for the checksum algorithms S3 accepts in
// x-amz-checksum-* headers and aws-chunked trailers (CRC32, CRC32C, CRC64NVME,
// SHA1, SHA256). Digests are rendered the way S3 sends them: base64 of the
// big-endian bytes.
//
// Why hand-written CRCs: node:zlib has a native crc32 but nothing for the
// Castagnoli or NVMe polynomials, and @aws-crypto/crc32c walks the input with
// an iterator one byte at a time (~85 MB/s measured on Node 24). The
// slicing-by-8 tables below measured ~1.3 GB/s for CRC32C and ~0.9 GB/s for
// CRC64NVME on 64 KiB buffers (slicing-by-16 was within noise, so the smaller
// tables won).
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3Error } from '../s3/errors.ts';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

/** A running checksum. `digest()` may be called more than once; `update()` after it throws. */
export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  update(buf: Uint8Array): void;
  /** Base64 of the big-endian digest bytes, as in `x-amz-checksum-*`. */
  digest(): string;
}

const DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32': return new Crc32Checksum();
    case 'CRC32C': return new Crc32cChecksum();
    case 'CRC64NVME': return new Crc64NvmeChecksum();
    case 'SHA1': return new HashChecksum('SHA1', createHash('sha1'));
    case 'SHA256': return new HashChecksum('SHA256', createHash('sha256'));
  }
}

/** 'CRC32' -> 'x-amz-checksum-crc32'. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** 'x-amz-checksum-crc32' (any case) -> 'CRC32'; undefined for any other name. */
export function checksumAlgorithmForHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.trim().toLowerCase();
  if (!lower.startsWith('x-amz-checksum-')) return undefined;
  const upper = lower.slice('x-amz-checksum-'.length).toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? upper as ChecksumAlgorithm : undefined;
}

/** Parses x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm values, case-insensitively. */
export function parseChecksumAlgorithm(text: string): ChecksumAlgorithm {
  const upper = text.trim().toUpperCase();
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(upper)) return upper as ChecksumAlgorithm;
  throw new S3Error('InvalidRequest',
    `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.join(', ')}]`);
}

/**
 * Whether `value` is canonical base64 of exactly the digest size of `algorithm`.
 * A malformed value is a different S3 error (InvalidRequest) from a wrong one (BadDigest).
 */
export function isWellFormedChecksum(algorithm: ChecksumAlgorithm, value: string): boolean {
  const bytes = DIGEST_BYTES[algorithm];
  if (value.length !== Math.ceil(bytes / 3) * 4 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  // Round-tripping rejects non-zero padding bits, which Buffer.from would silently drop.
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === value;
}

// ---------------------------------------------------------------------------

abstract class DigestOnce {
  private result: string | undefined;
  abstract readonly algorithm: ChecksumAlgorithm;
  protected abstract compute(): Buffer;
  protected assertOpen(): void {
    if (this.result !== undefined) throw new Error(`${this.algorithm} checksum updated after digest()`);
  }
  digest(): string {
    this.result ??= this.compute().toString('base64');
    return this.result;
  }
}

class HashChecksum extends DigestOnce {
  readonly algorithm: ChecksumAlgorithm;
  private readonly hash: Hash;
  constructor(algorithm: ChecksumAlgorithm, hash: Hash) {
    super();
    this.algorithm = algorithm;
    this.hash = hash;
  }
  update(buf: Uint8Array): void {
    this.assertOpen();
    this.hash.update(buf);
  }
  protected compute(): Buffer {
    return this.hash.digest();
  }
}

function uint32BE(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

class Crc32Checksum extends DigestOnce {
  readonly algorithm = 'CRC32';
  private crc = 0;
  update(buf: Uint8Array): void {
    this.assertOpen();
    // zlib's crc32 takes and returns the finalised value, so it chains directly.
    this.crc = crc32(buf, this.crc);
  }
  protected compute(): Buffer {
    return uint32BE(this.crc);
  }
}

// --- CRC32C: reflected, polynomial 0x82F63B78 (Castagnoli), init/xorout all ones.

/** Slicing-by-8 tables: table k (k*256..) advances a byte through k further zero bytes. */
function crc32Tables(reversedPoly: number): Int32Array {
  const t = new Int32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ reversedPoly : c >>> 1;
    t[i] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i];
      t[k * 256 + i] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
}

// Built eagerly: a lazily-initialised module `let` measured ~25% slower in the hot loop.
const CRC32C_TABLE = crc32Tables(0x82f63b78);

function crc32cUpdate(crc: number, data: Uint8Array): number {
  const t = CRC32C_TABLE;
  const n = data.length;
  const end = n - (n & 7);
  let c = crc;
  let i = 0;
  while (i < end) {
    const a = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    c = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)]
      ^ t[768 + data[i + 4]] ^ t[512 + data[i + 5]] ^ t[256 + data[i + 6]] ^ t[data[i + 7]];
    i += 8;
  }
  for (; i < n; i++) c = (c >>> 8) ^ t[(c ^ data[i]) & 0xff];
  return c;
}

class Crc32cChecksum extends DigestOnce {
  readonly algorithm = 'CRC32C';
  private crc = -1;
  update(buf: Uint8Array): void {
    this.assertOpen();
    this.crc = crc32cUpdate(this.crc, buf);
  }
  protected compute(): Buffer {
    return uint32BE(~this.crc);
  }
}

// --- CRC64NVME: reflected, polynomial 0x9A6C9329AC4BC9B5 (bit-reversed form of
// 0xAD93D23594C93659), init/xorout all ones. BigInt arithmetic allocates and is
// two orders of magnitude slower, so the 64-bit state is kept as two uint32
// halves and each table is split into a low-word and a high-word array.

interface Crc64Tables { readonly lo: Int32Array; readonly hi: Int32Array }

function buildCrc64Tables(): Crc64Tables {
  const polyLo = 0xac4bc9b5 | 0;
  const polyHi = 0x9a6c9329 | 0;
  const lo = new Int32Array(256 * 8);
  const hi = new Int32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let l = i;
    let h = 0;
    for (let j = 0; j < 8; j++) {
      const mask = -(l & 1); // all ones when the bit shifted out is set
      l = ((l >>> 1) | (h << 31)) ^ (polyLo & mask);
      h = (h >>> 1) ^ (polyHi & mask);
    }
    lo[i] = l;
    hi[i] = h;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const pl = lo[(k - 1) * 256 + i];
      const ph = hi[(k - 1) * 256 + i];
      const idx = pl & 0xff;
      lo[k * 256 + i] = ((pl >>> 8) | (ph << 24)) ^ lo[idx];
      hi[k * 256 + i] = (ph >>> 8) ^ hi[idx];
    }
  }
  return { lo, hi };
}

const { lo: CRC64_LO, hi: CRC64_HI } = buildCrc64Tables();

class Crc64NvmeChecksum extends DigestOnce {
  readonly algorithm = 'CRC64NVME';
  private lo = -1;
  private hi = -1;

  update(data: Uint8Array): void {
    this.assertOpen();
    const tl = CRC64_LO;
    const th = CRC64_HI;
    const n = data.length;
    const end = n - (n & 7);
    let l = this.lo;
    let h = this.hi;
    let i = 0;
    while (i < end) {
      // XOR 8 little-endian input bytes into the state, then look each byte up
      // in the table for its distance from the end of the block.
      const a = l ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
      const b = h ^ (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24));
      const i7 = 1792 + (a & 0xff), i6 = 1536 + ((a >>> 8) & 0xff), i5 = 1280 + ((a >>> 16) & 0xff), i4 = 1024 + (a >>> 24);
      const i3 = 768 + (b & 0xff), i2 = 512 + ((b >>> 8) & 0xff), i1 = 256 + ((b >>> 16) & 0xff), i0 = b >>> 24;
      l = tl[i7] ^ tl[i6] ^ tl[i5] ^ tl[i4] ^ tl[i3] ^ tl[i2] ^ tl[i1] ^ tl[i0];
      h = th[i7] ^ th[i6] ^ th[i5] ^ th[i4] ^ th[i3] ^ th[i2] ^ th[i1] ^ th[i0];
      i += 8;
    }
    for (; i < n; i++) {
      const idx = (l ^ data[i]) & 0xff;
      l = ((l >>> 8) | (h << 24)) ^ tl[idx];
      h = (h >>> 8) ^ th[idx];
    }
    this.lo = l;
    this.hi = h;
  }

  protected compute(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out;
  }
}
