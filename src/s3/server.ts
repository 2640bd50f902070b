// The HTTP front door: routes each request to its operation, runs the
// handler, and is the one place that turns results and errors into responses,
// headers and the access log.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AccessControl, AccessDeniedError, peerOf } from '../auth/access.ts';
import { Authenticator } from '../auth/authenticate.ts';
import type { CredentialStore } from '../auth/credentials.ts';
import type { Namespace } from '../namespace/namespace.ts';
import { authorizeRequest } from './access-check.ts';
import { withRequestRows } from '../namespace/request-rows.ts';
import { addressRequest } from './addressing.ts';
import { RequestContext, type S3Result, type S3Settings } from './context.ts';
import { StorageError } from '../storage/under-storage.ts';
import { S3Error, isS3Error } from './errors.ts';
import { pipeInto } from '../util/pipe.ts';
import { actualRequestCorsHeaders } from './operations/cors.ts';
import { HANDLERS } from './operations/index.ts';
import { route } from './router.ts';
import { el, renderXml } from './xml/writer.ts';

/**
 * An API served beside S3 on the same port (metrics, users, the FS REST API):
 * docs/design.md, "Reserved paths". Every request asks `claims` first, so it
 * is a synchronous look at the path: S3 requests pass without a turn of the queue.
 */
export interface AdminRoute {
  claims(req: IncomingMessage, path: string, query: URLSearchParams): boolean;
  /** Answers a claimed request (never fails: errors are answered). */
  serve(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void>;
}

export interface S3ServerOptions {
  ns: Namespace;
  settings: S3Settings;
  logger: Logger;
  /** Checked in order before S3 routing (path-style requests only). */
  adminRoutes?: readonly AdminRoute[];
  /** Authenticates requests (shared with the FS and admin APIs); built from settings.auth and `credentials` when absent. */
  authenticator?: Authenticator;
  /** The credential store sigv4 mode verifies against (when no authenticator is given). */
  credentials?: CredentialStore;
  /** Counts and times each S3 request (src/admin/metrics.ts). */
  metrics?: { observeRequest(operation: string, status: number, seconds: number): void };
}

// Request ids: a random per-process prefix and a counter, unique without a
// getrandom(2) call per request (which showed in profiles).
const idPrefix = randomBytes(4).toString('hex').toUpperCase();
let idCounter = 0;
function nextRequestId(): string {
  idCounter = (idCounter + 1) % 0x100000000;
  return idPrefix + idCounter.toString(16).toUpperCase().padStart(8, '0');
}

/** What the client sees of an error: an S3Error as is; an unreachable under-storage as 503; anything else as 500. */
function toS3Error(err: unknown): S3Error {
  if (isS3Error(err)) return err;
  if (err instanceof StorageError && err.code === 'UNAVAILABLE') {
    return new S3Error('ServiceUnavailable', 'The under-storage holding this data cannot be reached; please retry.');
  }
  return new S3Error('InternalError');
}

/** Logged (never sent) when the client closed the connection first, as nginx does. */
const CLIENT_CLOSED = 499;

/** Requests whose unread body is larger than this close the connection instead of draining it. */
const MAX_DRAIN_BYTES = 1024 * 1024;

/** Authentication and access control, one of each per server. */
interface Security {
  authenticator: Authenticator;
  access: AccessControl;
}

export function createS3Server(options: S3ServerOptions): Server {
  const { settings } = options;
  const authenticator = options.authenticator ?? new Authenticator({
    mode: settings.auth, credentials: options.credentials, defaultUser: settings.defaultUser, region: settings.region,
  });
  const security: Security = { authenticator, access: new AccessControl(options.ns, authenticator.mode === 'sigv4') };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // One memo of rows per request (request-rows.ts): authorization's bucket read serves the handler too.
    withRequestRows(() => handleRequest(options, security, req, res)).catch((err: unknown) => {
      options.logger.error({ err }, 'request handling failed');
      if (!res.headersSent) res.writeHead(500);
      res.destroy();
    });
  };
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handle);
  // Answering 100-continue ourselves lets a doomed request be refused before its body is sent.
  server.on('checkContinue', handle);
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(417);
    res.end();
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return server;
}

