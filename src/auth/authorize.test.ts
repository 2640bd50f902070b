// Tests for the authorization decision: owners, other users and anonymous
// requests against canned and per-user ACLs, bucket policies (Allow with
// wildcards and conditions, Deny over Allow and over ownership), the root
// user, missing buckets and objects, copies, per-key deletes and multipart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BucketExtras, BucketRecord, ObjectExtras, ObjectRecord, UploadRecord } from '../meta/metadata-store.ts';
import { cannedAcl, type Acl } from '../s3/acl-model.ts';
import { authorize, type AuthRequest, type AuthResources } from './authorize.ts';

function bucket(name: string, owner: string, extras: BucketExtras = {}): BucketRecord {
  return { name, owner, createdAt: 0, extras };
}

function object(bucketName: string, key: string, owner: string, extras: ObjectExtras = {}): ObjectRecord {
  return {
    bucket: bucketName, key, versionId: 'null', size: 1, etag: 'e', lastModified: 0, owner, headers: {}, userMetadata: {},
    isDirectory: false, partSizes: null, dataId: 'd', extras,
  };
}

interface Ask {
  bucket?: string;
  key?: string;
  user?: string;
  root?: boolean;
  ip?: string;
  tls?: boolean;
  query?: string;
  headers?: Record<string, string>;
  copySource?: AuthRequest['copySource'];
  versionId?: string;
}

function req(op: string, ask: Ask = {}): AuthRequest {
  const headers = ask.headers ?? {};
  return {
    op, bucket: ask.bucket ?? 'photos', key: ask.key ?? '', user: ask.user, isRoot: ask.root ?? false,
    sourceIp: ask.ip ?? '::ffff:127.0.0.1', secureTransport: ask.tls ?? true, query: new URLSearchParams(ask.query ?? ''),
    header: (name) => headers[name], copySource: ask.copySource, versionId: ask.versionId, now: Date.parse('2025-06-01T00:00:00Z'),
  };
}

const allowed = (op: string, ask: Ask, res: AuthResources): boolean => authorize(req(op, ask), res).allowed;

const privateBucket = bucket('photos', 'alice');
const privateObject = object('photos', 'cat.jpg', 'alice');
const withBucketAcl = (acl: Acl, extras: BucketExtras = {}): BucketRecord => bucket('photos', 'alice', { ...extras, acl });
const withObjectAcl = (acl: Acl, owner = 'alice'): ObjectRecord => object('photos', 'cat.jpg', owner, { acl });
const policyBucket = (...statements: Record<string, unknown>[]): BucketRecord =>
  bucket('photos', 'alice', { policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) });

