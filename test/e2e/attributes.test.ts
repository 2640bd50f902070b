// GetObjectAttributes through @aws-sdk/client-s3 and raw HTTP: only the asked
// attributes, S3's unquoted ETag, ObjectParts for multipart objects (Parts
// only when they carry checksums), checksums without the composite "-N",
// errors, versionId=null and read preconditions.
import {
  CreateBucketCommand, GetObjectAttributesCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const md5 = (body: string): string => createHash('md5').update(body).digest('hex');
const ALL = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;

describe('GetObjectAttributes', () => {
  let s: TestServer;
  let c: S3Client;
  const attrs = (key: string, headers: Record<string, string>, query = '') =>
    raw(s.url, 'GET', `/attrs/${key}?attributes${query}`, { headers });

  /** A multipart object made over raw HTTP (no checksum headers), parts of the given sizes. */
  async function multipart(key: string, sizes: number[]): Promise<string> {
    const init = await raw(s.url, 'POST', `/attrs/${key}?uploads`);
    const uploadId = xmlText(init.text, 'UploadId')!;
    const parts: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const put = await raw(s.url, 'PUT', `/attrs/${key}?partNumber=${i + 1}&uploadId=${uploadId}`, { body: Buffer.alloc(size, 97 + i) });
      parts.push(`<Part><PartNumber>${i + 1}</PartNumber><ETag>${String(put.headers.etag)}</ETag></Part>`);
    }
    const done = await raw(s.url, 'POST', `/attrs/${key}?uploadId=${uploadId}`, { body: `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>` });
    assert.equal(done.status, 200);
    return xmlText(done.text, 'ETag')!.replaceAll('&quot;', '');
  }

  before(async () => {
    s = await startTestServer();
    c = s.client('attr');
    await c.send(new CreateBucketCommand({ Bucket: 'attrs' }));
    await c.send(new PutObjectCommand({ Bucket: 'attrs', Key: 'plain', Body: 'hello attributes' }));
  });
  after(async () => { await s.stop(); });

  it('returns the asked attributes of a single-part object, the ETag unquoted', async () => {
    const res = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'plain', ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass', 'ObjectParts'] }));
    assert.equal(res.ETag, md5('hello attributes'));
    assert.equal(res.ObjectSize, 16);
    assert.equal(res.StorageClass, 'STANDARD');
    assert.equal(res.ObjectParts, undefined, 'a single-part object has no ObjectParts');
    assert.ok(res.LastModified instanceof Date);
    const onlySize = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'plain', ObjectAttributes: ['ObjectSize'] }));
    assert.equal(onlySize.ObjectSize, 16);
    assert.equal(onlySize.ETag, undefined);
    assert.equal(onlySize.StorageClass, undefined);
  });

  it('sends only the asked elements, with Last-Modified as a header', async () => {
    const res = await attrs('plain', { 'x-amz-object-attributes': 'ObjectSize,ETag' });
    assert.equal(res.status, 200);
    assert.equal(res.text, '<?xml version="1.0" encoding="UTF-8"?>\n<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<ETag>${md5('hello attributes')}</ETag><ObjectSize>16</ObjectSize></GetObjectAttributesResponse>`);
    const head = await raw(s.url, 'HEAD', '/attrs/plain');
    assert.equal(res.headers['last-modified'], head.headers['last-modified']);
  });

  it('reports the storage class and the checksum the object carries', async () => {
    await s.strata.ns.updateObjectExtras('attrs', 'plain', (e) => ({ ...e, storageClass: 'STANDARD_IA', checksum: { algorithm: 'CRC32C', value: 'yZRlqg==', type: 'FULL_OBJECT' } }));
    const res = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'plain', ObjectAttributes: ['Checksum', 'StorageClass'] }));
    assert.equal(res.StorageClass, 'STANDARD_IA');
    assert.deepEqual(res.Checksum, { ChecksumCRC32C: 'yZRlqg==', ChecksumType: 'FULL_OBJECT' });
    await s.strata.ns.updateObjectExtras('attrs', 'plain', (e) => ({ ...e, storageClass: undefined, checksum: undefined }));
    const none = await attrs('plain', { 'x-amz-object-attributes': 'Checksum,StorageClass' });
    assert.doesNotMatch(none.text, /<Checksum>/, 'no checksum, no element');
    assert.equal(xmlText(none.text, 'StorageClass'), 'STANDARD');
  });

  it('returns the checksum PutObject computed, as PutObject returned it', async () => {
    const put = await c.send(new PutObjectCommand({ Bucket: 'attrs', Key: 'summed', Body: 'check me', ChecksumAlgorithm: 'SHA256' }));
    assert.ok(put.ChecksumSHA256);
    const res = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'summed', ObjectAttributes: ['Checksum'] }));
    assert.equal(res.Checksum?.ChecksumSHA256, put.ChecksumSHA256);
    assert.equal(res.Checksum?.ChecksumType, 'FULL_OBJECT');
  });

  it('gives a multipart object without part checksums its PartsCount only', async () => {
    const etag = await multipart('mp-plain', [3, 5, 2]);
    await s.strata.ns.updateObjectExtras('attrs', 'mp-plain', (e) => ({ ...e, checksum: undefined, partChecksums: undefined }));
    const res = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'mp-plain', ObjectAttributes: [...ALL], MaxParts: 1 }));
    assert.equal(res.ETag, etag);
    assert.match(res.ETag!, /^[0-9a-f]{32}-3$/);
    assert.equal(res.ObjectSize, 10);
    assert.deepEqual(res.ObjectParts, { TotalPartsCount: 3 });
    const wire = await attrs('mp-plain', { 'x-amz-object-attributes': 'ObjectParts' });
    assert.match(wire.text, /<ObjectParts><PartsCount>3<\/PartsCount><\/ObjectParts>/);
  });

  it('lists parts with their checksums, paged by x-amz-max-parts and x-amz-part-number-marker', async () => {
    await multipart('mp-summed', [4, 6, 1]);
    const partSums = ['AAAAAQ==', 'AAAAAg==', 'AAAAAw=='];
    await s.strata.ns.updateObjectExtras('attrs', 'mp-summed', (e) => ({
      ...e, checksum: { algorithm: 'CRC32', value: 'q83vEg==-3', type: 'COMPOSITE' }, partChecksums: partSums,
    }));
    const first = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'mp-summed', ObjectAttributes: ['ObjectParts', 'Checksum'], MaxParts: 2 }));
    // GetObjectAttributes shows a composite checksum without its "-N" suffix.
    assert.deepEqual(first.Checksum, { ChecksumCRC32: 'q83vEg==', ChecksumType: 'COMPOSITE' });
    assert.equal(first.ObjectParts?.TotalPartsCount, 3);
    assert.equal(first.ObjectParts?.IsTruncated, true);
    assert.equal(first.ObjectParts?.MaxParts, 2);
    assert.equal(first.ObjectParts?.PartNumberMarker, '0');
    assert.equal(first.ObjectParts?.NextPartNumberMarker, '2');
    assert.deepEqual(first.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]), [[1, 4, partSums[0]], [2, 6, partSums[1]]]);
    const rest = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'mp-summed', ObjectAttributes: ['ObjectParts'], PartNumberMarker: '2' }));
    assert.equal(rest.ObjectParts?.IsTruncated, false);
    assert.equal(rest.ObjectParts?.MaxParts, 1000);
    assert.deepEqual(rest.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]), [[3, 1, partSums[2]]]);
    const wire = await attrs('mp-summed', { 'x-amz-object-attributes': 'ObjectParts', 'x-amz-max-parts': '1', 'x-amz-part-number-marker': '1' });
    assert.match(wire.text, /<ObjectParts><IsTruncated>true<\/IsTruncated><MaxParts>1<\/MaxParts><NextPartNumberMarker>2<\/NextPartNumberMarker><PartNumberMarker>1<\/PartNumberMarker><Part><ChecksumCRC32>AAAAAg==<\/ChecksumCRC32><PartNumber>2<\/PartNumber><Size>6<\/Size><\/Part><PartsCount>3<\/PartsCount><\/ObjectParts>/);
    const bad = await attrs('mp-summed', { 'x-amz-object-attributes': 'ObjectParts', 'x-amz-max-parts': '-1' });
    assert.equal(bad.status, 400);
    assert.equal(xmlText(bad.text, 'Code'), 'InvalidArgument');
  });

  it('refuses a missing, empty or unknown attribute list as S3 does', async () => {
    const lists: Record<string, string>[] = [{}, { 'x-amz-object-attributes': '' }, { 'x-amz-object-attributes': ' , ' }];
    for (const headers of lists) {
      const res = await attrs('plain', headers);
      assert.equal(res.status, 400);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidRequest');
      assert.equal(xmlText(res.text, 'Message'), 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
    }
    const unknown = await s3Error(c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'plain', ObjectAttributes: ['ETag', 'Colour' as 'ETag'] })));
    assert.equal(unknown.name, 'InvalidArgument');
    assert.equal(unknown.message, 'Invalid attribute name specified.');
    // Attributes are checked before the key, the bucket before both.
    const unknownOnMissing = await attrs('missing', { 'x-amz-object-attributes': 'Colour' });
    assert.equal(xmlText(unknownOnMissing.text, 'Code'), 'InvalidArgument');
    const noBucket = await raw(s.url, 'GET', '/no-such-bucket/k?attributes');
    assert.equal(xmlText(noBucket.text, 'Code'), 'NoSuchBucket');
    const missing = await s3Error(c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'missing', ObjectAttributes: ['ETag'] })));
    assert.equal(missing.name, 'NoSuchKey');
    assert.equal(missing.$metadata.httpStatusCode, 404);
  });

  it('accepts versionId=null and no other version', async () => {
    const res = await c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'plain', VersionId: 'null', ObjectAttributes: ['ObjectSize'] }));
    assert.equal(res.ObjectSize, 16);
    const other = await s3Error(c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'plain', VersionId: 'abc', ObjectAttributes: ['ObjectSize'] })));
    assert.equal(other.name, 'NoSuchVersion');
  });

  it('honours read preconditions as GetObject does', async () => {
    const etag = `"${md5('hello attributes')}"`;
    const header = { 'x-amz-object-attributes': 'ETag' };
    assert.equal((await attrs('plain', { ...header, 'If-Match': etag })).status, 200);
    const failed = await attrs('plain', { ...header, 'If-Match': '"0123"' });
    assert.equal(failed.status, 412);
    assert.equal(xmlText(failed.text, 'Code'), 'PreconditionFailed');
    const notModified = await attrs('plain', { ...header, 'If-None-Match': etag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.etag, etag);
    assert.equal(notModified.text, '');
  });
});
