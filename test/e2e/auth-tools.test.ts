// sigv4 mode with the other real signing clients: the aws cli (botocore's
// SigV4, with its default checksums; a 20 MiB file goes multipart) with a
// user's real keys, its presigned URLs, and a wrong secret; and boto3 signing
// with SigV2 (HmacV1Auth header and query auth, as boto 2 and s3cmd do).
import { GetObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, addUser, startSigv4Server, type Keys } from './auth-helpers.ts';
import { AWS_SKIP, AwsCli } from './awscli.ts';
import { hasBoto3, type TestServer } from './harness.ts';

describe('sigv4 mode with the aws cli', { skip: AWS_SKIP }, () => {
  let s: TestServer;
  let aws: AwsCli;
  let keys: Keys;
  let work: string;
  before(async () => {
    s = await startSigv4Server();
    keys = await addUser(s.url, 'cliuser');
    aws = await AwsCli.create(s.url, keys);
    work = await mkdtemp(join(tmpdir(), 'strata-auth-awscli-'));
  });
  after(async () => {
    aws?.close();
    if (work) rmSync(work, { recursive: true, force: true });
    await s?.stop();
  });

  it('mb, cp up (small and multipart), ls and cp down with real keys', async () => {
    assert.equal(await aws.ok(['s3', 'mb', 's3://cli-signed']), 'make_bucket: cli-signed\n');
    const big = randomBytes(20 * 1024 * 1024);
    writeFileSync(join(work, 'big.bin'), big);
    writeFileSync(join(work, 'small.txt'), 'small and signed\n');
    await aws.ok(['s3', 'cp', 'small.txt', 's3://cli-signed/small.txt', '--no-progress'], { cwd: work });
    await aws.ok(['s3', 'cp', 'big.bin', 's3://cli-signed/big.bin', '--no-progress'], { cwd: work, timeoutMs: 120_000 });
    const ls = await aws.ok(['s3', 'ls', 's3://cli-signed/']);
    assert.match(ls, / 20971520 big\.bin\n/);
    assert.match(ls, / 17 small\.txt\n/);
    await aws.ok(['s3', 'cp', 's3://cli-signed/big.bin', 'back.bin', '--no-progress'], { cwd: work, timeoutMs: 120_000 });
    const back = execFileSync('sha256sum', [join(work, 'back.bin')]).toString().split(' ')[0];
    assert.equal(back, createHash('sha256').update(big).digest('hex'));
    const root = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey);
    const head = await root.send(new GetObjectCommand({ Bucket: 'cli-signed', Key: 'small.txt' }));
    assert.equal(await head.Body?.transformToString(), 'small and signed\n');
  });

  it('aws s3 presign makes a URL that works', async () => {
    const url = (await aws.ok(['s3', 'presign', 's3://cli-signed/small.txt', '--expires-in', '300'])).trim();
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'small and signed\n');
  });

  it('a wrong secret fails with SignatureDoesNotMatch; another user\'s bucket with AccessDenied', async () => {
    const wrong = await AwsCli.create(s.url, { accessKeyId: keys.accessKeyId, secretAccessKey: 'wrong-secret-entirely' });
    try {
      const r = await wrong.run(['s3api', 'list-objects-v2', '--bucket', 'cli-signed']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /SignatureDoesNotMatch/);
    } finally {
      wrong.close();
    }
    const other = await addUser(s.url, 'cliother');
    const otherCli = await AwsCli.create(s.url, other);
    try {
      const r = await otherCli.run(['s3', 'ls', 's3://cli-signed/']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /AccessDenied/);
    } finally {
      otherCli.close();
    }
  });
});

describe('sigv4 mode with a SigV2 client (boto3, HmacV1Auth)', { skip: hasBoto3() ? false : 'python3 with boto3 is not installed' }, () => {
  let s: TestServer;
  before(async () => { s = await startSigv4Server(); });
  after(async () => { await s.stop(); });

  it('header and query (presigned) SigV2 verify; a wrong secret and a tampered URL do not', async () => {
    const keys = await addUser(s.url, 'v2user');
    const script = new URL('./auth_sigv2_client.py', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)('python3', [script, s.url, 'v2-bucket'], {
      timeout: 120_000,
      env: { ...process.env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    const out = JSON.parse(stdout) as {
      get: { body: string; meta: Record<string, string>; type: string }; list: string[]; acl_owner: string;
      presigned_has_v2: boolean; presigned: { status: number; body: string }; tampered: number; wrong_secret: string;
    };
    assert.deepEqual(out.get, { body: 'signed with v2', meta: { via: 'hmacv1' }, type: 'text/plain' });
    assert.deepEqual(out.list, ['v2/a b+c.txt']);
    assert.equal(out.acl_owner, 'v2user');
    assert.equal(out.presigned_has_v2, true);
    assert.deepEqual(out.presigned, { status: 200, body: 'signed with v2' });
    assert.equal(out.tampered, 403);
    assert.equal(out.wrong_secret, 'SignatureDoesNotMatch');
  });
});
