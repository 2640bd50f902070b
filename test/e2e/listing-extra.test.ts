// Listing beyond the basics: any delimiter, encoding-type=url, fetch-owner,
// start-after, V1 markers, max-keys=0 and empty continuation tokens (ListObjects
// V1/V2), and ListObjectVersions, through @aws-sdk/client-s3 and raw HTTP.
import {
  CreateBucketCommand, ListObjectsCommand, ListObjectVersionsCommand, type ListObjectVersionsCommandOutput,
  ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
/** Reverses S3's encoding-type=url (form encoding: '+' is a space), as botocore's unquote_plus does. */
const urlDecode = (text: string): string => decodeURIComponent(text.replace(/\+/g, ' '));
/** Every text of <name> elements, in document order. */
const allText = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

describe('listing details', () => {
  let s: TestServer;
  let c: S3Client;
  const fill = async (bucket: string, keys: string[]): Promise<void> => {
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const Key of keys) await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
  };
  before(async () => {
    s = await startTestServer();
    c = s.client('lister');
  });
  after(async () => { await s.stop(); });

  describe('delimiters other than "/"', () => {
    before(async () => {
      await fill('delim-a', ['bar', 'baz', 'cab', 'foo']);
      await fill('delim-ab', ['abba', 'cab', 'qa', 'xaby', 'xabz']);
      await fill('delim-pipe', ['p|1', 'p|2', 'q|x|y', 'r']);
    });

    it('groups by a one-letter delimiter, V1 and V2 alike (s3-tests delimiter_alt)', async () => {
      for (const res of [
        await c.send(new ListObjectsCommand({ Bucket: 'delim-a', Delimiter: 'a' })),
        await c.send(new ListObjectsV2Command({ Bucket: 'delim-a', Delimiter: 'a' })),
      ]) {
        assert.equal(res.Delimiter, 'a');
        assert.deepEqual(res.Contents?.map((o) => o.Key), ['foo']);
        assert.deepEqual(res.CommonPrefixes?.map((p) => p.Prefix), ['ba', 'ca']);
      }
      const withPrefix = await c.send(new ListObjectsV2Command({ Bucket: 'delim-a', Delimiter: 'a', Prefix: 'b' }));
      assert.deepEqual(withPrefix.CommonPrefixes?.map((p) => p.Prefix), ['ba']);
      assert.equal(withPrefix.Contents, undefined);
    });

    it('groups by a multi-character delimiter, matched after the prefix', async () => {
      const res = await c.send(new ListObjectsV2Command({ Bucket: 'delim-ab', Delimiter: 'ab' }));
      assert.deepEqual(res.Contents?.map((o) => o.Key), ['qa']);
      assert.deepEqual(res.CommonPrefixes?.map((p) => p.Prefix), ['ab', 'cab', 'xab']);
      assert.equal(res.KeyCount, 4);
      // Under prefix "ab" the delimiter must occur after the prefix: "abba" has none there.
      const under = await c.send(new ListObjectsV2Command({ Bucket: 'delim-ab', Delimiter: 'ab', Prefix: 'ab' }));
      assert.deepEqual(under.Contents?.map((o) => o.Key), ['abba']);
      assert.equal(under.CommonPrefixes, undefined);
    });

    it('pages V1 by NextMarker when a page ends on a common prefix, skipping what the prefix covered', async () => {
      const seen: string[] = [];
      let marker: string | undefined;
      for (const expected of [['p|'], ['q|'], ['r']]) {
        const res = await c.send(new ListObjectsCommand({ Bucket: 'delim-pipe', Delimiter: '|', MaxKeys: 1, Marker: marker }));
        const page = [...(res.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(res.Contents ?? []).map((o) => o.Key!)];
        assert.deepEqual(page, expected);
        assert.equal(res.Marker, marker ?? '');
        assert.equal(res.IsTruncated, expected[0] !== 'r');
        assert.equal(res.NextMarker, res.IsTruncated ? expected[0] : undefined);
        seen.push(...page);
        marker = res.NextMarker;
      }
      assert.deepEqual(seen, ['p|', 'q|', 'r']);
    });

    it('pages V2 by continuation token over a multi-character delimiter', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const res = await c.send(new ListObjectsV2Command({ Bucket: 'delim-ab', Delimiter: 'ab', MaxKeys: 1, ContinuationToken: token }));
        assert.equal(res.KeyCount, 1);
        seen.push(...(res.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(res.Contents ?? []).map((o) => o.Key!));
        token = res.NextContinuationToken;
      } while (token);
      assert.deepEqual(seen, ['ab', 'cab', 'qa', 'xab']);
    });

    it('groups by an astral-plane delimiter in UTF-8 order, skipping each prefix whole', async () => {
      await fill('delim-emoji', ['a\u{1F600}1', 'a\u{1F600}2', 'a\uFFFD', 'b\u{1F600}']);
      const all = await c.send(new ListObjectsV2Command({ Bucket: 'delim-emoji', Delimiter: '\u{1F600}' }));
      assert.deepEqual(all.Contents?.map((o) => o.Key), ['a\uFFFD']);
      assert.deepEqual(all.CommonPrefixes?.map((p) => p.Prefix), ['a\u{1F600}', 'b\u{1F600}']);
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const res = await c.send(new ListObjectsV2Command({ Bucket: 'delim-emoji', Delimiter: '\u{1F600}', MaxKeys: 1, ContinuationToken: token }));
        seen.push(...(res.Contents ?? []).map((o) => o.Key!), ...(res.CommonPrefixes ?? []).map((p) => p.Prefix!));
        token = res.NextContinuationToken;
      } while (token);
      // U+FFFD is EF BF BD in UTF-8 and sorts before the 4-byte emoji, unlike in UTF-16.
      assert.deepEqual(seen, ['a\uFFFD', 'a\u{1F600}', 'b\u{1F600}']);
    });

    it('round-trips a newline delimiter, prefix and marker through the XML (s3-tests *_unreadable)', async () => {
      await fill('delim-nl', ['l1\nx', 'l1\ny', 'l2']);
      const res = await c.send(new ListObjectsCommand({ Bucket: 'delim-nl', Delimiter: '\n' }));
      // (The SDK's XML parser drops whitespace-only text, so res.Delimiter reads '': the raw check below covers it.)
      assert.deepEqual(res.CommonPrefixes?.map((p) => p.Prefix), ['l1\n']);
      assert.deepEqual(res.Contents?.map((o) => o.Key), ['l2']);
      const rawRes = await raw(s.url, 'GET', '/delim-nl?delimiter=%0A&marker=%0A&prefix=l');
      assert.match(rawRes.text, /<Delimiter>&#10;<\/Delimiter>/);
      assert.match(rawRes.text, /<Marker>&#10;<\/Marker>/);
      assert.match(rawRes.text, /<CommonPrefixes><Prefix>l1&#10;<\/Prefix><\/CommonPrefixes>/);
    });
  });

  describe('encoding-type=url and special characters', () => {
    const keys = ['amp&lt<', 'cr\r\nlf', 'ctl\u0001\u001f', 'per%cent', 'plus+sign', 'sp ace/x+y', 'tab\tkey', 'uni/é中'];
    before(async () => { await fill('enc', keys); });

    it('returns every key exactly through the SDK, with and without encoding', async () => {
      const plain = await c.send(new ListObjectsV2Command({ Bucket: 'enc' }));
      assert.deepEqual(plain.Contents?.map((o) => o.Key), keys);
      assert.equal(plain.EncodingType, undefined);
      const encoded = await c.send(new ListObjectsV2Command({ Bucket: 'enc', EncodingType: 'url' }));
      assert.equal(encoded.EncodingType, 'url');
      assert.deepEqual(encoded.Contents?.map((o) => urlDecode(o.Key!)), keys);
      const v1 = await c.send(new ListObjectsCommand({ Bucket: 'enc', EncodingType: 'url', Delimiter: '/' }));
      assert.deepEqual(v1.CommonPrefixes?.map((p) => urlDecode(p.Prefix!)), ['sp ace/', 'uni/']);
      assert.deepEqual(v1.Contents?.map((o) => urlDecode(o.Key!)), keys.filter((k) => !k.includes('/')));
    });

    it('escapes control characters as character references when not encoding', async () => {
      const res = await raw(s.url, 'GET', '/enc?list-type=2');
      assert.deepEqual(allText(res.text, 'Key'), ['amp&amp;lt&lt;', 'cr&#13;&#10;lf', 'ctl&#1;&#31;', 'per%cent', 'plus+sign', 'sp ace/x+y', 'tab&#9;key', 'uni/é中']);
    });

    it('encodes Key, Prefix, Delimiter, StartAfter and CommonPrefixes as S3 does (V2)', async () => {
      const res = await raw(s.url, 'GET', `/enc?list-type=2&encoding-type=url&delimiter=/&start-after=${encodeURIComponent('a b')}`);
      assert.equal(res.status, 200);
      assert.deepEqual(allText(res.text, 'Key'), ['amp%26lt%3C', 'cr%0D%0Alf', 'ctl%01%1F', 'per%25cent', 'plus%2Bsign', 'tab%09key']);
      assert.deepEqual(allText(res.text, 'Prefix'), ['', 'sp+ace/', 'uni/']);
      assert.equal(xmlText(res.text, 'Delimiter'), '/');
      assert.equal(xmlText(res.text, 'StartAfter'), 'a+b');
      assert.equal(xmlText(res.text, 'EncodingType'), 'url');
      const under = await raw(s.url, 'GET', `/enc?list-type=2&encoding-type=url&prefix=${encodeURIComponent('sp ace/')}`);
      assert.equal(xmlText(under.text, 'Prefix'), 'sp+ace/');
      assert.deepEqual(allText(under.text, 'Key'), ['sp+ace/x%2By']);
    });

    it('encodes Marker and NextMarker (V1)', async () => {
      const res = await raw(s.url, 'GET', `/enc?encoding-type=url&max-keys=1&marker=${encodeURIComponent('cr\r\nlf')}`);
      assert.equal(xmlText(res.text, 'Marker'), 'cr%0D%0Alf');
      assert.equal(xmlText(res.text, 'NextMarker'), 'ctl%01%1F');
      assert.deepEqual(allText(res.text, 'Key'), ['ctl%01%1F']);
    });

    it('refuses an unknown encoding type', async () => {
      const res = await raw(s.url, 'GET', '/enc?list-type=2&encoding-type=base64');
      assert.equal(res.status, 400);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidArgument');
      assert.equal(xmlText(res.text, 'Message'), 'Invalid Encoding Method specified in Request');
      assert.equal(xmlText(res.text, 'ArgumentName'), 'encoding-type');
    });
  });

  describe('owner, start-after, markers, max-keys=0, empty tokens', () => {
    before(async () => { await fill('misc', ['bar', 'baz', 'foo', 'quxx']); });

    it('returns Owner in V2 only with fetch-owner=true, and always in V1', async () => {
      const without = await c.send(new ListObjectsV2Command({ Bucket: 'misc' }));
      assert.equal(without.Contents?.[0].Owner, undefined);
      const off = await c.send(new ListObjectsV2Command({ Bucket: 'misc', FetchOwner: false }));
      assert.equal(off.Contents?.[0].Owner, undefined);
      const withOwner = await c.send(new ListObjectsV2Command({ Bucket: 'misc', FetchOwner: true }));
      assert.deepEqual(withOwner.Contents?.map((o) => o.Owner?.ID), ['lister', 'lister', 'lister', 'lister']);
      assert.equal(withOwner.Contents?.[0].Owner?.DisplayName, 'lister');
      const v1 = await c.send(new ListObjectsCommand({ Bucket: 'misc' }));
      assert.equal(v1.Contents?.[0].Owner?.ID, 'lister');
    });

    it('starts after a key that is not in the bucket, and after the last one (s3-tests startafter_*)', async () => {
      const mid = await c.send(new ListObjectsV2Command({ Bucket: 'misc', StartAfter: 'blah' }));
      assert.equal(mid.StartAfter, 'blah');
      assert.deepEqual(mid.Contents?.map((o) => o.Key), ['foo', 'quxx']);
      const end = await c.send(new ListObjectsV2Command({ Bucket: 'misc', StartAfter: 'zzz' }));
      assert.equal(end.IsTruncated, false);
      assert.equal(end.Contents, undefined);
      assert.equal(end.KeyCount, 0);
      const v1 = await c.send(new ListObjectsCommand({ Bucket: 'misc', Marker: 'blah' }));
      assert.equal(v1.Marker, 'blah');
      assert.deepEqual(v1.Contents?.map((o) => o.Key), ['foo', 'quxx']);
    });

    it('lets a continuation token win over start-after, echoing both', async () => {
      const first = await c.send(new ListObjectsV2Command({ Bucket: 'misc', StartAfter: 'bar', MaxKeys: 1 }));
      assert.deepEqual(first.Contents?.map((o) => o.Key), ['baz']);
      const rest = await c.send(new ListObjectsV2Command({ Bucket: 'misc', StartAfter: 'bar', ContinuationToken: first.NextContinuationToken }));
      assert.equal(rest.ContinuationToken, first.NextContinuationToken);
      assert.equal(rest.StartAfter, 'bar');
      assert.deepEqual(rest.Contents?.map((o) => o.Key), ['foo', 'quxx']);
      assert.equal(rest.IsTruncated, false);
    });

    it('answers max-keys=0 with an empty page that is not truncated (s3-tests maxkeys_zero)', async () => {
      const v1 = await c.send(new ListObjectsCommand({ Bucket: 'misc', MaxKeys: 0 }));
      const v2 = await c.send(new ListObjectsV2Command({ Bucket: 'misc', MaxKeys: 0 }));
      const versions = await c.send(new ListObjectVersionsCommand({ Bucket: 'misc', MaxKeys: 0 }));
      for (const res of [v1, v2, versions]) {
        assert.equal(res.IsTruncated, false);
        assert.equal(res.MaxKeys, 0);
      }
      assert.equal(v1.Contents, undefined);
      assert.equal(v2.Contents, undefined);
      assert.equal(versions.Versions, undefined);
      const rawV2 = await raw(s.url, 'GET', '/misc?list-type=2&max-keys=0');
      assert.equal(xmlText(rawV2.text, 'KeyCount'), '0');
      assert.equal(xmlText(rawV2.text, 'NextContinuationToken'), undefined);
    });

    it('treats an empty continuation-token as none, and echoes it (s3-tests continuationtoken_empty)', async () => {
      const res = await raw(s.url, 'GET', '/misc?list-type=2&continuation-token=');
      assert.equal(res.status, 200);
      assert.match(res.text, /<ContinuationToken><\/ContinuationToken>/);
      assert.equal(xmlText(res.text, 'IsTruncated'), 'false');
      assert.deepEqual(allText(res.text, 'Key'), ['bar', 'baz', 'foo', 'quxx']);
      const v1 = await raw(s.url, 'GET', '/misc?continuation-token=&marker=baz');
      assert.deepEqual(allText(v1.text, 'Key'), ['foo', 'quxx'], 'an empty token does not hide the marker');
    });
  });

  describe('ListObjectVersions', () => {
    const keys = ['a', 'd/1', 'd/2', 'e/x/y', 'f'];
    before(async () => { await fill('versions', keys); });

    it('lists every object as its null version, the latest, with the object\'s fields', async () => {
      const res = await c.send(new ListObjectVersionsCommand({ Bucket: 'versions' }));
      assert.equal(res.IsTruncated, false);
      assert.equal(res.Name, 'versions');
      assert.equal(res.DeleteMarkers, undefined);
      assert.deepEqual(res.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size, v.ETag, v.Owner?.ID, v.StorageClass]),
        keys.map((k) => [k, 'null', true, k.length, `"${md5(k)}"`, 'lister', 'STANDARD']));
      assert.ok(res.Versions?.every((v) => v.LastModified instanceof Date));
    });

    it('groups by delimiter and pages with NextKeyMarker/NextVersionIdMarker', async () => {
      const seen: string[] = [];
      const versionMarkers: (string | undefined)[] = [];
      let keyMarker: string | undefined;
      let versionIdMarker: string | undefined;
      let pages = 0;
      for (;;) {
        const res: ListObjectVersionsCommandOutput = await c.send(new ListObjectVersionsCommand({
          Bucket: 'versions', Delimiter: '/', MaxKeys: 1, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker,
        }));
        pages++;
        seen.push(...(res.Versions ?? []).map((v) => v.Key!), ...(res.CommonPrefixes ?? []).map((p) => p.Prefix!));
        assert.equal(res.KeyMarker, keyMarker ?? '');
        if (!res.IsTruncated) break;
        keyMarker = res.NextKeyMarker;
        versionIdMarker = res.NextVersionIdMarker;
        versionMarkers.push(versionIdMarker);
      }
      assert.equal(pages, 4);
      assert.deepEqual(seen, ['a', 'd/', 'e/', 'f']);
      // A page that ends on a common prefix has no version to resume after.
      assert.deepEqual(versionMarkers, ['null', undefined, undefined]);
    });

    it('has S3\'s wire shape, markers and url encoding included', async () => {
      const res = await raw(s.url, 'GET', '/versions?versions&max-keys=2&key-marker=a&version-id-marker=null&encoding-type=url&prefix=');
      assert.equal(res.status, 200);
      assert.match(res.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListVersionsResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Name>versions<\/Name><Prefix><\/Prefix><KeyMarker>a<\/KeyMarker><VersionIdMarker>null<\/VersionIdMarker><NextKeyMarker>d\/2<\/NextKeyMarker><NextVersionIdMarker>null<\/NextVersionIdMarker><MaxKeys>2<\/MaxKeys><IsTruncated>true<\/IsTruncated><EncodingType>url<\/EncodingType><Version><Key>d\/1<\/Key><VersionId>null<\/VersionId><IsLatest>true<\/IsLatest><LastModified>/);
      assert.deepEqual(allText(res.text, 'Key'), ['d/1', 'd/2']);
      const encoded = await raw(s.url, 'GET', `/versions?versions&encoding-type=url&prefix=${encodeURIComponent('e/x ')}&delimiter=${encodeURIComponent(' ')}`);
      assert.equal(xmlText(encoded.text, 'Prefix'), 'e/x+');
      assert.equal(xmlText(encoded.text, 'Delimiter'), '+');
    });

    it('checks markers as S3 does: max-keys first, then the version-id marker', async () => {
      const cases: [string, string][] = [
        ['max-keys=abc&version-id-marker=x', 'Provided max-keys not an integer or within integer range'],
        ['version-id-marker=null', 'A version-id marker cannot be specified without a key marker.'],
        ['key-marker=&version-id-marker=null', 'A version-id marker cannot be specified without a key marker.'],
        ['key-marker=a&version-id-marker=', 'A version-id marker cannot be empty.'],
        ['key-marker=a&version-id-marker=3HL4kqtJlcpXroDTDmJ&encoding-type=bad', 'Invalid version id specified'],
        ['encoding-type=bad', 'Invalid Encoding Method specified in Request'],
      ];
      for (const [query, message] of cases) {
        const res = await raw(s.url, 'GET', `/versions?versions&${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(xmlText(res.text, 'Code'), 'InvalidArgument', query);
        assert.equal(xmlText(res.text, 'Message'), message, query);
      }
      const err = await s3Error(c.send(new ListObjectVersionsCommand({ Bucket: 'versions', VersionIdMarker: 'null' })));
      assert.equal(err.name, 'InvalidArgument');
      assert.equal((await s3Error(c.send(new ListObjectVersionsCommand({ Bucket: 'no-such-bucket' })))).name, 'NoSuchBucket');
    });

    it('refuses ?versions on a key instead of serving the object', async () => {
      const res = await raw(s.url, 'GET', '/versions/a?versions');
      assert.equal(res.status, 400);
      assert.equal(xmlText(res.text, 'Code'), 'InvalidRequest');
      assert.equal(xmlText(res.text, 'Message'), 'There is no such thing as the ?versions sub-resource for a key');
    });

    it('resumes after a key for key-marker alone and for key-marker with version-id-marker=null', async () => {
      for (const VersionIdMarker of [undefined, 'null']) {
        const res = await c.send(new ListObjectVersionsCommand({ Bucket: 'versions', KeyMarker: 'd/1', VersionIdMarker }));
        assert.deepEqual(res.Versions?.map((v) => v.Key), ['d/2', 'e/x/y', 'f']);
        assert.equal(res.VersionIdMarker, VersionIdMarker ?? '');
      }
    });
  });
});
