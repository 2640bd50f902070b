// Presigned URLs (SigV4 query auth) made by the real @aws-sdk/s3-request-presigner
// and fetched through a capture server, AWS's published presign example, and
// header folding / repeated headers signed by @smithy/signature-v4 and sent
// as separate header lines.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4Query } from './sigv4.ts';
import {
  ACCESS_KEY, lookupSecret, NodeSha256, rejectsWith, sdkClient, SECRET_KEY, startCapture, takeLast, withHeaders,
  type Captured, type CaptureServer,
} from './test-support.ts';
import { verifyRequest } from './verify.ts';

const options = (now = new Date()): { lookupSecret: typeof lookupSecret; now: Date; region: string } => ({ lookupSecret, now, region: 'us-east-1' });

function send(url: string, method: string, headers: Record<string, string | string[]>, body?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signedAt(req: Captured): number {
  const amzDate = new URLSearchParams(req.rawQuery).get('X-Amz-Date') ?? '';
  return Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
}

describe('presigned URLs', () => {
  let capture: CaptureServer;
  let client: S3Client;

  before(async () => {
    capture = await startCapture();
    client = sdkClient(capture);
  });
  after(async () => {
    client.destroy();
    await capture.close();
  });

  async function presigned(command: GetObjectCommand | PutObjectCommand, expiresIn: number, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<Captured> {
    const url = await getSignedUrl(client, command, { expiresIn });
    await send(url, method, headers, body);
    return takeLast(capture);
  }

  it('AWS documentation example: GET /test.txt, X-Amz-Expires=86400', async () => {
    const req = {
      method: 'GET', rawPath: '/test.txt', headers: { host: 'examplebucket.s3.amazonaws.com' },
      rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'
        + '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host'
        + '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    };
    const secret = async (ak: string): Promise<string | undefined> => (ak === 'AKIAIOSFODNN7EXAMPLE' ? 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' : undefined);
    const result = await verifySigV4Query(req, { lookupSecret: secret, now: new Date('2013-05-24T12:00:00Z') });
    assert.equal(result.presigned, true);
    assert.deepEqual(result.payload, { kind: 'unsigned' });
    await rejectsWith(verifySigV4Query(req, { lookupSecret: secret, now: new Date('2013-05-25T00:00:01Z') }), 'AccessDenied');
  });

  for (const key of ['a b.txt', 'ünï/日本', 'p+q%r~s', "x!'()*$&=;"]) {
    it(`GET presigned for ${JSON.stringify(key)} verifies; tampering with it does not`, async () => {
      const req = await presigned(new GetObjectCommand({ Bucket: 'bkt', Key: key, ResponseContentDisposition: 'attachment; filename="a b"' }), 600);
      const result = await verifyRequest(req, options());
      assert.ok(result.version === 4);
      assert.equal(result.accessKeyId, ACCESS_KEY);
      assert.equal(result.presigned, true);
      await rejectsWith(verifyRequest({ ...req, rawPath: `${req.rawPath}2` }, options()), 'SignatureDoesNotMatch');
      await rejectsWith(verifyRequest({ ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000') }, options()), 'SignatureDoesNotMatch');
      await rejectsWith(verifyRequest({ ...req, rawQuery: req.rawQuery.replace('attachment', 'inline') }, options()), 'SignatureDoesNotMatch');
    });
  }

  it('PUT presigned with metadata hoisted into the query verifies with the body unsigned', async () => {
    const req = await presigned(new PutObjectCommand({ Bucket: 'bkt', Key: 'up load', Metadata: { who: 'me' } }), 900, 'PUT', {}, 'data');
    const result = await verifyRequest(req, options());
    assert.ok(result.version === 4);
    assert.deepEqual(result.payload, { kind: 'unsigned' });
    await rejectsWith(verifyRequest({ ...req, method: 'DELETE' }, options()), 'SignatureDoesNotMatch');
  });

  it('expiry is enforced: AccessDenied "Request has expired" with the times', async () => {
    const req = await presigned(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }), 600);
    const t = signedAt(req);
    await verifyRequest(req, options(new Date(t + 600_000)));
    const err = await rejectsWith(verifyRequest(req, options(new Date(t + 601_000))), 'AccessDenied');
    assert.equal(err.status, 403);
    assert.equal(err.message, 'Request has expired');
    assert.equal(err.fields['X-Amz-Expires'], '600');
    assert.equal(err.fields.Expires, new Date(t + 600_000).toISOString().replace('.000', ''));
    assert.match(err.fields.ServerTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const early = await rejectsWith(verifyRequest(req, options(new Date(t - 16 * 60_000))), 'AccessDenied');
    assert.equal(early.message, 'Request is not yet valid');
  });

  it('seven days is the longest X-Amz-Expires; longer, negative or missing parameters are refused', async () => {
    const week = await presigned(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }), 604800);
    await verifyRequest(week, options(new Date(signedAt(week) + 604_000_000)));
    const tooLong = await rejectsWith(verifyRequest({ ...week, rawQuery: week.rawQuery.replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801') }, options()),
      'AuthorizationQueryParametersError');
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.message, /less than a week/);
    await rejectsWith(verifyRequest({ ...week, rawQuery: week.rawQuery.replace('X-Amz-Expires=604800', 'X-Amz-Expires=-1') }, options()), 'AuthorizationQueryParametersError');
    await rejectsWith(verifyRequest({ ...week, rawQuery: week.rawQuery.replace(/&X-Amz-Signature=[0-9a-f]+/, '') }, options()), 'AuthorizationQueryParametersError');
    await rejectsWith(verifyRequest({ ...week, rawQuery: week.rawQuery.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512') }, options()), 'AuthorizationQueryParametersError');
    await rejectsWith(verifyRequest(week, { ...options(), lookupSecret: async () => undefined }), 'InvalidAccessKeyId');
    await rejectsWith(verifyRequest(week, { ...options(), lookupSecret: async () => `${SECRET_KEY}!` }), 'SignatureDoesNotMatch');
  });

  it('headers the URL does not sign: x-amz-* refused, x-amz-content-sha256 a mismatch', async () => {
    const req = await presigned(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }), 600);
    const err = await rejectsWith(verifyRequest(withHeaders(req, { 'x-amz-meta-a': '1' }), options()), 'AccessDenied');
    assert.equal(err.fields.HeadersNotSigned, 'x-amz-meta-a');
    await rejectsWith(verifyRequest(withHeaders(req, { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }), options()), 'SignatureDoesNotMatch');
  });
});

describe('canonical headers: folding and repeated headers (signed by @smithy/signature-v4)', () => {
  let capture: CaptureServer;
  before(async () => {
    capture = await startCapture();
  });
  after(async () => {
    await capture.close();
  });

  it('a header sent twice is signed as its values joined with ","; inner space runs fold to one', async () => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false,
    });
    const host = `127.0.0.1:${capture.port}`;
    const signed = await signer.sign({
      method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: capture.port, path: '/bkt/k', query: { tagging: '' },
      headers: { host, 'x-amz-meta-multi': 'one,two', 'x-amz-meta-spaces': 'a    b   c', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const headers: Record<string, string | string[]> = { ...signed.headers, 'x-amz-meta-multi': ['one', 'two'], 'x-amz-meta-spaces': '  a    b   c ' };
    await send(`http://${host}/bkt/k?tagging`, 'GET', headers);
    const req = takeLast(capture);
    assert.deepEqual(req.headersDistinct?.['x-amz-meta-multi'], ['one', 'two']);
    await verifyRequest(req, options());
    // IncomingHttpHeaders alone joins them as "one, two", which is not what was signed.
    await rejectsWith(verifyRequest({ ...req, headersDistinct: undefined }, options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest(withHeaders(req, { 'x-amz-meta-spaces': 'a b  c d' }), options()), 'SignatureDoesNotMatch');
  });
});
