// Verifies the chunk signatures of a signed aws-chunked body
// (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]), chained
// from the request's seed signature, and the trailer signature of the
// -TRAILER variant. It plugs into AwsChunkedDecoder's onChunkSignature /
// onTrailerSignature hooks, which make a signature mandatory on every chunk
// (and on the trailer) once set.
//   chunk:   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
//   trailer: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
// Every chunk's signature covers the previous one, so a changed, dropped,
// replayed or reordered chunk breaks the chain; the zero-length final chunk is
// signed too, and the trailer signature covers the final chunk's, so neither
// the end of the data nor the checksum trailer can be forged or cut off.
// STREAMING-UNSIGNED-PAYLOAD-TRAILER has no chunk signatures: do not attach this.
import { createHash } from 'node:crypto';
import type { AwsChunkedDecoderOptions } from '../s3/body/aws-chunked.ts';
import { S3Error } from '../s3/errors.ts';
import { EMPTY_SHA256, sha256Hex } from './aws-encoding.ts';
import { MISMATCH_MESSAGE } from './auth-errors.ts';
import { signaturesEqual } from './signing-key.ts';
import type { SigningContext } from './sigv4.ts';

export class ChunkSignatureVerifier {
  readonly #context: SigningContext;
  readonly #trailer: boolean;
  #previous: string;
  #chunks = 0;
  #finalSeen = false;

  /** `trailer`: the body is STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, whose trailer must be signed. */
  constructor(context: SigningContext, options: { trailer: boolean }) {
    this.#context = context;
    this.#trailer = options.trailer;
    this.#previous = context.seedSignature;
  }

  /** Chunks verified so far, the final zero-length one included. */
  get chunksVerified(): number {
    return this.#chunks;
  }

  /** Options for `new AwsChunkedDecoder({...})`: both hooks for the -TRAILER variant, the chunk hook otherwise. */
  decoderHooks(): Pick<AwsChunkedDecoderOptions, 'onChunkSignature' | 'onTrailerSignature'> {
    const hooks: Pick<AwsChunkedDecoderOptions, 'onChunkSignature' | 'onTrailerSignature'> = {
      onChunkSignature: (signature, chunk) => this.verifyChunk(signature, chunk),
    };
    if (this.#trailer) hooks.onTrailerSignature = (signature, trailers) => this.verifyTrailer(signature, trailers);
    return hooks;
  }

  /** Checks one chunk ([] for the final one) against its signature; throws SignatureDoesNotMatch. */
  verifyChunk(signature: string, chunk: readonly Buffer[]): void {
    if (this.#finalSeen) throw new S3Error('IncompleteBody', 'Data follows the final zero-length chunk.');
    const hash = createHash('sha256');
    let length = 0;
    for (const piece of chunk) {
      hash.update(piece);
      length += piece.length;
    }
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', this.#context.amzDate, this.#context.scope, this.#previous,
      EMPTY_SHA256, hash.digest('hex')].join('\n');
    this.#check(toSign, signature);
    this.#chunks++;
    if (length === 0) this.#finalSeen = true;
  }

  /** Checks x-amz-trailer-signature over the trailers ('name:value\n' each), chained from the final chunk's signature. */
  verifyTrailer(signature: string, trailers: Readonly<Record<string, string>>): void {
    if (!this.#finalSeen) throw new S3Error('IncompleteBody', 'The trailer came before the final zero-length chunk.');
    const text = Object.entries(trailers).map(([name, value]) => `${name}:${value}\n`).join('');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', this.#context.amzDate, this.#context.scope, this.#previous,
      sha256Hex(text)].join('\n');
    this.#check(toSign, signature);
  }

  #check(toSign: string, provided: string): void {
    const expected = this.#context.signingKey.signHex(toSign);
    if (!signaturesEqual(expected, provided)) {
      throw new S3Error('SignatureDoesNotMatch', MISMATCH_MESSAGE, { StringToSign: toSign, SignatureProvided: provided });
    }
    this.#previous = expected;
  }
}
