// Turns what @aws-sdk/client-s3 throws into the under-storage's typed errors:
// a missing key is NOT_FOUND; a remote that cannot answer (refused or reset
// connections, timeouts, 5xx, throttling, a missing bucket) is UNAVAILABLE, which
// the namespace turns into 503; a failed If-Match (412: the object was replaced
// since the version a read is pinned to) is CHANGED. Anything else (403, a malformed request) is
// passed on unchanged: it is a configuration or programming error, not a state.
// Error responses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
import { StorageError } from '../under-storage.ts';

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound']);
/** The bucket of the mount is gone or unreachable: the whole mount is unusable. */
const UNAVAILABLE_NAMES = new Set(['NoSuchBucket', 'TimeoutError', 'RequestTimeout', 'SlowDown', 'ServiceUnavailable', 'InternalError']);

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null && name in err ? (err as Record<string, unknown>)[name] : undefined;
}

export function httpStatusOf(err: unknown): number | undefined {
  const meta = field(err, '$metadata');
  const status = field(meta, 'httpStatusCode');
  return typeof status === 'number' ? status : undefined;
}

export function errorName(err: unknown): string | undefined {
  const name = field(err, 'name');
  return typeof name === 'string' ? name : undefined;
}

function networkCode(err: unknown): boolean {
  const code = field(err, 'code');
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  // Happy-eyeballs connects (localhost -> ::1 and 127.0.0.1) fail with an AggregateError.
  const errors = field(err, 'errors');
  return Array.isArray(errors) && errors.some((e) => networkCode(e));
}

export function isAbort(err: unknown): boolean {
  return errorName(err) === 'AbortError';
}

export function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  if (name === 'NoSuchBucket') return false;
  return (name !== undefined && NOT_FOUND_NAMES.has(name)) || httpStatusOf(err) === 404;
}

/** 412 PreconditionFailed: the If-Match a request carried no longer holds. */
export function isPreconditionFailed(err: unknown): boolean {
  return errorName(err) === 'PreconditionFailed' || httpStatusOf(err) === 412;
}

export function isUnavailable(err: unknown): boolean {
  if (isAbort(err)) return false;
  const name = errorName(err);
  if (name !== undefined && UNAVAILABLE_NAMES.has(name)) return true;
  const status = httpStatusOf(err);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return networkCode(err) || networkCode(field(err, 'cause'));
}

/**
 * The error to throw for an SDK failure on `path`: NOT_FOUND, CHANGED or
 * UNAVAILABLE as StorageError (the original kept as `cause`), anything else unchanged.
 */
export function mapS3Error(err: unknown, path: string): unknown {
  if (err instanceof StorageError || isAbort(err)) return err;
  if (isNotFound(err)) return withCause(new StorageError('NOT_FOUND', path), err);
  if (isPreconditionFailed(err)) return withCause(new StorageError('CHANGED', path), err);
  if (isUnavailable(err)) {
    const detail = err instanceof Error ? err.message : String(err);
    return withCause(new StorageError('UNAVAILABLE', path, `UNAVAILABLE: ${path}: ${errorName(err) ?? 'error'}: ${detail}`), err);
  }
  return err;
}

function withCause(error: StorageError, cause: unknown): StorageError {
  error.cause = cause;
  return error;
}

/** The error an aborted signal stands for (its reason, like pipeInto), always named AbortError-compatible. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}
