// Issue 5 rows of `npm run bench`: the cost of verification. Each group runs
// two Strata processes side by side instead of Strata and the reference
// server: "Strata" is `--auth sigv4` (signatures verified, bodies checked,
// access control enforced) and "reference" is `--auth simple`; the ratio is
// sigv4 throughput / simple throughput. Both are sent the same SigV4-signed
// requests (simple mode ignores the signature), so the client does the same
// work for both and the difference is the server's. Done means: 4 KiB
// PUT/GET within 10% (ratio >= 0.90), 1 GiB PUT/GET within 5% (>= 0.95).
// 4 KiB bodies are signed with their SHA-256 (what SDKs do over http); the
// 1 GiB ones with UNSIGNED-PAYLOAD. The 4 KiB rows run with --fsync false, so
// the per-request CPU of verification is not hidden behind fsync latency.
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { runPool, smallBody } from './client.ts';
import type { Response, S3Client } from './client.ts';
import type { TargetSpec } from './servers.ts';
import { Latencies, nowMs } from './stats.ts';
import type { Group } from './workloads.ts';

const BUCKET = 'authbench';
const REGION = 'us-east-1';
const KEYS = { accessKeyId: 'BENCHROOTKEY00000001', secretAccessKey: 'bench-root-secret-0123456789abcdef' };
const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Server flags for sigv4 mode with the bench's root key (which signHeaders signs with). */
export const SIGV4_ARGS: readonly string[] = ['--auth', 'sigv4', '--root-access-key', KEYS.accessKeyId, '--root-secret-key', KEYS.secretAccessKey];

/** The two targets: sigv4 in Strata's column, simple in the reference's. */
function authTargets(strata: TargetSpec): TargetSpec[] {
  return [
    { ...strata, id: 'strata', label: 'Strata --auth sigv4', argv: [...strata.argv, ...SIGV4_ARGS] },
    { ...strata, id: 'reference', label: 'Strata --auth simple', argv: [...strata.argv, '--auth', 'simple'] },
  ];
}

// ---- a small SigV4 signer (header auth), independent of the server's code ----
let keyDay = '';
/** A KeyObject: createHmac is several times faster with one than with a Buffer, and the client shares the CPUs. */
let signingKey: KeyObject | undefined;

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function keyFor(day: string): KeyObject {
  if (day !== keyDay || signingKey === undefined) {
    signingKey = createSecretKey(hmac(hmac(hmac(hmac(`AWS4${KEYS.secretAccessKey}`, day), REGION), 's3'), 'aws4_request'));
    keyDay = day;
  }
  return signingKey;
}

/**
 * Authorization headers for a request to `path` (an already-encoded path;
 * the bench's keys need no encoding) with no query string.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
function signHeaders(client: S3Client, method: string, path: string, payloadHash: string): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const host = client.base.host;
  const canonical = `${method}\n${path}\n\nhost:${host}\nx-amz-content-sha256:${payloadHash}\nx-amz-date:${amzDate}\n\nhost;x-amz-content-sha256;x-amz-date\n${payloadHash}`;
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', keyFor(day)).update(toSign).digest('hex');
  return {
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash,
    authorization: `AWS4-HMAC-SHA256 Credential=${KEYS.accessKeyId}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${signature}`,
  };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A SigV4-signed PUT of a small body (signed with its SHA-256, as SDKs do over http). */
export function signedPut(client: S3Client, path: string, body: Buffer): Promise<Response> {
  return client.send({ method: 'PUT', path, body, headers: signHeaders(client, 'PUT', path, sha256(body)) });
}

/** A SigV4-signed GET (or a PUT with no body, e.g. CreateBucket). */
export function signedEmpty(client: S3Client, method: 'GET' | 'PUT', path: string): Promise<Response> {
  return client.send({ method, path, headers: signHeaders(client, method, path, EMPTY_SHA256) });
}

async function createBucket(client: S3Client): Promise<void> {
  await signedEmpty(client, 'PUT', `/${BUCKET}`);
}

async function timed<T>(lat: Latencies, fn: () => Promise<T>): Promise<T> {
  const t0 = nowMs();
  const out = await fn();
  lat.add(nowMs() - t0);
  return out;
}

/** The [start, end) share of `total` items that slice `round` of `rounds` covers. */
function share(total: number, rounds: number, round: number): [number, number] {
  return [Math.floor((total * round) / rounds), Math.floor((total * (round + 1)) / rounds)];
}

const smallPath = (i: number): string => `/${BUCKET}/small/obj-${String(i).padStart(7, '0')}`;

/** Unmeasured PUTs and GETs on both servers first: otherwise whichever goes first in round 0 also pays for JIT warm-up. */
const WARMUP_OPS = 1000;

