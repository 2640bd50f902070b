// Name rules: which bucket names and object keys are valid, and how a key maps
// to a path in the under-storage without ever escaping the bucket's directory.
// Bucket rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
import { S3Error } from '../s3/errors.ts';

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

export function validateBucketName(name: string): void {
  const ok = BUCKET_RE.test(name) && !IPV4_RE.test(name) && !name.includes('..') &&
    !name.includes('.-') && !name.includes('-.') && !name.startsWith('xn--') &&
    !name.startsWith('sthree-') && !name.endsWith('-s3alias') && !name.endsWith('--ol-s3');
  if (!ok) throw new S3Error('InvalidBucketName', undefined, { BucketName: name });
}

export const MAX_KEY_BYTES = 1024;
/** Most file systems cap one path component at 255 bytes. */
const MAX_SEGMENT_BYTES = 255;

/**
 * Keys become file paths, so besides S3's 1024-byte limit a key may not hold
 * NUL, '.'/'..' segments, empty segments or a leading '/': each would either
 * escape the bucket or make two keys name one file.
 */
export function validateKey(key: string): void {
  if (key === '') throw new S3Error('InvalidArgument', 'An object key must not be empty.');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { Key: key.slice(0, 64) });
  if (key.includes('\0')) throw invalidKey(key, 'it contains a NUL character');
  const segments = key.split('/');
  // A trailing '/' is a directory marker; every other segment must be a real name.
  if (segments[segments.length - 1] === '') segments.pop();
  for (const segment of segments) {
    if (segment === '') throw invalidKey(key, 'it has an empty path segment ("//" or a leading "/")');
    if (segment === '.' || segment === '..') throw invalidKey(key, `it has a "${segment}" path segment`);
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new S3Error('KeyTooLongError', `A path segment of the key is longer than ${MAX_SEGMENT_BYTES} bytes.`, { Key: key.slice(0, 64) });
    }
  }
}

function invalidKey(key: string, why: string): S3Error {
  return new S3Error('InvalidArgument', `Object key cannot be stored as a file path: ${why}.`, { ArgumentName: 'key', ArgumentValue: key });
}

export function isDirectoryKey(key: string): boolean {
  return key.endsWith('/');
}

/** The under-storage path of an object (or of a directory marker, without its trailing '/'). */
export function objectPath(bucket: string, key: string): string {
  return isDirectoryKey(key) ? `${bucket}/${key.slice(0, -1)}` : `${bucket}/${key}`;
}

/** Every proper prefix of the key that ends just before a '/': the key's parent directories. */
export function parentKeys(key: string): string[] {
  const parents: string[] = [];
  const body = isDirectoryKey(key) ? key.slice(0, -1) : key;
  for (let i = body.indexOf('/'); i >= 0; i = body.indexOf('/', i + 1)) parents.push(body.slice(0, i));
  return parents;
}

/** The smallest string greater than every string that starts with `prefix`, for skip-ahead range scans. */
export function prefixSuccessor(prefix: string): string {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const cp = cps.pop()!.codePointAt(0)!;
    if (cp < 0x10ffff) {
      const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return '';
}
