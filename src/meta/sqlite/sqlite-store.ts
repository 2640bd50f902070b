// SQLite implementation of MetadataStore: the embedded default, one file per gateway.
// Writes are group-committed (every write queued during one event-loop turn shares
// one transaction and one fsync); reads run directly against the committed state.
import { mkdirSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { MetaConflictError, MetaNotFoundError } from '../metadata-store.ts';
import type { BucketRecord, IntentRecord, ListObjectsQuery, ListUploadsQuery, MetadataStore } from '../metadata-store.ts';
import type { BucketExtras, ObjectExtras, ObjectRecord, PartExtras, PartRecord, UploadExtras, UploadRecord } from '../metadata-store.ts';

type Row = Record<string, SQLOutputValue>;

/**
 * Schema steps: MIGRATIONS[i] takes `PRAGMA user_version` from i to i + 1.
 * Append new steps; never edit a released one, databases in the field ran it.
 * Keys use BINARY collation, which on a UTF-8 database is UTF-8 byte order (S3's order).
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE buckets (
     name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX buckets_by_owner ON buckets (owner, name);
   CREATE TABLE objects (
     bucket TEXT NOT NULL, key TEXT NOT NULL COLLATE BINARY, version_id TEXT NOT NULL,
     size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified INTEGER NOT NULL, owner TEXT NOT NULL,
     headers TEXT NOT NULL, user_metadata TEXT NOT NULL, is_directory INTEGER NOT NULL,
     part_sizes TEXT, data_id TEXT NOT NULL,
     PRIMARY KEY (bucket, key, version_id)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE uploads (
     upload_id TEXT NOT NULL PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL COLLATE BINARY,
     owner TEXT NOT NULL, initiated INTEGER NOT NULL, headers TEXT NOT NULL, user_metadata TEXT NOT NULL
   ) STRICT;
   CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
   CREATE TABLE parts (
     upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL,
     etag TEXT NOT NULL, last_modified INTEGER NOT NULL, path TEXT NOT NULL,
     PRIMARY KEY (upload_id, part_number)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE intents (
     id TEXT NOT NULL PRIMARY KEY, staged_path TEXT NOT NULL, object TEXT NOT NULL, created INTEGER NOT NULL
   ) STRICT;`,
  // Sub-resources (tags, ACLs, checksums, policies, ...) as one JSON document per row.
  `ALTER TABLE buckets ADD COLUMN extras TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE objects ADD COLUMN extras TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE uploads ADD COLUMN extras TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE parts ADD COLUMN extras TEXT NOT NULL DEFAULT '{}';`,
];

const OBJECT_COLUMNS =
  'bucket, key, version_id, size, etag, last_modified, owner, headers, user_metadata, is_directory, part_sizes, data_id, extras';
const UPLOAD_COLUMNS = 'upload_id, bucket, key, owner, initiated, headers, user_metadata, extras';
const PART_COLUMNS = 'upload_id, part_number, size, etag, last_modified, path, extras';
const BUCKET_COLUMNS = 'name, owner, created_at, extras';

/**
 * The smallest string greater than every string that starts with `prefix`, or
 * undefined when there is none (empty prefix, or only U+10FFFF code points).
 * Code-point order equals UTF-8 byte order, so bumping the last code point works;
 * surrogates cannot be stored, so U+D7FF steps to U+E000.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0) ?? 0);
  while (points.length > 0) {
    let last = points.pop() ?? 0;
    // A lone surrogate reaches SQLite as U+FFFD.
    if (last >= 0xd800 && last <= 0xdfff) last = 0xfffd;
    if (last === 0x10ffff) continue;
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return String.fromCodePoint(...points, next);
  }
  return undefined;
}

/** Compares as SQLite's BINARY collation does on a UTF-8 database. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface BuiltQuery {
  sql: string;
  params: SQLInputValue[];
}

function addUpperBound(prefix: string, where: string[], params: SQLInputValue[]): void {
  const upper = prefixUpperBound(prefix);
  if (upper === undefined) return;
  where.push('key < ?');
  params.push(upper);
}

/** Negative LIMIT means "no limit" to SQLite; a caller's 0 or -1 means none. */
function rowLimit(limit: number): number {
  if (Number.isNaN(limit) || limit <= 0) return 0;
  return Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER);
}

