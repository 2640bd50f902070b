// sigv4 mode refusing what S3 refuses, against the running server: requests
// signed by @smithy/signature-v4 and then tampered with (a header, the body
// under a signed SHA-256, a chunk of a signed aws-chunked body, its final
// chunk or trailer), signed with a skewed clock, for another region, or with
// unsigned aws-chunked framing. Every refused write must leave nothing stored.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ROOT, chunkedBody, sendUpload, sha256Hex, signedHeaders, signedRaw, signedStreamingUpload, startSigv4Server,
} from './auth-helpers.ts';
import { raw, xmlText, type RawResponse, type TestServer } from './harness.ts';

function code(res: RawResponse): string | undefined {
  return xmlText(res.text, 'Code');
}

describe('sigv4 mode refuses tampered and malformed requests', () => {
  let s: TestServer;
  const data = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
  before(async () => {
    s = await startSigv4Server();
    assert.equal((await signedRaw(s.url, ROOT, 'PUT', '/neg')).status, 200);
  });
  after(async () => { await s.stop(); });

  /** Status and body of the object as root sees it. */
  const stored = async (key: string): Promise<{ status: number; body: Buffer }> => {
    const res = await signedRaw(s.url, ROOT, 'GET', `/neg/${key}`);
    return { status: res.status, body: res.body };
  };

  it('a signed request goes through; a tampered header is SignatureDoesNotMatch with the string to sign', async () => {
    const body = Buffer.from('original');
    const ok = await signedRaw(s.url, ROOT, 'PUT', '/neg/header.txt', { body, headers: { 'x-amz-meta-color': 'blue' } });
    assert.equal(ok.status, 200, ok.text);
    const headers = await signedHeaders(s.url, ROOT, 'PUT', '/neg/header.txt', { body, headers: { 'x-amz-meta-color': 'blue' } });
    const res = await raw(s.url, 'PUT', '/neg/header.txt', { headers: { ...headers, 'x-amz-meta-color': 'red' }, body });
    assert.equal(res.status, 403);
    assert.equal(code(res), 'SignatureDoesNotMatch');
    assert.match((xmlText(res.text, 'StringToSign') ?? '').replaceAll('&#10;', '\n'), /^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
    assert.equal(xmlText(res.text, 'AWSAccessKeyId'), ROOT.accessKeyId);
    const unsigned = await raw(s.url, 'PUT', '/neg/header.txt', { headers: { ...headers, 'x-amz-meta-extra': 'sneaked in' }, body });
    assert.equal(unsigned.status, 403);
    assert.equal(code(unsigned), 'AccessDenied');
    assert.equal(xmlText(unsigned.text, 'HeadersNotSigned'), 'x-amz-meta-extra');
  });

  it('a tampered body under a signed SHA-256 is XAmzContentSHA256Mismatch and is not stored', async () => {
    const body = Buffer.from('the body that was signed');
    const headers = await signedHeaders(s.url, ROOT, 'PUT', '/neg/body.txt', { body });
    const tampered = Buffer.from('the body that was SIGNED');
    const res = await raw(s.url, 'PUT', '/neg/body.txt', { headers, body: tampered });
    assert.equal(res.status, 400);
    assert.equal(code(res), 'XAmzContentSHA256Mismatch');
    assert.equal(xmlText(res.text, 'ClientComputedContentSHA256'), sha256Hex(body));
    assert.equal(xmlText(res.text, 'S3ComputedContentSHA256'), sha256Hex(tampered));
    assert.equal((await stored('body.txt')).status, 404);
    // The same request with the body it signed is stored.
    assert.equal((await raw(s.url, 'PUT', '/neg/body.txt', { headers, body })).status, 200);
    assert.equal((await stored('body.txt')).body.toString(), 'the body that was signed');
  });

  it('every body-carrying operation checks the signed SHA-256: overwrite, part, directory marker, XML bodies', async () => {
    /** Signs `signed` for the request, then sends `sent` instead. */
    const tamper = async (method: string, path: string, signed: Buffer, sent: Buffer, headers: Record<string, string> = {}): Promise<RawResponse> => {
      const h = await signedHeaders(s.url, ROOT, method, path, { body: signed, headers });
      return raw(s.url, method, path, { headers: h, body: sent });
    };
    const mismatch = (res: RawResponse, what: string): void => {
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal(code(res), 'XAmzContentSHA256Mismatch', what);
    };
    // An overwrite with a tampered body leaves the old object in place.
    assert.equal((await signedRaw(s.url, ROOT, 'PUT', '/neg/kept.txt', { body: Buffer.from('old') })).status, 200);
    mismatch(await tamper('PUT', '/neg/kept.txt', Buffer.from('new'), Buffer.from('NEW')), 'overwrite');
    assert.equal((await stored('kept.txt')).body.toString(), 'old');
    // A directory marker must be empty and still hash to what was signed.
    const marker = await signedHeaders(s.url, ROOT, 'PUT', '/neg/dir/', { body: Buffer.alloc(0), payload: sha256Hex('x') });
    mismatch(await raw(s.url, 'PUT', '/neg/dir/', { headers: marker, body: Buffer.alloc(0) }), 'directory marker');
    assert.equal((await stored('dir/')).status, 404);
    // A part with a tampered body is not recorded.
    const created = await signedRaw(s.url, ROOT, 'POST', '/neg/parts.bin?uploads');
    const uploadId = xmlText(created.text, 'UploadId') ?? '';
    mismatch(await tamper('PUT', `/neg/parts.bin?partNumber=1&uploadId=${uploadId}`, data, Buffer.from(data).fill(1, 0, 1)), 'UploadPart');
    const parts = await signedRaw(s.url, ROOT, 'GET', `/neg/parts.bin?uploadId=${uploadId}`);
    assert.equal(parts.status, 200, parts.text);
    assert.equal(xmlText(parts.text, 'PartNumber'), undefined, 'no part recorded');
    // XML bodies: DeleteObjects (read whole, then checked) and a tagging document (checked as it streams).
    const del = Buffer.from('<Delete><Object><Key>kept.txt</Key></Object></Delete>');
    const md5 = { 'content-md5': createHash('md5').update(del).digest('base64') };
    mismatch(await tamper('POST', '/neg?delete', del, Buffer.from(del.toString().replace('kept', 'KEPT')), md5), 'DeleteObjects');
    assert.equal((await stored('kept.txt')).status, 200);
    const tags = Buffer.from('<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>');
    mismatch(await tamper('PUT', '/neg/kept.txt?tagging', tags, Buffer.from(tags.toString().replace('1', '2'))), 'PutObjectTagging');
  });

  it('a skewed clock is RequestTimeTooSkewed; a date outside the credential scope or another region is AuthorizationHeaderMalformed', async () => {
    const skewed = await signedRaw(s.url, ROOT, 'GET', '/neg', { signingDate: new Date(Date.now() - 20 * 60_000) });
    assert.equal(skewed.status, 403);
    assert.equal(code(skewed), 'RequestTimeTooSkewed');
    assert.equal(xmlText(skewed.text, 'MaxAllowedSkewMilliseconds'), '900000');
    const region = await signedRaw(s.url, ROOT, 'GET', '/neg', { region: 'eu-west-1' });
    assert.equal(region.status, 400);
    assert.equal(code(region), 'AuthorizationHeaderMalformed');
    const headers = await signedHeaders(s.url, ROOT, 'GET', '/neg');
    delete headers['x-amz-content-sha256'];
    const noSha = await raw(s.url, 'GET', '/neg', { headers });
    assert.equal(noSha.status, 400);
    assert.equal(code(noSha), 'InvalidRequest');
  });

  it('aws-chunked framing without a STREAMING payload mode is refused before the body is read', async () => {
    const body = Buffer.from(`5\r\nhello\r\n0\r\n\r\n`);
    const res = await signedRaw(s.url, ROOT, 'PUT', '/neg/framed.txt', {
      body, payload: 'UNSIGNED-PAYLOAD', headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5' },
    });
    assert.equal(res.status, 400);
    assert.equal(code(res), 'InvalidRequest');
    assert.equal((await stored('framed.txt')).status, 404);
    // Signed chunks on an anonymous request: nothing to chain them from.
    const anon = await raw(s.url, 'PUT', '/neg/framed.txt', {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5' }, body,
    });
    assert.equal(anon.status, 400);
    assert.equal(code(anon), 'InvalidRequest');
  });

  for (const trailer of [false, true]) {
    const mode = trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
    describe(mode, () => {
      const key = trailer ? 'chunked-trailer.bin' : 'chunked.bin';
      const path = `/neg/${key}`;

      it('an intact signed upload is stored', async () => {
        const up = await signedStreamingUpload(s.url, ROOT, path, data, 16_384, trailer);
        const res = await sendUpload(s.url, path, up, chunkedBody(up.chunks, up.final, up.tail));
        assert.equal(res.status, 200, res.text);
        assert.deepEqual((await stored(key)).body, data);
      });

      it('a tampered, replayed, dropped or missing final chunk is refused and the object keeps its bytes', async () => {
        const up = await signedStreamingUpload(s.url, ROOT, path, Buffer.alloc(data.length, 'x'), 16_384, trailer);
        const changed = Buffer.from(up.chunks[1][0]);
        changed[3] ^= 0x40;
        const cases: Array<[string, Buffer, string]> = [
          ['tampered', chunkedBody([up.chunks[0], [changed, up.chunks[1][1]], up.chunks[2]], up.final, up.tail), 'SignatureDoesNotMatch'],
          ['replayed', chunkedBody([up.chunks[0], up.chunks[0], up.chunks[1], up.chunks[2]], up.final, up.tail), 'SignatureDoesNotMatch'],
          ['dropped', chunkedBody([up.chunks[0], up.chunks[2]], up.final, up.tail), 'SignatureDoesNotMatch'],
          ['no final chunk', chunkedBody(up.chunks, undefined, ''), 'IncompleteBody'],
          ['unsigned final chunk', Buffer.concat([chunkedBody(up.chunks, undefined, ''), Buffer.from(`0\r\n${up.tail}`)]), 'IncompleteBody'],
        ];
        for (const [what, body, expected] of cases) {
          const res = await sendUpload(s.url, path, up, body);
          assert.equal(code(res), expected, `${what}: ${res.text}`);
          assert.deepEqual((await stored(key)).body, data, `${what}: the earlier object is intact`);
        }
      });

      if (trailer) {
        it('a tampered trailer checksum or trailer signature, or none, is refused', async () => {
          const up = await signedStreamingUpload(s.url, ROOT, path, Buffer.alloc(data.length, 'y'), 16_384, true);
          const value = /x-amz-checksum-crc32:([^\r]+)/.exec(up.tail)?.[1] ?? '';
          const cases: Array<[string, string, string]> = [
            ['tampered checksum', up.tail.replace(value, 'AAAAAA=='), 'SignatureDoesNotMatch'],
            ['forged signature', up.tail.replace(/signature:([0-9a-f])/, (_, c: string) => `signature:${c === '0' ? '1' : '0'}`), 'SignatureDoesNotMatch'],
            ['unsigned trailer', up.tail.replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, ''), 'MalformedTrailerError'],
          ];
          for (const [what, tail, expected] of cases) {
            const res = await sendUpload(s.url, path, up, chunkedBody(up.chunks, up.final, tail));
            assert.equal(code(res), expected, `${what}: ${res.text}`);
            assert.deepEqual((await stored(key)).body, data, `${what}: the earlier object is intact`);
          }
        });
      }
    });
  }

  it('SigV4 presigned and header credentials together are refused', async () => {
    const headers = await signedHeaders(s.url, ROOT, 'GET', '/neg');
    const res = await raw(s.url, 'GET', '/neg?X-Amz-Algorithm=AWS4-HMAC-SHA256', { headers });
    assert.equal(res.status, 400);
    assert.equal(code(res), 'InvalidArgument');
  });
});
