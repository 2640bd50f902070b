// Tests for MemoryPageStore: the shared PageStore contract, plus that a view
// into a larger buffer is copied (so the cache does not pin the parent).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryPageStore } from './memory-page-store.ts';
import { pageStoreContract } from './page-store-contract.ts';

pageStoreContract('memory', async (capacity) => new MemoryPageStore(capacity));

describe('MemoryPageStore', () => {
  it('keeps a whole buffer as is and copies a view', async () => {
    const store = new MemoryPageStore(10_000);
    const whole = Buffer.alloc(100, 1);
    await store.put({ fileId: 'f', index: 0 }, whole);
    assert.equal(await store.get({ fileId: 'f', index: 0 }), whole);
    const parent = Buffer.alloc(4096, 2);
    await store.put({ fileId: 'f', index: 1 }, parent.subarray(0, 10));
    const kept = await store.get({ fileId: 'f', index: 1 });
    assert.equal(kept?.buffer.byteLength, 10, 'the 4 KiB parent must not be retained');
  });

  it('rejects a negative capacity', () => {
    assert.throws(() => new MemoryPageStore(-1), RangeError);
  });
});
