// Mounting and unmounting: validates a mount, persists it in the metadata
// store (secret options sealed), keeps the in-memory MountTable in step, and
// reloads the table at start. Unmounting forgets the subtree's metadata but
// never touches the data in the under-storage.
import type { MountRecord } from '../meta/metadata-store.ts';
import { S3Error } from '../s3/errors.ts';
import type { UnderStorage } from '../storage/under-storage.ts';
import { createBucket } from './buckets.ts';
import type { Mount, ReadType, WriteType } from './mounts.ts';
import { validateBucketName, validateKey } from './names.ts';
import { lockKey, type NamespaceDeps } from './types.ts';

export type StorageOpener = (uri: string, options: Record<string, string>) => Promise<{ storage: UnderStorage; kind: 'local' | 'remote' }>;

export interface MountEnvironment {
  open: StorageOpener;
  /** Option names whose values are secrets. */
  secretOptions: ReadonlySet<string>;
  /** Option names the adapters understand (the namespace's own are added). */
  adapterOptions: readonly string[];
  seal(plain: string): string;
  unseal(sealed: string): string;
}

const NAMESPACE_OPTIONS = ['sync-interval', 'write-type', 'read-type'];
const WRITE_TYPES: readonly WriteType[] = ['CACHE_THROUGH', 'THROUGH', 'MUST_CACHE', 'ASYNC_THROUGH'];
const READ_TYPES: readonly ReadType[] = ['CACHE', 'NO_CACHE'];

export interface MountInfo {
  path: string;
  uri: string;
  /** Secret values replaced by '******'. */
  options: Record<string, string>;
  kind: 'local' | 'remote';
  created: number;
}

function invalid(message: string): S3Error {
  return new S3Error('InvalidMount', message);
}

function parseInterval(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (text === 'always') return 0;
  if (text === 'never') return -1;
  const m = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!m) throw invalid(`sync-interval is always, never or a duration like 500ms, 10s, 5m; got "${text}"`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
}

/** '/bucket' or '/bucket/dir/...' with valid names; never the root. */
function checkMountPath(path: string): { bucket: string; key: string } {
  const m = /^\/([^/]+)(?:\/(.+))?$/.exec(path);
  if (!m || path.endsWith('/')) throw invalid(`mount paths look like /bucket or /bucket/dir, got "${path}"`);
  validateBucketName(m[1]);
  if (m[2] !== undefined) validateKey(`${m[2]}/`);
  return { bucket: m[1], key: m[2] ?? '' };
}

async function toMount(record: MountRecord, env: MountEnvironment, fallbackInterval: number): Promise<Mount> {
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.options)) options[k] = env.secretOptions.has(k) ? env.unseal(v) : v;
  const { storage, kind } = await env.open(record.uri, options);
  const writeType = (options['write-type'] ?? 'CACHE_THROUGH').toUpperCase() as WriteType;
  const readType = (options['read-type'] ?? 'CACHE').toUpperCase() as ReadType;
  if (!WRITE_TYPES.includes(writeType)) throw invalid(`write-type is one of ${WRITE_TYPES.join(', ')}`);
  if (!READ_TYPES.includes(readType)) throw invalid(`read-type is one of ${READ_TYPES.join(', ')}`);
  return { path: record.path, storage, kind, syncIntervalMs: parseInterval(options['sync-interval'], fallbackInterval), writeType, readType };
}

function describe(record: MountRecord, kind: 'local' | 'remote', env: MountEnvironment): MountInfo {
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.options)) options[k] = env.secretOptions.has(k) ? '******' : v;
  return { path: record.path, uri: record.uri, options, kind, created: record.created };
}

