// Signed aws-chunked bodies: AWS's published chunk and trailer examples as
// known answers, then bodies whose seed is signed by @smithy/signature-v4 and
// whose chunks are signed with its chained-signature signer (signEvent, the
// same "AWS4-HMAC-SHA256-PAYLOAD" string to sign), decoded by
// AwsChunkedDecoder with ChunkSignatureVerifier attached, intact and tampered.
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsChunkedDecoder } from '../s3/body/aws-chunked.ts';
import { S3Error, type S3ErrorCode } from '../s3/errors.ts';
import { createChecksum } from '../util/checksums.ts';
import { sha256Hex } from './aws-encoding.ts';
import { ChunkSignatureVerifier } from './chunk-signature.ts';
import { verifySigV4Header, type SignedRequest, type SigningContext } from './sigv4.ts';
import { ACCESS_KEY, lookupSecret, NodeSha256, SECRET_KEY } from './test-support.ts';

const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const exampleOptions = {
  lookupSecret: async (ak: string) => (ak === 'AKIAIOSFODNN7EXAMPLE' ? EXAMPLE_SECRET : undefined),
  now: new Date('2013-05-24T00:00:00Z'), region: 'us-east-1',
};

/** Decodes `body` fed in pieces of `split` bytes; resolves to the data or rejects with the decoder's error. */
async function decode(body: Buffer, context: SigningContext, opts: { trailer?: string; decodedLength?: number; split?: number }): Promise<Buffer> {
  const verifier = new ChunkSignatureVerifier(context, { trailer: opts.trailer !== undefined });
  const decoder = new AwsChunkedDecoder({ decodedLength: opts.decodedLength, trailer: opts.trailer, ...verifier.decoderHooks() });
  const split = opts.split ?? body.length;
  const pieces: Buffer[] = [];
  for (let at = 0; at < body.length; at += split) pieces.push(body.subarray(at, at + split));
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), decoder, new Writable({
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      cb();
    },
  }));
  return Buffer.concat(out);
}

async function rejectsCode(promise: Promise<unknown>, code: S3ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof S3Error, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

function exampleRequest(trailer: boolean, signature: string): SignedRequest {
  const headers: Record<string, string> = {
    host: 's3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'x-amz-content-sha256': trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '66560', 'content-length': trailer ? '66946' : '66824',
  };
  if (trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32c';
  const signed = trailer
    ? 'content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer'
    : 'content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class';
  headers.authorization = `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${signature}`;
  return { method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '', headers };
}

function frame(pieces: Array<[Buffer, string]>, tail: string): Buffer {
  const parts: Buffer[] = [];
  for (const [data, sig] of pieces) parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from('\r\n'));
  parts.push(Buffer.from(tail));
  return Buffer.concat(parts);
}

describe('chunk signatures: AWS documentation examples', () => {
  const data = Buffer.alloc(66560, 'a');

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD (sigv4-streaming.html)', async () => {
    const result = await verifySigV4Header(exampleRequest(false, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'), exampleOptions);
    assert.deepEqual(result.payload, { kind: 'streaming', signedChunks: true, trailer: false });
    const body = frame([
      [data.subarray(0, 65536), 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'],
      [data.subarray(65536), '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'],
    ], '0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n');
    assert.equal(body.length, 66824);
    for (const split of [1000, 7, body.length]) assert.deepEqual(await decode(body, result.signing, { decodedLength: 66560, split }), data);
    const tampered = Buffer.from(body);
    tampered[70_000 % body.length] ^= 1;
    await rejectsCode(decode(tampered, result.signing, { decodedLength: 66560 }), 'SignatureDoesNotMatch');
  });

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (sigv4-streaming-trailers.html)', async () => {
    const result = await verifySigV4Header(exampleRequest(true, '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e'), exampleOptions);
    assert.deepEqual(result.payload, { kind: 'streaming', signedChunks: true, trailer: true });
    const body = frame([
      [data.subarray(0, 65536), 'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2'],
      [data.subarray(65536), '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7'],
    ], '0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n'
      + 'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n');
    assert.equal(body.length, 66946);
    assert.deepEqual(await decode(body, result.signing, { decodedLength: 66560, trailer: 'x-amz-checksum-crc32c', split: 4096 }), data);
    const badTrailer = Buffer.from(body.toString('latin1').replace('sOO8/Q==', 'sOO8/Q=='.replace('O', 'P')), 'latin1');
    await rejectsCode(decode(badTrailer, result.signing, { decodedLength: 66560, trailer: 'x-amz-checksum-crc32c' }), 'SignatureDoesNotMatch');
  });
});

