// The checksum side of staging a body: which calculator to feed while the
// bytes stream (one pass, alongside the MD5), and the verdict once they have:
// S3's BadDigest for a mismatch, the checksum to record otherwise
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
import { S3Error } from '../s3/errors.ts';
import { createChecksum, type Checksum, type ChecksumAlgorithm } from '../util/checksums.ts';
import type { BodyChecksum } from './types.ts';

export interface ComputedChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64, as in x-amz-checksum-* headers. */
  value: string;
}

/** The calculator to feed while streaming; none when nothing is asked or an earlier stage computes it. */
export function checksumCalculator(checks: BodyChecksum | undefined): Checksum | undefined {
  if (checks?.algorithm === undefined || checks.verified !== undefined) return undefined;
  return createChecksum(checks.algorithm);
}

/**
 * Compares what was computed with what the client sent and returns the checksum
 * to record. Throws BadDigest on a mismatch; the caller discards the staged data.
 */
export function settleChecksum(
  checks: BodyChecksum | undefined,
  computed: { checksum: string | undefined; md5Base64: () => string },
): ComputedChecksum | undefined {
  if (checks === undefined) return undefined;
  if (checks.contentMd5 !== undefined && checks.contentMd5 !== computed.md5Base64()) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const { algorithm } = checks;
  if (algorithm === undefined) return undefined;
  const value = checks.verified ? checks.verified() : computed.checksum;
  // A trailer the decoder did not verify cannot reach here: the body would have failed.
  if (value === undefined) throw new Error(`no ${algorithm} checksum was computed for the body`);
  if (checks.expected !== undefined && checks.expected !== value) {
    throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
  }
  return { algorithm, value };
}

/** The same verdict for a body known to be empty (a directory marker), without streaming anything. */
export function settleEmptyChecksum(checks: BodyChecksum | undefined, emptyMd5Base64: string): ComputedChecksum | undefined {
  const calc = checksumCalculator(checks);
  return settleChecksum(checks, { checksum: calc?.digest(), md5Base64: () => emptyMd5Base64 });
}
