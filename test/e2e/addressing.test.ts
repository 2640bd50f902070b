// Virtual-hosted-style addressing (`Host: bucket.<base-domain>`) next to path
// style: the baseDomain setting, @aws-sdk/client-s3 with forcePathStyle: false,
// and raw Host headers for what the SDK decides for itself.
// AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { raw, startTestServer, xmlText, type TestServer } from './harness.ts';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * An agent that resolves every name to 127.0.0.1: neither glibc nor Node
 * resolves `*.localhost` or `*.s3.test` here, and the SDK must connect to
 * `bucket.<domain>` for the Host header to name the bucket. Records the names.
 */
function loopbackAgent(names: string[]): Agent {
  const lookup = (hostname: string, options: LookupOneOptions & { all?: boolean }, callback: LookupCallback): void => {
    names.push(hostname);
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  };
  return new Agent({ keepAlive: false, lookup: lookup as unknown as NonNullable<ConstructorParameters<typeof Agent>[0]>['lookup'] });
}

describe('baseDomain setting', () => {
  it('defaults to empty (virtual-hosted style off)', () => {
    assert.equal(loadConfig([], {}).config.baseDomain, '');
  });
  it('comes from --base-domain, STRATA_BASE_DOMAIN and the config key baseDomain, flags first', async () => {
    assert.equal(loadConfig(['--base-domain', 's3.local,localhost'], {}).config.baseDomain, 's3.local,localhost');
    assert.equal(loadConfig([], { STRATA_BASE_DOMAIN: 'env.test' }).config.baseDomain, 'env.test');
    const dir = await mkdtemp(join(tmpdir(), 'strata-config-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ baseDomain: 'file.test' }));
      assert.equal(loadConfig(['--config', file], {}).config.baseDomain, 'file.test');
      assert.equal(loadConfig(['--config', file], { STRATA_BASE_DOMAIN: 'env.test' }).config.baseDomain, 'env.test');
      assert.equal(loadConfig(['--config', file, '--base-domain=flag.test'], { STRATA_BASE_DOMAIN: 'env.test' }).config.baseDomain, 'flag.test');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('refuses a value that is not a list of host names', () => {
    assert.throws(() => loadConfig(['--base-domain', 'localhost:9000'], {}), ConfigError);
    assert.throws(() => loadConfig(['--base-domain', 'http://s3.local'], {}), ConfigError);
    assert.throws(() => loadConfig(['--base-domain', 's3.local,a/b'], {}), /baseDomain: expected host names/);
  });
});

describe('virtual-hosted-style addressing', () => {
  let s: TestServer;
  let port: number;
  const names: string[] = [];
  const clients: S3Client[] = [];
  /** An SDK client in virtual-hosted style against `http://<domain>:<port>`. */
  const vhostClient = (domain: string): S3Client => {
    const c = new S3Client({
      endpoint: `http://${domain}:${port}`,
      region: 'us-east-1',
      forcePathStyle: false,
      credentials: { accessKeyId: 'vhuser', secretAccessKey: 'unused-in-simple-mode' },
      requestHandler: { httpAgent: loopbackAgent(names) },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };
  const host = (name: string): Record<string, string> => ({ Host: `${name}:${port}` });

  before(async () => {
    s = await startTestServer(['--base-domain', 's3.test,localhost']);
    port = s.strata.port;
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await s.stop();
  });

  it('serves the SDK in virtual-hosted style on localhost: CreateBucket, keys with slashes, ListBuckets on the bare domain', async () => {
    const c = vhostClient('localhost');
    names.length = 0;
    await c.send(new CreateBucketCommand({ Bucket: 'vh-sdk' }));
    assert.deepEqual(names, ['vh-sdk.localhost'], 'the SDK connected to the bucket host, so its Host header named the bucket');
    await c.send(new PutObjectCommand({ Bucket: 'vh-sdk', Key: 'dir/sub/file one.txt', Body: 'virtual', ContentType: 'text/plain' }));
    await c.send(new HeadBucketCommand({ Bucket: 'vh-sdk' }));
    const head = await c.send(new HeadObjectCommand({ Bucket: 'vh-sdk', Key: 'dir/sub/file one.txt' }));
    assert.equal(head.ContentLength, 7);
    assert.equal(head.ContentType, 'text/plain');
    const got = await c.send(new GetObjectCommand({ Bucket: 'vh-sdk', Key: 'dir/sub/file one.txt' }));
    assert.equal(await got.Body?.transformToString(), 'virtual');
    const listed = await c.send(new ListObjectsV2Command({ Bucket: 'vh-sdk', Prefix: 'dir/', Delimiter: '/' }));
    assert.equal(listed.Name, 'vh-sdk');
    assert.deepEqual(listed.CommonPrefixes?.map((p) => p.Prefix), ['dir/sub/']);
    names.length = 0;
    const buckets = await c.send(new ListBucketsCommand({}));
    assert.deepEqual(names, ['localhost']);
    assert.ok(buckets.Buckets?.some((b) => b.Name === 'vh-sdk'));
    assert.ok(names.every((n) => n === 'localhost'));

    // The same object path style, with and without the API prefix.
    const viaPath = await s.client().send(new GetObjectCommand({ Bucket: 'vh-sdk', Key: 'dir/sub/file one.txt' }));
    assert.equal(await viaPath.Body?.transformToString(), 'virtual');
    const prefixed = await raw(s.url, 'GET', '/api/v1/s3/vh-sdk/dir/sub/file%20one.txt');
    assert.equal(prefixed.status, 200);
    assert.equal(prefixed.text, 'virtual');

    await c.send(new DeleteObjectCommand({ Bucket: 'vh-sdk', Key: 'dir/sub/file one.txt' }));
    await assert.rejects(c.send(new HeadObjectCommand({ Bucket: 'vh-sdk', Key: 'dir/sub/file one.txt' })), { name: 'NotFound' });
  });

  it('serves the SDK on a second base domain', async () => {
    const c = vhostClient('s3.test');
    names.length = 0;
    await c.send(new CreateBucketCommand({ Bucket: 'second-vh' }));
    await c.send(new PutObjectCommand({ Bucket: 'second-vh', Key: 'a/b/c', Body: 'abc' }));
    assert.deepEqual(names, ['second-vh.s3.test', 'second-vh.s3.test']);
    const got = await s.client().send(new GetObjectCommand({ Bucket: 'second-vh', Key: 'a/b/c' }));
    assert.equal(await got.Body?.transformToString(), 'abc');
  });

  it('takes a dotted bucket name from the Host (the SDK itself goes path style for those)', async () => {
    assert.equal((await raw(s.url, 'PUT', '/', { headers: host('dotted.vh.s3.test') })).status, 200);
    assert.equal((await raw(s.url, 'PUT', '/a/b', { headers: host('dotted.vh.s3.test'), body: 'dots' })).status, 200);
    assert.equal((await raw(s.url, 'GET', '/dotted.vh/a/b')).text, 'dots');
  });

  it('takes the bucket from a raw Host header, case-insensitively and with or without the port', async () => {
    const created = await raw(s.url, 'PUT', '/', { headers: host('rawvh.s3.test') });
    assert.equal(created.status, 200);
    assert.equal(created.headers.location, '/rawvh');
    const put = await raw(s.url, 'PUT', '/x/y%20z.txt', { headers: { Host: 'RAWVH.S3.Test' }, body: 'hello' });
    assert.equal(put.status, 200);
    const viaPath = await raw(s.url, 'GET', '/rawvh/x/y%20z.txt');
    assert.equal(viaPath.status, 200);
    assert.equal(viaPath.text, 'hello');
    const viaHost = await raw(s.url, 'GET', '/x/y%20z.txt', { headers: host('rawvh.localhost') });
    assert.equal(viaHost.status, 200);
    assert.equal(viaHost.text, 'hello');
    const list = await raw(s.url, 'GET', '/?list-type=2', { headers: host('rawvh.s3.test') });
    assert.equal(list.status, 200);
    assert.equal(xmlText(list.text, 'Name'), 'rawvh');
    assert.equal(xmlText(list.text, 'Key'), 'x/y z.txt');
  });

  it('is path style on the bare base domain and on hosts outside it', async () => {
    const service = await raw(s.url, 'GET', '/', { headers: host('s3.test') });
    assert.equal(service.status, 200);
    assert.match(service.text, /<ListAllMyBucketsResult[^>]*>.*<Name>rawvh<\/Name>/s);
    for (const name of ['s3.test', 'localhost', '127.0.0.1', 'example.com']) {
      const res = await raw(s.url, 'GET', '/rawvh/x/y%20z.txt', { headers: host(name) });
      assert.equal(res.status, 200, name);
      assert.equal(res.text, 'hello', name);
      const prefixed = await raw(s.url, 'GET', '/api/v1/s3/rawvh/x/y%20z.txt', { headers: host(name) });
      assert.equal(prefixed.text, 'hello', `${name} under the prefix`);
    }
  });

  it('treats the whole path as the key on a bucket host: the API prefix and the FS API are keys there', async () => {
    const missing = await raw(s.url, 'GET', '/api/v1/s3/k', { headers: host('rawvh.s3.test') });
    assert.equal(missing.status, 404);
    assert.equal(xmlText(missing.text, 'Code'), 'NoSuchKey');
    assert.equal(xmlText(missing.text, 'Resource'), '/rawvh/api/v1/s3/k');
    assert.equal((await raw(s.url, 'PUT', '/api/v1/s3/k', { headers: host('rawvh.s3.test'), body: 'prefixed key' })).status, 200);
    assert.equal((await raw(s.url, 'GET', '/rawvh/api/v1/s3/k')).text, 'prefixed key');
    const fs = await raw(s.url, 'GET', '/api/v1/fs/ls?path=/', { headers: host('rawvh.s3.test') });
    assert.equal(fs.status, 404);
    assert.equal(xmlText(fs.text, 'Code'), 'NoSuchKey');
    assert.equal(xmlText(fs.text, 'Resource'), '/rawvh/api/v1/fs/ls');
  });

  it('answers NoSuchBucket for a bucket host that names no bucket', async () => {
    const res = await raw(s.url, 'GET', '/k', { headers: host('nosuch.s3.test') });
    assert.equal(res.status, 404);
    assert.equal(xmlText(res.text, 'Code'), 'NoSuchBucket');
    assert.equal(xmlText(res.text, 'Resource'), '/nosuch/k');
  });
});

describe('addressing without a base domain', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s.stop(); });

  it('ignores bucket-like Host headers: every request is path style', async () => {
    assert.equal((await raw(s.url, 'PUT', '/plain')).status, 200);
    const service = await raw(s.url, 'GET', '/', { headers: { Host: 'plain.localhost' } });
    assert.equal(service.status, 200);
    assert.match(service.text, /<ListAllMyBucketsResult/);
    assert.match(service.text, /<Name>plain<\/Name>/);
  });
});
