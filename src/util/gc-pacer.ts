// Keeps streaming memory flat without spending the CPU on full GCs.
//
// Scavenges. A Buffer's memory is returned only when a GC collects the Buffer
// object, and every socket or file read allocates a fresh chunk; left alone,
// V8 lets tens of MiB of spent chunks pile up before its external-memory
// heuristics collect them. Asking for a minor GC (a scavenge, about a
// millisecond) every few MiB streamed keeps a 5 GiB transfer's footprint at
// the size of its buffers.
//
// Full GCs. V8's default trigger for incremental marking adds every byte of
// Buffer memory allocated since the last full GC to the old generation's
// size, and starts marking once what is left below the limit is smaller than
// the young generation. A server's JS heap is small (~20 MB), so that left
// ~7 MB: a stream started a full GC (~30 ms of CPU with its concurrent
// marking) every few MB it read, ~130 per GiB of a cold remote read and ~55
// per GiB of a local GET, although the scavenges above free that memory
// anyway. The percentage triggers below start marking on the JS heap's own
// growth; Buffer memory alone then starts a full GC after 64 MB (V8's
// external-memory limit), which only matters for buffers that died in the old
// generation. A 1 GiB local GET went from 2.2 s of server CPU to 0.8 s.
//
// Enabled by the server process only; elsewhere noteStreamedBytes does nothing.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

// Only scavenges: a periodic full GC measured at a third of 1 GiB GET throughput.
const STEP_BYTES = 24 * 1024 * 1024;
let collect: GcFunction | undefined;
let sinceLast = 0;

/** Exposes V8's gc() to this module and sets the marking triggers; without it, noteStreamedBytes does nothing. */
export function enableGcPacing(): void {
  setFlagsFromString('--expose-gc');
  // Incremental marking starts at 70% of the headroom the last full GC left the JS heap, and at 90% at once.
  setFlagsFromString('--incremental-marking-soft-trigger=70');
  setFlagsFromString('--incremental-marking-hard-trigger=90');
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
