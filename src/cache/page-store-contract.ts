// The PageStore contract suite: every store (memory, disk) calls
// `pageStoreContract` from its own test file and must pass it unchanged.
// Only the interface is used. Pinned here beyond the interface comments:
// - a refused put (no room) leaves the store exactly as it was, including a
//   page with the same key;
// - concurrent puts never take the store past its capacity;
// - an invalid key is a programmer error: put rejects with RangeError, get misses;
// - an empty page is a page;
// - a page put in several chunks reads back as the same bytes (chunking is the store's).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { PageKey, PageStore } from './page-store.ts';

const key = (fileId: string, index: number): PageKey => ({ fileId, index });

/** The page's bytes in one buffer, whatever chunks the store returns them in. */
async function pageBytes(store: PageStore, k: PageKey): Promise<Buffer | undefined> {
  const chunks = await store.get(k);
  return chunks === undefined ? undefined : Buffer.concat(chunks);
}

export function pageStoreContract(name: string, makeStore: (capacity: number) => Promise<PageStore>): void {
  describe(`PageStore contract: ${name}`, () => {
    it('misses a page it never stored', async () => {
      const store = await makeStore(1000);
      assert.equal(await store.get(key('f1', 0)), undefined);
      assert.equal(store.has(key('f1', 0)), false);
      assert.equal(store.bytesUsed(), 0);
      assert.equal(store.capacity, 1000);
    });

    it('returns exactly the bytes put, per key', async () => {
      const store = await makeStore(1000);
      const a = randomBytes(100);
      const b = randomBytes(50);
      assert.equal(await store.put(key('f1', 0), [a]), true);
      assert.equal(await store.put(key('f1', 1), [b]), true);
      assert.deepEqual(await pageBytes(store, key('f1', 0)), a);
      assert.deepEqual(await pageBytes(store, key('f1', 1)), b);
      assert.equal(store.has(key('f1', 1)), true);
      assert.equal(store.bytesUsed(), 150);
    });

    it('keeps keys that would collide if concatenated apart', async () => {
      const store = await makeStore(1000);
      await store.put(key('ab', 12), [Buffer.from('first')]);
      await store.put(key('ab1', 2), [Buffer.from('second')]);
      assert.equal((await pageBytes(store, key('ab', 12)))?.toString(), 'first');
      assert.equal((await pageBytes(store, key('ab1', 2)))?.toString(), 'second');
    });

    it('copes with a page that is a view into a larger buffer', async () => {
      const store = await makeStore(1000);
      const parent = randomBytes(600);
      assert.equal(await store.put(key('f1', 0), [parent.subarray(100, 300)]), true);
      assert.deepEqual(await pageBytes(store, key('f1', 0)), parent.subarray(100, 300));
      assert.equal(store.bytesUsed(), 200);
    });

    it('returns a page given in several chunks as the same bytes, accounted once', async () => {
      const store = await makeStore(1000);
      const parts = [randomBytes(30), randomBytes(1), Buffer.alloc(0), randomBytes(69)];
      assert.equal(await store.put(key('f1', 0), parts), true);
      assert.deepEqual(await pageBytes(store, key('f1', 0)), Buffer.concat(parts));
      assert.equal(store.bytesUsed(), 100);
      assert.deepEqual(store.entries(), [{ key: key('f1', 0), size: 100 }]);
    });

    it('stores an empty page', async () => {
      const store = await makeStore(1000);
      assert.equal(await store.put(key('f1', 0), [Buffer.alloc(0)]), true);
      assert.deepEqual(await pageBytes(store, key('f1', 0)), Buffer.alloc(0));
      assert.equal(store.has(key('f1', 0)), true);
    });

    it('replaces a page with the same key and accounts the new size', async () => {
      const store = await makeStore(1000);
      await store.put(key('f1', 0), [randomBytes(300)]);
      const replacement = randomBytes(120);
      assert.equal(await store.put(key('f1', 0), [replacement]), true);
      assert.deepEqual(await pageBytes(store, key('f1', 0)), replacement);
      assert.equal(store.bytesUsed(), 120);
      assert.equal(store.entries().length, 1);
    });

    it('deletes a page; deleting an absent page is a no-op', async () => {
      const store = await makeStore(1000);
      await store.put(key('f1', 0), [randomBytes(10)]);
      await store.put(key('f1', 1), [randomBytes(20)]);
      await store.delete(key('f1', 0));
      await store.delete(key('f1', 0));
      await store.delete(key('nope', 3));
      assert.equal(await store.get(key('f1', 0)), undefined);
      assert.equal(store.has(key('f1', 0)), false);
      assert.equal(store.bytesUsed(), 20);
      await store.delete(key('f1', 1));
      assert.equal(store.bytesUsed(), 0);
      assert.deepEqual(store.entries(), []);
    });

    it('accepts a put up to its capacity and refuses one past it, changing nothing', async () => {
      const store = await makeStore(250);
      assert.equal(await store.put(key('f1', 0), [randomBytes(150)]), true);
      const kept = randomBytes(100);
      assert.equal(await store.put(key('f1', 1), [kept]), true);
      assert.equal(store.bytesUsed(), 250);
      assert.equal(await store.put(key('f1', 2), [randomBytes(1)]), false);
      assert.equal(await store.put(key('f1', 1), [randomBytes(101)]), false, 'a growing replacement must fit too');
      assert.deepEqual(await pageBytes(store, key('f1', 1)), kept);
      assert.equal(store.has(key('f1', 2)), false);
      assert.equal(store.bytesUsed(), 250);
    });

    it('never exceeds its capacity under concurrent puts', async () => {
      const store = await makeStore(550);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.put(key(`file${i}`, i), [randomBytes(100)])),
      );
      assert.equal(results.filter(Boolean).length, 5);
      assert.equal(store.bytesUsed(), 500);
      assert.equal(store.entries().length, 5);
      for (let i = 0; i < 10; i++) assert.equal(store.has(key(`file${i}`, i)), results[i]);
    });

    it('lists its pages with sizes, least recently written first', async () => {
      const store = await makeStore(1000);
      await store.put(key('f1', 0), [randomBytes(10)]);
      await store.put(key('f2', 5), [randomBytes(20)]);
      await store.put(key('f1', 1), [randomBytes(30)]);
      await store.put(key('f1', 0), [randomBytes(40)]);
      assert.deepEqual(store.entries(), [
        { key: { fileId: 'f2', index: 5 }, size: 20 },
        { key: { fileId: 'f1', index: 1 }, size: 30 },
        { key: { fileId: 'f1', index: 0 }, size: 40 },
      ]);
    });

    it('rejects invalid keys on put and misses them on get', async () => {
      const store = await makeStore(1000);
      for (const bad of [key('../etc', 0), key('a/b', 0), key('', 0), key('f1', -1), key('f1', 1.5)]) {
        await assert.rejects(store.put(bad, [Buffer.from('x')]), RangeError);
        assert.equal(await store.get(bad), undefined);
      }
      assert.equal(store.bytesUsed(), 0);
    });

    it('counts no errors in normal operation', async () => {
      const store = await makeStore(1000);
      await store.put(key('f1', 0), [randomBytes(10)]);
      await store.get(key('f1', 0));
      await store.get(key('f1', 9));
      await store.delete(key('f1', 0));
      assert.deepEqual(store.errors(), { corruptPages: 0, readErrors: 0, writeErrors: 0, deleteErrors: 0 });
    });
  });
}
