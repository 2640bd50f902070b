// Tests for LRUEvictor: victims in least-recently-used order (inserts and
// accesses both count as use), removal, pinning (a pinned key is never a
// victim; unpinned it returns as most recently used), unknown keys ignored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LRUEvictor } from './evictor.ts';

/** Victims in order, removing each: the whole eviction sequence. */
function drain(evictor: LRUEvictor<string>): string[] {
  const order: string[] = [];
  for (let victim = evictor.pickVictim(); victim !== undefined; victim = evictor.pickVictim()) {
    order.push(victim);
    evictor.onRemove(victim);
  }
  return order;
}

function withKeys(...keys: string[]): LRUEvictor<string> {
  const evictor = new LRUEvictor<string>();
  for (const k of keys) evictor.onInsert(k, 1);
  return evictor;
}

describe('LRUEvictor', () => {
  it('has no victim when empty', () => {
    assert.equal(new LRUEvictor<string>().pickVictim(), undefined);
  });

  it('picks in insertion order without accesses, and does not remove the victim itself', () => {
    const evictor = withKeys('a', 'b', 'c');
    assert.equal(evictor.pickVictim(), 'a');
    assert.equal(evictor.pickVictim(), 'a');
    assert.equal(evictor.size, 3);
    assert.deepEqual(drain(evictor), ['a', 'b', 'c']);
    assert.equal(evictor.size, 0);
  });

  it('moves an accessed or re-inserted key to most recently used', () => {
    const evictor = withKeys('a', 'b', 'c', 'd');
    evictor.onAccess('a');
    evictor.onAccess('c');
    evictor.onInsert('b', 5);
    assert.deepEqual(drain(evictor), ['d', 'a', 'c', 'b']);
  });

  it('forgets a removed key', () => {
    const evictor = withKeys('a', 'b', 'c');
    evictor.onRemove('a');
    evictor.onRemove('zzz');
    assert.equal(evictor.size, 2);
    assert.deepEqual(drain(evictor), ['b', 'c']);
  });

  it('ignores accesses and pins of unknown keys', () => {
    const evictor = withKeys('a');
    evictor.onAccess('x');
    evictor.pin('x');
    assert.equal(evictor.isPinned('x'), false);
    assert.equal(evictor.size, 1);
    evictor.onInsert('x', 1);
    assert.deepEqual(drain(evictor), ['a', 'x'], 'a pin before the insert does not stick');
  });

  it('never picks a pinned key, even the least recently used one', () => {
    const evictor = withKeys('a', 'b', 'c');
    evictor.pin('a');
    evictor.pin('c');
    assert.equal(evictor.isPinned('a'), true);
    assert.equal(evictor.pickVictim(), 'b');
    evictor.onRemove('b');
    assert.equal(evictor.pickVictim(), undefined, 'all that is left is pinned');
    assert.equal(evictor.size, 2);
  });

  it('keeps a pinned key pinned through accesses and re-inserts', () => {
    const evictor = withKeys('a', 'b');
    evictor.pin('a');
    evictor.onAccess('a');
    evictor.onInsert('a', 9);
    assert.equal(evictor.isPinned('a'), true);
    assert.deepEqual(drain(evictor), ['b']);
  });

  it('returns an unpinned key as most recently used', () => {
    const evictor = withKeys('a', 'b', 'c');
    evictor.pin('a');
    evictor.onAccess('b');
    evictor.unpin('a');
    evictor.unpin('zzz');
    assert.equal(evictor.isPinned('a'), false);
    assert.deepEqual(drain(evictor), ['c', 'b', 'a']);
  });

  it('removes a pinned key on onRemove', () => {
    const evictor = withKeys('a');
    evictor.pin('a');
    evictor.onRemove('a');
    assert.equal(evictor.size, 0);
    assert.equal(evictor.isPinned('a'), false);
  });
});
