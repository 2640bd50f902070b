// A one-line progress bar on stderr for long copies:
// ` 52% [==========>         ] 10.9 MB / 21.0 MB  35.2 MB/s`
// redrawn in place at most ten times a second.
import { Transform, type TransformCallback } from 'node:stream';
import { formatBytes } from './format.ts';

/** Files up to this size copy quickly enough to need no bar. */
export const PROGRESS_THRESHOLD = 8 * 1024 * 1024;
const REDRAW_INTERVAL_MS = 100;

/** Where the bar is drawn: process.stderr, or a stand-in. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Whether to show a bar for `total` bytes: `forced` true/false is --progress/--no-progress;
 * otherwise only for files over the threshold when the output is a terminal.
 */
export function wantsProgress(out: ProgressOutput, total: number, forced: boolean | undefined): boolean {
  if (forced !== undefined) return forced;
  return total > PROGRESS_THRESHOLD && out.isTTY === true;
}

export class ProgressBar {
  readonly #out: ProgressOutput;
  readonly #total: number;
  readonly #started: number;
  readonly #now: () => number;
  #done = 0;
  #lastDraw = -Infinity;
  #closed = false;
  #lastLength = 0;

  constructor(out: ProgressOutput, total: number, now: () => number = () => performance.now()) {
    this.#out = out;
    this.#total = total;
    this.#now = now;
    this.#started = now();
    this.#draw();
  }

  /** Adds `bytes` to the count; redraws if the last drawing is old enough. */
  advance(bytes: number): void {
    this.#done += bytes;
    if (this.#now() - this.#lastDraw >= REDRAW_INTERVAL_MS) this.#draw();
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (this.#closed) return;
    this.#draw();
    this.#closed = true;
    this.#out.write('\n');
  }

  /** Ends the line without claiming completion (the copy failed). */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out.write('\n');
  }

  /** A pass-through stream that counts what flows through it. */
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        this.advance(chunk.length);
        callback(null, chunk);
      },
    });
  }

  render(): string {
    const fraction = this.#total > 0 ? Math.min(1, this.#done / this.#total) : 1;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const seconds = (this.#now() - this.#started) / 1000;
    const rate = seconds > 0 ? `${(this.#done / seconds / 1e6).toFixed(1)} MB/s` : '- MB/s';
    const counts = `${formatBytes(this.#done)} / ${formatBytes(this.#total)}`;
    const fixed = `${percent} [] ${counts}  ${rate}`;
    const columns = this.#out.columns && this.#out.columns > 0 ? this.#out.columns : 80;
    const width = Math.max(0, Math.min(30, columns - 1 - fixed.length));
    if (width < 5) return `${percent} ${counts}  ${rate}`;
    const filled = Math.floor(fraction * width);
    const bar = fraction >= 1 ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
    return `${percent} [${bar}] ${counts}  ${rate}`;
  }

  #draw(): void {
    if (this.#closed) return;
    this.#lastDraw = this.#now();
    // Padding to the previous length wipes what a longer earlier line left behind.
    const line = this.render();
    this.#out.write(`\r${line.padEnd(this.#lastLength)}`);
    this.#lastLength = line.length;
  }
}