/**
 * prefix, `from` and `after` are all lower bounds on key. They are folded into
 * the single tightest one here because SQLite seeks the index with only one
 * lower bound and filters with the rest: a deep page (`after` far past `prefix`)
 * would otherwise scan from the prefix, and cost would follow position, not limit.
 */
export function listObjectsQuery(bucket: string, query: ListObjectsQuery): BuiltQuery {
  let lower = query.prefix;
  let exclusive = false;
  if (query.from !== undefined && compareUtf8(query.from, lower) > 0) lower = query.from;
  if (query.after !== undefined && compareUtf8(query.after, lower) >= 0) {
    lower = query.after;
    exclusive = true;
  }
  const where = ['bucket = ?', exclusive ? 'key > ?' : 'key >= ?'];
  const params: SQLInputValue[] = [bucket, lower];
  addUpperBound(query.prefix, where, params);
  params.push(rowLimit(query.limit));
  return { sql: `SELECT ${OBJECT_COLUMNS} FROM objects WHERE ${where.join(' AND ')} ORDER BY key LIMIT ?`, params };
}

/**
 * Same folding of lower bounds as listObjectsQuery. S3 ignores an upload-id
 * marker without a key marker; a key marker alone skips every upload of that key.
 */
export function listUploadsQuery(bucket: string, query: ListUploadsQuery): BuiltQuery {
  const where = ['bucket = ?'];
  const params: SQLInputValue[] = [bucket];
  const afterKey = query.afterKey;
  if (afterKey !== undefined && compareUtf8(afterKey, query.prefix) >= 0) {
    if (query.afterUploadId !== undefined) {
      where.push('(key, upload_id) > (?, ?)');
      params.push(afterKey, query.afterUploadId);
    } else {
      where.push('key > ?');
      params.push(afterKey);
    }
  } else {
    where.push('key >= ?');
    params.push(query.prefix);
  }
  addUpperBound(query.prefix, where, params);
  params.push(rowLimit(query.limit));
  const sql = `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE ${where.join(' AND ')} ORDER BY key, upload_id LIMIT ?`;
  return { sql, params };
}

const str = (v: SQLOutputValue): string => v as string;
const num = (v: SQLOutputValue): number => v as number;
// Most rows carry empty maps: skipping JSON.parse for them is a visible share of a listing page.
const map = (v: SQLOutputValue): Record<string, string> => (v === '{}' ? {} : (JSON.parse(v as string) as Record<string, string>));

function json<T extends object>(v: SQLOutputValue): T {
  return (v === '{}' ? {} : JSON.parse(v as string)) as T;
}

function toBucket(r: Row): BucketRecord {
  return { name: str(r.name), owner: str(r.owner), createdAt: num(r.created_at), extras: json<BucketExtras>(r.extras) };
}

function toObject(r: Row): ObjectRecord {
  return {
    bucket: str(r.bucket), key: str(r.key), versionId: str(r.version_id), size: num(r.size), etag: str(r.etag),
    lastModified: num(r.last_modified), owner: str(r.owner), headers: map(r.headers),
    userMetadata: map(r.user_metadata), isDirectory: r.is_directory === 1,
    partSizes: r.part_sizes === null ? null : (JSON.parse(str(r.part_sizes)) as number[]), dataId: str(r.data_id),
    extras: json<ObjectExtras>(r.extras),
  };
}

function objectParams(o: ObjectRecord): SQLInputValue[] {
  return [
    o.bucket, o.key, o.versionId, o.size, o.etag, o.lastModified, o.owner,
    JSON.stringify(o.headers), JSON.stringify(o.userMetadata), o.isDirectory ? 1 : 0,
    o.partSizes === null ? null : JSON.stringify(o.partSizes), o.dataId, JSON.stringify(o.extras),
  ];
}

function toUpload(r: Row): UploadRecord {
  return {
    uploadId: str(r.upload_id), bucket: str(r.bucket), key: str(r.key), owner: str(r.owner),
    initiated: num(r.initiated), headers: map(r.headers), userMetadata: map(r.user_metadata),
    extras: json<UploadExtras>(r.extras),
  };
}

function toPart(r: Row): PartRecord {
  return {
    uploadId: str(r.upload_id), partNumber: num(r.part_number), size: num(r.size), etag: str(r.etag),
    lastModified: num(r.last_modified), path: str(r.path), extras: json<PartExtras>(r.extras),
  };
}

