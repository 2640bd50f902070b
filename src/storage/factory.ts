// Opens the under-storage a mount URI names: file:///dir (a local directory)
// or s3://bucket/prefix (any S3-compatible store: Amazon S3, Ceph RGW, MinIO,
// another Strata), with the mount's adapter options.
import { LocalUnderStorage } from './local/local-storage.ts';
import type { UnderStorage } from './under-storage.ts';

/** Options an adapter reads; the namespace's own (write-type, ...) are listed beside them. */
export const ADAPTER_OPTIONS = ['endpoint', 'region', 'path-style', 'access-key', 'secret-key'] as const;
/** Options whose values are secrets: stored sealed, never printed back. */
export const SECRET_OPTIONS: ReadonlySet<string> = new Set(['secret-key']);

export class MountUriError extends Error {}

export interface OpenedStorage {
  storage: UnderStorage;
  /** 'remote' stores are read through the page cache and written by whole-object uploads. */
  kind: 'local' | 'remote';
}

export async function openUnderStorage(uri: string, options: Record<string, string>, durable: boolean): Promise<OpenedStorage> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new MountUriError(`not a URI: "${uri}" (expected file:///dir or s3://bucket/prefix)`);
  }
  if (url.protocol === 'file:') {
    if (url.host !== '' || url.pathname === '/' || url.pathname === '') throw new MountUriError(`file URIs name an absolute directory, e.g. file:///srv/data; got "${uri}"`);
    return { storage: await LocalUnderStorage.open(decodeURIComponent(url.pathname), { durable }), kind: 'local' };
  }
  if (url.protocol === 's3:') {
    const bucket = url.host;
    const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
    if (bucket === '') throw new MountUriError(`s3 URIs name a bucket: s3://bucket/prefix; got "${uri}"`);
    const pathStyle = options['path-style'];
    if (pathStyle !== undefined && !/^(true|false)$/.test(pathStyle)) throw new MountUriError('path-style is true or false');
    // Loaded on first use: the AWS SDK is ~15 MiB of resident memory a gateway without S3 mounts never needs.
    const { S3UnderStorage } = await import('./s3/s3-storage.ts');
    const storage = new S3UnderStorage({
      bucket,
      prefix,
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: pathStyle === undefined ? undefined : pathStyle === 'true',
      accessKeyId: options['access-key'],
      secretAccessKey: options['secret-key'],
    });
    return { storage, kind: 'remote' };
  }
  throw new MountUriError(`unsupported scheme "${url.protocol}" (expected file: or s3:)`);
}
