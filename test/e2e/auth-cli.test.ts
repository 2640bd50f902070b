// The CLI against a sigv4 server, run as a child process as users run it:
// `strata user add|list|rm|rotate` signed with the root's keys (users it
// creates then work with @aws-sdk/client-s3, a rotated or removed key stops
// working at once), the FS API authorized per user, and the server refusing
// to start on a non-loopback address without sigv4. Also the users API in
// simple mode: the default user, from loopback, only.
import { CreateBucketCommand, ListBucketsCommand, PutBucketPolicyCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ROOT, type Keys, signedRaw, startSigv4Server } from './auth-helpers.ts';
import { raw, runChild, startTestServer, type ChildRun, type TestServer } from './harness.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(REPO, 'node_modules', '.bin', 'node');

type Run = ChildRun;

/** Runs a node script of the repo with exactly the auth variables given (none inherited). */
function runNode(args: string[], env: Record<string, string>): Promise<Run> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of ['STRATA_ENDPOINT', 'STRATA_USER', 'STRATA_ACCESS_KEY', 'STRATA_SECRET_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'STRATA_AUTH', 'STRATA_HOST']) delete base[name];
  return runChild(NODE, ['--disable-warning=ExperimentalWarning', ...args], { cwd: REPO, env: { ...base, ...env } });
}

function keysIn(output: string): Keys {
  const accessKeyId = /^Access key: (\S+)$/m.exec(output)?.[1];
  const secretAccessKey = /^Secret key: (\S+)$/m.exec(output)?.[1];
  assert.ok(accessKeyId && secretAccessKey, `no keys in: ${output}`);
  return { accessKeyId, secretAccessKey };
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return err.name;
    throw err;
  }
  return 'no error';
}

