// Tests for bucket policy validation (S3's MalformedPolicy messages) and the
// public-policy test behind GetBucketPolicyStatus.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Error } from './errors.ts';
import { MAX_POLICY_BYTES, policyIsPublic, validatePolicy } from './policy-doc.ts';

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return { code: err.code, message: err.message };
    throw err;
  }
  assert.fail('expected an S3 error');
}

type Statement = Record<string, unknown>;
const ARN = 'arn:aws:s3:::photos';
const READ: Statement = { Sid: 'read', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${ARN}/*` };
const doc = (...statements: Statement[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const malformed = (text: string): string => {
  const err = refusal(() => validatePolicy(text, 'photos'));
  assert.equal(err.code, 'MalformedPolicy');
  return err.message;
};

describe('validatePolicy', () => {
  it('accepts the usual shapes', () => {
    const good = [
      doc(READ),
      doc({ Effect: 'Deny', Principal: { AWS: ['arn:aws:iam::111122223333:root', 'bob'] }, Action: ['s3:ListBucket', 's3:GetObject'], Resource: [ARN, `${ARN}/*`] }),
      doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:*', Resource: `${ARN}/public/*`, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }),
      doc({ Effect: 'Allow', Principal: '*', Action: 's3:Get*', Resource: ARN }),
      doc({ Effect: 'Allow', Principal: '*', NotAction: 's3:DeleteObject', Resource: `${ARN}/*` }),
      JSON.stringify({ Statement: READ }),
      JSON.stringify({ Version: '2008-10-17', Id: 'x', Statement: [READ] }),
    ];
    for (const text of good) assert.doesNotThrow(() => validatePolicy(text, 'photos'), text);
  });

  it('refuses what is not a JSON object', () => {
    assert.equal(malformed('not a policy'), "Policies must be valid JSON and the first byte must be '{'");
    assert.equal(malformed(''), "Policies must be valid JSON and the first byte must be '{'");
    assert.equal(malformed(' {}'), "Policies must be valid JSON and the first byte must be '{'");
    assert.equal(malformed('{"Statement": ['), "Policies must be valid JSON and the first byte must be '{'");
    assert.equal(malformed(`{"Statement": [], "x": "${'a'.repeat(MAX_POLICY_BYTES)}"}`), 'Policy exceeds the maximum allowed document size.');
  });

  it('refuses missing and wrong fields with S3\'s messages', () => {
    const without = (field: string): Statement => Object.fromEntries(Object.entries(READ).filter(([k]) => k !== field));
    assert.equal(malformed('{"Version": "2012-10-17"}'), 'Missing required field Statement');
    assert.equal(malformed(doc()), 'Could not parse the policy: Statement is empty!');
    assert.equal(malformed(JSON.stringify({ Version: '2020-01-01', Statement: [READ] })), 'The policy must contain a valid version string');
    assert.equal(malformed(doc(without('Effect'))), 'Missing required field Effect');
    assert.equal(malformed(doc({ ...READ, Effect: 'Permit' })), 'Invalid effect: Permit');
    assert.equal(malformed(doc(without('Principal'))), 'Missing required field Principal');
    assert.equal(malformed(doc({ ...READ, Principal: {} })), 'Invalid principal in policy');
    assert.equal(malformed(doc({ ...READ, Principal: { Robot: '*' } })), 'Invalid principal in policy');
    assert.equal(malformed(doc(without('Action'))), 'Missing required field Action');
    assert.equal(malformed(doc({ ...READ, Action: 'ec2:RunInstances' })), 'Policy has invalid action');
    assert.equal(malformed(doc({ ...READ, Action: 's3:FlyAway' })), 'Policy has invalid action');
    assert.equal(malformed(doc(without('Resource'))), 'Missing required field Resource');
    assert.equal(malformed(doc({ ...READ, Resource: 'arn:aws:s3:::another-bucket/*' })), 'Policy has invalid resource');
    assert.equal(malformed(doc({ ...READ, Resource: 'photos/*' })), 'Policy has invalid resource');
    assert.equal(malformed(doc({ ...READ, Condition: 'always' })), 'Policy has an invalid condition key');
  });

  it('refuses an action that applies to none of the statement\'s resources', () => {
    const message = 'Action does not apply to any resource(s) in statement';
    assert.equal(malformed(doc({ ...READ, Resource: ARN })), message);
    assert.equal(malformed(doc({ ...READ, Action: 's3:ListBucket' })), message);
    assert.equal(malformed(doc({ ...READ, Action: ['s3:GetObject', 's3:ListBucket'] })), message);
  });
});

describe('policyIsPublic', () => {
  it('is true for an unconditional Allow to everyone', () => {
    assert.equal(policyIsPublic(doc(READ)), true);
    assert.equal(policyIsPublic(doc({ ...READ, Principal: { AWS: ['bob', '*'] } })), true);
  });

  it('is false for a Deny, a named principal, or a condition', () => {
    assert.equal(policyIsPublic(doc({ ...READ, Effect: 'Deny' })), false);
    assert.equal(policyIsPublic(doc({ ...READ, Principal: { AWS: 'bob' } })), false);
    assert.equal(policyIsPublic(doc({ ...READ, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })), false);
    assert.equal(policyIsPublic('garbage'), false);
  });
});
