// Runs the MetadataStore contract against SqliteMetadataStore, plus what only
// SQLite has: query plans, pragmas, schema versioning, listing at scale.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { metadataStoreContract } from '../contract.ts';
import { metadataStoreAdminContract } from '../contract-admin.ts';
import { NULL_VERSION, type ObjectRecord } from '../metadata-store.ts';
import { listObjectsQuery, listUploadsQuery, prefixUpperBound, SqliteMetadataStore } from './sqlite-store.ts';

const root = await mkdtemp(join(tmpdir(), 'strata-meta-'));
after(async () => {
  await rm(root, { recursive: true, force: true });
});

// A subdirectory that does not exist yet: open() must create it.
const contractFile = join(root, 'contract', 'nested', 'meta.db');
metadataStoreContract('sqlite', async () => SqliteMetadataStore.open(contractFile, { durable: true }));
metadataStoreAdminContract('sqlite', async () => SqliteMetadataStore.open(contractFile, { durable: true }));

const row = (bucket: string, key: string): ObjectRecord => ({
  bucket,
  key,
  versionId: NULL_VERSION,
  size: 1,
  etag: 'd41d8cd98f00b204e9800998ecf8427e',
  lastModified: 1,
  owner: 'o',
  headers: {},
  userMetadata: {},
  isDirectory: false,
  partSizes: null,
  dataId: key,
  extras: {},
});

/** The plan's detail lines, from a second connection (the store keeps its own private). */
function plan(file: string, q: { sql: string; params: SQLInputValue[] }): string[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params).map((r) => String(r.detail));
  } finally {
    db.close();
  }
}