/** A client-side signer: seed signature over the request headers, then each chunk chained from the previous one. */
async function signedUpload(data: Buffer, chunkSize: number, trailer: boolean): Promise<{ request: SignedRequest; chunks: Array<[Buffer, string]>; final: string; trailerLines: string }> {
  const signer = new SignatureV4({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
  const signingDate = new Date();
  const crc = createChecksum('CRC32');
  crc.update(data);
  const headers: Record<string, string> = {
    host: '127.0.0.1:9000', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length),
    'x-amz-content-sha256': trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  };
  if (trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
  const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', port: 9000, path: '/bkt/chunked%20key', query: {}, headers }, { signingDate });
  const seed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  let prior = seed;
  const chunks: Array<[Buffer, string]> = [];
  for (let at = 0; at < data.length; at += chunkSize) {
    const piece = data.subarray(at, at + chunkSize);
    prior = await signer.sign({ headers: new Uint8Array(0), payload: piece }, { priorSignature: prior, signingDate });
    chunks.push([piece, prior]);
  }
  const final = await signer.sign({ headers: new Uint8Array(0), payload: new Uint8Array(0) }, { priorSignature: prior, signingDate });
  let trailerLines = '\r\n';
  if (trailer) {
    const text = `x-amz-checksum-crc32:${crc.digest()}\n`;
    const amzDate = String(signed.headers['x-amz-date']);
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', amzDate, `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`, final, sha256Hex(text)].join('\n');
    trailerLines = `${text.trimEnd()}\r\nx-amz-trailer-signature:${await signer.sign(toSign, { signingDate })}\r\n\r\n`;
  }
  return { request: { method: 'PUT', rawPath: '/bkt/chunked%20key', rawQuery: '', headers: signed.headers }, chunks, final, trailerLines };
}

for (const trailer of [false, true]) {
  const mode = trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
  describe(`chunk signatures: ${mode} signed by @smithy/signature-v4`, () => {
    const data = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
    const trailerName = trailer ? 'x-amz-checksum-crc32' : undefined;
    const setup = async (): Promise<{ ctx: SigningContext; up: Awaited<ReturnType<typeof signedUpload>> }> => {
      const up = await signedUpload(data, 16_384, trailer);
      const result = await verifySigV4Header(up.request, { lookupSecret, region: 'us-east-1' });
      assert.ok(result.payload.kind === 'streaming' && result.payload.signedChunks && result.payload.trailer === trailer);
      return { ctx: result.signing, up };
    };
    const body = (chunks: Array<[Buffer, string]>, final: string, tail: string): Buffer => frame(chunks, `0;chunk-signature=${final}\r\n${tail}`);

    it('an intact body decodes, however it is split', async () => {
      const { ctx, up } = await setup();
      const whole = body(up.chunks, up.final, up.trailerLines);
      for (const split of [1, 13, 16_384, whole.length]) {
        assert.deepEqual(await decode(whole, ctx, { decodedLength: data.length, trailer: trailerName, split }), data);
      }
    });

    it('a tampered chunk: SignatureDoesNotMatch', async () => {
      const { ctx, up } = await setup();
      const changed = Buffer.from(up.chunks[1][0]);
      changed[5] ^= 0x80;
      const chunks: Array<[Buffer, string]> = [up.chunks[0], [changed, up.chunks[1][1]], up.chunks[2]];
      await rejectsCode(decode(body(chunks, up.final, up.trailerLines), ctx, { decodedLength: data.length, trailer: trailerName }), 'SignatureDoesNotMatch');
    });

    it('a replayed or reordered chunk: SignatureDoesNotMatch', async () => {
      const { ctx, up } = await setup();
      const replayed = [up.chunks[0], up.chunks[0], up.chunks[1], up.chunks[2]];
      await rejectsCode(decode(body(replayed, up.final, up.trailerLines), ctx, { trailer: trailerName }), 'SignatureDoesNotMatch');
      const reordered = [up.chunks[1], up.chunks[0], up.chunks[2]];
      await rejectsCode(decode(body(reordered, up.final, up.trailerLines), ctx, { decodedLength: data.length, trailer: trailerName }), 'SignatureDoesNotMatch');
      const dropped = [up.chunks[0], up.chunks[2]];
      await rejectsCode(decode(body(dropped, up.final, up.trailerLines), ctx, { trailer: trailerName }), 'SignatureDoesNotMatch');
    });

    it('a missing or forged final chunk: IncompleteBody / SignatureDoesNotMatch', async () => {
      const { ctx, up } = await setup();
      await rejectsCode(decode(frame(up.chunks, ''), ctx, { trailer: trailerName }), 'IncompleteBody');
      await rejectsCode(decode(body(up.chunks, up.chunks[2][1], up.trailerLines), ctx, { trailer: trailerName }), 'SignatureDoesNotMatch');
      // Ending after the signed chunks with an unsigned zero chunk is not an end either.
      await rejectsCode(decode(frame(up.chunks, `0\r\n${up.trailerLines}`), ctx, { trailer: trailerName }), 'IncompleteBody');
    });

    it('a body signed for another request (another seed): SignatureDoesNotMatch', async () => {
      const { ctx, up } = await setup();
      const other = await signedUpload(data.subarray(1), 16_384, trailer);
      const otherSeed = /Signature=([0-9a-f]{64})/.exec(String(other.request.headers.authorization))?.[1] ?? '';
      assert.notEqual(otherSeed, ctx.seedSignature);
      await rejectsCode(decode(body(up.chunks, up.final, up.trailerLines), { ...ctx, seedSignature: otherSeed }, { trailer: trailerName }), 'SignatureDoesNotMatch');
    });

    if (trailer) {
      it('a tampered trailer, a forged trailer signature or none at all', async () => {
        const { ctx, up } = await setup();
        const value = /x-amz-checksum-crc32:([^\r]+)/.exec(up.trailerLines)?.[1] ?? '';
        const forgedValue = up.trailerLines.replace(value, 'AAAAAA==');
        await rejectsCode(decode(body(up.chunks, up.final, forgedValue), ctx, { trailer: trailerName }), 'SignatureDoesNotMatch');
        const forgedSig = up.trailerLines.replace(/signature:([0-9a-f])/, (_, c: string) => `signature:${c === '0' ? '1' : '0'}`);
        await rejectsCode(decode(body(up.chunks, up.final, forgedSig), ctx, { trailer: trailerName }), 'SignatureDoesNotMatch');
        const unsigned = up.trailerLines.replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, '');
        await rejectsCode(decode(body(up.chunks, up.final, unsigned), ctx, { trailer: trailerName }), 'MalformedTrailerError');
        // Cut off before the trailer.
        await rejectsCode(decode(body(up.chunks, up.final, ''), ctx, { trailer: trailerName }), 'IncompleteBody');
      });
    }
  });
}
