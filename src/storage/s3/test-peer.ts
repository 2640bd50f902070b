// Test helper: a second, real Strata started in-process to be the S3 remote of
// S3UnderStorage tests, plus a plain S3 client to look at (or write to) that
// remote as a program that knows nothing of Strata would.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startStrata, type RunningStrata } from '../../app.ts';
import { loadConfig } from '../../config/config.ts';
import { S3UnderStorage, type S3StorageOptions } from './s3-storage.ts';

/** Any credentials do: the peer runs in simple mode and only reads the user name. */
export const PEER_USER = 'mount-user';

export interface Peer {
  url: string;
  port: number;
  dataDir: string;
  /** A plain SDK client on the peer, acting as PEER_USER. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** An adapter on `bucket` of this peer. */
  storage(bucket: string, options?: Partial<S3StorageOptions>): S3UnderStorage;
  /** Stops the server; `keepData` leaves the data dir for a restart. */
  stop(keepData?: boolean): Promise<void>;
}

export async function startPeer(at?: { port: number; dataDir: string }): Promise<Peer> {
  const dataDir = at?.dataDir ?? (await mkdtemp(join(tmpdir(), 'strata-s3-peer-')));
  const port = String(at?.port ?? 0);
  const { config } = loadConfig(['--port', port, '--data-dir', dataDir, '--log-level', 'silent'], {});
  const strata: RunningStrata = await startStrata(config);
  const client = new S3Client({
    endpoint: strata.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: PEER_USER, secretAccessKey: 'unused' },
    maxAttempts: 1,
  });
  const stores: S3UnderStorage[] = [];
  return {
    url: strata.url,
    port: strata.port,
    dataDir,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    storage(bucket, options = {}) {
      const store = new S3UnderStorage({
        bucket,
        endpoint: strata.url,
        accessKeyId: PEER_USER,
        secretAccessKey: 'unused',
        ...options,
      });
      stores.push(store);
      return store;
    },
    async stop(keepData = false) {
      for (const s of stores) s.close();
      client.destroy();
      await strata.close();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function put(store: S3UnderStorage, path: string, data: Buffer | string): Promise<void> {
  await store.commit(await store.stage(Readable.from([Buffer.from(data)])), path);
}
