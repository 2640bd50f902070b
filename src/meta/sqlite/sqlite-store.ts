// SQLite implementation of MetadataStore: the embedded default, one file per gateway.
// Writes are group-committed (every write queued during one event-loop turn shares
// one transaction and one fsync); reads run directly against the committed state.
import { mkdirSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { MetaConflictError, MetaNotFoundError } from '../metadata-store.ts';
import type { BucketRecord, IntentRecord, ListObjectsQuery, ListUploadsQuery, MetadataStore } from '../metadata-store.ts';
import type { BucketExtras, ObjectRecord, PartRecord, UploadRecord } from '../metadata-store.ts';
import type { AccessKeyRecord, MountRecord, PersistTaskRecord, UserRecord } from '../metadata-store.ts';
import { listObjectsQuery, listUploadsQuery, rowLimit } from './queries.ts';
import { map, num, objectParams, str, toAccessKey, toBucket, toIntent, toObject, toPart, toUpload, toUser } from './rows.ts';
import { BUCKET_COLUMNS, OBJECT_COLUMNS, PART_COLUMNS, UPLOAD_COLUMNS, migrate } from './schema.ts';

export { compareUtf8, listObjectsQuery, listUploadsQuery, prefixUpperBound } from './queries.ts';

/** A queued write: `apply` runs inside the batch transaction, `fail` rejects its promise. */
interface PendingWrite {
  apply(): () => void;
  fail(reason: unknown): void;
  /** Whether the caller must wait for the commit to reach the disk. */
  durable: boolean;
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
    insertUser: p('INSERT INTO users (name, is_root, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    getUser: p('SELECT name, is_root, created FROM users WHERE name = ?'),
    listUsers: p('SELECT name, is_root, created FROM users ORDER BY name'),
    deleteUser: p('DELETE FROM users WHERE name = ?'),
    deleteUserKeys: p('DELETE FROM access_keys WHERE user = ?'),
    insertKey: p('INSERT INTO access_keys (access_key_id, user, sealed_secret, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    getKey: p('SELECT access_key_id, user, sealed_secret, created FROM access_keys WHERE access_key_id = ?'),
    listKeys: p('SELECT access_key_id, user, sealed_secret, created FROM access_keys WHERE user = ? ORDER BY access_key_id'),
    deleteKey: p('DELETE FROM access_keys WHERE access_key_id = ?'),
    putMount: p('INSERT OR REPLACE INTO mounts (path, uri, options, created) VALUES (?, ?, ?, ?)'),
    listMounts: p('SELECT path, uri, options, created FROM mounts ORDER BY path'),
    deleteMount: p('DELETE FROM mounts WHERE path = ?'),
    insertTask: p(`INSERT INTO persist_tasks (id, bucket, key, data_id, enqueued, attempts, not_before)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    dueTasks: p(`SELECT id, bucket, key, data_id, enqueued, attempts, not_before FROM persist_tasks
                 WHERE not_before <= ? ORDER BY not_before, enqueued LIMIT ?`),
    updateTask: p('UPDATE persist_tasks SET attempts = ?, not_before = ? WHERE id = ?'),
    deleteTask: p('DELETE FROM persist_tasks WHERE id = ?'),
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

  async createUser(user: UserRecord): Promise<void> {
    return this.enqueue(() => {
      if (this.stmt.insertUser.run(user.name, user.isRoot ? 1 : 0, user.created).changes === 0) {
        throw new MetaConflictError(`user ${user.name} already exists`);
      }
    });
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const r = this.stmt.getUser.get(name);
    return r === undefined ? undefined : toUser(r);
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.stmt.listUsers.all().map(toUser);
  }

  async deleteUser(name: string): Promise<void> {
    return this.enqueue(() => {
      this.stmt.deleteUserKeys.run(name);
      if (this.stmt.deleteUser.run(name).changes === 0) throw new MetaNotFoundError(`user ${name} does not exist`);
    });
  }

  async addAccessKey(key: AccessKeyRecord): Promise<void> {
    return this.enqueue(() => {
      if (!this.stmt.getUser.get(key.user)) throw new MetaNotFoundError(`user ${key.user} does not exist`);
      if (this.stmt.insertKey.run(key.accessKeyId, key.user, key.sealedSecret, key.created).changes === 0) {
        throw new MetaConflictError(`access key ${key.accessKeyId} already exists`);
      }
    });
  }

  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = this.stmt.getKey.get(accessKeyId);
    return r === undefined ? undefined : toAccessKey(r);
  }

  async listAccessKeys(user: string): Promise<AccessKeyRecord[]> {
    return this.stmt.listKeys.all(user).map(toAccessKey);
  }

  async deleteAccessKey(accessKeyId: string): Promise<void> {
    return this.enqueue(() => void this.stmt.deleteKey.run(accessKeyId));
  }

  async putMount(mount: MountRecord): Promise<void> {
    return this.enqueue(() => void this.stmt.putMount.run(mount.path, mount.uri, JSON.stringify(mount.options), mount.created));
  }

  async listMounts(): Promise<MountRecord[]> {
    return this.stmt.listMounts.all().map((r) => ({
      path: str(r.path), uri: str(r.uri), options: map(r.options), created: num(r.created),
    }));
  }

  async deleteMount(path: string): Promise<void> {
    return this.enqueue(() => {
      if (this.stmt.deleteMount.run(path).changes === 0) throw new MetaNotFoundError(`nothing is mounted at ${path}`);
    });
  }

  async addPersistTask(task: PersistTaskRecord): Promise<void> {
    return this.enqueue(() => {
      const r = this.stmt.insertTask.run(task.id, task.bucket, task.key, task.dataId, task.enqueued, task.attempts, task.notBefore);
      if (r.changes === 0) throw new MetaConflictError(`persist task ${task.id} already exists`);
    });
  }

  async duePersistTasks(now: number, limit: number): Promise<PersistTaskRecord[]> {
    return this.stmt.dueTasks.all(now, rowLimit(limit)).map((r) => ({
      id: str(r.id), bucket: str(r.bucket), key: str(r.key), dataId: str(r.data_id),
      enqueued: num(r.enqueued), attempts: num(r.attempts), notBefore: num(r.not_before),
    }));
  }

  async updatePersistTask(task: PersistTaskRecord): Promise<void> {
    return this.enqueue(() => {
      if (this.stmt.updateTask.run(task.attempts, task.notBefore, task.id).changes === 0) {
        throw new MetaNotFoundError(`persist task ${task.id} does not exist`);
      }
    });
  }

  async deletePersistTask(id: string): Promise<void> {
    return this.enqueue(() => void this.stmt.deleteTask.run(id));
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
