// HTTP(S) agents whose connect timeout covers only the TCP connect itself.
// The SDK's own `connectionTimeout` starts when a request is created, so under
// a burst (say 200 commits at once, a few requests each, over a pool of
// sockets) requests merely queued for a free socket "time out" although the
// remote is fine. Here the timer starts when a socket is created and stops on
// 'connect': a dead host still fails fast, a busy pool never does.
import { Agent as HttpAgent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

function armConnectTimeout(stream: Duplex | null | undefined, ms: number): void {
  if (!(stream instanceof Socket) || !stream.connecting || ms <= 0) return;
  const timer = setTimeout(() => {
    // ETIMEDOUT: the SDK reports it as a TimeoutError, the adapter as UNAVAILABLE.
    stream.destroy(Object.assign(new Error(`connect timed out after ${ms} ms`), { code: 'ETIMEDOUT' }));
  }, ms);
  const clear = (): void => clearTimeout(timer);
  stream.once('connect', clear);
  stream.once('close', clear);
}

export class ConnectTimeoutHttpAgent extends HttpAgent {
  readonly connectTimeoutMs: number;

  constructor(options: AgentOptions, connectTimeoutMs: number) {
    super(options);
    this.connectTimeoutMs = connectTimeoutMs;
  }

  override createConnection(options: ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const stream = super.createConnection(options, callback);
    armConnectTimeout(stream, this.connectTimeoutMs);
    return stream;
  }
}

export class ConnectTimeoutHttpsAgent extends HttpsAgent {
  readonly connectTimeoutMs: number;

  constructor(options: HttpsAgentOptions, connectTimeoutMs: number) {
    super(options);
    this.connectTimeoutMs = connectTimeoutMs;
  }

  override createConnection(options: ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const stream = super.createConnection(options, callback);
    armConnectTimeout(stream, this.connectTimeoutMs);
    return stream;
  }
}
