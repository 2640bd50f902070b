// A pass-through stream that hashes and counts the bytes flowing through it,
// so ETags, sizes and (when asked) an S3 checksum are known the moment a body
// has been streamed to storage: one pass over the data, never a second read.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Checksum } from './checksums.ts';

export class DigestStream extends Transform {
  readonly #md5: Hash = createHash('md5');
  readonly #checksum: Checksum | undefined;
  readonly #sha256: Hash | undefined;
  #md5Digest: Buffer | undefined;
  #size = 0;

  /**
   * `checksum`, when given, is fed every byte alongside the MD5; with
   * `sha256`, so is a hex SHA-256 (sha256Hex), for a body that must match a
   * declared x-amz-content-sha256.
   */
  constructor(checksum?: Checksum, options: { sha256?: boolean } = {}) {
    super();
    this.#checksum = checksum;
    this.#sha256 = options.sha256 === true ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#md5.update(chunk);
    this.#checksum?.update(chunk);
    this.#sha256?.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  /** Hex SHA-256 of everything that passed, when asked for at construction; call once, after the stream ended. */
  sha256Hex(): string | undefined {
    return this.#sha256?.digest('hex');
  }

  get size(): number {
    return this.#size;
  }

  /** Hex MD5 of everything that passed; call after the stream ended. */
  md5Hex(): string {
    return this.#md5Bytes().toString('hex');
  }

  /** Base64 MD5 of everything that passed, as in a Content-MD5 header; call after the stream ended. */
  md5Base64(): string {
    return this.#md5Bytes().toString('base64');
  }

  #md5Bytes(): Buffer {
    this.#md5Digest ??= this.#md5.digest();
    return this.#md5Digest;
  }

  /** The checksum given to the constructor, digested; call after the stream ended. */
  checksumDigest(): string | undefined {
    return this.#checksum?.digest();
  }
}
