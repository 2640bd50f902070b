// Authorization in sigv4 mode, through @aws-sdk/client-s3 signed with real
// users' keys: owners, other users, anonymous callers and the root user
// against private and public-read-write buckets, bucket policies (a Deny that
// beats the owner, Allow with aws:SourceIp), DeleteObjects' per-key answers,
// copy sources, and the CORS preflight that needs no credentials.
import {
  CopyObjectCommand, CreateBucketCommand, DeleteBucketPolicyCommand, DeleteObjectsCommand, GetObjectCommand,
  HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketCorsCommand, PutBucketPolicyCommand,
  PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT, addUser, startSigv4Server, type Keys } from './auth-helpers.ts';
import { raw, s3Error, xmlText, type TestServer } from './harness.ts';

async function denied(promise: Promise<unknown>, what: string): Promise<void> {
  const err = await s3Error(promise);
  assert.equal(err.name, 'AccessDenied', `${what}: ${err.name} ${err.message}`);
  assert.equal(err.$metadata.httpStatusCode, 403, what);
}

function policy(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

describe('sigv4 mode: who may do what', () => {
  let s: TestServer;
  let root: S3Client;
  let alice: S3Client;
  let bob: S3Client;
  let bobKeys: Keys;
  before(async () => {
    s = await startSigv4Server();
    root = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey);
    const aliceKeys = await addUser(s.url, 'alice');
    bobKeys = await addUser(s.url, 'bob');
    alice = s.signedClient(aliceKeys.accessKeyId, aliceKeys.secretAccessKey);
    bob = s.signedClient(bobKeys.accessKeyId, bobKeys.secretAccessKey);
    await alice.send(new CreateBucketCommand({ Bucket: 'alices' }));
    await alice.send(new PutObjectCommand({ Bucket: 'alices', Key: 'private.txt', Body: 'alice only' }));
    await bob.send(new CreateBucketCommand({ Bucket: 'bobs' }));
  });
  after(async () => { await s.stop(); });

  it('another user\'s bucket is AccessDenied for every kind of access; 404s are only for those who may list', async () => {
    await denied(bob.send(new GetObjectCommand({ Bucket: 'alices', Key: 'private.txt' })), 'GetObject');
    // HEAD answers have no body: the status is all there is.
    assert.equal((await s3Error(bob.send(new HeadObjectCommand({ Bucket: 'alices', Key: 'private.txt' })))).$metadata.httpStatusCode, 403);
    await denied(bob.send(new ListObjectsV2Command({ Bucket: 'alices' })), 'ListObjectsV2');
    await denied(bob.send(new PutObjectCommand({ Bucket: 'alices', Key: 'from-bob.txt', Body: 'x' })), 'PutObject');
    // A missing key: 403 to bob (no s3:ListBucket), 404 to alice.
    await denied(bob.send(new GetObjectCommand({ Bucket: 'alices', Key: 'missing' })), 'GetObject of a missing key');
    assert.equal((await s3Error(alice.send(new GetObjectCommand({ Bucket: 'alices', Key: 'missing' })))).name, 'NoSuchKey');
    // A missing bucket is NoSuchBucket to everyone.
    assert.equal((await s3Error(bob.send(new ListObjectsV2Command({ Bucket: 'nobody-has-this' })))).name, 'NoSuchBucket');
    const got = await alice.send(new GetObjectCommand({ Bucket: 'alices', Key: 'private.txt' }));
    assert.equal(await got.Body?.transformToString(), 'alice only');
  });

  it('ListBuckets lists the caller\'s own buckets; the root user sees them all and may read anything', async () => {
    assert.deepEqual((await alice.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['alices']);
    assert.deepEqual((await bob.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['bobs']);
    const all = (await root.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name).sort();
    assert.deepEqual(all?.filter((n) => n === 'alices' || n === 'bobs'), ['alices', 'bobs']);
    const got = await root.send(new GetObjectCommand({ Bucket: 'alices', Key: 'private.txt' }));
    assert.equal(await got.Body?.transformToString(), 'alice only');
  });

  it('anonymous requests: refused on private buckets, allowed by public-read-write', async () => {
    const put = await raw(s.url, 'PUT', '/alices/anon.txt', { body: 'anonymous' });
    assert.equal(put.status, 403);
    assert.equal(xmlText(put.text, 'Code'), 'AccessDenied');
    assert.equal(xmlText(put.text, 'Message'), 'Access Denied');
    assert.equal((await raw(s.url, 'GET', '/alices/private.txt')).status, 403);
    assert.equal((await raw(s.url, 'GET', '/')).status, 403, 'anonymous ListBuckets');
    assert.equal((await raw(s.url, 'PUT', '/anon-made')).status, 403, 'anonymous CreateBucket');

    await alice.send(new CreateBucketCommand({ Bucket: 'alices-public', ACL: 'public-read-write' }));
    const okPut = await raw(s.url, 'PUT', '/alices-public/anon.txt', { body: 'anonymous' });
    assert.equal(okPut.status, 200, okPut.text);
    const okGet = await raw(s.url, 'GET', '/alices-public?list-type=2');
    assert.equal(okGet.status, 200);
    assert.equal(xmlText(okGet.text, 'Key'), 'anon.txt');
    // The bucket owner keeps full control of what anonymous wrote.
    const read = await alice.send(new GetObjectCommand({ Bucket: 'alices-public', Key: 'anon.txt' }));
    assert.equal(await read.Body?.transformToString(), 'anonymous');
  });

  it('a bucket policy Deny beats the owner; the owner can still remove the policy', async () => {
    await alice.send(new CreateBucketCommand({ Bucket: 'alices-locked' }));
    await alice.send(new PutObjectCommand({ Bucket: 'alices-locked', Key: 'secret/a.txt', Body: 'a' }));
    await alice.send(new PutObjectCommand({ Bucket: 'alices-locked', Key: 'open/b.txt', Body: 'b' }));
    await alice.send(new PutBucketPolicyCommand({
      Bucket: 'alices-locked',
      Policy: policy({ Effect: 'Deny', Principal: '*', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::alices-locked/secret/*' }),
    }));
    await denied(alice.send(new GetObjectCommand({ Bucket: 'alices-locked', Key: 'secret/a.txt' })), 'owner GetObject under Deny');
    await denied(root.send(new GetObjectCommand({ Bucket: 'alices-locked', Key: 'secret/a.txt' })), 'root GetObject under Deny');
    const open = await alice.send(new GetObjectCommand({ Bucket: 'alices-locked', Key: 'open/b.txt' }));
    assert.equal(await open.Body?.transformToString(), 'b');
    // DeleteObjects: each key is answered on its own.
    const result = await alice.send(new DeleteObjectsCommand({ Bucket: 'alices-locked', Delete: { Objects: [{ Key: 'secret/a.txt' }, { Key: 'open/b.txt' }] } }));
    assert.deepEqual(result.Deleted?.map((d) => d.Key), ['open/b.txt']);
    assert.deepEqual(result.Errors?.map((e) => [e.Key, e.Code, e.Message]), [['secret/a.txt', 'AccessDenied', 'Access Denied']]);
    await alice.send(new DeleteBucketPolicyCommand({ Bucket: 'alices-locked' }));
    const unlocked = await alice.send(new GetObjectCommand({ Bucket: 'alices-locked', Key: 'secret/a.txt' }));
    assert.equal(await unlocked.Body?.transformToString(), 'a');
  });

  it('a policy Allow with aws:SourceIp lets another user in only from the named addresses', async () => {
    await alice.send(new CreateBucketCommand({ Bucket: 'alices-ip' }));
    await alice.send(new PutObjectCommand({ Bucket: 'alices-ip', Key: 'x.txt', Body: 'ip' }));
    const allowFrom = (cidr: string): string => policy({
      Effect: 'Allow', Principal: { AWS: ['bob'] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::alices-ip/*',
      Condition: { IpAddress: { 'aws:SourceIp': cidr } },
    });
    await alice.send(new PutBucketPolicyCommand({ Bucket: 'alices-ip', Policy: allowFrom('10.0.0.0/8') }));
    await denied(bob.send(new GetObjectCommand({ Bucket: 'alices-ip', Key: 'x.txt' })), 'from outside 10/8');
    await alice.send(new PutBucketPolicyCommand({ Bucket: 'alices-ip', Policy: allowFrom('127.0.0.0/8') }));
    const got = await bob.send(new GetObjectCommand({ Bucket: 'alices-ip', Key: 'x.txt' }));
    assert.equal(await got.Body?.transformToString(), 'ip');
    // Only GetObject was granted.
    await denied(bob.send(new ListObjectsV2Command({ Bucket: 'alices-ip' })), 'ListObjectsV2 not granted');
  });

  it('CopyObject needs read on the source as well as write on the destination', async () => {
    await denied(bob.send(new CopyObjectCommand({ Bucket: 'bobs', Key: 'stolen.txt', CopySource: 'alices/private.txt' })), 'copy from a private source');
    await denied(bob.send(new CopyObjectCommand({ Bucket: 'alices', Key: 'copy.txt', CopySource: 'alices/private.txt' })), 'copy into a private destination');
    await alice.send(new PutBucketPolicyCommand({
      Bucket: 'alices',
      Policy: policy({ Effect: 'Allow', Principal: { AWS: 'bob' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::alices/private.txt' }),
    }));
    await bob.send(new CopyObjectCommand({ Bucket: 'bobs', Key: 'shared.txt', CopySource: 'alices/private.txt' }));
    const copy = await bob.send(new GetObjectCommand({ Bucket: 'bobs', Key: 'shared.txt' }));
    assert.equal(await copy.Body?.transformToString(), 'alice only');
    await alice.send(new DeleteBucketPolicyCommand({ Bucket: 'alices' }));
  });

  it('the CORS preflight needs no credentials; the actual request still does', async () => {
    await alice.send(new PutBucketCorsCommand({
      Bucket: 'alices', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET'] }] },
    }));
    const preflight = await raw(s.url, 'OPTIONS', '/alices/private.txt', {
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
    const actual = await raw(s.url, 'GET', '/alices/private.txt', { headers: { Origin: 'https://app.example' } });
    assert.equal(actual.status, 403);
    assert.equal(actual.headers['access-control-allow-origin'], 'https://app.example', 'the refusal carries the CORS headers');
  });
});
