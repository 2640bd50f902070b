// The aws cli's high-level `aws s3` commands end to end against a real server:
// mb, cp up and down (small, and 100 MiB, which the cli sends multipart), ls,
// sync up, again after a change and down, rm --recursive and rb. Output lines
// are asserted exactly where the cli prints them stably (dates aside).
// s3api calls are in awscli-s3api.test.ts.
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createChecksum } from '../../src/util/checksums.ts';
import { AWS_SKIP, AwsCli, sortedLines, withoutDates } from './awscli.ts';
import { startTestServer, type TestServer } from './harness.ts';

const MiB = 1024 * 1024;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under dir, as relative path -> content. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[relative(dir, join(entry.parentPath, entry.name))] = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

describe('aws cli: aws s3', { skip: AWS_SKIP }, () => {
  let s: TestServer;
  let aws: AwsCli;
  let work: string;
  before(async () => {
    s = await startTestServer();
    aws = await AwsCli.create(s.url);
    work = await mkdtemp(join(tmpdir(), 'strata-awscli-'));
  });
  after(async () => {
    aws?.close();
    if (work) rmSync(work, { recursive: true, force: true });
    await s?.stop();
  });

  it('mb, then cp a small file up and down', async () => {
    assert.equal(await aws.ok(['s3', 'mb', 's3://cli-basic']), 'make_bucket: cli-basic\n');
    writeFileSync(join(work, 'small.txt'), 'hello from the aws cli\n');
    assert.equal(await aws.ok(['s3', 'cp', 'small.txt', 's3://cli-basic/dir/small.txt', '--no-progress'], { cwd: work }),
      'upload: ./small.txt to s3://cli-basic/dir/small.txt\n');
    const head = await s.client().send(new HeadObjectCommand({ Bucket: 'cli-basic', Key: 'dir/small.txt', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ContentLength, 23);
    assert.equal(head.ContentType, 'text/plain', 'the cli guesses the type from the extension');
    assert.equal(head.ETag, `"${createHash('md5').update('hello from the aws cli\n').digest('hex')}"`);
    if (aws.sendsChecksumsByDefault) {
      // Recent clis send x-amz-checksum-crc32 with every upload; it is checked and kept.
      const crc = createChecksum('CRC32');
      crc.update(Buffer.from('hello from the aws cli\n'));
      assert.equal(head.ChecksumCRC32, crc.digest(), `${aws.version} sends CRC32 by default`);
    }
    assert.equal(await aws.ok(['s3', 'cp', 's3://cli-basic/dir/small.txt', 'down.txt', '--no-progress'], { cwd: work }),
      'download: s3://cli-basic/dir/small.txt to ./down.txt\n');
    assert.equal(readFileSync(join(work, 'down.txt'), 'utf8'), 'hello from the aws cli\n');
    assert.equal(await aws.ok(['s3', 'cp', 's3://cli-basic/dir/small.txt', '-']), 'hello from the aws cli\n');
  });

  it('cp of a 100 MiB file goes multipart and comes back byte for byte', { timeout: 300_000 }, async () => {
    const path = join(work, 'big.bin');
    const out = createWriteStream(path);
    const partHashes: Hash[] = [];
    for (let i = 0; i < 100; i++) {
      const chunk = randomBytes(MiB);
      // 8 MiB parts (the cli's default chunk size): 12 full ones and a 4 MiB tail.
      if (i % 8 === 0) partHashes.push(createHash('md5'));
      partHashes[partHashes.length - 1].update(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const partDigests = partHashes.map((h) => h.digest());
    const multipartETag = `"${createHash('md5').update(Buffer.concat(partDigests)).digest('hex')}-13"`;
    const sent = await sha256File(path);

    assert.equal(await aws.ok(['s3', 'mb', 's3://cli-big']), 'make_bucket: cli-big\n');
    assert.equal(await aws.ok(['s3', 'cp', 'big.bin', 's3://cli-big/data/big.bin', '--no-progress'], { cwd: work, timeoutMs: 240_000 }),
      'upload: ./big.bin to s3://cli-big/data/big.bin\n');
    const head = await s.client().send(new HeadObjectCommand({ Bucket: 'cli-big', Key: 'data/big.bin' }));
    assert.equal(head.ContentLength, 100 * MiB);
    assert.equal(head.ETag, multipartETag, 'uploaded as 13 parts of 8 MiB');
    assert.equal(await aws.ok(['s3', 'cp', 's3://cli-big/data/big.bin', 'big.down', '--no-progress'], { cwd: work, timeoutMs: 240_000 }),
      'download: s3://cli-big/data/big.bin to ./big.down\n');
    assert.equal(await sha256File(join(work, 'big.down')), sent);
    rmSync(path);
    rmSync(join(work, 'big.down'));
  });

  it('ls lists buckets, a prefix, and everything recursively (paged)', async () => {
    assert.equal(await aws.ok(['s3', 'mb', 's3://cli-ls']), 'make_bucket: cli-ls\n');
    const c = s.client();
    for (const [key, body] of [['a.txt', 'a'], ['dir/b.txt', 'bb'], ['dir/sub/c.txt', 'ccc'], ['dir/sub/d e.txt', 'dddd'], ['z.txt', '']]) {
      await c.send(new PutObjectCommand({ Bucket: 'cli-ls', Key: key, Body: Buffer.from(body) }));
    }
    assert.match(await aws.ok(['s3', 'ls']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d cli-ls$/m);
    assert.equal(withoutDates(await aws.ok(['s3', 'ls', 's3://cli-ls'])), [
      '                           PRE dir/',
      'DATE          1 a.txt',
      'DATE          0 z.txt', ''].join('\n'));
    assert.equal(withoutDates(await aws.ok(['s3', 'ls', 's3://cli-ls/dir/'])), [
      '                           PRE sub/',
      'DATE          2 b.txt', ''].join('\n'));
    assert.equal(await aws.ok(['s3', 'ls', 's3://cli-ls/di']), '                           PRE dir/\n');
    assert.equal(withoutDates(await aws.ok(['s3', 'ls', 's3://cli-ls', '--recursive', '--page-size', '2'])), [
      'DATE          1 a.txt',
      'DATE          2 dir/b.txt',
      'DATE          3 dir/sub/c.txt',
      'DATE          4 dir/sub/d e.txt',
      'DATE          0 z.txt', ''].join('\n'));
    assert.equal(withoutDates(await aws.ok(['s3', 'ls', 's3://cli-ls/dir/sub/', '--recursive'])), [
      'DATE          3 dir/sub/c.txt',
      'DATE          4 dir/sub/d e.txt', ''].join('\n'));
    const missing = await aws.run(['s3', 'ls', 's3://cli-no-such-bucket']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /An error occurred \(NoSuchBucket\) when calling the ListObjectsV2 operation: The specified bucket does not exist/);
  });

  it('sync uploads a tree, then only what changed, and syncs down to an equal tree', async () => {
    const up = join(work, 'tree');
    mkdirSync(join(up, 'a', 'b'), { recursive: true });
    writeFileSync(join(up, 'one.txt'), '1');
    writeFileSync(join(up, 'a', 'two.txt'), '22');
    writeFileSync(join(up, 'a', 'b', 'three.txt'), '333');
    writeFileSync(join(up, 'a', 'with space & plus+.txt'), 'special');
    assert.equal(await aws.ok(['s3', 'mb', 's3://cli-sync']), 'make_bucket: cli-sync\n');
    const sync = (args: string[], cwd: string): Promise<string> => aws.ok(['s3', 'sync', ...args, '--no-progress'], { cwd });

    assert.deepEqual(sortedLines(await sync(['.', 's3://cli-sync/tree/'], up)), [
      'upload: ./one.txt to s3://cli-sync/tree/one.txt',
      'upload: a/b/three.txt to s3://cli-sync/tree/a/b/three.txt',
      'upload: a/two.txt to s3://cli-sync/tree/a/two.txt',
      'upload: a/with space & plus+.txt to s3://cli-sync/tree/a/with space & plus+.txt',
    ]);
    assert.equal(await sync(['.', 's3://cli-sync/tree/'], up), '', 'nothing changed, nothing sent');

    writeFileSync(join(up, 'a', 'two.txt'), 'twenty-two');
    assert.equal(await sync(['.', 's3://cli-sync/tree/', '--dryrun'], up), '(dryrun) upload: a/two.txt to s3://cli-sync/tree/a/two.txt\n');
    assert.equal(await sync(['.', 's3://cli-sync/tree/'], up), 'upload: a/two.txt to s3://cli-sync/tree/a/two.txt\n');
    const got = await s.client().send(new GetObjectCommand({ Bucket: 'cli-sync', Key: 'tree/a/two.txt' }));
    assert.equal(await got.Body?.transformToString(), 'twenty-two');

    rmSync(join(up, 'one.txt'));
    assert.equal(await sync(['.', 's3://cli-sync/tree/', '--delete'], up), 'delete: s3://cli-sync/tree/one.txt\n');

    const down = join(work, 'down');
    mkdirSync(down);
    assert.deepEqual(sortedLines(await sync(['s3://cli-sync/tree/', '.'], down)), [
      'download: s3://cli-sync/tree/a/b/three.txt to a/b/three.txt',
      'download: s3://cli-sync/tree/a/two.txt to a/two.txt',
      'download: s3://cli-sync/tree/a/with space & plus+.txt to a/with space & plus+.txt',
    ]);
    assert.deepEqual(tree(down), tree(up));
    assert.deepEqual(tree(down), { 'a/b/three.txt': '333', 'a/two.txt': 'twenty-two', 'a/with space & plus+.txt': 'special' });
    assert.equal(await sync(['s3://cli-sync/tree/', '.'], down), '', 'the second sync down finds nothing newer');
  });

  it('rb refuses a bucket with objects; rm --recursive empties it; then rb removes it', async () => {
    const refused = await aws.run(['s3', 'rb', 's3://cli-sync']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /remove_bucket failed: s3:\/\/cli-sync An error occurred \(BucketNotEmpty\) when calling the DeleteBucket operation: The bucket you tried to delete is not empty/);
    assert.deepEqual(sortedLines(await aws.ok(['s3', 'rm', 's3://cli-sync', '--recursive'])), [
      'delete: s3://cli-sync/tree/a/b/three.txt',
      'delete: s3://cli-sync/tree/a/two.txt',
      'delete: s3://cli-sync/tree/a/with space & plus+.txt',
    ]);
    assert.equal(await aws.ok(['s3', 'ls', 's3://cli-sync', '--recursive']), '');
    assert.equal(await aws.ok(['s3', 'rb', 's3://cli-sync']), 'remove_bucket: cli-sync\n');
    await assert.rejects(s.client().send(new HeadBucketCommand({ Bucket: 'cli-sync' })), { name: 'NotFound' });
    assert.doesNotMatch(await aws.ok(['s3', 'ls']), / cli-sync$/m);
  });

  it('works with the endpoint under the /api/v1/s3 prefix', async () => {
    const endpoint = `${s.url}/api/v1/s3`;
    assert.equal(await aws.ok(['s3', 'mb', 's3://cli-prefixed'], { endpoint }), 'make_bucket: cli-prefixed\n');
    writeFileSync(join(work, 'p.txt'), 'prefixed');
    assert.equal(await aws.ok(['s3', 'cp', 'p.txt', 's3://cli-prefixed/k/p.txt', '--no-progress'], { cwd: work, endpoint }),
      'upload: ./p.txt to s3://cli-prefixed/k/p.txt\n');
    assert.equal(withoutDates(await aws.ok(['s3', 'ls', 's3://cli-prefixed', '--recursive'], { endpoint })), 'DATE          8 k/p.txt\n');
    assert.equal(await aws.ok(['s3', 'cp', 's3://cli-prefixed/k/p.txt', '-'], { endpoint }), 'prefixed');
  });
});
