// `strata fs mount|unmount|mounts`: the mount table, through the FS REST API.
// Secret options (secret-key) go to the server once and are never printed back.
import { Readable } from 'node:stream';
import { UsageError } from './errors.ts';
import type { FsCommand } from './fs-commands.ts';
import { requestJson } from './http.ts';

interface MountInfo {
  path: string;
  uri: string;
  options: Record<string, string>;
  kind: string;
}

function parseOptions(pairs: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--option takes key=value, got "${pair}"`);
    options[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return options;
}

function describe(m: MountInfo): string {
  const options = Object.entries(m.options).map(([k, v]) => `${k}=${v}`).join(',');
  return `${m.uri}  on  ${m.path}  (${m.kind}${options ? `, ${options}` : ''})`;
}

const mount: FsCommand = {
  name: 'mount', synopsis: 'PATH URI [--option k=v ...]', minArgs: 2, maxArgs: 2, flags: [],
  summary: 'Mount file:///dir or s3://bucket/prefix at PATH (options: endpoint, region, path-style, access-key, secret-key, sync-interval, write-type, read-type).',
  async run(ctx, [path, uri]) {
    const body = Buffer.from(JSON.stringify({ uri, options: parseOptions(ctx.options) }));
    const info = await requestJson<MountInfo>(ctx.client, 'POST', 'mount', { path }, {
      stream: Readable.from([body]), length: body.length, name: 'mount definition',
    });
    ctx.stdout.write(`Mounted ${describe(info)}\n`);
  },
};

const unmount: FsCommand = {
  name: 'unmount', synopsis: 'PATH', minArgs: 1, maxArgs: 1, flags: [],
  summary: 'Unmount PATH: its objects leave the namespace; the data stays in the under-storage.',
  async run(ctx, [path]) {
    await requestJson<{ unmounted: string }>(ctx.client, 'DELETE', 'unmount', { path });
    ctx.stdout.write(`Unmounted ${path}\n`);
  },
};

const mounts: FsCommand = {
  name: 'mounts', synopsis: '', minArgs: 0, maxArgs: 0, flags: [],
  summary: 'List the mount table.',
  async run(ctx) {
    const { mounts: list } = await requestJson<{ mounts: MountInfo[] }>(ctx.client, 'GET', 'mounts', {});
    for (const m of list) ctx.stdout.write(`${describe(m)}\n`);
  },
};

export const MOUNT_COMMANDS: readonly FsCommand[] = [mount, unmount, mounts];
