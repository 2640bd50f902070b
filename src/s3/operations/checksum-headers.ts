// Request and response checksum headers (flexible checksums and Content-MD5):
// what a PutObject / UploadPart asks to be verified, what CreateMultipartUpload
// and CompleteMultipartUpload declare, and the x-amz-checksum-* headers and
// Checksum* XML elements sent back.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
// Error codes and messages follow what S3 answers (as mirrored by versitygw's
// compatibility tests): a malformed value or a second checksum header is
// InvalidRequest, a value that does not match the bytes is BadDigest.
import type { Readable } from 'node:stream';
import type { ObjectRecord, UploadExtras } from '../../meta/metadata-store.ts';
import type { BodyChecksum } from '../../namespace/types.ts';
import {
  checksumAlgorithmForHeader, checksumHeaderName, isWellFormedChecksum, parseChecksumAlgorithm,
  type ChecksumAlgorithm,
} from '../../util/checksums.ts';
import { AwsChunkedDecoder } from '../body/aws-chunked.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { opt, type XmlElement } from '../xml/writer.ts';

export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/**
 * What to compute for a new object whose client sent no checksum. S3 now adds a
 * CRC64NVME full-object checksum to every such object (checking-object-integrity-upload),
 * but here that is off: measured on 1 GiB PUTs (2 cores, --fsync false) it raised
 * server CPU from ~2.6 s to ~4.0 s per GiB and cut throughput by 10-35%, well over
 * the ~10% budget. Objects get the checksum their client asks for (current AWS SDKs
 * and the AWS CLI send CRC32 by default, which is cheap: zlib's native CRC32).
 * Setting this to 'CRC64NVME' turns S3's default on for PutObject and for
 * CompleteMultipartUpload of uploads that named no algorithm.
 */
export const DEFAULT_CHECKSUM_ALGORITHM: ChecksumAlgorithm | undefined = undefined;

/** x-amz-checksum-* headers that carry no checksum value. */
const NOT_VALUE_HEADERS = new Set(['x-amz-checksum-type', 'x-amz-checksum-algorithm', 'x-amz-checksum-mode']);

export interface SentChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
  /** The header it came in, lower-case, for error messages. */
  header: string;
}

export function invalidHeader(header: string): S3Error {
  return new S3Error('InvalidRequest', `Value for ${header} header is invalid.`);
}

/** The x-amz-checksum-<algorithm> request header, if any: at most one, of an algorithm S3 knows. */
export function sentChecksumHeader(ctx: RequestContext): SentChecksum | undefined {
  const found: SentChecksum[] = [];
  for (const [name, raw] of Object.entries(ctx.headers)) {
    if (!name.startsWith('x-amz-checksum-') || NOT_VALUE_HEADERS.has(name) || raw === undefined) continue;
    const algorithm = checksumAlgorithmForHeader(name);
    if (algorithm === undefined) throw new S3Error('InvalidRequest', 'The algorithm type you specified in x-amz-checksum- header is invalid.');
    found.push({ algorithm, value: Array.isArray(raw) ? raw.join(',') : raw, header: name });
  }
  if (found.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  return found[0];
}

/** A Content-MD5 header, checked for form (base64 of 16 bytes): InvalidDigest otherwise. */
export function contentMd5Of(ctx: RequestContext): string | undefined {
  const value = ctx.header('content-md5');
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]{22}==$/.test(trimmed) || Buffer.from(trimmed, 'base64').length !== 16) throw new S3Error('InvalidDigest');
  return trimmed;
}

