// What GetObject and HeadObject serve of an object: byte ranges (RFC 9110 and
// S3's rules for ignored and unsatisfiable ones), single parts of multipart
// objects (partNumber), and the response-* header overrides.
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const B = 'ranges';
const DIGITS = '0123456789';

describe('ranges, parts and response overrides', () => {
  let s: TestServer;
  let c: S3Client;
  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'digits', Body: DIGITS }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'empty', Body: '' }));
  });
  after(async () => { await s.stop(); });

  describe('Range on GetObject', () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=2-4', '234', 'bytes 2-4/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=0-0', '0', 'bytes 0-0/10'],
      ['bytes=9-9', '9', 'bytes 9-9/10'],
      ['bytes=5-100', '56789', 'bytes 5-9/10'], // a last byte past the end is clamped
      ['bytes=-100', DIGITS, 'bytes 0-9/10'], // a suffix longer than the object is all of it
      ['Bytes=1-2', '12', 'bytes 1-2/10'], // the unit is case-insensitive
    ];
    for (const [range, body, contentRange] of cases) {
      it(`serves ${range} as 206 ${contentRange}`, async () => {
        const res = await c.send(new GetObjectCommand({ Bucket: B, Key: 'digits', Range: range }));
        assert.equal(res.$metadata.httpStatusCode, 206);
        assert.equal(await res.Body!.transformToString(), body);
        assert.equal(res.ContentRange, contentRange);
        assert.equal(res.ContentLength, body.length);
        assert.equal(res.AcceptRanges, 'bytes');
      });
    }

    for (const range of ['bytes=0-1,3-4', 'bytes=5-2', 'items=0-1', 'bytes=x-y', 'bytes=-']) {
      it(`ignores "${range}" and serves the whole object with 200`, async () => {
        const res = await raw(s.url, 'GET', `/${B}/digits`, { headers: { Range: range } });
        assert.equal(res.status, 200);
        assert.equal(res.text, DIGITS);
        assert.equal(res.headers['content-range'], undefined);
        assert.equal(res.headers['content-length'], '10');
      });
    }

    it('answers 416 InvalidRange with Content-Range bytes */size and the range in the error', async () => {
      const err = await s3Error(c.send(new GetObjectCommand({ Bucket: B, Key: 'digits', Range: 'bytes=10-' })));
      assert.equal(err.name, 'InvalidRange');
      assert.equal(err.$metadata.httpStatusCode, 416);
      const res = await raw(s.url, 'GET', `/${B}/digits`, { headers: { Range: 'bytes=10-20' } });
      assert.equal(res.status, 416);
      assert.equal(res.headers['content-range'], 'bytes */10');
      assert.equal(xmlText(res.text, 'Code'), 'InvalidRange');
      assert.equal(xmlText(res.text, 'RangeRequested'), 'bytes=10-20');
      assert.equal(xmlText(res.text, 'ActualObjectSize'), '10');
    });

    it('answers 416 to a zero-length suffix and to any range of an empty object', async () => {
      assert.equal((await raw(s.url, 'GET', `/${B}/digits`, { headers: { Range: 'bytes=-0' } })).status, 416);
      for (const range of ['bytes=0-', 'bytes=0-0', 'bytes=-5']) {
        const res = await raw(s.url, 'GET', `/${B}/empty`, { headers: { Range: range } });
        assert.equal(res.status, 416, range);
        assert.equal(res.headers['content-range'], 'bytes */0');
      }
    });

    it('reads a range near the end of a large sparse object without reading what comes before', async () => {
      // 5 GiB (offsets past 2^32), almost all holes; distinctive bytes at a few offsets.
      const size = 5 * 1024 ** 3;
      const fh = await open(`${s.dataDir}/${B}/sparse.bin`, 'w');
      await fh.truncate(size);
      await fh.write(Buffer.from('THE-END!'), 0, 8, size - 8);
      await fh.write(Buffer.from('middle'), 0, 6, 2 ** 32 + 10);
      await fh.close();
      const tail = await c.send(new GetObjectCommand({ Bucket: B, Key: 'sparse.bin', Range: 'bytes=-8' }));
      assert.equal(tail.$metadata.httpStatusCode, 206);
      assert.equal(tail.ContentRange, `bytes ${size - 8}-${size - 1}/${size}`);
      assert.equal(await tail.Body!.transformToString(), 'THE-END!');
      const mid = await c.send(new GetObjectCommand({ Bucket: B, Key: 'sparse.bin', Range: `bytes=${2 ** 32 + 8}-${2 ** 32 + 17}` }));
      assert.deepEqual(Buffer.from(await mid.Body!.transformToByteArray()), Buffer.from('\0\0middle\0\0', 'latin1'));
      const open2 = await c.send(new GetObjectCommand({ Bucket: B, Key: 'sparse.bin', Range: `bytes=${size - 3}-` }));
      assert.equal(await open2.Body!.transformToString(), 'ND!');
    });
  });

  describe('Range on HeadObject', () => {
    it('answers 206 with the range\'s length and Content-Range, and no body', async () => {
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'digits', Range: 'bytes=3-5' }));
      assert.equal(head.$metadata.httpStatusCode, 206);
      assert.equal(head.ContentLength, 3);
      assert.equal(head.ContentRange, 'bytes 3-5/10');
      const res = await raw(s.url, 'HEAD', `/${B}/digits`, { headers: { Range: 'bytes=-4' } });
      assert.equal(res.status, 206);
      assert.equal(res.headers['content-range'], 'bytes 6-9/10');
      assert.equal(res.headers['content-length'], '4');
      assert.equal(res.body.length, 0);
    });

    it('answers 416 with Content-Range and no body to an unsatisfiable range', async () => {
      const err = await s3Error(c.send(new HeadObjectCommand({ Bucket: B, Key: 'digits', Range: 'bytes=50-60' })));
      assert.equal(err.$metadata.httpStatusCode, 416);
      const res = await raw(s.url, 'HEAD', `/${B}/digits`, { headers: { Range: 'bytes=50-60' } });
      assert.equal(res.status, 416);
      assert.equal(res.headers['content-range'], 'bytes */10');
      assert.equal(res.body.length, 0);
    });

    it('ignores a range it cannot parse', async () => {
      const res = await raw(s.url, 'HEAD', `/${B}/digits`, { headers: { Range: 'bytes=0-1,4-5' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-length'], '10');
    });
  });

  describe('partNumber', () => {
    const parts = ['aaaaa', 'bbb', 'ccccccc'];
    before(async () => {
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp' }));
      const done = [];
      for (const [i, body] of parts.entries()) {
        const { ETag } = await c.send(new UploadPartCommand({ Bucket: B, Key: 'mp', UploadId, PartNumber: i + 1, Body: body }));
        done.push({ PartNumber: i + 1, ETag });
      }
      await c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp', UploadId, MultipartUpload: { Parts: done } }));
    });

    it('GET serves one part of a multipart object as a 206 with x-amz-mp-parts-count', async () => {
      const expected = [['aaaaa', 'bytes 0-4/15'], ['bbb', 'bytes 5-7/15'], ['ccccccc', 'bytes 8-14/15']];
      for (const [i, [body, contentRange]] of expected.entries()) {
        const res = await c.send(new GetObjectCommand({ Bucket: B, Key: 'mp', PartNumber: i + 1 }));
        assert.equal(res.$metadata.httpStatusCode, 206);
        assert.equal(await res.Body!.transformToString(), body);
        assert.equal(res.ContentRange, contentRange);
        assert.equal(res.ContentLength, body.length);
        assert.equal(res.PartsCount, 3);
        assert.match(res.ETag ?? '', /^"[0-9a-f]{32}-3"$/);
      }
    });

    it('HEAD describes one part: its length, Content-Range and the parts count', async () => {
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'mp', PartNumber: 2 }));
      assert.equal(head.$metadata.httpStatusCode, 206);
      assert.equal(head.ContentLength, 3);
      assert.equal(head.ContentRange, 'bytes 5-7/15');
      assert.equal(head.PartsCount, 3);
      const whole = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'mp' }));
      assert.equal(whole.PartsCount, undefined, 'the count is only sent when a part is asked for');
    });

    it('answers 416 InvalidPartNumber past the last part, with the count', async () => {
      const err = await s3Error(c.send(new GetObjectCommand({ Bucket: B, Key: 'mp', PartNumber: 4 })));
      assert.equal(err.name, 'InvalidPartNumber');
      assert.equal(err.$metadata.httpStatusCode, 416);
      const res = await raw(s.url, 'GET', `/${B}/mp?partNumber=9`);
      assert.equal(res.status, 416);
      assert.equal(xmlText(res.text, 'Message'), 'The requested partnumber is not satisfiable');
      assert.equal(xmlText(res.text, 'PartNumberRequested'), '9');
      assert.equal(xmlText(res.text, 'ActualPartCount'), '3');
      assert.equal((await raw(s.url, 'HEAD', `/${B}/mp?partNumber=4`)).status, 416);
    });

    it('serves partNumber=1 of a one-piece object as all of it (206, no parts count) and refuses 2', async () => {
      const res = await c.send(new GetObjectCommand({ Bucket: B, Key: 'digits', PartNumber: 1 }));
      assert.equal(res.$metadata.httpStatusCode, 206);
      assert.equal(await res.Body!.transformToString(), DIGITS);
      assert.equal(res.ContentRange, 'bytes 0-9/10');
      assert.equal(res.PartsCount, undefined);
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'digits', PartNumber: 1 }));
      assert.equal(head.$metadata.httpStatusCode, 206);
      assert.equal(head.ContentLength, 10);
      const err = await s3Error(c.send(new GetObjectCommand({ Bucket: B, Key: 'digits', PartNumber: 2 })));
      assert.equal(err.name, 'InvalidPartNumber');
      assert.equal(err.$metadata.httpStatusCode, 416);
    });

    it('refuses a part number outside 1..10000 with InvalidArgument', async () => {
      for (const n of ['0', '10001', 'abc', '-1', '']) {
        const res = await raw(s.url, 'GET', `/${B}/mp?partNumber=${n}`);
        assert.equal(res.status, 400, n);
        assert.equal(xmlText(res.text, 'Code'), 'InvalidArgument', n);
      }
      assert.equal((await raw(s.url, 'HEAD', `/${B}/mp?partNumber=0`)).status, 400);
    });

    it('refuses Range together with partNumber with InvalidRequest', async () => {
      const err = await s3Error(c.send(new GetObjectCommand({ Bucket: B, Key: 'mp', PartNumber: 1, Range: 'bytes=0-1' })));
      assert.equal(err.name, 'InvalidRequest');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.message, 'Cannot specify both Range header and partNumber query parameter');
      assert.equal((await raw(s.url, 'HEAD', `/${B}/mp?partNumber=1`, { headers: { Range: 'bytes=0-1' } })).status, 400);
    });
  });

  describe('response-* overrides', () => {
    before(async () => {
      await c.send(new PutObjectCommand({
        Bucket: B, Key: 'styled', Body: 'styled', ContentType: 'text/plain', ContentLanguage: 'fr',
        CacheControl: 'no-cache', ContentDisposition: 'inline', ContentEncoding: 'identity',
      }));
    });

    const overrides = {
      ResponseContentType: 'application/json',
      ResponseContentLanguage: 'de-DE',
      ResponseExpires: new Date('2031-01-02T03:04:05Z'),
      ResponseCacheControl: 'max-age=60',
      ResponseContentDisposition: 'attachment; filename="x.json"',
      ResponseContentEncoding: 'gzip',
    };

    it('GET answers with the overridden headers', async () => {
      const res = await c.send(new GetObjectCommand({ Bucket: B, Key: 'styled', ...overrides }));
      assert.equal(await res.Body!.transformToString(), 'styled');
      assert.equal(res.ContentType, 'application/json');
      assert.equal(res.ContentLanguage, 'de-DE');
      assert.equal(res.ExpiresString, 'Thu, 02 Jan 2031 03:04:05 GMT');
      assert.equal(res.CacheControl, 'max-age=60');
      assert.equal(res.ContentDisposition, 'attachment; filename="x.json"');
      assert.equal(res.ContentEncoding, 'gzip');
    });

    it('HEAD answers with the overridden headers too', async () => {
      const res = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'styled', ...overrides }));
      assert.equal(res.ContentType, 'application/json');
      assert.equal(res.ContentLanguage, 'de-DE');
      assert.equal(res.CacheControl, 'max-age=60');
      assert.equal(res.ContentDisposition, 'attachment; filename="x.json"');
      assert.equal(res.ContentEncoding, 'gzip');
    });

    it('replaces the stored header (one value on the wire) and leaves the object unchanged', async () => {
      const res = await raw(s.url, 'GET', `/${B}/styled?response-content-language=es&response-cache-control=private`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-language'], 'es');
      assert.equal(res.headers['cache-control'], 'private');
      assert.equal(res.headers['content-type'], 'text/plain');
      const plain = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'styled' }));
      assert.equal(plain.ContentLanguage, 'fr');
      assert.equal(plain.CacheControl, 'no-cache');
    });

    it('sends a non-ASCII value as its UTF-8 bytes, and applies to ranged reads', async () => {
      for (const disposition of ['attachment; filename="résumé.txt"', 'attachment; filename="中文.txt"']) {
        const res = await raw(s.url, 'GET', `/${B}/styled?response-content-disposition=${encodeURIComponent(disposition)}`, { headers: { Range: 'bytes=0-1' } });
        assert.equal(res.status, 206);
        assert.equal(res.text, 'st');
        // Node reads header bytes as latin1: undo that to see the bytes that were sent.
        assert.equal(Buffer.from(String(res.headers['content-disposition']), 'latin1').toString('utf8'), disposition);
      }
    });

    it('refuses a value with a control character', async () => {
      const res = await raw(s.url, 'GET', `/${B}/styled?response-content-type=${encodeURIComponent('text/plain\r\nX-Evil: 1')}`);
      assert.equal(res.status, 400);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidArgument');
      assert.equal(xmlText(res.text, 'ArgumentName'), 'response-content-type');
      assert.equal(res.headers['x-evil'], undefined);
    });
  });
});
