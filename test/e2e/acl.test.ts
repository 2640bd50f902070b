// Object and bucket ACLs through @aws-sdk/client-s3 (canned ACLs, grant
// headers, AccessControlPolicy documents, ACLs set on writes), plus raw HTTP
// for the exact document and the refusals S3 answers.
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetBucketAclCommand, GetObjectAclCommand,
  HeadBucketCommand, HeadObjectCommand, PutBucketAclCommand, PutObjectAclCommand, PutObjectCommand, S3Client, UploadPartCommand, type Grant,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { raw, s3Error, startTestServer, xmlText, type TestServer } from './harness.ts';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const AUTH = (user: string): Record<string, string> => ({ authorization: `AWS4-HMAC-SHA256 Credential=${user}/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0` });

/** Grants as `type grantee permission` lines, easy to compare. */
function lines(grants: Grant[] | undefined): string[] {
  return (grants ?? []).map((g) => `${g.Grantee?.Type} ${g.Grantee?.ID ?? g.Grantee?.URI} ${g.Permission}`);
}

describe('ACLs', () => {
  let s: TestServer;
  let alice: S3Client;
  let bob: S3Client;
  const Bucket = 'acls';
  before(async () => {
    s = await startTestServer();
    alice = s.client('alice');
    bob = s.client('bob');
    await alice.send(new CreateBucketCommand({ Bucket }));
    await alice.send(new PutObjectCommand({ Bucket, Key: 'obj', Body: 'data' }));
  });
  after(async () => { await s.stop(); });

  describe('defaults and documents', () => {
    it('gives a new bucket and object an owner-FULL_CONTROL ACL', async () => {
      const bucket = await alice.send(new GetBucketAclCommand({ Bucket }));
      assert.deepEqual(bucket.Owner, { ID: 'alice', DisplayName: 'alice' });
      assert.deepEqual(lines(bucket.Grants), ['CanonicalUser alice FULL_CONTROL']);
      const object = await alice.send(new GetObjectAclCommand({ Bucket, Key: 'obj' }));
      assert.deepEqual(lines(object.Grants), ['CanonicalUser alice FULL_CONTROL']);
    });

    it('writes the AccessControlPolicy document exactly as S3 does', async () => {
      await alice.send(new PutObjectCommand({ Bucket, Key: 'doc', Body: 'data', ACL: 'public-read' }));
      const res = await raw(s.url, 'GET', `/${Bucket}/doc?acl`, { headers: AUTH('alice') });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/xml');
      assert.equal(res.text, '<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Owner><ID>alice</ID><DisplayName>alice</DisplayName></Owner><AccessControlList>' +
        `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>alice</ID><DisplayName>alice</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
        `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>` +
        '</AccessControlList></AccessControlPolicy>');
    });

    it('answers NoSuchKey and NoSuchBucket', async () => {
      assert.equal((await s3Error(alice.send(new GetObjectAclCommand({ Bucket, Key: 'missing' })))).name, 'NoSuchKey');
      assert.equal((await s3Error(alice.send(new PutObjectAclCommand({ Bucket, Key: 'missing', ACL: 'private' })))).name, 'NoSuchKey');
      assert.equal((await s3Error(alice.send(new GetBucketAclCommand({ Bucket: 'missing-bucket' })))).name, 'NoSuchBucket');
    });
  });

  describe('PutObjectAcl and PutBucketAcl', () => {
    it('set canned ACLs', async () => {
      await alice.send(new PutObjectAclCommand({ Bucket, Key: 'obj', ACL: 'public-read-write' }));
      assert.deepEqual(lines((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'obj' }))).Grants),
        ['CanonicalUser alice FULL_CONTROL', `Group ${ALL_USERS} READ`, `Group ${ALL_USERS} WRITE`]);
      await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'authenticated-read' }));
      assert.deepEqual(lines((await alice.send(new GetBucketAclCommand({ Bucket }))).Grants),
        ['CanonicalUser alice FULL_CONTROL', `Group ${AUTHENTICATED} READ`]);
      await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'private' }));
      assert.deepEqual(lines((await alice.send(new GetBucketAclCommand({ Bucket }))).Grants), ['CanonicalUser alice FULL_CONTROL']);
    });

    it('set grant headers, which give the owner nothing extra', async () => {
      await alice.send(new PutObjectAclCommand({ Bucket, Key: 'obj', GrantRead: `id="bob", uri="${ALL_USERS}"`, GrantWriteACP: 'id=carol' }));
      assert.deepEqual(lines((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'obj' }))).Grants),
        ['CanonicalUser bob READ', `Group ${ALL_USERS} READ`, 'CanonicalUser carol WRITE_ACP']);
    });

    it('set an AccessControlPolicy document', async () => {
      await alice.send(new PutBucketAclCommand({
        Bucket,
        AccessControlPolicy: {
          Owner: { ID: 'alice' },
          Grants: [
            { Grantee: { Type: 'CanonicalUser', ID: 'alice' }, Permission: 'FULL_CONTROL' },
            { Grantee: { Type: 'CanonicalUser', ID: 'bob' }, Permission: 'READ_ACP' },
            { Grantee: { Type: 'Group', URI: AUTHENTICATED }, Permission: 'READ' },
          ],
        },
      }));
      assert.deepEqual(lines((await alice.send(new GetBucketAclCommand({ Bucket }))).Grants),
        ['CanonicalUser alice FULL_CONTROL', 'CanonicalUser bob READ_ACP', `Group ${AUTHENTICATED} READ`]);
      // An empty list takes every grant away (the owner keeps the right to change it back).
      await alice.send(new PutObjectAclCommand({ Bucket, Key: 'obj', AccessControlPolicy: { Owner: { ID: 'alice' }, Grants: [] } }));
      assert.deepEqual((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'obj' }))).Grants ?? [], []);
      await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'private' }));
    });

    it('refuse an unknown canned ACL with InvalidArgument, and a canned ACL with grants with InvalidRequest', async () => {
      for (const path of [`/${Bucket}/obj?acl`, `/${Bucket}?acl`]) {
        const unknown = await raw(s.url, 'PUT', path, { headers: { ...AUTH('alice'), 'x-amz-acl': 'public' } });
        assert.equal(unknown.status, 400);
        assert.equal(xmlText(unknown.text, 'Code'), 'InvalidArgument');
        assert.equal(xmlText(unknown.text, 'ArgumentName'), 'x-amz-acl');
        assert.equal(xmlText(unknown.text, 'ArgumentValue'), 'public');
        const both = await raw(s.url, 'PUT', path, { headers: { ...AUTH('alice'), 'x-amz-acl': 'private', 'x-amz-grant-read': 'id=bob' } });
        assert.equal(both.status, 400);
        assert.equal(xmlText(both.text, 'Code'), 'InvalidRequest');
        assert.equal(xmlText(both.text, 'Message'), 'Specifying both Canned ACLs and Header Grants is not allowed');
      }
      const logDelivery = await raw(s.url, 'PUT', `/${Bucket}/obj?acl`, { headers: { 'x-amz-acl': 'log-delivery-write' } });
      assert.equal(xmlText(logDelivery.text, 'Code'), 'InvalidArgument');
    });

    it('refuse no ACL at all, headers with a body, a malformed document, another owner and an email grantee', async () => {
      const path = `/${Bucket}/obj?acl`;
      const none = await raw(s.url, 'PUT', path, { headers: AUTH('alice') });
      assert.equal(none.status, 400);
      assert.equal(xmlText(none.text, 'Code'), 'MissingSecurityHeader');
      assert.equal(xmlText(none.text, 'MissingHeaderName'), 'x-amz-acl');
      const doc = (owner: string, grant = ''): string =>
        `<AccessControlPolicy><Owner><ID>${owner}</ID></Owner><AccessControlList>${grant}</AccessControlList></AccessControlPolicy>`;
      const both = await raw(s.url, 'PUT', path, { headers: { 'x-amz-acl': 'private' }, body: doc('alice') });
      assert.equal(xmlText(both.text, 'Code'), 'UnexpectedContent');
      for (const body of [doc('alice').slice(0, -1), '<AccessControlList/>', doc('alice', '<Grant><Grantee><ID>bob</ID></Grantee><Permission>ALL</Permission></Grant>')]) {
        const bad = await raw(s.url, 'PUT', path, { body });
        assert.equal(bad.status, 400, body);
        assert.equal(xmlText(bad.text, 'Code'), 'MalformedACLError', body);
      }
      const other = await raw(s.url, 'PUT', path, { body: doc('mallory') });
      assert.equal(other.status, 403);
      assert.equal(xmlText(other.text, 'Code'), 'AccessDenied');
      const email = await raw(s.url, 'PUT', path, { headers: { 'x-amz-grant-read': 'emailAddress="a@example.com"' } });
      assert.equal(email.status, 405);
      // None of these changed the ACL.
      assert.deepEqual(lines((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'obj' }))).Grants), []);
    });
  });

  describe('ACLs set on writes', () => {
    it('PutObject with a canned ACL, and bucket-owner-full-control from another user', async () => {
      await alice.send(new PutObjectCommand({ Bucket, Key: 'pub', Body: 'data', ACL: 'public-read' }));
      assert.deepEqual(lines((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'pub' }))).Grants), ['CanonicalUser alice FULL_CONTROL', `Group ${ALL_USERS} READ`]);
      await bob.send(new PutObjectCommand({ Bucket, Key: 'bobs', Body: 'data', ACL: 'bucket-owner-full-control' }));
      const acl = await bob.send(new GetObjectAclCommand({ Bucket, Key: 'bobs' }));
      assert.equal(acl.Owner?.ID, 'bob');
      assert.deepEqual(lines(acl.Grants), ['CanonicalUser bob FULL_CONTROL', 'CanonicalUser alice FULL_CONTROL']);
      await bob.send(new PutObjectCommand({ Bucket, Key: 'bobs-read', Body: 'data', ACL: 'bucket-owner-read' }));
      assert.deepEqual(lines((await bob.send(new GetObjectAclCommand({ Bucket, Key: 'bobs-read' }))).Grants), ['CanonicalUser bob FULL_CONTROL', 'CanonicalUser alice READ']);
    });

    it('PutObject with grant headers', async () => {
      await alice.send(new PutObjectCommand({ Bucket, Key: 'granted', Body: 'data', GrantRead: 'id=bob', GrantFullControl: 'id=alice' }));
      assert.deepEqual(lines((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'granted' }))).Grants), ['CanonicalUser alice FULL_CONTROL', 'CanonicalUser bob READ']);
    });

    it('CreateMultipartUpload with an ACL gives it to the completed object', async () => {
      const { UploadId } = await alice.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp', ACL: 'authenticated-read' }));
      const part = await alice.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: 1, Body: 'only part' }));
      await alice.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
      assert.deepEqual(lines((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'mp' }))).Grants), ['CanonicalUser alice FULL_CONTROL', `Group ${AUTHENTICATED} READ`]);
    });

    it('CreateBucket with a canned ACL or grants', async () => {
      await alice.send(new CreateBucketCommand({ Bucket: 'public-bucket', ACL: 'public-read' }));
      assert.deepEqual(lines((await alice.send(new GetBucketAclCommand({ Bucket: 'public-bucket' }))).Grants), ['CanonicalUser alice FULL_CONTROL', `Group ${ALL_USERS} READ`]);
      await alice.send(new CreateBucketCommand({ Bucket: 'granted-bucket', GrantWrite: 'id=bob' }));
      assert.deepEqual(lines((await alice.send(new GetBucketAclCommand({ Bucket: 'granted-bucket' }))).Grants), ['CanonicalUser bob WRITE']);
    });

    it('a refused ACL header writes nothing: no object, no upload, no bucket', async () => {
      const put = await raw(s.url, 'PUT', `/${Bucket}/refused`, { headers: { 'x-amz-acl': 'everyone' }, body: 'data' });
      assert.equal(xmlText(put.text, 'Code'), 'InvalidArgument');
      assert.equal((await s3Error(alice.send(new HeadObjectCommand({ Bucket, Key: 'refused' })))).name, 'NotFound');
      const upload = await raw(s.url, 'POST', `/${Bucket}/refused?uploads`, { headers: { 'x-amz-acl': 'private', 'x-amz-grant-read': 'id=bob' } });
      assert.equal(xmlText(upload.text, 'Code'), 'InvalidRequest');
      const bucket = await raw(s.url, 'PUT', '/refused-bucket', { headers: { 'x-amz-grant-read': 'uri="http://example.com/group"' } });
      assert.equal(xmlText(bucket.text, 'Code'), 'InvalidArgument');
      assert.equal((await s3Error(alice.send(new HeadBucketCommand({ Bucket: 'refused-bucket' })))).name, 'NotFound');
    });
  });
});