describe('owners and others on a private bucket', () => {
  const res: AuthResources = { bucket: privateBucket, object: privateObject };

  it('the bucket owner may do everything', () => {
    for (const op of ['GetObject', 'HeadObject', 'PutObject', 'DeleteObject', 'ListObjectsV2', 'GetBucketAcl', 'PutBucketPolicy', 'DeleteBucket', 'PutObjectTagging', 'GetBucketLocation']) {
      assert.equal(allowed(op, { user: 'alice', key: 'cat.jpg' }, res), true, op);
    }
  });

  it('another user may do nothing', () => {
    for (const op of ['GetObject', 'HeadObject', 'PutObject', 'DeleteObject', 'ListObjectsV2', 'HeadBucket', 'GetBucketAcl', 'PutBucketAcl', 'GetObjectAcl', 'DeleteBucket', 'GetBucketPolicy']) {
      const decision = authorize(req(op, { user: 'bob', key: 'cat.jpg' }), res);
      assert.equal(decision.allowed, false, op);
    }
  });

  it('an anonymous request may do nothing', () => {
    for (const op of ['GetObject', 'PutObject', 'ListObjects', 'GetObjectAcl', 'DeleteObject']) {
      assert.equal(allowed(op, { key: 'cat.jpg' }, res), false, op);
    }
  });

  it('ListBuckets and CreateBucket: every signed-in user, not anonymous', () => {
    assert.equal(allowed('ListBuckets', { user: 'bob', bucket: '' }, {}), true);
    assert.equal(allowed('CreateBucket', { user: 'bob', bucket: 'new' }, {}), true);
    assert.equal(allowed('ListBuckets', { bucket: '' }, {}), false);
    assert.equal(allowed('CreateBucket', { bucket: 'new' }, {}), false);
  });

  it('the CORS preflight needs nothing; an unknown operation is refused', () => {
    assert.equal(allowed('OptionsObject', { key: 'cat.jpg' }, {}), true);
    const d = authorize(req('FrobnicateBucket', { user: 'alice' }), res);
    assert.equal(d.allowed, false);
    assert.match(d.reason, /no authorization rule/);
  });

  it('the root user may do everything on anyone\'s bucket; root needs a user name', () => {
    for (const op of ['GetObject', 'PutObject', 'DeleteBucket', 'PutBucketAcl', 'GetObjectAcl']) {
      assert.equal(allowed(op, { user: 'admin', root: true, key: 'cat.jpg' }, res), true, op);
    }
    assert.equal(allowed('GetObject', { root: true, key: 'cat.jpg' }, res), false);
  });

  it('an object owner other than the bucket owner: object-level rights on it, writes still need the bucket', () => {
    const bobs = { bucket: privateBucket, object: object('photos', 'cat.jpg', 'bob') };
    for (const op of ['GetObject', 'GetObjectAcl', 'PutObjectAcl', 'PutObjectTagging', 'GetObjectAttributes']) {
      assert.equal(allowed(op, { user: 'bob', key: 'cat.jpg' }, bobs), true, op);
    }
    assert.equal(allowed('PutObject', { user: 'bob', key: 'cat.jpg' }, bobs), false);
    assert.equal(allowed('DeleteObject', { user: 'bob', key: 'cat.jpg' }, bobs), false);
    assert.equal(allowed('ListObjectsV2', { user: 'bob' }, bobs), false);
    // The bucket owner keeps full control of objects others own.
    assert.equal(allowed('GetObject', { user: 'alice', key: 'cat.jpg' }, bobs), true);
    assert.equal(allowed('GetObject', { user: 'carol', key: 'cat.jpg' }, bobs), false);
  });
});

describe('canned ACLs', () => {
  it('public-read on the bucket lets anyone list, not write; objects keep their own ACL', () => {
    const res = { bucket: withBucketAcl(cannedAcl('public-read', 'alice', 'alice', 'bucket')), object: privateObject };
    assert.equal(allowed('ListObjectsV2', {}, res), true);
    assert.equal(allowed('HeadBucket', {}, res), true);
    assert.equal(allowed('ListObjectVersions', { user: 'bob' }, res), true);
    assert.equal(allowed('PutObject', { key: 'x' }, res), false);
    assert.equal(allowed('GetBucketAcl', {}, res), false);
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, res), false);
  });

  it('public-read on an object lets anyone read it, not its ACL', () => {
    const res = { bucket: privateBucket, object: withObjectAcl(cannedAcl('public-read', 'alice', 'alice', 'object')) };
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, res), true);
    assert.equal(allowed('HeadObject', { key: 'cat.jpg', user: 'bob' }, res), true);
    assert.equal(allowed('GetObjectAcl', { key: 'cat.jpg' }, res), false);
    assert.equal(allowed('PutObjectAcl', { key: 'cat.jpg' }, res), false);
    assert.equal(allowed('GetObjectTagging', { key: 'cat.jpg' }, res), false);
    assert.equal(allowed('DeleteObject', { key: 'cat.jpg' }, res), false);
  });

  it('public-read-write on the bucket lets anyone write and delete, not change the bucket', () => {
    const res = { bucket: withBucketAcl(cannedAcl('public-read-write', 'alice', 'alice', 'bucket')), object: privateObject };
    assert.equal(allowed('PutObject', { key: 'new' }, res), true);
    assert.equal(allowed('CreateMultipartUpload', { key: 'new' }, res), true);
    assert.equal(allowed('DeleteObject', { key: 'cat.jpg' }, res), true);
    assert.equal(allowed('ListObjects', {}, res), true);
    assert.equal(allowed('PutBucketAcl', {}, res), false);
    assert.equal(allowed('DeleteBucket', {}, res), false);
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, res), false);
  });

  it('authenticated-read grants every signed-in user, never anonymous', () => {
    const res = { bucket: withBucketAcl(cannedAcl('authenticated-read', 'alice', 'alice', 'bucket')), object: withObjectAcl(cannedAcl('authenticated-read', 'alice', 'alice', 'object')) };
    assert.equal(allowed('ListObjectsV2', { user: 'bob' }, res), true);
    assert.equal(allowed('GetObject', { user: 'bob', key: 'cat.jpg' }, res), true);
    assert.equal(allowed('ListObjectsV2', {}, res), false);
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, res), false);
  });
});

