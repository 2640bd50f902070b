// LocalUnderStorage: the UnderStorage contract over a local directory.
// Objects are plain files at `<root>/<path>`, so other programs can read them.
// Writes go to `<root>/.strata/staging/<hex>` first and are renamed into place
// on commit, so readers never see a partial file.
//
// `.strata` is reserved for this store's own bookkeeping. It is NOT hidden
// here: list('') shows it like any other entry; the namespace filters it out
// (and refuses keys under it) so S3 clients never see or overwrite it.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeInto } from '../../util/pipe.ts';
import { StorageError } from '../under-storage.ts';
import type {
  DirEntry,
  FileReadOptions,
  FileStatus,
  ReadRange,
  StagedWrite,
  UnderStorage,
  WriteOptions,
  WrittenVersion,
} from '../under-storage.ts';

export interface LocalStorageOptions {
  /** fsync staged files and the directories commits/deletes touch before resolving. */
  durable: boolean;
}

const STAGING_DIR = '.strata/staging';
const STAGED_NAME = /^[0-9a-f]{32}$/;
// Big reads/writes: fewer syscalls and event-loop turns per MiB than the 16/64 KiB defaults.
const READ_HWM = 256 * 1024;
const WRITE_HWM = 1024 * 1024;

function errnoOf(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Parent of a relative path; '' is the root. */
function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export class LocalUnderStorage implements UnderStorage {
  readonly root: string;
  readonly durable: boolean;
  private readonly stagingAbs: string;
  /** Directory fsyncs scheduled but not yet started, shared by everyone who needs one. */
  private readonly pendingDirSyncs = new Map<string, Promise<void>>();
  private dirSyncs = 0;

  /** Prefer `open`, which also creates root and the staging directory. */
  constructor(root: string, options: LocalStorageOptions) {
    this.root = resolve(root);
    this.durable = options.durable;
    this.stagingAbs = join(this.root, STAGING_DIR);
  }

  static async open(root: string, options: LocalStorageOptions): Promise<LocalUnderStorage> {
    const store = new LocalUnderStorage(root, options);
    await mkdir(store.stagingAbs, { recursive: true });
    return store;
  }

  /** Directory fsyncs actually issued (diagnostics; shows that grouping works). */
  get directorySyncCount(): number {
    return this.dirSyncs;
  }

  async stage(source: Readable, options?: WriteOptions): Promise<StagedWrite> {
    options?.signal?.throwIfAborted();
    const name = randomUUID().replaceAll('-', ''); // 32 hex digits, from a cached entropy pool
    const abs = join(this.stagingAbs, name);
    // 'wx': a name collision must fail rather than clobber someone else's staged data.
    // flush: the stream fsyncs before closing, and pipeInto resolves only after 'close',
    // so a durable stage is on stable storage when this returns. (A FileHandle stream
    // with autoClose false would let us fdatasync, but it keeps a ref on the handle
    // that makes handle.close() wait forever.)
    const out = createWriteStream(abs, { flags: 'wx', flush: this.durable, highWaterMark: WRITE_HWM });
    try {
      await pipeInto(source, out, { signal: options?.signal, waitForClose: true });
    } catch (err) {
      // Nothing may be left behind; the original error is what the caller needs.
      // Wait for the stream to close first: if the abort beat the open, unlinking now
      // would run before the open creates the file and leave it behind.
      if (!out.closed) {
        const closed = new Promise<void>((done) => out.once('close', () => done()));
        out.destroy();
        await closed;
      }
      await unlink(abs).catch(() => {});
      throw err;
    }
    return { stagedPath: `${STAGING_DIR}/${name}`, size: out.bytesWritten };
  }

  /** Resolves to `{}`: a local file has no version tag (its bytes are pinned by reading from an open descriptor instead). */
  async commit(staged: StagedWrite | string, path: string): Promise<WrittenVersion> {
    const from = this.stagedAbs(staged);
    const to = this.resolvePath(path, false);
    // Rename first and make the parents only if they are missing: the common
    // case (the directory exists) costs one syscall. A few tries, because a
    // concurrent pruneEmptyDirs may remove a freshly made parent before the rename.
    let created: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        // Onto a directory, rename(2) fails with EISDIR (or ENOTEMPTY/EEXIST).
        await rename(from, to);
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
          throw new StorageError('IS_DIRECTORY', path);
        }
        if (code === 'ENOTDIR') throw new StorageError('NOT_DIRECTORY', path);
        if (code === 'ENOENT') {
          const stagedPath = typeof staged === 'string' ? staged : staged.stagedPath;
          if (!(await this.stagedExists(stagedPath))) throw new StorageError('NOT_FOUND', stagedPath);
          if (attempt < 4) {
            created = (await this.makeParents(path)) ?? created;
            continue;
          }
        }
        throw err;
      }
      if (this.durable) await this.syncCreated(path, created);
      return {};
    }
  }

  async discard(staged: StagedWrite | string): Promise<void> {
    await unlink(this.stagedAbs(staged)).catch((err: unknown) => {
      if (errnoOf(err) !== 'ENOENT') throw err;
    });
  }

  async sweepStaging(): Promise<void> {
    for (const name of await readdir(this.stagingAbs)) {
      await unlink(join(this.stagingAbs, name)).catch((err: unknown) => {
        if (errnoOf(err) !== 'ENOENT') throw err;
      });
    }
  }

  async stagedExists(stagedPath: string): Promise<boolean> {
    const abs = this.stagedAbs(stagedPath);
    try {
      return (await lstat(abs)).isFile();
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async read(path: string, range?: ReadRange, options?: FileReadOptions): Promise<Readable> {
    const abs = this.resolvePath(path, true);
    // stat and commit report no tags, so a caller holding one got it elsewhere: a bug, not a changed file.
    if (options?.ifMatch !== undefined) throw new Error(`local storage has no version tags; cannot read ${path} pinned to one`);
    if (range !== undefined) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new Error(`invalid range ${start}-${end} for ${path}`);
      }
    }
    // Open now so a missing file or directory rejects here, not later as a stream error.
    let fh: FileHandle;
    try {
      fh = await open(abs, 'r');
    } catch (err) {
      const code = errnoOf(err);
      // ENOTDIR: a parent is a file, so there is no such file to read.
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new StorageError('NOT_FOUND', path);
      if (code === 'EISDIR') throw new StorageError('IS_DIRECTORY', path);
      throw err;
    }
    let size: number;
    try {
      // Linux lets open(O_RDONLY) succeed on a directory; reading it fails later.
      const st = await fh.stat();
      if (st.isDirectory()) throw new StorageError('IS_DIRECTORY', path);
      size = st.size;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    // autoClose (default) closes the handle when the stream ends or is destroyed.
    // A known end spares the read(2) that would only find end-of-file.
    const end = range?.end ?? (size > 0 ? size - 1 : undefined);
    return fh.createReadStream({ start: range?.start, end, highWaterMark: READ_HWM });
  }

  async stat(path: string): Promise<FileStatus | undefined> {
    const abs = this.resolvePath(path, true);
    try {
      const s = await stat(abs);
      const isDirectory = s.isDirectory();
      return { path, isDirectory, size: isDirectory ? 0 : s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async list(path: string): Promise<DirEntry[]> {
    const abs = this.resolvePath(path, true);
    try {
      const entries = await readdir(abs, { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') throw new StorageError('NOT_FOUND', path);
      if (code === 'ENOTDIR') throw new StorageError('NOT_DIRECTORY', path);
      throw err;
    }
  }

  async mkdir(path: string): Promise<void> {
    if (path === '') return;
    const created = await this.makeDirs(path);
    if (this.durable && created !== undefined) {
      await Promise.all(this.createdChain(path, created).map((d) => this.syncDir(d)));
    }
  }

  async deleteFile(path: string): Promise<void> {
    const abs = this.resolvePath(path, false);
    try {
      await unlink(abs);
    } catch (err) {
      const code = errnoOf(err);
      // A missing file, or a parent that is a file: either way nothing to delete.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      // Linux says EISDIR, macOS EPERM; only a directory turns the latter into IS_DIRECTORY.
      if (code === 'EISDIR' || (code === 'EPERM' && (await this.stat(path))?.isDirectory)) {
        throw new StorageError('IS_DIRECTORY', path);
      }
      throw err;
    }
    if (this.durable) await this.syncDir(parentOf(path));
  }

  async rmdir(path: string): Promise<void> {
    const abs = this.resolvePath(path, false);
    try {
      await rmdir(abs);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') throw new StorageError('NOT_FOUND', path);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new StorageError('NOT_EMPTY', path);
      if (code === 'ENOTDIR') throw new StorageError('NOT_DIRECTORY', path);
      throw err;
    }
    if (this.durable) await this.syncDir(parentOf(path));
  }

  async pruneEmptyDirs(path: string, stopAt: string): Promise<void> {
    this.resolvePath(path, true);
    this.resolvePath(stopAt, true);
    if (stopAt !== '' && path !== stopAt && !path.startsWith(`${stopAt}/`)) {
      throw new Error(`pruneEmptyDirs: ${path} is not under ${stopAt}`);
    }
    let current = path;
    let removed: string | undefined;
    while (current !== stopAt && current !== '') {
      try {
        await rmdir(this.resolvePath(current, false));
      } catch (err) {
        const code = errnoOf(err);
        // Non-empty, already gone, or not a directory: the pruning ends here, quietly.
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') break;
        throw err;
      }
      removed = current;
      current = parentOf(current);
    }
    // Removing an entry only changes its parent; the topmost removal is the one that counts.
    if (this.durable && removed !== undefined) await this.syncDir(parentOf(removed));
  }

  /**
   * Maps a namespace path to an absolute one inside root. Anything that could
   * escape root is a programming error upstream (the namespace validates first),
   * so it throws a plain Error rather than a StorageError.
   */
  private resolvePath(path: string, allowRoot: boolean): string {
    if (path === '') {
      if (allowRoot) return this.root;
      throw new Error('empty path not allowed here');
    }
    if (path.includes('\0')) throw new Error(`path contains NUL: ${JSON.stringify(path)}`);
    if (path.startsWith('/')) throw new Error(`absolute path: ${path}`);
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.' || segment === '..') {
        throw new Error(`invalid path segment in ${JSON.stringify(path)}`);
      }
    }
    const abs = resolve(this.root, path);
    if (!abs.startsWith(this.root + sep)) throw new Error(`path escapes root: ${path}`);
    return abs;
  }

  /** Only names this store made itself are accepted as staged paths. */
  private stagedAbs(staged: StagedWrite | string): string {
    const stagedPath = typeof staged === 'string' ? staged : staged.stagedPath;
    const name = stagedPath.startsWith(`${STAGING_DIR}/`) ? stagedPath.slice(STAGING_DIR.length + 1) : '';
    if (!STAGED_NAME.test(name)) throw new Error(`not a staged path: ${JSON.stringify(stagedPath)}`);
    return join(this.stagingAbs, name);
  }

  /** mkdir -p; returns the first directory created (absolute), if any. */
  private async makeDirs(path: string): Promise<string | undefined> {
    try {
      return await mkdir(this.resolvePath(path, false), { recursive: true });
    } catch (err) {
      const code = errnoOf(err);
      // EEXIST: `path` itself is a file; ENOTDIR: some component on the way is.
      if (code === 'EEXIST' || code === 'ENOTDIR') throw new StorageError('NOT_DIRECTORY', path);
      throw err;
    }
  }

  private async makeParents(path: string): Promise<string | undefined> {
    const parent = parentOf(path);
    if (parent === '') return undefined;
    try {
      return await this.makeDirs(parent);
    } catch (err) {
      // Report the path the caller asked for, not its parent.
      if (err instanceof StorageError) throw new StorageError(err.code, path);
      throw err;
    }
  }

  /**
   * Relative directories whose entries changed when mkdir -p of `path` created
   * `firstCreated` and everything below it: the parent of each new directory.
   */
  private createdChain(path: string, firstCreated: string): string[] {
    const first = firstCreated.slice(this.root.length + 1).split(sep).join('/');
    const dirs: string[] = [];
    for (let d = path; ; d = parentOf(d)) {
      dirs.push(parentOf(d));
      if (d === first || d === '') return dirs;
    }
  }

  /** After a durable commit: the file's directory, plus parents of any new directories. */
  private async syncCreated(path: string, created: string | undefined): Promise<void> {
    const parent = parentOf(path);
    const dirs = new Set([parent]);
    if (created !== undefined) for (const d of this.createdChain(parent, created)) dirs.add(d);
    await Promise.all([...dirs].map((d) => this.syncDir(d)));
  }

  /**
   * fsyncs a directory, shared by every caller in the same tick. The entry is
   * removed from the map when the fsync *starts*: a rename that lands after that
   * may not be covered, so later callers schedule a fresh one.
   */
  private syncDir(path: string): Promise<void> {
    const pending = this.pendingDirSyncs.get(path);
    if (pending !== undefined) return pending;
    const promise = new Promise<void>((resolveSync, rejectSync) => {
      setImmediate(() => {
        this.pendingDirSyncs.delete(path);
        this.fsyncDir(path).then(resolveSync, rejectSync);
      });
    });
    this.pendingDirSyncs.set(path, promise);
    return promise;
  }

  private async fsyncDir(path: string): Promise<void> {
    this.dirSyncs++;
    let fh: FileHandle;
    try {
      fh = await open(this.resolvePath(path, true), 'r');
    } catch (err) {
      // Already removed (e.g. pruned): there is no entry left to make durable.
      if (errnoOf(err) === 'ENOENT') return;
      throw err;
    }
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
