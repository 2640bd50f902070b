// The FS REST API under /api/v1/fs: the file view of the namespace that the
// `strata fs` CLI (and later the dashboard) calls. Buckets are top-level
// directories; keys with '/' are paths.
// Routes: GET ls|stat|cat, PUT write, POST mkdir|sync, DELETE rm; all take ?path=.
// The cache's routes (POST load|free|pin|unpin) are in fs-cache-api.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AccessControl } from '../auth/access.ts';
import { Authenticator } from '../auth/authenticate.ts';
import { admitFsRequest } from './fs-access.ts';
import type { ObjectRecord } from '../meta/metadata-store.ts';
import type { Namespace } from '../namespace/namespace.ts';
import type { S3Settings } from '../s3/context.ts';
import { S3Error, isS3Error } from '../s3/errors.ts';
import { pipeInto } from '../util/pipe.ts';
import type { AdminRoute } from '../s3/server.ts';
import { CACHE_ACTIONS, cacheFields, handleCacheAction, type CacheFields } from './fs-cache-api.ts';

export const FS_API_PREFIX = '/api/v1/fs/';

export interface FsEntry {
  path: string;
  isDirectory: boolean;
  size: number;
  owner: string;
  group: string;
  mode: string;
  /** epoch ms */
  mtime: number;
  persisted: boolean;
  /** Share of the file held by the cache; files of local mounts are their own cache (100). */
  cachedPercent: number;
  /** Files on remote mounts: pages and bytes in each cache tier. */
  cache?: CacheFields['cache'];
  /** Files: pinned in the cache (`fs pin`). */
  pinned?: boolean;
  etag?: string;
}

