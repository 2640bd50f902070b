// Checksums at CompleteMultipartUpload: the part checksums a client lists are
// checked against the stored ones, and the object's checksum is decided:
// COMPOSITE = the checksum of the parts' binary checksums, suffixed `-N`;
// FULL_OBJECT = the checksum of all the bytes, which the caller computes while
// it concatenates the parts (it streams them into one file anyway).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html
// (multipart sections) and API_CompleteMultipartUpload.html. Messages follow S3's.
import type { PartRecord, UploadRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import { createChecksum, parseChecksumAlgorithm, type ChecksumAlgorithm } from '../util/checksums.ts';

export interface PartChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64; for an object-level COMPOSITE value, `base64-N`. */
  value: string;
}

/** What a CompleteMultipartUpload request says about checksums. */
export interface CompleteChecksumRequest {
  /** x-amz-checksum-type. */
  type?: 'FULL_OBJECT' | 'COMPOSITE';
  /** The object checksum the client expects (an x-amz-checksum-* header). */
  expected?: PartChecksum;
  /** Computed (FULL_OBJECT) when the upload named no algorithm, as S3 adds CRC64NVME by default. */
  defaultAlgorithm?: ChecksumAlgorithm;
}

export interface CompleteChecksumPlan {
  /** To compute over the concatenated bytes, and compare with `expected` if given. */
  fullObject?: { algorithm: ChecksumAlgorithm; expected?: string };
  /** Known already from the part checksums. */
  composite?: PartChecksum;
  /** Each chosen part's checksum, when the upload declared an algorithm. */
  partChecksums?: string[];
}

/** A part's stored checksum: in its own recorded algorithm, else the upload's. */
export function storedPartChecksum(upload: UploadRecord, part: PartRecord): PartChecksum | undefined {
  const algorithm = part.extras.checksumAlgorithm ?? upload.extras.checksumAlgorithm;
  const value = part.extras.checksum;
  return algorithm === undefined || value === undefined ? undefined : { algorithm: parseChecksumAlgorithm(algorithm), value };
}

function invalidPart(part: PartRecord, etag: string): S3Error {
  return new S3Error('InvalidPart', undefined, { PartNumber: String(part.partNumber), ETag: etag });
}

/**
 * The part checksums of a Complete body (`given[i]` for `chosen[i]`). With a
 * declared algorithm every part must list its checksum in that algorithm; a
 * listed checksum must be the stored one (InvalidPart otherwise).
 */
export function verifyListedPartChecksums(
  upload: UploadRecord,
  chosen: readonly PartRecord[],
  given: readonly { checksum?: PartChecksum; etag: string }[],
): void {
  const declared = upload.extras.checksumAlgorithm;
  chosen.forEach((part, i) => {
    const listed = given[i]?.checksum;
    const stored = storedPartChecksum(upload, part);
    if (declared !== undefined) {
      if (listed === undefined) {
        throw new S3Error('InvalidRequest', `The upload was created using a ${declared.toLowerCase()} checksum. ` +
          `The complete request must include the checksum for each part. It was missing for part ${part.partNumber} in the request.`);
      }
      if (listed.algorithm !== declared) {
        throw new S3Error('BadDigest', `The ${listed.algorithm.toLowerCase()} you specified for part ${part.partNumber} did not match what we received.`);
      }
    }
    if (listed !== undefined && (stored === undefined || stored.algorithm !== listed.algorithm || stored.value !== listed.value)) {
      throw invalidPart(part, given[i].etag);
    }
  });
}

/** Decides the object's checksum; throws for a type or algorithm that contradicts the upload, or a wrong COMPOSITE value. */
export function planCompleteChecksum(
  upload: UploadRecord,
  chosen: readonly PartRecord[],
  req: CompleteChecksumRequest = {},
): CompleteChecksumPlan {
  const declared = upload.extras.checksumAlgorithm === undefined ? undefined : parseChecksumAlgorithm(upload.extras.checksumAlgorithm);
  const algorithm = declared ?? req.defaultAlgorithm;
  const type = declared ? upload.extras.checksumType ?? 'COMPOSITE' : algorithm ? 'FULL_OBJECT' : undefined;
  if (req.type !== undefined && req.type !== type) {
    throw new S3Error('InvalidRequest',
      `The upload was created using the ${upload.extras.checksumType ?? 'null'} checksum mode. The complete request must use the same checksum mode.`);
  }
  if (req.expected !== undefined && req.expected.algorithm !== algorithm) {
    throw new S3Error('InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${algorithm?.toLowerCase() ?? 'null'}, actual checksum Type: ${req.expected.algorithm.toLowerCase()}`);
  }
  if (algorithm === undefined) return {};

  let partChecksums: string[] | undefined;
  if (declared !== undefined) {
    partChecksums = [];
    for (const part of chosen) {
      const stored = storedPartChecksum(upload, part);
      // Every part of an upload with an algorithm got one when it was uploaded (or copied).
      if (stored === undefined || stored.algorithm !== declared) throw invalidPart(part, `"${part.etag}"`);
      partChecksums.push(stored.value);
    }
  }
  if (type === 'FULL_OBJECT') return { fullObject: { algorithm, expected: req.expected?.value }, partChecksums };

  const calc = createChecksum(algorithm);
  for (const value of partChecksums ?? []) calc.update(Buffer.from(value, 'base64'));
  const value = `${calc.digest()}-${chosen.length}`;
  if (req.expected !== undefined) {
    const [base, count] = req.expected.value.split('-');
    if (`${base}-${count ?? chosen.length}` !== value) {
      throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
    }
  }
  return { composite: { algorithm, value }, partChecksums };
}