/** The algorithm of a checksum trailer declared in x-amz-trailer (aws-chunked bodies only). */
function trailerAlgorithm(ctx: RequestContext): ChecksumAlgorithm | undefined {
  if (!ctx.isAwsChunked) return undefined;
  const names = (ctx.header('x-amz-trailer') ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  // Several names, or an unsupported one, are refused by the decoder when the body is opened.
  return names.length === 1 ? checksumAlgorithmForHeader(names[0]) : undefined;
}

export interface RequestChecksum {
  /** What the namespace computes and verifies while staging the body; whoever reads `body` must settle these. */
  checks: BodyChecksum;
  /** Use instead of ctx.body(): it lets a trailer's verified value be read back. */
  body: () => Readable;
  /** The algorithm the client named (header, trailer or x-amz-sdk-checksum-algorithm), if any. */
  requested?: ChecksumAlgorithm;
}

/**
 * The checksum a body-carrying request (PutObject, UploadPart) asks for:
 * a value up front (x-amz-checksum-*), a trailer, or none, in which case
 * `fallback` (if given) is computed and recorded. Throws the S3 errors for
 * malformed or contradictory headers; call before ctx.body().
 */
export function requestChecksum(ctx: RequestContext, fallback?: ChecksumAlgorithm): RequestChecksum {
  const sdkHeader = ctx.header('x-amz-sdk-checksum-algorithm');
  const sdk = sdkHeader === undefined || sdkHeader.trim() === '' ? undefined : parseChecksumAlgorithm(sdkHeader);
  const sent = sentChecksumHeader(ctx);
  const trailer = trailerAlgorithm(ctx);
  if (sent && trailer) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  if (sdk !== undefined) {
    if (!sent && !trailer) {
      throw new S3Error('InvalidRequest', 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
    }
    if ((trailer ?? sent?.algorithm) !== sdk) throw invalidHeader('x-amz-sdk-checksum-algorithm');
  }
  if (sent && !isWellFormedChecksum(sent.algorithm, sent.value)) throw invalidHeader(sent.header);

  const checks: BodyChecksum = { contentMd5: contentMd5Of(ctx) };
  // Checked in the namespace's one hashing pass rather than by a stage of its own in front of it.
  const contentSha256 = ctx.bodySha256;
  if (contentSha256 !== undefined) checks.contentSha256 = contentSha256;
  let decoder: AwsChunkedDecoder | undefined;
  if (sent) {
    checks.algorithm = sent.algorithm;
    checks.expected = sent.value;
  } else if (trailer) {
    // The decoder hashes the bytes and compares the trailer itself: its verified value is reused, not recomputed.
    checks.algorithm = trailer;
    checks.verified = () => decoder?.checksum?.value;
  } else {
    checks.algorithm = fallback;
  }
  const body = (): Readable => {
    const stream = ctx.body({ sha256CheckedByConsumer: contentSha256 !== undefined });
    if (stream instanceof AwsChunkedDecoder) decoder = stream;
    return stream;
  };
  return { checks, body, requested: sent?.algorithm ?? trailer };
}

/** The x-amz-checksum-<algorithm> header (and the type, when given) of a checksum. */
export function checksumHeaders(algorithm: string, value: string, type?: ChecksumType): Record<string, string> {
  const out: Record<string, string> = { [checksumHeaderName(algorithm as ChecksumAlgorithm)]: value };
  if (type !== undefined) out['x-amz-checksum-type'] = type;
  return out;
}

/**
 * GetObject / HeadObject with `x-amz-checksum-mode: ENABLED`: the stored checksum
 * of what is served. Nothing for a Range: S3 has no checksum of an arbitrary byte
 * range (and an SDK would check the range against the whole object's). For
 * `partNumber` of a multipart object, that part's checksum.
 */
export function objectChecksumHeaders(
  ctx: RequestContext,
  row: ObjectRecord,
  served: { ranged: boolean; partNumber?: number },
): Record<string, string> {
  const checksum = row.extras.checksum;
  if (!checksum || (ctx.header('x-amz-checksum-mode') ?? '').trim().toUpperCase() !== 'ENABLED') return {};
  if (served.partNumber !== undefined && row.partSizes !== null) {
    const part = row.extras.partChecksums?.[served.partNumber - 1];
    return part === undefined ? {} : checksumHeaders(checksum.algorithm, part);
  }
  if (served.ranged && served.partNumber === undefined) return {};
  return checksumHeaders(checksum.algorithm, checksum.value, checksum.type);
}

/** PutObject's answer: the checksum recorded for the object, with its type. */
export function storedChecksumHeaders(row: ObjectRecord): Record<string, string> {
  const checksum = row.extras.checksum;
  return checksum ? checksumHeaders(checksum.algorithm, checksum.value, checksum.type) : {};
}

/** `<ChecksumCRC32>...</ChecksumCRC32>` etc., for the result documents that carry one. */
export function checksumXml(algorithm: string | undefined, value: string | undefined): XmlElement | undefined {
  return algorithm === undefined ? undefined : opt(`Checksum${algorithm}`, value);
}

/** CRC32 and CRC32C can be either; SHA can only be COMPOSITE and CRC64NVME only FULL_OBJECT. */
const ALLOWED_TYPES: Readonly<Record<ChecksumAlgorithm, readonly ChecksumType[]>> = {
  CRC32: ['COMPOSITE', 'FULL_OBJECT'],
  CRC32C: ['COMPOSITE', 'FULL_OBJECT'],
  CRC64NVME: ['FULL_OBJECT'],
  SHA1: ['COMPOSITE'],
  SHA256: ['COMPOSITE'],
};

export function parseChecksumType(ctx: RequestContext): ChecksumType | undefined {
  const raw = ctx.header('x-amz-checksum-type');
  if (raw === undefined || raw.trim() === '') return undefined;
  const type = raw.trim().toUpperCase();
  if (type !== 'COMPOSITE' && type !== 'FULL_OBJECT') throw invalidHeader('x-amz-checksum-type');
  return type;
}

/**
 * CreateMultipartUpload's x-amz-checksum-algorithm and x-amz-checksum-type, validated
 * as S3 does; the type defaults to FULL_OBJECT for CRC64NVME and COMPOSITE otherwise
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html).
 */
export function uploadChecksumFrom(ctx: RequestContext): Pick<UploadExtras, 'checksumAlgorithm' | 'checksumType'> {
  const rawAlgorithm = ctx.header('x-amz-checksum-algorithm');
  const algorithm = rawAlgorithm === undefined || rawAlgorithm.trim() === '' ? undefined : parseChecksumAlgorithm(rawAlgorithm);
  const type = parseChecksumType(ctx);
  if (algorithm === undefined) {
    if (type !== undefined) throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return {};
  }
  const allowed = ALLOWED_TYPES[algorithm];
  if (type !== undefined && !allowed.includes(type)) {
    throw new S3Error('InvalidRequest', `The ${type} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  }
  return { checksumAlgorithm: algorithm, checksumType: type ?? allowed[0] };
}

/** The message S3 sends when a part's checksum algorithm is not the upload's. */
export function partAlgorithmMismatch(expected: string, actual: string | undefined): S3Error {
  return new S3Error('InvalidRequest',
    `Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${actual?.toLowerCase() ?? 'null'}`);
}

/**
 * UploadPart against the upload's declared checksum: a part's checksum must use
 * the upload's algorithm; a COMPOSITE upload needs one on every part, while a
 * FULL_OBJECT upload computes it when it is missing. Returns the algorithm to
 * compute when the client sent none.
 */
export function partChecksumFallback(upload: UploadExtras, requested: ChecksumAlgorithm | undefined): ChecksumAlgorithm | undefined {
  const declared = upload.checksumAlgorithm;
  if (declared === undefined) return undefined;
  if (requested !== undefined) {
    if (requested !== declared) throw partAlgorithmMismatch(declared, requested);
    return undefined;
  }
  if (upload.checksumType === 'COMPOSITE') throw partAlgorithmMismatch(declared, undefined);
  return declared as ChecksumAlgorithm;
}

/** CompleteMultipartUpload's full-object x-amz-checksum-* header: `value`, or `value-N` for a composite checksum. */
export function completeChecksumHeader(ctx: RequestContext): SentChecksum | undefined {
  const sent = sentChecksumHeader(ctx);
  if (!sent) return undefined;
  const m = /^([^-]*)(?:-(\d{1,5}))?$/.exec(sent.value.trim());
  if (!m || !isWellFormedChecksum(sent.algorithm, m[1]) || (m[2] !== undefined && sent.algorithm === 'CRC64NVME')) throw invalidHeader(sent.header);
  return { ...sent, value: sent.value.trim() };
}