function toIntent(r: Row): IntentRecord {
  const object = JSON.parse(str(r.object)) as ObjectRecord;
  return { id: str(r.id), stagedPath: str(r.staged_path), object, created: num(r.created) };
}

/** A queued write: `apply` runs inside the batch transaction, `fail` rejects its promise. */
interface PendingWrite {
  apply(): () => void;
  fail(reason: unknown): void;
  /** Whether the caller must wait for the commit to reach the disk. */
  durable: boolean;
}

function migrate(db: DatabaseSync): void {
  // IMMEDIATE: two processes opening a fresh file must not both run step 0.
  db.exec('BEGIN IMMEDIATE');
  try {
    let version = db.prepare('PRAGMA user_version').get()?.user_version as number;
    if (version > MIGRATIONS.length) {
      throw new Error(`metadata schema version ${version} is newer than this build knows (${MIGRATIONS.length})`);
    }
    for (; version < MIGRATIONS.length; version++) db.exec(MIGRATIONS[version]);
    db.exec(`PRAGMA user_version = ${version}`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    begin: p('BEGIN IMMEDIATE'),
    commit: p('COMMIT'),
    rollback: p('ROLLBACK'),
    savepoint: p('SAVEPOINT op'),
    release: p('RELEASE op'),
    rollbackTo: p('ROLLBACK TO op'),
    insertBucket: p(`INSERT INTO buckets (${BUCKET_COLUMNS}) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    updateBucketExtras: p('UPDATE buckets SET extras = ? WHERE name = ?'),
    getBucket: p(`SELECT ${BUCKET_COLUMNS} FROM buckets WHERE name = ?`),
    listAllBuckets: p(`SELECT ${BUCKET_COLUMNS} FROM buckets ORDER BY name`),
    listOwnerBuckets: p(`SELECT ${BUCKET_COLUMNS} FROM buckets WHERE owner = ? ORDER BY name`),
    bucketHasObject: p('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1'),
    bucketHasUpload: p('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1'),
    deleteBucket: p('DELETE FROM buckets WHERE name = ?'),
    // "Latest" only matters once versioning lands; until then each key has one row.
    getObject: p(
      `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?
       ORDER BY last_modified DESC, version_id DESC LIMIT 1`,
    ),
    putObject: p(`INSERT OR REPLACE INTO objects (${OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    deleteObject: p('DELETE FROM objects WHERE bucket = ? AND key = ? AND version_id = ?'),
    insertUpload: p(`INSERT INTO uploads (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    getUpload: p(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?`),
    deleteUpload: p('DELETE FROM uploads WHERE upload_id = ?'),
    getPart: p(`SELECT ${PART_COLUMNS} FROM parts WHERE upload_id = ? AND part_number = ?`),
    putPart: p(`INSERT OR REPLACE INTO parts (${PART_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    listParts: p(`SELECT ${PART_COLUMNS} FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?`),
    allParts: p(`SELECT ${PART_COLUMNS} FROM parts WHERE upload_id = ? ORDER BY part_number`),
    deleteParts: p('DELETE FROM parts WHERE upload_id = ?'),
    insertIntent: p('INSERT INTO intents (id, staged_path, object, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    deleteIntent: p('DELETE FROM intents WHERE id = ?'),
    listIntents: p('SELECT id, staged_path, object, created FROM intents ORDER BY created, id'),
  };
}

export class SqliteMetadataStore implements MetadataStore {
  private readonly db: DatabaseSync;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  /** List statements vary in shape (which bounds apply); each shape is prepared once. */
  private readonly listStatements = new Map<string, StatementSync>();
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly walPath: string | undefined;
  private wal: Promise<FileHandle> | undefined;
  /** The WAL sync that has been asked for but not started: later batches join it. */
  private nextSync: Promise<void> | undefined;
  private lastSync: Promise<void> = Promise.resolve();

  private constructor(db: DatabaseSync, walPath: string | undefined) {
    this.db = db;
    this.stmt = prepareStatements(db);
    this.walPath = walPath;
  }

  static open(file: string, options: { durable: boolean }): SqliteMetadataStore {
    mkdirSync(dirname(file), { recursive: true });
    const db = new DatabaseSync(file);
    try {
      db.exec('PRAGMA busy_timeout = 10000');
      db.exec('PRAGMA journal_mode = WAL');
      // Durable mode does not let SQLite fsync at COMMIT (that would block the
      // event loop): it fsyncs the WAL file itself, off the main thread, once
      // per group of commits, before any of their writers is answered.
      // NORMAL keeps checkpoints synced, so the main file is never behind the WAL it dropped.
      db.exec(`PRAGMA synchronous = ${options.durable ? 'NORMAL' : 'OFF'}`);
      migrate(db);
      return new SqliteMetadataStore(db, options.durable ? `${file}-wal` : undefined);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async createBucket(bucket: BucketRecord): Promise<void> {
    return this.enqueue(() => {
      const r = this.stmt.insertBucket.run(bucket.name, bucket.owner, bucket.createdAt, JSON.stringify(bucket.extras));
      if (r.changes === 0) throw new MetaConflictError(`bucket ${bucket.name} already exists`);
    });
  }

  async getBucket(name: string): Promise<BucketRecord | undefined> {
    const r = this.stmt.getBucket.get(name);
    return r === undefined ? undefined : toBucket(r);
  }

  async listBuckets(owner?: string): Promise<BucketRecord[]> {
    const rows = owner === undefined ? this.stmt.listAllBuckets.all() : this.stmt.listOwnerBuckets.all(owner);
    return rows.map(toBucket);
  }

  async deleteBucket(name: string): Promise<void> {
    return this.enqueue(() => {
      // Checked inside the write transaction so a concurrent put cannot slip in between.
      if (this.stmt.bucketHasObject.get(name)) throw new MetaConflictError(`bucket ${name} is not empty`);
      if (this.stmt.bucketHasUpload.get(name)) throw new MetaConflictError(`bucket ${name} has uploads in progress`);
      this.stmt.deleteBucket.run(name);
    });
  }

  async updateBucketExtras(name: string, extras: BucketExtras): Promise<void> {
    return this.enqueue(() => {
      if (this.stmt.updateBucketExtras.run(JSON.stringify(extras), name).changes === 0) {
        throw new MetaNotFoundError(`bucket ${name} does not exist`);
      }
    });
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    const r = this.stmt.getObject.get(bucket, key);
    return r === undefined ? undefined : toObject(r);
  }

  async putObject(object: ObjectRecord): Promise<void> {
    return this.enqueue(() => void this.stmt.putObject.run(...objectParams(object)));
  }

  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    return this.enqueue(() => {
      const r = this.stmt.getObject.get(bucket, key);
      if (r === undefined) return undefined;
      const removed = toObject(r);
      this.stmt.deleteObject.run(bucket, key, removed.versionId);
      return removed;
    });
  }

  async listObjects(bucket: string, query: ListObjectsQuery): Promise<ObjectRecord[]> {
    const q = listObjectsQuery(bucket, query);
    return this.listStatement(q.sql).all(...q.params).map(toObject);
  }

  async listKeys(bucket: string, query: ListObjectsQuery): Promise<string[]> {
    const q = listObjectsQuery(bucket, query);
    const sql = q.sql.replace(`SELECT ${OBJECT_COLUMNS} FROM`, 'SELECT key FROM');
    return this.listStatement(sql).all(...q.params).map((r) => str(r.key));
  }

  async createUpload(upload: UploadRecord): Promise<void> {
    return this.enqueue(() => {
      const r = this.stmt.insertUpload.run(
        upload.uploadId, upload.bucket, upload.key, upload.owner, upload.initiated,
        JSON.stringify(upload.headers), JSON.stringify(upload.userMetadata), JSON.stringify(upload.extras),
      );
      if (r.changes === 0) throw new MetaConflictError(`upload ${upload.uploadId} already exists`);
    });
  }

  async getUpload(uploadId: string): Promise<UploadRecord | undefined> {
    const r = this.stmt.getUpload.get(uploadId);
    return r === undefined ? undefined : toUpload(r);
  }

  async listUploads(bucket: string, query: ListUploadsQuery): Promise<UploadRecord[]> {
    const q = listUploadsQuery(bucket, query);
    return this.listStatement(q.sql).all(...q.params).map(toUpload);
  }

  async deleteUpload(uploadId: string): Promise<PartRecord[]> {
    return this.enqueue(() => {
      const parts = this.stmt.allParts.all(uploadId).map(toPart);
      this.stmt.deleteParts.run(uploadId);
      this.stmt.deleteUpload.run(uploadId);
      return parts;
    });
  }

  async putPart(part: PartRecord): Promise<PartRecord | undefined> {
    return this.enqueue(() => {
      // A part landing after an abort would be an orphan row nothing ever cleans up.
      if (!this.stmt.getUpload.get(part.uploadId)) throw new MetaNotFoundError(`upload ${part.uploadId} does not exist`);
      const old = this.stmt.getPart.get(part.uploadId, part.partNumber);
      this.stmt.putPart.run(part.uploadId, part.partNumber, part.size, part.etag, part.lastModified, part.path, JSON.stringify(part.extras));
      return old === undefined ? undefined : toPart(old);
    });
  }

  async listParts(uploadId: string, after: number, limit: number): Promise<PartRecord[]> {
    return this.stmt.listParts.all(uploadId, after, rowLimit(limit)).map(toPart);
  }

  async completeUpload(uploadId: string, object: ObjectRecord): Promise<void> {
    return this.enqueue(() => {
      this.stmt.putObject.run(...objectParams(object));
      this.stmt.deleteParts.run(uploadId);
      // Thrown after the writes on purpose: the savepoint rollback undoes the object row.
      if (this.stmt.deleteUpload.run(uploadId).changes === 0) throw new MetaNotFoundError(`upload ${uploadId} does not exist`);
    });
  }

  async addIntent(intent: IntentRecord): Promise<void> {
    return this.enqueue(() => {
      const r = this.stmt.insertIntent.run(intent.id, intent.stagedPath, JSON.stringify(intent.object), intent.created);
      if (r.changes === 0) throw new MetaConflictError(`intent ${intent.id} already exists`);
    });
  }

  async resolveIntent(id: string, object: ObjectRecord | undefined): Promise<void> {
    // Not waited to disk: the intent already is, and recovery finishes it the same way.
    return this.enqueue(() => {
      if (object !== undefined) this.stmt.putObject.run(...objectParams(object));
      if (this.stmt.deleteIntent.run(id).changes === 0) throw new MetaNotFoundError(`intent ${id} does not exist`);
    }, false);
  }

  async listIntents(): Promise<IntentRecord[]> {
    return this.stmt.listIntents.all().map(toIntent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    await this.lastSync.catch(() => {});
    if (this.wal) await (await this.wal).close().catch(() => {});
    this.db.close();
  }

  /** fdatasync of the WAL, shared by every commit made before it starts. */
  private syncWal(): Promise<void> {
    if (this.walPath === undefined) return Promise.resolve();
    if (this.nextSync) return this.nextSync;
    const walPath = this.walPath;
    const next = this.lastSync.catch(() => {}).then(async () => {
      this.nextSync = undefined;
      this.wal ??= openFile(walPath, 'r');
      await (await this.wal).datasync();
    });
    this.nextSync = next;
    this.lastSync = next;
    return next;
  }

  private listStatement(sql: string): StatementSync {
    let s = this.listStatements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.listStatements.set(sql, s);
    }
    return s;
  }

  private enqueue<T>(run: () => T, durable = true): Promise<T> {
    if (this.closed) return Promise.reject(new Error('metadata store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        apply: () => {
          const value = run();
          return () => resolve(value);
        },
        fail: reject,
        durable,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Runs every queued write in one transaction, each in its own savepoint so a
   * failing write rolls back alone. Promises settle only after COMMIT returns
   * and, for durable writes in durable mode, after the WAL is synced.
   */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const settle: Array<() => void> = [];
    try {
      this.stmt.begin.run();
      for (const op of batch) {
        this.stmt.savepoint.run();
        try {
          settle.push(op.apply());
        } catch (err) {
          this.stmt.rollbackTo.run();
          settle.push(() => op.fail(err));
        }
        this.stmt.release.run();
      }
      this.stmt.commit.run();
    } catch (err) {
      // The transaction itself failed (I/O error, disk full, ...): nothing in it committed.
      try {
        if (this.db.isTransaction) this.stmt.rollback.run();
      } catch {
        // SQLite already rolled back; the original error is the one to report.
      }
      for (const op of batch) op.fail(err);
      return;
    }
    if (this.walPath === undefined || !batch.some((op) => op.durable)) {
      for (const s of settle) s();
      return;
    }
    this.syncWal().then(
      () => { for (const s of settle) s(); },
      (err: unknown) => { for (const op of batch) op.fail(err); },
    );
  }
}
