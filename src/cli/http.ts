// The client side of the FS REST API (/api/v1/fs/<action>?path=...): one
// request, JSON or a byte stream back, and errors turned into CliErrors whose
// message says what went wrong in words (naming the endpoint when it cannot be reached).
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError, CliError, UsageError } from './errors.ts';
import { signRequest, type SigningKeys } from './sign.ts';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:39999';
export const FS_API_PATH = '/api/v1/fs/';

/** How long establishing the TCP connection may take; the transfer itself has no time limit. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Error bodies are small JSON documents; a larger one is cut off here. */
const MAX_ERROR_BODY = 64 * 1024;

export interface Client {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:39999 */
  endpoint: string;
  /** Sent as `Authorization: AWS <user>:` (simple authentication); the server's default user when unset. */
  user?: string;
  /** When set, every request is signed with SigV4 (sigv4 servers) and `user` is not sent. */
  keys?: SigningKeys;
}

export interface RequestBody {
  stream: Readable;
  length: number;
  /** What the body is read from, for messages (a local file name). */
  name: string;
  /** Called with the size of each chunk as it is sent. */
  onChunk?: (bytes: number) => void;
}

export function createClient(endpoint: string, user: string | undefined, keys?: SigningKeys): Client {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`invalid endpoint "${endpoint}": expected a URL such as ${DEFAULT_ENDPOINT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid endpoint "${endpoint}": only http:// and https:// URLs are supported`);
  }
  if (url.search || url.hash) throw new UsageError(`invalid endpoint "${endpoint}": it must not have a query or fragment`);
  return { endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, user, keys };
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: { code?: unknown }[] };
  if (typeof e?.code === 'string') return e.code;
  // With happy eyeballs, a failed connect is an AggregateError over the addresses tried.
  const inner = e?.errors?.[0]?.code;
  return typeof inner === 'string' ? inner : undefined;
}

/** A failure of the connection itself, in words that name the endpoint. */
export function connectionError(client: Client, err: unknown): CliError {
  const code = errorCode(err);
  const where = `the Strata server at ${client.endpoint}`;
  const hint = 'is it running? Use --endpoint URL or STRATA_ENDPOINT to point elsewhere';
  switch (code) {
    case 'ECONNREFUSED':
      return new CliError(`cannot connect to ${where}: connection refused (${hint})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(`cannot connect to ${where}: host ${new URL(client.endpoint).hostname} not found (${hint})`);
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return new CliError(`cannot connect to ${where}: timed out (${hint})`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new CliError(`cannot connect to ${where}: host unreachable (${hint})`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new CliError(`the connection to ${where} was lost`);
    default:
      return new CliError(`request to ${where} failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

export function apiUrl(client: Client, action: string, params: Record<string, string | boolean | undefined>): URL {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== false) query.set(name, String(value));
  }
  return new URL(`${client.endpoint}${FS_API_PATH}${action}?${query}`);
}

async function readLimited(res: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

/** Turns a non-2xx response into an ApiError: the API's {error, message} body, or a description of whatever came back instead. */
async function refusal(client: Client, res: IncomingMessage): Promise<ApiError> {
  const status = res.statusCode ?? 0;
  let text = '';
  try {
    text = await readLimited(res, MAX_ERROR_BODY);
  } catch {
    // The status alone will have to do.
  }
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.message === 'string' && body.message !== '') {
      return new ApiError(status, typeof body.error === 'string' ? body.error : 'Error', body.message);
    }
  } catch {
    // Not JSON: not the FS API answering.
  }
  const what = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
  return new ApiError(status, 'UnexpectedResponse',
    `${client.endpoint} answered ${what} without an FS API error; is it a Strata server with the FS API (${FS_API_PATH})?`);
}

/**
 * Sends one request and resolves with the response once its status is 2xx
 * (its body unread). A body is streamed with the given Content-Length.
 */
export async function send(client: Client, method: string, action: string,
  params: Record<string, string | boolean | undefined>, body?: RequestBody): Promise<IncomingMessage> {
  return sendTo(client, method, apiUrl(client, action, params), body);
}

/** Sends one request to any URL of the server (the FS API, the admin API); see send(). */
export async function sendTo(client: Client, method: string, url: URL, body?: RequestBody): Promise<IncomingMessage> {
  let headers: OutgoingHttpHeaders = { accept: 'application/json' };
  if (client.user !== undefined && client.keys === undefined) headers.authorization = `AWS ${client.user}:`;
  if (body) headers['content-length'] = body.length;
  else if (method !== 'GET' && method !== 'HEAD') headers['content-length'] = 0;
  if (client.keys !== undefined) headers = await signRequest(client.keys, method, url, headers);
  const transport = url.protocol === 'https:' ? https : http;

  return new Promise<IncomingMessage>((resolve, reject) => {
    let settled = false;
    const fail = (err: CliError): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      body?.stream.destroy();
      reject(err);
    };
    const req = transport.request(url, { method, headers });
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        req.destroy(Object.assign(new Error('connect timed out'), { code: 'CONNECT_TIMEOUT' }));
      }, CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('error', (err) => fail(connectionError(client, err)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        settled = true;
        resolve(res);
        return;
      }
      // A refusal can come before the whole body was sent; stop sending it.
      body?.stream.unpipe(req);
      refusal(client, res).then(fail, () => fail(new ApiError(status, 'UnexpectedResponse', `HTTP ${status}`)));
    });
    if (!body) {
      req.end();
      return;
    }
    body.stream.once('error', (err: Error) => {
      fail(new CliError(`reading ${body.name} failed: ${err.message}`));
    });
    const onChunk = body.onChunk;
    if (onChunk) body.stream.on('data', (chunk: Buffer) => onChunk(chunk.length));
    body.stream.pipe(req);
  });
}

/** A request whose answer is a JSON document. */
export async function requestJson<T>(client: Client, method: string, action: string,
  params: Record<string, string | boolean | undefined>, body?: RequestBody): Promise<T> {
  return requestJsonTo<T>(client, method, apiUrl(client, action, params), body);
}

/** A request to any URL of the server whose answer is a JSON document. */
export async function requestJsonTo<T>(client: Client, method: string, url: URL, body?: RequestBody): Promise<T> {
  const res = await sendTo(client, method, url, body);
  let text: string;
  try {
    text = await readLimited(res, Number.MAX_SAFE_INTEGER);
  } catch (err) {
    throw connectionError(client, err);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`${client.endpoint} sent a response that is not JSON; is it a Strata server?`);
  }
}
