// Tests for the ACL model: canned ACLs, grant headers, AccessControlPolicy
// documents in and out, and the aclAllows decision the authorization layer uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY, aclAllows, aclFromHeaders, aclFromXml, aclXml, cannedAcl, defaultAcl,
  effectiveAcl, grantsFromHeaders, readAcl, type Acl, type Permission,
} from './acl-model.ts';
import { S3Error } from './errors.ts';
import { parseXml } from './xml/parser.ts';
import { renderXml } from './xml/writer.ts';

function refusal(fn: () => unknown): { code: string; message: string; fields: Record<string, string> } {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return { code: err.code, message: err.message, fields: { ...err.fields } };
    throw err;
  }
  assert.fail('expected an S3 error');
}

const headers = (h: Record<string, string>) => (name: string): string | undefined => h[name];
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const policy = (list: string, owner = '<Owner><ID>alice</ID></Owner>'): string =>
  `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${owner}<AccessControlList>${list}</AccessControlList></AccessControlPolicy>`;

describe('canned ACLs', () => {
  it('grant what the user guide\'s table says', () => {
    assert.deepEqual(cannedAcl('private', 'alice', 'bob', 'object'), defaultAcl('alice'));
    assert.deepEqual(cannedAcl('public-read-write', 'alice', 'bob', 'object').grants.slice(1), [
      { grantee: { type: 'group', uri: ALL_USERS }, permission: 'READ' },
      { grantee: { type: 'group', uri: ALL_USERS }, permission: 'WRITE' },
    ]);
    assert.deepEqual(cannedAcl('authenticated-read', 'alice', 'bob', 'bucket').grants[1], { grantee: { type: 'group', uri: AUTHENTICATED_USERS }, permission: 'READ' });
    assert.deepEqual(cannedAcl('bucket-owner-read', 'alice', 'bob', 'object').grants[1], { grantee: { type: 'user', id: 'bob' }, permission: 'READ' });
    assert.deepEqual(cannedAcl('bucket-owner-full-control', 'alice', 'bob', 'object').grants[1], { grantee: { type: 'user', id: 'bob' }, permission: 'FULL_CONTROL' });
    assert.deepEqual(cannedAcl('log-delivery-write', 'alice', 'alice', 'bucket').grants.slice(1).map((g) => g.permission), ['WRITE', 'READ_ACP']);
    assert.deepEqual(cannedAcl('log-delivery-write', 'alice', 'alice', 'bucket').grants[1].grantee, { type: 'group', uri: LOG_DELIVERY });
  });

  it('bucket-owner-* add nothing on a bucket or when the writer owns the bucket', () => {
    assert.deepEqual(cannedAcl('bucket-owner-full-control', 'alice', 'alice', 'object'), defaultAcl('alice'));
    assert.deepEqual(cannedAcl('bucket-owner-read', 'alice', 'alice', 'bucket'), defaultAcl('alice'));
  });

  it('refuses an unknown name, and log-delivery-write on an object, with InvalidArgument naming x-amz-acl', () => {
    assert.deepEqual(refusal(() => cannedAcl('public', 'a', 'a', 'object')), { code: 'InvalidArgument', message: '', fields: { ArgumentName: 'x-amz-acl', ArgumentValue: 'public' } });
    assert.equal(refusal(() => cannedAcl('log-delivery-write', 'a', 'a', 'object')).code, 'InvalidArgument');
  });
});

describe('grant headers', () => {
  it('read id and uri grantees, quoted or bare, and give the owner nothing extra', () => {
    const grants = grantsFromHeaders(headers({
      'x-amz-grant-read': `id="bob", uri="${ALL_USERS}"`,
      'x-amz-grant-write-acp': 'id=carol',
    }));
    assert.deepEqual(grants, [
      { grantee: { type: 'user', id: 'bob' }, permission: 'READ' },
      { grantee: { type: 'group', uri: ALL_USERS }, permission: 'READ' },
      { grantee: { type: 'user', id: 'carol' }, permission: 'WRITE_ACP' },
    ]);
    assert.equal(grantsFromHeaders(headers({})), undefined);
  });

  it('refuse an unknown group, an unknown grantee type and an empty value with InvalidArgument', () => {
    for (const value of [`uri="${ALL_USERS}s"`, 'name="bob"', '']) {
      assert.equal(refusal(() => grantsFromHeaders(headers({ 'x-amz-grant-read': value }))).code, 'InvalidArgument', value);
    }
  });

  it('refuse an email grantee with 405, as S3 has since October 2025', () => {
    assert.equal(refusal(() => grantsFromHeaders(headers({ 'x-amz-grant-read': 'emailAddress="a@example.com"' }))).code, 'MethodNotAllowed');
  });

  it('cannot be combined with a canned ACL', () => {
    const both = headers({ 'x-amz-acl': 'private', 'x-amz-grant-read': 'id=bob' });
    assert.deepEqual(refusal(() => aclFromHeaders(both, 'alice', 'alice', 'object')),
      { code: 'InvalidRequest', message: 'Specifying both Canned ACLs and Header Grants is not allowed', fields: {} });
    assert.equal(aclFromHeaders(headers({}), 'alice', 'alice', 'object'), undefined);
    assert.deepEqual(aclFromHeaders(headers({ 'x-amz-grant-full-control': 'id=bob' }), 'alice', 'alice', 'object'),
      { owner: 'alice', grants: [{ grantee: { type: 'user', id: 'bob' }, permission: 'FULL_CONTROL' }] });
  });
});

