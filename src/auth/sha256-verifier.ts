// Checks a request body against the hex SHA-256 a SigV4 client declared in
// x-amz-content-sha256 (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html):
// the declared hash is what the signature covers, so the body is only
// authenticated once it is shown to hash to it. Bytes pass through as they
// arrive; the stream fails with XAmzContentSHA256Mismatch at its end, so
// consumers must treat the data as provisional until it finishes cleanly.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3/errors.ts';

export class Sha256Verifier extends Transform {
  readonly #expected: string;
  readonly #hash: Hash = createHash('sha256');

  constructor(expectedHex: string) {
    super();
    if (!/^[0-9a-fA-F]{64}$/.test(expectedHex)) throw new RangeError('expected a hex SHA-256 digest');
    this.#expected = expectedHex.toLowerCase();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const computed = this.#hash.digest('hex');
    if (computed === this.#expected) {
      callback();
      return;
    }
    callback(new S3Error('XAmzContentSHA256Mismatch', undefined, {
      ClientComputedContentSHA256: this.#expected,
      S3ComputedContentSHA256: computed,
    }));
  }
}
