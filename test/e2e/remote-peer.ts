// Test helpers for gateways over a second, real Strata as the S3 remote: a
// remote that can be stopped and started again on the same port and data
// directory (the under-storage "going down and coming back"), a child gateway
// process that can be SIGKILLed, and polling for an eventual state.
import { S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata, type RunningStrata } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fsApi } from './harness.ts';

export interface Remote {
  url: string;
  port: number;
  dataDir: string;
  /** A plain SDK client on the remote (what a program that knows nothing of Strata sees). */
  client: S3Client;
  running: boolean;
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRemote(): Promise<Remote> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-remote-'));
  let strata: RunningStrata | undefined;
  const boot = async (port: number): Promise<RunningStrata> => {
    const { config } = loadConfig(['--port', String(port), '--data-dir', dataDir, '--log-level', 'silent', '--default-user', 'strata'], {});
    return startStrata(config);
  };
  strata = await boot(0);
  const port = strata.port;
  const client = new S3Client({
    endpoint: strata.url, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'remote-owner', secretAccessKey: 'unused' }, maxAttempts: 1,
  });
  const remote: Remote = {
    url: strata.url,
    port,
    dataDir,
    client,
    running: true,
    async stop() {
      await strata?.close();
      strata = undefined;
      remote.running = false;
    },
    async restart() {
      strata = await boot(port);
      remote.running = true;
    },
    async destroy() {
      client.destroy();
      await strata?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return remote;
}

/** Mounts `bucket` of the remote at `/path` of the gateway, keys under `prefix`. */
export async function mountRemote(gatewayUrl: string, path: string, remote: Remote, bucket: string, prefix: string, options: Record<string, string> = {}): Promise<void> {
  const res = await fsApi(gatewayUrl, 'POST', 'mount', path, {
    uri: `s3://${bucket}/${prefix}`,
    options: { endpoint: remote.url, 'path-style': 'true', 'access-key': 'remote-owner', 'secret-key': 'unused-secret', ...options },
  });
  if (res.status !== 200) throw new Error(`mount ${path}: ${res.status} ${JSON.stringify(res.json)}`);
}

/** Polls `check` until it returns a value (not undefined) or `limitMs` passes. Not a timing assertion: a deadline for an eventual state. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface ChildGateway {
  proc: ChildProcess;
  url: string;
}

/** A gateway in its own process (so it can be killed with SIGKILL), on `dataDir`. */
export async function startChildGateway(dataDir: string): Promise<ChildGateway> {
  const proc = spawn(process.execPath, [
    '--disable-warning=ExperimentalWarning', 'src/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent',
    '--default-user', 'strata', '--cache-disk', '0',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /http:\/\/[\d.]+:\d+/.exec(seen);
      if (m) resolve(m[0]);
    });
    proc.once('exit', (code) => reject(new Error(`gateway exited with ${code} before listening`)));
  });
  return { proc, url };
}

export async function killChild(child: ChildGateway): Promise<void> {
  if (child.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once('exit', resolve));
  child.proc.kill('SIGKILL');
  await exited;
}