describe('grants to a named user', () => {
  const grant = (id: string, permission: Acl['grants'][number]['permission']) => ({ grantee: { type: 'user' as const, id }, permission });

  it('bucket grants: WRITE lets bob write, READ_ACP read the bucket ACL, nobody else', () => {
    const res = { bucket: withBucketAcl({ owner: 'alice', grants: [grant('alice', 'FULL_CONTROL'), grant('bob', 'WRITE'), grant('bob', 'READ_ACP')] }) };
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k' }, res), true);
    assert.equal(allowed('UploadPart', { user: 'bob', key: 'k', query: 'uploadId=u&partNumber=1' }, res), true);
    assert.equal(allowed('GetBucketAcl', { user: 'bob' }, res), true);
    assert.equal(allowed('PutBucketAcl', { user: 'bob' }, res), false);
    assert.equal(allowed('ListObjects', { user: 'bob' }, res), false);
    assert.equal(allowed('PutObject', { user: 'carol', key: 'k' }, res), false);
  });

  it('object grants: READ_ACP reads the ACL only; FULL_CONTROL covers READ, READ_ACP and WRITE_ACP', () => {
    const acp = { bucket: privateBucket, object: withObjectAcl({ owner: 'alice', grants: [grant('bob', 'READ_ACP')] }) };
    assert.equal(allowed('GetObjectAcl', { user: 'bob', key: 'cat.jpg' }, acp), true);
    assert.equal(allowed('GetObject', { user: 'bob', key: 'cat.jpg' }, acp), false);
    assert.equal(allowed('PutObjectAcl', { user: 'bob', key: 'cat.jpg' }, acp), false);
    const full = { bucket: privateBucket, object: withObjectAcl({ owner: 'alice', grants: [grant('bob', 'FULL_CONTROL')] }) };
    for (const op of ['GetObject', 'GetObjectAcl', 'PutObjectAcl']) assert.equal(allowed(op, { user: 'bob', key: 'cat.jpg' }, full), true, op);
    // FULL_CONTROL on an object is not WRITE on the bucket.
    assert.equal(allowed('PutObject', { user: 'bob', key: 'cat.jpg' }, full), false);
    assert.equal(allowed('DeleteObject', { user: 'bob', key: 'cat.jpg' }, full), false);
  });
});

