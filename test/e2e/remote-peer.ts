// Test helpers for gateways over a second, real Strata as the S3 remote: a
// remote that can be stopped and started again on the same port and data
// directory (the under-storage "going down and coming back"), a child gateway
// process that can be SIGKILLed, and polling for an eventual state.
import { S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata, type RunningStrata } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fsApi, killChild, startChildServer, type ChildGateway } from './harness.ts';

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

/** A gateway in its own process (so it can be killed with SIGKILL), on `dataDir`, as the mount tests run it. */
export function startChildGateway(dataDir: string): Promise<ChildGateway> {
  return startChildServer(dataDir, ['--default-user', 'strata', '--cache-disk', '0']);
}

export { killChild, type ChildGateway };
