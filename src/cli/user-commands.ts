// `strata user add|list|rm|rotate`: users and their access keys, through the
// admin API (/api/v1/admin/users, src/admin/users-api.ts), which only the root
// user may call. A secret key the server generates is printed once, here, and
// can never be read back.
import { Readable } from 'node:stream';
import type { Writable } from 'node:stream';
import type { ParsedArgs } from './args.ts';
import { UsageError } from './errors.ts';
import { requestJsonTo, type Client } from './http.ts';

export const USERS_API_PATH = '/api/v1/admin/users';

export interface UserCommandContext {
  client: Client;
  stdout: Writable;
  /** --access-key / --secret-key: the pair to issue instead of a generated one (add, rotate). */
  accessKey?: string;
  secretKey?: string;
}

export interface UserCommand {
  name: string;
  synopsis: string;
  summary: string;
  minArgs: number;
  maxArgs: number;
  /** Whether --access-key / --secret-key apply. */
  takesKeys: boolean;
  run(ctx: UserCommandContext, args: string[]): Promise<void>;
}

interface Issued {
  user: string;
  accessKeyId: string;
  secretKey: string;
}

interface UserSummary {
  name: string;
  isRoot: boolean;
  created: number;
  accessKeyIds: string[];
}

function usersUrl(client: Client, action: string, name?: string): URL {
  const url = new URL(`${client.endpoint}${USERS_API_PATH}${action}`);
  if (name !== undefined) url.searchParams.set('name', name);
  return url;
}

function jsonBody(value: Record<string, string | undefined>): { stream: Readable; length: number; name: string } {
  const text = Buffer.from(JSON.stringify(value));
  return { stream: Readable.from([text]), length: text.length, name: 'user definition' };
}

function printKeys(ctx: UserCommandContext, issued: Issued, verb: string): void {
  const generated = ctx.secretKey === undefined;
  ctx.stdout.write(`${verb} ${issued.user}\nAccess key: ${issued.accessKeyId}\nSecret key: ${issued.secretKey}\n`);
  if (generated) ctx.stdout.write('The secret key is shown only now; the server keeps it sealed and cannot show it again.\n');
}

const add: UserCommand = {
  name: 'add', synopsis: 'NAME [--access-key AK] [--secret-key SK]', minArgs: 1, maxArgs: 1, takesKeys: true,
  summary: 'Create a user with an access key; what is not given is generated and printed.',
  async run(ctx, [name]) {
    const body = jsonBody({ name, accessKey: ctx.accessKey, secretKey: ctx.secretKey });
    printKeys(ctx, await requestJsonTo<Issued>(ctx.client, 'POST', usersUrl(ctx.client, ''), body), 'Created user');
  },
};

const list: UserCommand = {
  name: 'list', synopsis: '', minArgs: 0, maxArgs: 0, takesKeys: false,
  summary: 'List the users and their access key ids (never their secrets).',
  async run(ctx) {
    const { users } = await requestJsonTo<{ users: UserSummary[] }>(ctx.client, 'GET', usersUrl(ctx.client, ''));
    const width = Math.max(4, ...users.map((u) => u.name.length));
    ctx.stdout.write(`${'NAME'.padEnd(width)}  ROLE  CREATED               ACCESS KEYS\n`);
    for (const u of users) {
      const created = new Date(u.created).toISOString().slice(0, 19).replace('T', ' ');
      ctx.stdout.write(`${u.name.padEnd(width)}  ${(u.isRoot ? 'root' : 'user').padEnd(4)}  ${created}   ${u.accessKeyIds.join(',')}\n`);
    }
  },
};

const rm: UserCommand = {
  name: 'rm', synopsis: 'NAME', minArgs: 1, maxArgs: 1, takesKeys: false,
  summary: 'Remove a user and its access keys (what it owns stays).',
  async run(ctx, [name]) {
    await requestJsonTo<{ removed: string }>(ctx.client, 'DELETE', usersUrl(ctx.client, '', name));
    ctx.stdout.write(`Removed user ${name}\n`);
  },
};

const rotate: UserCommand = {
  name: 'rotate', synopsis: 'NAME [--access-key AK] [--secret-key SK]', minArgs: 1, maxArgs: 1, takesKeys: true,
  summary: 'Issue a new access key for a user; its old keys stop working at once.',
  async run(ctx, [name]) {
    const body = jsonBody({ accessKey: ctx.accessKey, secretKey: ctx.secretKey });
    printKeys(ctx, await requestJsonTo<Issued>(ctx.client, 'POST', usersUrl(ctx.client, '/rotate', name), body), 'New key for');
  },
};

export const USER_COMMANDS: readonly UserCommand[] = [add, list, rm, rotate];

/** Checks a `strata user ...` command line and runs it. */
export async function runUserCommand(name: string | undefined, args: string[], parsed: ParsedArgs, client: Client, stdout: Writable): Promise<void> {
  const names = USER_COMMANDS.map((c) => c.name).join(', ');
  if (name === undefined) throw new UsageError(`user needs a command (${names}), e.g. strata user list`);
  const command = USER_COMMANDS.find((c) => c.name === name);
  if (command === undefined) throw new UsageError(`unknown command "user ${name}"; the user commands are ${names}`);
  if (parsed.flags.size > 0) throw new UsageError(`user ${name} takes no ${[...parsed.flags].join(', ')} flag`);
  if (!command.takesKeys && (parsed.accessKey !== undefined || parsed.secretKey !== undefined)) {
    throw new UsageError(`user ${name} does not take --access-key or --secret-key`);
  }
  if (args.length < command.minArgs || args.length > command.maxArgs) throw new UsageError(`usage: strata user ${command.name} ${command.synopsis}`);
  await command.run({ client, stdout, accessKey: parsed.accessKey, secretKey: parsed.secretKey }, args);
}