describe('strata user and the FS API against a sigv4 server', () => {
  let s: TestServer;
  const as = (keys: Keys | undefined, args: string[], extra: Record<string, string> = {}): Promise<Run> => runNode(['bin/strata.js', ...args], {
    STRATA_ENDPOINT: s.url, ...(keys ? { STRATA_ACCESS_KEY: keys.accessKeyId, STRATA_SECRET_KEY: keys.secretAccessKey } : {}), ...extra,
  });
  before(async () => { s = await startSigv4Server(); });
  after(async () => { await s.stop(); });

  it('user add prints generated keys once; they work with the SDK; user list shows no secrets', async () => {
    const added = await as(ROOT, ['user', 'add', 'carol']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^Created user carol\nAccess key: SK[A-Z2-7]{18}\nSecret key: [A-Za-z0-9_-]{40}\nThe secret key is shown only now/);
    const carol = keysIn(added.stdout);
    const c = s.signedClient(carol.accessKeyId, carol.secretAccessKey);
    await c.send(new CreateBucketCommand({ Bucket: 'carols' }));
    await c.send(new PutObjectCommand({ Bucket: 'carols', Key: 'k.txt', Body: 'by carol' }));
    const listed = await as(ROOT, ['user', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME +ROLE +CREATED +ACCESS KEYS\n/);
    assert.match(listed.stdout, new RegExp(`^carol +user +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +${carol.accessKeyId}$`, 'm'));
    assert.match(listed.stdout, new RegExp(`^root +root .* ${ROOT.accessKeyId}$`, 'm'));
    assert.ok(!listed.stdout.includes(carol.secretAccessKey), 'no secret in the listing');
  });

  it('user add takes given keys; user rotate replaces them and the old key stops working', async () => {
    const given = { accessKeyId: 'DAVEKEY0000000000001', secretAccessKey: 'dave-own-secret-0123456789' };
    const added = await as(ROOT, ['user', 'add', 'dave', '--access-key', given.accessKeyId, '--secret-key', given.secretAccessKey]);
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(keysIn(added.stdout), given);
    assert.ok(!added.stdout.includes('shown only now'), 'nothing was generated');
    const old = s.signedClient(given.accessKeyId, given.secretAccessKey);
    await old.send(new ListBucketsCommand({}));
    const rotated = await as(ROOT, ['user', 'rotate', 'dave']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^New key for dave\n/);
    const fresh = keysIn(rotated.stdout);
    assert.notEqual(fresh.accessKeyId, given.accessKeyId);
    assert.equal(await errorName(old.send(new ListBucketsCommand({}))), 'InvalidAccessKeyId');
    const now = s.signedClient(fresh.accessKeyId, fresh.secretAccessKey);
    assert.deepEqual((await now.send(new ListBucketsCommand({}))).Buckets, []);
  });

  it('only root manages users; user rm removes a user and its keys at once; root cannot be removed', async () => {
    const eve = keysIn((await as(ROOT, ['user', 'add', 'eve'])).stdout);
    const byEve = await as(eve, ['user', 'add', 'mallory']);
    assert.deepEqual([byEve.code, byEve.stderr], [1, 'strata: Only the root user may manage users.\n']);
    const anonymous = await as(undefined, ['user', 'list']);
    assert.equal(anonymous.code, 1);
    const removed = await as(ROOT, ['user', 'rm', 'eve']);
    assert.deepEqual([removed.code, removed.stdout], [0, 'Removed user eve\n']);
    assert.equal(await errorName(s.signedClient(eve.accessKeyId, eve.secretAccessKey).send(new ListBucketsCommand({}))), 'InvalidAccessKeyId');
    const rootRm = await as(ROOT, ['user', 'rm', 'root']);
    assert.equal(rootRm.code, 1);
    assert.match(rootRm.stderr, /root user; it cannot be removed/);
    const reserved = await as(ROOT, ['user', 'add', 'anonymous']);
    assert.equal(reserved.code, 1);
    const usage = await as(ROOT, ['user', 'list', '--access-key', 'X']);
    assert.equal(usage.code, 2);
  });

  it('the FS API authorizes per user: ls / shows own buckets, others\' files and admin actions are refused', async () => {
    const frank = keysIn((await as(ROOT, ['user', 'add', 'frank'])).stdout);
    assert.equal((await as(ROOT, ['fs', 'mkdir', '/roots'])).code, 0);
    assert.equal((await signedRaw(s.url, ROOT, 'PUT', '/roots/secret.txt', { body: Buffer.from('root data') })).status, 200);
    const mkdir = await as(frank, ['fs', 'mkdir', '/franks']);
    assert.equal(mkdir.code, 0, mkdir.stderr);
    const write = await as(frank, ['fs', 'mkdir', '/franks/docs']);
    assert.equal(write.code, 0, write.stderr);
    const mine = await as(frank, ['fs', 'ls', '/']);
    assert.deepEqual(mine.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(' ').at(-1)), ['/franks']);
    const all = await as(ROOT, ['fs', 'ls', '/']);
    for (const bucket of ['/franks', '/roots', '/carols']) assert.match(all.stdout, new RegExp(` ${bucket}$`, 'm'));
    const cat = await as(frank, ['fs', 'cat', '/roots/secret.txt']);
    assert.equal(cat.code, 1);
    assert.match(cat.stderr, /Access Denied/);
    assert.equal((await as(ROOT, ['fs', 'cat', '/roots/secret.txt'])).stdout, 'root data');
    const mounts = await as(frank, ['fs', 'mounts']);
    assert.equal(mounts.code, 1);
    assert.match(mounts.stderr, /Access Denied/);
    assert.equal((await as(ROOT, ['fs', 'mounts'])).code, 0);
    // AWS_* keys are the fallback; a wrong secret is refused.
    const viaAws = await as(undefined, ['fs', 'ls', '/'], { AWS_ACCESS_KEY_ID: frank.accessKeyId, AWS_SECRET_ACCESS_KEY: frank.secretAccessKey });
    assert.equal(viaAws.code, 0, viaAws.stderr);
    const wrong = await as({ accessKeyId: frank.accessKeyId, secretAccessKey: 'not-franks-secret' }, ['fs', 'ls', '/franks']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /signature we calculated does not match/);
  });

  it('a recursive fs rm is authorized key by key: a policy Deny stops it', async () => {
    assert.equal((await as(ROOT, ['fs', 'mkdir', '/guarded'])).code, 0);
    for (const key of ['dir/a.txt', 'dir/keep/b.txt']) {
      assert.equal((await signedRaw(s.url, ROOT, 'PUT', `/guarded/${key}`, { body: Buffer.from(key) })).status, 200);
    }
    const root = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey);
    await root.send(new PutBucketPolicyCommand({
      Bucket: 'guarded',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::guarded/dir/keep/*' }] }),
    }));
    const removed = await as(ROOT, ['fs', 'rm', '-R', '/guarded/dir']);
    assert.equal(removed.code, 1);
    assert.match(removed.stderr, /Access Denied/);
    assert.equal((await signedRaw(s.url, ROOT, 'GET', '/guarded/dir/keep/b.txt')).status, 200);
  });
});

describe('starting and the users API outside sigv4', () => {
  it('refuses a non-loopback bind without sigv4, naming the flag that opts out', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-refuse-'));
    try {
      const r = await runNode(['src/main.ts', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir], {});
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--insecure-simple-auth/);
      assert.match(r.stderr, /--auth sigv4/);
      assert.equal(r.stdout, '');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('simple mode: the users API is for the default user only', async () => {
    const s = await startTestServer();
    try {
      const asDefault = await raw(s.url, 'POST', '/api/v1/admin/users', { body: JSON.stringify({ name: 'gina', secretKey: 'gina-secret-0123456789' }) });
      assert.equal(asDefault.status, 200, asDefault.text);
      assert.equal(JSON.parse(asDefault.text).secretKey, 'gina-secret-0123456789');
      const asOther = await raw(s.url, 'GET', '/api/v1/admin/users', { headers: { Authorization: 'AWS gina:' } });
      assert.equal(asOther.status, 403);
      assert.equal(JSON.parse(asOther.text).error, 'AccessDenied');
      const list = await raw(s.url, 'GET', '/api/v1/admin/users');
      assert.deepEqual((JSON.parse(list.text) as { users: Array<{ name: string }> }).users.map((u) => u.name), ['gina']);
    } finally {
      await s.stop();
    }
  });
});
