// Tests for tag sets: the Tagging document, the x-amz-tagging header, and S3's
// limits with its error codes and messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Error } from './errors.ts';
import { sortedTags, tagsFromHeader, tagsFromXml, taggingXml, validateTags, type Tag } from './tags.ts';
import { parseXml } from './xml/parser.ts';
import { renderXml } from './xml/writer.ts';

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return { code: err.code, message: err.message };
    throw err;
  }
  assert.fail('expected an S3 error');
}

const many = (n: number): Tag[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

describe('Tagging document', () => {
  it('reads the tags, with or without the namespace, and an empty TagSet', () => {
    const doc = '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>' +
      '<Tag><Key>b &amp; c</Key><Value></Value></Tag></TagSet></Tagging>';
    assert.deepEqual(tagsFromXml(parseXml(doc)), [{ key: 'a', value: '1' }, { key: 'b & c', value: '' }]);
    assert.deepEqual(tagsFromXml(parseXml('<Tagging><TagSet/></Tagging>')), []);
  });

  it('is MalformedXML without Tagging, TagSet, Key or Value', () => {
    for (const doc of ['<Tags/>', '<Tagging/>', '<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>',
      '<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>']) {
      assert.equal(refusal(() => tagsFromXml(parseXml(doc))).code, 'MalformedXML', doc);
    }
    assert.equal(refusal(() => tagsFromXml(undefined)).code, 'MalformedXML');
  });

  it('is written in key order with S3\'s namespace', () => {
    const xml = renderXml(taggingXml({ z: '1', a: '2' }));
    assert.equal(xml, '<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>' +
      '<Tag><Key>a</Key><Value>2</Value></Tag><Tag><Key>z</Key><Value>1</Value></Tag></TagSet></Tagging>');
    assert.deepEqual(sortedTags(undefined), []);
  });
});

describe('x-amz-tagging header', () => {
  it('is URL query form: percent-encoding, + for space, a bare name has the empty value', () => {
    assert.deepEqual(tagsFromHeader('foo=bar&bar'), [{ key: 'foo', value: 'bar' }, { key: 'bar', value: '' }]);
    assert.deepEqual(tagsFromHeader('a%20b=c+d&x=%3D'), [{ key: 'a b', value: 'c d' }, { key: 'x', value: '=' }]);
    assert.deepEqual(tagsFromHeader(''), []);
  });

  it('refuses a repeated name, a pair with two "=" and bad percent-encoding with S3\'s InvalidArgument', () => {
    for (const header of ['a=1&a=2', 'TagSet=[{Key=string,Value=string}]', 'a=%zz']) {
      const err = refusal(() => tagsFromHeader(header));
      assert.equal(err.code, 'InvalidArgument', header);
      assert.equal(err.message, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.");
    }
  });
});

describe('tag limits', () => {
  it('accepts 10 object tags of 128 and 256 characters, and 50 bucket tags', () => {
    const max = Array.from({ length: 10 }, (_, i) => ({ key: `${i}`.padEnd(128, 'k'), value: 'v'.repeat(256) }));
    assert.equal(Object.keys(validateTags(max, 'object')).length, 10);
    assert.equal(Object.keys(validateTags(many(50), 'bucket')).length, 50);
  });

  it('refuses an 11th object tag and a 51st bucket tag with BadRequest', () => {
    assert.deepEqual(refusal(() => validateTags(many(11), 'object')), { code: 'BadRequest', message: 'Object tags cannot be greater than 10' });
    assert.deepEqual(refusal(() => validateTags(many(51), 'bucket')), { code: 'BadRequest', message: 'Bucket tag count cannot be greater than 50' });
  });

  it('refuses long, empty, reserved, repeated and ill-charactered tags with InvalidTag', () => {
    const cases: [Tag[], string][] = [
      [[{ key: 'k'.repeat(129), value: '' }], 'The TagKey you have provided is too long, max 128'],
      [[{ key: 'k', value: 'v'.repeat(257) }], 'The TagValue you have provided is too long, max 256'],
      [[{ key: '', value: 'v' }], 'The TagKey you have provided is invalid'],
      [[{ key: 'a{b}', value: 'v' }], 'The TagKey you have provided is invalid'],
      [[{ key: 'k', value: 'semi;colon' }], 'The TagValue you have provided is invalid'],
      [[{ key: 'aws:created', value: 'v' }], 'Your TagKey cannot be prefixed with aws:'],
      [[{ key: 'k', value: '1' }, { key: 'k', value: '2' }], 'Cannot provide multiple Tags with the same key'],
    ];
    for (const [tags, message] of cases) assert.deepEqual(refusal(() => validateTags(tags, 'object')), { code: 'InvalidTag', message });
  });

  it('allows letters and numbers of any script, spaces and _ . : / = + @ -, and keeps a key named __proto__', () => {
    const tags = validateTags([{ key: 'Prüfung 検査 _.:/=+@-', value: 'ü' }, { key: '__proto__', value: 'x' }], 'object');
    assert.deepEqual(Object.entries(tags), [['Prüfung 検査 _.:/=+@-', 'ü'], ['__proto__', 'x']]);
  });

  it('counts length in UTF-16 code units, as S3 does', () => {
    // 64 astral characters are 128 code units: at the limit. 65 are over it.
    assert.doesNotThrow(() => validateTags([{ key: '𝒜'.repeat(64), value: '' }], 'object'));
    assert.equal(refusal(() => validateTags([{ key: '𝒜'.repeat(65), value: '' }], 'object')).code, 'InvalidTag');
  });
});
