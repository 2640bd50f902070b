// The SQLite schema: versioned migration steps and the column lists every
// statement shares.
import type { DatabaseSync } from 'node:sqlite';

/**
 * Schema steps: MIGRATIONS[i] takes `PRAGMA user_version` from i to i + 1.
 * Append new steps; never edit a released one, databases in the field ran it.
 * Keys use BINARY collation, which on a UTF-8 database is UTF-8 byte order (S3's order).
 */
export const MIGRATIONS: readonly string[] = [
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
  // Credentials, the mount table and the ASYNC_THROUGH persist queue.
  `CREATE TABLE users (name TEXT NOT NULL PRIMARY KEY, is_root INTEGER NOT NULL, created INTEGER NOT NULL) STRICT;
   CREATE TABLE access_keys (
     access_key_id TEXT NOT NULL PRIMARY KEY, user TEXT NOT NULL, sealed_secret TEXT NOT NULL, created INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX access_keys_by_user ON access_keys (user, access_key_id);
   CREATE TABLE mounts (path TEXT NOT NULL PRIMARY KEY, uri TEXT NOT NULL, options TEXT NOT NULL, created INTEGER NOT NULL) STRICT;
   CREATE TABLE persist_tasks (
     id TEXT NOT NULL PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, data_id TEXT NOT NULL,
     enqueued INTEGER NOT NULL, attempts INTEGER NOT NULL, not_before INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX persist_tasks_due ON persist_tasks (not_before, enqueued);`,
];

export const OBJECT_COLUMNS =
  'bucket, key, version_id, size, etag, last_modified, owner, headers, user_metadata, is_directory, part_sizes, data_id, extras';
export const UPLOAD_COLUMNS = 'upload_id, bucket, key, owner, initiated, headers, user_metadata, extras';
export const PART_COLUMNS = 'upload_id, part_number, size, etag, last_modified, path, extras';
export const BUCKET_COLUMNS = 'name, owner, created_at, extras';

export function migrate(db: DatabaseSync): void {
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

