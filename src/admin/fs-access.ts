// Authentication and authorization of the FS REST API (/api/v1/fs/<action>):
// the same authenticator as the S3 API (the CLI signs with SigV4), and each
// action authorized as the S3 operation it amounts to, with the same rules:
//   ls       -> ListBuckets at the root (each user sees the buckets they own; root all), else ListObjectsV2
//   stat     -> ListBuckets at the root, HeadBucket for a bucket, GetObject for a path in one
//   cat      -> GetObject               write -> PutObject
//   mkdir    -> CreateBucket for a bucket, PutObject (of the "dir/" marker) below
//   rm       -> DeleteBucket for a bucket, DeleteObject for a path (and each key a recursive rm deletes)
//   sync     -> ListObjectsV2 of the bucket; root only at the root (it imports directories as buckets)
//   mount, unmount, mounts, the cache actions and anything else -> root only
// Enforced in sigv4 mode; in simple mode every action is allowed, as before.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { AccessDeniedError, peerOf, type AccessAsk, type AccessControl } from '../auth/access.ts';
import type { Authenticator, Identity } from '../auth/authenticate.ts';
import { verifiedBody } from '../auth/body-verify.ts';

/** What the FS API needs to know about its caller once the request passed. */
export interface FsCaller {
  identity: Identity;
  /** Whether a top-level entry (a bucket) shows in `ls /`: the caller's own buckets, or all for root. */
  visible(entry: { path: string; owner: string }): boolean;
  /** Throws AccessDenied unless the caller may delete this key (recursive rm checks every key). */
  mayDelete(bucket: string, key: string): Promise<void>;
  /** The body of a write, checked against a declared x-amz-content-sha256 (sigv4). */
  body(): Readable;
}

interface Target {
  op: string;
  key: string;
  query?: Record<string, string>;
}

/** The S3 operation an FS action amounts to, or 'root' for the administrator's actions. */
function targetOf(method: string, action: string, bucket: string, key: string): Target | 'root' {
  const listing = { 'list-type': '2', delimiter: '/', ...(key === '' ? {} : { prefix: `${key}/` }) };
  if (method === 'GET' && (action === 'ls' || action === 'stat')) {
    if (bucket === '') return { op: 'ListBuckets', key: '' };
    if (action === 'ls') return { op: 'ListObjectsV2', key: '', query: listing };
    return key === '' ? { op: 'HeadBucket', key: '' } : { op: 'GetObject', key };
  }
  if (method === 'GET' && action === 'cat') return { op: 'GetObject', key };
  if (method === 'PUT' && action === 'write') return { op: 'PutObject', key };
  if (method === 'POST' && action === 'mkdir') return key === '' ? { op: 'CreateBucket', key: '' } : { op: 'PutObject', key: `${key}/` };
  if (method === 'DELETE' && action === 'rm') return key === '' ? { op: 'DeleteBucket', key: '' } : { op: 'DeleteObject', key };
  if (method === 'POST' && action === 'sync' && bucket !== '') return { op: 'ListObjectsV2', key: '', query: listing };
  return 'root';
}

/** Authenticates an FS API request and authorizes its action; rejects with the S3Error to answer. */
export async function admitFsRequest(
  authenticator: Authenticator, access: AccessControl, req: IncomingMessage,
  where: { rawPath: string; action: string; bucket: string; key: string },
): Promise<FsCaller> {
  const rawUrl = req.url ?? '';
  const q = rawUrl.indexOf('?');
  const identity = await authenticator.authenticate(req, { rawPath: where.rawPath, rawQuery: q < 0 ? '' : rawUrl.slice(q + 1) });
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const ask = (op: string, bucket: string, key: string, query: Record<string, string> = {}): AccessAsk => ({
    op, bucket, key, identity, peer: peerOf(req), query: new URLSearchParams(query), header,
  });
  const method = req.method ?? 'GET';
  if (access.enforced) {
    const target = targetOf(method, where.action, where.bucket, where.key);
    if (target === 'root') {
      if (!identity.isRoot) throw new AccessDeniedError(`fs ${where.action} is for the root user`);
    } else {
      await access.require(ask(target.op, where.bucket, target.key, target.query));
    }
  }
  return {
    identity,
    visible: (entry) => !access.enforced || identity.isRoot || entry.owner === identity.user,
    mayDelete: async (bucket, key) => {
      await access.require(ask('DeleteObject', bucket, key));
    },
    body: () => verifiedBody(req, identity.result, { awsChunked: false, decodedLength: undefined, trailer: undefined }),
  };
}
