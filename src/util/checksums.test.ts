// Tests for the S3 checksum calculators: published check values, values S3
// itself returns (as recorded in versitygw's S3 compatibility tests), and
// bit-by-bit reference implementations for the hand-written CRCs.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { S3Error } from '../s3/errors.ts';
import {
  CHECKSUM_ALGORITHMS, checksumAlgorithmForHeader, checksumHeaderName, createChecksum,
  isWellFormedChecksum, parseChecksumAlgorithm, type ChecksumAlgorithm,
} from './checksums.ts';

function digestOf(algorithm: ChecksumAlgorithm, data: Buffer | string, pieces = 1): string {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const checksum = createChecksum(algorithm);
  const step = Math.max(1, Math.ceil(buf.length / pieces));
  for (let i = 0; i < buf.length; i += step) checksum.update(buf.subarray(i, i + step));
  return checksum.digest();
}

const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');

// Deliberately naive: one bit at a time from the polynomial's definition, with
// BigInt so no 32-bit trickery is shared with the implementation under test.
function referenceCrc64Nvme(data: Buffer): string {
  const poly = 0x9a6c9329ac4bc9b5n;
  const mask = 0xffffffffffffffffn;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  crc ^= mask;
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(crc);
  return out.toString('base64');
}

function referenceCrc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

describe('checksum calculators', () => {
  it('match the published check values for "123456789"', () => {
    assert.equal(hex(digestOf('CRC32', '123456789')), 'cbf43926');
    assert.equal(hex(digestOf('CRC32C', '123456789')), 'e3069283');
    assert.equal(hex(digestOf('CRC64NVME', '123456789')), 'ae8b14860a799888');
    assert.equal(hex(digestOf('SHA1', '123456789')), 'f7c3bc1d808e04732adf679965ccc34ca7ae3441');
    assert.equal(hex(digestOf('SHA256', '123456789')), '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
  });

  it('match the values the AWS SDK sends for "hello world"', () => {
    assert.equal(digestOf('CRC32', 'hello world'), 'DUoRhQ==');
    assert.equal(digestOf('CRC32C', 'hello world'), 'yZRlqg==');
    assert.equal(digestOf('CRC64NVME', 'hello world'), 'jSnVw/bqjr4=');
  });

  it('match values returned by Amazon S3', () => {
    const expected: Record<string, Record<ChecksumAlgorithm, string>> = {
      abcdefg: {
        CRC32: 'MSpqpg==', CRC32C: '5if0QQ==', CRC64NVME: 'SmzZ/LTp1CA=',
        SHA1: 'L7XhNBn8iSRoZeejJPR27GJOh0A=', SHA256: 'fRpUEnsiJQL1t5tfsIAwYRUqRPkrN+I8ZSe69mXU2po=',
      },
      'dummy data': {
        CRC32: 'QWaN2w==', CRC32C: 'R/I7iQ==', CRC64NVME: 'dPVWc2vU1+Q=',
        SHA1: 'YR/1TvTYOJz5gtqVFoBJBtmTibY=', SHA256: 'eXuwq/95jXIAr3aF3KeQHt/8Ur8mUA1b2XKCZY7iQVI=',
      },
      'the object data': {
        CRC32: 'z3mWAA==', CRC32C: 'rxvjPA==', CRC64NVME: 'dYnI3/Fh0gM=',
        SHA1: '8O8FwCfmd5fCbCBvH09mrKMVoHU=', SHA256: 'OoSow5X4zTIPl27MtdFdYT+9O3C367C75+Cb2MFtRBc=',
      },
    };
    for (const [text, values] of Object.entries(expected)) {
      for (const algorithm of CHECKSUM_ALGORITHMS) assert.equal(digestOf(algorithm, text), values[algorithm], `${algorithm}(${text})`);
    }
    assert.equal(digestOf('CRC64NVME', 'hello'), 'M3eFcAZSQlc=');
  });

  it('handle the empty input', () => {
    assert.equal(digestOf('CRC32', ''), 'AAAAAA==');
    assert.equal(digestOf('CRC32C', ''), 'AAAAAA==');
    assert.equal(digestOf('CRC64NVME', ''), 'AAAAAAAAAAA=');
    assert.equal(digestOf('SHA256', ''), createHash('sha256').digest('base64'));
  });

  it('CRC32C and CRC64NVME agree with bit-by-bit references on random data of every alignment', () => {
    const data = randomBytes(300);
    for (let length = 0; length <= data.length; length++) {
      const slice = data.subarray(0, length);
      assert.equal(digestOf('CRC64NVME', slice), referenceCrc64Nvme(slice), `CRC64NVME length ${length}`);
      assert.equal(digestOf('CRC32C', slice), referenceCrc32c(slice), `CRC32C length ${length}`);
    }
    // Unaligned starting offsets (a Buffer view into a larger pool).
    for (let offset = 1; offset < 9; offset++) {
      const view = data.subarray(offset, offset + 200);
      assert.equal(digestOf('CRC64NVME', view), referenceCrc64Nvme(view));
      assert.equal(digestOf('CRC32C', view), referenceCrc32c(view));
    }
  });

  it('give the same digest however the input is split', () => {
    const data = randomBytes(100_003);
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const whole = digestOf(algorithm, data);
      for (const pieces of [2, 3, 7, 1000]) assert.equal(digestOf(algorithm, data, pieces), whole, `${algorithm} in ${pieces}`);
      const checksum = createChecksum(algorithm);
      let i = 0;
      while (i < data.length) {
        const n = Math.floor(Math.random() * 20);
        checksum.update(data.subarray(i, i + n));
        i += n;
      }
      assert.equal(checksum.digest(), whole, `${algorithm} in random pieces`);
    }
    assert.equal(digestOf('SHA1', data), createHash('sha1').update(data).digest('base64'));
    assert.equal(digestOf('SHA256', data), createHash('sha256').update(data).digest('base64'));
  });

  it('allow digest() twice but not update() after it', () => {
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const checksum = createChecksum(algorithm);
      checksum.update(Buffer.from('abc'));
      const first = checksum.digest();
      assert.equal(checksum.digest(), first);
      assert.equal(checksum.algorithm, algorithm);
      assert.throws(() => checksum.update(Buffer.from('x')));
    }
  });
});

