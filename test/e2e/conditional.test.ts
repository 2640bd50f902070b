// Conditional requests: If-Match / If-None-Match / If-Modified-Since /
// If-Unmodified-Since on GetObject and HeadObject (with S3's precedence), and
// the conditional writes of PutObject and CompleteMultipartUpload
// (If-None-Match: * and If-Match), which must hold under concurrency.
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  ListPartsCommand, PutObjectCommand, S3Client, S3ServiceException, UploadPartCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

/** Sends only a request head and returns everything the server answered before closing the connection. */
function headOnly(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.write(head);
  });
}

const B = 'cond';
const HOUR = 3600_000;

describe('conditional requests', () => {
  let s: TestServer;
  let c: S3Client;
  let etag: string; // quoted, as sent
  let lastModified: Date;
  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: B }));
    const put = await c.send(new PutObjectCommand({ Bucket: B, Key: 'doc', Body: 'version one', CacheControl: 'max-age=5' }));
    etag = put.ETag!;
    const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'doc' }));
    lastModified = head.LastModified!;
  });
  after(async () => { await s.stop(); });

  const get = (extra: Record<string, unknown>) => c.send(new GetObjectCommand({ Bucket: B, Key: 'doc', ...extra }));

  describe('reads', () => {
    it('If-Match: serves on a match (quoted, unquoted, in a list, or *), 412 PreconditionFailed otherwise', async () => {
      for (const value of [etag, etag.slice(1, -1), `"nope", ${etag}`, '*']) {
        const res = await get({ IfMatch: value });
        assert.equal(res.$metadata.httpStatusCode, 200, value);
        assert.equal(await res.Body!.transformToString(), 'version one');
      }
      const err = await s3Error(get({ IfMatch: '"0123"' }));
      assert.equal(err.name, 'PreconditionFailed');
      assert.equal(err.$metadata.httpStatusCode, 412);
      const res = await raw(s.url, 'GET', `/${B}/doc`, { headers: { 'If-Match': `W/${etag}` } });
      assert.equal(res.status, 412, 'a weak tag never matches If-Match (strong comparison)');
      assert.equal(xmlText(res.text, 'Code'), 'PreconditionFailed');
      assert.equal(xmlText(res.text, 'Condition'), 'If-Match');
    });

    it('If-None-Match: 304 Not Modified with no body and the validators on a match, 200 otherwise', async () => {
      for (const value of [etag, etag.slice(1, -1), `"x", ${etag}`, `W/${etag}`, '*']) {
        const res = await raw(s.url, 'GET', `/${B}/doc`, { headers: { 'If-None-Match': value } });
        assert.equal(res.status, 304, value);
        assert.equal(res.body.length, 0);
        assert.equal(res.headers.etag, etag);
        assert.equal(res.headers['last-modified'], lastModified.toUTCString());
        assert.equal(res.headers['cache-control'], 'max-age=5');
      }
      const err = await s3Error(get({ IfNoneMatch: etag }));
      assert.equal(err.$metadata.httpStatusCode, 304);
      const other = await get({ IfNoneMatch: '"something-else"' });
      assert.equal(other.$metadata.httpStatusCode, 200);
    });

    it('If-Modified-Since: 304 unless modified after the date (second resolution)', async () => {
      assert.equal((await get({ IfModifiedSince: new Date(lastModified.getTime() - HOUR) })).$metadata.httpStatusCode, 200);
      assert.equal((await s3Error(get({ IfModifiedSince: lastModified }))).$metadata.httpStatusCode, 304);
      assert.equal((await s3Error(get({ IfModifiedSince: new Date(lastModified.getTime() + HOUR) }))).$metadata.httpStatusCode, 304);
      const res = await raw(s.url, 'GET', `/${B}/doc`, { headers: { 'If-Modified-Since': lastModified.toUTCString() } });
      assert.equal(res.status, 304);
      assert.equal(res.body.length, 0);
    });

    it('If-Unmodified-Since: 412 if modified after the date', async () => {
      assert.equal((await get({ IfUnmodifiedSince: lastModified })).$metadata.httpStatusCode, 200);
      const err = await s3Error(get({ IfUnmodifiedSince: new Date(lastModified.getTime() - HOUR) }));
      assert.equal(err.name, 'PreconditionFailed');
      assert.equal(err.$metadata.httpStatusCode, 412);
      const res = await raw(s.url, 'GET', `/${B}/doc`, { headers: { 'If-Unmodified-Since': 'Sat, 29 Oct 1994 19:43:31 GMT' } });
      assert.equal(xmlText(res.text, 'Condition'), 'If-Unmodified-Since');
    });

    it('accepts the obsolete HTTP date forms and ignores a date it cannot parse', async () => {
      const before = new Date(lastModified.getTime() - HOUR);
      const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
      const imf = before.toUTCString(); // "Sun, 06 Nov 1994 08:49:37 GMT"
      const [, dd, mon, yyyy, time] = imf.split(' ');
      const rfc850 = `${days[before.getUTCDay()]}, ${dd}-${mon}-${yyyy.slice(2)} ${time} GMT`;
      const asctime = `${imf.slice(0, 3)} ${mon} ${String(before.getUTCDate()).padStart(2, ' ')} ${time} ${yyyy}`;
      for (const date of [rfc850, asctime]) {
        const res = await raw(s.url, 'GET', `/${B}/doc`, { headers: { 'If-Unmodified-Since': date } });
        assert.equal(res.status, 412, date);
      }
      for (const header of ['If-Modified-Since', 'If-Unmodified-Since']) {
        assert.equal((await raw(s.url, 'GET', `/${B}/doc`, { headers: { [header]: 'not a date' } })).status, 200, header);
      }
    });

    it('follows S3\'s precedence when conditions disagree', async () => {
      const older = new Date(lastModified.getTime() - HOUR);
      // If-Match true + If-Unmodified-Since false -> 200
      assert.equal((await get({ IfMatch: etag, IfUnmodifiedSince: older })).$metadata.httpStatusCode, 200);
      // If-None-Match false + If-Modified-Since true -> 304
      assert.equal((await s3Error(get({ IfNoneMatch: etag, IfModifiedSince: older }))).$metadata.httpStatusCode, 304);
      // If-None-Match true + If-Modified-Since false -> 200 (If-Modified-Since is ignored)
      assert.equal((await get({ IfNoneMatch: '"other"', IfModifiedSince: lastModified })).$metadata.httpStatusCode, 200);
      // If-Match false + If-Unmodified-Since true -> 412
      assert.equal((await s3Error(get({ IfMatch: '"other"', IfUnmodifiedSince: lastModified }))).$metadata.httpStatusCode, 412);
      // 412 before 304: a failed If-Match wins over a matching If-None-Match
      assert.equal((await s3Error(get({ IfMatch: '"other"', IfNoneMatch: etag }))).$metadata.httpStatusCode, 412);
      // If-Match true + If-None-Match false -> 304
      assert.equal((await s3Error(get({ IfMatch: etag, IfNoneMatch: etag }))).$metadata.httpStatusCode, 304);
    });

    it('judges the preconditions before the range or part', async () => {
      const res = await raw(s.url, 'GET', `/${B}/doc`, { headers: { 'If-None-Match': etag, Range: 'bytes=500-' } });
      assert.equal(res.status, 304);
      assert.equal((await raw(s.url, 'GET', `/${B}/doc`, { headers: { 'If-Match': '"x"', Range: 'bytes=500-' } })).status, 412);
      const ranged = await get({ IfMatch: etag, Range: 'bytes=0-6' });
      assert.equal(ranged.$metadata.httpStatusCode, 206);
      assert.equal(await ranged.Body!.transformToString(), 'version');
      assert.equal((await s3Error(get({ IfNoneMatch: etag, PartNumber: 1 }))).$metadata.httpStatusCode, 304);
    });

    it('answers NoSuchKey for a missing key whatever the conditions', async () => {
      const err = await s3Error(c.send(new GetObjectCommand({ Bucket: B, Key: 'missing', IfMatch: '*' })));
      assert.equal(err.name, 'NoSuchKey');
      assert.equal((await raw(s.url, 'GET', `/${B}/missing`, { headers: { 'If-None-Match': '*' } })).status, 404);
    });

    it('HEAD: 304 and 412 with no body, and the same precedence', async () => {
      const nm = await raw(s.url, 'HEAD', `/${B}/doc`, { headers: { 'If-None-Match': etag } });
      assert.equal(nm.status, 304);
      assert.equal(nm.headers.etag, etag);
      assert.equal(nm.body.length, 0);
      const pf = await raw(s.url, 'HEAD', `/${B}/doc`, { headers: { 'If-Match': '"x"' } });
      assert.equal(pf.status, 412);
      assert.equal(pf.body.length, 0);
      const head = (extra: Record<string, unknown>) => c.send(new HeadObjectCommand({ Bucket: B, Key: 'doc', ...extra }));
      assert.equal((await head({ IfMatch: etag, IfUnmodifiedSince: new Date(0) })).$metadata.httpStatusCode, 200);
      assert.equal((await s3Error(head({ IfModifiedSince: lastModified }))).$metadata.httpStatusCode, 304);
      assert.equal((await s3Error(head({ IfUnmodifiedSince: new Date(0) }))).$metadata.httpStatusCode, 412);
      const ok = await head({ IfNoneMatch: '"x"', IfMatch: etag });
      assert.equal(ok.ContentLength, 11);
    });
  });

  describe('writes', () => {
    it('PUT If-None-Match: * creates a key once, then answers 412 and keeps the first bytes', async () => {
      const first = await c.send(new PutObjectCommand({ Bucket: B, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
      assert.equal(first.$metadata.httpStatusCode, 200);
      const err = await s3Error(c.send(new PutObjectCommand({ Bucket: B, Key: 'once', Body: 'second', IfNoneMatch: '*' })));
      assert.equal(err.name, 'PreconditionFailed');
      assert.equal(err.$metadata.httpStatusCode, 412);
      const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'once' }));
      assert.equal(await got.Body!.transformToString(), 'first');
      assert.equal(got.ETag, first.ETag);
      const res = await raw(s.url, 'PUT', `/${B}/once`, { headers: { 'If-None-Match': '*' }, body: 'x' });
      assert.equal(xmlText(res.text, 'Condition'), 'If-None-Match');
    });

    it('PUT If-Match replaces only the version it names; 412 on another, NoSuchKey when there is none', async () => {
      const v1 = await c.send(new PutObjectCommand({ Bucket: B, Key: 'cas', Body: 'v1' }));
      const v2 = await c.send(new PutObjectCommand({ Bucket: B, Key: 'cas', Body: 'v2', IfMatch: v1.ETag }));
      assert.equal(v2.$metadata.httpStatusCode, 200);
      const stale = await s3Error(c.send(new PutObjectCommand({ Bucket: B, Key: 'cas', Body: 'v3', IfMatch: v1.ETag })));
      assert.equal(stale.name, 'PreconditionFailed');
      assert.equal(stale.$metadata.httpStatusCode, 412);
      assert.equal(await (await c.send(new GetObjectCommand({ Bucket: B, Key: 'cas' }))).Body!.transformToString(), 'v2');
      // Unquoted and '*' match too.
      const v3 = await raw(s.url, 'PUT', `/${B}/cas`, { headers: { 'If-Match': v2.ETag!.slice(1, -1) }, body: 'v3' });
      assert.equal(v3.status, 200);
      assert.equal((await raw(s.url, 'PUT', `/${B}/cas`, { headers: { 'If-Match': '*' }, body: 'v4' })).status, 200);
      const missing = await s3Error(c.send(new PutObjectCommand({ Bucket: B, Key: 'no-such', Body: 'x', IfMatch: v1.ETag })));
      assert.equal(missing.name, 'NoSuchKey');
      assert.equal(missing.$metadata.httpStatusCode, 404);
      assert.equal((await raw(s.url, 'GET', `/${B}/no-such`)).status, 404, 'nothing was created');
    });

    it('answers NotImplemented to write conditions S3 does not support', async () => {
      const etagValue = await s3Error(c.send(new PutObjectCommand({ Bucket: B, Key: 'once', Body: 'x', IfNoneMatch: '"abc"' })));
      assert.equal(etagValue.name, 'NotImplemented');
      assert.equal(etagValue.$metadata.httpStatusCode, 501);
      const both = await raw(s.url, 'PUT', `/${B}/once`, { headers: { 'If-Match': '*', 'If-None-Match': '*' }, body: 'x' });
      assert.equal(both.status, 501);
      assert.equal(xmlText(both.text, 'Code'), 'NotImplemented');
    });

    it('refuses a doomed conditional PUT before the body is sent (no 100 Continue)', async () => {
      const pf = await headOnly(s.url, `PUT /${B}/once HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\nIf-None-Match: *\r\n\r\n`);
      assert.match(pf, /^HTTP\/1\.1 412 Precondition Failed\r\n/);
      assert.doesNotMatch(pf, /100 Continue/);
      assert.match(pf, /<Code>PreconditionFailed<\/Code>/);
      const nsk = await headOnly(s.url, `PUT /${B}/absent HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\nIf-Match: "abc"\r\n\r\n`);
      assert.match(nsk, /^HTTP\/1\.1 404 Not Found\r\n/);
      assert.doesNotMatch(nsk, /100 Continue/);
    });

    it('20 concurrent If-None-Match: * PUTs to one key: exactly one wins and its bytes are stored', async () => {
      const bodies = Array.from({ length: 20 }, () => randomBytes(256 * 1024));
      const results = await Promise.allSettled(bodies.map((Body) =>
        c.send(new PutObjectCommand({ Bucket: B, Key: 'race', Body, IfNoneMatch: '*' }))));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, etag: r.value.ETag }] : []));
      assert.equal(winners.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.ok(r.reason instanceof S3ServiceException);
          assert.equal(r.reason.name, 'PreconditionFailed');
          assert.equal(r.reason.$metadata.httpStatusCode, 412);
        }
      }
      const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'race' }));
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), bodies[winners[0].i]);
      assert.equal(got.ETag, winners[0].etag);
    });

    it('concurrent If-Match PUTs naming the same version: exactly one wins (compare-and-swap)', async () => {
      const base = await c.send(new PutObjectCommand({ Bucket: B, Key: 'counter', Body: 'base' }));
      const bodies = Array.from({ length: 10 }, (_, i) => `writer ${i} ${randomBytes(64 * 1024).toString('hex')}`);
      const results = await Promise.allSettled(bodies.map((Body) =>
        c.send(new PutObjectCommand({ Bucket: B, Key: 'counter', Body, IfMatch: base.ETag }))));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1);
      assert.equal(results.filter((r) => r.status === 'rejected' && (r.reason as S3ServiceException).$metadata.httpStatusCode === 412).length, 9);
      const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'counter' }));
      assert.equal(await got.Body!.transformToString(), bodies[winners[0]]);
    });

    it('a directory marker honours If-None-Match: * too', async () => {
      assert.equal((await raw(s.url, 'PUT', `/${B}/folder/`, { headers: { 'If-None-Match': '*' } })).status, 200);
      const again = await raw(s.url, 'PUT', `/${B}/folder/`, { headers: { 'If-None-Match': '*' } });
      assert.equal(again.status, 412);
      assert.equal(xmlText(again.text, 'Code'), 'PreconditionFailed');
    });
  });

  describe('CompleteMultipartUpload', () => {
    async function upload(key: string, body: string): Promise<{ UploadId: string; Parts: Array<{ PartNumber: number; ETag: string }> }> {
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key }));
      const { ETag } = await c.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId, PartNumber: 1, Body: body }));
      return { UploadId: UploadId!, Parts: [{ PartNumber: 1, ETag: ETag! }] };
    }

    it('If-None-Match: * completes a new key, and refuses an existing one with 412, keeping the upload', async () => {
      const fresh = await upload('mp-new', 'multipart one');
      const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp-new', UploadId: fresh.UploadId, MultipartUpload: { Parts: fresh.Parts }, IfNoneMatch: '*' }));
      assert.equal(done.$metadata.httpStatusCode, 200);

      const second = await upload('mp-new', 'multipart two');
      const err = await s3Error(c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp-new', UploadId: second.UploadId, MultipartUpload: { Parts: second.Parts }, IfNoneMatch: '*' })));
      assert.equal(err.name, 'PreconditionFailed');
      assert.equal(err.$metadata.httpStatusCode, 412);
      assert.equal(await (await c.send(new GetObjectCommand({ Bucket: B, Key: 'mp-new' }))).Body!.transformToString(), 'multipart one');
      const parts = await c.send(new ListPartsCommand({ Bucket: B, Key: 'mp-new', UploadId: second.UploadId }));
      assert.equal(parts.Parts?.length, 1, 'the refused upload can still be completed or aborted');
    });

    it('If-Match completes over the version it names; 412 on another; NoSuchKey when there is none', async () => {
      const v1 = await c.send(new PutObjectCommand({ Bucket: B, Key: 'mp-cas', Body: 'plain' }));
      const stale = await upload('mp-cas', 'stale');
      const err = await s3Error(c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp-cas', UploadId: stale.UploadId, MultipartUpload: { Parts: stale.Parts }, IfMatch: '"0000"' })));
      assert.equal(err.name, 'PreconditionFailed');
      const good = await upload('mp-cas', 'replaced');
      const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp-cas', UploadId: good.UploadId, MultipartUpload: { Parts: good.Parts }, IfMatch: v1.ETag }));
      assert.equal(done.$metadata.httpStatusCode, 200);
      assert.equal(await (await c.send(new GetObjectCommand({ Bucket: B, Key: 'mp-cas' }))).Body!.transformToString(), 'replaced');

      const nowhere = await upload('mp-missing', 'x');
      const missing = await s3Error(c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp-missing', UploadId: nowhere.UploadId, MultipartUpload: { Parts: nowhere.Parts }, IfMatch: v1.ETag })));
      assert.equal(missing.name, 'NoSuchKey');
      assert.equal(missing.$metadata.httpStatusCode, 404);
    });

    it('refuses a doomed conditional complete before its body is sent', async () => {
      const up = await upload('mp-new', 'late');
      const text = await headOnly(s.url, `POST /${B}/mp-new?uploadId=${up.UploadId} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nExpect: 100-continue\r\nIf-None-Match: *\r\n\r\n`);
      assert.match(text, /^HTTP\/1\.1 412 Precondition Failed\r\n/);
      assert.doesNotMatch(text, /100 Continue/);
    });

    it('concurrent If-None-Match: * completes of one key: exactly one wins', async () => {
      const uploads = await Promise.all(Array.from({ length: 6 }, (_, i) => upload('mp-race', `racer ${i}`)));
      const results = await Promise.allSettled(uploads.map((u) =>
        c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp-race', UploadId: u.UploadId, MultipartUpload: { Parts: u.Parts }, IfNoneMatch: '*' }))));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as S3ServiceException).$metadata.httpStatusCode, 412);
      assert.equal(await (await c.send(new GetObjectCommand({ Bucket: B, Key: 'mp-race' }))).Body!.transformToString(), `racer ${winners[0]}`);
    });
  });
});
