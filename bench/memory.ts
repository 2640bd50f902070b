// `npm run bench:memory`: streams one large object (default 5 GiB) through a
// Strata child process, PUT then GET, and reports the server's peak RSS
// (VmHWM). Exits 1 when the peak passes the bound (default 150 MiB): bodies
// must stream, whatever their size. Loopback only; cleans up after itself.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const sizeMiB = flag('size-mib', 5120);
const boundMiB = flag('max-rss-mib', 150);
const size = sizeMiB * 1024 * 1024;
const dir = await mkdtemp(join(tmpdir(), 'strata-memory-'));
const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/main.ts', '--port', '0', '--data-dir', dir, '--log-level', 'warn'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const cleanup = async (): Promise<void> => {
  child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /http:\/\/[\d.]+:\d+/.exec(String(d));
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  const status = async (field: string): Promise<number> =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  const send = (method: string, path: string, length?: number): Promise<{ status: number; bytes: number; md5: string }> =>
    new Promise((resolve, reject) => {
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
      const chunk = Buffer.alloc(1024 * 1024, 0x5a);
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

  await send('PUT', '/memory');
  const idle = await status('VmRSS');
  let t = performance.now();
  const put = await send('PUT', '/memory/big', size);
  const putSeconds = (performance.now() - t) / 1000;
  const afterPut = await status('VmHWM');
  t = performance.now();
  const get = await send('GET', '/memory/big');
  const getSeconds = (performance.now() - t) / 1000;
  const peak = await status('VmHWM');
  if (put.status !== 200 || get.status !== 200 || get.bytes !== size) throw new Error(`transfer failed: PUT ${put.status}, GET ${get.status} with ${get.bytes} bytes`);
  console.log(`object ${sizeMiB} MiB; idle RSS ${idle.toFixed(0)} MiB`);
  console.log(`PUT ${(size / 1e6 / putSeconds).toFixed(0)} MB/s, peak RSS ${afterPut.toFixed(0)} MiB`);
  console.log(`GET ${(size / 1e6 / getSeconds).toFixed(0)} MB/s, peak RSS ${peak.toFixed(0)} MiB`);
  const ok = peak <= boundMiB;
  console.log(ok ? `peak RSS within ${boundMiB} MiB` : `peak RSS ${peak.toFixed(0)} MiB exceeds ${boundMiB} MiB`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await cleanup();
}
