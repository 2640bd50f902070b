// The S3Errors the signature verifiers raise, spelled as Amazon S3 spells
// them: codes and statuses from the catalogue, messages and extra elements as
// S3 returns them (extra elements as recorded against s3.amazonaws.com by
// other S3 emulators, e.g. StringToSignBytes on SignatureDoesNotMatch).
import { S3Error } from '../s3/errors.ts';
import { hexBytes } from './aws-encoding.ts';

/** 15 minutes: "The signed portions of requests are valid within 15 minutes of the timestamp in the request." */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export const MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

/** 'YYYY-MM-DDTHH:MM:SSZ', the form S3 uses for ServerTime and Expires. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function signatureMismatch(fields: {
  accessKeyId: string; stringToSign: string; signatureProvided: string; canonicalRequest?: string;
}): S3Error {
  const extra: Record<string, string> = {
    AWSAccessKeyId: fields.accessKeyId,
    StringToSign: fields.stringToSign,
    SignatureProvided: fields.signatureProvided,
    StringToSignBytes: hexBytes(fields.stringToSign),
  };
  if (fields.canonicalRequest !== undefined) {
    extra.CanonicalRequest = fields.canonicalRequest;
    extra.CanonicalRequestBytes = hexBytes(fields.canonicalRequest);
  }
  return new S3Error('SignatureDoesNotMatch', MISMATCH_MESSAGE, extra);
}

export function invalidAccessKey(accessKeyId: string): S3Error {
  return new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
}

export function noDate(): S3Error {
  return new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
}

/** Throws RequestTimeTooSkewed when `requestTime` is more than 15 minutes from `now`. */
export function checkSkew(requestTime: Date, sent: string, now: Date): void {
  if (Math.abs(now.getTime() - requestTime.getTime()) <= MAX_SKEW_MS) return;
  throw new S3Error('RequestTimeTooSkewed', undefined, {
    RequestTime: sent,
    ServerTime: isoSeconds(now),
    MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
  });
}

/** The last date parsed: requests of the same second carry the same x-amz-date, and this runs on every one. */
let lastParsed: { text: string; ms: number | undefined } = { text: '', ms: undefined };

/** Parses the ISO 8601 basic form 'YYYYMMDDTHHMMSSZ' (x-amz-date, X-Amz-Date). */
export function parseAmzDate(text: string): Date | undefined {
  const last = lastParsed;
  if (last.text === text) return last.ms === undefined ? undefined : new Date(last.ms);
  const date = parseAmzDateUncached(text);
  lastParsed = { text, ms: date?.getTime() };
  return date;
}

function parseAmzDateUncached(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Reject values Date.UTC would roll over (month 13, 25:00, ...).
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || date.getUTCHours() !== h || date.getUTCMinutes() !== mi) {
    return undefined;
  }
  return date;
}

/** A Date header in the ISO basic form or any HTTP-date form (RFC 1123, RFC 850, asctime). */
export function parseRequestDate(text: string): Date | undefined {
  const iso = parseAmzDate(text);
  if (iso !== undefined) return iso;
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const ms = Date.parse(text);
  // Dates before the epoch are not dates to S3.
  return Number.isFinite(ms) && ms >= 0 ? new Date(ms) : undefined;
}