/** '/bucket/a/b' -> ['bucket', 'a/b']; '/' -> ['', '']. */
export function splitFsPath(path: string): { bucket: string; key: string } {
  if (!path.startsWith('/')) throw new S3Error('InvalidArgument', 'Paths are absolute: they start with "/".', { ArgumentName: 'path', ArgumentValue: path });
  const trimmed = path.replace(/\/+$/, '').slice(1);
  const slash = trimmed.indexOf('/');
  return slash < 0 ? { bucket: trimmed, key: '' } : { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
}

function fileEntry(ns: Namespace, row: ObjectRecord): FsEntry {
  const isDirectory = row.isDirectory;
  return {
    path: `/${row.bucket}/${isDirectory ? row.key.slice(0, -1) : row.key}`,
    isDirectory,
    size: row.size,
    owner: row.owner,
    group: row.owner,
    mode: isDirectory ? 'drwxr-xr-x' : '-rw-r--r--',
    mtime: row.lastModified,
    // persisted (NOT_PERSISTED while only a local pending copy exists), % cached, pages per tier, pinned.
    ...cacheFields(ns, row),
    etag: row.etag,
  };
}

function dirEntry(path: string, owner: string, mtime: number): FsEntry {
  return { path, isDirectory: true, size: 0, owner, group: owner, mode: 'drwxr-xr-x', mtime, persisted: true, cachedPercent: 100 };
}

/** Direct children of a directory (a bucket or a key prefix), or of the root (buckets). */
async function listDir(ns: Namespace, bucket: string, key: string, sync: boolean): Promise<FsEntry[]> {
  if (bucket === '') {
    return (await ns.listBuckets()).map((b) => dirEntry(`/${b.name}`, b.owner, b.createdAt));
  }
  const owner = (await ns.getBucket(bucket)).owner;
  const prefix = key === '' ? '' : `${key}/`;
  if (sync) await ns.syncNow(bucket, prefix, false);
  const entries: FsEntry[] = [];
  let from: string | undefined;
  for (;;) {
    const page = await ns.list(bucket, { prefix, delimiter: '/', from, maxKeys: 1000 });
    for (const row of page.contents) if (row.key !== prefix) entries.push(fileEntry(ns, row));
    for (const cp of page.commonPrefixes) {
      const marker = await ns.headObject(bucket, cp).catch(() => undefined);
      entries.push(marker ? fileEntry(ns, marker) : dirEntry(`/${bucket}/${cp.slice(0, -1)}`, owner, 0));
    }
    if (!page.isTruncated) break;
    from = page.nextStart;
  }
  return entries;
}

async function stat(ns: Namespace, bucket: string, key: string, rootOwner = 'root'): Promise<FsEntry> {
  if (bucket === '') return dirEntry('/', rootOwner, 0);
  const b = await ns.getBucket(bucket);
  if (key === '') return dirEntry(`/${bucket}`, b.owner, b.createdAt);
  const file = await ns.headObject(bucket, key).catch((err: unknown) => {
    if (isS3Error(err) && err.code === 'NoSuchKey') return undefined;
    throw err;
  });
  if (file) return fileEntry(ns, file);
  const marker = await ns.headObject(bucket, `${key}/`).catch(() => undefined);
  if (marker) return fileEntry(ns, marker);
  const below = await ns.list(bucket, { prefix: `${key}/`, delimiter: '/', maxKeys: 1 });
  if (below.contents.length + below.commonPrefixes.length > 0) return dirEntry(`/${bucket}/${key}`, b.owner, 0);
  throw new S3Error('NoSuchKey', `Path /${bucket}/${key} does not exist.`, { Key: key });
}

async function remove(ns: Namespace, bucket: string, key: string, recursive: boolean,
  mayDelete: (bucket: string, key: string) => Promise<void> = async () => {}): Promise<number> {
  if (bucket === '') throw new S3Error('InvalidArgument', 'The root cannot be removed.');
  const entry = await stat(ns, bucket, key);
  if (!entry.isDirectory) {
    await ns.deleteObject(bucket, key);
    return 1;
  }
  const prefix = key === '' ? '' : `${key}/`;
  const first = await ns.list(bucket, { prefix, delimiter: '', maxKeys: 2 });
  const hasChildren = first.contents.some((r) => r.key !== prefix);
  if (hasChildren && !recursive) throw new S3Error('BucketNotEmpty', `Directory ${entry.path} is not empty; use -R to remove it and its contents.`);
  let removed = 0;
  for (;;) {
    const page = await ns.list(bucket, { prefix, delimiter: '', maxKeys: 1000 });
    // Deepest first, so directory markers go after what they hold.
    for (const row of page.contents.reverse()) {
      await mayDelete(bucket, row.key);
      await ns.deleteObject(bucket, row.key);
      removed++;
    }
    if (!page.isTruncated) break;
  }
  if (key === '') await ns.deleteBucket(bucket);
  return removed;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': text.length });
  res.end(text);
}

/** A small JSON request body (mount definitions), at most 64 KiB. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > 64 * 1024) throw new S3Error('InvalidArgument', 'The request body is larger than 64 KiB.');
  }
  try {
    return text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    throw new S3Error('InvalidArgument', 'The request body is not JSON.');
  }
}

function stringRecord(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new S3Error('InvalidArgument', 'options is an object of strings.');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new S3Error('InvalidArgument', `option ${k} must be a string.`);
    out[k] = v;
  }
  return out;
}

/** Brings the rows under a path in line with the storage now: a bucket or directory recursively, a file by its parent. */
async function syncPath(ns: Namespace, bucket: string, key: string): Promise<void> {
  if (bucket === '') {
    await ns.syncBuckets();
    return;
  }
  await ns.syncNow(bucket, key === '' ? '' : `${key}/`, true);
  if (key !== '') await ns.syncNow(bucket, key, false);
}

export function createAdminHandler(ns: Namespace, settings: S3Settings, logger: Logger,
  authenticator = new Authenticator({ mode: 'simple', defaultUser: settings.defaultUser, region: settings.region })): AdminRoute {
  // Authenticated and authorized as the S3 API is (fs-access.ts).
  const access = new AccessControl(ns, authenticator.mode === 'sigv4');
  const claims = (_req: IncomingMessage, rawPath: string): boolean => rawPath.startsWith(FS_API_PREFIX);
  return { claims, serve: async (req: IncomingMessage, res: ServerResponse, rawPath: string, query: URLSearchParams) => {
    const started = process.hrtime.bigint();
    const action = rawPath.slice(FS_API_PREFIX.length);
    const method = req.method ?? 'GET';
    try {
      const { bucket, key } = splitFsPath(query.get('path') ?? '/');
      const caller = await admitFsRequest(authenticator, access, req, { rawPath, action, bucket, key });
      const user = caller.identity.user;
      const flag = (name: string): boolean => query.get(name) === 'true';
      if (method === 'GET' && action === 'ls') {
        if (flag('sync')) await syncPath(ns, bucket, key);
        const target = await stat(ns, bucket, key, settings.defaultUser);
        if (!target.isDirectory) {
          sendJson(res, 200, { entries: [target] });
        } else {
          const entries: FsEntry[] = [];
          const walk = async (b: string, k: string): Promise<void> => {
            for (const entry of await listDir(ns, b, k, flag('sync'))) {
              if (b === '' && !caller.visible(entry)) continue;
              entries.push(entry);
              if (flag('recursive') && entry.isDirectory) {
                const child = splitFsPath(entry.path);
                await walk(child.bucket, child.key);
              }
            }
          };
          await walk(bucket, key);
          sendJson(res, 200, { entries });
        }
      } else if (method === 'GET' && action === 'stat') {
        sendJson(res, 200, await stat(ns, bucket, key, settings.defaultUser));
      } else if (method === 'GET' && action === 'cat') {
        if ((await stat(ns, bucket, key)).isDirectory) throw new S3Error('InvalidRequest', `${query.get('path')} is a directory.`);
        const { row, body } = await ns.openObject(bucket, key);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': row.size });
        await pipeInto(body, res);
      } else if (method === 'PUT' && action === 'write') {
        const length = req.headers['content-length'];
        const expectContinue = /100-continue/i.test(String(req.headers.expect ?? ''));
        const row = await ns.putObject({
          bucket, key, user, headers: {}, userMetadata: {}, extras: {},
          contentLength: length === undefined ? undefined : Number(length),
          body: () => {
            if (expectContinue) res.writeContinue();
            return caller.body();
          },
        });
        sendJson(res, 200, fileEntry(ns, row));
      } else if (method === 'POST' && action === 'mkdir') {
        const existing = await stat(ns, bucket, key).catch(() => undefined);
        if (existing) throw new S3Error('PathAlreadyExists', `${query.get('path')} already exists.`);
        if (key === '') await ns.createBucket(bucket, user);
        else await ns.putObject({ bucket, key: `${key}/`, user, headers: {}, userMetadata: {}, extras: {}, body: () => req });
        sendJson(res, 200, await stat(ns, bucket, key));
      } else if (method === 'POST' && action === 'sync') {
        await syncPath(ns, bucket, key);
        sendJson(res, 200, { synced: query.get('path') });
      } else if (method === 'POST' && action === 'mount') {
        const body = await readJson(req);
        const uri = typeof body === 'object' && body !== null && 'uri' in body ? body.uri : undefined;
        if (typeof uri !== 'string') throw new S3Error('InvalidArgument', 'A mount needs a "uri".');
        const options = stringRecord(typeof body === 'object' && body !== null && 'options' in body ? body.options : undefined);
        sendJson(res, 200, await ns.mount({ path: query.get('path') ?? '', uri, options, user }));
      } else if (method === 'DELETE' && action === 'unmount') {
        await ns.unmount(query.get('path') ?? '');
        sendJson(res, 200, { unmounted: query.get('path') });
      } else if (method === 'GET' && action === 'mounts') {
        sendJson(res, 200, { mounts: await ns.listMounts() });
      } else if (method === 'POST' && CACHE_ACTIONS.has(action)) {
        await handleCacheAction(ns, action, query.get('path') ?? '/', res);
      } else if (method === 'DELETE' && action === 'rm') {
        sendJson(res, 200, { removed: await remove(ns, bucket, key, flag('recursive'), caller.mayDelete) });
      } else {
        sendJson(res, 404, { error: 'NoSuchAction', message: `${method} ${rawPath} is not part of the FS API` });
      }
    } catch (err) {
      if (!isS3Error(err)) logger.error({ err, action }, 'FS API request failed');
      if (res.headersSent) res.destroy();
      else if (isS3Error(err)) sendJson(res, err.status, { error: err.code, message: err.message });
      else sendJson(res, 500, { error: 'InternalError', message: 'internal error' });
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logger.info({ op: `fs.${action}`, path: query.get('path'), status: res.statusCode, ms: Math.round(ms * 100) / 100 }, 'request');
  } };
}
