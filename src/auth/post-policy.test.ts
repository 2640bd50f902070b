// Browser POST uploads: policies signed by @aws-sdk/s3-presigned-post and by
// botocore's generate_presigned_post (SigV4 and SigV2), sent as real
// multipart/form-data (built by the platform's FormData), verified by
// readPostObject; then every way S3 refuses one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Error } from '../s3/errors.ts';
import { readPostObject, type PostObjectUpload } from './post-policy.ts';
import { ACCESS_KEY, lookupSecret, rejectsWith, SECRET_KEY } from './test-support.ts';

const run = promisify(execFile);
const env = { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
const options = (now = new Date()): { lookupSecret: typeof lookupSecret; now: Date; region: string } => ({ lookupSecret, now, region: 'us-east-1' });

type Fields = Record<string, string>;

async function botocorePost(version: 'v4' | 'v2'): Promise<Fields> {
  const { stdout } = await run('python3', [join(import.meta.dirname, 'botocore_signers.py'), 'post', 'bkt', version], { env });
  return (JSON.parse(stdout) as { fields: Fields }).fields;
}

/** A multipart/form-data request body as a browser would send it: the fields, then the file, then `after`. */
async function form(fields: Fields, file: { name: string; data: string | Buffer; type?: string } | undefined, after: Fields = {}): Promise<{ headers: Record<string, string>; body: Readable }> {
  const fd = new FormData();
  for (const [name, value] of Object.entries(fields)) fd.append(name, value);
  if (file !== undefined) fd.append('file', new Blob([file.data], { type: file.type ?? 'text/plain' }), file.name);
  for (const [name, value] of Object.entries(after)) fd.append(name, value);
  const response = new Response(fd);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { headers: { 'content-type': response.headers.get('content-type') ?? '' }, body: Readable.from([bytes]) };
}

async function post(fields: Fields, file: { name: string; data: string | Buffer } = { name: 'hello.txt', data: 'hello, world' }, now?: Date, bucket = 'bkt'): Promise<{ upload: PostObjectUpload; data: Buffer }> {
  const { headers, body } = await form(fields, file);
  const upload = await readPostObject({ bucket, headers, body }, options(now));
  const chunks: Buffer[] = [];
  for await (const chunk of upload.file) chunks.push(chunk as Buffer);
  return { upload, data: Buffer.concat(chunks) };
}

async function refused(fields: Fields, code: Parameters<typeof rejectsWith>[1], file?: { name: string; data: string | Buffer }, now?: Date, bucket?: string): Promise<S3Error> {
  return rejectsWith(post(fields, file, now, bucket), code);
}

describe('POST policy: real signers', () => {
  for (const version of ['v4', 'v2'] as const) {
    it(`botocore generate_presigned_post (${version}): accepted, \${filename} substituted`, async () => {
      const fields = await botocorePost(version);
      const { upload, data } = await post(fields);
      assert.equal(upload.accessKeyId, ACCESS_KEY);
      assert.equal(upload.signatureVersion, version === 'v4' ? 4 : 2);
      assert.equal(upload.key, 'uploads/hello.txt');
      assert.equal(upload.fields.get('content-type'), 'text/plain');
      assert.equal(upload.fields.get('x-amz-meta-who'), 'me');
      assert.equal(upload.fields.get('success_action_status'), '201');
      assert.equal(upload.filename, 'hello.txt');
      assert.equal(data.toString(), 'hello, world');
    });
  }

  it('@aws-sdk/s3-presigned-post createPresignedPost: accepted; a policy re-signed by nobody is not', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, endpoint: 'http://127.0.0.1:9', forcePathStyle: true });
    const { fields } = await createPresignedPost(client, {
      Bucket: 'bkt', Key: 'docs/${filename}', Expires: 300,
      Conditions: [['starts-with', '$key', 'docs/'], ['content-length-range', 0, 1000], ['starts-with', '$Content-Type', '']],
      Fields: { 'Content-Type': 'application/pdf' },
    });
    client.destroy();
    const { upload } = await post(fields, { name: 'a b.pdf', data: '%PDF' });
    assert.equal(upload.key, 'docs/a b.pdf');
    assert.equal(upload.signatureVersion, 4);
    const policy = JSON.parse(Buffer.from(fields.Policy, 'base64').toString()) as { conditions: unknown[] };
    policy.conditions.push(['content-length-range', 0, 10_000_000]);
    const err = await refused({ ...fields, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') }, 'SignatureDoesNotMatch');
    assert.equal(err.fields.AWSAccessKeyId, ACCESS_KEY);
  });
});

