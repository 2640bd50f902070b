// The admin API for users and their access keys, behind `strata user`:
//   GET    /api/v1/admin/users                 -> {users: [{name, isRoot, created, accessKeyIds}]} (never secrets)
//   POST   /api/v1/admin/users                 {name, accessKey?, secretKey?} -> {user, accessKeyId, secretKey}
//   DELETE /api/v1/admin/users?name=NAME       -> {removed: NAME}
//   POST   /api/v1/admin/users/rotate?name=NAME [{accessKey?, secretKey?}] -> {user, accessKeyId, secretKey}
// A generated secret is in the answer once and never again (only its sealed
// form is stored). Root only: the root user in sigv4 mode; in simple mode,
// where any request can name any user, the default user and only from a
// loopback address. Errors are {error, message} JSON, as the FS API sends them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ANONYMOUS_USER, type Authenticator } from '../auth/authenticate.ts';
import { CredentialError, type CredentialStore } from '../auth/credentials.ts';
import { isLoopback } from '../config/config.ts';
import { S3Error, isS3Error } from '../s3/errors.ts';
import type { AdminRoute } from '../s3/server.ts';

export const USERS_API_PATH = '/api/v1/admin/users';

/** A refusal of this API: HTTP status, error code, message. */
class ApiRefusal extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const CREDENTIAL_ERRORS: Record<CredentialError['code'], [number, string]> = {
  USER_EXISTS: [409, 'UserAlreadyExists'],
  NO_SUCH_USER: [404, 'NoSuchUser'],
  KEY_EXISTS: [409, 'AccessKeyAlreadyExists'],
  INVALID: [400, 'InvalidArgument'],
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  // Answers may carry a secret key: no cache may keep them.
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': text.length, 'Cache-Control': 'no-store' });
  res.end(text);
}

/** A small JSON object body (a user definition), at most 16 KiB. */
async function readObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > 16 * 1024) throw new ApiRefusal(400, 'InvalidArgument', 'The request body is larger than 16 KiB.');
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiRefusal(400, 'InvalidArgument', 'The request body is not JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiRefusal(400, 'InvalidArgument', 'The request body is a JSON object.');
  return parsed as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ApiRefusal(400, 'InvalidArgument', `"${name}" must be a non-empty string.`);
  return value;
}

function requiredName(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') throw new ApiRefusal(400, 'InvalidArgument', 'A user name is required (name).');
  return value;
}

/** The caller must be the administrator; see the header comment. */
async function requireRoot(authenticator: Authenticator, req: IncomingMessage, rawPath: string, rawQuery: string): Promise<string> {
  const identity = await authenticator.authenticate(req, { rawPath, rawQuery });
  const peer = req.socket.remoteAddress ?? '';
  const allowed = identity.isRoot && !identity.anonymous && (authenticator.mode === 'sigv4' || isLoopback(peer));
  if (!allowed) throw new S3Error('AccessDenied', 'Only the root user may manage users.');
  return identity.user;
}

async function serve(store: CredentialStore, authenticator: Authenticator, req: IncomingMessage, res: ServerResponse, action: string, query: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  if (action === '' && method === 'GET') {
    sendJson(res, 200, { users: await store.listUsers() });
  } else if (action === '' && method === 'POST') {
    const body = await readObject(req);
    const name = requiredName(optionalString(body, 'name'));
    if (name === ANONYMOUS_USER) throw new ApiRefusal(400, 'InvalidArgument', `"${ANONYMOUS_USER}" is reserved: it owns what anonymous requests write.`);
    const issued = await store.addUser(name, { accessKeyId: optionalString(body, 'accessKey'), secretKey: optionalString(body, 'secretKey') });
    authenticator.forget();
    sendJson(res, 200, issued);
  } else if (action === '' && method === 'DELETE') {
    const name = requiredName(query.get('name'));
    if (await store.isRoot(name)) throw new ApiRefusal(409, 'InvalidArgument', `${name} is the root user; it cannot be removed (rotate its keys instead).`);
    await store.removeUser(name);
    authenticator.forget();
    sendJson(res, 200, { removed: name });
  } else if (action === '/rotate' && method === 'POST') {
    const name = requiredName(query.get('name'));
    const body = await readObject(req);
    const issued = await store.rotate(name, { accessKeyId: optionalString(body, 'accessKey'), secretKey: optionalString(body, 'secretKey') });
    authenticator.forget();
    sendJson(res, 200, issued);
  } else {
    throw new ApiRefusal(404, 'NoSuchAction', `${method} ${USERS_API_PATH}${action} is not part of the users API`);
  }
}

export function createUsersApi(authenticator: Authenticator, logger: Logger): AdminRoute {
  const claims = (_req: IncomingMessage, rawPath: string): boolean => rawPath === USERS_API_PATH || rawPath.startsWith(`${USERS_API_PATH}/`);
  return { claims, serve: async (req, res, rawPath, query) => {
    const action = rawPath.slice(USERS_API_PATH.length);
    const rawUrl = req.url ?? '';
    const q = rawUrl.indexOf('?');
    let caller: string | undefined;
    try {
      const store = authenticator.credentials;
      if (store === undefined) throw new ApiRefusal(501, 'NotImplemented', 'This server has no credential store.');
      caller = await requireRoot(authenticator, req, rawPath, q < 0 ? '' : rawUrl.slice(q + 1));
      await serve(store, authenticator, req, res, action, query);
    } catch (err) {
      if (err instanceof ApiRefusal) sendJson(res, err.status, { error: err.code, message: err.message });
      else if (err instanceof CredentialError) {
        const [status, code] = CREDENTIAL_ERRORS[err.code];
        sendJson(res, status, { error: code, message: err.message });
      } else if (isS3Error(err)) sendJson(res, err.status, { error: err.code, message: err.message });
      else {
        logger.error({ err }, 'users API request failed');
        sendJson(res, 500, { error: 'InternalError', message: 'internal error' });
      }
    }
    logger.info({ op: `admin.users${action.replace('/', '.')}`, method: req.method, user: caller, name: query.get('name') ?? undefined, status: res.statusCode }, 'request');
  } };
}
