import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isS3Error } from '../s3/errors.ts';
import { parseAuthorizationHeader } from './sigv4-parse.ts';

const header = (signature: string, extra = ''): string =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}${extra}`;

test('a remembered header shape still yields each request its own signature', () => {
  const first = parseAuthorizationHeader(header('a'.repeat(64)), 'us-east-1');
  const second = parseAuthorizationHeader(header('b'.repeat(64)), 'us-east-1');
  assert.equal(first.signature, 'a'.repeat(64));
  assert.equal(second.signature, 'b'.repeat(64));
  assert.deepEqual(second.signedHeaders, ['host', 'x-amz-date']);
  assert.equal(second.credential.accessKeyId, 'AKIDEXAMPLE');
});

test('the signature is read the same way whether or not the shape is remembered', () => {
  for (let i = 0; i < 2; i++) {
    // Signature not last, with spaces around it.
    const moved = parseAuthorizationHeader(
      'AWS4-HMAC-SHA256 Signature= abc ,Credential=AKIDEXAMPLE/20261127/us-east-1/s3/aws4_request,SignedHeaders=host', 'us-east-1');
    assert.equal(moved.signature, 'abc');
    // Two Signature items: the later one counts, as in a fresh parse.
    const twice = parseAuthorizationHeader(header('first', ', Signature=second'), 'us-east-1');
    assert.equal(twice.signature, 'second');
  }
});

test('a shape is remembered per region, and refusals are never remembered', () => {
  parseAuthorizationHeader(header('c'.repeat(64)), 'us-east-1');
  for (let i = 0; i < 2; i++) {
    assert.throws(() => parseAuthorizationHeader(header('c'.repeat(64)), 'eu-west-1'),
      (err: unknown) => isS3Error(err) && err.code === 'AuthorizationHeaderMalformed');
    assert.throws(() => parseAuthorizationHeader('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/s3/aws4_request, Signature=x', 'us-east-1'),
      (err: unknown) => isS3Error(err) && err.code === 'AuthorizationHeaderMalformed');
  }
});
