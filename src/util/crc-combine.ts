// The CRC of a concatenation from the CRCs of its pieces and their lengths,
// without the bytes: how a FULL_OBJECT checksum of a multipart upload is known
// when its parts went straight to a remote store and never passed through here
// together (S3 itself documents FULL_OBJECT multipart checksums as "linearizable"
// CRCs: https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html).
//
// zlib's crc32_combine method (GF(2) matrices; the CRC register advanced over
// len2 zero bytes, then XORed with the second CRC), valid for any reflected
// CRC whose init and xorout are both all ones: CRC32, CRC32C and CRC64NVME.
// BigInt is slow, but this runs once per part, not per byte, and the operator
// for 2^k zero bytes is computed once per algorithm and kept.
import type { ChecksumAlgorithm } from './checksums.ts';

interface CrcModel {
  width: number;
  /** The polynomial, bit-reversed (as the table-driven code uses it). */
  reversedPoly: bigint;
  /** powers[k]: the matrix that advances the register over 2^k zero bytes. */
  powers: bigint[][];
}

const MODELS: Partial<Record<ChecksumAlgorithm, CrcModel>> = {
  CRC32: { width: 32, reversedPoly: 0xedb88320n, powers: [] },
  CRC32C: { width: 32, reversedPoly: 0x82f63b78n, powers: [] },
  CRC64NVME: { width: 64, reversedPoly: 0x9a6c9329ac4bc9b5n, powers: [] },
};

/** True for the algorithms whose checksums combine (the CRCs; not SHA1/SHA256). */
export function isCombinable(algorithm: ChecksumAlgorithm): boolean {
  return MODELS[algorithm] !== undefined;
}

function times(matrix: bigint[], vector: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vector !== 0n; i++, vector >>= 1n) {
    if (vector & 1n) sum ^= matrix[i];
  }
  return sum;
}

function square(matrix: bigint[]): bigint[] {
  return matrix.map((column) => times(matrix, column));
}

function power(model: CrcModel, k: number): bigint[] {
  if (model.powers.length === 0) {
    // One zero bit: the register shifts right, folding in the polynomial when a one drops out.
    let m: bigint[] = [model.reversedPoly];
    for (let i = 1; i < model.width; i++) m.push(1n << BigInt(i - 1));
    for (let i = 0; i < 3; i++) m = square(m); // 2, 4, 8 bits: one byte
    model.powers.push(m);
  }
  while (model.powers.length <= k) model.powers.push(square(model.powers[model.powers.length - 1]));
  return model.powers[k];
}

function toBigInt(base64: string, width: number): bigint {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== width / 8) throw new RangeError(`a ${width}-bit CRC is ${width / 8} bytes, got ${bytes.length}`);
  return BigInt(`0x${bytes.toString('hex')}`);
}

function toBase64(value: bigint, width: number): string {
  return Buffer.from(value.toString(16).padStart(width / 4, '0'), 'hex').toString('base64');
}

/**
 * The checksum (base64, as S3 renders it) of the pieces' bytes one after
 * another, from each piece's checksum and length. The CRC of nothing is 0.
 */
export function combineCrcs(algorithm: ChecksumAlgorithm, pieces: readonly { value: string; length: number }[]): string {
  const model = MODELS[algorithm];
  if (model === undefined) throw new Error(`${algorithm} checksums cannot be combined`);
  let crc = 0n;
  for (const piece of pieces) {
    if (!Number.isSafeInteger(piece.length) || piece.length < 0) throw new RangeError(`invalid piece length ${piece.length}`);
    let remaining = piece.length;
    for (let k = 0; remaining > 0; k++, remaining = Math.floor(remaining / 2)) {
      if (remaining % 2 === 1) crc = times(power(model, k), crc);
    }
    crc ^= toBigInt(piece.value, model.width);
  }
  return toBase64(crc, model.width);
}