describe('checksum names', () => {
  it('map algorithms to header names and back', () => {
    assert.equal(checksumHeaderName('CRC32'), 'x-amz-checksum-crc32');
    assert.equal(checksumHeaderName('CRC64NVME'), 'x-amz-checksum-crc64nvme');
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      assert.equal(checksumAlgorithmForHeader(checksumHeaderName(algorithm)), algorithm);
    }
    assert.equal(checksumAlgorithmForHeader('X-Amz-Checksum-CRC32C'), 'CRC32C');
    assert.equal(checksumAlgorithmForHeader('x-amz-checksum-md5'), undefined);
    assert.equal(checksumAlgorithmForHeader('content-md5'), undefined);
  });

  it('parse algorithm names case-insensitively and reject unknown ones', () => {
    assert.equal(parseChecksumAlgorithm('crc32'), 'CRC32');
    assert.equal(parseChecksumAlgorithm('Crc64Nvme'), 'CRC64NVME');
    assert.equal(parseChecksumAlgorithm('SHA256'), 'SHA256');
    for (const bad of ['md5', '', 'crc33', 'sha512']) {
      assert.throws(() => parseChecksumAlgorithm(bad), (err: unknown) => err instanceof S3Error && err.code === 'InvalidRequest');
    }
  });

  it('recognise well-formed checksum values', () => {
    assert.equal(isWellFormedChecksum('CRC32', 'DUoRhQ=='), true);
    assert.equal(isWellFormedChecksum('CRC64NVME', 'jSnVw/bqjr4='), true);
    assert.equal(isWellFormedChecksum('CRC32', 'jSnVw/bqjr4='), false); // 8 bytes, not 4
    assert.equal(isWellFormedChecksum('CRC32', 'invalid'), false);
    assert.equal(isWellFormedChecksum('CRC32', 'DUoRhR=='), false); // non-zero padding bits
    assert.equal(isWellFormedChecksum('SHA256', digestOf('SHA256', 'x')), true);
    assert.equal(isWellFormedChecksum('SHA1', digestOf('SHA256', 'x')), false);
  });
});
