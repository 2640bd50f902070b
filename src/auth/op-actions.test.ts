// Tests for the operation -> action table: every routed operation has a row,
// every action it names is one a bucket policy may name (on the right kind of
// resource), the documented mappings, header-driven extra actions, and what
// a caller must load per operation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUCKET_ACTIONS, OBJECT_ACTIONS } from '../s3/policy-actions.ts';
import { ROUTES } from '../s3/router.ts';
import { OP_RULES, headerChecks, requiredResources, type CheckRule } from './op-actions.ts';

const routedOps = [...new Set(ROUTES.map((r) => r.op))];

function rulesOf(op: string): readonly CheckRule[] {
  const rule = OP_RULES[op];
  assert.ok(rule, `no rule for ${op}`);
  return rule.kind === 'checks' ? rule.checks : [];
}

const actionsOf = (op: string): string[] => rulesOf(op).map((c) => c.action);

describe('the operation table', () => {
  it('has a row for every operation the router can produce, and none it cannot', () => {
    const missing = routedOps.filter((op) => OP_RULES[op] === undefined);
    assert.deepEqual(missing, []);
    const extra = Object.keys(OP_RULES).filter((op) => !routedOps.includes(op));
    assert.deepEqual(extra, []);
    assert.ok(routedOps.length > 90, `only ${routedOps.length} ops routed`);
  });

  it('names only actions a bucket policy may name, on the resource kind they apply to', () => {
    const headers: Record<string, string> = {
      'x-amz-acl': 'private', 'x-amz-tagging': 'a=b', 'x-amz-tagging-directive': 'REPLACE', 'x-amz-object-lock-mode': 'GOVERNANCE',
      'x-amz-object-lock-legal-hold': 'ON', 'x-amz-bypass-governance-retention': 'true',
    };
    for (const op of routedOps) {
      for (const check of [...rulesOf(op), ...headerChecks(op, (n) => headers[n])]) {
        for (const action of [check.action, check.versionAction].filter((a): a is string => a !== undefined)) {
          assert.match(action, /^s3:/);
          const list = check.resource === 'bucket' ? BUCKET_ACTIONS : OBJECT_ACTIONS;
          assert.ok(list.includes(action.slice(3)), `${op}: ${action} is not a ${check.resource} action`);
        }
      }
    }
  });

  it('maps operations to the actions the S3 permissions page lists', () => {
    assert.deepEqual(actionsOf('GetObject'), ['s3:GetObject']);
    assert.deepEqual(actionsOf('HeadObject'), ['s3:GetObject']);
    assert.equal(rulesOf('GetObject')[0].versionAction, 's3:GetObjectVersion');
    assert.deepEqual(actionsOf('ListObjects'), ['s3:ListBucket']);
    assert.deepEqual(actionsOf('ListObjectsV2'), ['s3:ListBucket']);
    assert.deepEqual(actionsOf('HeadBucket'), ['s3:ListBucket']);
    assert.deepEqual(actionsOf('ListObjectVersions'), ['s3:ListBucketVersions']);
    assert.deepEqual(actionsOf('ListMultipartUploads'), ['s3:ListBucketMultipartUploads']);
    for (const op of ['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'PostObject']) {
      assert.deepEqual(actionsOf(op), ['s3:PutObject'], op);
    }
    assert.deepEqual(actionsOf('AbortMultipartUpload'), ['s3:AbortMultipartUpload']);
    assert.deepEqual(actionsOf('ListParts'), ['s3:ListMultipartUploadParts']);
    assert.deepEqual(actionsOf('DeleteObject'), ['s3:DeleteObject']);
    assert.deepEqual(actionsOf('DeleteObjects'), ['s3:DeleteObject']);
    assert.deepEqual(actionsOf('CopyObject'), ['s3:GetObject', 's3:PutObject']);
    assert.deepEqual(rulesOf('CopyObject').map((c) => c.source === true), [true, false]);
    assert.deepEqual(actionsOf('UploadPartCopy'), ['s3:GetObject', 's3:PutObject']);
    assert.deepEqual(actionsOf('GetObjectAttributes'), ['s3:GetObject', 's3:GetObjectAttributes']);
    assert.deepEqual(actionsOf('GetObjectAcl'), ['s3:GetObjectAcl']);
    assert.deepEqual(actionsOf('PutObjectAcl'), ['s3:PutObjectAcl']);
    assert.deepEqual(actionsOf('GetBucketAcl'), ['s3:GetBucketAcl']);
    assert.deepEqual(actionsOf('PutBucketPolicy'), ['s3:PutBucketPolicy']);
    assert.deepEqual(actionsOf('DeleteBucketPolicy'), ['s3:DeleteBucketPolicy']);
    assert.deepEqual(actionsOf('DeleteBucketCors'), ['s3:PutBucketCORS']);
    assert.deepEqual(actionsOf('GetBucketLifecycleConfiguration'), ['s3:GetLifecycleConfiguration']);
    assert.deepEqual(actionsOf('DeleteBucketTagging'), ['s3:PutBucketTagging']);
    assert.deepEqual(actionsOf('DeleteObjectTagging'), ['s3:DeleteObjectTagging']);
    assert.deepEqual(actionsOf('GetPublicAccessBlock'), ['s3:GetBucketPublicAccessBlock']);
    assert.deepEqual(OP_RULES.ListBuckets, { kind: 'authenticated' });
    assert.deepEqual(OP_RULES.CreateBucket, { kind: 'authenticated' });
    assert.deepEqual(OP_RULES.OptionsObject, { kind: 'public' });
  });

  it('maps ACL permissions as the ACL overview does: object READ/ACP on the object, WRITE and listing on the bucket', () => {
    const acl = (op: string) => rulesOf(op).map((c) => c.acl && `${c.acl.on}:${c.acl.permission}`);
    assert.deepEqual(acl('GetObject'), ['object:READ']);
    assert.deepEqual(acl('GetObjectTorrent'), ['object:READ']);
    assert.deepEqual(acl('GetObjectAcl'), ['object:READ_ACP']);
    assert.deepEqual(acl('PutObjectAcl'), ['object:WRITE_ACP']);
    assert.deepEqual(acl('PutObject'), ['bucket:WRITE']);
    assert.deepEqual(acl('DeleteObject'), ['bucket:WRITE']);
    assert.deepEqual(acl('ListObjectsV2'), ['bucket:READ']);
    assert.deepEqual(acl('ListObjectVersions'), ['bucket:READ']);
    assert.deepEqual(acl('GetBucketAcl'), ['bucket:READ_ACP']);
    assert.deepEqual(acl('PutBucketAcl'), ['bucket:WRITE_ACP']);
    assert.deepEqual(acl('CopyObject'), ['object:READ', 'bucket:WRITE']);
    // No ACL permission maps to these: owners and policies only.
    for (const op of ['GetBucketPolicy', 'PutBucketTagging', 'DeleteBucket', 'GetBucketLocation', 'PutObjectTagging', 'AbortMultipartUpload']) {
      assert.deepEqual(acl(op), [undefined], op);
    }
  });
});

describe('header checks', () => {
  const h = (headers: Record<string, string>) => (name: string): string | undefined => headers[name];

  it('a write that sets an ACL, tags or a lock needs those actions too', () => {
    assert.deepEqual(headerChecks('PutObject', h({})), []);
    assert.deepEqual(headerChecks('PutObject', h({ 'x-amz-acl': 'public-read' })).map((c) => c.action), ['s3:PutObjectAcl']);
    assert.deepEqual(headerChecks('CreateMultipartUpload', h({ 'x-amz-grant-read': 'id=bob' })).map((c) => c.action), ['s3:PutObjectAcl']);
    assert.deepEqual(headerChecks('PutObject', h({ 'x-amz-tagging': 'a=b' })).map((c) => c.action), ['s3:PutObjectTagging']);
    assert.deepEqual(headerChecks('PutObject', h({ 'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z', 'x-amz-object-lock-legal-hold': 'ON' }))
      .map((c) => c.action), ['s3:PutObjectRetention', 's3:PutObjectLegalHold']);
    // CopyObject sets tags only when it replaces them.
    assert.deepEqual(headerChecks('CopyObject', h({ 'x-amz-tagging': 'a=b' })), []);
    assert.deepEqual(headerChecks('CopyObject', h({ 'x-amz-tagging': 'a=b', 'x-amz-tagging-directive': 'replace' })).map((c) => c.action), ['s3:PutObjectTagging']);
    // The writer will own the object, so the bucket's WRITE grants these as well.
    assert.deepEqual(headerChecks('PutObject', h({ 'x-amz-acl': 'private' }))[0].acl, { on: 'bucket', permission: 'WRITE' });
    // Reads are not writes.
    assert.deepEqual(headerChecks('GetObject', h({ 'x-amz-acl': 'private' })), []);
  });

  it('bypassing governance retention needs s3:BypassGovernanceRetention', () => {
    const bypass = h({ 'x-amz-bypass-governance-retention': 'true' });
    assert.deepEqual(headerChecks('DeleteObject', bypass).map((c) => c.action), ['s3:BypassGovernanceRetention']);
    assert.deepEqual(headerChecks('PutObjectRetention', bypass).map((c) => c.action), ['s3:BypassGovernanceRetention']);
    assert.deepEqual(headerChecks('DeleteObject', h({ 'x-amz-bypass-governance-retention': 'false' })), []);
  });
});

describe('required resources', () => {
  it('says which rows to load', () => {
    assert.deepEqual(requiredResources('GetObject'), { bucket: true, object: true, source: false, upload: false });
    assert.deepEqual(requiredResources('PutObjectTagging'), { bucket: true, object: true, source: false, upload: false });
    assert.deepEqual(requiredResources('PutObject'), { bucket: true, object: false, source: false, upload: false });
    assert.deepEqual(requiredResources('ListObjectsV2'), { bucket: true, object: false, source: false, upload: false });
    assert.deepEqual(requiredResources('CopyObject'), { bucket: true, object: false, source: true, upload: false });
    assert.deepEqual(requiredResources('ListParts'), { bucket: true, object: false, source: false, upload: true });
    assert.deepEqual(requiredResources('ListBuckets'), { bucket: false, object: false, source: false, upload: false });
    assert.deepEqual(requiredResources('NoSuchOperation'), { bucket: false, object: false, source: false, upload: false });
  });
});
