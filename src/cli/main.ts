// `strata`: the command-line client of a Strata server's FS REST API.
// Exit codes: 0 done, 1 the command failed, 2 the command line was wrong.
import type { Writable } from 'node:stream';
import { flagSpelling, parseArgs } from './args.ts';
import { CliError, UsageError } from './errors.ts';
import { FS_COMMANDS, type FsCommand } from './fs-commands.ts';
import { DEFAULT_ENDPOINT, createClient } from './http.ts';
import type { ProgressOutput } from './progress.ts';

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
  return [
    'Usage: strata [options] fs <command> [args]',
    '       strata help',
    '',
    'Commands (server paths are absolute; top-level directories are buckets):',
    ...commands,
    '',
    'Options:',
    `  --endpoint URL   the Strata server (env STRATA_ENDPOINT; default ${DEFAULT_ENDPOINT})`,
    '  --user NAME      act as NAME, sending "Authorization: AWS NAME:" (env STRATA_USER)',
    '  --no-progress    no progress bar (shown by default on a terminal for copies over 8 MiB)',
    '  --progress       always show the progress bar for copies',
    '  -h, --help       show this help',
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
    if (group !== 'fs') throw new UsageError(`unknown command "${group}"; try strata fs ls /`);
    const command = findCommand(name);
    for (const flag of parsed.flags) {
      if (!command.flags.includes(flag)) throw new UsageError(`fs ${command.name} does not take ${flagSpelling(flag)}`);
    }
    if (args.length < command.minArgs || args.length > command.maxArgs) {
      throw new UsageError(`usage: strata fs ${command.name} ${command.synopsis}`);
    }
    const endpoint = parsed.endpoint ?? (io.env.STRATA_ENDPOINT || DEFAULT_ENDPOINT);
    const user = parsed.user ?? (io.env.STRATA_USER || undefined);
    const client = createClient(endpoint, user);
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
