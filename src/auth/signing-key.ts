// SigV4 signing keys (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html,
// "Signing Key"), the HMACs signatures are made of, and the constant-time
// comparison every verifier uses.
// Deriving a key costs four HMACs; a client signs every request of a day with
// the same key, so derived keys are cached per (secret, date, region, service).
// Every request (and every chunk of a signed aws-chunked body) then costs one
// HMAC with that key, which SigningKey computes as RFC 2104 spells it, from two
// one-shot SHA-256s over blocks padded once per key: measured in the server,
// createHmac's per-call object (a stream Transform) cost several times the
// hashing it wraps, and this path runs on every request.
import { createHmac, hash } from 'node:crypto';

const BLOCK = 64;
const MAX_CACHED_KEYS = 1024;

/** HMAC-SHA256 with a key given as text or bytes: for derivation steps and one-off signatures. */
export function hmacSha256(key: string | Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** A derived SigV4 signing key, ready to sign many strings. */
export class SigningKey {
  /** The 32 key bytes (kSigning). */
  readonly bytes: Buffer;
  /** key XOR ipad, then room for the message: the inner hash's input is built here, not allocated per call. */
  #inner: Buffer;
  /** key XOR opad followed by the 32-byte inner digest. */
  readonly #outer: Buffer;

  constructor(bytes: Buffer) {
    if (bytes.length > BLOCK) throw new RangeError('an HMAC-SHA256 key longer than 64 bytes must be hashed first');
    this.bytes = bytes;
    this.#inner = padded(bytes, 0x36, 1024);
    this.#outer = padded(bytes, 0x5c, 32);
  }

  /** HMAC-SHA256(key, text) as lower-case hex. `text` is what SigV4 signs: ASCII, so one byte per character. */
  signHex(text: string): string {
    // Latin-1 would turn a non-ASCII character into a different byte than UTF-8 does: hand those to createHmac.
    if (!isAscii(text)) return createHmac('sha256', this.bytes).update(text).digest('hex');
    const end = BLOCK + text.length;
    if (end > this.#inner.length) this.#inner = Buffer.concat([this.#inner.subarray(0, BLOCK), Buffer.alloc(end * 2 - BLOCK)]);
    this.#inner.write(text, BLOCK, 'latin1');
    // Both buffers are owned by this key and the hashes are synchronous, so concurrent requests never see each other's bytes.
    // The inner digest travels as a latin1 string: hash()'s 'buffer' output costs three times its 'binary' (latin1) one.
    this.#outer.write(hash('sha256', this.#inner.subarray(0, end), 'binary'), BLOCK, 'latin1');
    return hash('sha256', this.#outer, 'hex');
  }
}

function padded(key: Buffer, pad: number, room: number): Buffer {
  const block = Buffer.alloc(BLOCK + room, 0);
  block.fill(pad, 0, BLOCK);
  for (let i = 0; i < key.length; i++) block[i] ^= key[i];
  return block;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Keyed by the secret itself: hashing it for the key cost a native call per
 * request, and the secret is in this process's memory anyway (the
 * authenticator's credential cache holds it to verify with).
 */
const cache = new Map<string, SigningKey>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(secret: string, date: string, region: string, service = 's3'): SigningKey {
  // The key of the previous request first: comparing four short strings costs less than building a map key.
  const last = lastDerived;
  if (last !== undefined && last.secret === secret && last.date === date && last.region === region && last.service === service) return last.key;
  const id = `${date}\n${region}\n${service}\n${secret}`;
  const key = cache.get(id) ?? derive(id, secret, date, region, service);
  lastDerived = { secret, date, region, service, key };
  return key;
}

let lastDerived: { secret: string; date: string; region: string; service: string; key: SigningKey } | undefined;

function derive(id: string, secret: string, date: string, region: string, service: string): SigningKey {
  const kDate = hmacSha256(`AWS4${secret}`, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  const key = new SigningKey(hmacSha256(kService, 'aws4_request'));
  // Keys change daily: dropping the oldest entries (Map order is insertion order) is enough.
  if (cache.size >= MAX_CACHED_KEYS) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(id, key);
  return key;
}

/**
 * Compares two signatures in constant time for equal lengths (a length
 * difference is no secret): every code unit is compared, with no early exit,
 * the way timingSafeEqual does for bytes, without turning both into Buffers
 * on every request.
 */
export function signaturesEqual(expected: string, provided: string): boolean {
  if (expected.length !== provided.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ provided.charCodeAt(i);
  return difference === 0;
}
