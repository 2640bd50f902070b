// Splits a command line into words, flags and the options every command takes.
// Options may come anywhere (`strata --user bob fs ls /` or `strata fs ls / --user bob`);
// `--` ends them, so a path may start with '-'.
import { UsageError } from './errors.ts';

export interface ParsedArgs {
  /** Everything that is not an option: ['fs', 'ls', '/bucket']. */
  words: string[];
  /** Canonical names of the boolean flags given: 'recursive', 'sync'. */
  flags: Set<string>;
  endpoint?: string;
  user?: string;
  /** `strata user add|rotate --access-key AK --secret-key SK`: the keys to issue instead of generated ones. */
  accessKey?: string;
  secretKey?: string;
  /** `--option k=v` (repeatable): mount options. */
  options: string[];
  /** --progress forces the bar, --no-progress suppresses it; unset means "when stderr is a terminal". */
  progress?: boolean;
  help: boolean;
}

/** Boolean flags and their spellings; which command accepts which is checked by the command. */
const BOOLEAN_FLAGS: Record<string, string> = {
  '-R': 'recursive',
  '-r': 'recursive',
  '--recursive': 'recursive',
  '--sync': 'sync',
  '-f': 'sync',
};

const VALUE_OPTIONS = new Set(['--endpoint', '--user', '--option', '--access-key', '--secret-key']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { words: [], flags: new Set(), options: [], help: false };
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!options || arg === '-' || !arg.startsWith('-')) {
      parsed.words.push(arg);
      continue;
    }
    if (arg === '--') {
      options = false;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_OPTIONS.has(name)) {
      let value: string;
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`${name} needs a value`);
      if (value === '') throw new UsageError(`${name} needs a non-empty value`);
      if (name === '--endpoint') parsed.endpoint = value;
      else if (name === '--option') parsed.options.push(value);
      else if (name === '--access-key') parsed.accessKey = value;
      else if (name === '--secret-key') parsed.secretKey = value;
      else parsed.user = value;
    } else if (eq > 0) {
      throw new UsageError(`${name} takes no value`);
    } else if (arg === '--help' || arg === '-h') {
      parsed.help = true;
    } else if (arg === '--progress' || arg === '--no-progress') {
      parsed.progress = arg === '--progress';
    } else if (BOOLEAN_FLAGS[arg]) {
      parsed.flags.add(BOOLEAN_FLAGS[arg]);
    } else if (/^-[A-Za-z]{2,}$/.test(arg)) {
      // Bundled short flags: -Rf.
      for (const letter of arg.slice(1)) {
        const flag = BOOLEAN_FLAGS[`-${letter}`];
        if (!flag) throw new UsageError(`unknown option -${letter} (in ${arg})`);
        parsed.flags.add(flag);
      }
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return parsed;
}

/** The spelling shown in messages for a canonical flag name. */
export function flagSpelling(flag: string): string {
  return flag === 'recursive' ? '-R' : flag === 'sync' ? '--sync' : flag;
}
