// Mounts: a second storage under a namespace path. A local directory mount
// here; S3 mounts (a second Strata as the remote) in mounts-s3.test.ts.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStrata } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fsApi, raw, startTestServer, type TestServer } from './harness.ts';


describe('mounting a local directory', () => {
  let s: TestServer;
  let c: S3Client;
  let outside: string;
  before(async () => {
    s = await startTestServer(['--metadata-sync-interval', 'always']);
    c = s.client('alice');
    outside = await mkdtemp(join(tmpdir(), 'strata-mounted-'));
    await mkdir(join(outside, 'existing'));
    await writeFile(join(outside, 'existing', 'report.csv'), 'a,b\n1,2\n');
  });
  after(async () => {
    await s.stop();
    await rm(outside, { recursive: true, force: true });
  });

  it('mounts at /bucket/dir, creating the bucket, and lists the mount table', async () => {
    const res = await fsApi(s.url, 'POST', 'mount', '/shared/ext', { uri: `file://${outside}`, options: { 'sync-interval': 'always' } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.path, '/shared/ext');
    const list = await fsApi(s.url, 'GET', 'mounts', '/');
    assert.deepEqual((list.json.mounts as { path: string; uri: string }[]).map((m) => [m.path, m.uri]), [['/shared/ext', `file://${outside}`]]);
  });

  it('shows files that were already in the mounted directory', async () => {
    const listed = await c.send(new ListObjectsV2Command({ Bucket: 'shared', Prefix: 'ext/' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['ext/existing/report.csv']);
    const got = await c.send(new GetObjectCommand({ Bucket: 'shared', Key: 'ext/existing/report.csv' }));
    assert.equal(await got.Body!.transformToString(), 'a,b\n1,2\n');
  });

  it('writes objects under the mount into the mounted directory as plain files', async () => {
    await c.send(new PutObjectCommand({ Bucket: 'shared', Key: 'ext/new/data.bin', Body: 'written through S3' }));
    assert.equal(await readFile(join(outside, 'new', 'data.bin'), 'utf8'), 'written through S3');
    await c.send(new PutObjectCommand({ Bucket: 'shared', Key: 'beside.txt', Body: 'root mount' }));
    assert.equal(await readFile(join(s.dataDir, 'shared', 'beside.txt'), 'utf8'), 'root mount');
  });

  it('refuses to mount on a path that holds objects, or twice, or with unknown options', async () => {
    assert.equal((await fsApi(s.url, 'POST', 'mount', '/shared', { uri: `file://${outside}` })).status, 409);
    assert.equal((await fsApi(s.url, 'POST', 'mount', '/shared/ext', { uri: `file://${outside}` })).status, 409);
    const bad = await fsApi(s.url, 'POST', 'mount', '/other', { uri: `file://${outside}`, options: { colour: 'red' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'InvalidMount');
    assert.equal((await fsApi(s.url, 'POST', 'mount', '/other', { uri: 'ftp://x/y' })).status, 400);
  });

  it('unmounts: the objects leave the namespace, the files stay', async () => {
    assert.equal((await fsApi(s.url, 'DELETE', 'unmount', '/shared/ext')).status, 200);
    const listed = await c.send(new ListObjectsV2Command({ Bucket: 'shared' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['beside.txt']);
    assert.equal(await readFile(join(outside, 'new', 'data.bin'), 'utf8'), 'written through S3');
    assert.equal((await fsApi(s.url, 'DELETE', 'unmount', '/shared/ext')).status, 404);
  });

  it('keeps the mount table, with its secrets sealed, across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-restart-'));
    const start = async () => startStrata(loadConfig(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent'], {}).config);
    try {
      let strata = await start();
      const made = await fsApi(strata.url, 'POST', 'mount', '/kept', { uri: `file://${outside}`, options: { 'sync-interval': 'always' } });
      assert.equal(made.status, 200);
      await strata.close();
      strata = await start();
      try {
        const list = await fsApi(strata.url, 'GET', 'mounts', '/');
        assert.deepEqual((list.json.mounts as { path: string }[]).map((m) => m.path), ['/kept']);
        const got = await raw(strata.url, 'GET', '/kept/existing/report.csv');
        assert.equal(got.text, 'a,b\n1,2\n');
      } finally {
        await strata.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('never prints secret options back', async () => {
    const res = await fsApi(s.url, 'POST', 'mount', '/secretive', { uri: 's3://remote/prefix', options: { endpoint: 'http://127.0.0.1:9', 'access-key': 'AK', 'secret-key': 'do-not-show' } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal((res.json.options as Record<string, string>)['secret-key'], '******');
    const list = await raw(s.url, 'GET', '/api/v1/fs/mounts?path=/');
    assert.doesNotMatch(list.text, /do-not-show/);
    assert.match(list.text, /"access-key":"AK"/);
  });
});
