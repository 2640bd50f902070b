// The `strata` CLI end to end: a real server in-process on an ephemeral port,
// the CLI run as a child process exactly as a user runs it (bin/strata.js).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FsEntry } from '../../src/admin/fs-api.ts';
import { startStrata, type RunningStrata } from '../../src/app.ts';
import { formatLsLine } from '../../src/cli/format.ts';
import { ProgressBar } from '../../src/cli/progress.ts';
import { loadConfig } from '../../src/config/config.ts';
import { runChild, type ChildRun } from './harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const BIN = join(ROOT, 'bin', 'strata.js');
const MiB = 1024 * 1024;

type CliResult = ChildRun;

/** Runs `node bin/strata.js ...args`; STRATA_* variables only as given in `env`. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = { ...process.env };
  delete base.STRATA_ENDPOINT;
  delete base.STRATA_USER;
  return runChild(NODE, [BIN, ...args], { cwd: ROOT, env: { ...base, ...env } });
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
/** MM-dd-yyyy HH:mm:ss:SSS in local time, written out independently of src/cli/format.ts. */
function alluxioTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}-${d.getFullYear()} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}:${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** The expected `fs ls` line, column by column as in Alluxio's examples. */
function lsLine(mode: string, owner: string, size: number, mtime: number, cached: string, path: string): string {
  return `${mode}  ${owner.padEnd(15)}${owner.padEnd(15)}${String(size).padStart(15)}       PERSISTED ${alluxioTime(mtime)}${cached.padStart(5)} ${path}`;
}

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('fs ls line format', () => {
  it('matches the columns of Alluxio\'s examples exactly', () => {
    const file: FsEntry = {
      path: '/testbucket/key1', isDirectory: false, size: 27040, owner: 'alluxio', group: 'staff', mode: '-rw-r--r--',
      mtime: new Date(2019, 5, 18, 14, 26, 5, 694).getTime(), persisted: true, cachedPercent: 100,
    };
    assert.equal(formatLsLine(file),
      '-rw-r--r--  alluxio        staff                    27040       PERSISTED 06-18-2019 14:26:05:694 100% /testbucket/key1');
    const dir: FsEntry = {
      path: '/testbucket0', isDirectory: true, size: 0, owner: 'testuser', group: 'testuser', mode: 'drwxr-xr-x',
      mtime: new Date(2021, 2, 1, 16, 2, 26, 547).getTime(), persisted: true, cachedPercent: 100,
    };
    assert.equal(formatLsLine(dir),
      'drwxr-xr-x  testuser       testuser                     0       PERSISTED 03-01-2021 16:02:26:547  DIR /testbucket0');
    assert.equal(formatLsLine({ ...file, persisted: false, cachedPercent: 0 }),
      '-rw-r--r--  alluxio        staff                    27040   NOT_PERSISTED 06-18-2019 14:26:05:694   0% /testbucket/key1');
    // A name as wide as its column still leaves a space before the next one.
    assert.equal(formatLsLine({ ...file, owner: 'a-very-long-owner' }).slice(0, 45), '-rw-r--r--  a-very-long-owner staff          ');
  });
});

describe('progress bar', () => {
  it('redraws at most every 100 ms and ends with 100% and a newline', () => {
    let now = 0;
    const writes: string[] = [];
    const bar = new ProgressBar({ write: (t: string) => writes.push(t), isTTY: true, columns: 80 }, 20 * MiB, () => now);
    assert.equal(writes.length, 1);
    for (let i = 0; i < 10; i++) {
      now += 5;
      bar.advance(MiB);
    }
    assert.equal(writes.length, 1, 'ten chunks within 50 ms draw nothing new');
    now = 150;
    bar.advance(MiB);
    assert.equal(writes.length, 2);
    assert.match(writes[1], /^\r 55% \[=+> *\] 11\.5 MB \/ 21\.0 MB {2}76\.9 MB\/s$/);
    now = 1000;
    bar.advance(9 * MiB);
    bar.finish();
    assert.equal(writes.at(-1), '\n');
    assert.match(writes.at(-2) ?? '', /^\r100% \[=+\] 21\.0 MB \/ 21\.0 MB {2}21\.0 MB\/s *$/);
    assert.ok(writes.every((w) => w === '\n' || w.length <= 80), 'fits the terminal');
  });
});

describe('strata CLI without a server', () => {
  it('prints usage for help and --help, and exits 2 on usage errors', async () => {
    for (const args of [['help'], ['--help'], ['fs', '-h']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /^Usage: strata \[options\] fs <command> \[args\]\n/);
      for (const name of ['ls', 'cat', 'stat', 'mkdir', 'rm', 'copyFromLocal', 'copyToLocal', 'sync', 'mount', 'unmount', 'mounts', 'load', 'free', 'pin', 'unpin', 'persist']) {
        assert.match(r.stdout, new RegExp(`\\n  fs ${name} `));
      }
      assert.equal(r.stderr, '');
    }
    const cases: [string[], string][] = [
      [[], 'strata: no command given'],
      [['bogus'], 'strata: unknown command "bogus"; try strata fs ls /'],
      [['fs', 'frobnicate', '/'], 'strata: unknown command "fs frobnicate"; the fs commands are ls, cat, stat, mkdir, rm, copyFromLocal, copyToLocal, sync, mount, unmount, mounts, load, free, pin, unpin, persist'],
      [['fs', 'ls'], 'strata: usage: strata fs ls [-R] [--sync] PATH'],
      [['fs', 'cat', '-R', '/x'], 'strata: fs cat does not take -R'],
      [['fs', 'ls', '--colour', '/'], 'strata: unknown option --colour'],
      [['fs', 'ls', '/', '--endpoint'], 'strata: --endpoint needs a value'],
      [['fs', 'ls', '/', '--endpoint', 'not a url'], 'strata: invalid endpoint "not a url": expected a URL such as http://127.0.0.1:39999'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr, `${message}\nRun "strata help" for usage.\n`);
      assert.equal(r.stdout, '');
    }
  });

  it('names the endpoint when no server answers there', async () => {
    const port = await closedPort();
    const r = await cli(['fs', 'ls', '/', '--endpoint', `http://127.0.0.1:${port}`]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `strata: cannot connect to the Strata server at http://127.0.0.1:${port}: `
      + 'connection refused (is it running? Use --endpoint URL or STRATA_ENDPOINT to point elsewhere)\n']);
    const viaEnv = await cli(['fs', 'stat', '/'], { STRATA_ENDPOINT: `http://127.0.0.1:${port}` });
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, new RegExp(`^strata: cannot connect to the Strata server at http://127\\.0\\.0\\.1:${port}: connection refused`));
  });
});

