// The mount table: which under-storage holds each part of the namespace. The
// root mount ('/') is the local data directory; others map '/bucket' or
// '/bucket/dir' onto a local directory or an S3-compatible bucket and prefix.
// The longest mount path that contains an object's path wins.
import type { UnderStorage } from '../storage/under-storage.ts';
import { isDirectoryKey } from './names.ts';

/** How writes reach a mount's under-storage (Alluxio's write types). */
export type WriteType = 'CACHE_THROUGH' | 'THROUGH' | 'MUST_CACHE' | 'ASYNC_THROUGH';
export type ReadType = 'CACHE' | 'NO_CACHE';

export interface Mount {
  /** '/' for the root, else '/bucket' or '/bucket/dir/sub'. */
  path: string;
  storage: UnderStorage;
  /**
   * 'local': the store renames staged files into place (the data directory).
   * 'remote': it writes whole objects atomically (S3); data is staged on the
   * local disk and uploaded at commit, and reads go through the page cache.
   */
  kind: 'local' | 'remote';
  /** ms between re-reads of a directory; 0 = always, -1 = never. */
  syncIntervalMs: number;
  writeType: WriteType;
  readType: ReadType;
}

export interface Location {
  mount: Mount;
  /** Path inside the mount's storage ('' is the mount's own root). */
  path: string;
}

/** The namespace path of a bucket and key: '/bucket' or '/bucket/key' (directory markers without their '/'). */
export function namespacePath(bucket: string, key: string): string {
  if (key === '') return `/${bucket}`;
  return `/${bucket}/${isDirectoryKey(key) ? key.slice(0, -1) : key}`;
}

export class MountTable {
  readonly root: Mount;
  /** Non-root mounts, longest path first, so the first match is the deepest. */
  #mounts: Mount[] = [];

  constructor(root: Mount) {
    if (root.path !== '/') throw new Error('the root mount is mounted at /');
    this.root = root;
  }

  /** Every mount, the root first. */
  all(): Mount[] {
    return [this.root, ...this.#mounts];
  }

  add(mount: Mount): void {
    this.#mounts = [...this.#mounts.filter((m) => m.path !== mount.path), mount].sort((a, b) => b.path.length - a.path.length);
  }

  remove(path: string): Mount | undefined {
    const found = this.#mounts.find((m) => m.path === path);
    this.#mounts = this.#mounts.filter((m) => m.path !== path);
    return found;
  }

  /** The mount at exactly `path`, if any (the root included). */
  at(path: string): Mount | undefined {
    return path === '/' ? this.root : this.#mounts.find((m) => m.path === path);
  }

  /** Mounts strictly below `path` (e.g. to refuse removing a bucket that has some). */
  below(path: string): Mount[] {
    return this.#mounts.filter((m) => m.path.startsWith(`${path}/`));
  }

  /** Where the object (or directory) `key` of `bucket` lives. */
  resolve(bucket: string, key: string): Location {
    const full = namespacePath(bucket, key);
    for (const mount of this.#mounts) {
      if (full === mount.path) return { mount, path: '' };
      if (full.startsWith(`${mount.path}/`)) return { mount, path: full.slice(mount.path.length + 1) };
    }
    return { mount: this.root, path: full.slice(1) };
  }
}
