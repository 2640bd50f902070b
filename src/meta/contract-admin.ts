// The MetadataStore contract, second part: the tables of credentials, the mount
// table and the persist queue. Every implementation runs it beside contract.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MetaConflictError, MetaNotFoundError, type MetadataStore } from './metadata-store.ts';

export function metadataStoreAdminContract(name: string, open: () => Promise<MetadataStore>): void {
  describe(`MetadataStore contract (admin tables): ${name}`, () => {
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    const uniq = (label: string): string => `${label}-${run}-${++counter}`;
    let store: MetadataStore;

    beforeEach(async () => void (store = await open()));
    afterEach(() => store.close());

  describe('users, access keys, mounts and persist tasks', () => {
    it('creates users, refuses a taken name, and deletes a user with its keys', async () => {
      const name = uniq('user');
      await store.createUser({ name, isRoot: false, created: 3 });
      await assert.rejects(store.createUser({ name, isRoot: true, created: 4 }), MetaConflictError);
      assert.deepEqual(await store.getUser(name), { name, isRoot: false, created: 3 });
      const ak = uniq('AK');
      await store.addAccessKey({ accessKeyId: ak, user: name, sealedSecret: 'sealed:abc', created: 5 });
      await assert.rejects(store.addAccessKey({ accessKeyId: ak, user: name, sealedSecret: 'x', created: 6 }), MetaConflictError);
      await assert.rejects(store.addAccessKey({ accessKeyId: uniq('AK'), user: uniq('ghost'), sealedSecret: 'x', created: 6 }), MetaNotFoundError);
      assert.deepEqual(await store.getAccessKey(ak), { accessKeyId: ak, user: name, sealedSecret: 'sealed:abc', created: 5 });
      assert.deepEqual((await store.listAccessKeys(name)).map((k) => k.accessKeyId), [ak]);
      assert.ok((await store.listUsers()).some((u) => u.name === name));
      await store.deleteUser(name);
      assert.equal(await store.getUser(name), undefined);
      assert.equal(await store.getAccessKey(ak), undefined, 'keys go with their user');
      await assert.rejects(store.deleteUser(name), MetaNotFoundError);
    });

    it('deletes one access key', async () => {
      const name = uniq('user');
      await store.createUser({ name, isRoot: true, created: 1 });
      const [a, b] = [uniq('AK'), uniq('AK')];
      await store.addAccessKey({ accessKeyId: a, user: name, sealedSecret: 's1', created: 1 });
      await store.addAccessKey({ accessKeyId: b, user: name, sealedSecret: 's2', created: 2 });
      await store.deleteAccessKey(a);
      assert.deepEqual((await store.listAccessKeys(name)).map((k) => k.accessKeyId), [b]);
    });

    it('puts, replaces, lists and deletes mounts', async () => {
      const path = `/${uniq('mnt')}`;
      await store.putMount({ path, uri: 's3://remote/prefix', options: { region: 'eu-west-1' }, created: 1 });
      await store.putMount({ path, uri: 's3://remote/other', options: { endpoint: 'http://127.0.0.1:1' }, created: 2 });
      const mine = (await store.listMounts()).filter((m) => m.path === path);
      assert.deepEqual(mine, [{ path, uri: 's3://remote/other', options: { endpoint: 'http://127.0.0.1:1' }, created: 2 }]);
      await store.deleteMount(path);
      assert.equal((await store.listMounts()).some((m) => m.path === path), false);
      await assert.rejects(store.deleteMount(path), MetaNotFoundError);
    });

    it('queues persist tasks by due time and updates and deletes them', async () => {
      const bucket = uniq('pq');
      const t = (id: string, notBefore: number, enqueued: number) => ({ id, bucket, key: `k-${id}`, dataId: `d-${id}`, enqueued, attempts: 0, notBefore });
      const [a, b, c] = [uniq('t'), uniq('t'), uniq('t')];
      await store.addPersistTask(t(a, 100, 1));
      await store.addPersistTask(t(b, 50, 2));
      await store.addPersistTask(t(c, 10_000, 3));
      await assert.rejects(store.addPersistTask(t(a, 1, 1)), MetaConflictError);
      const due = (await store.duePersistTasks(200, 100)).filter((x) => x.bucket === bucket);
      assert.deepEqual(due.map((x) => x.id), [b, a]);
      await store.updatePersistTask({ ...t(b, 5_000, 2), attempts: 1 });
      assert.deepEqual((await store.duePersistTasks(200, 100)).filter((x) => x.bucket === bucket).map((x) => x.id), [a]);
      await store.deletePersistTask(a);
      assert.deepEqual((await store.duePersistTasks(20_000, 100)).filter((x) => x.bucket === bucket).map((x) => [x.id, x.attempts]), [[b, 1], [c, 0]]);
      await assert.rejects(store.updatePersistTask(t(a, 1, 1)), MetaNotFoundError);
    });
  });

  });
}
