// A pass-through stream that hashes and counts the bytes flowing through it,
// so ETags and sizes are known the moment a body has been streamed to storage.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class DigestStream extends Transform {
  readonly #md5: Hash = createHash('md5');
  #size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#md5.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  get size(): number {
    return this.#size;
  }

  /** Hex MD5 of everything that passed; call once, after the stream ended. */
  md5Hex(): string {
    return this.#md5.digest('hex');
  }
}