export async function mount(
  deps: NamespaceDeps,
  env: MountEnvironment,
  req: { path: string; uri: string; options: Record<string, string>; user: string },
): Promise<MountInfo> {
  const { bucket, key } = checkMountPath(req.path);
  const known = new Set([...env.adapterOptions, ...NAMESPACE_OPTIONS]);
  for (const name of Object.keys(req.options)) if (!known.has(name)) throw invalid(`unknown mount option "${name}" (known: ${[...known].join(', ')})`);
  if (deps.mounts.at(req.path)) throw new S3Error('MountPointNotEmpty', `${req.path} is already a mount point.`);
  const stored: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.options)) stored[k] = env.secretOptions.has(k) ? env.seal(v) : v;
  const record: MountRecord = { path: req.path, uri: req.uri, options: stored, created: Date.now() };
  let opened: Mount;
  try {
    opened = await toMount(record, env, deps.options.syncIntervalMs);
  } catch (err) {
    if (err instanceof S3Error) throw err;
    throw invalid((err as Error).message);
  }
  if (!(await deps.store.getBucket(bucket))) await createBucket(deps, bucket, req.user);
  // Alluxio mounts only on empty paths: objects already there would be hidden behind the mount.
  const prefix = key === '' ? '' : `${key}/`;
  const existing = (await deps.store.listKeys(bucket, { prefix, limit: 2 })).filter((k) => k !== prefix);
  if (existing.length > 0 || deps.mounts.below(req.path).length > 0) throw new S3Error('MountPointNotEmpty');
  await deps.store.putMount(record);
  deps.mounts.add(opened);
  return describe(record, opened.kind, env);
}

export async function unmount(deps: NamespaceDeps, path: string): Promise<void> {
  const { bucket, key } = checkMountPath(path);
  if (!deps.mounts.at(path)) throw new S3Error('NoSuchMountPoint', `Nothing is mounted at ${path}.`);
  await refuseUnpersisted(deps, bucket, key === '' ? '' : `${key}/`, path);
  await deps.store.deleteMount(path);
  const removed = deps.mounts.remove(path);
  // Stores that hold connections (S3) release them.
  await removed?.storage.close?.();
  // The metadata of the subtree goes; the data stays in the under-storage.
  const prefix = key === '' ? '' : `${key}/`;
  for (;;) {
    const keys = await deps.store.listKeys(bucket, { prefix, limit: 1000 });
    if (keys.length === 0) break;
    for (const k of keys) await deps.locks.run(lockKey(bucket, k), () => deps.store.deleteObject(bucket, k));
  }
}

/**
 * Unmounting forgets the subtree's rows; objects written ASYNC_THROUGH or
 * MUST_CACHE that have not reached the under-storage exist only here, so
 * forgetting them would lose acknowledged data.
 */
async function refuseUnpersisted(deps: NamespaceDeps, bucket: string, prefix: string, path: string): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const rows = await deps.store.listObjects(bucket, { prefix, after, limit: 1000 });
    const pending = rows.find((r) => r.extras.pending !== undefined);
    if (pending) {
      throw new S3Error('MountPointNotEmpty', `${path} holds objects not yet persisted to its under-storage (e.g. /${bucket}/${pending.key}); run "strata fs persist ${path}" first.`);
    }
    if (rows.length < 1000) return;
    after = rows[rows.length - 1].key;
  }
}

export async function listMounts(deps: NamespaceDeps, env: MountEnvironment): Promise<MountInfo[]> {
  const records = await deps.store.listMounts();
  return records.map((r) => describe(r, deps.mounts.at(r.path)?.kind ?? 'remote', env));
}

/** Rebuilds the mount table from the store at start; a mount whose store cannot be opened is reported, not fatal. */
export async function loadMounts(deps: NamespaceDeps, env: MountEnvironment): Promise<{ loaded: string[]; failed: { path: string; error: string }[] }> {
  const loaded: string[] = [];
  const failed: { path: string; error: string }[] = [];
  for (const record of await deps.store.listMounts()) {
    try {
      deps.mounts.add(await toMount(record, env, deps.options.syncIntervalMs));
      loaded.push(record.path);
    } catch (err) {
      failed.push({ path: record.path, error: (err as Error).message });
    }
  }
  return { loaded, failed };
}