/** The auth rows run this many times the ops and slices of --ops and --rounds (--large-rounds for 1 GiB). */
const SAMPLE_SCALE = 2;

async function warmUp(client: S3Client, size: number, concurrency: number): Promise<void> {
  const path = (i: number): string => `/${BUCKET}/warmup/obj-${i}`;
  await runPool(WARMUP_OPS, concurrency, async (i) => {
    const body = smallBody(size, i);
    await signedPut(client, path(i), body);
  });
  await runPool(WARMUP_OPS, concurrency, async (i) => {
    await signedEmpty(client, 'GET', path(i));
  });
}

const smallGroup: Group = {
  id: 'auth-small',
  strataFlags: ['--fsync', 'false'],
  targets: authTargets,
  rows: [
    { name: 'auth-put-4k', title: 'auth: 4 KiB PUT, sigv4 (S) vs simple (R), --fsync false', unit: 'ops/s' },
    { name: 'auth-get-4k', title: 'auth: 4 KiB GET, sigv4 (S) vs simple (R)', unit: 'ops/s' },
  ],
  sockets: (o) => o.concurrency,
  async run(ctx) {
    // Twice the ops in twice the slices of the other small rows: a ratio near 0.9 needs to be told from
    // one near 1 through this machine's noise (per-slice ratios spread over about +-10%).
    const o = { ...ctx.opts, ops: ctx.opts.ops * SAMPLE_SCALE, rounds: ctx.opts.rounds * SAMPLE_SCALE };
    await ctx.setup(createBucket);
    await ctx.setup((client) => warmUp(client, o.smallSize, o.concurrency));
    await ctx.measure('auth-put-4k', o.rounds, async (client, round, lat) => {
      const [from, to] = share(o.ops, o.rounds, round);
      await runPool(to - from, o.concurrency, async (k) => {
        const i = from + k;
        const body = smallBody(o.smallSize, i);
        const path = smallPath(i);
        await timed(lat, () => signedPut(client, path, body));
      });
      return { ops: to - from, bytes: (to - from) * o.smallSize };
    });
    const reads = o.ops * o.readPasses;
    await ctx.measure('auth-get-4k', o.rounds, async (client, round, lat) => {
      const [from, to] = share(reads, o.rounds, round);
      await runPool(to - from, o.concurrency, async (k) => {
        const path = smallPath((from + k) % o.ops);
        const res = await timed(lat, () => signedEmpty(client, 'GET', path));
        if (res.bytes !== o.smallSize) throw new Error(`GET ${path}: ${res.bytes} bytes, expected ${o.smallSize}`);
      });
      return { ops: to - from, bytes: (to - from) * o.smallSize };
    });
  },
};

const largeGroup: Group = {
  id: 'auth-large',
  strataFlags: [],
  targets: authTargets,
  rows: [
    { name: 'auth-put-large', title: 'auth: large PUT (UNSIGNED-PAYLOAD), sigv4 (S) vs simple (R)', unit: 'MB/s' },
    { name: 'auth-get-large', title: 'auth: large GET, sigv4 (S) vs simple (R)', unit: 'MB/s' },
  ],
  sockets: (o) => o.largeConcurrency,
  async run(ctx) {
    const o = ctx.opts;
    const n = o.largeConcurrency;
    // Twice the rounds of the other large rows, for the same reason as the 4 KiB rows: the target is 5%,
    // and one 1 GiB transfer against another varies by more than that here.
    const rounds = o.largeRounds * SAMPLE_SCALE;
    await ctx.setup(createBucket);
    const path = (round: number, i: number): string => `/${BUCKET}/large/r${round}-obj-${i}`;
    await ctx.measure('auth-put-large', rounds, async (client, round, lat) => {
      await runPool(n, n, async (i) => {
        const p = path(round, i);
        await timed(lat, () => client.send({ method: 'PUT', path: p, streamBytes: o.largeBytes, headers: signHeaders(client, 'PUT', p, 'UNSIGNED-PAYLOAD') }));
      });
      return { ops: n, bytes: n * o.largeBytes };
    });
    await ctx.measure('auth-get-large', rounds, async (client, round, lat) => {
      await runPool(n, n, async (i) => {
        const p = path(round, i);
        const res = await timed(lat, () => signedEmpty(client, 'GET', p));
        if (res.bytes !== o.largeBytes) throw new Error(`large GET returned ${res.bytes} bytes, expected ${o.largeBytes}`);
      });
      return { ops: n, bytes: n * o.largeBytes };
    });
  },
};

/** The auth groups, registered in workloads.ts allGroups(). */
export function authGroups(): Group[] {
  return [smallGroup, largeGroup];
}
