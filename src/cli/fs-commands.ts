// The `strata fs` commands: each is a call (or two) to the FS REST API and a
// printout of the answer. Data moves as streams in both directions.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { FsEntry } from '../admin/fs-api.ts';
import { ApiError, CliError } from './errors.ts';
import { formatLsLine, formatStat } from './format.ts';
import { connectionError, requestJson, send, type Client } from './http.ts';
import { MOUNT_COMMANDS } from './mount-commands.ts';
import { CACHE_COMMANDS } from './cache-commands.ts';
import { ProgressBar, wantsProgress, type ProgressOutput } from './progress.ts';

export interface CommandContext {
  client: Client;
  /** Canonical flags given on the command line ('recursive', 'sync'); already checked against the command. */
  flags: Set<string>;
  /** `--option k=v` values, in order. */
  options: string[];
  /** --progress (true) / --no-progress (false) / neither. */
  progress: boolean | undefined;
  stdout: Writable;
  stderr: ProgressOutput;
}

export interface FsCommand {
  name: string;
  /** Arguments as shown in the usage line. */
  synopsis: string;
  summary: string;
  minArgs: number;
  maxArgs: number;
  flags: readonly string[];
  run(ctx: CommandContext, args: string[]): Promise<void>;
}

/** '/a/b/' -> '/a/b': how the server names paths in its answers. */
function normalize(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

/** Server messages such as "The specified bucket does not exist" get the path they are about in front. */
function aboutPath(path: string, err: unknown): unknown {
  if (err instanceof ApiError && !err.message.includes(normalize(path))) {
    return new ApiError(err.status, err.code, `${normalize(path)}: ${err.message}`);
  }
  return err;
}

async function onPath<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw aboutPath(path, err);
  }
}

function statRemote(client: Client, path: string): Promise<FsEntry> {
  return requestJson<FsEntry>(client, 'GET', 'stat', { path });
}

/** The remote entry at `path`, or undefined when nothing is there. */
async function statIfPresent(client: Client, path: string): Promise<FsEntry | undefined> {
  try {
    return await statRemote(client, path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * Opens the content of the remote file at `path`. A refusal because the path
 * is a directory is reported as such rather than as a missing key.
 */
async function openRemote(client: Client, path: string): Promise<{ body: Readable; length: number | undefined }> {
  try {
    const res = await send(client, 'GET', 'cat', { path });
    const header = res.headers['content-length'];
    return { body: res, length: header === undefined ? undefined : Number(header) };
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
      const entry = await statIfPresent(client, path).catch(() => undefined);
      if (entry?.isDirectory) throw new CliError(`${entry.path} is a directory`);
    }
    throw aboutPath(path, err);
  }
}

/** Streams `body` into `dest`, failing if the connection drops or fewer than `length` bytes arrive. */
async function receive(ctx: CommandContext, path: string, body: Readable, length: number | undefined,
  dest: Writable, bar: ProgressBar | undefined): Promise<number> {
  let received = 0;
  body.on('data', (chunk: Buffer) => { received += chunk.length; });
  try {
    if (bar) await pipeline(body, bar.counter(), dest);
    else await pipeline(body, dest);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error).message === 'aborted') {
      throw new CliError(`the transfer of ${path} from ${ctx.client.endpoint} broke off after ${received}${length === undefined ? '' : ` of ${length}`} bytes`);
    }
    throw err;
  }
  if (length !== undefined && received !== length) {
    throw new CliError(`the transfer of ${path} from ${ctx.client.endpoint} ended after ${received} of ${length} bytes`);
  }
  return received;
}

/** A failed local file operation, in words: "no such directory" rather than an errno dump naming a temp file. */
function localError(what: string, err: unknown): CliError {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT': return new CliError(`${what}: no such file or directory`);
    case 'EACCES':
    case 'EPERM': return new CliError(`${what}: permission denied`);
    case 'ENOSPC': return new CliError(`${what}: no space left on the device`);
    case 'EISDIR': return new CliError(`${what}: is a directory`);
    case 'ENOTDIR': return new CliError(`${what}: a component of the path is not a directory`);
    default: return new CliError(`${what}: ${(err as Error).message}`);
  }
}

const ls: FsCommand = {
  name: 'ls', synopsis: '[-R] [--sync] PATH', minArgs: 1, maxArgs: 1, flags: ['recursive', 'sync'],
  summary: 'List a directory, or show one file, in Alluxio\'s format.\n'
    + '-R: everything below PATH; --sync (-f): re-read the data directory first.',
  async run(ctx, [path]) {
    const { entries } = await onPath(path, () => requestJson<{ entries: FsEntry[] }>(ctx.client, 'GET', 'ls', {
      path, recursive: ctx.flags.has('recursive'), sync: ctx.flags.has('sync'),
    }));
    if (entries.length > 0) ctx.stdout.write(`${entries.map(formatLsLine).join('\n')}\n`);
  },
};

const cat: FsCommand = {
  name: 'cat', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Write the content of a file to standard output.',
  async run(ctx, [path]) {
    const { body, length } = await openRemote(ctx.client, path);
    try {
      await receive(ctx, path, body, length, ctx.stdout, undefined);
    } catch (err) {
      // `strata fs cat big | head`: the reader has seen enough; that is no error.
      if ((err as { code?: string }).code === 'EPIPE') return;
      throw err;
    }
  },
};

