// `strata`: the command-line client of a Strata server's FS REST API.
// Exit codes: 0 done, 1 the command failed, 2 the command line was wrong.
import type { Writable } from 'node:stream';
import { flagSpelling, parseArgs } from './args.ts';
import { CliError, UsageError } from './errors.ts';
import { FS_COMMANDS, type FsCommand } from './fs-commands.ts';
import { DEFAULT_ENDPOINT, createClient, type Client } from './http.ts';
import type { ProgressOutput } from './progress.ts';
import type { ParsedArgs } from './args.ts';
import { keysFromEnv } from './sign.ts';
import { USER_COMMANDS, runUserCommand } from './user-commands.ts';

export interface Io {
  stdout: Writable;
  stderr: Writable & ProgressOutput;
  env: NodeJS.ProcessEnv;
}

export function usage(): string {
  const width = Math.max(...FS_COMMANDS.map((c) => `${c.name} ${c.synopsis}`.length));
  const commands = FS_COMMANDS.flatMap((c) => {
    const [first, ...more] = c.summary.split('\n');
    return [`  fs ${`${c.name} ${c.synopsis}`.padEnd(width)}  ${first}`, ...more.map((line) => `     ${''.padEnd(width)}  ${line}`)];
  });
  const users = USER_COMMANDS.flatMap((c) => [`  user ${c.name} ${c.synopsis}`.trimEnd(), `       ${c.summary}`]);
  return [
    'Usage: strata [options] fs <command> [args]',
    '       strata [options] user <command> [args]',
    '       strata help',
    '',
    'Commands (server paths are absolute; top-level directories are buckets):',
    ...commands,
    '',
    'User commands (root only; the server must run with --auth sigv4 or be reached as its default user):',
    ...users,
    '',
    'Options:',
    `  --endpoint URL   the Strata server (env STRATA_ENDPOINT; default ${DEFAULT_ENDPOINT})`,
    '  --user NAME      act as NAME, sending "Authorization: AWS NAME:" (simple auth; env STRATA_USER)',
    '  --no-progress    no progress bar (shown by default on a terminal for copies over 8 MiB)',
    '  --progress       always show the progress bar for copies',
    '  -h, --help       show this help',
    '',
    'Requests are signed with AWS Signature V4 when keys are set: STRATA_ACCESS_KEY and STRATA_SECRET_KEY,',
    'else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (region STRATA_REGION, default us-east-1).',
    '--user wins over keys, STRATA_* keys over STRATA_USER, STRATA_USER over AWS_* keys.',
    '',
    'Exit status: 0 on success, 1 when the command failed, 2 when the command line is wrong.',
  ].join('\n');
}

function findCommand(name: string | undefined): FsCommand {
  if (name === undefined) throw new UsageError('fs needs a command, e.g. strata fs ls /');
  const command = FS_COMMANDS.find((c) => c.name === name)
    ?? FS_COMMANDS.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!command) throw new UsageError(`unknown command "fs ${name}"; the fs commands are ${FS_COMMANDS.map((c) => c.name).join(', ')}`);
  return command;
}

/** The server client: signing keys or simple auth's user, by the precedence the usage text gives. */
function clientFor(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Client {
  const endpoint = parsed.endpoint ?? (env.STRATA_ENDPOINT || DEFAULT_ENDPOINT);
  if (parsed.user !== undefined) return createClient(endpoint, parsed.user);
  const keys = keysFromEnv(env);
  const strataKeys = Boolean(env.STRATA_ACCESS_KEY && env.STRATA_SECRET_KEY);
  if (keys !== undefined && (strataKeys || !env.STRATA_USER)) return createClient(endpoint, undefined, keys);
  return createClient(endpoint, env.STRATA_USER || undefined);
}

/** Runs one command line; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    const parsed = parseArgs(argv);
    const [group, name, ...args] = parsed.words;
    if (parsed.help || group === 'help') {
      io.stdout.write(`${usage()}\n`);
      return 0;
    }
    if (group === undefined) throw new UsageError('no command given');
    if (group === 'user') {
      await runUserCommand(name, args, parsed, clientFor(parsed, io.env), io.stdout);
      return 0;
    }
    if (group !== 'fs') throw new UsageError(`unknown command "${group}"; try strata fs ls /`);
    if (parsed.accessKey !== undefined || parsed.secretKey !== undefined) throw new UsageError('--access-key and --secret-key are options of strata user add|rotate');
    const command = findCommand(name);
    for (const flag of parsed.flags) {
      if (!command.flags.includes(flag)) throw new UsageError(`fs ${command.name} does not take ${flagSpelling(flag)}`);
    }
    if (args.length < command.minArgs || args.length > command.maxArgs) {
      throw new UsageError(`usage: strata fs ${command.name} ${command.synopsis}`);
    }
    const client = clientFor(parsed, io.env);
    await command.run({ client, flags: parsed.flags, options: parsed.options, progress: parsed.progress, stdout: io.stdout, stderr: io.stderr }, args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`strata: ${err.message}\nRun "strata help" for usage.\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.stderr.write(`strata: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`strata: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

// An EPIPE on stdout (`strata fs ls -R / | head`) ends the output, not with a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
