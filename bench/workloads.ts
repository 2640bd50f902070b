// The benchmark's workloads. A group runs on one fresh server process and
// contains one or more measured rows (e.g. GET needs the objects the PUT row
// wrote); bench/run.ts runs every selected group once per target.
import { S3Client, encodeKey, runPool, smallBody, xmlValue, MiB } from './client.ts';
import { mountGroups } from './mount-workloads.ts';
import { authGroups } from './auth-workloads.ts';
import type { TargetSpec } from './servers.ts';
import { Latencies, nowMs } from './stats.ts';
import type { Row } from './stats.ts';

export interface BenchOptions {
  /** number of small-object ops per small row, per target */
  ops: number;
  /** concurrency of small ops and of the listing populate */
  concurrency: number;
  /** size of small objects in bytes */
  smallSize: number;
  /** number of large objects PUT/GET in parallel (each a single request) */
  largeConcurrency: number;
  /** size of a large object / multipart upload in bytes */
  largeBytes: number;
  partBytes: number;
  partConcurrency: number;
  listKeys: number;
  listMaxKeys: number;
  listWalks: number;
  /** passes over the PUT objects in each GET/HEAD row (reads are cheap; longer rows are steadier) */
  readPasses: number;
  /** slices per small/list row; targets alternate slice by slice */
  rounds: number;
  /** rounds of the large PUT/GET and multipart rows (each round = one more object) */
  largeRounds: number;
}

export interface RowDef {
  name: string;
  title: string;
  unit: Row['unit'];
  /** Strata-only rows: rows of the same group this row's throughput is divided by, with a short label */
  vs?: readonly { row: string; label: string }[];
}

/** What one measured slice did; its wall time is taken by the caller. */
export interface SliceOutcome {
  ops: number;
  bytes: number;
  extra?: Record<string, number>;
}

/** Measures one slice of a row on one target's client, adding request latencies to `lat`. */
export type Slice = (client: S3Client, round: number, lat: Latencies) => Promise<SliceOutcome>;

export interface GroupContext {
  opts: BenchOptions;
  /** Unmeasured preparation, run on every healthy target in turn. */
  setup(fn: (client: S3Client) => Promise<void>): Promise<void>;
  /**
   * One row: `rounds` slices per target, the targets alternating slice by
   * slice (S R, R S, ...) so drift on a noisy machine hits both alike, with
   * dirty pages flushed before each slice. Peak RSS is taken per target over
   * the whole row. Rows not selected with --only still run when later rows
   * depend on them, but are not reported.
   */
  measure(row: string, rounds: number, slice: Slice): Promise<void>;
}

export interface Group {
  id: string;
  /** extra server flags for Strata (the reference ignores them) */
  strataFlags: string[];
  /** measured on Strata alone (no reference server), reported by bench/solo-report.ts */
  strataOnly?: boolean;
  /** the two targets instead of Strata and the reference (e.g. Strata sigv4 vs Strata simple: bench/auth-workloads.ts) */
  targets?(strata: TargetSpec, reference: TargetSpec): TargetSpec[];
  rows: RowDef[];
  /** the client's socket pool size */
  sockets(opts: BenchOptions): number;
  run(ctx: GroupContext): Promise<void>;
}

const BUCKET = 'bench';

async function createBucket(client: S3Client): Promise<void> {
  await client.send({ method: 'PUT', path: `/${BUCKET}` });
}

/** The [start, end) share of `total` items that slice `round` of `rounds` covers. */
function share(total: number, rounds: number, round: number): [number, number] {
  return [Math.floor((total * round) / rounds), Math.floor((total * (round + 1)) / rounds)];
}

