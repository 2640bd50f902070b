// `strata fs load|free|pin|unpin|persist`: the page cache of remote mounts, and
// the upload of files not yet persisted, through the FS REST API
// (src/admin/fs-cache-api.ts). PATH is a file, or a directory taken recursively. `load` draws the same progress bar as the copies, fed by the
// progress lines the server streams while it fetches.
// Cf. Alluxio's fs load / free / pin / unpin (https://docs.alluxio.io/os/user/stable/en/operation/User-CLI.html).
import { createInterface } from 'node:readline';
import type { IncomingMessage } from 'node:http';
import { ApiError, CliError } from './errors.ts';
import type { FsCommand } from './fs-commands.ts';
import { formatBytes } from './format.ts';
import { connectionError, requestJson, send, type Client } from './http.ts';
import { ProgressBar, wantsProgress } from './progress.ts';

interface LoadResult {
  files: number;
  bytes: number;
  pages: number;
  fetchedPages: number;
  cachedPages: number;
}

/** One line of the load's NDJSON answer. */
interface LoadLine {
  progress?: { done: number; total: number };
  result?: LoadResult;
  error?: string;
  message?: string;
}

/** '/a/b/' -> '/a/b', as the server names paths. */
function normalize(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

/** A refusal about `path` says which path it is about. */
async function onPath<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ApiError && !err.message.includes(normalize(path))) {
      throw new ApiError(err.status, err.code, `${normalize(path)}: ${err.message}`);
    }
    throw err;
  }
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The JSON lines of a streamed answer, in order. */
async function* jsonLines(client: Client, res: IncomingMessage): AsyncGenerator<LoadLine> {
  const lines = createInterface({ input: res, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      try {
        yield JSON.parse(line) as LoadLine;
      } catch {
        throw new CliError(`${client.endpoint} sent a load progress line that is not JSON; is it a Strata server?`);
      }
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw connectionError(client, err);
  }
}

const load: FsCommand = {
  name: 'load', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Warm the cache: fetch the file(s) at PATH from their under-storage\n(remote mounts; local files are always 100% cached).',
  async run(ctx, [path]) {
    const res = await onPath(path, () => send(ctx.client, 'POST', 'load', { path }));
    let bar: ProgressBar | undefined;
    let shown = 0;
    let result: LoadResult | undefined;
    try {
      for await (const line of jsonLines(ctx.client, res)) {
        if (line.progress) {
          const { done, total } = line.progress;
          if (shown === 0 && bar === undefined && wantsProgress(ctx.stderr, total, ctx.progress)) bar = new ProgressBar(ctx.stderr, total);
          bar?.advance(done - shown);
          shown = done;
        } else if (line.result) {
          result = line.result;
        } else if (line.error) {
          throw new ApiError(500, line.error, `${normalize(path)}: the load failed: ${line.message ?? line.error}`);
        }
      }
      if (!result) throw new CliError(`the load of ${normalize(path)} broke off before it finished`);
    } catch (err) {
      bar?.abort();
      throw err;
    }
    bar?.finish();
    const { files, bytes, pages, fetchedPages, cachedPages } = result;
    ctx.stdout.write(`${normalize(path)} loaded: ${plural(files, 'file')}, ${formatBytes(bytes)} in ${plural(pages, 'page')} (${fetchedPages} fetched)\n`);
    if (cachedPages < pages) {
      throw new CliError(`only ${cachedPages} of the ${pages} pages of ${normalize(path)} fit in the cache`);
    }
  },
};

const free: FsCommand = {
  name: 'free', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Drop the cached pages of the file(s) at PATH (pinned files keep theirs).',
  async run(ctx, [path]) {
    const r = await onPath(path, () => requestJson<{ files: number; bytes: number; pinned: string[] }>(ctx.client, 'POST', 'free', { path }));
    ctx.stdout.write(`${normalize(path)} freed: ${plural(r.files, 'file')}, ${formatBytes(r.bytes)} dropped from the cache\n`);
    if (r.pinned.length > 0) {
      throw new CliError(`${plural(r.pinned.length, 'pinned file')} kept in the cache (unpin first): ${r.pinned.join(', ')}`);
    }
  },
};

const pin: FsCommand = {
  name: 'pin', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Pin the file(s) at PATH: their cached pages are never evicted (kept across restarts).',
  async run(ctx, [path]) {
    const r = await onPath(path, () => requestJson<{ files: number }>(ctx.client, 'POST', 'pin', { path }));
    ctx.stdout.write(`${normalize(path)} pinned (${plural(r.files, 'file')})\n`);
  },
};

const unpin: FsCommand = {
  name: 'unpin', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Unpin the file(s) at PATH: their pages may be evicted again.',
  async run(ctx, [path]) {
    const r = await onPath(path, () => requestJson<{ files: number }>(ctx.client, 'POST', 'unpin', { path }));
    ctx.stdout.write(`${normalize(path)} unpinned (${plural(r.files, 'file')})\n`);
  },
};

const persist: FsCommand = {
  name: 'persist', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Upload the file(s) at PATH not yet in their under-storage (written\nASYNC_THROUGH or MUST_CACHE: NOT_PERSISTED in ls) now.',
  async run(ctx, [path]) {
    const r = await onPath(path, () => requestJson<{ files: number; bytes: number }>(ctx.client, 'POST', 'persist', { path }));
    ctx.stdout.write(`${normalize(path)} persisted: ${plural(r.files, 'file')}, ${formatBytes(r.bytes)}\n`);
  },
};

export const CACHE_COMMANDS: readonly FsCommand[] = [load, free, pin, unpin, persist];
