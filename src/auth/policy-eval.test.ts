// Tests for bucket policy evaluation: principals, actions, resources (and
// their Not* forms) with wildcards and variables, the condition operators and
// their absent-key rules, explicit Deny over Allow, and failing closed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextKey, evaluateConditions, evaluateOperator, type ConditionContext } from './policy-conditions.ts';
import { evaluatePolicy, parsePolicy, principalMatches, type PolicyPrincipal, type PolicyRequest } from './policy-eval.ts';

const alice: PolicyPrincipal = { user: 'alice', isRoot: false };
const bob: PolicyPrincipal = { user: 'bob', isRoot: false };
const root: PolicyPrincipal = { user: 'admin', isRoot: true };
const anonymous: PolicyPrincipal = { user: undefined, isRoot: false };

function ctx(entries: Record<string, string | string[]> = {}): ConditionContext {
  return new Map(Object.entries(entries).map(([k, v]) => [contextKey(k), typeof v === 'string' ? [v] : v]));
}

function request(principal: PolicyPrincipal, action: string, resource: string, context: ConditionContext = ctx()): PolicyRequest {
  return { principal, action, resource, context };
}

type StatementJson = Record<string, unknown>;
function policy(...statements: StatementJson[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
const allowAll = (extra: StatementJson = {}): StatementJson =>
  ({ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', ...extra });

describe('principals', () => {
  it('"*" and {"AWS": "*"} name everyone, anonymous included', () => {
    for (const who of [alice, anonymous, root]) {
      assert.equal(principalMatches('*', who), true);
      assert.equal(principalMatches({ AWS: ['*'] }, who), true);
    }
  });

  it('a bare name, an IAM user ARN (with a path) or a canonical ID names that user only', () => {
    assert.equal(principalMatches({ AWS: ['bob'] }, bob), true);
    assert.equal(principalMatches({ AWS: ['bob'] }, alice), false);
    assert.equal(principalMatches({ AWS: ['arn:aws:iam::123456789012:user/bob'] }, bob), true);
    assert.equal(principalMatches({ AWS: ['arn:aws:iam::123456789012:user/team/bob'] }, bob), true);
    assert.equal(principalMatches({ AWS: ['arn:aws:iam::123456789012:user/bob'] }, alice), false);
    assert.equal(principalMatches({ AWS: ['carol', 'bob'] }, bob), true);
    assert.equal(principalMatches({ CanonicalUser: ['bob'] }, bob), true);
    assert.equal(principalMatches({ AWS: ['bob'] }, anonymous), false);
    assert.equal(principalMatches({ AWS: ['arn:aws:iam::123456789012:role/bob'] }, bob), false);
  });

  it('the account ARN names the root user; services and federated principals name nobody', () => {
    assert.equal(principalMatches({ AWS: ['arn:aws:iam::123456789012:root'] }, root), true);
    assert.equal(principalMatches({ AWS: ['arn:aws:iam::123456789012:root'] }, alice), false);
    assert.equal(principalMatches({ Service: ['cloudfront.amazonaws.com'] }, alice), false);
    assert.equal(principalMatches({ Federated: ['cognito-identity.amazonaws.com'] }, alice), false);
  });

  it('a statement applies only to its principal; NotPrincipal to everyone else', () => {
    const p = policy({ Effect: 'Allow', Principal: { AWS: 'bob' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' });
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'Allow');
    assert.equal(evaluatePolicy(p, request(alice, 's3:GetObject', 'arn:aws:s3:::b/k')), 'NoMatch');
    assert.equal(evaluatePolicy(p, request(anonymous, 's3:GetObject', 'arn:aws:s3:::b/k')), 'NoMatch');
    const np = policy({ Effect: 'Deny', NotPrincipal: { AWS: ['alice'] }, Action: 's3:*', Resource: 'arn:aws:s3:::b/*' });
    assert.equal(evaluatePolicy(np, request(alice, 's3:GetObject', 'arn:aws:s3:::b/k')), 'NoMatch');
    assert.equal(evaluatePolicy(np, request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'Deny');
    assert.equal(evaluatePolicy(np, request(anonymous, 's3:GetObject', 'arn:aws:s3:::b/k')), 'Deny');
  });
});

describe('actions and resources', () => {
  it('actions match with wildcards, case-insensitively', () => {
    const p = policy({ Effect: 'Allow', Principal: '*', Action: ['s3:Get*', 's3:?utObjectAcl'], Resource: '*' });
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:getobjectacl', 'arn:aws:s3:::b/k')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:PutObjectAcl', 'arn:aws:s3:::b/k')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:PutObject', 'arn:aws:s3:::b/k')), 'NoMatch');
    assert.equal(evaluatePolicy(p, request(bob, 's3:ListBucket', 'arn:aws:s3:::b')), 'NoMatch');
    const star = policy({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' });
    assert.equal(evaluatePolicy(star, request(bob, 's3:DeleteBucket', 'arn:aws:s3:::b')), 'Allow');
  });

  it('resources match with * (across / and :) and ?, case-sensitively', () => {
    const p = policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: ['arn:aws:s3:::b/docs/*', 'arn:aws:s3:::b/file?.txt'] });
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/docs/a/b:c.txt')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/file1.txt')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/file12.txt')), 'NoMatch');
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/Docs/a')), 'NoMatch');
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b2/docs/a')), 'NoMatch');
    // The bucket ARN is not an object ARN.
    const objects = policy({ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' });
    assert.equal(evaluatePolicy(objects, request(bob, 's3:ListBucket', 'arn:aws:s3:::b')), 'NoMatch');
  });

  it('regular-expression characters in patterns are literal', () => {
    const p = policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/a.(b)+[c]' });
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/a.(b)+[c]')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/aX(b)+[c]')), 'NoMatch');
  });

  it('NotAction and NotResource apply to everything they do not name', () => {
    const na = policy({ Effect: 'Deny', Principal: '*', NotAction: ['s3:GetObject', 's3:List*'], Resource: '*' });
    assert.equal(evaluatePolicy(na, request(bob, 's3:PutObject', 'arn:aws:s3:::b/k')), 'Deny');
    assert.equal(evaluatePolicy(na, request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'NoMatch');
    assert.equal(evaluatePolicy(na, request(bob, 's3:ListBucket', 'arn:aws:s3:::b')), 'NoMatch');
    const nr = policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::b/secret/*' });
    assert.equal(evaluatePolicy(nr, request(bob, 's3:GetObject', 'arn:aws:s3:::b/public/k')), 'Allow');
    assert.equal(evaluatePolicy(nr, request(bob, 's3:GetObject', 'arn:aws:s3:::b/secret/k')), 'NoMatch');
  });

  it('policy variables are substituted in 2012-10-17 documents only', () => {
    const statement = { Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' };
    const withVars = ctx({ 'aws:username': 'bob' });
    assert.equal(evaluatePolicy(policy(statement), request(bob, 's3:PutObject', 'arn:aws:s3:::b/home/bob/x', withVars)), 'Allow');
    assert.equal(evaluatePolicy(policy(statement), request(bob, 's3:PutObject', 'arn:aws:s3:::b/home/alice/x', withVars)), 'NoMatch');
    // Anonymous: no aws:username, so the pattern matches nothing.
    assert.equal(evaluatePolicy(policy(statement), request(anonymous, 's3:PutObject', 'arn:aws:s3:::b/home//x')), 'NoMatch');
    const old = JSON.stringify({ Version: '2008-10-17', Statement: [statement] });
    assert.equal(evaluatePolicy(old, request(bob, 's3:PutObject', 'arn:aws:s3:::b/home/bob/x', withVars)), 'NoMatch');
    assert.equal(evaluatePolicy(old, request(bob, 's3:PutObject', 'arn:aws:s3:::b/home/${aws:username}/x', withVars)), 'Allow');
    // ${*} is a literal star; a default applies when the key is absent.
    const literal = policy({ ...statement, Resource: 'arn:aws:s3:::b/${*}/${aws:username, \'guest\'}' });
    assert.equal(evaluatePolicy(literal, request(anonymous, 's3:PutObject', 'arn:aws:s3:::b/*/guest')), 'Allow');
    assert.equal(evaluatePolicy(literal, request(anonymous, 's3:PutObject', 'arn:aws:s3:::b/x/guest')), 'NoMatch');
  });
});

describe('policy results', () => {
  it('an applicable Deny beats any Allow; nothing applicable is NoMatch', () => {
    const p = policy(allowAll(), { Effect: 'Deny', Principal: { AWS: 'bob' }, Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b/*' });
    assert.equal(evaluatePolicy(p, request(bob, 's3:DeleteObject', 'arn:aws:s3:::b/k')), 'Deny');
    assert.equal(evaluatePolicy(p, request(alice, 's3:DeleteObject', 'arn:aws:s3:::b/k')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'Allow');
    assert.equal(evaluatePolicy(p, request(bob, 's3:ListBucket', 'arn:aws:s3:::b')), 'NoMatch');
    assert.equal(evaluatePolicy(undefined, request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'NoMatch');
  });

  it('a text that is no policy matches nothing; a Deny it cannot read denies everything', () => {
    assert.equal(evaluatePolicy('not json', request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'NoMatch');
    assert.equal(parsePolicy('[1]'), undefined);
    const badDeny = policy(allowAll(), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: { nested: true } });
    assert.equal(evaluatePolicy(badDeny, request(alice, 's3:GetObject', 'arn:aws:s3:::b/k')), 'Deny');
    const badAllow = policy({ Effect: 'Allow', Principal: 42, Action: 's3:*', Resource: '*' });
    assert.equal(evaluatePolicy(badAllow, request(alice, 's3:GetObject', 'arn:aws:s3:::b/k')), 'NoMatch');
  });

  it('a condition operator it does not know makes a Deny apply and an Allow not', () => {
    const cond = { Condition: { StringSoundsLike: { 'aws:username': 'bob' } } };
    assert.equal(evaluatePolicy(policy(allowAll(cond)), request(bob, 's3:GetObject', 'arn:aws:s3:::b/k', ctx({ 'aws:username': 'bob' }))), 'NoMatch');
    const deny = { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', ...cond };
    assert.equal(evaluatePolicy(policy(allowAll(), deny), request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'Deny');
    // ... unless a known condition of the same statement already rules it out.
    const ruledOut = { ...deny, Condition: { ...cond.Condition, StringEquals: { 'aws:username': 'carol' } } };
    assert.equal(evaluatePolicy(policy(allowAll(), ruledOut), request(bob, 's3:GetObject', 'arn:aws:s3:::b/k', ctx({ 'aws:username': 'bob' }))), 'Allow');
  });

  it('conditions select statements: an IP-restricted Allow, a transport Deny', () => {
    const p = policy(
      allowAll({ Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } } }),
      { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    );
    const at = (ip: string, tls: boolean) => request(anonymous, 's3:GetObject', 'arn:aws:s3:::b/k', ctx({ 'aws:SourceIp': ip, 'aws:SecureTransport': String(tls) }));
    assert.equal(evaluatePolicy(p, at('10.1.2.3', true)), 'Allow');
    assert.equal(evaluatePolicy(p, at('::ffff:10.1.2.3', true)), 'Allow');
    assert.equal(evaluatePolicy(p, at('2001:db8:1::7', true)), 'Allow');
    assert.equal(evaluatePolicy(p, at('192.168.1.1', true)), 'NoMatch');
    assert.equal(evaluatePolicy(p, at('10.1.2.3', false)), 'Deny');
  });
});

describe('condition operators', () => {
  const c = ctx({ 's3:prefix': 'home/bob/', 's3:max-keys': '50', 'aws:SecureTransport': 'true', 'aws:CurrentTime': '2025-06-01T00:00:00Z', 's3:ExistingObjectTag/Project': 'x' });
  const op = (operator: string, key: string, values: string[]) => evaluateOperator(operator, key, values, c);

  it('strings: equals, ignore-case, like; several policy values are alternatives', () => {
    assert.equal(op('StringEquals', 's3:prefix', ['home/bob/']), true);
    assert.equal(op('StringEquals', 's3:prefix', ['HOME/bob/']), false);
    assert.equal(op('StringEqualsIgnoreCase', 's3:prefix', ['HOME/bob/']), true);
    assert.equal(op('StringEquals', 's3:prefix', ['home/*']), false);
    assert.equal(op('StringLike', 's3:prefix', ['home/*']), true);
    assert.equal(op('StringLike', 's3:prefix', ['home/alice/*', 'home/bob/*']), true);
    assert.equal(op('StringLike', 's3:prefix', ['home/?ob/']), true);
  });

  it('negated strings: true only when no policy value matches', () => {
    assert.equal(op('StringNotEquals', 's3:prefix', ['home/alice/', 'home/bob/']), false);
    assert.equal(op('StringNotEquals', 's3:prefix', ['home/alice/', 'x']), true);
    assert.equal(op('StringNotLike', 's3:prefix', ['home/*']), false);
    assert.equal(op('StringNotEqualsIgnoreCase', 's3:prefix', ['HOME/BOB/']), false);
  });

  it('an absent key: false, true for negated operators, ...IfExists and ForAllValues; Null tests presence', () => {
    assert.equal(op('StringEquals', 's3:delimiter', ['/']), false);
    assert.equal(op('StringLike', 's3:delimiter', ['*']), false);
    assert.equal(op('StringNotEquals', 's3:delimiter', ['/']), true);
    assert.equal(op('NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8']), true);
    assert.equal(op('StringEqualsIfExists', 's3:delimiter', ['/']), true);
    assert.equal(op('StringEqualsIfExists', 's3:prefix', ['other']), false);
    assert.equal(op('ForAllValues:StringEquals', 's3:RequestObjectTagKeys', ['a']), true);
    assert.equal(op('ForAnyValue:StringEquals', 's3:RequestObjectTagKeys', ['a']), false);
    assert.equal(op('Null', 's3:delimiter', ['true']), true);
    assert.equal(op('Null', 's3:prefix', ['true']), false);
    assert.equal(op('Null', 's3:prefix', ['false']), true);
  });

  it('numbers, dates and booleans', () => {
    assert.equal(op('NumericLessThanEquals', 's3:max-keys', ['50']), true);
    assert.equal(op('NumericLessThan', 's3:max-keys', ['50']), false);
    assert.equal(op('NumericGreaterThan', 's3:max-keys', ['10']), true);
    assert.equal(op('NumericEquals', 's3:max-keys', ['50.0']), true);
    assert.equal(op('NumericNotEquals', 's3:max-keys', ['50']), false);
    assert.equal(op('NumericLessThan', 's3:prefix', ['50']), false);
    assert.equal(op('DateLessThan', 'aws:CurrentTime', ['2026-01-01T00:00:00Z']), true);
    assert.equal(op('DateGreaterThan', 'aws:CurrentTime', ['2026-01-01T00:00:00Z']), false);
    assert.equal(op('DateGreaterThanEquals', 'aws:CurrentTime', [String(Date.parse('2025-06-01T00:00:00Z') / 1000)]), true);
    assert.equal(op('Bool', 'aws:SecureTransport', ['True']), true);
    assert.equal(op('Bool', 'aws:SecureTransport', ['false']), false);
  });

  it('multivalued keys with ForAnyValue / ForAllValues', () => {
    const tags = ctx({ 's3:RequestObjectTagKeys': ['project', 'owner'] });
    assert.equal(evaluateOperator('ForAllValues:StringEquals', 's3:RequestObjectTagKeys', ['project', 'owner', 'cost'], tags), true);
    assert.equal(evaluateOperator('ForAllValues:StringEquals', 's3:RequestObjectTagKeys', ['project'], tags), false);
    assert.equal(evaluateOperator('ForAnyValue:StringEquals', 's3:RequestObjectTagKeys', ['owner'], tags), true);
    assert.equal(evaluateOperator('ForAnyValue:StringEquals', 's3:RequestObjectTagKeys', ['cost'], tags), false);
  });

  it('key names are case-insensitive, tag keys after the slash are not', () => {
    assert.equal(op('StringEquals', 'S3:Prefix', ['home/bob/']), true);
    assert.equal(op('StringEquals', 's3:existingobjecttag/Project', ['x']), true);
    assert.equal(op('StringEquals', 's3:ExistingObjectTag/project', ['x']), false);
  });

  it('a block holds only when every operator and key holds; an unknown operator is undefined', () => {
    assert.equal(evaluateConditions({ StringLike: { 's3:prefix': ['home/*'] }, NumericLessThan: { 's3:max-keys': ['100'] } }, c), true);
    assert.equal(evaluateConditions({ StringLike: { 's3:prefix': ['home/*'] }, NumericLessThan: { 's3:max-keys': ['10'] } }, c), false);
    assert.equal(evaluateConditions({ StringLike: { 's3:prefix': ['home/*'], 's3:delimiter': ['/'] } }, c), false);
    assert.equal(evaluateConditions({ Bogus: { 's3:prefix': ['x'] } }, c), undefined);
    assert.equal(evaluateConditions(undefined, c), true);
  });

  it('policy values may be numbers and booleans in the JSON', () => {
    const p = policy(allowAll({ Condition: { NumericLessThanEquals: { 's3:max-keys': 100 }, Bool: { 'aws:SecureTransport': true } } }));
    const r = (max: string) => request(bob, 's3:GetObject', 'arn:aws:s3:::b/k', ctx({ 's3:max-keys': max, 'aws:SecureTransport': 'true' }));
    assert.equal(evaluatePolicy(p, r('100')), 'Allow');
    assert.equal(evaluatePolicy(p, r('101')), 'NoMatch');
  });
});
