// `npm run bench:memory`: checks that bodies stream with flat server memory,
// whatever their size, by a Strata child process's peak RSS (VmHWM):
// - local: one large object (default 5 GiB) PUT then GET; bound 150 MiB;
// - cold mount read: a second Strata plays the S3 under-storage, a gateway
//   with a 32 MiB memory tier and a disk tier mounts it, and an object
//   (default 1 GiB) written straight into the remote is read cold through the
//   mount; bound 224 MiB. A disk tier slower than the network once left most
//   of the object queued in memory for its disk writes (~1.1 GiB at 1 GiB).
// Exits 1 when a peak passes its bound. Loopback only; cleans up after itself.
//
//   npm run bench:memory -- [--size-mib N] [--max-rss-mib N] [--mount-size-mib N (0: skip)] [--mount-max-rss-mib N]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from './client.ts';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const MiB = 1024 * 1024;
const sizeMiB = flag('size-mib', 5120);
const boundMiB = flag('max-rss-mib', 150);
const mountSizeMiB = flag('mount-size-mib', 1024);
const mountBoundMiB = flag('mount-max-rss-mib', 224);
/** The mount read's memory tier: much smaller than the object, as in the mount-large-disk bench rows. */
const MOUNT_MEMORY_TIER = '32MiB';

const children: ChildProcess[] = [];
const dirs: string[] = [];
const cleanup = async (): Promise<void> => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

interface Server {
  url: string;
  pid: number;
}

/** A Strata child on a fresh data directory, once it prints its URL. */
async function startStrata(flags: readonly string[]): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-memory-'));
  dirs.push(dir);
  const child = spawn(process.execPath, [
    '--disable-warning=ExperimentalWarning', 'src/main.ts', '--port', '0', '--data-dir', dir, '--log-level', 'warn', ...flags,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /http:\/\/[\d.]+:\d+/.exec(String(d));
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  return { url, pid: child.pid! };
}

async function statusMiB(server: Server, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;
}

/** One request; a body of `length` bytes of 0x5a when given. Resolves with the response's size and MD5. */
function send(url: string, method: string, path: string, length?: number): Promise<{ status: number; bytes: number; md5: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: length === undefined ? {} : { 'content-length': length } }, (res) => {
      const md5 = createHash('md5');
      let bytes = 0;
      res.on('data', (d: Buffer) => { bytes += d.length; md5.update(d); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, md5: md5.digest('hex') }));
    });
    req.on('error', reject);
    if (length === undefined) {
      req.end();
      return;
    }
    const chunk = Buffer.alloc(MiB, 0x5a);
    let sent = 0;
    const pump = (): void => {
      while (sent < length) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

function checkPeak(what: string, peak: number, bound: number): boolean {
  const ok = peak <= bound;
  console.log(ok ? `${what}: peak RSS within ${bound} MiB` : `${what}: peak RSS ${peak.toFixed(0)} MiB exceeds ${bound} MiB`);
  return ok;
}

/** PUT then GET of a `sizeMiB` object on the root mount. */
async function localTransfer(): Promise<boolean> {
  const server = await startStrata([]);
  const size = sizeMiB * MiB;
  await send(server.url, 'PUT', '/memory');
  const idle = await statusMiB(server, 'VmRSS');
  let t = performance.now();
  const put = await send(server.url, 'PUT', '/memory/big', size);
  const putSeconds = (performance.now() - t) / 1000;
  const afterPut = await statusMiB(server, 'VmHWM');
  t = performance.now();
  const get = await send(server.url, 'GET', '/memory/big');
  const getSeconds = (performance.now() - t) / 1000;
  const peak = await statusMiB(server, 'VmHWM');
  if (put.status !== 200 || get.status !== 200 || get.bytes !== size) throw new Error(`transfer failed: PUT ${put.status}, GET ${get.status} with ${get.bytes} bytes`);
  console.log(`object ${sizeMiB} MiB; idle RSS ${idle.toFixed(0)} MiB`);
  console.log(`PUT ${(size / 1e6 / putSeconds).toFixed(0)} MB/s, peak RSS ${afterPut.toFixed(0)} MiB`);
  console.log(`GET ${(size / 1e6 / getSeconds).toFixed(0)} MB/s, peak RSS ${peak.toFixed(0)} MiB`);
  return checkPeak('local PUT/GET', peak, boundMiB);
}

/** A cold GET of a `mountSizeMiB` object through an s3:// mount with a small memory tier and a disk tier. */
async function coldMountRead(): Promise<boolean> {
  const size = mountSizeMiB * MiB;
  const remote = await startStrata(['--auth', 'simple', '--default-user', 'bench']);
  const gateway = await startStrata(['--cache-memory', MOUNT_MEMORY_TIER, '--cache-disk', `${2 * mountSizeMiB}MiB`]);
  const remoteClient = new S3Client(remote.url, 1);
  const gatewayClient = new S3Client(gateway.url, 1);
  try {
    await remoteClient.send({ method: 'PUT', path: '/under-storage' });
    const mount = JSON.stringify({
      uri: 's3://under-storage/mounted',
      options: { endpoint: remote.url, 'path-style': 'true', 'access-key': 'bench', 'secret-key': 'bench-secret' },
    });
    await gatewayClient.send({ method: 'POST', path: `/api/v1/fs/mount?path=${encodeURIComponent('/remote')}`, body: mount, keepBody: true });
    // Written straight into the remote and imported by a sync: the gateway's first read of it is cold.
    const put = await remoteClient.send({ method: 'PUT', path: '/under-storage/mounted/big', streamBytes: size });
    await gatewayClient.send({ method: 'POST', path: `/api/v1/fs/sync?path=${encodeURIComponent('/remote')}`, keepBody: true });
    const idle = await statusMiB(gateway, 'VmRSS');
    const t = performance.now();
    const get = await send(gateway.url, 'GET', '/remote/big');
    const seconds = (performance.now() - t) / 1000;
    const peak = await statusMiB(gateway, 'VmHWM');
    const etag = String(put.headers.etag ?? '').replaceAll('"', '');
    if (get.status !== 200 || get.bytes !== size || get.md5 !== etag) {
      throw new Error(`cold mount read failed: GET ${get.status} with ${get.bytes} bytes, MD5 ${get.md5} (remote ETag ${etag})`);
    }
    console.log(`object ${mountSizeMiB} MiB on an s3:// mount, ${MOUNT_MEMORY_TIER} memory tier + disk tier; gateway RSS before the read ${idle.toFixed(0)} MiB`);
    console.log(`cold mount GET ${(size / 1e6 / seconds).toFixed(0)} MB/s, peak RSS ${peak.toFixed(0)} MiB`);
    return checkPeak('cold mount read', peak, mountBoundMiB);
  } finally {
    remoteClient.close();
    gatewayClient.close();
  }
}

try {
  let ok = await localTransfer();
  if (mountSizeMiB > 0) ok = (await coldMountRead()) && ok;
  process.exitCode = ok ? 0 : 1;
} finally {
  await cleanup();
}