describe('bucket policies', () => {
  it('an Allow for a principal ARN on a Resource wildcard', () => {
    const res = (key: string) => ({ bucket: policyBucket({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/bob' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/public/*' }), object: object('photos', key, 'alice') });
    assert.equal(allowed('GetObject', { user: 'bob', key: 'public/a.jpg' }, res('public/a.jpg')), true);
    assert.equal(allowed('GetObject', { user: 'bob', key: 'public/deep/b.jpg' }, res('public/deep/b.jpg')), true);
    assert.equal(allowed('GetObject', { user: 'bob', key: 'private/a.jpg' }, res('private/a.jpg')), false);
    assert.equal(allowed('GetObject', { user: 'carol', key: 'public/a.jpg' }, res('public/a.jpg')), false);
    assert.equal(allowed('GetObject', { key: 'public/a.jpg' }, res('public/a.jpg')), false);
    assert.equal(allowed('GetObjectAcl', { user: 'bob', key: 'public/a.jpg' }, res('public/a.jpg')), false);
  });

  it('ListBucket limited by an s3:prefix condition', () => {
    const res = { bucket: policyBucket({ Effect: 'Allow', Principal: { AWS: ['bob'] }, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::photos', Condition: { StringLike: { 's3:prefix': ['home/bob/*', 'home/bob/'] } } }) };
    assert.equal(allowed('ListObjectsV2', { user: 'bob', query: 'list-type=2&prefix=home/bob/' }, res), true);
    assert.equal(allowed('ListObjects', { user: 'bob', query: 'prefix=home/bob/2024/' }, res), true);
    assert.equal(allowed('ListObjectsV2', { user: 'bob', query: 'list-type=2&prefix=home/alice/' }, res), false);
    assert.equal(allowed('ListObjectsV2', { user: 'bob', query: 'list-type=2' }, res), false);
    // s3:prefix is a ListBucket key: it does not carry over to ListBucketVersions unless allowed there.
    assert.equal(allowed('ListObjectVersions', { user: 'bob', query: 'versions&prefix=home/bob/' }, res), false);
  });

  it('s3:max-keys and s3:delimiter conditions on listings', () => {
    const res = { bucket: policyBucket({ Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::photos', Condition: { NumericLessThanEquals: { 's3:max-keys': '100' }, StringEquals: { 's3:delimiter': '/' } } }) };
    assert.equal(allowed('ListObjects', { query: 'max-keys=100&delimiter=/' }, res), true);
    assert.equal(allowed('ListObjects', { query: 'max-keys=1000&delimiter=/' }, res), false);
    assert.equal(allowed('ListObjects', { query: 'max-keys=10' }, res), false);
  });

  it('Principal "*" lets anonymous requests in; with policy variables, only into their own prefix', () => {
    const anyone = { bucket: policyBucket({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }), object: privateObject };
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, anyone), true);
    assert.equal(allowed('GetObject', { key: 'cat.jpg', user: 'bob' }, anyone), true);
    const homes = { bucket: policyBucket({ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::photos/home/${aws:username}/*' }) };
    assert.equal(allowed('PutObject', { user: 'bob', key: 'home/bob/x' }, homes), true);
    assert.equal(allowed('PutObject', { user: 'bob', key: 'home/alice/x' }, homes), false);
    assert.equal(allowed('PutObject', { key: 'home//x' }, homes), false);
  });

  it('an explicit Deny beats an Allow', () => {
    const res = { bucket: policyBucket(
      { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::photos/*' },
      { Effect: 'Deny', Principal: { AWS: 'bob' }, Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::photos/*' },
    ), object: privateObject };
    assert.equal(allowed('DeleteObject', { user: 'bob', key: 'cat.jpg' }, res), false);
    assert.equal(allowed('GetObject', { user: 'bob', key: 'cat.jpg' }, res), true);
    assert.equal(allowed('DeleteObject', { user: 'carol', key: 'cat.jpg' }, res), true);
  });

  it('an explicit Deny beats ownership, ACL grants and the root user', () => {
    const denyDelete = { Effect: 'Deny', Principal: '*', Action: ['s3:DeleteBucket', 's3:DeleteObject'], Resource: ['arn:aws:s3:::photos', 'arn:aws:s3:::photos/*'] };
    const res = { bucket: { ...policyBucket(denyDelete), extras: { policy: policyBucket(denyDelete).extras.policy, acl: cannedAcl('public-read-write', 'alice', 'alice', 'bucket') } } };
    assert.equal(allowed('DeleteBucket', { user: 'alice' }, res), false);
    assert.equal(allowed('DeleteObject', { user: 'alice', key: 'k' }, res), false);
    assert.equal(allowed('DeleteObject', { key: 'k' }, res), false);
    assert.equal(allowed('DeleteBucket', { user: 'admin', root: true }, res), false);
    assert.equal(allowed('PutObject', { key: 'k' }, res), true);
    const obj = { bucket: policyBucket({ Effect: 'Deny', Principal: { AWS: 'bob' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }), object: object('photos', 'cat.jpg', 'bob') };
    assert.equal(allowed('GetObject', { user: 'bob', key: 'cat.jpg' }, obj), false);
  });

  it('a Deny of everything cannot lock the bucket owner or root out of the policy itself', () => {
    const res = { bucket: policyBucket({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::photos', 'arn:aws:s3:::photos/*'] }) };
    assert.equal(allowed('ListObjects', { user: 'alice' }, res), false);
    for (const op of ['GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy']) {
      assert.equal(allowed(op, { user: 'alice' }, res), true, op);
      assert.equal(allowed(op, { user: 'admin', root: true }, res), true, op);
      assert.equal(allowed(op, { user: 'bob' }, res), false, op);
    }
  });

  it('aws:SourceIp: Allow from a CIDR, mapped IPv4 included; Deny from outside', () => {
    const res = { bucket: policyBucket(
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*', Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } } },
    ), object: privateObject };
    assert.equal(allowed('GetObject', { key: 'cat.jpg', ip: '10.20.30.40' }, res), true);
    assert.equal(allowed('GetObject', { key: 'cat.jpg', ip: '::ffff:10.20.30.40' }, res), true);
    assert.equal(allowed('GetObject', { key: 'cat.jpg', ip: '2001:db8::1' }, res), true);
    assert.equal(allowed('GetObject', { key: 'cat.jpg', ip: '192.168.0.1' }, res), false);
    const fence = { bucket: policyBucket(
      { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::photos', 'arn:aws:s3:::photos/*'], Condition: { NotIpAddress: { 'aws:SourceIp': '127.0.0.1/32' } } },
    ), object: privateObject };
    assert.equal(allowed('GetObject', { user: 'alice', key: 'cat.jpg', ip: '::ffff:127.0.0.1' }, fence), true);
    assert.equal(allowed('GetObject', { user: 'alice', key: 'cat.jpg', ip: '127.0.0.1' }, fence), true);
    assert.equal(allowed('GetObject', { user: 'alice', key: 'cat.jpg', ip: '192.168.0.5' }, fence), false);
    assert.equal(allowed('GetObject', { user: 'alice', key: 'cat.jpg', ip: '::1' }, fence), false);
  });

  it('aws:SecureTransport: a Deny of plain HTTP', () => {
    const res = { bucket: policyBucket({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::photos/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), object: privateObject };
    assert.equal(allowed('GetObject', { user: 'alice', key: 'cat.jpg', tls: true }, res), true);
    assert.equal(allowed('GetObject', { user: 'alice', key: 'cat.jpg', tls: false }, res), false);
  });

  it('NotAction and NotResource', () => {
    const notAction = { bucket: policyBucket(
      { Effect: 'Allow', Principal: { AWS: 'bob' }, Action: 's3:*', Resource: ['arn:aws:s3:::photos', 'arn:aws:s3:::photos/*'] },
      { Effect: 'Deny', Principal: { AWS: 'bob' }, NotAction: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::photos', 'arn:aws:s3:::photos/*'] },
    ), object: privateObject };
    assert.equal(allowed('GetObject', { user: 'bob', key: 'cat.jpg' }, notAction), true);
    assert.equal(allowed('ListObjectsV2', { user: 'bob' }, notAction), true);
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k' }, notAction), false);
    assert.equal(allowed('GetObjectAcl', { user: 'bob', key: 'cat.jpg' }, notAction), false);
    const notResource = (key: string) => ({ bucket: policyBucket({ Effect: 'Allow', Principal: { AWS: 'bob' }, Action: 's3:GetObject', NotResource: 'arn:aws:s3:::photos/secret/*' }), object: object('photos', key, 'alice') });
    assert.equal(allowed('GetObject', { user: 'bob', key: 'a.jpg' }, notResource('a.jpg')), true);
    assert.equal(allowed('GetObject', { user: 'bob', key: 'secret/a.jpg' }, notResource('secret/a.jpg')), false);
  });

  it('a versionId needs the version action', () => {
    const res = { bucket: policyBucket({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }), object: privateObject };
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, res), true);
    assert.equal(allowed('GetObject', { key: 'cat.jpg', query: 'versionId=null' }, res), false);
    const versions = { ...res, bucket: policyBucket({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject*', Resource: 'arn:aws:s3:::photos/*' }) };
    assert.equal(allowed('GetObject', { key: 'cat.jpg', query: 'versionId=null' }, versions), true);
  });

  it('s3:ExistingObjectTag and s3:x-amz-acl conditions', () => {
    const tagged = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*', Condition: { StringEquals: { 's3:ExistingObjectTag/visibility': 'public' } } };
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, { bucket: policyBucket(tagged), object: object('photos', 'cat.jpg', 'alice', { tags: { visibility: 'public' } }) }), true);
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, { bucket: policyBucket(tagged), object: object('photos', 'cat.jpg', 'alice', { tags: { visibility: 'private' } }) }), false);
    assert.equal(allowed('GetObject', { key: 'cat.jpg' }, { bucket: policyBucket(tagged), object: privateObject }), false);
    const acl = { bucket: policyBucket({ Effect: 'Allow', Principal: { AWS: 'bob' }, Action: ['s3:PutObject', 's3:PutObjectAcl'], Resource: 'arn:aws:s3:::photos/*', Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } } }) };
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k', headers: { 'x-amz-acl': 'bucket-owner-full-control' } }, acl), true);
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k', headers: { 'x-amz-acl': 'public-read' } }, acl), false);
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k' }, acl), false);
  });

  it('setting an ACL or tags on upload needs their actions too', () => {
    const putOnly = { bucket: policyBucket({ Effect: 'Allow', Principal: { AWS: 'bob' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::photos/*' }) };
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k' }, putOnly), true);
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k', headers: { 'x-amz-acl': 'public-read' } }, putOnly), false);
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k', headers: { 'x-amz-tagging': 'a=b' } }, putOnly), false);
    // With the bucket's WRITE the writer owns the new object, so may set its ACL.
    const writable = { bucket: withBucketAcl(cannedAcl('public-read-write', 'alice', 'alice', 'bucket')) };
    assert.equal(allowed('PutObject', { key: 'k', headers: { 'x-amz-acl': 'public-read' } }, writable), true);
  });
});

describe('missing buckets and objects', () => {
  it('a bucket that does not exist: allowed so the handler answers NoSuchBucket; not loaded: refused', () => {
    assert.equal(allowed('GetObject', { key: 'k' }, { bucket: null, object: null }), true);
    assert.equal(allowed('PutObject', { user: 'bob', key: 'k' }, { bucket: null }), true);
    assert.equal(allowed('ListObjectsV2', {}, { bucket: null }), true);
    const notLoaded = authorize(req('ListObjectsV2', { user: 'alice' }), {});
    assert.equal(notLoaded.allowed, false);
    assert.match(notLoaded.reason, /not loaded/);
  });

  it('an object that does not exist: 404 for those who may list the bucket, 403 for the others', () => {
    assert.equal(allowed('GetObject', { user: 'alice', key: 'nope' }, { bucket: privateBucket, object: null }), true);
    assert.equal(allowed('GetObject', { user: 'bob', key: 'nope' }, { bucket: privateBucket, object: null }), false);
    const publicList = withBucketAcl(cannedAcl('public-read', 'alice', 'alice', 'bucket'));
    assert.equal(allowed('HeadObject', { key: 'nope' }, { bucket: publicList, object: null }), true);
    // GetObject allowed to everyone but listing is not: the missing key is a 403.
    const getOnly = policyBucket({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' });
    assert.equal(allowed('GetObject', { key: 'nope' }, { bucket: getOnly, object: null }), false);
    // An explicit Deny of the action wins even when listing is allowed.
    const denied = { ...publicList, extras: { ...publicList.extras, policy: JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }] }) } };
    assert.equal(allowed('GetObject', { key: 'nope' }, { bucket: denied, object: null }), false);
    const notLoaded = authorize(req('GetObject', { user: 'alice', key: 'cat.jpg' }), { bucket: privateBucket });
    assert.equal(notLoaded.allowed, false);
    assert.match(notLoaded.reason, /not loaded/);
  });
});

describe('copies, per-key deletes and multipart uploads', () => {
  const bobsBucket = bucket('bobs', 'bob');
  const copy = (source: ObjectRecord | null, dest: BucketRecord = bobsBucket): AuthResources =>
    ({ bucket: dest, sourceBucket: privateBucket, sourceObject: source });
  const ask = (extra: Ask = {}): Ask => ({ user: 'bob', bucket: 'bobs', key: 'copy.jpg', copySource: { bucket: 'photos', key: 'cat.jpg' }, ...extra });

  it('CopyObject needs s3:GetObject on the source and s3:PutObject on the destination', () => {
    const publicSource = withObjectAcl(cannedAcl('public-read', 'alice', 'alice', 'object'));
    assert.equal(allowed('CopyObject', ask(), copy(publicSource)), true);
    assert.equal(allowed('UploadPartCopy', ask({ query: 'uploadId=u&partNumber=1' }), copy(publicSource)), true);
    assert.equal(allowed('CopyObject', ask(), copy(privateObject)), false);
    assert.equal(allowed('CopyObject', ask(), copy(publicSource, privateBucket)), false);
    assert.equal(allowed('CopyObject', ask({ copySource: undefined }), copy(publicSource)), false);
    assert.equal(allowed('CopyObject', ask(), { bucket: bobsBucket, sourceBucket: null }), true);
    assert.equal(allowed('CopyObject', ask(), { bucket: bobsBucket }), false);
    // A source version needs s3:GetObjectVersion.
    const getOnly = { ...copy(privateObject), sourceBucket: policyBucket({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }) };
    assert.equal(allowed('CopyObject', ask(), getOnly), true);
    assert.equal(allowed('CopyObject', ask({ copySource: { bucket: 'photos', key: 'cat.jpg', versionId: 'null' } }), getOnly), false);
  });

  it('DeleteObjects: the request is let through, each key is checked on its own', () => {
    const res = { bucket: policyBucket({ Effect: 'Allow', Principal: { AWS: 'bob' }, Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::photos/tmp/*' }) };
    const whole = authorize(req('DeleteObjects', { user: 'bob', query: 'delete' }), res);
    assert.deepEqual([whole.allowed, whole.perKey], [true, true]);
    assert.equal(allowed('DeleteObjects', { user: 'bob', key: 'tmp/a' }, res), true);
    assert.equal(allowed('DeleteObjects', { user: 'bob', key: 'keep/a' }, res), false);
    assert.equal(allowed('DeleteObjects', { user: 'bob', key: 'tmp/a', versionId: 'v1' }, res), false);
    assert.equal(allowed('DeleteObjects', { user: 'alice', key: 'keep/a' }, res), true);
  });

  it('PostObject: authorized per key once the form is read', () => {
    const res = { bucket: withBucketAcl(cannedAcl('public-read-write', 'alice', 'alice', 'bucket')) };
    assert.equal(authorize(req('PostObject', {}), { bucket: privateBucket }).perKey, true);
    assert.equal(allowed('PostObject', { key: 'upload.txt' }, res), true);
    assert.equal(allowed('PostObject', { key: 'upload.txt' }, { bucket: privateBucket }), false);
  });

  it('ListParts and AbortMultipartUpload: the bucket owner and the upload\'s initiator', () => {
    const upload: UploadRecord = { uploadId: 'u', bucket: 'photos', key: 'big', owner: 'bob', initiated: 0, headers: {}, userMetadata: {}, extras: {} };
    const res = { bucket: withBucketAcl(cannedAcl('public-read-write', 'alice', 'alice', 'bucket')), upload };
    for (const op of ['ListParts', 'AbortMultipartUpload']) {
      assert.equal(allowed(op, { user: 'bob', key: 'big', query: 'uploadId=u' }, res), true, op);
      assert.equal(allowed(op, { user: 'alice', key: 'big', query: 'uploadId=u' }, res), true, op);
      assert.equal(allowed(op, { user: 'carol', key: 'big', query: 'uploadId=u' }, res), false, op);
      assert.equal(allowed(op, { key: 'big', query: 'uploadId=u' }, res), false, op);
    }
    assert.equal(allowed('ListParts', { user: 'bob', key: 'big', query: 'uploadId=u' }, { bucket: privateBucket }), false);
    assert.equal(allowed('CompleteMultipartUpload', { user: 'bob', key: 'big', query: 'uploadId=u' }, res), true);
    assert.equal(allowed('CompleteMultipartUpload', { user: 'bob', key: 'big', query: 'uploadId=u' }, { bucket: privateBucket, upload }), false);
  });
});
