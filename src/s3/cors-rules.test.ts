// Tests for CORS rules: the CORSConfiguration document with S3's validation
// errors, origin and header wildcards, first-match selection and the headers a match earns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORS_VARY, corsFromXml, corsHeaders, corsXml, matchRule, readCors, requestedHeaders, wildcardMatch, type CorsRule } from './cors-rules.ts';
import { S3Error } from './errors.ts';
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

const config = (rules: string): string => `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</CORSConfiguration>`;
const SITE = '<CORSRule><ID>site</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>' +
  '<AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>' +
  '<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-version-id</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>';
const ANY = '<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>';

describe('CORSConfiguration document', () => {
  it('reads rules and writes them back in the API model\'s member order', () => {
    const rules = corsFromXml(parseXml(config(SITE + ANY)));
    assert.deepEqual(rules, [
      { id: 'site', allowedOrigins: ['https://*.example.com'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['x-amz-*', 'Content-Type'], exposeHeaders: ['ETag', 'x-amz-version-id'], maxAgeSeconds: 600 },
      { allowedOrigins: ['*'], allowedMethods: ['HEAD'], allowedHeaders: [], exposeHeaders: [] },
    ]);
    assert.equal(renderXml(corsXml(rules)), '<?xml version="1.0" encoding="UTF-8"?>\n' + config(
      '<CORSRule><ID>site</ID><AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>' +
      '<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://*.example.com</AllowedOrigin>' +
      '<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-version-id</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>' +
      '<CORSRule><AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>'));
    assert.deepEqual(readCors(JSON.parse(JSON.stringify(rules))), rules);
  });

  it('is MalformedXML with no rule, over 100 rules, or a rule without an origin or method', () => {
    const docs = [
      config(''),
      config(ANY.repeat(101)),
      config('<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>'),
      config('<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>'),
      config('<CORSRule/>'),
      config('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule>'),
      '<CORSRules/>',
    ];
    for (const doc of docs) assert.equal(refusal(() => corsFromXml(parseXml(doc))).code, 'MalformedXML', doc);
    assert.equal(corsFromXml(parseXml(config(ANY.repeat(100)))).length, 100);
  });

  it('refuses an unsupported method and extra wildcards with S3\'s InvalidRequest messages', () => {
    const rule = (inner: string): string => config(`<CORSRule>${inner}</CORSRule>`);
    const cases: [string, string][] = [
      [rule('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>'), 'Found unsupported HTTP method in CORS config. Unsupported method is PATCH'],
      [rule('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>'), 'Found unsupported HTTP method in CORS config. Unsupported method is get'],
      [rule('<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>'), 'AllowedOrigin "*example*.com" can not have more than one wildcard.'],
      [rule('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>'), 'AllowedHeader "x-*-*" can not have more than one wildcard.'],
      [rule('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader>'), 'ExposeHeader "*" contains wildcard. We currently do not support wildcard for ExposeHeader.'],
    ];
    for (const [doc, message] of cases) assert.deepEqual(refusal(() => corsFromXml(parseXml(doc))), { code: 'InvalidRequest', message });
  });

  it('has no stored rules for anything but a non-empty rule list', () => {
    for (const raw of [undefined, [], 'x', [{ allowedOrigins: '*' }]]) assert.equal(readCors(raw), undefined);
  });
});

describe('matching', () => {
  const rules = corsFromXml(parseXml(config(SITE + ANY)));

  it('a wildcard matches any run (the empty one too) and is anchored at both ends', () => {
    assert.equal(wildcardMatch('*suffix', 'foo.suffix'), true);
    assert.equal(wildcardMatch('start*end', 'startend'), true);
    assert.equal(wildcardMatch('start*end', 'start12end'), true);
    assert.equal(wildcardMatch('start*end', '0start12end'), false);
    assert.equal(wildcardMatch('prefix*', 'bla.prefix'), false);
    assert.equal(wildcardMatch('*suffix', 'foo.suffix.get'), false);
    assert.equal(wildcardMatch('http://*.example.com', 'https://a.example.com'), false);
  });

  it('takes the first rule whose origin, method and every requested header match', () => {
    assert.equal(matchRule(rules, 'https://app.example.com', 'PUT', requestedHeaders('Content-Type, X-Amz-Meta-Name'))?.id, 'site');
    assert.equal(matchRule(rules, 'https://app.example.com', 'HEAD')?.allowedOrigins[0], '*');
    assert.equal(matchRule(rules, 'https://app.example.com', 'DELETE'), undefined);
    assert.equal(matchRule(rules, 'https://app.example.com', 'GET', ['authorization']), undefined);
    assert.equal(matchRule(rules, 'https://example.org', 'GET'), undefined);
    const noHeaders: CorsRule[] = [{ allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: [] }];
    assert.equal(matchRule(noHeaders, 'x', 'GET', ['x-amz-meta-a']), undefined);
  });

  it('earns the origin echoed with credentials for a named origin, and * without them for any origin', () => {
    const site = matchRule(rules, 'https://app.example.com', 'GET')!;
    assert.deepEqual(corsHeaders(site, 'https://app.example.com', ['content-type']), {
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Methods': 'GET, PUT',
      'Access-Control-Allow-Headers': 'content-type',
      'Access-Control-Expose-Headers': 'ETag, x-amz-version-id',
      'Access-Control-Max-Age': '600',
      'Access-Control-Allow-Credentials': 'true',
      Vary: CORS_VARY,
    });
    const any = matchRule(rules, 'null', 'HEAD')!;
    assert.deepEqual(corsHeaders(any, 'null'), { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'HEAD', Vary: CORS_VARY });
  });
});