async function handleRequest(options: S3ServerOptions, security: Security, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  const id = nextRequestId();
  res.setHeader('x-amz-request-id', id);
  res.setHeader('Server', 'Strata');
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));

  // Virtual-hosted (`Host: bucket.<base-domain>`) or path style; see addressing.ts.
  const addressed = addressRequest(req.headers.host, rawPath, options.settings.baseDomains, options.settings.prefix);
  // On a bucket's host every path is a key, so the FS API (a path-style URL) is not there.
  const admin = addressed.virtualHost ? undefined : options.adminRoutes?.find((r) => r.claims(req, rawPath, query));
  if (admin !== undefined) {
    await admin.serve(req, res, rawPath, query);
    return;
  }

  const abort = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) abort.abort(new S3Error('RequestTimeout', 'The client closed the connection.'));
  };
  res.on('close', onClose);

  let op = 'Unknown';
  let bucket = '';
  let key = '';
  let ctx: RequestContext | undefined;
  let status = 500;
  let denied: string | undefined;
  try {
    const routed = route(req.method ?? 'GET', addressed.path, query, req.headers);
    ({ op, bucket, key } = routed);
    // CORS: a bucket-scoped request with an Origin gets the headers of the rule it matches,
    // set before the handler runs so errors carry them too (the preflight sets its own).
    if (bucket !== '' && op !== 'OptionsObject' && req.headers.origin !== undefined) {
      for (const [name, value] of Object.entries(await actualRequestCorsHeaders(options.ns, bucket, req.method ?? 'GET', req.headers))) res.setHeader(name, value);
    }
    // Verified over the path as sent (prefix and all): that is what clients sign. The CORS preflight carries no credentials.
    const { authenticator, access } = security;
    const identity = op === 'OptionsObject'
      ? await authenticator.identityOf(undefined, { version: 'none' })
      : await authenticator.authenticate(req, { rawPath, rawQuery: q < 0 ? '' : rawUrl.slice(q + 1), virtualHostBucket: addressed.virtualHost ? bucket : undefined });
    ctx = new RequestContext({
      id, op, bucket, key, identity, query, ns: options.ns, settings: options.settings,
      signal: abort.signal, req, res, authenticator, access, peer: peerOf(req),
    });
    if (op !== 'OptionsObject') await authorizeRequest(ctx);
    const handler = HANDLERS[op];
    if (!handler) throw new S3Error('NotImplemented', `${op} is not implemented by this server.`, { Operation: op });
    const result = await handler(ctx);
    status = result.status ?? 200;
    await sendResult(req, res, result, status);
  } catch (err) {
    if (abort.signal.aborted && !isS3Error(err)) {
      // The client went away; nothing to answer and nothing wrong with the server.
      status = CLIENT_CLOSED;
      res.destroy();
    } else {
      if (err instanceof AccessDeniedError) denied = err.reason;
      status = sendError(options, req, res, err, { id, bucket, key, ctx });
    }
  } finally {
    res.off('close', onClose);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const line = { reqId: id, op, bucket, key, user: ctx?.user, status, ms: Math.round(ms * 100) / 100, denied };
  if (status >= 500) options.logger.error(line, 'request');
  else options.logger.info(line, 'request');
  options.metrics?.observeRequest(op, status, ms / 1000);
}

async function sendResult(req: IncomingMessage, res: ServerResponse, result: S3Result, status: number): Promise<void> {
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (value !== undefined) res.setHeader(name, value);
  }
  if (result.xml) {
    const text = Buffer.from(renderXml(result.xml));
    res.setHeader('Content-Type', 'application/xml');
    res.setHeader('Content-Length', text.length);
    res.writeHead(status);
    res.end(req.method === 'HEAD' ? undefined : text);
    return;
  }
  if (result.body) {
    res.writeHead(status);
    if (req.method === 'HEAD') {
      result.body.destroy();
      res.end();
      return;
    }
    await pipeInto(result.body, res);
    return;
  }
  if (!res.hasHeader('Content-Length') && status !== 204 && status !== 304) res.setHeader('Content-Length', 0);
  res.writeHead(status);
  res.end();
}

function sendError(
  options: S3ServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  where: { id: string; bucket: string; key: string; ctx: RequestContext | undefined },
): number {
  const s3err = toS3Error(err);
  if (s3err.code === 'InternalError') options.logger.error({ err, reqId: where.id }, 'internal error');
  if (res.headersSent) {
    // Mid-stream failure: the status is gone, so cut the connection rather than send a short body as whole.
    res.destroy();
    return s3err.status;
  }
  const resource = where.key ? `/${where.bucket}/${where.key}` : where.bucket ? `/${where.bucket}` : '/';
  const extra = Object.entries(s3err.fields).map(([name, value]) => el(name, value));
  const text = Buffer.from(renderXml(el('Error',
    el('Code', s3err.code), el('Message', s3err.message), ...extra, el('Resource', resource), el('RequestId', where.id))));
  for (const [name, value] of Object.entries(s3err.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', text.length);
  if (bodyLeftUnread(req, where.ctx)) res.setHeader('Connection', 'close');
  res.writeHead(s3err.status);
  res.end(req.method === 'HEAD' ? undefined : text);
  return s3err.status;
}

/**
 * True when the client has (or will send) a body we are not going to read:
 * after a refused 100-continue it may never come, and a large one is not worth
 * draining, so the connection closes after the error.
 */
function bodyLeftUnread(req: IncomingMessage, ctx: RequestContext | undefined): boolean {
  if (req.complete || ctx?.bodyTaken) return false;
  const length = Number(req.headers['content-length'] ?? 0);
  const chunked = /chunked/i.test(String(req.headers['transfer-encoding'] ?? ''));
  if (length === 0 && !chunked) return false;
  return /100-continue/i.test(String(req.headers.expect ?? '')) || chunked || length > MAX_DRAIN_BYTES;
}
