// Keeps streaming memory flat. A Buffer's memory is returned only when a GC
// collects the Buffer object, and every socket or file read allocates a fresh
// chunk; left alone, V8 lets tens of MiB of spent chunks pile up before its
// external-memory heuristics collect them. Asking for a minor GC (a scavenge,
// about a millisecond) every few MiB streamed keeps a 5 GiB transfer's
// footprint at the size of its buffers. Enabled by the server process only.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

// Only scavenges: a periodic full GC measured at a third of 1 GiB GET throughput.
const STEP_BYTES = 24 * 1024 * 1024;
let collect: GcFunction | undefined;
let sinceLast = 0;

/** Exposes V8's gc() to this module; without it, noteStreamedBytes does nothing. */
export function enableGcPacing(): void {
  setFlagsFromString('--expose-gc');
  collect = runInNewContext('gc') as GcFunction;
}

/** Called for each streamed chunk of a request or response body. */
export function noteStreamedBytes(bytes: number): void {
  if (collect === undefined) return;
  sinceLast += bytes;
  if (sinceLast < STEP_BYTES) return;
  sinceLast = 0;
  collect({ type: 'minor' });
}
