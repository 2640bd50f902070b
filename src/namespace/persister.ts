// The ASYNC_THROUGH persister: a background loop that uploads pending objects
// (acknowledged once durable in the data directory) to their mount's store.
// Its queue is the metadata store's persist_tasks table, so it survives a
// restart: a task is deleted only after the object's row says it is persisted.
// A failed upload (store down) is retried with exponential backoff via the
// task's notBefore. Started by app.ts after recovery, stopped on close.
import type { PersistTaskRecord } from '../meta/metadata-store.ts';
import { persistPending } from './persist-pending.ts';
import type { NamespaceDeps } from './types.ts';

export interface PersisterOptions {
  /** Tasks fetched per round. */
  batch?: number;
  /** Delay after a first failure; doubled per attempt up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How often the queue is looked at when nothing woke the persister. */
  idleMs?: number;
  onError?: (err: unknown, task: PersistTaskRecord) => void;
}

export interface RoundResult {
  persisted: number;
  stale: number;
  failed: number;
}

/** Writers wake the persister of their namespace when they queue a task (no wait for the next poll). */
const wakers = new WeakMap<NamespaceDeps, () => void>();

export function notifyPersistQueued(deps: NamespaceDeps): void {
  wakers.get(deps)?.();
}

export function retryDelay(attempts: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

export class Persister {
  readonly #deps: NamespaceDeps;
  readonly #batch: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #idleMs: number;
  readonly #onError: (err: unknown, task: PersistTaskRecord) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(deps: NamespaceDeps, options: PersisterOptions = {}) {
    this.#deps = deps;
    this.#batch = options.batch ?? 16;
    this.#baseDelayMs = options.baseDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#idleMs = options.idleMs ?? 1000;
    this.#onError = options.onError ?? (() => {});
  }

  start(): void {
    this.#stopped = false;
    wakers.set(this.#deps, () => this.wake());
    this.wake();
  }

  /** Runs a round now (or right after the one in progress). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#rounds()
      .catch(() => {}) // the metadata store failed; the next poll tries again
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else if (!this.#stopped) {
          this.#timer = setTimeout(() => this.wake(), this.#idleMs);
          this.#timer.unref();
        }
      });
  }

  async #rounds(): Promise<void> {
    let round: RoundResult & { tasks: number };
    do {
      round = await this.#round();
    } while (!this.#stopped && round.tasks === this.#batch);
  }

  /** One round over the tasks due now; exposed for tests and tools through `runOnce`. */
  async #round(): Promise<RoundResult & { tasks: number }> {
    const result = { persisted: 0, stale: 0, failed: 0, tasks: 0 };
    const tasks = await this.#deps.store.duePersistTasks(Date.now(), this.#batch);
    result.tasks = tasks.length;
    for (const task of tasks) {
      if (this.#stopped) break;
      try {
        const outcome = await persistPending(this.#deps, task.bucket, task.key, task.dataId);
        result[outcome]++;
      } catch (err) {
        result.failed++;
        this.#onError(err, task);
        const attempts = task.attempts + 1;
        const notBefore = Date.now() + retryDelay(attempts, this.#baseDelayMs, this.#maxDelayMs);
        // Gone meanwhile (persisted by `fs persist`, or the object replaced): nothing to retry.
        await this.#deps.store.updatePersistTask({ ...task, attempts, notBefore }).catch(() => {});
      }
    }
    return result;
  }

  /** One round now, whatever the timer says (tests, `fs persist` of everything). */
  async runOnce(): Promise<RoundResult> {
    const { persisted, stale, failed } = await this.#round();
    return { persisted, stale, failed };
  }

  /** Stops polling and waits for the round in progress; queued tasks stay queued for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (wakers.get(this.#deps)) wakers.delete(this.#deps);
    await this.#running;
  }
}