describe('SqliteMetadataStore specifics', () => {
  it('computes prefix upper bounds by code point', () => {
    assert.equal(prefixUpperBound(''), undefined);
    assert.equal(prefixUpperBound('a'), 'b');
    assert.equal(prefixUpperBound('a/'), 'a0');
    assert.equal(prefixUpperBound('é'), 'ê');
    assert.equal(prefixUpperBound('\u{1F600}'), '\u{1F601}');
    assert.equal(prefixUpperBound('x\uD7FF'), 'x\uE000');
    assert.equal(prefixUpperBound('x\uFFFF'), 'x\u{10000}');
    assert.equal(prefixUpperBound('a\u{10FFFF}'), 'b');
    assert.equal(prefixUpperBound('\u{10FFFF}\u{10FFFF}'), undefined);
  });

  it('lists with an index range scan and no sort', async () => {
    const file = join(root, 'plan.db');
    const store = SqliteMetadataStore.open(file, { durable: true });
    await store.close();
    const objectQueries = [
      listObjectsQuery('b', { prefix: '', limit: 10 }),
      listObjectsQuery('b', { prefix: 'a/', limit: 10 }),
      listObjectsQuery('b', { prefix: 'a/', after: 'a/x', limit: 10 }),
      listObjectsQuery('b', { prefix: 'a/', after: 'a/x', from: 'a/y', limit: 10 }),
    ];
    for (const q of objectQueries) {
      const detail = plan(file, q);
      assert.equal(detail.length, 1, detail.join('\n'));
      assert.ok(!detail.some((d) => d.includes('TEMP B-TREE')), detail.join('\n'));
      assert.match(detail[0], /^SEARCH objects USING PRIMARY KEY \(bucket=\? AND key>\?/);
      // Exactly one lower bound: the deep-page seek must not start at the prefix.
      assert.equal(q.sql.match(/key >=? \?/g)?.length, 1, q.sql);
    }
    assert.match(plan(file, objectQueries[1])[0], /key>\? AND key<\?\)$/);
    const uploadQueries = [
      listUploadsQuery('b', { prefix: 'a/', limit: 10 }),
      listUploadsQuery('b', { prefix: 'a/', afterKey: 'a/k', limit: 10 }),
      listUploadsQuery('b', { prefix: 'a/', afterKey: 'a/k', afterUploadId: 'u', limit: 10 }),
    ];
    for (const q of uploadQueries) {
      const detail = plan(file, q);
      assert.equal(detail.length, 1, detail.join('\n'));
      assert.ok(!detail.some((d) => d.includes('TEMP B-TREE')), detail.join('\n'));
      assert.match(detail[0], /^SEARCH uploads USING INDEX uploads_by_key \(bucket=\? AND /);
    }
    assert.match(plan(file, uploadQueries[2])[0], /\(key,upload_id\)>\(\?,\?\)/);
  });

  it('folds after/from/prefix into the tightest lower bound', () => {
    assert.deepEqual(listObjectsQuery('b', { prefix: 'p', after: 'a', from: 'pz', limit: 5 }).params, ['b', 'pz', 'q', 5]);
    assert.deepEqual(listObjectsQuery('b', { prefix: 'p', after: 'pz', from: 'pz', limit: 5 }).params, ['b', 'pz', 'q', 5]);
    assert.match(listObjectsQuery('b', { prefix: 'p', after: 'pz', from: 'pz', limit: 5 }).sql, /key > \?/);
    // UTF-8 order, not UTF-16: U+FF5A is below U+1F600 in bytes.
    assert.deepEqual(listObjectsQuery('b', { prefix: '', after: '\u{1F600}', from: 'ｚ', limit: 1 }).params, [
      'b',
      '\u{1F600}',
      1,
    ]);
  });

  it('creates the schema at the latest version in WAL mode and refuses a newer schema', async () => {
    const file = join(root, 'schema.db');
    await SqliteMetadataStore.open(file, { durable: false }).close();
    await SqliteMetadataStore.open(file, { durable: false }).close();
    const db = new DatabaseSync(file);
    assert.equal(db.prepare('PRAGMA user_version').get()?.user_version, 3);
    assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all();
    assert.deepEqual(tables.map((t) => t.name), ['access_keys', 'buckets', 'intents', 'mounts', 'objects', 'parts', 'persist_tasks', 'uploads', 'users']);
    db.exec('PRAGMA user_version = 99');
    db.close();
    assert.throws(() => SqliteMetadataStore.open(file, { durable: false }), /schema version 99 is newer/);
  });

  it('works with durable=false and rejects writes after close', async () => {
    const file = join(root, 'fast.db');
    let store = SqliteMetadataStore.open(file, { durable: false });
    await store.createBucket({ name: 'b', owner: 'o', createdAt: 1, extras: {} });
    await store.putObject(row('b', 'k'));
    await store.close();
    await assert.rejects(store.putObject(row('b', 'late')), /closed/);
    store = SqliteMetadataStore.open(file, { durable: false });
    assert.deepEqual(await store.getObject('b', 'k'), row('b', 'k'));
    assert.equal(await store.getObject('b', 'late'), undefined);
    await store.close();
  });

  it('pages a prefix of a 100,000-row bucket', async () => {
    const store = SqliteMetadataStore.open(join(root, 'big.db'), { durable: false });
    try {
      await store.createBucket({ name: 'big', owner: 'o', createdAt: 1, extras: {} });
      const pad = (n: number, w: number) => String(n).padStart(w, '0');
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 100_000; i++) {
        writes.push(store.putObject(row('big', `dir${pad(Math.floor(i / 1000), 3)}/obj${pad(i % 1000, 4)}`)));
      }
      await Promise.all(writes);
      const keys = async (q: { prefix: string; after?: string; from?: string; limit: number }) =>
        (await store.listObjects('big', q)).map((o) => o.key);
      assert.deepEqual(await keys({ prefix: 'dir042/', after: 'dir042/obj0499', limit: 3 }), [
        'dir042/obj0500', 'dir042/obj0501', 'dir042/obj0502',
      ]);
      assert.deepEqual(await keys({ prefix: 'dir099/', after: 'dir099/obj0998', limit: 10 }), ['dir099/obj0999']);
      assert.deepEqual(await keys({ prefix: 'dir05', from: 'dir057/', limit: 2 }), ['dir057/obj0000', 'dir057/obj0001']);
      assert.deepEqual(await keys({ prefix: 'dir000/', limit: 2 }), ['dir000/obj0000', 'dir000/obj0001']);
      assert.deepEqual(await keys({ prefix: 'dir100', limit: 2 }), []);
      assert.equal((await store.listObjects('big', { prefix: 'dir013/', limit: 5000 })).length, 1000);
    } finally {
      await store.close();
    }
  });
});
