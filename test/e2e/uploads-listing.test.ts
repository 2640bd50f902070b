// ListMultipartUploads (order, delimiter grouping, key/upload-id markers,
// encoding) and ListParts paging on the wire, through @aws-sdk/client-s3 and
// raw HTTP.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  ListMultipartUploadsCommand, type ListMultipartUploadsCommandOutput, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const allText = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

describe('ListMultipartUploads', () => {
  let s: TestServer;
  let c: S3Client;
  /** [key, uploadId] in S3's order: key, then upload id. */
  let uploads: [string, string][];
  const started = Date.now();
  before(async () => {
    s = await startTestServer();
    c = s.client('uploader');
    await c.send(new CreateBucketCommand({ Bucket: 'mpu' }));
    uploads = [];
    for (const Key of ['b', 'a/1', 'b', 'c d/e', 'a/2', 'z', 'x|y|1']) {
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key }));
      uploads.push([Key, UploadId!]);
    }
    uploads.sort(([k1, u1], [k2, u2]) => (k1 === k2 ? (u1 < u2 ? -1 : 1) : Buffer.compare(Buffer.from(k1), Buffer.from(k2))));
  });
  after(async () => { await s.stop(); });

  it('lists every upload in key then upload-id order, with S3\'s fields', async () => {
    const res = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }));
    assert.equal(res.Bucket, 'mpu');
    assert.equal(res.IsTruncated, false);
    assert.equal(res.MaxUploads, 1000);
    assert.deepEqual(res.Uploads?.map((u) => [u.Key, u.UploadId]), uploads);
    const first = res.Uploads![0];
    assert.equal(first.Initiator?.ID, 'uploader');
    assert.equal(first.Owner?.ID, 'uploader');
    assert.equal(first.Owner?.DisplayName, 'uploader');
    assert.equal(first.StorageClass, 'STANDARD');
    assert.ok(first.Initiated instanceof Date && first.Initiated.getTime() >= Math.floor(started / 1000) * 1000);
    // S3 sends the next markers even on a last page: the last upload listed.
    assert.equal(res.NextKeyMarker, uploads.at(-1)![0]);
    assert.equal(res.NextUploadIdMarker, uploads.at(-1)![1]);
  });

  it('groups keys by delimiter into CommonPrefixes, within a prefix too', async () => {
    const top = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Delimiter: '/' }));
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'c d/']);
    assert.deepEqual(top.Uploads?.map((u) => u.Key), uploads.map(([k]) => k).filter((k) => !k.includes('/')));
    assert.equal(top.Delimiter, '/');
    const pipes = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Delimiter: '|', Prefix: 'x' }));
    assert.deepEqual(pipes.CommonPrefixes?.map((p) => p.Prefix), ['x|']);
    assert.equal(pipes.Uploads, undefined);
    const inner = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Delimiter: '/', Prefix: 'a/' }));
    assert.deepEqual(inner.Uploads?.map((u) => u.Key), ['a/1', 'a/2']);
    assert.equal(inner.Prefix, 'a/');
  });

  it('pages with MaxUploads through NextKeyMarker/NextUploadIdMarker, prefixes counting as entries', async () => {
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    let pages = 0;
    for (;;) {
      const res: ListMultipartUploadsCommandOutput = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Delimiter: '/', MaxUploads: 2, KeyMarker, UploadIdMarker }));
      pages++;
      seen.push(...(res.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`), ...(res.CommonPrefixes ?? []).map((p) => p.Prefix!));
      assert.ok((res.Uploads?.length ?? 0) + (res.CommonPrefixes?.length ?? 0) <= 2);
      if (!res.IsTruncated) break;
      KeyMarker = res.NextKeyMarker;
      UploadIdMarker = res.NextUploadIdMarker;
    }
    const expected = ['a/', ...uploads.filter(([k]) => k === 'b').map(([k, u]) => `${k} ${u}`), 'c d/',
      ...uploads.filter(([k]) => !['a/1', 'a/2', 'b', 'c d/e'].includes(k)).map(([k, u]) => `${k} ${u}`)];
    assert.deepEqual(seen.sort(), expected.sort());
    assert.equal(pages, Math.ceil(expected.length / 2));
  });

  it('resumes after every upload of the key-marker, or after one upload of it with upload-id-marker', async () => {
    const [firstB, secondB] = uploads.filter(([k]) => k === 'b');
    const afterKey = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', KeyMarker: 'b' }));
    assert.deepEqual(afterKey.Uploads?.map((u) => u.Key), ['c d/e', 'x|y|1', 'z']);
    assert.equal(afterKey.KeyMarker, 'b');
    const afterOne = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', KeyMarker: 'b', UploadIdMarker: firstB[1] }));
    assert.deepEqual(afterOne.Uploads?.map((u) => u.UploadId)[0], secondB[1]);
    assert.equal(afterOne.UploadIdMarker, firstB[1]);
    // Without a key marker the upload-id marker is ignored.
    const ignored = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', UploadIdMarker: secondB[1] }));
    assert.equal(ignored.Uploads?.length, uploads.length);
  });

  it('url-encodes keys, prefixes and markers on request', async () => {
    const res = await raw(s.url, 'GET', `/mpu?uploads&encoding-type=url&delimiter=/&key-marker=${encodeURIComponent('a b')}`);
    assert.equal(res.status, 200);
    assert.equal(xmlText(res.text, 'KeyMarker'), 'a+b');
    assert.deepEqual(allText(res.text, 'Prefix'), ['', 'a/', 'c+d/']);
    assert.equal(xmlText(res.text, 'EncodingType'), 'url');
    assert.ok(allText(res.text, 'Key').includes('x%7Cy%7C1'));
  });

  it('has S3\'s wire shape, and answers max-uploads=0 with nothing, untruncated', async () => {
    const res = await raw(s.url, 'GET', '/mpu?uploads&max-uploads=1&prefix=z');
    const [key, id] = uploads.find(([k]) => k === 'z')!;
    assert.match(res.text, new RegExp('^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>mpu</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>${key}</NextKeyMarker><NextUploadIdMarker>${id}</NextUploadIdMarker>` +
      `<Prefix>z</Prefix><MaxUploads>1</MaxUploads><IsTruncated>false</IsTruncated><Upload><Key>z</Key><UploadId>${id}</UploadId>` +
      '<Initiator><ID>uploader</ID><DisplayName>uploader</DisplayName></Initiator><Owner><ID>uploader</ID><DisplayName>uploader</DisplayName></Owner>' +
      '<StorageClass>STANDARD</StorageClass><Initiated>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.\\d{3}Z</Initiated></Upload></ListMultipartUploadsResult>$'));
    const none = await raw(s.url, 'GET', '/mpu?uploads&max-uploads=0');
    assert.equal(xmlText(none.text, 'IsTruncated'), 'false');
    assert.deepEqual(allText(none.text, 'Key'), []);
    const capped = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', MaxUploads: 5000 }));
    assert.equal(capped.MaxUploads, 1000);
  });

  it('refuses bad arguments and missing buckets', async () => {
    const bad = await raw(s.url, 'GET', '/mpu?uploads&max-uploads=-1');
    assert.equal(bad.status, 400);
    assert.equal(xmlText(bad.text, 'Code'), 'InvalidArgument');
    assert.equal(xmlText(bad.text, 'ArgumentName'), 'max-uploads');
    const enc = await raw(s.url, 'GET', '/mpu?uploads&encoding-type=xml');
    assert.equal(xmlText(enc.text, 'Code'), 'InvalidArgument');
    assert.equal((await s3Error(c.send(new ListMultipartUploadsCommand({ Bucket: 'no-such-bucket' })))).name, 'NoSuchBucket');
  });

  it('refuses ?uploads on a key instead of serving the object', async () => {
    const res = await raw(s.url, 'GET', '/mpu/b?uploads');
    assert.equal(res.status, 400);
    assert.equal(xmlText(res.text, 'Code'), 'InvalidRequest');
    assert.equal(xmlText(res.text, 'Message'), 'Key is not expected for the GET method ?uploads subresource');
  });

  it('drops uploads once completed or aborted', async () => {
    await c.send(new CreateBucketCommand({ Bucket: 'mpu-gone' }));
    const a = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpu-gone', Key: 'done' }));
    const b = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpu-gone', Key: 'dropped' }));
    const part = await c.send(new UploadPartCommand({ Bucket: 'mpu-gone', Key: 'done', UploadId: a.UploadId, PartNumber: 1, Body: 'x' }));
    assert.equal((await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-gone' }))).Uploads?.length, 2);
    await c.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu-gone', Key: 'done', UploadId: a.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    await c.send(new AbortMultipartUploadCommand({ Bucket: 'mpu-gone', Key: 'dropped', UploadId: b.UploadId }));
    const res = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-gone' }));
    assert.equal(res.Uploads, undefined);
    assert.equal(res.IsTruncated, false);
  });
});

