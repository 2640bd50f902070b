// Runs the real `aws` command for the aws cli end-to-end tests: an isolated
// HOME and config (nothing of the machine's aws config leaks in), fixed test
// credentials, a timeout per command, and helpers for its stable output.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The `aws` executable on PATH, or undefined. */
export function findAws(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'aws');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const AWS = findAws();
/** The `skip` option of the aws cli suites. */
export const AWS_SKIP: string | false = AWS ? false : 'the aws cli (`aws`) is not on PATH; .ci/run installs it';

export interface AwsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `2026-01-02 03:04:05` at the start of `aws s3 ls` lines: local time, so not asserted. */
export function withoutDates(text: string): string {
  return text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/gm, 'DATE');
}

/** Output lines sorted: the cli transfers in parallel, so line order is not stable. */
export function sortedLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '').sort();
}

export class AwsCli {
  readonly home: string;
  readonly version: string;
  readonly #endpoint: string;
  readonly #env: Record<string, string>;

  private constructor(endpoint: string, home: string, version: string, env: Record<string, string>) {
    this.#endpoint = endpoint;
    this.home = home;
    this.version = version;
    this.#env = env;
  }

  /** A cli with its own HOME and config file, talking to `endpoint`; `keys` for a sigv4 server (the user name is the key in simple mode). */
  static async create(endpoint: string, keys?: { accessKeyId: string; secretAccessKey: string }): Promise<AwsCli> {
    const home = mkdtempSync(join(tmpdir(), 'strata-awscli-home-'));
    const config = join(home, 'config');
    // Multipart settings pinned to the cli's defaults so part counts and ETags are known.
    writeFileSync(config, [
      '[default]', 'region = us-east-1', 'output = json',
      's3 =', '  multipart_threshold = 8MB', '  multipart_chunksize = 8MB', '',
    ].join('\n'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials-none'),
      AWS_ACCESS_KEY_ID: keys?.accessKeyId ?? 'testuser',
      AWS_SECRET_ACCESS_KEY: keys?.secretAccessKey ?? 'x',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      LC_ALL: 'C.UTF-8',
    };
    const cli = new AwsCli(endpoint, home, '', env);
    const v = await cli.run(['--version'], { endpoint: false });
    return new AwsCli(endpoint, home, (v.stdout + v.stderr).trim(), env);
  }

  /**
   * Whether this cli sends a CRC checksum with every upload by default
   * (aws-cli 1.37 / 2.23 and later, botocore 1.36).
   */
  get sendsChecksumsByDefault(): boolean {
    const m = /aws-cli\/(\d+)\.(\d+)\.(\d+)/.exec(this.version);
    if (!m) return false;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    return major === 1 ? minor >= 37 : major === 2 ? minor >= 23 : major > 2;
  }

  /** Runs `aws --endpoint-url URL ...args`; a command that hangs is killed after timeoutMs. */
  run(args: string[], options: { cwd?: string; timeoutMs?: number; endpoint?: boolean | string } = {}): Promise<AwsResult> {
    const endpoint = options.endpoint === false ? [] : ['--endpoint-url', typeof options.endpoint === 'string' ? options.endpoint : this.#endpoint];
    return new Promise((resolve, reject) => {
      const child = spawn(AWS ?? 'aws', [...endpoint, ...args], { cwd: options.cwd ?? this.home, env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8') + (timedOut ? `\n[killed after ${options.timeoutMs ?? 60_000} ms]` : '');
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
    });
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(args: string[], options: { cwd?: string; timeoutMs?: number; endpoint?: string } = {}): Promise<string> {
    const r = await this.run(args, options);
    if (r.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Runs an s3api command that must succeed and prints JSON (or nothing). */
  async json<T = Record<string, unknown>>(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<T> {
    const out = await this.ok(['s3api', ...args], options);
    return (out.trim() === '' ? {} : JSON.parse(out)) as T;
  }

  close(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