describe('AccessControlPolicy documents', () => {
  it('are read by the element each grantee holds, whatever xsi:type says', () => {
    const doc = policy(
      `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>bob</ID><DisplayName>ignored</DisplayName></Grantee><Permission>READ_ACP</Permission></Grant>` +
      `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${AUTHENTICATED_USERS}</URI></Grantee><Permission>READ</Permission></Grant>`);
    assert.deepEqual(aclFromXml(parseXml(doc), 'alice'), {
      owner: 'alice',
      grants: [
        { grantee: { type: 'user', id: 'bob' }, permission: 'READ_ACP' },
        { grantee: { type: 'group', uri: AUTHENTICATED_USERS }, permission: 'READ' },
      ],
    });
    assert.deepEqual(aclFromXml(parseXml(policy('')), 'alice'), { owner: 'alice', grants: [] });
    assert.deepEqual(aclFromXml(parseXml(policy('', '')), 'alice'), { owner: 'alice', grants: [] });
  });

  it('refuse a wrong root, a bad permission and an empty grantee with MalformedACLError', () => {
    const bad = [
      '<AccessControlList/>',
      policy('<Grant><Grantee><ID>bob</ID></Grantee><Permission>EVERYTHING</Permission></Grant>'),
      policy('<Grant><Grantee/><Permission>READ</Permission></Grant>'),
      '<AccessControlPolicy><Owner><ID>alice</ID></Owner></AccessControlPolicy>',
    ];
    for (const doc of bad) assert.equal(refusal(() => aclFromXml(parseXml(doc), 'alice')).code, 'MalformedACLError', doc);
  });

  it('refuse another owner with AccessDenied, an unknown group with InvalidArgument, an email with 405', () => {
    assert.equal(refusal(() => aclFromXml(parseXml(policy('', '<Owner><ID>mallory</ID></Owner>')), 'alice')).code, 'AccessDenied');
    assert.equal(refusal(() => aclFromXml(parseXml(policy(`<Grant><Grantee><URI>${ALL_USERS}s</URI></Grantee><Permission>READ</Permission></Grant>`)), 'alice')).code, 'InvalidArgument');
    assert.equal(refusal(() => aclFromXml(parseXml(policy('<Grant><Grantee><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>READ</Permission></Grant>')), 'alice')).code, 'MethodNotAllowed');
  });

  it('are written as S3 writes them, with xmlns:xsi and xsi:type on each grantee', () => {
    const acl: Acl = cannedAcl('public-read', 'alice', 'alice', 'object');
    assert.equal(renderXml(aclXml(acl)),
      '<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      '<Owner><ID>alice</ID><DisplayName>alice</DisplayName></Owner><AccessControlList>' +
      `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>alice</ID><DisplayName>alice</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
      `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>` +
      '</AccessControlList></AccessControlPolicy>');
  });
});

describe('stored ACLs', () => {
  it('fall back to the default when absent or not an ACL, and follow the resource\'s owner', () => {
    assert.deepEqual(effectiveAcl(undefined, 'alice'), defaultAcl('alice'));
    assert.deepEqual(effectiveAcl({ owner: 'x', grants: [{ grantee: { type: 'robot' }, permission: 'READ' }] }, 'alice'), defaultAcl('alice'));
    assert.equal(readAcl('private'), undefined);
    const stored = cannedAcl('public-read', 'old', 'old', 'object');
    assert.equal(effectiveAcl(JSON.parse(JSON.stringify(stored)), 'alice').owner, 'alice');
  });
});

describe('aclAllows', () => {
  const can = (acl: Acl | undefined, user: string | undefined, permission: Permission): boolean => aclAllows(acl, 'alice', user, permission);

  it('gives the owner everything by default and others nothing', () => {
    for (const p of ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'] as const) {
      assert.equal(can(undefined, 'alice', p), true, p);
      assert.equal(can(undefined, 'bob', p), false, p);
      assert.equal(can(undefined, undefined, p), false, p);
    }
  });

  it('lets the owner read and write the ACL even when the ACL grants the owner nothing', () => {
    const empty: Acl = { owner: 'alice', grants: [] };
    assert.equal(can(empty, 'alice', 'READ_ACP'), true);
    assert.equal(can(empty, 'alice', 'WRITE_ACP'), true);
    assert.equal(can(empty, 'alice', 'READ'), false);
  });

  it('AllUsers covers anonymous requests, AuthenticatedUsers only named users', () => {
    const pub = cannedAcl('public-read', 'alice', 'alice', 'bucket');
    assert.equal(can(pub, undefined, 'READ'), true);
    assert.equal(can(pub, 'bob', 'READ'), true);
    assert.equal(can(pub, undefined, 'WRITE'), false);
    const auth = cannedAcl('authenticated-read', 'alice', 'alice', 'bucket');
    assert.equal(can(auth, 'bob', 'READ'), true);
    assert.equal(can(auth, undefined, 'READ'), false);
  });

  it('FULL_CONTROL implies each permission; a user grant covers that user only; LogDelivery covers no request', () => {
    const acl: Acl = { owner: 'alice', grants: [{ grantee: { type: 'user', id: 'bob' }, permission: 'FULL_CONTROL' }, { grantee: { type: 'group', uri: LOG_DELIVERY }, permission: 'WRITE' }] };
    for (const p of ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'] as const) assert.equal(can(acl, 'bob', p), true, p);
    assert.equal(can(acl, 'carol', 'READ'), false);
    assert.equal(can(acl, undefined, 'WRITE'), false);
    const readOnly: Acl = { owner: 'alice', grants: [{ grantee: { type: 'user', id: 'bob' }, permission: 'READ' }] };
    assert.equal(can(readOnly, 'bob', 'FULL_CONTROL'), false);
    assert.equal(can(readOnly, 'bob', 'WRITE'), false);
  });
});
