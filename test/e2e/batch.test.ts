// DeleteObjects through @aws-sdk/client-s3 (verbose and quiet results, per-key
// errors, the list-versions-then-delete flow tools use to empty a bucket) and
// raw HTTP (the integrity headers S3 requires, limits, the result document).
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command,
  ListObjectVersionsCommand, type ListObjectVersionsCommandOutput, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createChecksum } from '../../src/util/checksums.ts';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const md5Base64 = (body: string): string => createHash('md5').update(body).digest('base64');
const crc32 = (body: string): string => {
  const c = createChecksum('CRC32');
  c.update(Buffer.from(body));
  return c.digest();
};
const deleteXml = (keys: string[], quiet?: boolean): string =>
  `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${quiet === undefined ? '' : `<Quiet>${quiet}</Quiet>`}` +
  keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('') + '</Delete>';

describe('DeleteObjects', () => {
  let s: TestServer;
  let c: S3Client;
  const put = async (bucket: string, keys: string[]): Promise<void> => {
    for (const Key of keys) await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key.endsWith('/') ? '' : Key }));
  };
  const keysOf = async (bucket: string): Promise<string[]> =>
    ((await c.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!);
  before(async () => {
    s = await startTestServer();
    c = s.client('deleter');
    await c.send(new CreateBucketCommand({ Bucket: 'batch' }));
  });
  after(async () => { await s.stop(); });

  it('deletes the listed keys, counts missing ones as deleted, and leaves the rest', async () => {
    await put('batch', ['keep', 'one', 'two', 'dir/three']);
    const res = await c.send(new DeleteObjectsCommand({
      Bucket: 'batch',
      Delete: { Objects: [{ Key: 'one' }, { Key: 'never-was' }, { Key: 'dir/three' }, { Key: 'two' }] },
    }));
    assert.equal(res.$metadata.httpStatusCode, 200);
    assert.deepEqual(res.Deleted?.map((d) => [d.Key, d.VersionId]), [['one', undefined], ['never-was', undefined], ['dir/three', undefined], ['two', undefined]]);
    assert.equal(res.Errors, undefined);
    assert.deepEqual(await keysOf('batch'), ['keep']);
    // The emptied directory went with its last object, as with DeleteObject.
    assert.ok(!(await readdir(`${s.dataDir}/batch`)).includes('dir'));
    const again = await c.send(new DeleteObjectsCommand({ Bucket: 'batch', Delete: { Objects: [{ Key: 'one' }, { Key: 'two' }] } }));
    assert.equal(again.Deleted?.length, 2, 'deleting again still reports Deleted (s3-tests multi_object_delete)');
  });

  it('reports nothing but errors in quiet mode', async () => {
    await put('batch', ['q1', 'q2']);
    const res = await c.send(new DeleteObjectsCommand({ Bucket: 'batch', Delete: { Quiet: true, Objects: [{ Key: 'q1' }, { Key: 'q2' }, { Key: 'a//b' }] } }));
    assert.equal(res.Deleted, undefined);
    assert.deepEqual(res.Errors?.map((e) => [e.Key, e.Code]), [['a//b', 'InvalidArgument']]);
    assert.deepEqual(await keysOf('batch'), ['keep']);
  });

  it('answers a bad key or version with an Error for that key only', async () => {
    await put('batch', ['fine', 'versioned']);
    const res = await c.send(new DeleteObjectsCommand({
      Bucket: 'batch',
      Delete: {
        Objects: [
          { Key: '../escape' }, { Key: 'fine' }, { Key: 'k'.repeat(1025) }, { Key: 'versioned', VersionId: 'not-a-version' },
          { Key: 'versioned', VersionId: 'null' },
        ],
      },
    }));
    assert.deepEqual(res.Deleted?.map((d) => [d.Key, d.VersionId]), [['fine', undefined], ['versioned', 'null']]);
    assert.deepEqual(res.Errors?.map((e) => [e.Key === 'k'.repeat(1025) ? 'long' : e.Key, e.VersionId, e.Code]), [
      ['../escape', undefined, 'InvalidArgument'],
      ['long', undefined, 'KeyTooLongError'],
      ['versioned', 'not-a-version', 'NoSuchVersion'],
    ]);
    assert.equal(res.Errors?.[2].Message, 'The specified version does not exist.');
    assert.deepEqual(await keysOf('batch'), ['keep']);
  });

  it('round-trips keys with spaces, entities, unicode and control characters', async () => {
    const odd = ['sp ace', 'amp&lt<gt>', 'é/中', 'ctl\u0001x', 'cr\r\nlf', 'plus+%25'];
    await put('batch', odd);
    const res = await c.send(new DeleteObjectsCommand({ Bucket: 'batch', Delete: { Objects: odd.map((Key) => ({ Key })) } }));
    assert.deepEqual(res.Deleted?.map((d) => d.Key), odd);
    assert.deepEqual(await keysOf('batch'), ['keep']);
  });

  it('empties a bucket the way tools do: ListObjectVersions pages, DeleteObjects with VersionId=null, DeleteBucket', async () => {
    await c.send(new CreateBucketCommand({ Bucket: 'to-empty' }));
    const keys = [...Array.from({ length: 23 }, (_, i) => `obj-${String(i).padStart(2, '0')}`), 'nested/a/b', 'nested/c', 'folder/'];
    await put('to-empty', keys);
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    let rounds = 0;
    for (;;) {
      const page: ListObjectVersionsCommandOutput = await c.send(new ListObjectVersionsCommand({ Bucket: 'to-empty', MaxKeys: 10, KeyMarker, VersionIdMarker }));
      const objects = (page.Versions ?? []).map((v) => ({ Key: v.Key!, VersionId: v.VersionId! }));
      if (objects.length > 0) {
        const res = await c.send(new DeleteObjectsCommand({ Bucket: 'to-empty', Delete: { Objects: objects, Quiet: true } }));
        assert.equal(res.Errors, undefined);
      }
      rounds++;
      if (!page.IsTruncated) break;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
    assert.equal(rounds, 3);
    assert.equal((await c.send(new ListObjectVersionsCommand({ Bucket: 'to-empty' }))).Versions, undefined);
    await c.send(new DeleteBucketCommand({ Bucket: 'to-empty' }));
    assert.equal((await s3Error(c.send(new HeadBucketCommand({ Bucket: 'to-empty' })))).$metadata.httpStatusCode, 404);
  });

  it('answers NoSuchBucket for a missing bucket', async () => {
    const err = await s3Error(c.send(new DeleteObjectsCommand({ Bucket: 'no-such-bucket', Delete: { Objects: [{ Key: 'x' }] } })));
    assert.equal(err.name, 'NoSuchBucket');
  });

  describe('on the wire', () => {
    const post = (body: string, headers: Record<string, string>) => raw(s.url, 'POST', '/batch?delete', { headers, body });

    it('sends S3\'s DeleteResult document', async () => {
      await put('batch', ['w1']);
      const body = '<Delete><Object><Key>w1</Key><VersionId>null</VersionId></Object><Object><Key>bad//key</Key></Object></Delete>';
      const res = await post(body, { 'Content-MD5': md5Base64(body) });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/xml');
      assert.equal(res.text, '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Deleted><Key>w1</Key><VersionId>null</VersionId></Deleted>' +
        '<Error><Key>bad//key</Key><Code>InvalidArgument</Code>' +
        '<Message>Object key cannot be stored as a file path: it has an empty path segment (&quot;//&quot; or a leading &quot;/&quot;).</Message></Error>' +
        '</DeleteResult>');
    });

    it('requires Content-MD5 or an x-amz-checksum-* header, and checks the one sent', async () => {
      await put('batch', ['guarded']);
      const body = deleteXml(['guarded']);
      const missing = await post(body, {});
      assert.equal(missing.status, 400);
      assert.equal(xmlText(missing.text, 'Code'), 'InvalidRequest');
      assert.equal(xmlText(missing.text, 'Message'), 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
      const wrongMd5 = await post(body, { 'Content-MD5': md5Base64('something else') });
      assert.equal(xmlText(wrongMd5.text, 'Code'), 'BadDigest');
      const badMd5 = await post(body, { 'Content-MD5': 'not-base64' });
      assert.equal(xmlText(badMd5.text, 'Code'), 'InvalidDigest');
      const wrongCrc = await post(body, { 'x-amz-checksum-crc32': crc32('something else') });
      assert.equal(wrongCrc.status, 400);
      assert.equal(xmlText(wrongCrc.text, 'Code'), 'BadDigest');
      const badCrc = await post(body, { 'x-amz-checksum-crc32': 'zz' });
      assert.equal(xmlText(badCrc.text, 'Code'), 'InvalidRequest');
      const sdkOnly = await post(body, { 'x-amz-sdk-checksum-algorithm': 'CRC32' });
      assert.equal(xmlText(sdkOnly.text, 'Code'), 'InvalidRequest');
      assert.deepEqual(await keysOf('batch'), ['guarded', 'keep'], 'a refused request deletes nothing');
      const byCrc = await post(body, { 'x-amz-checksum-crc32': crc32(body) });
      assert.equal(byCrc.status, 200);
      assert.deepEqual(await keysOf('batch'), ['keep']);
      const byMd5 = await post(body, { 'Content-MD5': md5Base64(body) });
      assert.equal(xmlText(byMd5.text, 'Key'), 'guarded');
    });

    it('refuses more than 1000 keys, no keys, and documents that are not a Delete', async () => {
      const cases: [string, string][] = [
        ['1001 keys', deleteXml(Array.from({ length: 1001 }, (_, i) => `k${i}`))],
        ['no keys', '<Delete><Quiet>true</Quiet></Delete>'],
        ['empty Delete', '<Delete/>'],
        ['not XML', 'this is not xml'],
        ['wrong root', '<Remove><Object><Key>keep</Key></Object></Remove>'],
        ['Object without Key', '<Delete><Object><VersionId>null</VersionId></Object></Delete>'],
        ['bad Quiet', '<Delete><Quiet>maybe</Quiet><Object><Key>keep</Key></Object></Delete>'],
        ['empty body', ''],
      ];
      for (const [name, body] of cases) {
        const res = await post(body, { 'Content-MD5': md5Base64(body) });
        assert.equal(res.status, 400, name);
        assert.equal(xmlText(res.text, 'Code'), 'MalformedXML', name);
      }
      const exactly1000 = deleteXml(Array.from({ length: 1000 }, (_, i) => `k${i}`), true);
      const ok = await post(exactly1000, { 'Content-MD5': md5Base64(exactly1000) });
      assert.equal(ok.status, 200);
      assert.deepEqual(await keysOf('batch'), ['keep']);
    });

    it('accepts Quiet in any case and keys with surrounding spaces or entities', async () => {
      await put('batch', [' padded ', 'a&b']);
      const body = '<Delete><Quiet>False</Quiet><Object><Key> padded </Key></Object><Object><Key>a&amp;b</Key></Object></Delete>';
      const res = await post(body, { 'Content-MD5': md5Base64(body) });
      assert.equal(res.status, 200);
      assert.deepEqual([...res.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), [' padded ', 'a&amp;b']);
      assert.deepEqual(await keysOf('batch'), ['keep']);
    });
  });
});
