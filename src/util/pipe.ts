// Pipes one stream into another and settles when the data has arrived.
// stream.pipeline does the same, but it allocates an AbortController per call
// and aborts it on completion, which builds a DOMException with a stack trace:
// on small requests that was a measurable share of the CPU (see docs/design.md).
import type { Readable, Writable } from 'node:stream';
import { noteStreamedBytes } from './gc-pacer.ts';

export interface PipeOptions {
  /** Settle on 'close' rather than 'finish' (file streams: the descriptor is flushed and closed). */
  waitForClose?: boolean;
  signal?: AbortSignal;
}

function ignore(): void {}

export class PrematureCloseError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor() {
    super('Premature close');
  }
}

/** Resolves when `dest` has all of `source`; on any error or abort both are destroyed and it rejects. */
export function pipeInto(source: Readable, dest: Writable, options: PipeOptions = {}): Promise<void> {
  const { signal, waitForClose = false } = options;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const cleanup = (): void => {
      source.off('data', onData);
      source.off('error', fail);
      source.off('close', onSourceClose);
      dest.off('error', fail);
      dest.off('finish', onFinish);
      dest.off('close', onDestClose);
      signal?.removeEventListener('abort', onAbort);
    };
    function fail(err: unknown): void {
      if (settled) return;
      settled = true;
      cleanup();
      const error = err instanceof Error ? err : new Error(String(err));
      source.unpipe(dest);
      // Destroyed with the error so it travels on to whatever reads `dest` (a
      // chain of pipes fails with the first cause); a no-op listener keeps an
      // 'error' nobody else listens to from crashing the process.
      source.on('error', ignore);
      dest.on('error', ignore);
      source.destroy(error);
      dest.destroy(error);
      reject(error);
    }
    function succeed(): void {
      if (settled) return;
      settled = true;
      cleanup();
      resolve();
    }
    function onSourceClose(): void {
      if (!source.readableEnded) fail(source.errored ?? new PrematureCloseError());
    }
    function onFinish(): void {
      if (!waitForClose) succeed();
    }
    function onDestClose(): void {
      if (dest.writableFinished) succeed();
      else fail(dest.errored ?? new PrematureCloseError());
    }
    function onData(chunk: Buffer | string): void {
      noteStreamedBytes(chunk.length);
    }
    function onAbort(): void {
      fail(signal?.reason ?? new PrematureCloseError());
    }
    if (signal?.aborted) {
      onAbort();
      return;
    }
    source.on('error', fail);
    source.on('close', onSourceClose);
    dest.on('error', fail);
    dest.on('finish', onFinish);
    dest.on('close', onDestClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    source.pipe(dest);
    // After pipe(): a 'data' listener attached earlier would start the flow before anyone reads.
    source.on('data', onData);
  });
}
