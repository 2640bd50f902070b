// The cache routes of the FS REST API (/api/v1/fs/<action>?path=PATH), behind
// `strata fs load|free|pin|unpin|persist`, and the cache fields of the entries
// that `ls` and `stat` return.
//   POST load    -> 200, application/x-ndjson: one JSON object per line as the
//                   load goes, {"progress":{"done":N,"total":T}} (at least one
//                   per percent, the first with done 0, the last with done T),
//                   then {"result":{files,bytes,pages,fetchedPages,cachedPages}}
//                   or, if it fails midway, {"error":CODE,"message":TEXT}.
//                   A bad path fails before the first line, as a JSON error.
//   POST free    -> {files, bytes, pinned: [paths left cached because pinned]}
//   POST pin     -> {files}      POST unpin -> {files}
//   POST persist -> {files, bytes}: pending files uploaded to their mount now
// A path is a file, or a directory / bucket / the root taken recursively.
import type { ServerResponse } from 'node:http';
import type { ObjectRecord } from '../meta/metadata-store.ts';
import type { Namespace } from '../namespace/namespace.ts';
import type { TierPages } from '../cache/page-cache.ts';
import { isS3Error } from '../s3/errors.ts';

/** The cache-related fields of an FsEntry. */
export interface CacheFields {
  /** False for a file whose bytes have not reached its mount's store yet (ASYNC_THROUGH / MUST_CACHE): NOT_PERSISTED. */
  persisted: boolean;
  /** Share of the file held by the cache; a local mount's files are their own cache (100). */
  cachedPercent: number;
  /** Pages and bytes per cache tier, for files on remote mounts. */
  cache?: { memory: TierPages; disk?: TierPages };
  pinned: boolean;
}

export function cacheFields(ns: Namespace, row: ObjectRecord): CacheFields {
  if (row.isDirectory) return { persisted: true, cachedPercent: 100, pinned: false };
  const status = ns.cacheStatus(row);
  return { persisted: status.persisted, cachedPercent: status.cachedPercent, ...(status.tiers ? { cache: status.tiers } : {}), pinned: status.pinned };
}

export const CACHE_ACTIONS = new Set(['load', 'free', 'pin', 'unpin', 'persist']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': text.length });
  res.end(text);
}

/**
 * Streams the load's progress as NDJSON. Headers go out with the first
 * progress line, so an error before it (no such path) is an ordinary JSON error.
 */
async function load(ns: Namespace, path: string, res: ServerResponse): Promise<void> {
  let lastSent = -1;
  const line = (value: unknown): void => {
    res.write(`${JSON.stringify(value)}\n`);
  };
  const progress = (done: number, total: number): void => {
    if (!res.headersSent) {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
    }
    // A line per percent at most, whatever the page size: the client needs no more for a bar.
    if (done === lastSent || (done < total && lastSent >= 0 && done - lastSent < total / 100)) return;
    lastSent = done;
    line({ progress: { done, total } });
  };
  try {
    const result = await ns.loadCache(path, progress);
    line({ result });
    res.end();
  } catch (err) {
    if (!res.headersSent) throw err;
    line(isS3Error(err)
      ? { error: err.code, message: err.message }
      : { error: 'InternalError', message: `the load failed: ${err instanceof Error ? err.message : String(err)}` });
    res.end();
  }
}

/** Serves a POST of one of CACHE_ACTIONS; the caller maps errors thrown before a response started. */
export async function handleCacheAction(ns: Namespace, action: string, path: string, res: ServerResponse): Promise<void> {
  if (action === 'load') await load(ns, path, res);
  else if (action === 'free') sendJson(res, 200, await ns.freeCache(path));
  else if (action === 'pin') sendJson(res, 200, await ns.pin(path));
  else if (action === 'persist') sendJson(res, 200, await ns.persist(path));
  else sendJson(res, 200, await ns.unpin(path));
}
