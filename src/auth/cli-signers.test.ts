// Requests signed by the aws CLI (v1, botocore) and by botocore's SigV2
// signers (HmacV1Auth / HmacV1QueryAuth, as boto 2 and s3cmd sign), captured
// off the wire and verified; tampered copies are refused.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { verifySigV2Header } from './sigv2.ts';
import {
  ACCESS_KEY, lookupSecret, rejectsWith, SECRET_KEY, startCapture, withHeaders, type Captured, type CaptureServer,
} from './test-support.ts';
import { verifyRequest } from './verify.ts';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, 'botocore_signers.py');
const env = {
  ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
};
const options = (now = new Date()): { lookupSecret: typeof lookupSecret; now: Date; region: string } => ({ lookupSecret, now, region: 'us-east-1' });

function fromUrl(url: string, headers: Record<string, string> = {}): Captured {
  const u = new URL(url);
  return { method: 'GET', rawUrl: u.pathname + u.search, rawPath: u.pathname, rawQuery: u.search.slice(1), headers: { host: u.host, ...headers }, body: Buffer.alloc(0) };
}

describe('SigV2 signed by botocore (HmacV1Auth / HmacV1QueryAuth)', () => {
  let capture: CaptureServer;
  before(async () => {
    capture = await startCapture();
  });
  after(async () => {
    await capture.close();
  });

  it('header-signed PutObject, ListObjects, GetObject with overrides, ?acl and ListBuckets verify; tampered ones do not', async () => {
    await run('python3', [SCRIPT, 'v2-send', capture.url], { env });
    const sent = capture.requests.splice(0);
    assert.equal(sent.length, 5);
    for (const req of sent) {
      assert.match(String(req.headers.authorization), /^AWS AKIDSTRATATEST01:/);
      const result = await verifyRequest(req, options());
      assert.deepEqual(result, { version: 2, accessKeyId: ACCESS_KEY, presigned: false });
    }
    const [put, list, get, acl] = sent;
    await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-meta-color': 'red' }), options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest(withHeaders(put, { 'content-type': 'text/html' }), options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest({ ...put, rawPath: put.rawPath.replace('a%20b', 'a%20c') }, options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest({ ...get, rawQuery: get.rawQuery.replace('versionId=v1', 'versionId=v2') }, options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest({ ...acl, rawQuery: 'policy' }, options()), 'SignatureDoesNotMatch');
    // prefix is not a signed sub-resource in SigV2: S3 does not sign it either.
    await verifyRequest({ ...list, rawQuery: list.rawQuery.replace('prefix=a%20b%2F', 'prefix=zzz') }, options());
    const err = await rejectsWith(verifyRequest(put, { ...options(), lookupSecret: async () => 'wrong' }), 'SignatureDoesNotMatch');
    assert.equal(err.fields.AWSAccessKeyId, ACCESS_KEY);
    assert.match(err.fields.StringToSign, /^PUT\n\ntext\/plain\n.+ GMT\nx-amz-checksum-crc32:.+\nx-amz-meta-color:blue\nx-amz-sdk-checksum-algorithm:CRC32\n\/bkt\/dir\/a%20b%2Bc~d%25e\.txt$/);
    await rejectsWith(verifyRequest(put, { ...options(), lookupSecret: async () => undefined }), 'InvalidAccessKeyId');
    const skewed = await rejectsWith(verifyRequest(put, options(new Date(Date.now() + 20 * 60_000))), 'RequestTimeTooSkewed');
    assert.equal(skewed.fields.RequestTime, put.headers.date);
    await rejectsWith(verifyRequest(withHeaders(put, { date: undefined }), options()), 'AccessDenied');
    await rejectsWith(verifyRequest(withHeaders(put, { authorization: 'AWS AKIDSTRATATEST01' }), options()), 'InvalidArgument');
  });

  it('x-amz-date replaces Date: the Date line is signed empty', async () => {
    await run('python3', [SCRIPT, 'v2-send', capture.url], { env });
    const put = capture.requests.splice(0)[0];
    // Adding an x-amz-date changes what is signed (it joins the x-amz-* headers, and the Date line empties).
    await rejectsWith(verifyRequest(withHeaders(put, { 'x-amz-date': String(put.headers.date) }), options()), 'SignatureDoesNotMatch');
  });

  it('query-signed URLs (AWSAccessKeyId, Expires, Signature) verify until Expires', async () => {
    const { stdout } = await run('python3', [SCRIPT, 'v2-presign', capture.url], { env });
    const req = fromUrl((JSON.parse(stdout) as { url: string }).url);
    const result = await verifyRequest(req, options());
    assert.deepEqual(result, { version: 2, accessKeyId: ACCESS_KEY, presigned: true });
    const expires = Number(new URLSearchParams(req.rawQuery).get('Expires'));
    const err = await rejectsWith(verifyRequest(req, options(new Date(expires * 1000 + 1000))), 'AccessDenied');
    assert.equal(err.message, 'Request has expired');
    assert.equal(err.fields.Expires, new Date(expires * 1000).toISOString().replace('.000', ''));
    await rejectsWith(verifyRequest({ ...req, rawQuery: req.rawQuery.replace(/Expires=\d+/, `Expires=${expires + 1}`) }, options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest({ ...req, rawQuery: req.rawQuery.replace(/&Expires=\d+/, '') }, options()), 'AccessDenied');
    await rejectsWith(verifyRequest({ ...req, rawPath: '/bkt/other' }, options()), 'SignatureDoesNotMatch');
  });

  it('virtual-hosted: the bucket from Host is signed as a /bucket path prefix', async () => {
    const { stdout } = await run('python3', [SCRIPT, 'v2-virtual'], { env });
    const { headers } = JSON.parse(stdout) as { headers: Record<string, string> };
    const req = {
      method: 'GET', rawPath: '/dir/a%20b', rawQuery: 'acl',
      headers: { host: 'bkt.s3.example.com', date: headers.Date, authorization: headers.Authorization, 'x-amz-meta-k': 'v' },
    };
    await verifySigV2Header(req, { ...options(), virtualHostBucket: 'bkt' });
    await rejectsWith(verifySigV2Header(req, { ...options(), virtualHostBucket: 'other' }), 'SignatureDoesNotMatch');
  });
});

describe('aws CLI (v1)', () => {
  let capture: CaptureServer;
  let dir: string;
  before(async () => {
    capture = await startCapture();
    dir = await mkdtemp(join(tmpdir(), 'strata-auth-'));
  });
  after(async () => {
    await capture.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('aws s3 cp: the upload verifies and its body checks out', async () => {
    const file = join(dir, 'f.txt');
    await writeFile(file, 'hello from the aws cli\n');
    await run('aws', ['--endpoint-url', capture.url, 's3', 'cp', file, 's3://bkt/dir/a b+c~é.txt'], { env });
    const put = capture.requests.find((r) => r.method === 'PUT');
    assert.ok(put, 'no PUT captured');
    const result = await verifyRequest(put, options());
    assert.ok(result.version === 4);
    assert.equal(result.accessKeyId, ACCESS_KEY);
    await rejectsWith(verifyRequest({ ...put, rawPath: '/bkt/dir/other' }, options()), 'SignatureDoesNotMatch');
    await rejectsWith(verifyRequest(put, { ...options(), lookupSecret: async () => 'nope' }), 'SignatureDoesNotMatch');
  });

  it('aws s3api list-objects-v2 with an awkward prefix', async () => {
    capture.requests.length = 0;
    await run('aws', ['--endpoint-url', capture.url, 's3api', 'list-objects-v2', '--bucket', 'bkt', '--prefix', 'a b+c/%é~', '--delimiter', '/'], { env }).catch(() => undefined);
    const list = capture.requests.at(-1);
    assert.ok(list);
    await verifyRequest(list, options());
    await rejectsWith(verifyRequest({ ...list, rawQuery: list.rawQuery.replace('delimiter=%2F', 'delimiter=x') }, options()), 'SignatureDoesNotMatch');
  });

  it('aws s3 presign (SigV2 by default in aws-cli v1, SigV4 when configured): verifies until it expires', async () => {
    const config = join(dir, 'config');
    await writeFile(config, '[default]\ns3 =\n    signature_version = s3v4\n');
    for (const [version, configFile] of [[2, '/dev/null'], [4, config]] as const) {
      const { stdout } = await run('aws', ['--endpoint-url', capture.url, 's3', 'presign', 's3://bkt/my file+1.txt', '--expires-in', '120'],
        { env: { ...env, AWS_CONFIG_FILE: configFile } });
      const req = fromUrl(stdout.trim());
      const result = await verifyRequest(req, options());
      assert.ok(result.version === version && result.presigned, JSON.stringify(result));
      await rejectsWith(verifyRequest(req, options(new Date(Date.now() + 10 * 60_000))), 'AccessDenied');
      await rejectsWith(verifyRequest({ ...req, rawPath: req.rawPath.replace('file', 'fille') }, options()), 'SignatureDoesNotMatch');
    }
  });
});
