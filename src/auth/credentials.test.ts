// The credential store and secret sealing, on a real SQLite store.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteMetadataStore } from '../meta/sqlite/sqlite-store.ts';
import { CredentialError, CredentialStore } from './credentials.ts';
import { SecretBox } from './secrets.ts';

describe('SecretBox', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'strata-box-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('creates a private master key file once and reuses it', async () => {
    const file = join(dir, 'keys', 'master.key');
    const first = await SecretBox.open({ file });
    const sealed = first.seal('s3cr3t');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const again = await SecretBox.open({ file });
    assert.equal(again.unseal(sealed), 's3cr3t');
  });

  it('never stores the plain text and refuses altered or foreign ciphertexts', async () => {
    const box = await SecretBox.open({ file: join(dir, 'a.key') });
    const sealed = box.seal('plain-secret-value');
    assert.doesNotMatch(sealed, /plain-secret-value/);
    assert.notEqual(box.seal('plain-secret-value'), sealed, 'a fresh IV every time');
    const other = await SecretBox.open({ file: join(dir, 'b.key') });
    assert.throws(() => other.unseal(sealed));
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    assert.throws(() => box.unseal(`v1:${raw.toString('base64')}`));
  });

  it('takes the key from base64 when given', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const a = await SecretBox.open({ file: join(dir, 'unused.key'), base64Key: key });
    const b = new SecretBox(Buffer.alloc(32, 7));
    assert.equal(b.unseal(a.seal('x')), 'x');
  });
});

describe('CredentialStore', () => {
  let dir: string;
  let store: SqliteMetadataStore;
  let creds: CredentialStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-creds-'));
    store = SqliteMetadataStore.open(join(dir, 'meta.sqlite'), { durable: false });
    creds = new CredentialStore(store, await SecretBox.open({ file: join(dir, 'master.key') }));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds users with generated or given keys and looks them up', async () => {
    const alice = await creds.addUser('alice');
    assert.match(alice.accessKeyId, /^SK[A-Z2-7]{18}$/);
    assert.equal(alice.secretKey.length, 40);
    assert.deepEqual(await creds.lookup(alice.accessKeyId), { user: 'alice', isRoot: false, secretKey: alice.secretKey });
    const bob = await creds.addUser('bob', { accessKeyId: 'BOBKEY', secretKey: 'bob-secret-123' });
    assert.deepEqual(bob, { user: 'bob', accessKeyId: 'BOBKEY', secretKey: 'bob-secret-123' });
    assert.equal(await creds.lookup('NOPE'), undefined);
    await assert.rejects(creds.addUser('alice'), (e: unknown) => e instanceof CredentialError && e.code === 'USER_EXISTS');
    await assert.rejects(creds.addUser('carol', { accessKeyId: 'BOBKEY' }), (e: unknown) => e instanceof CredentialError && e.code === 'KEY_EXISTS');
    await assert.rejects(creds.addUser('bad name!'), (e: unknown) => e instanceof CredentialError && e.code === 'INVALID');
  });

  it('keeps secrets sealed in the database file', async () => {
    await creds.addUser('dora', { accessKeyId: 'DORAKEY', secretKey: 'visible-if-leaked-0000' });
    await store.close();
    store = SqliteMetadataStore.open(join(dir, 'meta.sqlite'), { durable: false });
    creds = new CredentialStore(store, await SecretBox.open({ file: join(dir, 'master.key') }));
    const files = await Promise.all(['meta.sqlite', 'meta.sqlite-wal'].map((f) => readFile(join(dir, f)).catch(() => Buffer.alloc(0))));
    assert.ok(!Buffer.concat(files).includes('visible-if-leaked-0000'));
    assert.equal((await creds.lookup('DORAKEY'))?.secretKey, 'visible-if-leaked-0000');
  });

  it('rotates a user\'s keys and removes users with their keys', async () => {
    const before = await creds.addUser('erin');
    const after = await creds.rotate('erin');
    assert.notEqual(after.accessKeyId, before.accessKeyId);
    assert.equal(await creds.lookup(before.accessKeyId), undefined);
    assert.equal((await creds.lookup(after.accessKeyId))?.user, 'erin');
    await creds.removeUser('erin');
    assert.equal(await creds.lookup(after.accessKeyId), undefined);
    await assert.rejects(creds.removeUser('erin'), (e: unknown) => e instanceof CredentialError && e.code === 'NO_SUCH_USER');
    assert.ok(!(await creds.listUsers()).some((u) => u.name === 'erin'));
  });

  it('bootstraps the root user from configured keys and re-keys it when they change', async () => {
    await creds.bootstrapRoot('ROOTKEY', 'root-secret-1');
    assert.deepEqual(await creds.lookup('ROOTKEY'), { user: 'root', isRoot: true, secretKey: 'root-secret-1' });
    await creds.bootstrapRoot('ROOTKEY', 'root-secret-1');
    await creds.bootstrapRoot('ROOTKEY', 'root-secret-2');
    assert.equal((await creds.lookup('ROOTKEY'))?.secretKey, 'root-secret-2');
    await creds.bootstrapRoot('ROOTKEY2', 'root-secret-3');
    assert.equal(await creds.lookup('ROOTKEY'), undefined, 'the old root key is retired');
    assert.deepEqual((await creds.listUsers()).find((u) => u.name === 'root')?.accessKeyIds, ['ROOTKEY2']);
  });
});
