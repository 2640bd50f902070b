// Eviction policy, kept apart from storage so it can be swapped (LRU now;
// LFU/ARC/2Q could implement the same interface). A tier tells its evictor
// what it inserts, reads and removes, and asks it for a victim when it needs
// room; the tier does the removal. Pinned keys are never offered as victims.

export interface Evictor<K> {
  /** A key was stored (or re-stored) with `size` bytes. */
  onInsert(key: K, size: number): void;
  /** A stored key was read; unknown keys are ignored. */
  onAccess(key: K): void;
  /** A key left the store; unknown keys are ignored. */
  onRemove(key: K): void;
  /** Protects a known key from eviction until `unpin`; unknown keys are ignored. */
  pin(key: K): void;
  unpin(key: K): void;
  isPinned(key: K): boolean;
  /**
   * The key to evict next, or undefined when every key is pinned (or none is
   * known). Does not remove it: the caller removes it and calls `onRemove`.
   */
  pickVictim(): K | undefined;
  /** Keys tracked, pinned or not. */
  readonly size: number;
}

/**
 * Least recently used. A Map keeps insertion order, so "move to the end" on
 * access and "take the first" for a victim are both O(1). Pinned keys live in
 * a second map, so picking a victim never has to skip over them.
 */
export class LRUEvictor<K> implements Evictor<K> {
  /** Unpinned keys, least recently used first; values are sizes. */
  readonly #order = new Map<K, number>();
  readonly #pinned = new Map<K, number>();

  get size(): number {
    return this.#order.size + this.#pinned.size;
  }

  onInsert(key: K, size: number): void {
    if (this.#pinned.has(key)) {
      this.#pinned.set(key, size);
      return;
    }
    this.#order.delete(key);
    this.#order.set(key, size);
  }

  onAccess(key: K): void {
    const size = this.#order.get(key);
    if (size === undefined) return;
    this.#order.delete(key);
    this.#order.set(key, size);
  }

  onRemove(key: K): void {
    this.#order.delete(key);
    this.#pinned.delete(key);
  }

  pin(key: K): void {
    const size = this.#order.get(key);
    if (size === undefined) return;
    this.#order.delete(key);
    this.#pinned.set(key, size);
  }

  unpin(key: K): void {
    const size = this.#pinned.get(key);
    if (size === undefined) return;
    this.#pinned.delete(key);
    // Back as most recently used: it was in use all along.
    this.#order.set(key, size);
  }

  isPinned(key: K): boolean {
    return this.#pinned.has(key);
  }

  pickVictim(): K | undefined {
    for (const key of this.#order.keys()) return key;
    return undefined;
  }
}
