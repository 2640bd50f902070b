// Path <-> key mapping for the S3 under-storage. A path `a/b` maps to the key
// `${prefix}/a/b`; a directory `a` is every key under `${prefix}/a/`, plus an
// optional empty "marker" object `${prefix}/a/` (what S3 consoles create for
// folders). Staged writes live under `${prefix}/.strata/staging/<32 hex>`.
// Key naming: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html

export const STAGING_DIR = '.strata/staging';
const STAGED_NAME = /^[0-9a-f]{32}$/;

/** Parent of a relative path; '' is the root. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Every proper ancestor of `path` except the root: `a/b/c` -> [`a`, `a/b`]. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/**
 * Same rules as the local store: anything that is not a clean relative path is
 * a programming error upstream (the namespace validates first), so a plain
 * Error, never a StorageError.
 */
export function checkPath(path: string, allowRoot: boolean): void {
  if (path === '') {
    if (allowRoot) return;
    throw new Error('empty path not allowed here');
  }
  if (path.includes('\0')) throw new Error(`path contains NUL: ${JSON.stringify(path)}`);
  if (path.startsWith('/')) throw new Error(`absolute path: ${path}`);
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new Error(`invalid path segment in ${JSON.stringify(path)}`);
    }
  }
}

/** Validates a mount prefix ('' or 'a/b', no leading/trailing '/'). */
export function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  try {
    checkPath(prefix, false);
  } catch {
    throw new Error(`invalid S3 prefix ${JSON.stringify(prefix)}: use '' or 'a/b' (no leading or trailing '/')`);
  }
}

export class KeyMap {
  readonly prefix: string;

  constructor(prefix: string) {
    checkPrefix(prefix);
    this.prefix = prefix;
  }

  /** The object key of a file path. */
  fileKey(path: string): string {
    checkPath(path, false);
    return this.prefix === '' ? path : `${this.prefix}/${path}`;
  }

  /** The key prefix under which a directory's entries live (ends in '/', or '' for an unprefixed root). */
  dirPrefix(path: string): string {
    checkPath(path, true);
    if (path === '') return this.prefix === '' ? '' : `${this.prefix}/`;
    return `${this.fileKey(path)}/`;
  }

  /** The key of a staged write, from the staged path this store handed out. */
  stagedKey(stagedPath: string): string {
    const name = stagedPath.startsWith(`${STAGING_DIR}/`) ? stagedPath.slice(STAGING_DIR.length + 1) : '';
    if (!STAGED_NAME.test(name)) throw new Error(`not a staged path: ${JSON.stringify(stagedPath)}`);
    return this.fileKey(stagedPath);
  }

  stagingPrefix(): string {
    return this.dirPrefix(STAGING_DIR);
  }
}
