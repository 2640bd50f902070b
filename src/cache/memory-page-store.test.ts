// Tests for MemoryPageStore: the shared PageStore contract, plus that chunks
// are kept as given unless they are views into much larger buffers, which are
// copied (so the cache does not pin the parents).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryPageStore } from './memory-page-store.ts';
import { pageStoreContract } from './page-store-contract.ts';

pageStoreContract('memory', async (capacity) => new MemoryPageStore(capacity));

describe('MemoryPageStore', () => {
  it('keeps whole buffers as they are and copies views that would pin larger ones', async () => {
    const store = new MemoryPageStore(100_000);
    const whole = [Buffer.alloc(100, 1), Buffer.alloc(50, 3)];
    await store.put({ fileId: 'f', index: 0 }, whole);
    assert.equal(await store.get({ fileId: 'f', index: 0 }), whole);
    const parent = Buffer.alloc(4096, 2);
    await store.put({ fileId: 'f', index: 1 }, [parent.subarray(0, 10), Buffer.alloc(5, 4)]);
    const kept = await store.get({ fileId: 'f', index: 1 });
    assert.equal(kept?.length, 1);
    assert.equal(kept?.[0].buffer.byteLength, 15, 'the 4 KiB parent must not be retained');
    assert.deepEqual(kept?.[0], Buffer.concat([parent.subarray(0, 10), Buffer.alloc(5, 4)]));
    const header = Buffer.alloc(1012, 5);
    const view = [header.subarray(12)];
    await store.put({ fileId: 'f', index: 2 }, view);
    assert.equal(await store.get({ fileId: 'f', index: 2 }), view, 'a view of little more than itself is kept');
  });

  it('rejects a negative capacity', () => {
    assert.throws(() => new MemoryPageStore(-1), RangeError);
  });
});
