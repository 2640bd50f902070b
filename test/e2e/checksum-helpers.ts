// Expected checksum values for the checksum e2e tests, computed independently
// of the server with the same calculators the aws-chunked decoder uses (unit
// tested against published vectors in src/util/checksums.test.ts).
import { createChecksum, type ChecksumAlgorithm } from '../../src/util/checksums.ts';

export function checksumOf(algorithm: ChecksumAlgorithm, ...data: Buffer[]): string {
  const c = createChecksum(algorithm);
  for (const d of data) c.update(d);
  return c.digest();
}

/** The SDK output field for an algorithm: ChecksumCRC32, ChecksumSHA256, ... */
export function field(out: object, algorithm: ChecksumAlgorithm): unknown {
  return (out as Record<string, unknown>)[`Checksum${algorithm}`];
}
