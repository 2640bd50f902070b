// Shared set-up for end-to-end tests: a real Strata on an ephemeral port with a
// temp data directory, an @aws-sdk/client-s3 client, and raw HTTP for what the SDK hides.
import { GetObjectCommand, S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata, type RunningStrata } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';

export interface TestServer {
  strata: RunningStrata;
  url: string;
  dataDir: string;
  /** SDK client acting as `user` (path-style, plain endpoint at the root). */
  client(user?: string): S3Client;
  /** SDK client signing with a real key pair (sigv4 mode); `config` adds to or overrides the defaults. */
  signedClient(accessKeyId: string, secretAccessKey: string, config?: S3ClientConfig): S3Client;
  stop(): Promise<void>;
}

export async function startTestServer(flags: string[] = []): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-e2e-'));
  const { config } = loadConfig(['--port', '0', '--data-dir', dataDir, '--log-level', process.env.STRATA_TEST_LOG ?? 'silent', '--default-user', 'strata', ...flags], {});
  const strata = await startStrata(config);
  const clients: S3Client[] = [];
  return {
    strata,
    url: strata.url,
    dataDir,
    client(user = 'testuser') {
      const c = new S3Client({
        endpoint: strata.url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: user, secretAccessKey: 'unused-in-simple-mode' },
        maxAttempts: 1,
      });
      clients.push(c);
      return c;
    },
    signedClient(accessKeyId, secretAccessKey, config = {}) {
      const c = new S3Client({
        endpoint: strata.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
        credentials: { accessKeyId, secretAccessKey }, ...config,
      });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await strata.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** One HTTP request with exactly the given method, path, headers and body. */
export function raw(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string | number>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The text of the first <name> element in an XML document. */
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** One call of the FS REST API (/api/v1/fs/ACTION?path=PATH) with an optional JSON body. */
export async function fsApi(url: string, method: string, action: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await raw(url, method, `/api/v1/fs/${action}?path=${encodeURIComponent(path)}`, body === undefined ? {} : { body: JSON.stringify(body) });
  return { status: res.status, json: JSON.parse(res.text) as Record<string, unknown> };
}

/** The S3 error a call fails with; fails the test when the call succeeds. */
export async function s3Error(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return err;
    throw err;
  }
  assert.fail('expected an S3 error');
}

export const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

/** Whether python3 can import boto3 (the boto3 suites skip without it). */
export function hasBoto3(): boolean {
  try {
    execFileSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for binary output. */
  out: Buffer;
}

/** Runs a command to its end, collecting its output; a hung child is killed after a minute so it fails its test, not the run. */
export function runChild(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({ code, stdout: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), out: stdout });
    });
  });
}

/** An object's whole body, through the SDK. */
export async function objectBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

/** A Strata in its own process (so a test can kill it with SIGKILL). */
export interface ChildGateway {
  proc: ChildProcess;
  url: string;
}

/** Starts `src/main.ts` on `dataDir` and an ephemeral port, with `flags`; resolves with its URL once it listens. */
export async function startChildServer(dataDir: string, flags: readonly string[] = []): Promise<ChildGateway> {
  const proc = spawn(process.execPath, [
    '--disable-warning=ExperimentalWarning', 'src/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent', ...flags,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /http:\/\/[\d.]+:\d+/.exec(seen);
      if (m) resolve(m[0]);
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { proc, url };
}

/** SIGKILLs a child server and waits for it to be gone (a no-op if it already exited). */
export async function killChild(child: ChildGateway): Promise<void> {
  if (child.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once('exit', resolve));
  child.proc.kill('SIGKILL');
  await exited;
}