describe('strata CLI against a running server', () => {
  let strata: RunningStrata;
  let dataDir: string;
  let work: string;
  let url: string;
  const small = Buffer.from('hello strata\n');
  const big = randomBytes(20 * MiB);
  /** `strata fs <args> --endpoint URL --user alice` */
  const fs = (...args: string[]): Promise<CliResult> => cli(['fs', ...args, '--endpoint', url, '--user', 'alice']);
  const entryOf = async (path: string): Promise<FsEntry> =>
    (await fetch(`${url}/api/v1/fs/stat?path=${encodeURIComponent(path)}`)).json() as Promise<FsEntry>;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-cli-data-'));
    work = await mkdtemp(join(tmpdir(), 'strata-cli-work-'));
    // Metadata sync only on demand, so that only `ls --sync` / `fs sync` can reveal dropped files.
    const { config } = loadConfig(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent',
      '--default-user', 'strata', '--metadata-sync-interval', 'never'], {});
    strata = await startStrata(config);
    url = strata.url;
    writeFileSync(join(work, 'small.txt'), small);
    writeFileSync(join(work, 'big.bin'), big);
  });
  after(async () => {
    await strata?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('mkdir creates a bucket and a directory in it', async () => {
    let r = await fs('mkdir', '/bucket-one');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Successfully created directory /bucket-one\n', '']);
    r = await fs('mkdir', '/bucket-one/sub');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Successfully created directory /bucket-one/sub\n', '']);
    r = await fs('mkdir', '/bucket-one');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'strata: /bucket-one already exists.\n');
    r = await fs('mkdir', '/bucket-one/sub');
    assert.deepEqual([r.code, r.stderr], [1, 'strata: /bucket-one/sub already exists.\n']);
  });

  it('copyFromLocal uploads a small and a 20 MiB file, without a progress bar when stderr is not a terminal', async () => {
    let r = await fs('copyFromLocal', join(work, 'small.txt'), '/bucket-one/small.txt');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Copied ${join(work, 'small.txt')} to /bucket-one/small.txt\n`, '']);
    // Into a directory: the local name is kept.
    r = await fs('copyFromLocal', join(work, 'big.bin'), '/bucket-one/sub');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Copied ${join(work, 'big.bin')} to /bucket-one/sub/big.bin\n`, '']);
    // A trailing "/" means "into": here it replaces the file just written, with the same bytes.
    r = await fs('copyFromLocal', join(work, 'big.bin'), '/bucket-one/sub/');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Copied ${join(work, 'big.bin')} to /bucket-one/sub/big.bin\n`, '']);
    assert.equal((await entryOf('/bucket-one/sub/big.bin')).size, 20 * MiB);
    assert.equal((await entryOf('/bucket-one/sub/big.bin')).etag, md5(big));
  });

  it('--progress draws the bar (percent, bytes, MB/s) on stderr', async () => {
    const r = await fs('copyFromLocal', join(work, 'big.bin'), '/bucket-one/big-again.bin', '--progress');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Copied ${join(work, 'big.bin')} to /bucket-one/big-again.bin\n`);
    assert.ok(r.stderr.startsWith('\r  0% ['), JSON.stringify(r.stderr.slice(0, 40)));
    assert.match(r.stderr, /\r100% \[=+\] 21\.0 MB \/ 21\.0 MB {2}\d+\.\d MB\/s *\n$/);
    const r2 = await fs('copyToLocal', '/bucket-one/big-again.bin', join(work, 'big-again.bin'), '--progress', '--no-progress');
    assert.deepEqual([r2.code, r2.stderr], [0, '']);
    assert.ok(readFileSync(join(work, 'big-again.bin')).equals(big));
    assert.equal((await fs('rm', '/bucket-one/big-again.bin')).code, 0);
  });

  it('cat and copyToLocal return the exact bytes, leaving no temporary file behind', async () => {
    let r = await fs('cat', '/bucket-one/small.txt');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, small.toString(), '']);
    r = await fs('cat', '/bucket-one/sub/big.bin');
    assert.equal(r.code, 0);
    assert.equal(r.out.length, big.length);
    assert.ok(r.out.equals(big));

    const down = join(work, 'down');
    mkdirSync(down);
    r = await fs('copyToLocal', '/bucket-one/sub/big.bin', join(down, 'copy.bin'));
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Copied /bucket-one/sub/big.bin to ${join(down, 'copy.bin')}\n`, '']);
    assert.ok(readFileSync(join(down, 'copy.bin')).equals(big));
    // Into a directory; an existing file is replaced.
    writeFileSync(join(down, 'small.txt'), 'old contents that are longer than the new ones');
    r = await fs('copyToLocal', '/bucket-one/small.txt', down);
    assert.deepEqual([r.code, r.stdout], [0, `Copied /bucket-one/small.txt to ${join(down, 'small.txt')}\n`]);
    assert.ok(readFileSync(join(down, 'small.txt')).equals(small));
    assert.deepEqual(readdirSync(down).sort(), ['copy.bin', 'small.txt']);
  });

  it('ls prints one Alluxio-style line per entry; -R descends', async () => {
    const smallEntry = await entryOf('/bucket-one/small.txt');
    const subEntry = await entryOf('/bucket-one/sub');
    const bigEntry = await entryOf('/bucket-one/sub/big.bin');
    const bucketEntry = await entryOf('/bucket-one');
    const started = Date.now() - 60_000;
    for (const e of [smallEntry, subEntry, bigEntry, bucketEntry]) assert.ok(e.mtime > started && e.mtime <= Date.now(), e.path);

    let r = await fs('ls', '/bucket-one');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      lsLine('-rw-r--r--', 'alice', small.length, smallEntry.mtime, '100%', '/bucket-one/small.txt'),
      lsLine('drwxr-xr-x', 'alice', 0, subEntry.mtime, 'DIR', '/bucket-one/sub'),
    ].join('\n') + '\n');
    // The literal layout, spelled out once.
    assert.equal(r.stdout.split('\n')[0],
      `-rw-r--r--  alice          alice                       13       PERSISTED ${alluxioTime(smallEntry.mtime)} 100% /bucket-one/small.txt`);

    r = await fs('ls', '-R', '/bucket-one/');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      lsLine('-rw-r--r--', 'alice', small.length, smallEntry.mtime, '100%', '/bucket-one/small.txt'),
      lsLine('drwxr-xr-x', 'alice', 0, subEntry.mtime, 'DIR', '/bucket-one/sub'),
      lsLine('-rw-r--r--', 'alice', big.length, bigEntry.mtime, '100%', '/bucket-one/sub/big.bin'),
    ].join('\n') + '\n');

    r = await fs('ls', '/');
    assert.equal(r.stdout, `${lsLine('drwxr-xr-x', 'alice', 0, bucketEntry.mtime, 'DIR', '/bucket-one')}\n`);
    // A file lists as itself.
    r = await fs('ls', '/bucket-one/sub/big.bin');
    assert.equal(r.stdout, `${lsLine('-rw-r--r--', 'alice', big.length, bigEntry.mtime, '100%', '/bucket-one/sub/big.bin')}\n`);
  });

  it('stat prints the fields of a file and of a directory', async () => {
    const file = await entryOf('/bucket-one/small.txt');
    let r = await fs('stat', '/bucket-one/small.txt');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      'path:              /bucket-one/small.txt',
      'type:              file',
      'size:              13 bytes',
      'owner:             alice',
      'group:             alice',
      'mode:              -rw-r--r--',
      `modification time: ${alluxioTime(file.mtime)} (${new Date(file.mtime).toISOString()})`,
      'persisted:         PERSISTED',
      'cached:            100%',
      `etag:              ${md5(small)}`,
    ].join('\n') + '\n');
    r = await fs('stat', '/bucket-one/sub/');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^path: {14}\/bucket-one\/sub\ntype: {14}directory\nsize: {14}0 bytes\nowner: {13}alice\n/);
    assert.match(r.stdout, /\nmode: {14}drwxr-xr-x\n/);
  });

  it('reports missing paths with exit code 1', async () => {
    let r = await fs('stat', '/bucket-one/nope.txt');
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'strata: Path /bucket-one/nope.txt does not exist.\n']);
    r = await fs('ls', '/no-such-bucket');
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'strata: /no-such-bucket: The specified bucket does not exist\n']);
    r = await fs('cat', '/bucket-one/nope.txt');
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'strata: Path /bucket-one/nope.txt does not exist.\n']);
    r = await fs('cat', '/bucket-one/sub');
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'strata: /bucket-one/sub is a directory\n']);
    r = await fs('copyToLocal', '/bucket-one/nope.txt', join(work, 'nope.txt'));
    assert.deepEqual([r.code, r.stderr], [1, 'strata: Path /bucket-one/nope.txt does not exist.\n']);
    assert.ok(!readdirSync(work).some((name) => name.includes('nope')));
    r = await fs('rm', '/bucket-one/nope.txt');
    assert.deepEqual([r.code, r.stderr], [1, 'strata: Path /bucket-one/nope.txt does not exist.\n']);
    r = await fs('copyFromLocal', join(work, 'missing.txt'), '/bucket-one/x.txt');
    assert.deepEqual([r.code, r.stderr], [1, `strata: ${join(work, 'missing.txt')}: no such file or directory\n`]);
    r = await fs('copyFromLocal', join(work, 'small.txt'), '/');
    assert.deepEqual([r.code, r.stderr], [1, 'strata: /small.txt: files cannot sit at the top level, whose directories are the buckets\n']);
    r = await fs('copyFromLocal', join(work, 'small.txt'), '/no-such-bucket/x.txt');
    assert.deepEqual([r.code, r.stderr], [1, 'strata: /no-such-bucket/x.txt: The specified bucket does not exist\n']);
  });

  it('rm removes a file; a non-empty directory only with -R', async () => {
    let r = await fs('rm', '/bucket-one/small.txt');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '/bucket-one/small.txt has been removed\n', '']);
    assert.equal((await fs('stat', '/bucket-one/small.txt')).code, 1);

    r = await fs('rm', '/bucket-one/sub');
    assert.deepEqual([r.code, r.stdout, r.stderr],
      [1, '', 'strata: Directory /bucket-one/sub is not empty; use -R to remove it and its contents.\n']);
    assert.equal((await fs('cat', '/bucket-one/sub/big.bin')).out.length, big.length, 'still there');

    r = await fs('rm', '-R', '/bucket-one/sub');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '/bucket-one/sub has been removed\n', '']);
    r = await fs('ls', '-R', '/bucket-one');
    assert.deepEqual([r.code, r.stdout], [0, '']);
    r = await fs('stat', '/bucket-one/sub/big.bin');
    assert.equal(r.code, 1);
  });

  it('ls --sync and fs sync show files dropped straight into the data directory', async () => {
    assert.equal((await fs('mkdir', '/dropzone')).code, 0);
    writeFileSync(join(dataDir, 'dropzone', 'dropped.txt'), 'dropped in\n');
    let r = await fs('ls', '/dropzone');
    assert.deepEqual([r.code, r.stdout], [0, ''], 'not seen before a sync');
    r = await fs('ls', '--sync', '/dropzone');
    assert.equal(r.code, 0, r.stderr);
    const dropped = await entryOf('/dropzone/dropped.txt');
    assert.equal(r.stdout, `${lsLine('-rw-r--r--', 'alice', 11, dropped.mtime, '100%', '/dropzone/dropped.txt')}\n`);
    assert.equal((await fs('cat', '/dropzone/dropped.txt')).stdout, 'dropped in\n');

    writeFileSync(join(dataDir, 'dropzone', 'second.txt'), '2');
    r = await fs('sync', '/dropzone');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Synced /dropzone\n', '']);
    r = await fs('ls', '/dropzone');
    assert.deepEqual(r.stdout.split('\n').map((line) => line.slice(103)), ['/dropzone/dropped.txt', '/dropzone/second.txt', '']);

    // A file changed in place is re-read by a sync of its own path.
    writeFileSync(join(dataDir, 'dropzone', 'second.txt'), 'two, longer');
    assert.equal((await fs('sync', '/dropzone/second.txt')).code, 0);
    assert.equal((await entryOf('/dropzone/second.txt')).size, 11);
  });

  it('fs sync / turns a directory made in the data directory into a bucket', async () => {
    mkdirSync(join(dataDir, 'made-by-hand', 'inner'), { recursive: true });
    writeFileSync(join(dataDir, 'made-by-hand', 'inner', 'f.txt'), 'hand');
    mkdirSync(join(dataDir, 'Not_A_Bucket'));
    let r = await fs('sync', '/');
    assert.equal(r.code, 0, r.stderr);
    r = await fs('ls', '-R', '--sync', '/made-by-hand');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').map((line) => line.slice(103)), ['/made-by-hand/inner', '/made-by-hand/inner/f.txt', '']);
    assert.equal((await fs('cat', '/made-by-hand/inner/f.txt')).stdout, 'hand');
    assert.equal((await fs('ls', '/Not_A_Bucket')).code, 1, 'a directory that is no valid bucket name stays invisible');
  });

  it('takes the endpoint and user from STRATA_ENDPOINT and STRATA_USER', async () => {
    const r = await cli(['fs', 'mkdir', '/env-bucket'], { STRATA_ENDPOINT: `${url}/`, STRATA_USER: 'bob' });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Successfully created directory /env-bucket\n', '']);
    assert.equal((await entryOf('/env-bucket')).owner, 'bob');
    // --user wins over the environment; without either the server's default user acts.
    const flagged = await cli(['--user', 'carol', 'fs', 'mkdir', '/env-bucket/by-carol'], { STRATA_ENDPOINT: url, STRATA_USER: 'bob' });
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.equal((await entryOf('/env-bucket/by-carol')).owner, 'carol');
    assert.equal((await cli(['fs', 'mkdir', '/anon-bucket', '--endpoint', url])).code, 0);
    assert.equal((await entryOf('/anon-bucket')).owner, 'strata');
  });
});
