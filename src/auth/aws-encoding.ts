// Byte-exact encoding helpers shared by the signature verifiers: S3's
// UriEncode, percent-decoding to bytes, the SigV4 canonical URI candidates and
// canonical query string, and hashing.
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html,
// "UriEncode()", "CanonicalURI", "CanonicalQueryString").
import { hash } from 'node:crypto';

/** Hex SHA-256 of the empty string: the hash of an empty payload and of every chunk's "previous hash" line. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const HEX = '0123456789ABCDEF';

function isUnreserved(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
    || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;
}

/**
 * S3's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case
 * hex); '/' is kept when `keepSlash` (object key paths) and encoded otherwise.
 */
export function uriEncode(value: string | Buffer, keepSlash = false): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const byte of bytes) {
    if (isUnreserved(byte) || (keepSlash && byte === 0x2f)) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Percent-decodes to raw bytes (so %FF stays the byte 0xFF instead of U+FFFD);
 * a '%' not followed by two hex digits is kept literally, as URLSearchParams does.
 */
export function percentDecode(text: string, plusIsSpace: boolean): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i];
    if (byte === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1]);
      const lo = hexValue(src[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = plusIsSpace && byte === 0x2b ? 0x20 : byte;
  }
  return out.subarray(0, n);
}

/**
 * The canonical URI a client signed for a raw request path, most likely. S3 signs
 * the path as sent (it is not normalised and, unlike other services, not
 * encoded a second time); a client that sent a byte unencoded which UriEncode
 * would encode (e.g. '$' or '!') signed the UriEncode form instead. Both
 * decode to the same key, so accepting either binds the same object.
 */
export function canonicalUri(rawPath: string): string {
  return rawPath === '' ? '/' : rawPath;
}

/** The second candidate (see canonicalUri): the UriEncode form of the path, when it differs. Only asked when the first did not verify. */
export function reencodedCanonicalUri(canonical: string): string | undefined {
  const reencoded = uriEncode(percentDecode(canonical, false), true);
  return reencoded === canonical ? undefined : reencoded;
}

/** Splits a raw query string into decoded [name, value] byte pairs, as the server reads them ('+' is a space). */
export function queryPairs(rawQuery: string): Array<[Buffer, Buffer]> {
  const pairs: Array<[Buffer, Buffer]> = [];
  if (rawQuery === '') return pairs;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([percentDecode(name, true), percentDecode(value, true)]);
  }
  return pairs;
}

/**
 * The SigV4 CanonicalQueryString: names and values UriEncoded ('/' too),
 * sorted by encoded name then value, a valueless parameter as `name=`;
 * `exclude` (X-Amz-Signature for presigned URLs) is left out.
 */
export function canonicalQuery(rawQuery: string, exclude?: string): string {
  if (rawQuery === '') return '';
  const encoded: Array<[string, string]> = [];
  for (const [name, value] of queryPairs(rawQuery)) {
    const encodedName = uriEncode(name);
    if (exclude !== undefined && name.toString('utf8') === exclude) continue;
    encoded.push([encodedName, uriEncode(value)]);
  }
  // Encoded text is ASCII, so code-unit order is byte order.
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

/** One-shot (crypto.hash): about twice as fast as createHash for the short texts signing hashes. */
export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}

/** "41 57 53 ..." : how S3 spells StringToSignBytes / CanonicalRequestBytes. */
export function hexBytes(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
