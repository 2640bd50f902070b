// Server child processes for the benchmark: start a target (Strata or the
// reference server) on a fresh data dir, wait for the URL it prints, sample its
// peak RSS from /proc, and stop it. Every child is tracked so bench/run.ts can
// kill them all on failure, SIGINT or exit.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** The repo's own Node 24 (the system node may be older). */
export const NODE_BIN = existsSync(resolve(REPO_ROOT, 'node_modules/.bin/node'))
  ? resolve(REPO_ROOT, 'node_modules/.bin/node')
  : process.execPath;

export interface TargetSpec {
  /** "strata" or "reference" */
  id: 'strata' | 'reference';
  label: string;
  /** executable and leading args; the harness appends --port 0 --data-dir DIR and row flags */
  argv: string[];
  /** whether per-row extra flags (e.g. --fsync false) are passed */
  takesRowFlags: boolean;
}

export function strataSpec(override: string | undefined): TargetSpec {
  if (override && override.trim() !== '') {
    return { id: 'strata', label: `Strata (override: ${override.trim()})`, argv: splitCommand(override), takesRowFlags: true };
  }
  return {
    id: 'strata',
    label: 'Strata',
    argv: [NODE_BIN, '--disable-warning=ExperimentalWarning', resolve(REPO_ROOT, 'src/main.ts'), '--log-level', 'warn'],
    takesRowFlags: true,
  };
}

export function referenceSpec(): TargetSpec {
  return {
    id: 'reference',
    label: 'reference (plain node:http)',
    argv: [NODE_BIN, '--disable-warning=ExperimentalWarning', resolve(REPO_ROOT, 'bench/reference-server.ts')],
    takesRowFlags: false,
  };
}

/** Splits a command line on whitespace, honouring simple '...' and "..." quoting. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  for (const m of cmd.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** A clear error when the Strata entry point does not exist yet. */
export function checkStrataAvailable(spec: TargetSpec): string | null {
  const script = spec.argv.find((a) => a.endsWith('.ts') || a.endsWith('.js'));
  if (script && !existsSync(script)) {
    return `Strata is not available: ${script} does not exist (the server is not written yet?). ` +
      'To exercise the harness anyway, pass --target-cmd "CMD ARGS" (or STRATA_BENCH_TARGET_CMD), e.g. ' +
      '--target-cmd "./node_modules/.bin/node bench/reference-server.ts".';
  }
  return null;
}

const live = new Set<ChildProcess>();

/** Synchronously SIGKILLs every server still running (for exit/signal paths). */
export function killAllSync(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        try { child.kill('SIGKILL'); } catch { /* already gone */ }
      }
    }
  }
  live.clear();
}

export class ServerProcess {
  readonly url: string;
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly stderrTail: string[];

  private constructor(child: ChildProcess, url: string, stderrTail: string[]) {
    this.child = child;
    this.url = url;
    this.pid = child.pid ?? -1;
    this.stderrTail = stderrTail;
  }

  /** Starts the server and resolves once it has printed its http:// URL. */
  static async start(spec: TargetSpec, dataDir: string, rowFlags: readonly string[], timeoutMs = 30_000): Promise<ServerProcess> {
    const [cmd, ...args] = spec.argv;
    const full = [...args, '--port', '0', '--data-dir', dataDir, ...(spec.takesRowFlags ? rowFlags : [])];
    // Own process group (detached) so stopping it also stops anything it spawned.
    const child = spawn(cmd, full, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    live.add(child);
    const stderrTail: string[] = [];
    const keep = (buf: Buffer): void => {
      for (const line of buf.toString('utf8').split('\n')) if (line.trim() !== '') stderrTail.push(line);
      if (stderrTail.length > 30) stderrTail.splice(0, stderrTail.length - 30);
    };
    child.stderr?.on('data', keep);
    const shown = `${cmd} ${full.join(' ')}`;
    const url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(`did not print an http:// URL within ${timeoutMs / 1000}s`), timeoutMs);
      const onData = (buf: Buffer): void => {
        out += buf.toString('utf8');
        const m = /http:\/\/[^\s"'<>]+/.exec(out);
        if (m) {
          cleanup();
          resolveUrl(m[0].replace(/[/.,;)]+$/, ''));
        } else if (out.length > 65536) out = out.slice(-4096);
      };
      const onExit = (code: number | null, signal: string | null): void =>
        fail(`exited (code ${code}, signal ${signal}) before printing its URL`);
      const onError = (err: Error): void => fail(`could not be started: ${err.message}`);
      function cleanup(): void {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
      }
      function fail(why: string): void {
        cleanup();
        live.delete(child);
        if (child.exitCode === null && child.pid !== undefined) {
          try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
        }
        const tail = stderrTail.length > 0 ? `\n  stderr:\n    ${stderrTail.slice(-10).join('\n    ')}` : '';
        reject(new Error(`${spec.label} ${why}\n  command: ${shown}${tail}`));
      }
      child.stdout?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
    // Keep draining stdout (a logger may write there) into the same tail, for error reports.
    child.stdout?.on('data', keep);
    return new ServerProcess(child, url, stderrTail);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves true once the process has exited, false if it is still running after `ms`. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.alive) return true;
    return new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        done(true);
      });
    });
  }

  /** The last lines the server wrote (stderr, and stdout after its URL), for error reports. */
  stderr(): string {
    return this.stderrTail.slice(-10).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) {
      live.delete(this.child);
      return;
    }
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    const signal = (sig: NodeJS.Signals): void => {
      try { process.kill(-this.pid, sig); } catch { try { this.child.kill(sig); } catch { /* gone */ } }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    live.delete(this.child);
  }
}

function statusKiB(text: string, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Peak RSS of one process over a measured phase. Resets the kernel's
 * high-water mark (VmHWM) at the start by writing 5 to /proc/PID/clear_refs;
 * where that is not permitted it falls back to the max of VmRSS samples taken
 * every 100 ms.
 */
export class RssMonitor {
  private readonly pid: number;
  private readonly hwmReset: boolean;
  private maxSampledKiB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number) {
    this.pid = pid;
    let reset = false;
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      reset = true;
    } catch {
      reset = false;
    }
    this.hwmReset = reset;
    this.sampleSync();
    this.timer = setInterval(() => {
      readFile(`/proc/${this.pid}/status`, 'utf8').then((t) => this.take(t), () => {});
    }, 100);
  }

  private take(text: string): void {
    const rss = statusKiB(text, 'VmRSS');
    if (rss !== null && rss > this.maxSampledKiB) this.maxSampledKiB = rss;
  }

  private sampleSync(): string {
    try {
      const text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      this.take(text);
      return text;
    } catch {
      return '';
    }
  }

  /** Stops sampling; returns the peak in MiB and how it was measured. */
  finish(): { peakMiB: number; method: string } {
    clearInterval(this.timer);
    const text = this.sampleSync();
    const hwm = statusKiB(text, 'VmHWM');
    if (this.hwmReset && hwm !== null) {
      return { peakMiB: Math.max(hwm, this.maxSampledKiB) / 1024, method: 'VmHWM' };
    }
    return { peakMiB: this.maxSampledKiB / 1024, method: 'VmRSS-samples' };
  }
}
