// A latency-injecting TCP proxy for the benchmark (issue 4: "with 20 ms of
// added latency on the under-storage"). It listens on 127.0.0.1 and forwards
// each connection to a target port, holding every chunk for `oneWayMs` after
// it arrives, in each direction, order preserved. That models a link with a
// round-trip time of 2 x oneWayMs: every request/response round trip pays the
// delay once, however many bytes it carries (chunks are delayed in parallel,
// not one after another, so bandwidth is not throttled). The TCP handshake to
// the proxy itself is not delayed; clients that keep connections alive (the
// S3 adapter does) pay the delay per request, as against a distant store.
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';

/** Bytes held in one direction before the source is paused (backpressure). */
const HIGH_WATER = 4 * 1024 * 1024;

interface Held {
  chunk: Buffer;
  due: number;
}

/** Forwards `from` to `to`, each chunk `delayMs` after it arrived. */
function delayedPipe(from: Socket, to: Socket, delayMs: () => number): void {
  const queue: Held[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | null = null;
  let ended = false;
  const flush = (): void => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now + 0.5) {
      const held = queue.shift() as Held;
      queued -= held.chunk.length;
      if (!to.destroyed) to.write(held.chunk);
    }
    if (queue.length > 0) arm();
    else if (ended && !to.destroyed) to.end();
    if (queued < HIGH_WATER && from.isPaused()) from.resume();
  };
  const arm = (): void => {
    if (timer !== null || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()));
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ chunk, due: performance.now() + delayMs() });
    queued += chunk.length;
    if (queued >= HIGH_WATER) from.pause();
    arm();
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0 && !to.destroyed) to.end();
  });
  // Closed without an end (reset, destroyed): the other side goes too.
  from.on('close', () => {
    if (ended) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    to.destroy();
  });
}

export class DelayProxy {
  /** Delay of each chunk, each way: half the added round trip. */
  oneWayMs: number;
  private readonly targetPort: number;
  private readonly targetHost: string;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted so far (a gauge of whether clients reuse them). */
  connections = 0;

  /** `roundTripMs` is split evenly between the two directions. */
  constructor(target: string, roundTripMs: number) {
    const url = new URL(target);
    this.targetHost = url.hostname;
    this.targetPort = Number(url.port);
    this.oneWayMs = roundTripMs / 2;
  }

  /** Changes the added round trip for chunks arriving from now on (e.g. 0 while a bench sets up). */
  setRoundTrip(roundTripMs: number): void {
    this.oneWayMs = roundTripMs / 2;
  }

  /** Starts listening on an ephemeral loopback port; resolves with the proxy's http:// URL. */
  async start(): Promise<string> {
    const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
      this.connections++;
      const upstream = connect({ host: this.targetHost, port: this.targetPort, noDelay: true, allowHalfOpen: true });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        // A reset on one side tears down the other; errors are not the bench's concern here.
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const delay = (): number => this.oneWayMs;
      delayedPipe(client, upstream, delay);
      delayedPipe(upstream, client, delay);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('delay proxy: no TCP address');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