describe('ListParts paging on the wire', () => {
  let s: TestServer;
  let uploadId: string;
  before(async () => {
    s = await startTestServer();
    const c = s.client('parts');
    await c.send(new CreateBucketCommand({ Bucket: 'parts' }));
    uploadId = (await c.send(new CreateMultipartUploadCommand({ Bucket: 'parts', Key: 'obj' }))).UploadId!;
    for (const PartNumber of [1, 2, 3, 5, 8]) {
      await c.send(new UploadPartCommand({ Bucket: 'parts', Key: 'obj', UploadId: uploadId, PartNumber, Body: `part ${PartNumber}` }));
    }
  });
  after(async () => { await s.stop(); });

  const list = (query: string) => raw(s.url, 'GET', `/parts/obj?uploadId=${uploadId}${query}`);

  it('pages by max-parts and part-number-marker with NextPartNumberMarker and IsTruncated', async () => {
    const first = await list('&max-parts=2');
    assert.equal(first.status, 200);
    assert.equal(xmlText(first.text, 'PartNumberMarker'), '0');
    assert.equal(xmlText(first.text, 'NextPartNumberMarker'), '2');
    assert.equal(xmlText(first.text, 'MaxParts'), '2');
    assert.equal(xmlText(first.text, 'IsTruncated'), 'true');
    assert.deepEqual(allText(first.text, 'PartNumber'), ['1', '2']);
    const second = await list('&max-parts=2&part-number-marker=2');
    assert.equal(xmlText(second.text, 'PartNumberMarker'), '2');
    assert.equal(xmlText(second.text, 'NextPartNumberMarker'), '5');
    assert.deepEqual(allText(second.text, 'PartNumber'), ['3', '5']);
    const last = await list('&max-parts=2&part-number-marker=5');
    assert.equal(xmlText(last.text, 'IsTruncated'), 'false');
    assert.deepEqual(allText(last.text, 'PartNumber'), ['8']);
    assert.equal(xmlText(last.text, 'NextPartNumberMarker'), '8');
    // A marker between part numbers resumes at the next existing part.
    assert.deepEqual(allText((await list('&part-number-marker=4')).text, 'PartNumber'), ['5', '8']);
  });

  it('lists everything by default, caps max-parts at 1000 and refuses bad numbers', async () => {
    const all = await list('');
    assert.equal(xmlText(all.text, 'MaxParts'), '1000');
    assert.equal(xmlText(all.text, 'IsTruncated'), 'false');
    assert.deepEqual(allText(all.text, 'PartNumber'), ['1', '2', '3', '5', '8']);
    assert.equal(xmlText((await list('&max-parts=5000')).text, 'MaxParts'), '1000');
    for (const query of ['&max-parts=-1', '&max-parts=abc', '&part-number-marker=x']) {
      const res = await list(query);
      assert.equal(res.status, 400, query);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidArgument', query);
    }
  });
});
