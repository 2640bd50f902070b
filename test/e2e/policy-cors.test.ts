// Bucket policies and CORS through @aws-sdk/client-s3, plus raw HTTP for the
// OPTIONS preflight and the CORS headers on ordinary responses, which a
// browser (not the SDK) consumes.
import {
  CreateBucketCommand, DeleteBucketCorsCommand, DeleteBucketPolicyCommand, GetBucketCorsCommand, GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand, PutBucketCorsCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client,
  type CORSRule,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type RawResponse, type TestServer } from './harness.ts';

/** The CORS response headers (and Vary) of a response. */
function corsOf(res: RawResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(res.headers)
    .filter(([name]) => name.startsWith('access-control-') || name === 'vary')
    .map(([name, value]) => [name, String(value)]));
}

const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';
const ORIGIN = 'https://app.example.com';

describe('bucket policy', () => {
  let s: TestServer;
  let c: S3Client;
  const Bucket = 'policies';
  const publicRead = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${Bucket}/*` }],
  }, null, 2);
  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket }));
  });
  after(async () => { await s.stop(); });

  it('is NoSuchBucketPolicy until set; stored and answered as the client\'s text; deleted with 204', async () => {
    const none = await s3Error(c.send(new GetBucketPolicyCommand({ Bucket })));
    assert.equal(none.name, 'NoSuchBucketPolicy');
    assert.equal(none.$metadata.httpStatusCode, 404);
    assert.equal(none.message, 'The bucket policy does not exist');
    assert.equal((await s3Error(c.send(new GetBucketPolicyStatusCommand({ Bucket })))).name, 'NoSuchBucketPolicy');

    const put = await c.send(new PutBucketPolicyCommand({ Bucket, Policy: publicRead }));
    assert.equal(put.$metadata.httpStatusCode, 204);
    assert.equal((await c.send(new GetBucketPolicyCommand({ Bucket }))).Policy, publicRead);
    const res = await raw(s.url, 'GET', `/${Bucket}?policy`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.text, publicRead);

    const del = await c.send(new DeleteBucketPolicyCommand({ Bucket }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    assert.equal((await s3Error(c.send(new GetBucketPolicyCommand({ Bucket })))).name, 'NoSuchBucketPolicy');
    assert.equal((await c.send(new DeleteBucketPolicyCommand({ Bucket }))).$metadata.httpStatusCode, 204);
  });

  it('reports whether the policy makes the bucket public', async () => {
    await c.send(new PutBucketPolicyCommand({ Bucket, Policy: publicRead }));
    assert.equal((await c.send(new GetBucketPolicyStatusCommand({ Bucket }))).PolicyStatus?.IsPublic, true);
    const named = publicRead.replace('"Principal": "*"', '"Principal": { "AWS": "bob" }');
    await c.send(new PutBucketPolicyCommand({ Bucket, Policy: named }));
    assert.equal((await c.send(new GetBucketPolicyStatusCommand({ Bucket }))).PolicyStatus?.IsPublic, false);
  });

  it('refuses malformed policies with MalformedPolicy and S3\'s messages, keeping the stored one', async () => {
    await c.send(new PutBucketPolicyCommand({ Bucket, Policy: publicRead }));
    const cases: [string, string][] = [
      ['not a policy', "Policies must be valid JSON and the first byte must be '{'"],
      [publicRead.replace(`arn:aws:s3:::${Bucket}/*`, 'arn:aws:s3:::another-bucket/*'), 'Policy has invalid resource'],
      [publicRead.replace('s3:GetObject', 's3:ListBucket'), 'Action does not apply to any resource(s) in statement'],
      [publicRead.replace('"Allow"', '"Permit"'), 'Invalid effect: Permit'],
      [publicRead.replace('"Principal": "*",', ''), 'Missing required field Principal'],
      [publicRead.replace('s3:GetObject', 'ec2:RunInstances'), 'Policy has invalid action'],
      ['{"Version": "2012-10-17", "Statement": []}', 'Could not parse the policy: Statement is empty!'],
    ];
    for (const [Policy, message] of cases) {
      const err = await s3Error(c.send(new PutBucketPolicyCommand({ Bucket, Policy })));
      assert.equal(err.name, 'MalformedPolicy', Policy);
      assert.equal(err.message, message);
      assert.equal(err.$metadata.httpStatusCode, 400);
    }
    const empty = await raw(s.url, 'PUT', `/${Bucket}?policy`);
    assert.equal(xmlText(empty.text, 'Code'), 'MalformedPolicy');
    assert.equal((await c.send(new GetBucketPolicyCommand({ Bucket }))).Policy, publicRead);
  });

  it('answers NoSuchBucket for a missing bucket', async () => {
    assert.equal((await s3Error(c.send(new PutBucketPolicyCommand({ Bucket: 'missing-bucket', Policy: publicRead })))).name, 'NoSuchBucket');
    assert.equal((await s3Error(c.send(new GetBucketPolicyCommand({ Bucket: 'missing-bucket' })))).name, 'NoSuchBucket');
  });
});

describe('CORS', () => {
  let s: TestServer;
  let c: S3Client;
  const Bucket = 'cors';
  const rules: CORSRule[] = [
    {
      ID: 'site', AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'PUT'],
      AllowedHeaders: ['x-amz-*', 'content-type'], ExposeHeaders: ['ETag', 'x-amz-version-id'], MaxAgeSeconds: 600,
    },
    { AllowedOrigins: ['*'], AllowedMethods: ['HEAD'] },
  ];
  const SITE = {
    'access-control-allow-origin': ORIGIN,
    'access-control-allow-methods': 'GET, PUT',
    'access-control-expose-headers': 'ETag, x-amz-version-id',
    'access-control-max-age': '600',
    'access-control-allow-credentials': 'true',
    vary: VARY,
  };
  const EVERYONE = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'HEAD', vary: VARY };
  const NOT_ALLOWED = 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / ' +
    'Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.';

  before(async () => {
    s = await startTestServer();
    c = s.client('alice');
    await c.send(new CreateBucketCommand({ Bucket }));
    await c.send(new CreateBucketCommand({ Bucket: 'no-cors' }));
    await c.send(new PutObjectCommand({ Bucket, Key: 'key', Body: 'data' }));
  });
  after(async () => { await s.stop(); });

  describe('configuration', () => {
    it('is NoSuchCORSConfiguration until set, round-trips, and is deleted with 204', async () => {
      const none = await s3Error(c.send(new GetBucketCorsCommand({ Bucket })));
      assert.equal(none.name, 'NoSuchCORSConfiguration');
      assert.equal(none.$metadata.httpStatusCode, 404);
      assert.equal(none.message, 'The CORS configuration does not exist');
      await c.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: rules } }));
      const got = await c.send(new GetBucketCorsCommand({ Bucket }));
      assert.deepEqual(got.CORSRules, rules);
      await c.send(new PutBucketCorsCommand({ Bucket: 'no-cors', CORSConfiguration: { CORSRules: rules } }));
      const del = await c.send(new DeleteBucketCorsCommand({ Bucket: 'no-cors' }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      assert.equal((await s3Error(c.send(new GetBucketCorsCommand({ Bucket: 'no-cors' })))).name, 'NoSuchCORSConfiguration');
      assert.equal((await c.send(new DeleteBucketCorsCommand({ Bucket: 'no-cors' }))).$metadata.httpStatusCode, 204);
    });

    it('refuses an unsupported method with InvalidRequest, no rules with MalformedXML, no body with MissingRequestBodyError', async () => {
      const patch = await s3Error(c.send(new PutBucketCorsCommand({ Bucket: 'no-cors', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'PATCH'] }] } })));
      assert.equal(patch.name, 'InvalidRequest');
      assert.equal(patch.message, 'Found unsupported HTTP method in CORS config. Unsupported method is PATCH');
      const wild = await s3Error(c.send(new PutBucketCorsCommand({ Bucket: 'no-cors', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*a*'], AllowedMethods: ['GET'] }] } })));
      assert.equal(wild.message, 'AllowedOrigin "*a*" can not have more than one wildcard.');
      const empty = await s3Error(c.send(new PutBucketCorsCommand({ Bucket: 'no-cors', CORSConfiguration: { CORSRules: [] } })));
      assert.equal(empty.name, 'MalformedXML');
      const nobody = await raw(s.url, 'PUT', '/no-cors?cors');
      assert.equal(xmlText(nobody.text, 'Code'), 'MissingRequestBodyError');
      assert.equal((await s3Error(c.send(new GetBucketCorsCommand({ Bucket: 'no-cors' })))).name, 'NoSuchCORSConfiguration');
    });
  });

  describe('OPTIONS preflight', () => {
    const preflight = (path: string, headers: Record<string, string>): Promise<RawResponse> => raw(s.url, 'OPTIONS', path, { headers });
    const forbidden = (res: RawResponse, message: string, method: string, resourceType: string): void => {
      assert.equal(res.status, 403);
      assert.deepEqual(corsOf(res), {});
      assert.equal(xmlText(res.text, 'Code'), 'AccessForbidden');
      assert.equal(xmlText(res.text, 'Message'), message.replace(/'/g, '&apos;'));
      assert.equal(xmlText(res.text, 'Method'), method);
      assert.equal(xmlText(res.text, 'ResourceType'), resourceType);
    };

    it('answers 200 with the matching rule\'s headers, on bucket and object paths, without reading the key', async () => {
      const bucket = await preflight(`/${Bucket}`, { origin: ORIGIN, 'access-control-request-method': 'GET' });
      assert.equal(bucket.status, 200);
      assert.deepEqual(corsOf(bucket), SITE);
      assert.equal(bucket.text, '');
      const object = await preflight(`/${Bucket}/no/such/key`, { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type, X-Amz-Meta-Name' });
      assert.equal(object.status, 200);
      assert.deepEqual(corsOf(object), { ...SITE, 'access-control-allow-headers': 'content-type, x-amz-meta-name' });
      const any = await preflight(`/${Bucket}/key`, { origin: 'null', 'access-control-request-method': 'HEAD' });
      assert.deepEqual(corsOf(any), EVERYONE);
    });

    it('refuses with 403 AccessForbidden when no rule matches, CORS is off, or the bucket is missing', async () => {
      forbidden(await preflight(`/${Bucket}/key`, { origin: ORIGIN, 'access-control-request-method': 'DELETE' }), NOT_ALLOWED, 'DELETE', 'OBJECT');
      forbidden(await preflight(`/${Bucket}`, { origin: 'https://example.org', 'access-control-request-method': 'GET' }), NOT_ALLOWED, 'GET', 'BUCKET');
      forbidden(await preflight(`/${Bucket}/key`, { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }), NOT_ALLOWED, 'GET', 'OBJECT');
      forbidden(await preflight('/no-cors/key', { origin: ORIGIN, 'access-control-request-method': 'GET' }), 'CORSResponse: CORS is not enabled for this bucket.', 'GET', 'OBJECT');
      forbidden(await preflight('/no-cors', { origin: ORIGIN }), 'CORSResponse: CORS is not enabled for this bucket.', 'OPTIONS', 'BUCKET');
      forbidden(await preflight('/missing-bucket/key', { origin: ORIGIN, 'access-control-request-method': 'GET' }), 'CORSResponse: Bucket not found', 'GET', 'OBJECT');
    });

    it('refuses with 400 BadRequest without an Origin or a valid Access-Control-Request-Method', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ 'access-control-request-method': 'GET' }, 'Insufficient information. Origin request header needed.'],
        [{ origin: ORIGIN }, 'Invalid Access-Control-Request-Method: null'],
        [{ origin: ORIGIN, 'access-control-request-method': 'PATCH' }, 'Invalid Access-Control-Request-Method: PATCH'],
      ];
      for (const [headers, message] of cases) {
        const res = await preflight(`/${Bucket}/key`, headers);
        assert.equal(res.status, 400, message);
        assert.equal(xmlText(res.text, 'Code'), 'BadRequest');
        assert.equal(xmlText(res.text, 'Message'), message);
        assert.deepEqual(corsOf(res), {});
      }
    });
  });

  describe('CORS headers on ordinary requests', () => {
    it('come with a response whose Origin and method match a rule, on errors too', async () => {
      const get = await raw(s.url, 'GET', `/${Bucket}/key`, { headers: { origin: ORIGIN } });
      assert.equal(get.status, 200);
      assert.equal(get.text, 'data');
      assert.deepEqual(corsOf(get), SITE);
      const missing = await raw(s.url, 'GET', `/${Bucket}/missing-key`, { headers: { origin: ORIGIN } });
      assert.equal(missing.status, 404);
      assert.deepEqual(corsOf(missing), SITE);
      const head = await raw(s.url, 'HEAD', `/${Bucket}/key`, { headers: { origin: 'https://example.org' } });
      assert.deepEqual(corsOf(head), EVERYONE);
      const list = await raw(s.url, 'GET', `/${Bucket}?list-type=2`, { headers: { origin: ORIGIN } });
      assert.deepEqual(corsOf(list), SITE);
    });

    it('take the method from Access-Control-Request-Method when it is sent', async () => {
      const asGet = await raw(s.url, 'DELETE', `/${Bucket}/other-key`, { headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
      assert.equal(asGet.status, 204);
      assert.deepEqual(corsOf(asGet), SITE);
      const asDelete = await raw(s.url, 'GET', `/${Bucket}/key`, { headers: { origin: ORIGIN, 'access-control-request-method': 'DELETE' } });
      assert.equal(asDelete.status, 200);
      assert.deepEqual(corsOf(asDelete), {});
    });

    it('are absent without an Origin, for an origin or method no rule allows, and on a bucket without CORS', async () => {
      assert.deepEqual(corsOf(await raw(s.url, 'GET', `/${Bucket}/key`)), {});
      assert.deepEqual(corsOf(await raw(s.url, 'GET', `/${Bucket}/key`, { headers: { origin: 'https://example.org' } })), {});
      const del = await raw(s.url, 'DELETE', `/${Bucket}/other-key`, { headers: { origin: ORIGIN } });
      assert.equal(del.status, 204);
      assert.deepEqual(corsOf(del), {});
      assert.deepEqual(corsOf(await raw(s.url, 'GET', '/no-cors?list-type=2', { headers: { origin: ORIGIN } })), {});
      assert.deepEqual(corsOf(await raw(s.url, 'GET', '/missing-bucket/key', { headers: { origin: ORIGIN } })), {});
    });
  });
});
