// Tests for address and CIDR parsing used by aws:SourceIp conditions: IPv4,
// IPv6 (compressed, embedded IPv4, zone ids) and IPv4-mapped IPv6 addresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inCidr, ipInCidr, parseCidr, parseIp } from './ip-cidr.ts';

describe('addresses', () => {
  it('parses IPv4 and IPv6, mapped IPv6 as the IPv4 address it carries', () => {
    assert.deepEqual(parseIp('192.168.0.1'), { v6: false, bytes: [192, 168, 0, 1] });
    assert.deepEqual(parseIp('::ffff:127.0.0.1'), { v6: false, bytes: [127, 0, 0, 1] });
    assert.deepEqual(parseIp('::ffff:7f00:1'), { v6: false, bytes: [127, 0, 0, 1] });
    assert.deepEqual(parseIp('::1'), { v6: true, bytes: [...Array<number>(15).fill(0), 1] });
    assert.deepEqual(parseIp('2001:db8::ff00:42:8329')?.bytes, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29]);
    assert.deepEqual(parseIp('[fe80::1%eth0]')?.bytes.slice(0, 2), [0xfe, 0x80]);
    assert.deepEqual(parseIp('64:ff9b::1.2.3.4')?.bytes.slice(12), [1, 2, 3, 4]);
    assert.equal(parseIp('256.1.1.1'), undefined);
    assert.equal(parseIp('1.2.3'), undefined);
    assert.equal(parseIp('not an ip'), undefined);
    assert.equal(parseIp(''), undefined);
  });

  it('parses blocks; a bare address is one host; bad prefixes are refused', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { v6: false, bytes: [10, 0, 0, 0], prefix: 8 });
    assert.deepEqual(parseCidr('10.1.2.3'), { v6: false, bytes: [10, 1, 2, 3], prefix: 32 });
    assert.equal(parseCidr('2001:db8::/32')?.prefix, 32);
    assert.equal(parseCidr('::1')?.prefix, 128);
    assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), { v6: false, bytes: [10, 0, 0, 0], prefix: 8 });
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('10.0.0.0/'), undefined);
    assert.equal(parseCidr('10.0.0.0/-1'), undefined);
    assert.equal(parseCidr('2001:db8::/129'), undefined);
  });
});

describe('membership', () => {
  it('compares the prefix bits, also at non-byte boundaries', () => {
    assert.equal(ipInCidr('10.255.1.1', '10.0.0.0/8'), true);
    assert.equal(ipInCidr('11.0.0.1', '10.0.0.0/8'), false);
    assert.equal(ipInCidr('192.168.1.130', '192.168.1.128/25'), true);
    assert.equal(ipInCidr('192.168.1.127', '192.168.1.128/25'), false);
    assert.equal(ipInCidr('172.31.255.255', '172.16.0.0/12'), true);
    assert.equal(ipInCidr('172.32.0.0', '172.16.0.0/12'), false);
    assert.equal(ipInCidr('8.8.8.8', '0.0.0.0/0'), true);
    assert.equal(ipInCidr('127.0.0.1', '127.0.0.1'), true);
    assert.equal(ipInCidr('127.0.0.2', '127.0.0.1/32'), false);
    assert.equal(ipInCidr('2001:db8:abcd::1', '2001:db8::/32'), true);
    assert.equal(ipInCidr('2001:db9::1', '2001:db8::/32'), false);
    assert.equal(ipInCidr('2001:db8::1', '2001:db8::/127'), true);
    assert.equal(ipInCidr('2001:db8::2', '2001:db8::/127'), false);
  });

  it('mapped addresses match IPv4 blocks and mapped blocks match IPv4 addresses', () => {
    assert.equal(ipInCidr('::ffff:127.0.0.1', '127.0.0.0/8'), true);
    assert.equal(ipInCidr('::ffff:127.0.0.1', '127.0.0.1/32'), true);
    assert.equal(ipInCidr('127.0.0.1', '::ffff:127.0.0.0/104'), true);
    assert.equal(ipInCidr('::ffff:192.168.0.1', '127.0.0.0/8'), false);
  });

  it('families do not mix otherwise; unparsable input matches nothing', () => {
    assert.equal(ipInCidr('::1', '0.0.0.0/0'), false);
    assert.equal(ipInCidr('127.0.0.1', '::/0'), false);
    assert.equal(ipInCidr('garbage', '0.0.0.0/0'), false);
    assert.equal(ipInCidr('1.2.3.4', 'garbage'), false);
    const ip = parseIp('10.0.0.1');
    const block = parseCidr('10.0.0.0/24');
    assert.ok(ip && block && inCidr(ip, block));
  });
});