/** Runs fn(i) for every i of slice `round`, `concurrency` at a time. */
async function sliced(total: number, rounds: number, round: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<number> {
  const [from, to] = share(total, rounds, round);
  await runPool(to - from, concurrency, (k) => fn(from + k));
  return to - from;
}

function objectPath(key: string): string {
  return `/${BUCKET}/${encodeKey(key)}`;
}

function smallKey(i: number): string {
  return `small/obj-${String(i).padStart(7, '0')}`;
}

/** Times `fn` into `lat`. */
async function timed<T>(lat: Latencies, fn: () => Promise<T>): Promise<T> {
  const t0 = nowMs();
  const out = await fn();
  lat.add(nowMs() - t0);
  return out;
}

function smallGroup(id: string, strataFlags: string[], putRow: RowDef, withReads: boolean): Group {
  const rows: RowDef[] = [putRow];
  if (withReads) {
    rows.push({ name: 'get-4k', title: '4 KiB GET', unit: 'ops/s' });
    rows.push({ name: 'head-4k', title: '4 KiB HEAD', unit: 'ops/s' });
  }
  return {
    id,
    strataFlags,
    rows,
    sockets: (o) => o.concurrency,
    async run(ctx) {
      const o = ctx.opts;
      await ctx.setup(createBucket);
      await ctx.measure(putRow.name, o.rounds, async (client, round, lat) => {
        const n = await sliced(o.ops, o.rounds, round, o.concurrency, async (i) => {
          await timed(lat, () => client.send({ method: 'PUT', path: objectPath(smallKey(i)), body: smallBody(o.smallSize, i) }));
        });
        return { ops: n, bytes: n * o.smallSize };
      });
      if (!withReads) return;
      const reads = o.ops * o.readPasses;
      await ctx.measure('get-4k', o.rounds, async (client, round, lat) => {
        const n = await sliced(reads, o.rounds, round, o.concurrency, async (j) => {
          const i = j % o.ops;
          const res = await timed(lat, () => client.send({ method: 'GET', path: objectPath(smallKey(i)) }));
          if (res.bytes !== o.smallSize) throw new Error(`GET ${smallKey(i)}: ${res.bytes} bytes, expected ${o.smallSize}`);
        });
        return { ops: n, bytes: n * o.smallSize };
      });
      await ctx.measure('head-4k', o.rounds, async (client, round, lat) => {
        const n = await sliced(reads, o.rounds, round, o.concurrency, async (j) => {
          const i = j % o.ops;
          const res = await timed(lat, () => client.send({ method: 'HEAD', path: objectPath(smallKey(i)) }));
          if (Number(res.headers['content-length']) !== o.smallSize) {
            throw new Error(`HEAD ${smallKey(i)}: Content-Length ${res.headers['content-length']}, expected ${o.smallSize}`);
          }
        });
        return { ops: n, bytes: 0 };
      });
    },
  };
}

/** One full ListObjectsV2 walk with continuation tokens; returns pages and bytes. */
async function listWalk(client: S3Client, o: BenchOptions, lat: Latencies): Promise<SliceOutcome> {
  let token: string | undefined;
  let seen = 0;
  let pages = 0;
  let bytes = 0;
  // Bounded: a correct server needs ceil(keys / maxKeys) pages.
  const maxPages = Math.ceil(o.listKeys / o.listMaxKeys) + 2;
  for (;;) {
    if (pages >= maxPages) throw new Error(`listing did not end after ${maxPages} pages (${seen} keys seen)`);
    const q = `list-type=2&max-keys=${o.listMaxKeys}${token !== undefined ? `&continuation-token=${encodeURIComponent(token)}` : ''}`;
    const res = await timed(lat, () => client.send({ method: 'GET', path: `/${BUCKET}?${q}`, keepBody: true }));
    const xml = res.text ?? '';
    pages++;
    bytes += res.bytes;
    seen += (xml.match(/<Key>/g) ?? []).length;
    if (xmlValue(xml, 'IsTruncated') !== 'true') break;
    token = xmlValue(xml, 'NextContinuationToken');
    if (token === undefined || token === '') throw new Error('IsTruncated=true without a NextContinuationToken');
  }
  if (seen !== o.listKeys) throw new Error(`a full listing walk returned ${seen} keys, expected ${o.listKeys}`);
  return { ops: pages, bytes };
}

const listGroup: Group = {
  id: 'list',
  strataFlags: [],
  rows: [{ name: 'list', title: 'ListObjectsV2 page', unit: 'pages/s' }],
  sockets: (o) => o.concurrency,
  async run(ctx) {
    const o = ctx.opts;
    const body = smallBody(256, 7);
    await ctx.setup(async (client) => {
      await createBucket(client);
      await runPool(o.listKeys, o.concurrency, async (i) => {
        await client.send({ method: 'PUT', path: objectPath(`list/dir-${String(i % 10)}/obj-${String(i).padStart(7, '0')}`), body });
      });
    });
    const rounds = Math.min(o.rounds, o.listWalks);
    await ctx.measure('list', rounds, async (client, round, lat) => {
      const [from, to] = share(o.listWalks, rounds, round);
      const total: SliceOutcome = { ops: 0, bytes: 0 };
      for (let w = from; w < to; w++) {
        const walk = await listWalk(client, o, lat);
        total.ops += walk.ops;
        total.bytes += walk.bytes;
      }
      return total;
    });
  },
};

function largeKey(round: number, i: number): string {
  return `large/r${round}-obj-${i}`;
}

const largeGroup: Group = {
  id: 'large',
  strataFlags: [],
  rows: [
    { name: 'put-large', title: 'large PUT', unit: 'MB/s' },
    { name: 'get-large', title: 'large GET', unit: 'MB/s' },
  ],
  sockets: (o) => o.largeConcurrency,
  async run(ctx) {
    const o = ctx.opts;
    const n = o.largeConcurrency;
    const etags = new Map<string, string>();
    await ctx.setup(createBucket);
    await ctx.measure('put-large', o.largeRounds, async (client, round, lat) => {
      await runPool(n, n, async (i) => {
        const key = largeKey(round, i);
        const res = await timed(lat, () => client.send({ method: 'PUT', path: objectPath(key), streamBytes: o.largeBytes }));
        etags.set(`${client.base.href} ${key}`, String(res.headers.etag ?? ''));
      });
      return { ops: n, bytes: n * o.largeBytes };
    });
    await ctx.measure('get-large', o.largeRounds, async (client, round, lat) => {
      await runPool(n, n, async (i) => {
        const key = largeKey(round, i);
        const res = await timed(lat, () => client.send({ method: 'GET', path: objectPath(key) }));
        if (res.bytes !== o.largeBytes) throw new Error(`large GET returned ${res.bytes} bytes, expected ${o.largeBytes}`);
        const want = etags.get(`${client.base.href} ${key}`) ?? '';
        const etag = String(res.headers.etag ?? '');
        if (want !== '' && etag !== want) throw new Error(`large GET ETag ${etag} differs from the PUT's ${want}`);
      });
      return { ops: n, bytes: n * o.largeBytes };
    });
  },
};

function completeXml(etags: readonly string[]): string {
  const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts.join('')}</CompleteMultipartUpload>`;
}

/** One whole multipart upload (initiate, parts, complete), checked with a HEAD. */
async function multipartUpload(client: S3Client, o: BenchOptions, key: string, lat: Latencies): Promise<SliceOutcome> {
  const path = objectPath(key);
  const t0 = nowMs();
  const init = await client.send({ method: 'POST', path: `${path}?uploads`, keepBody: true });
  const uploadId = xmlValue(init.text ?? '', 'UploadId');
  if (!uploadId) throw new Error(`initiate returned no UploadId: ${(init.text ?? '').slice(0, 200)}`);
  const initiateMs = nowMs() - t0;
  const count = Math.ceil(o.largeBytes / o.partBytes);
  const etags: string[] = new Array<string>(count).fill('');
  await runPool(count, o.partConcurrency, async (i) => {
    const size = Math.min(o.partBytes, o.largeBytes - i * o.partBytes);
    const q = `partNumber=${i + 1}&uploadId=${encodeURIComponent(uploadId)}`;
    const res = await timed(lat, () => client.send({ method: 'PUT', path: `${path}?${q}`, streamBytes: size }));
    const etag = res.headers.etag;
    if (typeof etag !== 'string' || etag === '') throw new Error(`part ${i + 1}: no ETag in the response`);
    etags[i] = etag;
  });
  const t1 = nowMs();
  const done = await client.send({
    method: 'POST', path: `${path}?uploadId=${encodeURIComponent(uploadId)}`, body: completeXml(etags), keepBody: true,
  });
  const completeMs = nowMs() - t1;
  if (/<Error>/.test(done.text ?? '')) throw new Error(`complete failed: ${(done.text ?? '').slice(0, 300)}`);
  const head = await client.send({ method: 'HEAD', path });
  if (Number(head.headers['content-length']) !== o.largeBytes) {
    throw new Error(`completed object has Content-Length ${head.headers['content-length']}, expected ${o.largeBytes}`);
  }
  return { ops: 1, bytes: o.largeBytes, extra: { parts: count, initiateMs, completeMs } };
}

const multipartGroup: Group = {
  id: 'multipart',
  strataFlags: [],
  rows: [{ name: 'multipart', title: 'multipart upload', unit: 'MB/s' }],
  sockets: (o) => o.partConcurrency,
  async run(ctx) {
    const o = ctx.opts;
    await ctx.setup(createBucket);
    await ctx.measure('multipart', o.largeRounds, (client, round, lat) => multipartUpload(client, o, `multipart/obj-${round}`, lat));
  },
};

/** Every group, in run order. Rows of a group share one server process. */
export function allGroups(): Group[] {
  return [
    smallGroup('small-durable', [], { name: 'put-4k', title: '4 KiB PUT (durable)', unit: 'ops/s' }, true),
    smallGroup('small-nofsync', ['--fsync', 'false'], { name: 'put-4k-nofsync', title: '4 KiB PUT (--fsync false)', unit: 'ops/s' }, false),
    listGroup,
    largeGroup,
    multipartGroup,
    ...mountGroups(),
    ...authGroups(),
  ];
}

export function describeSize(bytes: number): string {
  return bytes % (1024 * MiB) === 0 ? `${bytes / (1024 * MiB)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}
