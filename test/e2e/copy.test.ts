// Server-side copies through @aws-sdk/client-s3 (CopyObjectCommand,
// UploadPartCopyCommand), plus raw HTTP where the SDK hides the wire:
// metadata and tagging directives, the self-copy rule, cross-bucket copies,
// copy-source conditions, byte-exact multi-MiB copies and errors (UploadPartCopy
// is in copy-part.test.ts, the memory bound in copy-memory.test.ts).
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  GetObjectAclCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { md5, objectBytes, raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const MiB = 1024 * 1024;

describe('CopyObject and UploadPartCopy', () => {
  let s: TestServer;
  let c: S3Client;
  const B = 'copies';
  const OTHER = 'elsewhere';

  const body = (bucket: string, key: string): Promise<Buffer> => objectBytes(c, bucket, key);

  async function storedRow(bucket: string, key: string) {
    return s.strata.ns.headObject(bucket, key);
  }

  async function tagsOf(bucket: string, key: string): Promise<Record<string, string>> {
    const out = await c.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key, t.Value]));
  }

  async function storageClassOf(bucket: string, key: string): Promise<string | undefined> {
    const out = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    return out.Contents?.find((o) => o.Key === key)?.StorageClass;
  }

  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await c.send(new CreateBucketCommand({ Bucket: OTHER }));
    await c.send(new PutObjectCommand({
      Bucket: B, Key: 'src', Body: 'source bytes',
      ContentType: 'text/plain', CacheControl: 'max-age=60', ContentDisposition: 'attachment; filename="s.txt"',
      ContentEncoding: 'identity', ContentLanguage: 'en', Metadata: { colour: 'blue', size: 'big' },
    }));
  });
  after(async () => { await s.stop(); });

  describe('metadata directive', () => {
    it('COPY (the default) copies the bytes, stored headers and user metadata, ignoring the request\'s', async () => {
      const out = await c.send(new CopyObjectCommand({
        Bucket: B, Key: 'copied', CopySource: `${B}/src`, ContentType: 'image/png', Metadata: { colour: 'red' },
      }));
      assert.equal(out.CopyObjectResult?.ETag, `"${md5(Buffer.from('source bytes'))}"`);
      assert.ok(out.CopyObjectResult?.LastModified instanceof Date);
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'copied' }));
      assert.equal(head.ContentType, 'text/plain');
      assert.equal(head.CacheControl, 'max-age=60');
      assert.equal(head.ContentDisposition, 'attachment; filename="s.txt"');
      assert.equal(head.ContentEncoding, 'identity');
      assert.equal(head.ContentLanguage, 'en');
      assert.deepEqual(head.Metadata, { colour: 'blue', size: 'big' });
      assert.equal(head.ETag, out.CopyObjectResult?.ETag);
      assert.equal((await body(B, 'copied')).toString(), 'source bytes');
      assert.equal((await storedRow(B, 'copied')).owner, 'alice');
    });

    it('REPLACE takes every stored header and the user metadata from the request', async () => {
      await c.send(new CopyObjectCommand({
        Bucket: B, Key: 'replaced', CopySource: `${B}/src`, MetadataDirective: 'REPLACE',
        ContentType: 'image/png', Metadata: { colour: 'red' },
      }));
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'replaced' }));
      assert.equal(head.ContentType, 'image/png');
      assert.equal(head.CacheControl, undefined);
      assert.equal(head.ContentDisposition, undefined);
      assert.equal(head.ContentLanguage, undefined);
      assert.deepEqual(head.Metadata, { colour: 'red' });
      assert.equal((await body(B, 'replaced')).toString(), 'source bytes');
    });

    it('refuses an unknown directive', async () => {
      const res = await raw(s.url, 'PUT', `/${B}/x`, { headers: { 'x-amz-copy-source': `/${B}/src`, 'x-amz-metadata-directive': 'MERGE' } });
      assert.equal(res.status, 400);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidArgument');
      assert.equal(xmlText(res.text, 'Message'), 'Unknown metadata directive.');
      assert.equal(xmlText(res.text, 'ArgumentName'), 'x-amz-metadata-directive');
    });
  });

  describe('copying an object onto itself', () => {
    it('is InvalidRequest without a change of metadata or storage class', async () => {
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'self', Body: 'me', ContentType: 'text/plain' }));
      const err = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 'self', CopySource: `${B}/self` })));
      assert.equal(err.name, 'InvalidRequest');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.message, 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.');
      const copyDirective = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 'self', CopySource: `${B}/self`, MetadataDirective: 'COPY' })));
      assert.equal(copyDirective.name, 'InvalidRequest');
    });

    it('with REPLACE updates the metadata and keeps the bytes', async () => {
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'self2', Body: 'keep me', ContentType: 'text/plain', Metadata: { v: '1' } }));
      const out = await c.send(new CopyObjectCommand({
        Bucket: B, Key: 'self2', CopySource: `${B}/self2`, MetadataDirective: 'REPLACE', ContentType: 'text/markdown', Metadata: { v: '2' },
      }));
      assert.equal(out.CopyObjectResult?.ETag, `"${md5(Buffer.from('keep me'))}"`);
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'self2' }));
      assert.equal(head.ContentType, 'text/markdown');
      assert.deepEqual(head.Metadata, { v: '2' });
      assert.equal((await body(B, 'self2')).toString(), 'keep me');
    });

    it('with a storage class is allowed and records the class', async () => {
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'self3', Body: 'cold', Metadata: { m: 'kept' } }));
      await c.send(new CopyObjectCommand({ Bucket: B, Key: 'self3', CopySource: `${B}/self3`, StorageClass: 'GLACIER_IR' }));
      assert.equal(await storageClassOf(B, 'self3'), 'GLACIER_IR');
      assert.deepEqual((await c.send(new HeadObjectCommand({ Bucket: B, Key: 'self3' }))).Metadata, { m: 'kept' });
      assert.equal((await body(B, 'self3')).toString(), 'cold');
    });
  });

  describe('storage class and tags', () => {
    it('sets the requested storage class; without one the copy is STANDARD', async () => {
      await c.send(new CopyObjectCommand({ Bucket: B, Key: 'ia', CopySource: `${B}/src`, StorageClass: 'STANDARD_IA' }));
      assert.equal(await storageClassOf(B, 'ia'), 'STANDARD_IA');
      await c.send(new CopyObjectCommand({ Bucket: B, Key: 'ia-copy', CopySource: `${B}/ia` }));
      assert.equal(await storageClassOf(B, 'ia-copy'), 'STANDARD');
      const res = await raw(s.url, 'PUT', `/${B}/bad-class`, { headers: { 'x-amz-copy-source': `${B}/src`, 'x-amz-storage-class': 'FROZEN' } });
      assert.equal(res.status, 400);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidStorageClass');
    });

    it('never copies the ACL: the copy is private to its writer unless the request names one', async () => {
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'public', Body: 'p', ACL: 'public-read' }));
      const allUsers = 'http://acs.amazonaws.com/groups/global/AllUsers';
      const grantees = async (key: string) => (await c.send(new GetObjectAclCommand({ Bucket: OTHER, Key: key }))).Grants
        ?.map((g) => `${g.Grantee?.URI ?? g.Grantee?.ID}:${g.Permission}`).sort();
      await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'private-copy', CopySource: `${B}/public` }));
      assert.deepEqual(await grantees('private-copy'), ['alice:FULL_CONTROL']);
      await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'public-copy', CopySource: `${B}/public`, ACL: 'public-read' }));
      assert.deepEqual(await grantees('public-copy'), ['alice:FULL_CONTROL', `${allUsers}:READ`]);
    });

    it('REPLACE sets the x-amz-tagging tags, COPY keeps the source\'s, REPLACE without tags clears them', async () => {
      await c.send(new CopyObjectCommand({
        Bucket: B, Key: 'tagged', CopySource: `${B}/src`, TaggingDirective: 'REPLACE', Tagging: 'project=strata&team=a%20b&empty=',
      }));
      assert.deepEqual(await tagsOf(B, 'tagged'), { project: 'strata', team: 'a b', empty: '' });
      // The tagging header is ignored under COPY.
      await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'tagged', CopySource: `${B}/tagged`, Tagging: 'ignored=yes' }));
      assert.deepEqual(await tagsOf(OTHER, 'tagged'), { project: 'strata', team: 'a b', empty: '' });
      await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'untagged', CopySource: `${B}/tagged`, TaggingDirective: 'REPLACE' }));
      assert.deepEqual(await tagsOf(OTHER, 'untagged'), {});
      assert.equal((await storedRow(OTHER, 'untagged')).extras.tags, undefined);
    });

    it('refuses bad tags and an unknown tagging directive', async () => {
      const bad = await s3Error(c.send(new CopyObjectCommand({
        Bucket: B, Key: 't', CopySource: `${B}/src`, TaggingDirective: 'REPLACE', Tagging: 'aws:reserved=1',
      })));
      assert.equal(bad.name, 'InvalidTag');
      const tooMany = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
      const many = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 't', CopySource: `${B}/src`, TaggingDirective: 'REPLACE', Tagging: tooMany })));
      assert.equal(many.name, 'BadRequest');
      const res = await raw(s.url, 'PUT', `/${B}/t`, { headers: { 'x-amz-copy-source': `${B}/src`, 'x-amz-tagging-directive': 'MOVE' } });
      assert.equal(res.status, 400);
      assert.equal(xmlText(res.text, 'Message'), 'Unknown tagging directive.');
    });
  });

  describe('sources and destinations', () => {
    it('copies across buckets, with a URL-encoded source key and a leading slash', async () => {
      const key = 'dir one/ünï+code?&.txt';
      await c.send(new PutObjectCommand({ Bucket: B, Key: key, Body: 'encoded' }));
      const source = `/${B}/${key.split('/').map(encodeURIComponent).join('/')}`;
      await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'from-encoded', CopySource: source }));
      assert.equal((await body(OTHER, 'from-encoded')).toString(), 'encoded');
      await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: key, CopySource: `${B}/${encodeURIComponent(key)}` }));
      assert.equal((await body(OTHER, key)).toString(), 'encoded');
    });

    it('accepts versionId=null and refuses any other version', async () => {
      const ok = await raw(s.url, 'PUT', `/${OTHER}/v-null`, { headers: { 'x-amz-copy-source': `${B}/src?versionId=null` } });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /^<\?xml[^>]*>\s*<CopyObjectResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/LastModified>(<ChecksumType>FULL_OBJECT<\/ChecksumType><Checksum[A-Z0-9]+>[^<]+<\/Checksum[A-Z0-9]+>)?<\/CopyObjectResult>$/);
      const other = await raw(s.url, 'PUT', `/${OTHER}/v-other`, { headers: { 'x-amz-copy-source': `${B}/src?versionId=3HL4kqtJlcpXroDTDmJ` } });
      assert.equal(other.status, 404);
      assert.equal(xmlText(other.text, 'Code'), 'NoSuchVersion');
    });

    it('copies a multipart object as one new object with a plain MD5 ETag', async () => {
      const parts = [randomBytes(MiB), randomBytes(100)];
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp-src' }));
      const etags: string[] = [];
      for (const [i, data] of parts.entries()) {
        const p = await c.send(new UploadPartCommand({ Bucket: B, Key: 'mp-src', UploadId: up.UploadId, PartNumber: i + 1, Body: data }));
        etags.push(p.ETag!);
      }
      const done = await c.send(new CompleteMultipartUploadCommand({
        Bucket: B, Key: 'mp-src', UploadId: up.UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }));
      assert.match(done.ETag!, /-2"$/);
      const out = await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'mp-copy', CopySource: `${B}/mp-src` }));
      const whole = Buffer.concat(parts);
      assert.equal(out.CopyObjectResult?.ETag, `"${md5(whole)}"`);
      assert.equal((await storedRow(OTHER, 'mp-copy')).partSizes, null);
      assert.ok((await body(OTHER, 'mp-copy')).equals(whole));
    });

    it('copies several MiB byte for byte', async () => {
      const data = randomBytes(12 * MiB + 12345);
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'big', Body: data }));
      const out = await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'big-copy', CopySource: `${B}/big` }));
      assert.equal(out.CopyObjectResult?.ETag, `"${md5(data)}"`);
      const copy = await body(OTHER, 'big-copy');
      assert.equal(copy.length, data.length);
      assert.ok(copy.equals(data));
    });

    it('copies an empty object to a directory marker and refuses a non-empty one', async () => {
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'empty', Body: '' }));
      await c.send(new CopyObjectCommand({ Bucket: B, Key: 'made-dir/', CopySource: `${B}/empty` }));
      assert.equal((await storedRow(B, 'made-dir/')).isDirectory, true);
      const err = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 'not-empty-dir/', CopySource: `${B}/src` })));
      assert.equal(err.name, 'InvalidArgument');
    });

    it('copies with a requested checksum, and a copy of that copy keeps it', async () => {
      const sha256 = createHash('sha256').update('source bytes').digest('base64');
      const out = await c.send(new CopyObjectCommand({ Bucket: B, Key: 'summed', CopySource: `${B}/src`, ChecksumAlgorithm: 'SHA256' }));
      assert.equal(out.CopyObjectResult?.ChecksumSHA256, sha256);
      assert.equal(out.CopyObjectResult?.ChecksumType, 'FULL_OBJECT');
      const again = await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'summed', CopySource: `${B}/summed` }));
      assert.equal(again.CopyObjectResult?.ChecksumSHA256, sha256);
      assert.deepEqual((await storedRow(OTHER, 'summed')).extras.checksum, { algorithm: 'SHA256', value: sha256, type: 'FULL_OBJECT' });
    });

    it('gives the copy of a composite-checksum multipart object a full-object checksum of its bytes', async () => {
      const parts = [randomBytes(MiB), randomBytes(999)];
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp-crc', ChecksumAlgorithm: 'CRC32', ChecksumType: 'COMPOSITE' }));
      const listed = [];
      for (const [i, data] of parts.entries()) {
        const p = await c.send(new UploadPartCommand({ Bucket: B, Key: 'mp-crc', UploadId: up.UploadId, PartNumber: i + 1, Body: data, ChecksumAlgorithm: 'CRC32' }));
        listed.push({ ETag: p.ETag, ChecksumCRC32: p.ChecksumCRC32, PartNumber: i + 1 });
      }
      await c.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp-crc', UploadId: up.UploadId, MultipartUpload: { Parts: listed } }));
      assert.equal((await storedRow(B, 'mp-crc')).extras.checksum?.type, 'COMPOSITE');
      const out = await c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'mp-crc', CopySource: `${B}/mp-crc` }));
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat(parts)));
      assert.equal(out.CopyObjectResult?.ChecksumCRC32, crc.toString('base64'));
      assert.equal(out.CopyObjectResult?.ChecksumType, 'FULL_OBJECT');
    });

    it('honours the destination\'s If-None-Match and If-Match', async () => {
      const exists = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 'copied', CopySource: `${B}/src`, IfNoneMatch: '*' })));
      assert.equal(exists.name, 'PreconditionFailed');
      assert.equal(exists.$metadata.httpStatusCode, 412);
      await c.send(new CopyObjectCommand({ Bucket: B, Key: 'brand-new', CopySource: `${B}/src`, IfNoneMatch: '*' }));
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'brand-new' }));
      const stale = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 'brand-new', CopySource: `${B}/src`, IfMatch: '"0123"' })));
      assert.equal(stale.name, 'PreconditionFailed');
      await c.send(new CopyObjectCommand({ Bucket: B, Key: 'brand-new', CopySource: `${B}/src`, IfMatch: head.ETag }));
    });
  });

  describe('copy-source conditions', () => {
    let etag: string;
    let modified: Date;
    before(async () => {
      const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'src' }));
      etag = head.ETag!;
      modified = head.LastModified!;
    });
    const copy = (extra: Partial<ConstructorParameters<typeof CopyObjectCommand>[0]>) =>
      c.send(new CopyObjectCommand({ Bucket: OTHER, Key: 'conditional', CopySource: `${B}/src`, ...extra }));
    const refused = async (extra: Partial<ConstructorParameters<typeof CopyObjectCommand>[0]>) => {
      const err = await s3Error(copy(extra));
      assert.equal(err.name, 'PreconditionFailed');
      assert.equal(err.$metadata.httpStatusCode, 412);
    };
    const seconds = (n: number): Date => new Date(modified.getTime() + n * 1000);

    it('if-match: copies on a matching ETag (quoted or not), 412 otherwise', async () => {
      await copy({ CopySourceIfMatch: etag });
      await copy({ CopySourceIfMatch: etag.replace(/"/g, '') });
      await copy({ CopySourceIfMatch: `"nope", ${etag}` });
      await refused({ CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' });
    });

    it('if-none-match: 412 on a matching ETag', async () => {
      await refused({ CopySourceIfNoneMatch: etag });
      await refused({ CopySourceIfNoneMatch: '*' });
      await copy({ CopySourceIfNoneMatch: '"0123456789abcdef0123456789abcdef"' });
    });

    it('if-modified-since: 412 unless modified after the date; a future date is ignored', async () => {
      await copy({ CopySourceIfModifiedSince: seconds(-60) });
      await refused({ CopySourceIfModifiedSince: modified });
      await copy({ CopySourceIfModifiedSince: new Date(Date.now() + 86_400_000) });
    });

    it('if-unmodified-since: 412 when modified after the date', async () => {
      await copy({ CopySourceIfUnmodifiedSince: modified });
      await refused({ CopySourceIfUnmodifiedSince: seconds(-1) });
    });

    it('a true if-match overrides a false if-unmodified-since; a false if-none-match wins over a true if-modified-since', async () => {
      await copy({ CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: seconds(-60) });
      await refused({ CopySourceIfNoneMatch: etag, CopySourceIfModifiedSince: seconds(-60) });
    });

    it('names the failed condition on the wire', async () => {
      const res = await raw(s.url, 'PUT', `/${OTHER}/conditional`, {
        headers: { 'x-amz-copy-source': `${B}/src`, 'x-amz-copy-source-if-match': '"abc"' },
      });
      assert.equal(res.status, 412);
      assert.equal(xmlText(res.text, 'Code'), 'PreconditionFailed');
      assert.equal(xmlText(res.text, 'Condition'), 'x-amz-copy-source-If-Match');
    });
  });

  describe('errors', () => {
    it('NoSuchKey for a missing source, NoSuchBucket for a missing source or destination bucket', async () => {
      const noKey = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: `${B}/missing` })));
      assert.equal(noKey.name, 'NoSuchKey');
      assert.equal(noKey.$metadata.httpStatusCode, 404);
      const noSrcBucket = await s3Error(c.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: 'no-such-bucket/src' })));
      assert.equal(noSrcBucket.name, 'NoSuchBucket');
      const noDstBucket = await s3Error(c.send(new CopyObjectCommand({ Bucket: 'no-such-bucket', Key: 'x', CopySource: `${B}/src` })));
      assert.equal(noDstBucket.name, 'NoSuchBucket');
    });

    it('InvalidArgument for a copy source that is not bucket/key or not decodable', async () => {
      for (const header of ['just-a-bucket', `/${B}/`, '/', `${B}/%E0%A4%A`, `/${B}`]) {
        const res = await raw(s.url, 'PUT', `/${B}/x`, { headers: { 'x-amz-copy-source': header } });
        assert.equal(res.status, 400, header);
        assert.equal(xmlText(res.text, 'Code'), 'InvalidArgument', header);
        assert.equal(xmlText(res.text, 'ArgumentName'), 'x-amz-copy-source', header);
      }
    });

    it('refuses a source larger than 5 GiB, for CopyObject and for a whole-object part copy', async () => {
      // A sparse file another program left in the data directory: nothing is read before the refusal.
      await c.send(new CreateBucketCommand({ Bucket: 'huge' }));
      await mkdir(join(s.dataDir, 'huge'), { recursive: true });
      const fh = await open(join(s.dataDir, 'huge', 'sparse'), 'w');
      await fh.truncate(5 * 1024 ** 3 + 1);
      await fh.close();
      const err = await s3Error(c.send(new CopyObjectCommand({ Bucket: 'huge', Key: 'copy', CopySource: 'huge/sparse' })));
      assert.equal(err.name, 'InvalidRequest');
      assert.equal(err.message, 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120');
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'huge', Key: 'parts' }));
      const whole = await s3Error(c.send(new UploadPartCopyCommand({ Bucket: 'huge', Key: 'parts', UploadId: up.UploadId, PartNumber: 1, CopySource: 'huge/sparse' })));
      assert.equal(whole.name, 'InvalidRequest');
      const ranged = await c.send(new UploadPartCopyCommand({
        Bucket: 'huge', Key: 'parts', UploadId: up.UploadId, PartNumber: 1, CopySource: 'huge/sparse', CopySourceRange: 'bytes=5368709000-5368709120',
      }));
      assert.equal(ranged.CopyPartResult?.ETag, `"${md5(Buffer.alloc(121))}"`);
    });
  });
});
