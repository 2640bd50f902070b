import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { deriveSigningKey, SigningKey, signaturesEqual } from './signing-key.ts';

const reference = (key: Buffer, text: string): string => createHmac('sha256', key).update(text).digest('hex');

test('SigningKey.signHex is HMAC-SHA256 for every length, across buffer growth and reuse', () => {
  const key = new SigningKey(randomBytes(32));
  // Lengths around the block size and past the preallocated room, then short ones again after growing.
  for (const length of [0, 1, 55, 56, 63, 64, 65, 200, 1023, 1024, 1025, 5000, 3, 64]) {
    const text = randomBytes(length).toString('base64').slice(0, length);
    assert.equal(key.signHex(text), reference(key.bytes, text), `length ${length}`);
  }
});

test('SigningKey.signHex hashes non-ASCII text as UTF-8, as createHmac does', () => {
  const key = new SigningKey(randomBytes(32));
  for (const text of ['\u00e9t\u00e9', 'key/\u6587\u5b57', '\u{1F600}', 'a\u0080b']) {
    assert.equal(key.signHex(text), reference(key.bytes, text));
  }
});

test('deriveSigningKey follows the AWS example (Signature Version 4 test suite)', () => {
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html example values.
  const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam');
  assert.equal(key.bytes.toString('hex'), 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  assert.equal(deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam'), key, 'cached');
  assert.notEqual(deriveSigningKey('another secret', '20150830', 'us-east-1', 'iam').bytes.toString('hex'), key.bytes.toString('hex'));
});

test('signaturesEqual compares whole values', () => {
  assert.equal(signaturesEqual('abc', 'abc'), true);
  assert.equal(signaturesEqual('abc', 'abd'), false);
  assert.equal(signaturesEqual('abc', 'abcd'), false);
  assert.equal(signaturesEqual('abc', 'ab\u0130'), false);
});
