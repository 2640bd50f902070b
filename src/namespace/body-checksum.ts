// The checksum side of staging a body: which calculator to feed while the
// bytes stream (one pass, alongside the MD5 and, for a SigV4 body, the SHA-256
// its signature covers), and the verdict once they have: S3's
// XAmzContentSHA256Mismatch or BadDigest for a mismatch, the checksum to record otherwise
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
import { createHash } from 'node:crypto';
import { S3Error } from '../s3/errors.ts';
import { createChecksum, type Checksum, type ChecksumAlgorithm } from '../util/checksums.ts';
import { DigestStream } from '../util/digest-stream.ts';
import type { BodyChecksum } from './types.ts';

const EMPTY_SHA256 = createHash('sha256').digest('hex');

export interface ComputedChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64, as in x-amz-checksum-* headers. */
  value: string;
}

/** The one hashing pass a body is staged through: MD5, the checksum `checks` asks for, and the SHA-256 it must match. */
export function digestStreamFor(checks: BodyChecksum | undefined): DigestStream {
  return new DigestStream(checksumCalculator(checks), { sha256: checks?.contentSha256 !== undefined });
}

/** What was computed over a body, for settleChecksum. */
export interface ComputedDigests {
  checksum: string | undefined;
  md5Base64: () => string;
  /** Hex SHA-256; needed when checks.contentSha256 is set. */
  sha256Hex?: () => string | undefined;
}

/** The digests of a DigestStream (from digestStreamFor) whose body has ended. */
export function digestsOf(digest: DigestStream): ComputedDigests {
  return { checksum: digest.checksumDigest(), md5Base64: () => digest.md5Base64(), sha256Hex: () => digest.sha256Hex() };
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
export function settleChecksum(checks: BodyChecksum | undefined, computed: ComputedDigests): ComputedChecksum | undefined {
  if (checks === undefined) return undefined;
  if (checks.contentSha256 !== undefined) {
    // The body is only authenticated once it hashes to what the signature covers: checked before anything else.
    const sha256 = computed.sha256Hex?.();
    if (sha256 === undefined) throw new Error('x-amz-content-sha256 must be checked, but no SHA-256 was computed for the body');
    if (sha256 !== checks.contentSha256) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: checks.contentSha256, S3ComputedContentSHA256: sha256 });
    }
  }
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
  return settleChecksum(checks, { checksum: calc?.digest(), md5Base64: () => emptyMd5Base64, sha256Hex: () => EMPTY_SHA256 });
}