const statCommand: FsCommand = {
  name: 'stat', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Show the fields of one file or directory.',
  async run(ctx, [path]) {
    const entry = await onPath(path, () => statRemote(ctx.client, path));
    ctx.stdout.write(`${formatStat(entry)}\n`);
  },
};

const mkdir: FsCommand = {
  name: 'mkdir', synopsis: 'PATH...', minArgs: 1, maxArgs: Infinity, flags: [],
  summary: 'Create directories; a top-level directory is a bucket.',
  async run(ctx, paths) {
    for (const path of paths) {
      const entry = await onPath(path, () => requestJson<FsEntry>(ctx.client, 'POST', 'mkdir', { path }));
      ctx.stdout.write(`Successfully created directory ${entry.path}\n`);
    }
  },
};

const rm: FsCommand = {
  name: 'rm', synopsis: '[-R] PATH...', minArgs: 1, maxArgs: Infinity, flags: ['recursive'],
  summary: 'Remove files; -R: directories with everything in them.',
  async run(ctx, paths) {
    for (const path of paths) {
      await onPath(path, () => requestJson<{ removed: number }>(ctx.client, 'DELETE', 'rm', {
        path, recursive: ctx.flags.has('recursive'),
      }));
      ctx.stdout.write(`${normalize(path)} has been removed\n`);
    }
  },
};

const sync: FsCommand = {
  name: 'sync', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Pick up changes made in the data directory below PATH by others.',
  async run(ctx, [path]) {
    await onPath(path, () => requestJson<{ synced: string }>(ctx.client, 'POST', 'sync', { path }));
    ctx.stdout.write(`Synced ${normalize(path)}\n`);
  },
};

const copyFromLocal: FsCommand = {
  name: 'copyFromLocal', synopsis: 'LOCAL PATH', minArgs: 2, maxArgs: 2, flags: [],
  summary: 'Upload a file (into PATH if it is a directory or ends with "/").',
  async run(ctx, [local, path]) {
    const info = await stat(local).catch((err: unknown) => {
      throw localError(local, err);
    });
    if (info.isDirectory()) throw new CliError(`${local} is a directory; copyFromLocal copies one file`);
    if (!info.isFile()) throw new CliError(`${local} is not a regular file`);
    let target = path;
    const into = (dir: string): string => `${normalize(dir).replace(/\/$/, '')}/${basename(local)}`;
    if (path.endsWith('/')) target = into(path);
    else if ((await onPath(path, () => statIfPresent(ctx.client, path)))?.isDirectory) target = into(path);
    if (/^\/[^/]+\/*$/.test(target)) throw new CliError(`${normalize(target)}: files cannot sit at the top level, whose directories are the buckets`);

    const size = info.size;
    const bar = wantsProgress(ctx.stderr, size, ctx.progress) ? new ProgressBar(ctx.stderr, size) : undefined;
    // Never more than `size` bytes, so a file that grows meanwhile cannot overrun the Content-Length.
    const body = size > 0
      ? { stream: createReadStream(local, { start: 0, end: size - 1 }), length: size, name: local, onChunk: bar && ((n: number) => bar.advance(n)) }
      : undefined;
    let entry: FsEntry;
    try {
      entry = await onPath(target, () => requestJson<FsEntry>(ctx.client, 'PUT', 'write', { path: target }, body));
    } catch (err) {
      bar?.abort();
      throw err;
    }
    bar?.finish();
    if (entry.size !== size) throw new CliError(`${entry.path} holds ${entry.size} bytes after the upload, but ${local} has ${size}`);
    ctx.stdout.write(`Copied ${local} to ${entry.path}\n`);
  },
};

const copyToLocal: FsCommand = {
  name: 'copyToLocal', synopsis: 'PATH LOCAL', minArgs: 2, maxArgs: 2, flags: [],
  summary: 'Download a file (into LOCAL if it is a directory).',
  async run(ctx, [path, local]) {
    let dest = local;
    const existing = await stat(local).catch(() => undefined);
    if (existing?.isDirectory() || local.endsWith('/') || local.endsWith(sep)) dest = join(local, basename(normalize(path)));
    const { body, length } = await openRemote(ctx.client, path);
    const temp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.strata-tmp`);
    let out: Writable;
    try {
      out = createWriteStream(temp, { flags: 'wx' });
      await new Promise<void>((resolve, reject) => {
        out.once('open', () => resolve());
        out.once('error', reject);
      });
    } catch (err) {
      body.destroy();
      const missingDir = (err as NodeJS.ErrnoException).code === 'ENOENT' && !(await stat(dirname(dest)).catch(() => undefined));
      if (missingDir) throw new CliError(`cannot write ${dest}: no such directory ${dirname(dest)}`);
      throw localError(`cannot write ${dest}`, err);
    }
    const bar = length !== undefined && wantsProgress(ctx.stderr, length, ctx.progress) ? new ProgressBar(ctx.stderr, length) : undefined;
    try {
      await receive(ctx, path, body, length, out, bar);
      await rename(temp, dest);
    } catch (err) {
      bar?.abort();
      await unlink(temp).catch(() => undefined);
      if (err instanceof CliError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'ECONNRESET') throw connectionError(ctx.client, err);
      throw localError(`cannot write ${dest}`, err);
    }
    bar?.finish();
    ctx.stdout.write(`Copied ${normalize(path)} to ${dest}\n`);
  },
};

export const FS_COMMANDS: readonly FsCommand[] = [ls, cat, statCommand, mkdir, rm, copyFromLocal, copyToLocal, sync, ...MOUNT_COMMANDS, ...CACHE_COMMANDS];
