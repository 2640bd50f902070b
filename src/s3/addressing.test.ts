// Unit tests of request addressing: which Host headers name a bucket, and the
// path-style path each request routes as.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressRequest, bucketFromHost, hostName, parseBaseDomains, stripPrefix } from './addressing.ts';

describe('parseBaseDomains', () => {
  it('splits, trims, lower-cases and drops empty entries and trailing dots', () => {
    assert.deepEqual(parseBaseDomains(''), []);
    assert.deepEqual(parseBaseDomains('localhost'), ['localhost']);
    assert.deepEqual(parseBaseDomains(' S3.Local , localhost,, example.com. '), ['s3.local', 'localhost', 'example.com']);
  });
});

describe('hostName', () => {
  it('drops the port and a trailing dot, lower-cases', () => {
    assert.equal(hostName('Bucket.S3.Local:9000'), 'bucket.s3.local');
    assert.equal(hostName('bucket.s3.local.'), 'bucket.s3.local');
    assert.equal(hostName('bucket.s3.local.:80'), 'bucket.s3.local');
    assert.equal(hostName('localhost'), 'localhost');
  });
  it('keeps an IPv6 literal whole', () => {
    assert.equal(hostName('[::1]:9000'), '[::1]');
    assert.equal(hostName('[::1]'), '[::1]');
  });
});

describe('bucketFromHost', () => {
  const domains = ['s3.local', 'localhost'];
  it('takes the labels before the base domain as the bucket', () => {
    assert.equal(bucketFromHost('photos.s3.local', domains), 'photos');
    assert.equal(bucketFromHost('photos.s3.local:39999', domains), 'photos');
    assert.equal(bucketFromHost('PHOTOS.S3.LOCAL', domains), 'photos');
    assert.equal(bucketFromHost('my.dotted.bucket.s3.local', domains), 'my.dotted.bucket');
    assert.equal(bucketFromHost('photos.localhost:8080', domains), 'photos');
  });
  it('is path style on the base domain itself, other hosts, IPs and without a Host', () => {
    assert.equal(bucketFromHost('s3.local', domains), undefined);
    assert.equal(bucketFromHost('s3.local:9000', domains), undefined);
    assert.equal(bucketFromHost('localhost:9000', domains), undefined);
    assert.equal(bucketFromHost('127.0.0.1:9000', domains), undefined);
    assert.equal(bucketFromHost('[::1]:9000', domains), undefined);
    assert.equal(bucketFromHost('example.com', domains), undefined);
    assert.equal(bucketFromHost('xs3.local', domains), undefined, 'a suffix without the dot is another domain');
    assert.equal(bucketFromHost('.s3.local', domains), undefined, 'an empty bucket label is no bucket');
    assert.equal(bucketFromHost(undefined, domains), undefined);
  });
  it('is off when no base domain is configured', () => {
    assert.equal(bucketFromHost('photos.localhost', []), undefined);
  });
  it('prefers the longest base domain when they overlap', () => {
    assert.equal(bucketFromHost('b.s3.local', ['local', 's3.local']), 'b');
    assert.equal(bucketFromHost('b.s3.local', ['s3.local', 'local']), 'b');
    assert.equal(bucketFromHost('b.other.local', ['s3.local', 'local']), 'b.other');
  });
});

describe('addressRequest', () => {
  const domains = ['s3.local'];
  const prefix = '/api/v1/s3';
  it('routes a virtual-hosted request with the whole path as the key', () => {
    assert.deepEqual(addressRequest('b.s3.local', '/dir/sub/file.txt', domains, prefix), { path: '/b/dir/sub/file.txt', virtualHost: true });
    assert.deepEqual(addressRequest('b.s3.local', '/', domains, prefix), { path: '/b/', virtualHost: true });
    assert.deepEqual(addressRequest('b.s3.local', '/a%20b', domains, prefix), { path: '/b/a%20b', virtualHost: true });
    assert.deepEqual(addressRequest('b.s3.local', '//lead', domains, prefix), { path: '/b//lead', virtualHost: true });
  });
  it('does not strip the API prefix on a bucket host: it is part of the key', () => {
    assert.deepEqual(addressRequest('b.s3.local', '/api/v1/s3/k', domains, prefix), { path: '/b/api/v1/s3/k', virtualHost: true });
  });
  it('strips the API prefix on path style', () => {
    assert.deepEqual(addressRequest('s3.local', '/api/v1/s3/b/k', domains, prefix), { path: '/b/k', virtualHost: false });
    assert.deepEqual(addressRequest('127.0.0.1:1', '/api/v1/s3', domains, prefix), { path: '/', virtualHost: false });
    assert.deepEqual(addressRequest(undefined, '/b/k', domains, prefix), { path: '/b/k', virtualHost: false });
  });
  it('percent-encodes a host label the router must not split', () => {
    assert.deepEqual(addressRequest('a%2fb.s3.local', '/k', domains, ''), { path: '/a%252fb/k', virtualHost: true });
  });
});

describe('stripPrefix', () => {
  it('only strips a whole leading segment', () => {
    assert.equal(stripPrefix('/api/v1/s3x/b', '/api/v1/s3'), '/api/v1/s3x/b');
    assert.equal(stripPrefix('/api/v1/s3/', '/api/v1/s3'), '/');
    assert.equal(stripPrefix('/b/k', ''), '/b/k');
  });
});
