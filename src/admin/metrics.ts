// Prometheus metrics (issue 4: "cache hit ratio and bytes served per tier are
// exposed as metrics"), in the text exposition format at GET /api/v1/metrics
// and GET /metrics (https://prometheus.io/docs/instrumenting/exposition_formats/).
// Cache figures are read from PageCache.stats() when scraped (nothing on the
// read path counts twice); S3 requests are counted and timed per operation and
// status by the server, one observation per request next to its access log line.
// Metrics are served without authentication, like most exporters: they name
// no bucket, key or user. `/metrics` is also a path-style bucket URL, so it is
// answered only for a GET or HEAD with no query and no Authorization header;
// anything else there (a signed ListObjects of a bucket named "metrics") is S3's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';
import type { CacheStats, PageCache } from '../cache/page-cache.ts';
import type { TierStats } from '../cache/tier.ts';
import type { AdminRoute } from '../s3/server.ts';

export const METRICS_PATH = '/api/v1/metrics';
export const SHORT_METRICS_PATH = '/metrics';

/** Request latency buckets, seconds: from a cached metadata answer to a multi-GiB transfer. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type Sample<T extends string> = [LabelValues<T>, number];

function tiers(stats: CacheStats): Array<[string, TierStats]> {
  return stats.disk ? [['memory', stats.memory], ['disk', stats.disk]] : [['memory', stats.memory]];
}

export class StrataMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'operation' | 'status'>;
  readonly #latency: Histogram<'operation' | 'status'>;
  readonly #cache: PageCache;

  constructor(cache: PageCache) {
    this.#cache = cache;
    const registers = [this.registry];
    this.#requests = new Counter({
      name: 'strata_s3_requests_total', help: 'S3 API requests by operation and HTTP status.',
      labelNames: ['operation', 'status'], registers,
    });
    this.#latency = new Histogram({
      name: 'strata_s3_request_duration_seconds', help: 'Time to answer an S3 API request (body included), by operation and HTTP status.',
      labelNames: ['operation', 'status'], buckets: LATENCY_BUCKETS, registers,
    });
    this.#cacheMetrics();
  }

  /** One S3 request: its AWS operation name ('Unknown' when it could not be routed), status and duration. */
  observeRequest(operation: string, status: number, seconds: number): void {
    const labels = { operation, status: String(status) };
    this.#requests.inc(labels);
    this.#latency.observe(labels, seconds);
  }

  /** The metrics paths (see the top of this file). */
  readonly route: AdminRoute = {
    claims: (req, path, query) => {
      if (path === METRICS_PATH) return true;
      const method = req.method ?? 'GET';
      return path === SHORT_METRICS_PATH && (method === 'GET' || method === 'HEAD') && query.size === 0 && req.headers.authorization === undefined;
    },
    serve: async (req, res) => {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 });
        res.end();
        return;
      }
      const text = Buffer.from(await this.registry.metrics());
      res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Content-Length': text.length });
      res.end(method === 'HEAD' ? undefined : text);
    },
  };

  /** Declares one cache metric whose samples are computed from the cache's stats at scrape time. */
  #fromStats<T extends string>(kind: 'counter' | 'gauge', name: string, help: string, labelNames: T[], samples: (s: CacheStats) => Array<Sample<T>>): void {
    const registers = [this.registry];
    if (kind === 'counter') {
      const counter: Counter<T> = new Counter({
        name, help, labelNames, registers,
        collect: () => {
          counter.reset();
          for (const [labels, value] of samples(this.#cache.stats())) counter.inc(labels, value);
        },
      });
    } else {
      const gauge: Gauge<T> = new Gauge({
        name, help, labelNames, registers,
        collect: () => {
          gauge.reset();
          for (const [labels, value] of samples(this.#cache.stats())) gauge.set(labels, value);
        },
      });
    }
  }

  #cacheMetrics(): void {
    const perTier = (read: (t: TierStats) => number) => (s: CacheStats): Array<Sample<'tier'>> =>
      tiers(s).map(([tier, t]) => [{ tier }, read(t)]);
    const total = (read: (s: CacheStats) => number) => (s: CacheStats): Array<Sample<never>> => [[{}, read(s)]];
    this.#fromStats('gauge', 'strata_cache_hit_ratio', 'Page reads served from the cache / all page reads, since start (0 before any read).', [], total((s) => s.hitRatio));
    this.#fromStats('counter', 'strata_cache_hits_total', 'Page reads served from a cache tier.', [], total((s) => s.hits));
    this.#fromStats('counter', 'strata_cache_misses_total', 'Page reads served from the under-storage.', [], total((s) => s.misses));
    this.#fromStats('counter', 'strata_cache_served_bytes_total', 'Bytes handed to readers, by where they came from (memory, disk, under_storage).', ['tier'],
      (s) => [...tiers(s).map(([tier, t]): Sample<'tier'> => [{ tier }, t.bytesServed]), [{ tier: 'under_storage' }, s.underStorageBytesServed]]);
    this.#fromStats('counter', 'strata_cache_tier_hits_total', 'Page lookups that found the page in the tier.', ['tier'], perTier((t) => t.hits));
    this.#fromStats('counter', 'strata_cache_tier_misses_total', 'Page lookups that did not find the page in the tier.', ['tier'], perTier((t) => t.misses));
    this.#fromStats('counter', 'strata_cache_evictions_total', 'Pages evicted to make room.', ['tier'], perTier((t) => t.evictions));
    this.#fromStats('counter', 'strata_cache_corrupt_pages_total', 'Pages that failed their checksum and were dropped.', ['tier'], perTier((t) => t.corruptPages));
    this.#fromStats('counter', 'strata_cache_inserts_refused_total', 'Pages not cached in the tier (too large, only pinned pages left, or the write failed).', ['tier'], perTier((t) => t.insertsRefused));
    this.#fromStats('counter', 'strata_cache_errors_total', 'Failed page reads, writes and deletes of the tier\'s store (each a counted miss, never a failed request).', ['tier', 'op'],
      (s) => tiers(s).flatMap(([tier, t]): Array<Sample<'tier' | 'op'>> => [
        [{ tier, op: 'read' }, t.readErrors], [{ tier, op: 'write' }, t.writeErrors], [{ tier, op: 'delete' }, t.deleteErrors],
      ]));
    this.#fromStats('gauge', 'strata_cache_used_bytes', 'Bytes of pages held by the tier.', ['tier'], perTier((t) => t.bytesUsed));
    this.#fromStats('gauge', 'strata_cache_capacity_bytes', 'Capacity of the tier.', ['tier'], perTier((t) => t.capacity));
    this.#fromStats('gauge', 'strata_cache_pages', 'Pages held by the tier.', ['tier'], perTier((t) => t.pages));
    this.#fromStats('gauge', 'strata_cache_page_size_bytes', 'Size of a cache page.', [], total((s) => s.pageSize));
    this.#fromStats('counter', 'strata_under_storage_fetches_total', 'Page fetches from under-storage by the cache.', [], total((s) => s.fetches));
    this.#fromStats('counter', 'strata_under_storage_fetched_bytes_total', 'Bytes fetched from under-storage by the cache.', [], total((s) => s.fetchedBytes));
    this.#fromStats('counter', 'strata_under_storage_fetch_errors_total', 'Page fetches from under-storage that failed.', [], total((s) => s.fetchErrors));
    this.#fromStats('counter', 'strata_cache_shared_fetches_total', 'Page reads that joined a fetch already in flight instead of starting one.', [], total((s) => s.sharedFetches));
  }
}
