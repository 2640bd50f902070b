// SigV4 header authentication: AWS's published examples as known answers,
// then requests signed by the real @aws-sdk/client-s3 (captured off the wire
// by a local server) verified as sent and refused once tampered with.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectsCommand, GetObjectAclCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { AwsChunkedDecoder } from '../s3/body/aws-chunked.ts';
import { Sha256Verifier, verifySigV4Header, type SignedRequest } from './sigv4.ts';
import {
  ACCESS_KEY, lookupSecret, rejectsWith, sdkClient, SECRET_KEY, startCapture, takeLast, withHeaders,
  type Captured, type CaptureServer,
} from './test-support.ts';
import { verifyRequest } from './verify.ts';

const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const exampleLookup = async (ak: string): Promise<string | undefined> => (ak === 'AKIAIOSFODNN7EXAMPLE' ? EXAMPLE_SECRET : undefined);
const EXAMPLE_NOW = new Date('2013-05-24T00:00:00Z');
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function exampleRequest(method: string, rawPath: string, rawQuery: string, headers: Record<string, string>, signedHeaders: string, signature: string): SignedRequest {
  return {
    method, rawPath, rawQuery,
    headers: {
      ...headers,
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`,
    },
  };
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Examples".
describe('SigV4 header auth: AWS documentation examples', () => {
  const options = { lookupSecret: exampleLookup, now: EXAMPLE_NOW, region: 'us-east-1' };
  const base = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-content-sha256': EMPTY };

  it('GET Object with Range, virtual-hosted', async () => {
    const req = exampleRequest('GET', '/test.txt', '', { ...base, range: 'bytes=0-9' }, 'host;range;x-amz-content-sha256;x-amz-date',
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    const result = await verifySigV4Header(req, options);
    assert.equal(result.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
    assert.deepEqual(result.payload, { kind: 'sha256', hex: EMPTY });
    assert.equal(result.signing.scope, '20130524/us-east-1/s3/aws4_request');
  });

  it('PUT Object whose key has a $ sent unencoded, signed as %24, with Date signed too', async () => {
    const req = exampleRequest('PUT', '/test$file.text', '', {
      ...base, date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    }, 'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class', '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
    const result = await verifySigV4Header(req, options);
    assert.deepEqual(result.payload, { kind: 'sha256', hex: '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072' });
    // The body is only authenticated once it hashes to the signed value.
    await pipeline(Readable.from([Buffer.from('Welcome to Amazon S3.')]), new Sha256Verifier(result.payload.kind === 'sha256' ? result.payload.hex : ''), async (s) => {
      for await (const _ of s) { /* drain */ }
    });
  });

  it('GET ?lifecycle: a valueless parameter is signed as lifecycle=', async () => {
    await verifySigV4Header(exampleRequest('GET', '/', 'lifecycle', base, 'host;x-amz-content-sha256;x-amz-date',
      'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'), options);
  });

  it('GET ?max-keys=2&prefix=J', async () => {
    const req = exampleRequest('GET', '/', 'max-keys=2&prefix=J', base, 'host;x-amz-content-sha256;x-amz-date',
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
    await verifySigV4Header(req, options);
    // Parameter order on the wire does not matter: the canonical query is sorted.
    await verifySigV4Header({ ...req, rawQuery: 'prefix=J&max-keys=2' }, options);
    const err = await rejectsWith(verifySigV4Header({ ...req, rawQuery: 'max-keys=2&prefix=K' }, options), 'SignatureDoesNotMatch');
    assert.equal(err.fields.CanonicalRequest.split('\n')[2], 'max-keys=2&prefix=K');
  });
});

describe('SigV4 header auth: requests signed by @aws-sdk/client-s3', () => {
  let capture: CaptureServer;
  let client: S3Client;
  let virtualHosted: S3Client;
  const options = (): { lookupSecret: typeof lookupSecret; now: Date; region: string } => ({ lookupSecret, now: new Date(), region: 'us-east-1' });
  const keys = ['a b.txt', 'ünïcødé/日本語.txt', 'plus+sign', 'per%cent', 'tilde~x', "odd !'()*$&=,;:@[]^`{}|.txt", 'dir//double/../x', 'end/'];

  before(async () => {
    capture = await startCapture();
    client = sdkClient(capture);
    virtualHosted = sdkClient(capture, { virtualHosted: true });
  });
  after(async () => {
    client.destroy();
    virtualHosted.destroy();
    await capture.close();
  });

  async function sent(response: Promise<unknown>): Promise<Captured> {
    await response.catch(() => undefined);
    return takeLast(capture);
  }

  for (const key of keys) {
    it(`PutObject with key ${JSON.stringify(key)} verifies, body included`, async () => {
      const req = await sent(client.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: 'hello', Metadata: { color: 'blue' }, ContentType: 'text/plain' })));
      const result = await verifyRequest(req, options());
      assert.equal(result.version, 4);
      if (result.version !== 4) return;
      assert.equal(result.accessKeyId, ACCESS_KEY);
      assert.equal(result.presigned, false);
      assert.deepEqual(result.payload, { kind: 'sha256', hex: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });
      // The same request to another key does not verify.
      await rejectsWith(verifyRequest({ ...req, rawPath: `${req.rawPath}x` }, options()), 'SignatureDoesNotMatch');
    });
  }

  it('query parameters with spaces, unicode, +, %, ~ and empty values', async () => {
    const req = await sent(client.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'a b+c%d~é/', Delimiter: '/', StartAfter: '', MaxKeys: 5 })));
    assert.match(req.rawQuery, /prefix=a%20b%2Bc%25d~%C3%A9%2F/);
    await verifyRequest(req, options());
    await rejectsWith(verifyRequest({ ...req, rawQuery: req.rawQuery.replace('max-keys=5', 'max-keys=6') }, options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest({ ...req, rawQuery: `${req.rawQuery}&delimiter=x` }, options()), 'SignatureDoesNotMatch');
  });

  it('GET with Range, response-* overrides and versionId; DeleteObjects (?delete) and ?acl', async () => {
    const get = await sent(client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k', Range: 'bytes=0-9', ResponseContentType: 'text/plain; charset=utf-8', VersionId: 'v+1/=' })));
    await verifyRequest(get, options());
    await rejectsWith(verifyRequest(withHeaders(get, { range: 'bytes=0-99' }), options()), 'SignatureDoesNotMatch');
    const del = await sent(client.send(new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: 'a' }] } })));
    assert.match(del.rawQuery, /^delete(=|&|$)/);
    await verifyRequest(del, options());
    await verifyRequest(await sent(client.send(new GetObjectAclCommand({ Bucket: 'bkt', Key: 'k' }))), options());
  });

  it('virtual-hosted style: Host bucket.s3.example.com, path /key', async () => {
    const req = await sent(virtualHosted.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'dir/a b', Body: 'x' })));
    assert.equal(req.rawPath, '/dir/a%20b');
    assert.match(String(req.headers.host), /^bkt\.s3\.example\.com:\d+$/);
    await verifyRequest(req, options());
    await rejectsWith(verifyRequest(withHeaders(req, { host: `other.s3.example.com:${capture.port}` }), options()), 'SignatureDoesNotMatch');
  });

  it('an aws-chunked upload (STREAMING-UNSIGNED-PAYLOAD-TRAILER) verifies and decodes', async () => {
    const data = Buffer.alloc(70_000, 'z');
    const req = await sent(client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'stream', Body: Readable.from([data]), ContentLength: data.length })));
    const result = await verifyRequest(req, options());
    assert.ok(result.version === 4);
    assert.deepEqual(result.payload, { kind: 'streaming', signedChunks: false, trailer: true });
    const decoder = new AwsChunkedDecoder({ decodedLength: data.length, trailer: String(req.headers['x-amz-trailer']) });
    const out: Buffer[] = [];
    await pipeline(Readable.from([req.body]), decoder, async (s) => {
      for await (const piece of s) out.push(piece as Buffer);
    });
    assert.deepEqual(Buffer.concat(out), data);
  });

  describe('refusals', () => {
    let put: Captured;
    before(async () => {
      put = await sent(client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'hello', Metadata: { color: 'blue' } })));
    });

    it('a wrong secret: SignatureDoesNotMatch naming the string to sign and canonical request', async () => {
      const err = await rejectsWith(verifyRequest(put, { ...options(), lookupSecret: async () => 'not-the-secret' }), 'SignatureDoesNotMatch');
      assert.equal(err.status, 403);
      assert.equal(err.fields.AWSAccessKeyId, ACCESS_KEY);
      assert.match(err.fields.StringToSign, /^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
      assert.equal(err.fields.SignatureProvided, /Signature=([0-9a-f]{64})/.exec(String(put.headers.authorization))?.[1]);
      assert.ok(err.fields.CanonicalRequest.startsWith('PUT\n/bkt/k\n'), err.fields.CanonicalRequest);
      assert.match(err.fields.StringToSignBytes, /^41 57 53 34/);
      // And a client that signed with a wrong secret.
      const wrong = sdkClient(capture, { secret: `${SECRET_KEY}x` });
      await rejectsWith(verifyRequest(await sent(wrong.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }))), options()), 'SignatureDoesNotMatch');
      wrong.destroy();
    });

    it('a tampered signed header, method or payload hash', async () => {
      await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-meta-color': 'red' }), options()), 'SignatureDoesNotMatch');
      await rejectsWith(verifyRequest({ ...put, method: 'POST' }, options()), 'SignatureDoesNotMatch');
      await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), options()), 'SignatureDoesNotMatch');
    });

    it('a body that does not hash to x-amz-content-sha256: XAmzContentSHA256Mismatch', async () => {
      const result = await verifyRequest(put, options());
      assert.ok(result.version === 4 && result.payload.kind === 'sha256');
      const verifier = new Sha256Verifier(result.payload.hex);
      await assert.rejects(pipeline(Readable.from([Buffer.from('hellO')]), verifier, async (s) => {
        for await (const _ of s) { /* drain */ }
      }), (err: unknown) => err instanceof Error && 'code' in err && err.code === 'XAmzContentSHA256Mismatch');
    });

    it('clock skew beyond 15 minutes: RequestTimeTooSkewed with the times', async () => {
      const signedAt = Date.parse(String(put.headers['x-amz-date']).replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      await verifyRequest(put, { ...options(), now: new Date(signedAt + 14 * 60_000) });
      const err = await rejectsWith(verifyRequest(put, { ...options(), now: new Date(signedAt + 16 * 60_000) }), 'RequestTimeTooSkewed');
      assert.equal(err.status, 403);
      assert.equal(err.fields.RequestTime, put.headers['x-amz-date']);
      assert.equal(err.fields.MaxAllowedSkewMilliseconds, '900000');
      assert.match(err.fields.ServerTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      await rejectsWith(verifyRequest(put, { ...options(), now: new Date(signedAt - 16 * 60_000) }), 'RequestTimeTooSkewed');
    });

    it('an unknown access key: InvalidAccessKeyId', async () => {
      const err = await rejectsWith(verifyRequest(put, { ...options(), lookupSecret: async () => undefined }), 'InvalidAccessKeyId');
      assert.equal(err.status, 403);
      assert.deepEqual(err.fields, { AWSAccessKeyId: ACCESS_KEY });
    });

    it('unsigned x-amz-* or Content-MD5 headers: AccessDenied with HeadersNotSigned', async () => {
      const err = await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-meta-extra': '1', 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==' }), options()), 'AccessDenied');
      assert.equal(err.message, 'There were headers present in the request which were not signed');
      assert.equal(err.fields.HeadersNotSigned, 'content-md5, x-amz-meta-extra');
      // Unsigned non-amz headers are allowed.
      await verifyRequest(withHeaders(put, { 'x-forwarded-for': '10.0.0.1' }), options());
    });

    it('x-amz-content-sha256 missing or invalid', async () => {
      const missing = await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-content-sha256': undefined }), options()), 'InvalidRequest');
      assert.equal(missing.message, 'Missing required header for this request: x-amz-content-sha256');
      const bad = await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-content-sha256': 'abc' }), options()), 'InvalidArgument');
      assert.equal(bad.fields.ArgumentName, 'x-amz-content-sha256');
    });

    it('malformed Authorization headers, wrong region, missing date', async () => {
      const auth = String(put.headers.authorization);
      const noSig = await rejectsWith(verifyRequest(withHeaders(put, { authorization: auth.replace(/, ?Signature=[0-9a-f]+/, '') }), options()), 'AuthorizationHeaderMalformed');
      assert.equal(noSig.status, 400);
      assert.match(noSig.message, /requires three components/);
      await rejectsWith(verifyRequest(withHeaders(put, { authorization: auth.replace('/s3/', '/ec2/') }), options()), 'AuthorizationHeaderMalformed');
      await rejectsWith(verifyRequest(withHeaders(put, { authorization: auth.replace(/Credential=[^/]+\//, 'Credential=') }), options()), 'AuthorizationHeaderMalformed');
      const region = await rejectsWith(verifyRequest(put, { ...options(), region: 'eu-west-1' }), 'AuthorizationHeaderMalformed');
      assert.equal(region.message, "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'");
      assert.deepEqual(region.fields, { Region: 'eu-west-1' });
      const date = String(put.headers['x-amz-date']);
      const dayBefore = auth.replace(`/${date.slice(0, 8)}/`, '/20000101/');
      await rejectsWith(verifyRequest(withHeaders(put, { authorization: dayBefore }), options()), 'AuthorizationHeaderMalformed');
      const noDate = await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-date': undefined }), options()), 'AccessDenied');
      assert.equal(noDate.message, 'AWS authentication requires a valid Date or x-amz-date header');
      await rejectsWith(verifyRequest(withHeaders(put, { authorization: 'Bearer abc' }), options()), 'InvalidArgument');
      await rejectsWith(verifyRequest({ ...put, rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256' }, options()), 'InvalidArgument');
    });

    it('a request with no credential is anonymous', async () => {
      const anonymous = withHeaders(put, { authorization: undefined });
      assert.deepEqual(await verifyRequest(anonymous, options()), { version: 'none' });
    });
  });
});
