// Options of an S3 under-storage mount and the S3Client built from them.
// The client is tuned to fail fast when the remote is down (short connect and
// idle timeouts, few attempts): the namespace answers 503 instead of hanging.
// Client config: https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-client-s3/Interface/S3ClientConfig/
import { S3Client } from '@aws-sdk/client-s3';
import { ConnectTimeoutHttpAgent, ConnectTimeoutHttpsAgent } from './s3-agent.ts';
import { checkPrefix } from './s3-paths.ts';

export interface S3StorageOptions {
  bucket: string;
  /** Key prefix the mount lives under: '' or 'a/b' (no leading or trailing '/'). */
  prefix?: string;
  /** e.g. http://127.0.0.1:9000 for MinIO, Ceph RGW or a second Strata; Amazon S3 when absent. */
  endpoint?: string;
  /** Default us-east-1. */
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`); default true when an endpoint is given. */
  forcePathStyle?: boolean;
  /** Static credentials; without them the SDK's default provider chain is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Milliseconds to establish a TCP connection, not counting a wait for a pooled socket (default 3000). */
  connectTimeoutMs?: number;
  /** Milliseconds a socket may stay silent during a request (default 30000). */
  idleTimeoutMs?: number;
  /** Attempts per request, the first included (default 2). */
  maxAttempts?: number;
  /** Part size of a streamed stage (default 8 MiB; S3 requires at least 5 MiB). */
  partSize?: number;
  /** Parts of one stage uploaded at once (default 4): memory is about (this + 1) x partSize. */
  partConcurrency?: number;
}

export interface ResolvedS3Options {
  bucket: string;
  prefix: string;
  partSize: number;
  partConcurrency: number;
}

export const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;

export function resolveOptions(options: S3StorageOptions): ResolvedS3Options {
  if (options.bucket === '') throw new Error('S3 under-storage: bucket is required');
  const prefix = options.prefix ?? '';
  checkPrefix(prefix);
  const partSize = options.partSize ?? 8 * MiB;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new Error(`S3 under-storage: partSize must be between 5 MiB and 5 GiB, got ${partSize}`);
  }
  const partConcurrency = options.partConcurrency ?? 4;
  if (!Number.isSafeInteger(partConcurrency) || partConcurrency < 1) {
    throw new Error(`S3 under-storage: partConcurrency must be a positive integer, got ${partConcurrency}`);
  }
  return { bucket: options.bucket, prefix, partSize, partConcurrency };
}

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 128 };

export function createS3Client(options: S3StorageOptions): S3Client {
  const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
  const hasKeys = options.accessKeyId !== undefined && options.secretAccessKey !== undefined;
  return new S3Client({
    region: options.region ?? 'us-east-1',
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    credentials: hasKeys ? { accessKeyId: options.accessKeyId ?? '', secretAccessKey: options.secretAccessKey ?? '' } : undefined,
    maxAttempts: options.maxAttempts ?? 2,
    requestHandler: {
      // No SDK connectionTimeout: its clock also runs while a request waits for
      // a pooled socket (see s3-agent.ts); the agents time the connect alone.
      socketTimeout: options.idleTimeoutMs ?? 30_000,
      httpAgent: new ConnectTimeoutHttpAgent(AGENT_OPTIONS, connectTimeoutMs),
      httpsAgent: new ConnectTimeoutHttpsAgent(AGENT_OPTIONS, connectTimeoutMs),
    },
    // Checksums only where S3 demands them (DeleteObjects): the remote sees plain
    // PUTs with a Content-Length, which every S3-compatible server accepts.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Parts are in memory and the remote is trusted: no round trip for 100-continue.
    expectContinueHeader: false,
  });
}
