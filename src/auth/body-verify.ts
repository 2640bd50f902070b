// The request body as authentication says it must be checked, for
// RequestContext.body(): in sigv4 mode a hex x-amz-content-sha256 is checked
// against the bytes as they stream (Sha256Verifier: the signature covers the
// declared hash, so the body is authenticated only once it hashes to it), and
// an aws-chunked body signed chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// and its -TRAILER variant) has every chunk signature and the trailer
// signature verified in the chain (ChunkSignatureVerifier). Framing the
// signature does not cover was refused earlier (authenticate.ts).
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { AwsChunkedDecoder } from '../s3/body/aws-chunked.ts';
import { ChunkSignatureVerifier } from './chunk-signature.ts';
import { Sha256Verifier } from './sha256-verifier.ts';
import type { AuthResult } from './verify.ts';

export interface BodyFraming {
  /** The body is aws-chunked (a STREAMING-* payload or Content-Encoding: aws-chunked). */
  awsChunked: boolean;
  /** x-amz-decoded-content-length, for aws-chunked bodies. */
  decodedLength: number | undefined;
  /** x-amz-trailer. */
  trailer: string | undefined;
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

function piped<T extends Transform>(req: IncomingMessage, into: T): T {
  // A failed request stream (client gone) fails the check stream too, so consumers see the error.
  req.on('error', (err) => into.destroy(err));
  req.pipe(into);
  return into;
}

/**
 * The hex SHA-256 a plain (not aws-chunked) body must hash to: the
 * x-amz-content-sha256 of a request in sigv4 mode; undefined when there is
 * none, and always in simple mode (`result` undefined), which checks nothing.
 */
export function declaredBodySha256(req: IncomingMessage, result: AuthResult | undefined): string | undefined {
  if (result === undefined) return undefined;
  // Already checked and lower-cased by the verifier (payloadMode).
  if (result.version === 4 && result.payload.kind === 'sha256') return result.payload.hex;
  // A declared hash is checked whoever declared it: on a SigV4 request it is signed, on others it is still a promise about the data.
  const declared = headerValue(req, 'x-amz-content-sha256');
  return declared !== undefined && HEX_SHA256.test(declared) ? declared.toLowerCase() : undefined;
}

/**
 * The body to hand to a handler. `result` is the sigv4 verification result,
 * undefined in simple mode (which checks nothing, as before).
 * `sha256CheckedByConsumer`: the caller hashes the body anyway and checks
 * declaredBodySha256 itself before it keeps anything (PutObject and UploadPart
 * stage bodies through one hashing pass, body-checksum.ts), so no separate
 * checking stage is put in front of it.
 */
export function verifiedBody(
  req: IncomingMessage, result: AuthResult | undefined, framing: BodyFraming, options: { sha256CheckedByConsumer?: boolean } = {},
): Readable {
  if (!framing.awsChunked) {
    if (options.sha256CheckedByConsumer === true) return req;
    const declared = declaredBodySha256(req, result);
    return declared !== undefined ? piped(req, new Sha256Verifier(declared)) : req;
  }
  let hooks: ReturnType<ChunkSignatureVerifier['decoderHooks']> = {};
  if (result?.version === 4 && result.payload.kind === 'streaming' && result.payload.signedChunks) {
    hooks = new ChunkSignatureVerifier(result.signing, { trailer: result.payload.trailer }).decoderHooks();
  }
  // The decoder itself is returned: checksum handling reads the verified trailer checksum from it.
  return piped(req, new AwsChunkedDecoder({ decodedLength: framing.decodedLength, trailer: framing.trailer, ...hooks }));
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
