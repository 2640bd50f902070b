// SigV4 signing-key derivation with a small cache, HMAC helpers, and the
// constant-time comparison every verifier uses
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Signing Key").
// Deriving a key costs four HMACs; a client signs every request of a day with
// the same key, so caching it per (secret, date, region, service) removes
// most of the per-request cost.
import { createHmac, createSecretKey, hash, timingSafeEqual, type KeyObject } from 'node:crypto';

const MAX_CACHED_KEYS = 1024;
const cache = new Map<string, Buffer>();
/**
 * The cached signing keys as KeyObjects: createHmac takes a KeyObject about
 * five times faster than a Buffer (Node 24 re-checks a Buffer key on every
 * call), and every request and every chunk signature is one HMAC with them.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();

export function hmacSha256(key: string | Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', typeof key === 'string' ? key : (keyObjects.get(key) ?? key)).update(data).digest();
}

/**
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
 * The cache is keyed by a hash of the secret, never the secret itself, so a
 * heap dump does not list secrets next to their access keys.
 */
export function deriveSigningKey(secret: string, date: string, region: string, service = 's3'): Buffer {
  const id = `${hash('sha256', secret, 'base64')}\n${date}\n${region}\n${service}`;
  const hit = cache.get(id);
  if (hit !== undefined) {
    // Map order is insertion order: re-inserting makes this the most recent entry.
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const kDate = hmacSha256(`AWS4${secret}`, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  const key = hmacSha256(kService, 'aws4_request');
  cache.set(id, key);
  keyObjects.set(key, createSecretKey(key));
  if (cache.size > MAX_CACHED_KEYS) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return key;
}

/** Compares two signatures in constant time (for equal lengths; a length difference is no secret). */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
