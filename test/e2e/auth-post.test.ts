// POST Object (browser form uploads) on a sigv4 server, with forms made by
// @aws-sdk/s3-presigned-post and posted as multipart/form-data by fetch:
// success_action_status 204 / 200 / 201 (PostResponse), success_action_redirect
// (303), stored fields (Content-Type, x-amz-meta-*, acl), policy conditions,
// a tampered policy, a contradicting bucket field, an expired policy, and
// authorization: the signer must be allowed to write the bucket; an unsigned
// form only goes into a public-write bucket.
import { CreateBucketCommand, GetObjectAclCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT, addUser, startSigv4Server } from './auth-helpers.ts';
import { xmlText, type TestServer } from './harness.ts';

interface Posted {
  status: number;
  headers: Headers;
  text: string;
}

async function postForm(url: string, fields: Record<string, string>, file: string, filename = 'upload.txt'): Promise<Posted> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file], { type: 'application/octet-stream' }), filename);
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('POST Object in sigv4 mode', () => {
  let s: TestServer;
  let root: S3Client;
  let bob: S3Client;
  const presign = (client: S3Client, options: PresignedPostOptions): ReturnType<typeof createPresignedPost> => createPresignedPost(client, { Expires: 600, ...options });
  before(async () => {
    s = await startSigv4Server();
    root = s.signedClient(ROOT.accessKeyId, ROOT.secretAccessKey);
    const bobKeys = await addUser(s.url, 'bob');
    bob = s.signedClient(bobKeys.accessKeyId, bobKeys.secretAccessKey);
    await root.send(new CreateBucketCommand({ Bucket: 'forms' }));
    await root.send(new CreateBucketCommand({ Bucket: 'public-drop', ACL: 'public-read-write' }));
  });
  after(async () => { await s.stop(); });

  it('stores the file with the form\'s fields and answers 204 by default', async () => {
    const { url, fields } = await presign(root, {
      Bucket: 'forms', Key: 'uploads/${filename}',
      Fields: { 'Content-Type': 'text/plain', 'x-amz-meta-who': 'browser', acl: 'public-read' },
      Conditions: [['starts-with', '$key', 'uploads/'], ['content-length-range', 1, 100], { acl: 'public-read' }],
    });
    assert.equal(url, `${s.url}/forms`);
    const res = await postForm(url, fields, 'posted by a form', 'note.txt');
    assert.equal(res.status, 204, res.text);
    assert.match(res.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
    assert.equal(res.headers.get('location'), `${s.url}/forms/uploads/note.txt`);
    const got = await root.send(new GetObjectCommand({ Bucket: 'forms', Key: 'uploads/note.txt' }));
    assert.equal(await got.Body?.transformToString(), 'posted by a form');
    assert.equal(got.ContentType, 'text/plain');
    assert.deepEqual(got.Metadata, { who: 'browser' });
    const acl = await root.send(new GetObjectAclCommand({ Bucket: 'forms', Key: 'uploads/note.txt' }));
    assert.ok(acl.Grants?.some((g) => g.Grantee?.URI === 'http://acs.amazonaws.com/groups/global/AllUsers' && g.Permission === 'READ'));
  });

  it('success_action_status 201 answers PostResponse, 200 an empty body; success_action_redirect 303s', async () => {
    const created = await presign(root, { Bucket: 'forms', Key: 'status-201.txt', Fields: { success_action_status: '201' } });
    const res201 = await postForm(created.url, created.fields, '201');
    assert.equal(res201.status, 201);
    assert.match(res201.text, /<PostResponse>/);
    assert.equal(xmlText(res201.text, 'Bucket'), 'forms');
    assert.equal(xmlText(res201.text, 'Key'), 'status-201.txt');
    assert.equal(xmlText(res201.text, 'ETag'), res201.headers.get('etag')?.replaceAll('"', '&quot;'));
    const ok = await presign(root, { Bucket: 'forms', Key: 'status-200.txt', Fields: { success_action_status: '200' } });
    const res200 = await postForm(ok.url, ok.fields, '200');
    assert.deepEqual([res200.status, res200.text], [200, '']);
    const redirect = await presign(root, { Bucket: 'forms', Key: 'redirected.txt', Fields: { success_action_redirect: 'https://app.example/done?x=1' } });
    const res303 = await postForm(redirect.url, redirect.fields, 'redirect');
    assert.equal(res303.status, 303);
    const location = new URL(res303.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, 'https://app.example/done');
    assert.deepEqual([location.searchParams.get('x'), location.searchParams.get('bucket'), location.searchParams.get('key')], ['1', 'forms', 'redirected.txt']);
    assert.match(location.searchParams.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
  });

  it('enforces the policy: conditions, signature, bucket field, expiry', async () => {
    const small = await presign(root, { Bucket: 'forms', Key: 'small.txt', Conditions: [['content-length-range', 1, 4]] });
    const tooLarge = await postForm(small.url, small.fields, 'more than four bytes');
    assert.equal(tooLarge.status, 400);
    assert.equal(xmlText(tooLarge.text, 'Code'), 'EntityTooLarge');
    const other = await postForm(small.url, { ...small.fields, key: 'elsewhere.txt' }, 'x');
    assert.equal(xmlText(other.text, 'Code'), 'AccessDenied', 'a key the policy does not allow');
    const policy = JSON.parse(Buffer.from(small.fields.Policy, 'base64').toString('utf8')) as { conditions: unknown[] };
    policy.conditions = policy.conditions.filter((c) => !Array.isArray(c) || c[0] !== 'content-length-range');
    const forged = await postForm(small.url, { ...small.fields, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') }, 'more than four bytes');
    assert.equal(forged.status, 403);
    assert.equal(xmlText(forged.text, 'Code'), 'SignatureDoesNotMatch');
    const wrongBucket = await postForm(small.url, { ...small.fields, bucket: 'public-drop' }, 'x');
    assert.equal(wrongBucket.status, 400);
    assert.equal(xmlText(wrongBucket.text, 'Code'), 'InvalidArgument');
    const expired = await presign(root, { Bucket: 'forms', Key: 'late.txt', Expires: -60 });
    const late = await postForm(expired.url, expired.fields, 'late');
    assert.equal(late.status, 403);
    assert.equal(xmlText(late.text, 'Code'), 'AccessDenied');
    assert.equal((await root.send(new HeadObjectCommand({ Bucket: 'forms', Key: 'small.txt' })).catch((err: Error) => err.name)), 'NotFound');
  });

  it('authorizes the signer as PutObject; an unsigned form is anonymous', async () => {
    const bobs = await presign(bob, { Bucket: 'forms', Key: 'from-bob.txt' });
    const refused = await postForm(bobs.url, bobs.fields, 'bob writes');
    assert.equal(refused.status, 403);
    assert.equal(xmlText(refused.text, 'Code'), 'AccessDenied');
    const anonymous = await postForm(`${s.url}/forms`, { key: 'anon.txt' }, 'anonymous');
    assert.equal(anonymous.status, 403);
    assert.equal(xmlText(anonymous.text, 'Code'), 'AccessDenied');
    const dropped = await postForm(`${s.url}/public-drop`, { key: 'anon.txt' }, 'anonymous');
    assert.equal(dropped.status, 204, dropped.text);
    const got = await root.send(new GetObjectCommand({ Bucket: 'public-drop', Key: 'anon.txt' }));
    assert.equal(await got.Body?.transformToString(), 'anonymous');
  });
});
