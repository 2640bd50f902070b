// combineCrcs must agree with a CRC computed over the concatenated bytes, for
// every combinable algorithm, with empty pieces, one piece and many.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createChecksum, type ChecksumAlgorithm } from './checksums.ts';
import { combineCrcs, isCombinable } from './crc-combine.ts';

function crcOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksum(algorithm);
  c.update(data);
  return c.digest();
}

describe('combineCrcs', () => {
  for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
    it(`${algorithm}: the combination of the pieces' CRCs is the CRC of their concatenation`, () => {
      const pieces = [randomBytes(1), randomBytes(0), randomBytes(70_001), randomBytes(4096), randomBytes(13)];
      const combined = combineCrcs(algorithm, pieces.map((p) => ({ value: crcOf(algorithm, p), length: p.length })));
      assert.equal(combined, crcOf(algorithm, Buffer.concat(pieces)));
      const one = randomBytes(5000);
      assert.equal(combineCrcs(algorithm, [{ value: crcOf(algorithm, one), length: one.length }]), crcOf(algorithm, one));
    });
  }

  it('knows which algorithms combine', () => {
    assert.equal(isCombinable('CRC64NVME'), true);
    assert.equal(isCombinable('SHA256'), false);
    assert.throws(() => combineCrcs('SHA1', []), /cannot be combined/);
  });
});