describe('POST policy: refusals', () => {
  it('a wrong or unknown key', async () => {
    const fields = await botocorePost('v4');
    await rejectsWith((async () => {
      const { headers, body } = await form(fields, { name: 'a', data: 'x' });
      await readPostObject({ bucket: 'bkt', headers, body }, { ...options(), lookupSecret: async () => 'wrong' });
    })(), 'SignatureDoesNotMatch');
    await refused({ ...fields, 'x-amz-credential': fields['x-amz-credential'].replace(ACCESS_KEY, 'AKIDNOBODY') }, 'InvalidAccessKeyId');
    const v2 = await botocorePost('v2');
    await refused({ ...v2, signature: `A${v2.signature.slice(1)}` }, 'SignatureDoesNotMatch');
  });

  it('an expired policy', async () => {
    const fields = await botocorePost('v4');
    const err = await refused(fields, 'AccessDenied', undefined, new Date(Date.now() + 3_600_000));
    assert.equal(err.message, 'Invalid according to Policy: Policy expired.');
  });

  it('a field that breaks a condition, and a field no condition names', async () => {
    const fields = await botocorePost('v4');
    const acl = await refused({ ...fields, acl: 'private' }, 'AccessDenied');
    assert.equal(acl.message, 'Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "public-read"]');
    const key = await refused({ ...fields, key: 'elsewhere/${filename}' }, 'AccessDenied');
    assert.equal(key.message, 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]');
    await refused({ ...fields, 'Content-Type': 'image/png' }, 'AccessDenied');
    await refused({ ...fields, success_action_status: '200' }, 'AccessDenied');
    const extra = await refused({ ...fields, 'x-amz-meta-extra': '1' }, 'AccessDenied');
    assert.equal(extra.message, 'Invalid according to Policy: Extra input fields: x-amz-meta-extra');
    await post({ ...fields, 'x-ignore-tracking': '1' });
  });

  it('a bucket field or URL bucket that contradicts the policy', async () => {
    const fields = await botocorePost('v4');
    const field = await refused({ ...fields, bucket: 'other' }, 'InvalidArgument');
    assert.equal(field.fields.ArgumentName, 'bucket');
    const url = await refused(fields, 'AccessDenied', undefined, undefined, 'other');
    assert.equal(url.message, 'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "bkt"]');
    await post({ ...fields, bucket: 'bkt' });
  });

  it('content-length-range is enforced on the file as it streams', async () => {
    const fields = await botocorePost('v4');
    const big = await refused(fields, 'EntityTooLarge', { name: 'big', data: Buffer.alloc(65, 'x') });
    assert.equal(big.fields.MaxSizeAllowed, '64');
    const small = await refused(fields, 'EntityTooSmall', { name: 'empty', data: '' });
    assert.equal(small.fields.MinSizeAllowed, '1');
    await post(fields, { name: 'ok', data: Buffer.alloc(64, 'x') });
  });

  it('malformed forms: no file, no key, no signature, truncated, not multipart, oversized fields', async () => {
    const fields = await botocorePost('v4');
    await rejectsWith((async () => {
      const { headers, body } = await form(fields, undefined);
      await readPostObject({ bucket: 'bkt', headers, body }, options());
    })(), 'IncorrectNumberOfFilesInPostRequest');
    const { key: _key, ...noKey } = fields;
    const missing = await refused(noKey, 'InvalidArgument');
    assert.equal(missing.fields.ArgumentName, 'key');
    const { 'x-amz-signature': _sig, 'x-amz-algorithm': _alg, 'x-amz-credential': _cred, ...unsigned } = fields;
    await refused(unsigned, 'InvalidArgument');
    const { headers, body } = await form(fields, { name: 'a', data: 'abc' });
    const bytes = Buffer.concat(await body.toArray() as Buffer[]);
    await rejectsWith((async () => {
      const upload = await readPostObject({ bucket: 'bkt', headers, body: Readable.from([bytes.subarray(0, bytes.length - 10)]) }, options());
      for await (const _ of upload.file) { /* drain */ }
    })(), 'MalformedPOSTRequest');
    await rejectsWith(readPostObject({ bucket: 'bkt', headers: { 'content-type': 'application/json' }, body: Readable.from([bytes]) }, options()), 'MalformedPOSTRequest');
    await refused({ ...fields, 'x-ignore-pad': 'p'.repeat(25_000) }, 'MaxPostPreDataLengthExceededError');
  });

  it('fields after the file are ignored; a form with no policy is anonymous', async () => {
    const fields = await botocorePost('v4');
    const { headers, body } = await form(fields, { name: 'f', data: 'abc' }, { 'x-amz-meta-late': 'ignored' });
    const upload = await readPostObject({ bucket: 'bkt', headers, body }, options());
    assert.equal(upload.fields.has('x-amz-meta-late'), false);
    for await (const _ of upload.file) { /* drain */ }
    const { upload: anonymous } = await post({ key: 'public/${filename}', acl: 'public-read-write' });
    assert.equal(anonymous.accessKeyId, undefined);
    assert.equal(anonymous.key, 'public/hello.txt');
  });
});
