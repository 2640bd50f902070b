// `npm run bench:list-scale`: shows that a listing page costs the same in a
// bucket of 1,000,000 keys as in one of 1,000. Fills two buckets straight
// through the SQLite metadata store (no HTTP, no data files: only the listing
// is measured), then times pages at the start, middle and end of each, with
// and without a delimiter, through the namespace's listPage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NULL_VERSION, type ObjectRecord } from '../src/meta/metadata-store.ts';
import { SqliteMetadataStore } from '../src/meta/sqlite/sqlite-store.ts';
import { listPage } from '../src/namespace/listing.ts';
import type { NamespaceDeps } from '../src/namespace/types.ts';

const big = Number(process.argv.includes('--quick') ? 100_000 : 1_000_000);
const small = 1000;
const dir = await mkdtemp(join(tmpdir(), 'strata-list-scale-'));
const store = SqliteMetadataStore.open(join(dir, 'meta.sqlite'), { durable: false });
// listPage only reads the store.
const deps = { store } as unknown as NamespaceDeps;

function row(bucket: string, key: string): ObjectRecord {
  return {
    bucket, key, versionId: NULL_VERSION, size: 4096, etag: 'd41d8cd98f00b204e9800998ecf8427e', lastModified: 1,
    owner: 'bench', headers: { 'content-type': 'application/octet-stream' }, userMetadata: {}, isDirectory: false,
    partSizes: null, dataId: key, extras: {},
  };
}

/**
 * dir-NNNNNN/file-NNNN with `perDir` files per directory: the small bucket has
 * 1 per directory, the big one 1000, so a delimiter page is 1000 common
 * prefixes in both and only the number of keys hidden under each differs.
 */
function keyOf(i: number, perDir: number): string {
  return `dir-${String(Math.floor(i / perDir)).padStart(6, '0')}/file-${String(i % perDir).padStart(4, '0')}`;
}

async function fill(bucket: string, count: number, perDir: number): Promise<void> {
  await store.createBucket({ name: bucket, owner: 'bench', createdAt: 1, extras: {} });
  for (let i = 0; i < count; i += 10_000) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + 10_000); j++) batch.push(store.putObject(row(bucket, keyOf(j, perDir))));
    await Promise.all(batch);
  }
}

async function timePage(bucket: string, at: number, perDir: number, delimiter: string): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < 20; r++) {
    const t = process.hrtime.bigint();
    const page = await listPage(deps, bucket, { prefix: '', delimiter, after: at === 0 ? undefined : keyOf(at, perDir), maxKeys: 1000 });
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (page.contents.length + page.commonPrefixes.length === 0) throw new Error('empty page');
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

try {
  const t = Date.now();
  await fill('small-bucket', small, 1);
  await fill('big-bucket', big, 1000);
  console.log(`filled ${small} + ${big} rows in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  console.log('| page (1000 entries) | 1,000 keys, ms | %s keys, ms | ratio |', big.toLocaleString('en'));
  console.log('| --- | ---: | ---: | ---: |');
  for (const [label, delimiter] of [['no delimiter', ''], ["delimiter '/'", '/']] as const) {
    for (const [where, fraction] of [['first page', 0], ['middle', 0.5], ['last page', 0.999]] as const) {
      // With a delimiter, a page of the big bucket from the middle has 1000 prefixes only up to its end.
      const bigAt = delimiter === '/' ? Math.floor(fraction * (big - 1000 * 1000)) : Math.floor(fraction * (big - 1000));
      const smallMs = await timePage('small-bucket', fraction === 0 ? 0 : Math.floor(fraction * (small - 1000)), 1, delimiter);
      const bigMs = await timePage('big-bucket', bigAt, 1000, delimiter);
      console.log(`| ${label}, ${where} | ${smallMs.toFixed(2)} | ${bigMs.toFixed(2)} | ${(bigMs / smallMs).toFixed(2)}× |`);
    }
  }
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
