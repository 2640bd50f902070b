// Wire details that SDKs hide: 100-continue refusals before the body is sent,
// aws-chunked bodies with checksum trailers, and the exact shape of S3 errors.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createChecksum } from '../../src/util/checksums.ts';
import { raw, startTestServer, xmlText, type TestServer } from './harness.ts';

/** Sends only a request head, then reports what the server answered before any body arrived. */
function headOnly(url: string, head: string): Promise<{ firstLine: string; text: string; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let closed = false;
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    socket.on('end', () => { closed = true; });
    socket.on('error', reject);
    socket.write(head);
    // Long enough for an answer to a head that needs no body, short enough for a test.
    setTimeout(() => {
      socket.destroy();
      resolve({ firstLine: text.split('\r\n')[0], text, closed });
    }, 400);
  });
}

function chunkedBody(data: Buffer, trailerName: string, trailerValue: string): Buffer {
  const half = Math.floor(data.length / 2);
  return Buffer.concat([
    Buffer.from(`${half.toString(16)}\r\n`), data.subarray(0, half), Buffer.from('\r\n'),
    Buffer.from(`${(data.length - half).toString(16)}\r\n`), data.subarray(half), Buffer.from('\r\n'),
    Buffer.from(`0\r\n${trailerName}:${trailerValue}\r\n\r\n`),
  ]);
}

describe('wire behaviour', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await raw(s.url, 'PUT', '/wire');
  });
  after(async () => { await s.stop(); });

  it('refuses a PUT to a missing bucket before the body is sent (no 100 Continue)', async () => {
    const res = await headOnly(s.url, 'PUT /no-such-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n');
    assert.equal(res.firstLine, 'HTTP/1.1 404 Not Found');
    assert.match(res.text, /<Code>NoSuchBucket<\/Code>/);
    assert.doesNotMatch(res.text, /100 Continue/);
    assert.match(res.text, /Connection: close/i);
  });

  it('refuses a bad part number before the body is sent', async () => {
    const init = await raw(s.url, 'POST', '/wire/mp?uploads');
    const uploadId = xmlText(init.text, 'UploadId');
    const res = await headOnly(s.url, `PUT /wire/mp?partNumber=0&uploadId=${uploadId} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n`);
    assert.equal(res.firstLine, 'HTTP/1.1 400 Bad Request');
    assert.match(res.text, /<Code>InvalidArgument<\/Code>/);
    assert.doesNotMatch(res.text, /100 Continue/);
  });

  it('answers 100 Continue when the request can go ahead', async () => {
    const res = await headOnly(s.url, 'PUT /wire/ok HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    assert.equal(res.firstLine, 'HTTP/1.1 100 Continue');
  });

  it('decodes an aws-chunked body and verifies its checksum trailer', async () => {
    const data = Buffer.from('hello, chunked world');
    const crc = createChecksum('CRC32');
    crc.update(data);
    const headers = {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': data.length,
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'content-type': 'text/plain',
    };
    const ok = await raw(s.url, 'PUT', '/wire/chunked', { headers, body: chunkedBody(data, 'x-amz-checksum-crc32', crc.digest()) });
    assert.equal(ok.status, 200);
    const got = await raw(s.url, 'GET', '/wire/chunked');
    assert.equal(got.text, 'hello, chunked world');
    assert.equal(got.headers['content-encoding'], undefined, 'aws-chunked is not stored as the object\'s encoding');
    assert.equal(got.headers['content-type'], 'text/plain');

    const bad = await raw(s.url, 'PUT', '/wire/chunked-bad', { headers, body: chunkedBody(data, 'x-amz-checksum-crc32', 'AAAAAA==') });
    assert.equal(bad.status, 400);
    assert.equal(xmlText(bad.text, 'Code'), 'BadDigest');
    assert.equal((await raw(s.url, 'HEAD', '/wire/chunked-bad')).status, 404, 'a body that failed its checksum leaves no object');
  });

  it('answers IncompleteBody when the decoded length is not what was declared', async () => {
    const data = Buffer.from('short');
    const crc = createChecksum('CRC32');
    crc.update(data);
    const res = await raw(s.url, 'PUT', '/wire/liar', {
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': 50, 'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      body: chunkedBody(data, 'x-amz-checksum-crc32', crc.digest()),
    });
    assert.equal(res.status, 400);
    assert.equal(xmlText(res.text, 'Code'), 'IncompleteBody');
    assert.equal((await raw(s.url, 'HEAD', '/wire/liar')).status, 404);
  });

  it('sends S3 error documents with code, message, resource and request id', async () => {
    const res = await raw(s.url, 'GET', '/wire/missing-key');
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-type'], 'application/xml');
    assert.match(res.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>[^<]+<\/Message><Key>missing-key<\/Key><Resource>\/wire\/missing-key<\/Resource><RequestId>[0-9A-F]{16}<\/RequestId><\/Error>$/);
    assert.equal(res.headers['x-amz-request-id'], xmlText(res.text, 'RequestId'));
    const head = await raw(s.url, 'HEAD', '/wire/missing-key');
    assert.equal(head.status, 404);
    assert.equal(head.body.length, 0, 'HEAD errors carry no body');
  });

  it('answers 501 NotImplemented naming operations not built yet, and 405 for unknown methods', async () => {
    const replication = await raw(s.url, 'GET', '/wire?replication');
    assert.equal(replication.status, 501);
    assert.equal(xmlText(replication.text, 'Code'), 'NotImplemented');
    assert.match(replication.text, /GetBucketReplication/);
    const patch = await raw(s.url, 'PATCH', '/wire/x');
    assert.equal(patch.status, 405);
    assert.equal(xmlText(patch.text, 'Code'), 'MethodNotAllowed');
  });

  it('answers MalformedXML for a broken CompleteMultipartUpload body and keeps the upload', async () => {
    const init = await raw(s.url, 'POST', '/wire/xml?uploads');
    const uploadId = xmlText(init.text, 'UploadId');
    await raw(s.url, 'PUT', `/wire/xml?partNumber=1&uploadId=${uploadId}`, { body: 'abc' });
    for (const body of ['<CompleteMultipartUpload><Part>', '<!DOCTYPE x [<!ENTITY e "boom">]><CompleteMultipartUpload/>', '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>']) {
      const res = await raw(s.url, 'POST', `/wire/xml?uploadId=${uploadId}`, { body });
      assert.equal(res.status, 400, body);
      assert.equal(xmlText(res.text, 'Code'), 'MalformedXML', body);
    }
    assert.equal((await raw(s.url, 'GET', `/wire/xml?uploadId=${uploadId}`)).status, 200);
  });

  it('serves the same API under /api/v1/s3 and at the root', async () => {
    await raw(s.url, 'PUT', '/api/v1/s3/wire/both', { body: 'same' });
    assert.equal((await raw(s.url, 'GET', '/wire/both')).text, 'same');
  });

  it('refuses a key with a NUL or a .. segment, whatever the encoding', async () => {
    for (const path of ['/wire/a%00b', '/wire/..%2F..%2Fetc', '/wire/%2E%2E/x']) {
      const res = await raw(s.url, 'PUT', path, { body: 'x' });
      assert.equal(res.status, 400, path);
    }
  });
});
